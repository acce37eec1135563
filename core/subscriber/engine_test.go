package subscriber_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/core/subscriber"
)

// The engine runs subscriber targets and reports their exit codes; the
// SQS endpoint comes from the SDK's own resolution (AWS_ENDPOINT_URL_SQS).
func TestEngineRunsSubscriber(t *testing.T) {
	url, notify := subscriber.MotoForTest(t)
	t.Setenv("AWS_ENDPOINT_URL_SQS", url)
	notify("shared", "logs", "a.log", []byte("line 1\nline 2\n"))
	tg := config.Target{Kind: config.KindSubscriber, Type: "buckets", Queue: "shared", AccessKey: "test", SecretKey: "test", ServiceEndpoint: url}

	var out, logs bytes.Buffer
	stats := &engine.Stats{}
	h := engine.Host{Log: logging.NewScript(&logs, 0), Sink: sink.NewWriter(&out), Stats: stats}
	// The default 20 s long poll ends the run only when the queue stays
	// empty that long; a stop after the work is done ends it too.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for stats.Events.Load() < 2 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	code := engine.Run(ctx, tg, h)
	if code != 0 && code != 2 {
		t.Fatalf("exit %d, log:\n%s", code, logs.String())
	}
	if got := strings.Count(out.String(), "\n"); got != 2 || stats.Objects.Load() != 1 {
		t.Fatalf("sent %d events, %d objects:\n%s", got, stats.Objects.Load(), out.String())
	}

	tg.Queue = "missing"
	logs.Reset()
	if code := engine.Run(context.Background(), tg, h); code != 20 {
		t.Fatalf("missing queue: exit %d, want 20; log:\n%s", code, logs.String())
	}
	if !strings.Contains(logs.String(), "ERROR: Queue does not exist, verify the given name") {
		t.Errorf("log:\n%s", logs.String())
	}
}
