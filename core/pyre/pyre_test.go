package pyre

import (
	"errors"
	"strings"
	"testing"
)

func TestMatchSemantics(t *testing.T) {
	tests := []struct {
		pattern, subject string
		want             bool
	}{
		// re.match anchors at the start only.
		{`abc`, "abcdef", true},
		{`bcd`, "abcdef", false},
		{`.*sts.amazonaws.com.*`, "sts.amazonaws.com", true},
		{`REJECT`, "REJECT", true},
		{`403`, "4031", true},
		// alternation stays anchored as a whole.
		{`a|b`, "xb", false},
		{`a|b`, "b", true},
		// $ also matches before a final newline, \Z does not.
		{`abc$`, "abc\n", true},
		{`abc$`, "abc\nx", false},
		{`abc\Z`, "abc\n", false},
		{`abc\Z`, "abc", true},
		// (?m) must not turn the start anchor into a line start.
		{`(?m)b`, "a\nb", false},
		{`(?m)a$`, "a\nb", true},
		{`(?i)allowed`, "ALLOWED", true},
		{`(?i:a)B`, "Ab", false},
		{`(?P<x>\d+)-`, "12-", true},
		{`a{,2}b`, "aab", true},
		{`a{,2}b`, "aaab", false},
		{`a{}`, "a{}", true},
		{`a{x}`, "a{x}", true},
		{`[[:alpha:]]`, "[]", true},
		{`[[:alpha:]]`, "a", false},
		{`[]a]`, "]", true},
		{`[\b]`, "\b", true},
		{`\u00e9`, "é", true},
		{`\U0001F600`, "😀", true},
		{`\101`, "A", true},
		{`\0`, "\x00", true},
		{`a(?#comment)b`, "ab", true},
		{`\ a`, " a", true},
		{`\é`, "é", true},
		{`\d+`, "123", true},
	}
	for _, tt := range tests {
		re, err := Compile(tt.pattern)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.pattern, err)
			continue
		}
		if got := re.MatchString(tt.subject); got != tt.want {
			t.Errorf("Compile(%q).MatchString(%q) = %v, want %v (Go: %s)", tt.pattern, tt.subject, got, tt.want, re)
		}
	}
}

func TestRejected(t *testing.T) {
	tests := []struct{ pattern, reason string }{
		{`a(?=b)`, "look-ahead"},
		{`a(?!b)`, "look-ahead"},
		{`(?<=a)b`, "look-behind"},
		{`(?<!a)b`, "look-behind"},
		{`(a)\1`, "back-reference"},
		{`(?P<n>a)(?P=n)`, "named back-reference"},
		{`(a)?(?(1)b|c)`, "conditional"},
		{`(?>a)`, "atomic"},
		{`a*+`, "possessive"},
		{`a{1,2}+`, "possessive"},
		{`(?x) a`, "verbose"},
		{`\p{L}`, `bad escape \p`},
		{`\z`, `bad escape \z`},
		{`\N{DIGIT ONE}`, "named character"},
		{`[a`, "unterminated"},
		{`a{1001}`, "invalid repeat count"},
		{`*a`, "missing argument"},
		{`(a`, "missing closing"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.pattern)
		if err == nil {
			t.Errorf("Compile(%q) succeeded, want error about %s", tt.pattern, tt.reason)
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) || pe.Pattern != tt.pattern {
			t.Errorf("Compile(%q) error %v does not name the pattern", tt.pattern, err)
		}
		if !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("Compile(%q) = %q, want mention of %q", tt.pattern, err, tt.reason)
		}
	}
}
