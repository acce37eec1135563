package bucket

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/wazuh/aws-s3-go/core/event"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

func msg(s string) *pyjson.Object {
	o := pyjson.NewObject(1)
	o.Set("m", s)
	return o
}

// An object sends none of its events when it fails: neither one it held
// nor one too large to hold, whose first pass only validates; a second
// pass streams every event, and trimming is reported once over both.
func TestEmitterAllOrNothing(t *testing.T) {
	var budget atomic.Int64
	o := &object{out: make(chan [][]byte, 8)}
	e := &emitter{ctx: context.Background(), o: o, limit: 1 << 20, budget: &budget, maxHeld: 1 << 20}
	for i := 0; i < 3; i++ {
		if _, err := e.add(msg("small")); err != nil {
			t.Fatal(err)
		}
	}
	e.finish(errors.New("parse error"))
	n := 0
	for b := range o.out {
		n += len(b)
	}
	if n != 0 || o.err == nil {
		t.Fatalf("failed object sent %d events (err %v)", n, o.err)
	}

	budget.Store(0) // the sender gives back what the failed object held
	for _, fail := range []bool{true, false} {
		o = &object{out: make(chan [][]byte, 64)}
		e = &emitter{ctx: context.Background(), o: o, limit: 100, budget: &budget, maxHeld: 1 << 20}
		big := msg(strings.Repeat("z", 70000)) // trimmed
		for i := 0; i < 10; i++ {
			m := msg(strings.Repeat("x", 40))
			if i == 0 {
				m = big
			}
			trimmed, err := e.add(m)
			if err != nil {
				t.Fatal(err)
			}
			if trimmed != (i == 0) {
				t.Fatalf("pass 1, event %d: trimmed %v", i, trimmed)
			}
		}
		if !e.validating || o.held != 0 || budget.Load() != 0 {
			t.Fatalf("past its buffer: validating %v, held %d, budget %d", e.validating, o.held, budget.Load())
		}
		if !fail {
			e.stream()
			for i := 0; i < 10; i++ {
				m := msg(strings.Repeat("x", 40))
				if i == 0 {
					m = big
				}
				if trimmed, err := e.add(m); err != nil || trimmed {
					t.Fatalf("pass 2, event %d: trimmed %v (reported twice), err %v", i, trimmed, err)
				}
			}
			e.finish(nil)
		} else {
			e.finish(errors.New("late parse error"))
		}
		n = 0
		for b := range o.out {
			for _, m := range b[min(1, len(b)):] {
				if string(m) != `{"m": "`+strings.Repeat("x", 40)+`"}` {
					t.Fatalf("event bytes %q", m)
				}
			}
			n += len(b)
		}
		if want := map[bool]int{true: 0, false: 10}[fail]; n != want {
			t.Fatalf("fail=%v: %d events sent, want %d", fail, n, want)
		}
	}
}

// Every event survives being packed into shared blocks, large ones too.
func TestEmitterArena(t *testing.T) {
	var budget atomic.Int64
	o := &object{out: make(chan [][]byte, 1)}
	e := &emitter{ctx: context.Background(), o: o, limit: 1 << 30, budget: &budget, maxHeld: 1 << 30}
	var want []string
	for i := 0; i < 500; i++ {
		s := strings.Repeat(string(rune('a'+i%26)), i*37%3000)
		want = append(want, `{"m": "`+s+`"}`)
		if _, err := e.add(msg(s)); err != nil {
			t.Fatal(err)
		}
	}
	e.finish(nil)
	var got []string
	for b := range o.out {
		for _, m := range b {
			got = append(got, string(m))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("event %d corrupted", i)
		}
	}
}

