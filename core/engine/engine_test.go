package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/wazuh/aws-s3-go/core/awsclient"
	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/logging/logtest"
	"github.com/wazuh/aws-s3-go/core/send"
	"github.com/wazuh/aws-s3-go/core/state"
)

// How a run's outcome becomes the script's exit code and last line.
func TestReport(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name  string
		ctx   context.Context
		debug int
		err   error
		code  int
		line  string
	}{
		{"success", context.Background(), 0, nil, 0, ""},
		{"script error", context.Background(), 0, host.Errorf(host.EmptyBucket, "No files were found in 'b/'. No logs will be processed."), 14, "ERROR: No files were found in 'b/'. No logs will be processed."},
		{"debug-only message", context.Background(), 1, &host.Quiet{Level: 1, Err: host.Errorf(host.InvalidRegion, "+++ ERROR: Invalid region 'x'")}, 22, "DEBUG: +++ ERROR: Invalid region 'x'"},
		{"no message", context.Background(), 0, &awsclient.Error{Kind: awsclient.Throttling}, 16, ""},
		{"wrapped", context.Background(), 0, fmt.Errorf("object k: %w", &send.Error{Err: errors.New("EPIPE")}), 13, "ERROR: object k: Error sending message to wazuh: EPIPE"},
		{"typed error of a stopped run", cancelled, 0, &state.Error{Kind: state.Locked, Msg: "locked", Err: context.Canceled}, 24, "ERROR: locked"},
		{"stopped", cancelled, 0, context.Canceled, 2, "WARNING: Run interrupted by shutdown; progress so far is saved."},
		{"unexpected, no debug", context.Background(), 0, errors.New("boom"), 12, "ERROR: boom"},
		{"unexpected, debug", context.Background(), 2, errors.New("boom"), 1, "ERROR: Unknown error: boom"},
	}
	for _, c := range cases {
		var log logtest.Recorder
		code := report(c.ctx, config.Target{Debug: c.debug}, &log, c.err)
		if code != c.code {
			t.Errorf("%s: code %d, want %d", c.name, code, c.code)
		}
		if last := log.Last(); last != c.line {
			t.Errorf("%s: last line %q, want %q", c.name, last, c.line)
		}
	}
}
