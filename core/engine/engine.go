// Package engine runs one target (a bucket, service or subscriber) the way
// one invocation of the Python script did: list, fetch, decode,
// filter/reformat, send, record — concurrently, and returning the script's
// exit code for the same outcome.
package engine

import (
	"context"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
)

// Host is what a run needs from whoever hosts it.
type Host struct {
	Home    string         // Wazuh installation directory
	Version string         // metadata version row; "" = ask <Home>/bin/wazuh-control info
	Log     logging.Logger // where log lines go
	Sink    sink.Sink      // where events go
}

// Run processes t once and returns the Python script's exit code for the
// same outcome (0 success). It returns promptly when ctx is cancelled,
// leaving the state database consistent.
func Run(ctx context.Context, t config.Target, h Host) int {
	h.Log.Error("engine: not implemented yet")
	return 1
}
