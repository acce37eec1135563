package pyjson

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestUnmarshalRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1,"b":[true,false,null],"c":"x"}`, `{"a": 1, "b": [true, false, null], "c": "x"}`},
		{`{"a":1,"b":2,"a":3}`, `{"a": 3, "b": 2}`},
		{` [1.0, 1E5, 0.10, -0.0, 12345678901234567890123] `, `[1.0, 100000.0, 0.1, -0.0, 12345678901234567890123]`},
		{`[NaN,Infinity,-Infinity]`, `[NaN, Infinity, -Infinity]`},
		{`"\u00e9\ud83d\ude00\/\b\f\n\r\t"`, `"\u00e9\ud83d\ude00/\b\f\n\r\t"`},
		{`"é😀"`, `"\u00e9\ud83d\ude00"`},
		{`"\ud800x"`, `"\ud800x"`},
		{`"\udc00\ud800"`, `"\udc00\ud800"`},
		{`"\ud800\u0041"`, `"\ud800A"`},
		{`{}`, `{}`},
		{`[]`, `[]`},
		{`{"k":{}}`, `{"k": {}}`},
		{"\"\x7f\"", `"\u007f"`},
	}
	for _, tt := range tests {
		v, err := Unmarshal([]byte(tt.in))
		if err != nil {
			t.Errorf("Unmarshal(%q): %v", tt.in, err)
			continue
		}
		if got := string(Marshal(v)); got != tt.want {
			t.Errorf("Unmarshal(%q) = %s, want %s", tt.in, got, tt.want)
		}
		// The same through a one-byte reader exercises every refill path.
		v, err = Load(iotest.OneByteReader(strings.NewReader(tt.in)))
		if err != nil {
			t.Errorf("Load(%q): %v", tt.in, err)
			continue
		}
		if got := string(Marshal(v)); got != tt.want {
			t.Errorf("Load(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, `Expecting value: line 1 column 1 (char 0)`},
		{"\n", `Expecting value: line 2 column 1 (char 1)`},
		{`{"a"` + "\n", `Expecting ':' delimiter: line 2 column 1 (char 5)`},
		{`{"a":1 "b"}`, `Expecting ',' delimiter: line 1 column 8 (char 7)`},
		{`{"a":1,}`, `Expecting property name enclosed in double quotes: line 1 column 8 (char 7)`},
		{`{'a':1}`, `Expecting property name enclosed in double quotes: line 1 column 2 (char 1)`},
		{`[1,]`, `Expecting value: line 1 column 4 (char 3)`},
		{`[1 2]`, `Expecting ',' delimiter: line 1 column 4 (char 3)`},
		{`{} x`, `Extra data: line 1 column 4 (char 3)`},
		{`01`, `Extra data: line 1 column 2 (char 1)`},
		{`1.`, `Extra data: line 1 column 2 (char 1)`},
		{`-`, `Expecting value: line 1 column 1 (char 0)`},
		{`nul`, `Expecting value: line 1 column 1 (char 0)`},
		{`"abc`, `Unterminated string starting at: line 1 column 1 (char 0)`},
		{"[\"é\",\n \"a\tb\"]", `Invalid control character at: line 2 column 4 (char 9)`},
		{`"\x"`, `Invalid \escape: line 1 column 2 (char 1)`},
		{`"\u12"`, `Invalid \uXXXX escape: line 1 column 3 (char 2)`},
		{"\ufeff{}", `Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)`},
		{"é", `Expecting value: line 1 column 1 (char 0)`},
		{"[\"é\", x]", `Expecting value: line 1 column 7 (char 6)`},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tt.in)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			_, err := Load(r)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("Load(%q) error = %v, want SyntaxError", tt.in, err)
				continue
			}
			if se.Error() != tt.want {
				t.Errorf("Load(%q) error = %q, want %q", tt.in, se.Error(), tt.want)
			}
		}
	}
}

