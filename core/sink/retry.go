package sink

import (
	"context"
	"time"
)

// Timing paces a sink's retries. The zero value of a field means its
// default (DefaultTiming).
type Timing struct {
	// Reconnect paces attempts to reach a queue that is absent or refuses
	// (agentd stopped or restarting), or a callback that refuses.
	Reconnect Backoff
	// Busy paces sends to a queue the kernel reports full (ENOBUFS).
	Busy Backoff
	// BusyWait is the longest wait for a full queue to drain before the
	// context and the .wait file are looked at again.
	BusyWait time.Duration
	// WaitPoll is how often the .wait file is looked at while it exists.
	WaitPoll time.Duration
	// WaitCheckGap is how often, at most, a busy sender looks for the
	// .wait file, so that it does not stat once per event.
	WaitCheckGap time.Duration
}

// Backoff is an exponential back-off: Min, doubled after each wait, up
// to Max.
type Backoff struct {
	Min, Max time.Duration
}

// DefaultTiming returns the timing NewSocket and NewFunc use.
func DefaultTiming() Timing {
	return Timing{
		Reconnect:    Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second},
		Busy:         Backoff{Min: time.Millisecond, Max: 50 * time.Millisecond},
		BusyWait:     50 * time.Millisecond,
		WaitPoll:     200 * time.Millisecond,
		WaitCheckGap: 20 * time.Millisecond,
	}
}

func (t Timing) withDefaults() Timing {
	d := DefaultTiming()
	t.Reconnect = t.Reconnect.or(d.Reconnect)
	t.Busy = t.Busy.or(d.Busy)
	for _, f := range []struct{ v, def *time.Duration }{
		{&t.BusyWait, &d.BusyWait}, {&t.WaitPoll, &d.WaitPoll}, {&t.WaitCheckGap, &d.WaitCheckGap},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return t
}

func (b Backoff) or(d Backoff) Backoff {
	if b.Min <= 0 {
		b.Min = d.Min
	}
	if b.Max < b.Min {
		b.Max = max(d.Max, b.Min)
	}
	return b
}

// retrier is one sequence of waits of a Backoff.
type retrier struct {
	next, max time.Duration
}

func (b Backoff) start() retrier { return retrier{next: b.Min, max: b.Max} }

// wait sleeps for the next delay of the sequence; see sleep.
func (r *retrier) wait(ctx context.Context, closing <-chan struct{}) error {
	d := r.next
	r.next = min(2*r.next, r.max)
	return sleep(ctx, closing, d)
}

// sleep waits for d; it returns ctx.Err() when ctx ends first and
// ErrClosed when closing is closed first.
func sleep(ctx context.Context, closing <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-closing:
		return ErrClosed
	}
}
