package pyjson

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readers returns s as a whole and one byte at a time, so that a limit is
// met both inside the window and while refilling it.
func readers(s string) map[string]func() *Decoder {
	return map[string]func() *Decoder{
		"bytes":  func() *Decoder { return NewDecoderBytes([]byte(s)) },
		"stream": func() *Decoder { return NewDecoder(strings.NewReader(s)) },
		"onebyte": func() *Decoder {
			return NewDecoder(iotest.OneByteReader(strings.NewReader(s)))
		},
	}
}

func wantLimit(t *testing.T, err error, name string, offset int64) {
	t.Helper()
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a *LimitError %s", err, name)
	}
	if le.Name != name || le.Offset != offset {
		t.Fatalf("err = %+v, want %s at offset %d", le, name, offset)
	}
	if !strings.Contains(le.Error(), name) {
		t.Errorf("message %q does not name the limit", le.Error())
	}
}

func TestLimitValueBytes(t *testing.T) {
	lim := Limits{MaxValueBytes: 10}
	tests := []struct {
		in string
		ok bool
	}{
		{`"12345678"`, true},   // exactly 10 bytes
		{`"123456789"`, false}, // 11
		{`12345678901`, false},
		{`1234567890`, true},
		{`[1, 2, 3, 4]`, false},
		{`[1,2,3,4,5]`, false},
		{`[1,2,3,45]`, true},
		{"\"\\u00e9\\u00e9\"", false},
		{`   [1,2,3,45]   `, true}, // surrounding whitespace is free
	}
	for _, tt := range tests {
		for name, mk := range readers(tt.in) {
			d := mk()
			d.Limits = lim
			_, err := d.Decode()
			if tt.ok {
				if err != nil {
					t.Errorf("%s %q: %v", name, tt.in, err)
				}
				continue
			}
			var le *LimitError
			if !errors.As(err, &le) || le.Name != "MaxValueBytes" || le.Limit != 10 {
				t.Errorf("%s %q: err = %v, want MaxValueBytes", name, tt.in, err)
			}
		}
	}
}

func TestLimitValuesAndDepth(t *testing.T) {
	for name, mk := range readers(`[[1,2],[3]]`) {
		d := mk()
		d.Limits = Limits{MaxValues: 6}
		if _, err := d.Decode(); err != nil {
			t.Errorf("%s: 6 values with MaxValues 6: %v", name, err)
		}
		d = mk()
		d.Limits = Limits{MaxValues: 5}
		_, err := d.Decode()
		wantLimit(t, err, "MaxValues", 0)
		d = mk()
		d.Limits = Limits{MaxDepth: 1}
		_, err = d.Decode()
		wantLimit(t, err, "MaxDepth", 0)
		d = mk()
		d.Limits = Limits{MaxDepth: 2}
		if _, err := d.Decode(); err != nil {
			t.Errorf("%s: depth 2 with MaxDepth 2: %v", name, err)
		}
	}
}

// The limits apply to each streamed record, not to the document.
func TestLimitStreamingPerRecord(t *testing.T) {
	rec := `{"eventName":"GetObject","n":12345}` // 35 bytes
	doc := `{"Records": [` + strings.Repeat(rec+",  \n\t", 50) + rec + `], "x": 1}`
	for name, mk := range readers(doc) {
		d := mk()
		d.Limits = Limits{MaxValueBytes: int64(len(rec)), MaxValues: 3}
		n := 0
		_, err := d.DecodeStreaming("Records", func(Value) error { n++; return nil })
		if err != nil || n != 51 {
			t.Errorf("%s: %d records, err %v; want 51, nil", name, n, err)
		}
	}
	big := `{"eventName":"GetObject","n":123456}`
	doc = `{"Records": [` + rec + ", " + big + `]}`
	for name, mk := range readers(doc) {
		d := mk()
		d.Limits = Limits{MaxValueBytes: int64(len(rec))}
		n := 0
		_, err := d.DecodeStreaming("Records", func(Value) error { n++; return nil })
		if n != 1 {
			t.Errorf("%s: %d records before the error, want 1", name, n)
		}
		wantLimit(t, err, "MaxValueBytes", int64(len(`{"Records": [`+rec+", ")))
	}
	// Other top-level members and keys are limited one by one too.
	for _, mk := range readers(`{"Records": [], "other": "` + strings.Repeat("x", 40) + `"}`) {
		d := mk()
		d.Limits = Limits{MaxValueBytes: 35}
		_, err := d.DecodeStreaming("Records", func(Value) error { return nil })
		wantLimit(t, err, "MaxValueBytes", 25)
	}
}

// endless yields prefix and then fill bytes forever, counting them.
type endless struct {
	prefix string
	fill   byte
	n      int64
}

func (e *endless) Read(p []byte) (int, error) {
	k := copy(p, e.prefix)
	e.prefix = e.prefix[k:]
	for i := k; i < len(p); i++ {
		p[i] = e.fill
	}
	e.n += int64(len(p))
	return len(p), nil
}