func TestRepr(t *testing.T) {
	e := &SyntaxError{Msg: "Expecting ':' delimiter", Line: 2, Col: 1, Char: 37}
	if got, want := e.Repr(), `JSONDecodeError("Expecting ':' delimiter: line 2 column 1 (char 37)")`; got != want {
		t.Errorf("Repr = %s, want %s", got, want)
	}
	if got, want := ReprString("a'b\"c\\\n\xc3\xa9\u00a0"), `'a\'b"c\\\né\xa0'`; got != want {
		t.Errorf("ReprString = %s, want %s", got, want)
	}
}

func TestInvalidUTF8(t *testing.T) {
	for _, in := range []string{"\"a\xffb\"", "\"\xed\xa0\x80\"", "\"\xc3\""} {
		if _, err := Unmarshal([]byte(in)); !errors.Is(err, ErrInvalidUTF8) {
			t.Errorf("Unmarshal(%q) error = %v, want ErrInvalidUTF8", in, err)
		}
	}
}

func TestRawDecodeDoesNotSkipSpace(t *testing.T) {
	d := NewDecoderBytes([]byte(`{"a":1}{"b":2} {"c":3}`))
	for i, want := range []string{`{"a": 1}`, `{"b": 2}`} {
		v, err := d.RawDecode()
		if err != nil {
			t.Fatalf("object %d: %v", i, err)
		}
		if got := string(Marshal(v)); got != want {
			t.Errorf("object %d = %s, want %s", i, got, want)
		}
	}
	if _, err := d.RawDecode(); err == nil || err.Error() != "Expecting value: line 1 column 15 (char 14)" {
		t.Errorf("RawDecode before space: %v", err)
	}
	v, err := d.Decode()
	if err != nil || string(Marshal(v)) != `{"c": 3}` {
		t.Errorf("Decode after space = %v, %v", v, err)
	}
	if err := d.End(); err != nil {
		t.Errorf("End: %v", err)
	}
}

func TestDecodeStreaming(t *testing.T) {
	in := `{"fileVersion":"1.0","configurationItems":[{"a":1},{"b":[2]}],"z":null}`
	for _, oneByte := range []bool{false, true} {
		var r io.Reader = strings.NewReader(in)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		var got []string
		top, err := NewDecoder(r).DecodeStreaming("configurationItems", func(v Value) error {
			got = append(got, string(Marshal(v)))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "|") != `{"a": 1}|{"b": [2]}` {
			t.Errorf("elements = %q", got)
		}
		if s := string(Marshal(top)); s != `{"fileVersion": "1.0", "configurationItems": [], "z": null}` {
			t.Errorf("top = %s", s)
		}
	}
	// Not an object at the top: returned whole.
	top, err := NewDecoder(strings.NewReader(` ["Records"] `)).DecodeStreaming("Records", func(Value) error {
		t.Error("fn called for a non-object document")
		return nil
	})
	if err != nil || string(Marshal(top)) != `["Records"]` {
		t.Errorf("top = %v, %v", top, err)
	}
	// fn's error stops decoding.
	stop := errors.New("stop")
	_, err = NewDecoder(strings.NewReader(`{"Records":[1,2]}`)).DecodeStreaming("Records", func(Value) error { return stop })
	if err != stop {
		t.Errorf("err = %v, want stop", err)
	}
	// Syntax error after some elements.
	n := 0
	_, err = NewDecoder(strings.NewReader(`{"Records":[{},{}],}`)).DecodeStreaming("Records", func(Value) error { n++; return nil })
	if err == nil || err.Error() != "Expecting property name enclosed in double quotes: line 1 column 20 (char 19)" || n != 2 {
		t.Errorf("err = %v, n = %d", err, n)
	}
}

func TestReadErrorWins(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(`{"Records":[{"a":`), iotest.ErrReader(boom))
	_, err := NewDecoder(r).DecodeStreaming("Records", func(Value) error { return nil })
	if err != boom {
		t.Errorf("err = %v, want boom", err)
	}
}
