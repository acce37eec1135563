package pyjson

import "testing"

func mustValue(t *testing.T, s string) Value {
	t.Helper()
	v, err := Unmarshal([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Expected texts were printed by CPython 3.11's repr().
func TestReprValue(t *testing.T) {
	cases := []struct {
		in   Value
		want string
	}{
		{[]Value{"a", "b'c"}, `['a', "b'c"]`},
		{mustValue(t, `{"k": [1, 1.0, true, false, null, 1e-05, 1E5, 1e16, -0.0, -0, 12345678901234567890123]}`),
			`{'k': [1, 1.0, True, False, None, 1e-05, 100000.0, 1e+16, -0.0, 0, 12345678901234567890123]}`},
		{[]Value{"x\ny\t\\ \r"}, `['x\ny\t\\ \r']`},
		{[]Value{"é\x00\x7f\u00a0\u00ad\u2028😀\xed\xa0\x80\u0378 '\""}, `['é\x00\x7f\xa0\xad\u2028😀\ud800\u0378 \'"']`},
		{[]Value{"only'single"}, `["only'single"]`},
		{mustValue(t, `{"a": {"b": []}, "c": {}}`), `{'a': {'b': []}, 'c': {}}`},
		{[]Value{Number("NaN"), Number("Infinity"), Number("-Infinity"), Number("1e999")}, `[nan, inf, -inf, inf]`},
		{[]Value{1, int64(-2), 0.5, (*Object)(nil)}, `[1, -2, 0.5, None]`},
	}
	for _, c := range cases {
		if got := Repr(c.in); got != c.want {
			t.Errorf("Repr(%v):\ngot  %s\nwant %s", c.in, got, c.want)
		}
	}
}

// The argv copy of repr wrote non-printable non-ASCII characters as they
// were and invalid UTF-8 as U+FFFD; CPython escapes the first and, having
// decoded argv with surrogateescape, prints the second as \udcxx.
func TestReprString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", `''`},
		{`'"`, `'\'"'`},
		{`a"b`, `'a"b'`},
		{"a'b\"c\\\n\xc3\xa9\u00a0", `'a\'b"c\\\né\xa0'`},
		{"\U000e0001\u200b\u0085", `'\U000e0001\u200b\x85'`},
		{"\x01\x1f\x7f", `'\x01\x1f\x7f'`},
		{SurrogateEscape("caf\xc3\xa9 \xff"), `'café \udcff'`},
		{"\xff", `'\xff'`}, // not Python text: shown as the byte
	}
	for _, c := range cases {
		if got := ReprString(c.in); got != c.want {
			t.Errorf("ReprString(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestSurrogateEscape(t *testing.T) {
	if got := SurrogateEscape("plain é"); got != "plain é" {
		t.Errorf("valid text changed: %q", got)
	}
	if got, want := SurrogateEscape("a\x80\xffb"), "a\xed\xb2\x80\xed\xb3\xbfb"; got != want {
		t.Errorf("SurrogateEscape = %q, want %q", got, want)
	}
}

func TestReprBytes(t *testing.T) {
	cases := []struct{ in, want string }{
		{"\xff\x00a'b", `b"\xff\x00a'b"`},
		{`"'`, `b'"\''`},
		{"\t\n\r\\~\x7f", `b'\t\n\r\\~\x7f'`},
	}
	for _, c := range cases {
		if got := ReprBytes([]byte(c.in)); got != c.want {
			t.Errorf("ReprBytes(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
