// Package engine runs one target the way one invocation of the Python
// script did: it hands the target to its runner (bucket, service or
// subscriber), reports what the runner returned with the script's exit
// code and log line (core/exit holds the mapping), and ends every run with
// one summary line.
package engine

import (
	"context"
	"errors"
	"time"

	"github.com/wazuh/aws-s3-go/core/bucket"
	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/exit"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/service"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/core/subscriber"
)

// Host is what a run needs from whoever hosts it: the environment every
// runner shares.
type Host = host.Env

// Stats counts what runs delivered (host.Stats).
type Stats = host.Stats

// Options bound the resources of a run (host.Options).
type Options = host.Options

// Run processes t once and returns the Python script's exit code for the
// same outcome (0 success). It returns promptly when ctx is cancelled,
// leaving the state database consistent; a cancelled run returns 2, the
// code of the script interrupted by a signal.
//
// Whatever the outcome, the run ends with one INFO line saying what it did
// (objects, events, bytes, time, the newest object and its lag).
func Run(ctx context.Context, t config.Target, h Host) (code int) {
	h = h.Defaults()
	// The summary reports what the counters gained during this run; a
	// Stats shared by runs at the same time sums them in every summary.
	before := snapshot(h.Stats)
	h.Stats.ResetNewest()
	delivered := sink.NewCounting(h.Sink)
	h.Sink = delivered
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			h.Log.Error(host.PanicError(v).Error())
			code = exit.Unknown
		}
		h.Stats.Delivered.Add(delivered.Bytes())
		h.Log.Info(summary(t, snapshot(h.Stats).minus(before), time.Since(start), h.Now(), code))
	}()
	var err error
	switch t.Kind {
	case config.KindBucket:
		err = bucket.Run(ctx, t, h)
	case config.KindService:
		err = service.Run(ctx, t, service.Env{Env: h})
	case config.KindSubscriber:
		err = subscriber.Run(ctx, t, subscriber.Env{Env: h})
	default:
		err = host.Errorf(host.Failed, "Unknown target kind %q.", t.Kind)
	}
	return report(ctx, t, h.Log, err)
}

// report logs how a run ended and returns its exit code.
func report(ctx context.Context, t config.Target, log logging.Logger, err error) int {
	if err == nil {
		return exit.OK
	}
	if o, ok := exit.Of(err); ok {
		o.Log(log)
		return o.Code
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		log.Warning("Run interrupted by shutdown; progress so far is saved.")
		return exit.Arguments
	}
	return exit.Unexpected(log, err, t.Debug)
}
