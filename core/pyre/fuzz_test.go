package pyre

import (
	"errors"
	"testing"
)

// FuzzCompile checks that Compile never panics on a pattern, that a
// rejected pattern gets an *Error naming it, and that an accepted one
// matches like re.match: only at the start of the subject.
func FuzzCompile(f *testing.F) {
	for _, s := range [][2]string{
		{`abc`, "abcdef"},
		{`.*sts.amazonaws.com.*`, "sts.amazonaws.com"},
		{`a|b`, "xb"},
		{`abc$`, "abc\n"},
		{`abc\Z`, "abc"},
		{`(?m)a$`, "a\nb"},
		{`(?i:a)B`, "Ab"},
		{`(?P<x>\d+)-`, "12-"},
		{`a{,2}b`, "aab"},
		{`a{}`, "a{}"},
		{`[[:alpha:]]`, "[]"},
		{`[]a]`, "]"},
		{`[\b]`, "\b"},
		{`\u00e9\U0001F600`, "é😀"},
		{`\101\0\012`, "A\x00\n"},
		{`a(?#comment)b`, "ab"},
		{`\ a\é`, " aé"},
		{`^(?:kms|s3)\.amazonaws\.com$`, "kms.amazonaws.com"},
		{`.*COMPLIANT.*`, "NON_COMPLIANT"},
		{`a(?=b)`, "ab"},
		{`(a)\1`, "aa"},
		{`(?P<n>a)(?P=n)`, "aa"},
		{`(a)?(?(1)b|c)`, "ab"},
		{`a*+`, "aa"},
		{`a{1,2}+`, "aa"},
		{`(?x) a`, "a"},
		{`\N{DIGIT ONE}`, "1"},
		{`[a`, "a"},
		{`a{1001}`, "a"},
		{`(?aiLmsux-i:x)`, "x"},
		{`[\d-z\]\\]`, "-"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, subject string) {
		re, err := Compile(pattern)
		tr, terr := Translate(pattern)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Pattern != pattern {
				t.Fatalf("Compile(%q) error %T %v does not name the pattern", pattern, err, err)
			}
			if err.Error() == "" {
				t.Fatalf("Compile(%q): empty error", pattern)
			}
			return
		}
		if terr != nil {
			t.Fatalf("Compile(%q) succeeded, Translate failed: %v", pattern, terr)
		}
		if re.String() != tr {
			t.Fatalf("Compile(%q) = %q, Translate = %q", pattern, re.String(), tr)
		}
		if loc := re.FindStringIndex(subject); loc != nil && loc[0] != 0 {
			t.Fatalf("Compile(%q) matched %q at %d, not at the start", pattern, subject, loc[0])
		}
		if m := re.MatchString(subject); m != (re.FindStringIndex(subject) != nil) {
			t.Fatalf("Compile(%q): MatchString(%q) = %v disagrees with FindStringIndex", pattern, subject, m)
		}
	})
}