// A value that never ends is refused after about the limit, without the
// decoder reading (or keeping) much more than that.
func TestLimitEndlessInput(t *testing.T) {
	for _, tt := range []struct {
		prefix string
		fill   byte
	}{
		{`{"Records": ["`, 'a'},         // one endless string
		{`{"Records": [`, '['},          // endless nesting
		{`{"Records": [[`, ' '},         // whitespace inside a record counts
		{`{"Records": [["é`, 'a'},       // slow path of the string scanner
		{`{"Records": ["\u00e9 `, '\\'}, // escapes
		{`{"Records": [{"a":[1`, '1'},   // an endless number
	} {
		src := &endless{prefix: tt.prefix, fill: tt.fill}
		d := NewDecoder(src)
		d.Limits = Limits{MaxValueBytes: 1 << 20}
		_, err := d.DecodeStreaming("Records", func(Value) error { return nil })
		var le *LimitError
		if !errors.As(err, &le) {
			t.Errorf("%q: err = %v, want a *LimitError", tt.prefix, err)
		}
		if src.n > 3<<20 {
			t.Errorf("%q: read %d bytes before refusing a value over 1 MiB", tt.prefix, src.n)
		}
	}
	// Whitespace between values is skipped without limit or buffering.
	src := io.MultiReader(strings.NewReader(`{"Records": [1`),
		io.LimitReader(&endless{fill: ' '}, 64<<20), strings.NewReader(`]}`))
	d := NewDecoder(src)
	d.Limits = Limits{MaxValueBytes: 16}
	if _, err := d.DecodeStreaming("Records", func(Value) error { return nil }); err != nil {
		t.Errorf("64 MiB of whitespace between records: %v", err)
	}
	if c := cap(d.buf); c > 1<<20 {
		t.Errorf("window grew to %d bytes over whitespace", c)
	}
}

// After SetOrigin, errors report positions as a raw_decode of the rest.
func TestSetOrigin(t *testing.T) {
	first := "{\"a\": \"é\"}\n \n"
	for _, rest := range []string{"{\"b\":\n\"é\" x}", "{\"b\": 1,\n\n \"c\"}", "[1, 2", "{\"é\": 1} x"} {
		_, want := NewDecoderBytes([]byte(rest)).RawDecode()
		for name, mk := range readers(first + rest) {
			d := mk()
			if _, err := d.RawDecode(); err != nil {
				t.Fatalf("%s: first value: %v", name, err)
			}
			if _, err := d.SkipSpace(); err != nil {
				t.Fatal(err)
			}
			d.SetOrigin()
			v, err := d.RawDecode()
			if want == nil {
				if err != nil {
					t.Errorf("%s %q: %v", name, rest, err)
				}
				_ = v
				continue
			}
			var got, exp *SyntaxError
			if !errors.As(err, &got) || !errors.As(want, &exp) || *got != *exp {
				t.Errorf("%s %q: err = %v, want %v", name, rest, err, want)
			}
		}
	}
}

func TestDeleteFunc(t *testing.T) {
	for _, n := range []int{5, 100} { // without and with the map index
		o := NewObject(n)
		for i := 0; i < n; i++ {
			o.Set(fmt.Sprint("k", i), Number(fmt.Sprint(i)))
		}
		o.DeleteFunc(func(k string, v Value) bool { return v.(Number) != "1" && k != "k3" })
		if got := string(Marshal(o)); got != `{"k1": 1, "k3": 3}` {
			t.Errorf("n=%d: %s", n, got)
		}
		if v, ok := o.Get("k3"); !ok || v != Number("3") || o.Has("k0") {
			t.Errorf("n=%d: lookups after DeleteFunc", n)
		}
		o.Set("k0", nil)
		if got := string(Marshal(o)); got != `{"k1": 1, "k3": 3, "k0": null}` {
			t.Errorf("n=%d: %s", n, got)
		}
	}
}

// TestReleaseDropsGrownWindow checks that a window grown for a large
// value is not kept for the next Decoder: memory stays bounded by what
// one value needs, not by the largest value ever read.
func TestReleaseDropsGrownWindow(t *testing.T) {
	big := `["` + strings.Repeat("x", 3*windowSize) + `"]`
	for range 3 {
		d := NewDecoder(strings.NewReader(big))
		if cap(d.buf) != windowSize {
			t.Fatalf("a new Decoder's window is %d bytes, want %d", cap(d.buf), windowSize)
		}
		if _, err := d.Decode(); err != nil {
			t.Fatal(err)
		}
		if cap(d.buf) <= windowSize {
			t.Fatalf("the window did not grow (%d bytes)", cap(d.buf))
		}
		d.Release()
		if _, err := d.Decode(); err == nil {
			t.Fatal("a released Decoder decoded")
		}
	}
}
