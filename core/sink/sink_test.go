package sink

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/logging"
)

func TestFuncRetriesUntilAccepted(t *testing.T) {
	var calls atomic.Int32
	var gotLoc string
	var gotPayload []byte
	f := NewFunc(func(loc string, p []byte) int {
		if calls.Add(1) < 4 {
			return -1
		}
		gotLoc, gotPayload = loc, append([]byte(nil), p...)
		return 0
	}, nil)
	f.Timing.Reconnect = Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond}
	logs := &logBuf{}
	f.log = logging.NewScript(logs, 1)
	if err := f.Send(context.Background(), []byte(`{"a": 1}`)); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 4 || gotLoc != Location || string(gotPayload) != `{"a": 1}` {
		t.Errorf("calls %d, location %q, payload %q", calls.Load(), gotLoc, gotPayload)
	}
	if n := strings.Count(logs.String(), "Wazuh must be running."); n != 1 {
		t.Errorf("warned %d times:\n%s", n, logs)
	}
}

func TestFuncCancelAndClose(t *testing.T) {
	f := NewFunc(func(string, []byte) int { return 1 }, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := f.Send(ctx, []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- f.Send(context.Background(), []byte("x")) }()
	time.Sleep(20 * time.Millisecond)
	f.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Send after Close = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not end Send")
	}
}

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.Send(context.Background(), []byte(`{"k": "v"}`))
		}()
	}
	wg.Wait()
	want := strings.Repeat(`1:Wazuh-AWS:{"k": "v"}`+"\n", 20)
	if buf.String() != want {
		t.Errorf("output %q", buf.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Send(ctx, []byte("x")); err == nil {
		t.Error("Send with cancelled ctx succeeded")
	}
}

func TestCounting(t *testing.T) {
	var buf bytes.Buffer
	c := NewCounting(NewWriter(&buf))
	c.Send(context.Background(), []byte("abc"))
	c.Send(context.Background(), []byte("de"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.Send(ctx, []byte("lost"))
	if c.Events() != 2 || c.Bytes() != 5 {
		t.Errorf("Events %d Bytes %d", c.Events(), c.Bytes())
	}
}

func TestBackoffDoublesUpToMax(t *testing.T) {
	r := Backoff{Min: time.Millisecond, Max: 5 * time.Millisecond}.start()
	var got []time.Duration
	for i := 0; i < 5; i++ {
		got = append(got, r.next)
		if err := r.wait(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{1, 2, 4, 5, 5}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delays %v, want %v ms", got, want)
		}
	}
	closing := make(chan struct{})
	close(closing)
	r = Backoff{Min: time.Hour, Max: time.Hour}.start()
	if err := r.wait(context.Background(), closing); !errors.Is(err, ErrClosed) {
		t.Errorf("wait after close = %v", err)
	}
}

func TestTimingDefaults(t *testing.T) {
	tm := Timing{Reconnect: Backoff{Min: time.Second}}.withDefaults()
	d := DefaultTiming()
	if tm.Reconnect != (Backoff{Min: time.Second, Max: d.Reconnect.Max}) || tm.Busy != d.Busy ||
		tm.BusyWait != d.BusyWait || tm.WaitPoll != d.WaitPoll || tm.WaitCheckGap != d.WaitCheckGap {
		t.Errorf("withDefaults = %+v", tm)
	}
}
