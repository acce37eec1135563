package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/wazuh/aws-s3-go/core/logging"
)

// ErrClosed is returned by Send on a closed sink.
var ErrClosed = errors.New("sink: closed")

// Func delivers events through a host callback (the shared library's send
// callback: location and the event without header; 0 means delivered).
// A refusal is retried with back-off until the context ends: the host
// refuses while its queue connection is down, and the event must not be
// lost.
type Func struct {
	// Timing paces retries (only Reconnect is used); set it, if at all,
	// before the first Send.
	Timing Timing

	fn      func(location string, payload []byte) int
	log     logging.Logger
	closing chan struct{}

	mu     sync.Mutex
	down   bool
	closed bool
}

// NewFunc returns a Func calling fn for each event.
func NewFunc(fn func(location string, payload []byte) int, log logging.Logger) *Func {
	if log == nil {
		log = logging.Discard{}
	}
	return &Func{Timing: DefaultTiming(), fn: fn, log: log, closing: make(chan struct{})}
}

// Send calls the callback until it returns 0, ctx ends (ctx.Err()) or the
// sink is closed (ErrClosed).
func (f *Func) Send(ctx context.Context, event []byte) error {
	retry := f.Timing.withDefaults().Reconnect.start()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		select {
		case <-f.closing:
			return ErrClosed
		default:
		}
		rc := f.fn(Location, event)
		f.mu.Lock()
		if rc == 0 {
			if f.down {
				f.down = false
				f.log.Debug(1, "+++ Wazuh accepts events again")
			}
			f.mu.Unlock()
			return nil
		}
		if !f.down {
			f.down = true
			f.log.Warning(fmt.Sprintf("Wazuh must be running. The send callback returned %d; retrying until it accepts events.", rc))
		}
		f.mu.Unlock()
		if err := retry.wait(ctx, f.closing); err != nil {
			return err
		}
	}
}

// Close makes pending and later Sends return ErrClosed.
func (f *Func) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		close(f.closing)
	}
	return nil
}
