package bucket

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/wazuh/aws-s3-go/core/logging"
)

// fetchLimit decides how many objects are fetched at once. S3 answers each
// GET after tens of milliseconds and serves thousands per second, so a
// fixed handful of workers leaves a run waiting on latency; the limit
// therefore grows with every fetch that succeeds after waiting on S3 more
// than on decoding, up to max, and halves
// when S3 throttles (503 SlowDown), as TCP does with its window: additive
// increase, multiplicative decrease. Until the first throttle it grows by
// one per success (a doubling per round trip); after it, by one per
// window of successes.
//
// Memory, not a worker count, is the other bound: a fetch starts only
// while the events held for the sender plus what the fetches in flight are
// expected to hold (the average of the objects held so far) fit in the
// run's budget. One fetch may always run, so the object the sender waits
// for is never kept out.
type fetchLimit struct {
	log    logging.Logger
	held   *atomic.Int64 // bytes held for the sender (the emitters' budget)
	budget int64
	min    int
	max    int

	mu        sync.Mutex
	wake      chan struct{} // closed and replaced when a fetch may start
	limit     float64
	inflight  int
	peak      int     // most fetches in flight at once
	avgHeld   float64 // bytes an object holds, moving average
	throttled bool    // slow start is over
	epoch     int     // decreases so far; a throttle of an older epoch is stale
}

func newFetchLimit(log logging.Logger, held *atomic.Int64, budget int64, start, max int) *fetchLimit {
	if max < start {
		max = start
	}
	return &fetchLimit{log: log, held: held, budget: budget, min: 1, max: max,
		limit: float64(start), wake: make(chan struct{})}
}

// acquire waits until one more fetch may start, and returns the epoch to
// pass to throttle and release.
func (l *fetchLimit) acquire(ctx context.Context) (int, error) {
	for {
		l.mu.Lock()
		if l.inflight == 0 || l.inflight < int(l.limit) && l.fits() {
			l.inflight++
			l.peak = max(l.peak, l.inflight)
			e := l.epoch
			l.mu.Unlock()
			return e, nil
		}
		w := l.wake
		l.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	}
}

// fits reports whether one more fetch is expected to stay in half the
// budget. Half: what is held is garbage once sent, and the heap grows to
// twice what is live before the collector runs; the sender needs only a
// few objects ready to stay busy.
func (l *fetchLimit) fits() bool {
	return float64(l.held.Load())+float64(l.inflight+1)*l.avgHeld <= float64(l.budget)/2
}

// summary says how far the limit went, for the run's debug lines.
func (l *fetchLimit) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("+++ Fetched up to %d objects at once (limit %d, %d decreases on throttling)", l.peak, int(l.limit), l.epoch)
}

// release ends a fetch. grow is a fetch that read its object and was
// bound by the network, not by decoding; held is what the object holds
// until the sender takes it.
func (l *fetchLimit) release(grow bool, held int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	if held > 0 {
		const weight = 0.125
		if l.avgHeld == 0 {
			l.avgHeld = float64(held)
		} else {
			l.avgHeld += weight * (float64(held) - l.avgHeld)
		}
	}
	if grow && l.limit < float64(l.max) {
		before := int(l.limit)
		if l.throttled {
			l.limit += 1 / l.limit
		} else {
			l.limit++
		}
		l.limit = min(l.limit, float64(l.max))
		if n := int(l.limit); n != before && n%16 == 0 {
			l.log.Debug(3, fmt.Sprintf("+++ Fetching up to %d objects at once", n))
		}
	}
	l.signal()
}

// throttled halves the limit when S3 throttles a request of a fetch that
// started in the current epoch; the other fetches throttled by the same
// burst started before the decrease and do not halve it again.
func (l *fetchLimit) throttle(epoch int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if epoch != l.epoch {
		return
	}
	l.epoch++
	l.throttled = true
	before := int(l.limit)
	l.limit = max(l.limit/2, float64(l.min))
	l.log.Debug(1, fmt.Sprintf("+++ S3 is throttling requests (503 SlowDown): fetching up to %d objects at once instead of %d", int(l.limit), before))
}

// freed tells waiting fetches that the sender gave held bytes back.
func (l *fetchLimit) freed() {
	l.mu.Lock()
	l.signal()
	l.mu.Unlock()
}

func (l *fetchLimit) signal() {
	close(l.wake)
	l.wake = make(chan struct{})
}
