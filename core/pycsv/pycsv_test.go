package pycsv

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func readAll(t *testing.T, r *Reader) ([][]string, error) {
	t.Helper()
	var got [][]string
	for {
		row, err := r.Read()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, append([]string{}, row...))
	}
}

// The expected rows were printed by CPython 3.11's csv.reader over
// io.StringIO(text) with the same dialect.
func TestReaderMatchesCPython(t *testing.T) {
	tests := []struct {
		d    Dialect
		in   string
		want [][]string
	}{
		{Dialect{Delimiter: ' ', DoubleQuote: true},
			"a b c\na  b\n a\n\"ab\"cd e\na\"b c\n\"x y\" z\n\"multi\nline\" q\n\n\na\n\n\"a\"\"b\" c\n\"\" x\nx \"\"\n\"unterminated\nmore",
			[][]string{{"a", "b", "c"}, {"a", "", "b"}, {"", "a"}, {"abcd", "e"}, {"a\"b", "c"}, {"x y", "z"}, {"multi\nline", "q"}, {}, {}, {"a"}, {}, {"a\"b", "c"}, {"", "x"}, {"x", ""}, {"unterminated\nmore"}}},
		{Dialect{Delimiter: ',', DoubleQuote: true, SkipInitialSpace: true},
			"a, b,  \"c d\",e\n, \"q\"\n", [][]string{{"a", "b", "c d", "e"}, {"", "q"}}},
		{Dialect{Delimiter: ',', Quote: '\'', DoubleQuote: true},
			"'it''s',x\n'a,b'c,d\n", [][]string{{"it's", "x"}, {"a,bc", "d"}}},
		{Dialect{Delimiter: ';'},
			"\"a\"\"b\";c\n\"x\"y;z\n", [][]string{{"a\"b\"", "c"}, {"xy", "z"}}},
		{Dialect{Delimiter: '§', DoubleQuote: true},
			"a§b§\"c§d\"\né§\n", [][]string{{"a", "b", "c§d"}, {"é", ""}}},
		{Dialect{Delimiter: '|', Quote: '«', DoubleQuote: true},
			"«a|b»«|c\n", [][]string{{"a|b»", "c"}}},
		{Dialect{Delimiter: ',', DoubleQuote: true},
			"a,\"b\nc\",d\n\"open,", [][]string{{"a", "b\nc", "d"}, {"open,"}}},
		{Dialect{Delimiter: ' ', DoubleQuote: true}, "last", [][]string{{"last"}}},
		{Dialect{Delimiter: ' ', DoubleQuote: true}, "a b ", [][]string{{"a", "b", ""}}},
	}
	for _, tt := range tests {
		got, err := readAll(t, NewReader(strings.NewReader(tt.in), tt.d))
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
			t.Errorf("%q with %+v:\ngot  %q\nwant %q", tt.in, tt.d, got, tt.want)
		}
	}
}

func TestFieldLimit(t *testing.T) {
	d := Dialect{Delimiter: ' ', DoubleQuote: true}
	// Exactly the limit is accepted, counted in code points.
	got, err := readAll(t, NewReader(strings.NewReader(strings.Repeat("é", FieldLimit)+"\n"), d))
	if err != nil || len(got) != 1 || len(got[0][0]) != 2*FieldLimit {
		t.Fatalf("at the limit: %v", err)
	}
	_, err = readAll(t, NewReader(strings.NewReader(strings.Repeat("x", FieldLimit+1)), d))
	var ce *Error
	if !errors.As(err, &ce) || ce.Msg != "field larger than field limit (131072)" {
		t.Errorf("past the limit: %v", err)
	}
}

func TestNewlineInUnquotedField(t *testing.T) {
	_, err := readAll(t, NewReader(strings.NewReader("a\rb\n"), Dialect{Delimiter: ' '}))
	var ce *Error
	if !errors.As(err, &ce) || !strings.HasPrefix(ce.Msg, "new-line character seen in unquoted field") {
		t.Errorf("got %v", err)
	}
}

func TestLimits(t *testing.T) {
	r := NewReader(strings.NewReader("ok\n"+strings.Repeat("y", 100)+"\n"), Dialect{Delimiter: ' '})
	r.MaxLine = 50
	_, err := readAll(t, r)
	var le *LimitError
	if !errors.As(err, &le) || le.Fields || le.Offset != 3 || le.Max != 50 {
		t.Errorf("line limit: %v", err)
	}
	r = NewReader(strings.NewReader("a b c d\n"), Dialect{Delimiter: ' '})
	r.MaxFields = 3
	_, err = readAll(t, r)
	if !errors.As(err, &le) || !le.Fields || le.Max != 3 {
		t.Errorf("field count limit: %v", err)
	}
}

// A non-ASCII delimiter cut by the end of the read buffer is still seen.
func TestDelimiterAcrossBuffer(t *testing.T) {
	pad := strings.Repeat("x", 64<<10-1)
	got, err := readAll(t, NewReader(strings.NewReader(pad+"§y\n"), Dialect{Delimiter: '§'}))
	if err != nil || len(got) != 1 || len(got[0]) != 2 || got[0][0] != pad || got[0][1] != "y" {
		t.Errorf("got %d rows, err %v", len(got), err)
	}
}
