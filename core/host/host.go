// Package host holds what the three runners (bucket, service, subscriber)
// share: the environment a host gives a run, its resource options and the
// counters a run adds to, and *Error, what a runner reports that is neither
// AWS's nor the state database's. It imports no runner, so every runner and
// the engine that dispatches to them can import it.
package host

import (
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
)

// Env is what a run needs from whoever hosts it.
type Env struct {
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

// Saw notes that an object last modified at modified was processed, so the
// summary can name the newest one and how far behind now it is.
func (s *Stats) Saw(key string, modified time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.newestKey == "" || modified.After(s.newestAt) || (modified.Equal(s.newestAt) && key > s.newestKey) {
		s.newestKey, s.newestAt = key, modified
	}
}

// Newest returns the newest object Saw was told about since the latest
// ResetNewest ("" if none).
func (s *Stats) Newest() (key string, modified time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newestKey, s.newestAt
}

// ResetNewest forgets the newest object, when a new run starts.
func (s *Stats) ResetNewest() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.newestKey, s.newestAt = "", time.Time{}
}

// Options bound the resources of a run.
type Options struct {
	// Workers is how many objects are fetched and decoded at once when a
	// run starts (and how many SQS messages a subscriber handles at once).
	// S3 answers each GET after tens of milliseconds; concurrent fetches
	// hide that latency, so a bucket run raises the limit up to 128 while
	// fetches wait on the network (core/bucket/aimd.go).
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

// WithDefaults returns o with its unset fields set to DefaultOptions.
func (o Options) WithDefaults() Options {
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

// Defaults returns e with Now, Stats and Options filled in where unset.
func (e Env) Defaults() Env {
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Stats == nil {
		e.Stats = &Stats{}
	}
	e.Options = e.Options.WithDefaults()
	return e
}

// PanicError turns a recovered panic into an error that keeps the stack,
// so a runner's bug fails the run instead of crashing the host.
func PanicError(v any) error { return &panicError{v: v, stack: string(debug.Stack())} }

type panicError struct {
	v     any
	stack string
}

func (p *panicError) Error() string {
	return fmt.Sprintf("internal error (please report): %v", p.v)
}

// Error is a runner's failure that is neither AWS's nor the state
// database's, in the category the script told apart. Msg is the script's
// text for it.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Kind is the category of a runner's failure.
type Kind int

const (
	// Failed: a failure the script did not single out.
	Failed Kind = iota
	// InvalidType: the target's type, or the bucket's content, is not
	// one the runner handles.
	InvalidType
	// InvalidRegion: a region the runner does not know or cannot use.
	InvalidRegion
	// EmptyBucket: nothing under the bucket's prefix.
	EmptyBucket
	// InvalidPrefix: no logs where the type's layout puts them.
	InvalidPrefix
	// MissingArgument: a subscriber without its queue, role or external
	// ID.
	MissingArgument
	// BadMarker: no date could be read from the listing marker the state
	// database gave.
	BadMarker
)

// Errorf returns an *Error of kind k with a formatted message.
func Errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Quiet wraps an error the script reported only as a debug line of
// Level: the run ends as Err says, and its message goes to that level.
type Quiet struct {
	Level int
	Err   error
}

func (q *Quiet) Error() string { return q.Err.Error() }
func (q *Quiet) Unwrap() error { return q.Err }
