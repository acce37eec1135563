package pycsv

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReaderPaths checks the byte-at-a-time path of ASCII dialects
// against the rune-decoding path used for other dialects: both must give
// the same rows and the same error for any UTF-8 text.
func FuzzReaderPaths(f *testing.F) {
	for _, s := range []string{
		"a b c\n", "\"x y\" z\n\"", "a\"b \"\"c\"\"\n\n", "é é\n\"ü\"\"\" x", "a\rb\n", " \"q\"  \n",
	} {
		f.Add(s, byte(' '), true, false)
	}
	f.Fuzz(func(t *testing.T, text string, delim byte, dq, skip bool) {
		if !utf8.ValidString(text) || delim >= utf8.RuneSelf || delim == '"' || delim == '\n' || delim == '\r' {
			t.Skip()
		}
		d := Dialect{Delimiter: rune(delim), DoubleQuote: dq, SkipInitialSpace: skip}
		read := func(ascii bool) string {
			r := NewReader(strings.NewReader(text), d)
			r.ascii = ascii
			r.MaxFields = 1000
			var b strings.Builder
			for {
				row, err := r.Read()
				if err == io.EOF {
					return b.String()
				}
				if err != nil {
					return b.String() + "error: " + err.Error()
				}
				fmt.Fprintf(&b, "%q\n", row)
			}
		}
		if fast, slow := read(true), read(false); fast != slow {
			t.Errorf("%q: ASCII path\n%s\nrune path\n%s", text, fast, slow)
		}
	})
}
