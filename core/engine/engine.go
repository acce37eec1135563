// Package engine runs one target (a bucket, service or subscriber) the way
// one invocation of the Python script did: list, fetch, decode,
// filter/reformat, send, record — concurrently, and returning the script's
// exit code for the same outcome.
//
// Objects are fetched and decoded concurrently (a limit that grows while
// S3's latency dominates and halves when S3 throttles, aimd.go) while a
// single sender delivers them in listing order; an object's row is written
// only after every one of its events was accepted by the sink, and rows are
// committed in key order, so the marker the next run starts after never
// passes an object that was not delivered.
package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/exit"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/service"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/core/subscriber"
)

// Host is what a run needs from whoever hosts it.
type Host struct {
	Home    string         // Wazuh installation directory
	Version string         // metadata version row; "" = ask <Home>/bin/wazuh-control info
	Log     logging.Logger // where log lines go
	Sink    sink.Sink      // where events go
	// Options tune concurrency; the zero value means the defaults.
	Options Options
	// Now returns the current time; nil means time.Now. Tests pin "today".
	Now func() time.Time
	// Stats, when set, accumulates what runs delivered.
	Stats *Stats
}

// Stats counts what runs delivered. Safe for concurrent use.
type Stats struct {
	Objects   atomic.Int64 // objects recorded as processed
	Events    atomic.Int64 // events accepted by the sink
	Bytes     atomic.Int64 // compressed bytes read from S3
	Delivered atomic.Int64 // bytes of the events the sink accepted
	Skipped   atomic.Int64 // objects skipped for bad content (skip_on_error)

	mu        sync.Mutex
	newestKey string // the object of the current run with the latest LastModified
	newestAt  time.Time
}

// Options bound the resources of a run.
type Options struct {
	// Workers is how many objects are fetched and decoded at once when a
	// run starts (and how many SQS messages a subscriber handles at once).
	// S3 answers each GET after tens of milliseconds; concurrent fetches
	// hide that latency, so a bucket run raises the limit up to 128 while
	// fetches wait on the network (aimd.go).
	Workers int
	// ObjectBuffer is how many bytes of encoded events an object may
	// hold; a larger one is read twice (validated, then streamed to the
	// sink), so that every object is all-or-nothing, like the reference.
	ObjectBuffer int
	// HeldBytes bounds the encoded events all objects of a run hold while
	// they wait for the sender; past it, objects are read twice instead.
	HeldBytes int
}

// DefaultOptions returns the options used for unset fields. They suit a
// 2-core agent: decoding is CPU-bound, fetching is I/O-bound, so more
// workers than cores keep both busy (8 stays within the SDK's 10 idle
// connections per host). Events held in memory stay under HeldBytes plus
// about half a megabyte per streaming object.
func DefaultOptions() Options {
	return Options{Workers: 8, ObjectBuffer: 4 << 20, HeldBytes: 16 << 20}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Workers <= 0 {
		o.Workers = d.Workers
	}
	if o.ObjectBuffer <= 0 {
		o.ObjectBuffer = d.ObjectBuffer
	}
	if o.HeldBytes <= 0 {
		o.HeldBytes = d.HeldBytes
	}
	return o
}

// DBPath is where the state database of bucket targets lives.
func DBPath(home string) string { return filepath.Join(home, "wodles", "aws", "s3_cloudtrail.db") }

// Run processes t once and returns the Python script's exit code for the
// same outcome (0 success). It returns promptly when ctx is cancelled,
// leaving the state database consistent; a cancelled run returns 2, the
// code of the script interrupted by a signal.
//
// Whatever the outcome, the run ends with one INFO line saying what it did
// (objects, events, bytes, time, the newest object and its lag).
func Run(ctx context.Context, t config.Target, h Host) (code int) {
	if h.Now == nil {
		h.Now = time.Now
	}
	if h.Stats == nil {
		h.Stats = &Stats{}
	}
	// The summary reports what the counters gained during this run; a
	// Stats shared by runs at the same time sums them in every summary.
	before := h.Stats.counts()
	h.Stats.resetNewest()
	delivered := sink.NewCounting(h.Sink)
	h.Sink = delivered
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			h.Log.Error(panicError(v).Error())
			code = exit.Unknown
		}
		h.Stats.Delivered.Add(delivered.Bytes())
		h.Log.Info(summary(t, h.Stats.counts().minus(before), time.Since(start), h.Now(), code))
	}()
	h.Options = h.Options.withDefaults()
	var err error
	switch t.Kind {
	case config.KindBucket:
		err = runBucket(ctx, t, h)
	case config.KindService:
		err = service.Run(ctx, t, service.Env{Home: h.Home, Version: h.Version, Log: h.Log, Sink: h.Sink, Now: h.Now, Events: &h.Stats.Events})
	case config.KindSubscriber:
		err = subscriber.Run(ctx, t, subscriber.Env{Log: h.Log, Sink: h.Sink, Workers: h.Options.Workers, Events: &h.Stats.Events, Objects: &h.Stats.Objects, Bytes: &h.Stats.Bytes})
	default:
		err = exit.Errorf(exit.Unknown, "Unknown target kind %q.", t.Kind)
	}
	return report(ctx, t, h.Log, err)
}

// report logs how a run ended and returns its exit code.
func report(ctx context.Context, t config.Target, log logging.Logger, err error) int {
	if err == nil {
		return exit.OK
	}
	var ee *exit.Error
	if errors.As(err, &ee) {
		if ee.DebugLevel > 0 {
			log.Debug(ee.DebugLevel, ee.Msg)
		} else if ee.Msg != "" {
			log.Error(ee.Msg)
		}
		return ee.Code
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		log.Warning("Run interrupted by shutdown; progress so far is saved.")
		return 2
	}
	// Errors of other packages that know the script's code for themselves
	// (config.Error, the services' and subscribers' errors).
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		log.Error(err.Error())
		return ec.ExitCode()
	}
	// An unexpected failure: the script's main() handler says
	// "+++ Error: <e>" and exits 12, or 1 when debugging.
	log.Debug(2, "+++ Error: "+err.Error())
	if t.Debug > 0 {
		log.Error("Unknown error: " + err.Error())
		return exit.Unknown
	}
	log.Error(err.Error())
	return exit.InvalidType
}

type panicErr struct {
	v     any
	stack string
}

func (p *panicErr) Error() string {
	return fmt.Sprintf("internal error (please report): %v", p.v)
}

func panicError(v any) error { return &panicErr{v: v, stack: string(debug.Stack())} }

// checkRegions is the script's run-time membership check (exit 22, the
// message only in debug mode).
func checkRegions(regions []string) error {
	for _, r := range regions {
		if !config.KnownRegion(r) {
			return &exit.Error{Code: exit.InvalidRegion, Msg: fmt.Sprintf("+++ ERROR: Invalid region '%s'", r), DebugLevel: 1}
		}
	}
	return nil
}

// hasAWSConfig reports whether the user's ~/.aws/config exists (only for
// the reference's debug line about retries).
func hasAWSConfig() bool {
	home, err := os.UserHomeDir()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(home, ".aws", "config"))
	return err == nil
}
