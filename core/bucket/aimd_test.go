package bucket

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/logging/logtest"
)

// started reports whether acquire returns within a short wait.
func started(l *fetchLimit) (int, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	e, err := l.acquire(ctx)
	return e, err == nil
}

func TestFetchLimitGrowsAndHalves(t *testing.T) {
	var held atomic.Int64
	log := &logtest.Recorder{}
	l := newFetchLimit(log, &held, 1<<30, 4, 128)
	for i := 0; i < 4; i++ {
		if _, ok := started(l); !ok {
			t.Fatalf("fetch %d of the first 4 did not start", i+1)
		}
	}
	if _, ok := started(l); ok {
		t.Fatal("a fifth fetch started with a limit of 4")
	}
	// Slow start: every success adds one.
	for i := 0; i < 4; i++ {
		l.release(true, 1000)
	}
	if got := int(l.limit); got != 8 {
		t.Fatalf("limit after 4 successes = %d, want 8", got)
	}
	// A burst of throttles of one epoch halves it once.
	e, _ := started(l)
	l.throttle(e)
	l.throttle(e)
	l.throttle(e)
	if got := int(l.limit); got != 4 {
		t.Fatalf("limit after one throttled burst = %d, want 4", got)
	}
	if !strings.Contains(log.Text(), "503 SlowDown): fetching up to 4 objects at once instead of 8") {
		t.Fatalf("no debug line for the decrease:\n%s", log.Text())
	}
	// After a throttle, growth is one per window of successes.
	l.release(true, 1000)
	for i := 0; i < 3; i++ {
		l.release(true, 1000)
		started(l)
	}
	if got := int(l.limit); got != 4 {
		t.Fatalf("limit after 4 successes past a throttle = %d (%.2f), want 4 (additive)", got, l.limit)
	}
	for i := 0; i < 20; i++ {
		l.throttle(l.epoch)
	}
	if l.limit != 1 {
		t.Fatalf("limit went to %.2f, want the floor 1", l.limit)
	}
}

func TestFetchLimitMax(t *testing.T) {
	var held atomic.Int64
	l := newFetchLimit(&logtest.Recorder{}, &held, 1<<30, 8, 16)
	for i := 0; i < 100; i++ {
		started(l)
		l.release(true, 10)
	}
	if l.limit != 16 {
		t.Fatalf("limit = %.2f, want the max 16", l.limit)
	}
}

func TestFetchLimitBudget(t *testing.T) {
	var held atomic.Int64
	l := newFetchLimit(&logtest.Recorder{}, &held, 2000, 64, 128)
	// Objects of 400 bytes, fetches kept to half the budget: the sender
	// holds two of them, so no second fetch fits beside the first until it
	// gives them back.
	started(l)
	started(l)
	l.release(true, 400)
	l.release(true, 400)
	held.Store(800)
	if _, ok := started(l); !ok {
		t.Fatal("with nothing in flight, a fetch must always start")
	}
	if _, ok := started(l); ok {
		t.Fatal("a second fetch started past the budget")
	}
	done := make(chan error, 1)
	go func() { _, err := l.acquire(context.Background()); done <- err }()
	select {
	case <-done:
		t.Fatal("a fetch started past the budget")
	case <-time.After(20 * time.Millisecond):
	}
	held.Store(0)
	l.freed()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("freed bytes did not let the waiting fetch start")
	}
}

func TestFetchLimitCancel(t *testing.T) {
	var held atomic.Int64
	l := newFetchLimit(&logtest.Recorder{}, &held, 1<<30, 1, 1)
	started(l)
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stopped")
	cancel(stop)
	if _, err := l.acquire(ctx); !errors.Is(err, stop) {
		t.Fatalf("acquire on a cancelled run = %v, want %v", err, stop)
	}
}