// Objects hold events only while the run's budget lasts; past it they
// give back what they held and only validate.
func TestEmitterBudget(t *testing.T) {
	var budget atomic.Int64
	budget.Store(900) // held by objects ahead
	o := &object{out: make(chan [][]byte, 64)}
	e := &emitter{ctx: context.Background(), o: o, limit: 1 << 20, budget: &budget, maxHeld: 1000}
	ev := msg(strings.Repeat("y", 41)) // {"m": "…"}: 50 bytes encoded
	if _, err := e.add(ev); err != nil {
		t.Fatal(err)
	}
	if e.validating || o.held != 50 || budget.Load() != 950 {
		t.Fatalf("first event: validating %v, held %d, budget %d", e.validating, o.held, budget.Load())
	}
	if _, err := e.add(ev); err != nil {
		t.Fatal(err)
	}
	if _, err := e.add(ev); err != nil {
		t.Fatal(err)
	}
	if !e.validating || o.held != 0 || budget.Load() != 900 {
		t.Fatalf("over budget: validating %v, held %d, budget %d", e.validating, o.held, budget.Load())
	}
	e.finish(nil)
	n := 0
	for b := range o.out {
		n += len(b)
	}
	if n != 0 {
		t.Fatalf("%d events delivered by the first pass, want 0", n)
	}
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// The body wrapper tells a transfer that failed from content that is bad:
// a body shorter than its Content-Length or a read error is remembered
// even though the decoder will only see "unexpected EOF".
func TestBodyTransportErrors(t *testing.T) {
	cases := []struct {
		name    string
		r       io.Reader
		size    int64
		failing bool
	}{
		{"whole", strings.NewReader("0123456789"), 10, false},
		{"unknown length", strings.NewReader("0123456789"), -1, false},
		{"cut", strings.NewReader("01234"), 10, true},
		{"reset", &failingReader{data: []byte("01234"), err: syscall.ECONNRESET}, 10, true},
	}
	for _, c := range cases {
		b := &body{r: c.r, size: c.size}
		io.Copy(io.Discard, b)
		if (b.err != nil) != c.failing {
			t.Errorf("%s: err %v, want failing %v", c.name, b.err, c.failing)
		}
		if c.name == "reset" && !errors.Is(b.err, syscall.ECONNRESET) {
			t.Errorf("reset: cause lost: %v", b.err)
		}
	}
}

// addEncoded keeps add's accounting: the same bytes held, the same
// budget, the same switch to validating, the same events streamed.
func TestEmitterEncoded(t *testing.T) {
	for _, limit := range []int{1 << 20, 300} {
		run := func(encoded bool) (string, int64, int64, bool, int) {
			var budget atomic.Int64
			o := &object{out: make(chan [][]byte, 64)}
			e := &emitter{ctx: context.Background(), o: o, limit: limit, budget: &budget, maxHeld: 1 << 20}
			for pass := 0; pass < 2; pass++ {
				for i := 0; i < 10; i++ {
					m := msg(strings.Repeat("x", 10*i))
					var err error
					if encoded && i%2 == 1 {
						data, _ := event.Encode(m)
						err = e.addEncoded(data)
					} else {
						_, err = e.add(m)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				if !e.validating {
					break
				}
				e.stream()
			}
			n, held, validating := e.n, o.held, e.validating
			e.finish(nil)
			var out []string
			for b := range o.out {
				for _, ev := range b {
					out = append(out, string(ev))
				}
			}
			return strings.Join(out, "\n"), held, budget.Load(), validating, n
		}
		wOut, wHeld, wBudget, wVal, wN := run(false)
		gOut, gHeld, gBudget, gVal, gN := run(true)
		if gOut != wOut || gHeld != wHeld || gBudget != wBudget || gVal != wVal || gN != wN {
			t.Errorf("limit %d: addEncoded gives held %d budget %d validating %v n %d, add %d %d %v %d; events equal: %v",
				limit, gHeld, gBudget, gVal, gN, wHeld, wBudget, wVal, wN, gOut == wOut)
		}
		if wOut == "" || strings.Count(wOut, "\n") != 9 {
			t.Errorf("limit %d: %d events delivered, want 10", limit, strings.Count(wOut, "\n")+1)
		}
	}
}
