// Package pyre compiles the Python re patterns that Wazuh's AWS
// configuration accepts (<discard_regex>, --discard-regex) into Go regexps
// that behave like Python's re.match: anchored at the start of the subject,
// not at its end.
//
// The translation is syntactic and conservative. Constructs that RE2 cannot
// express are rejected with an error that names the construct, instead of
// being approximated:
//
//   - look-arounds (?=...), (?!...), (?<=...), (?<!...)
//   - back-references \1..\99 and (?P=name)
//   - conditionals (?(id)yes|no)
//   - atomic groups (?>...) and possessive quantifiers *+ ++ ?+ {m,n}+
//   - verbose mode (?x), locale mode (?L), \N{NAME}
//   - anything else Go's regexp/syntax refuses (for example repeat counts
//     above 1000, which Python allows)
//
// Rewritten so that Go means what Python meant:
//
//   - \Z (end of string) becomes \z; escapes Python rejects (\z, \p, \Q,
//     \C, ...) are rejected here too
//   - (?#comment) is removed; (?P<name>...) is kept (Go accepts it)
//   - \uXXXX and \UXXXXXXXX become \x{...}; octal escapes (\0, \012, \123)
//     become \x{...}
//   - {,n} becomes {0,n}; [\b] (backspace) becomes \x08; a literal '[' inside
//     a character class is escaped, so Python's [[:alpha:]] stays a plain set
//     as in Python instead of becoming a POSIX class
//   - $ outside a class becomes (?:$|\n\z): Python's $ also matches before a
//     newline that ends the subject. The newline is consumed, which differs
//     from Python only when the pattern goes on to match that newline
//     explicitly after $ (a$\n).
//   - the inline flags a and u are dropped (see below); i, m and s have the
//     same meaning in both
//
// Remaining semantic differences (not detectable from the pattern):
//
//   - \d, \w, \s, \b and \B are ASCII-only in Go; in Python str patterns they
//     are Unicode-aware (\d matches any Unicode decimal digit, \w any letter
//     or digit of any script) unless (?a) is given. For the ASCII text of AWS
//     logs the two agree.
//   - case-insensitive matching uses Unicode simple folding in both, but
//     Python also folds a few special cases (for example 'ſ' and 'K' sign)
//     differently.
//   - Go matches leftmost-first like Python, but over UTF-8 bytes; invalid
//     UTF-8 in the subject matches as U+FFFD.
package pyre

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error reports a pattern that cannot be used, with the reason.
type Error struct {
	Pattern string
	Reason  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("unsupported Python regex %q: %s", e.Pattern, e.Reason)
}

// Compile translates a Python re pattern and compiles it. The returned
// Regexp's MatchString has re.match semantics.
func Compile(pattern string) (*regexp.Regexp, error) {
	expr, err := Translate(pattern)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, &Error{Pattern: pattern, Reason: err.Error()}
	}
	return re, nil
}

// Translate returns the Go syntax for pattern, anchored at the start with
// \A so that (?m) cannot turn the anchor into a line start.
func Translate(pattern string) (string, error) {
	t := translator{src: pattern}
	body, err := t.run()
	if err != nil {
		return "", &Error{Pattern: pattern, Reason: err.Error()}
	}
	return `\A(?:` + body + `)`, nil
}

type translator struct {
	src string
	i   int
	out strings.Builder
}

func (t *translator) run() (string, error) {
	for t.i < len(t.src) {
		c := t.src[t.i]
		switch c {
		case '\\':
			if err := t.escape(false); err != nil {
				return "", err
			}
		case '[':
			if err := t.class(); err != nil {
				return "", err
			}
		case '(':
			if err := t.group(); err != nil {
				return "", err
			}
		case '$':
			t.out.WriteString(`(?:$|\n\z)`)
			t.i++
		case '*', '+', '?':
			t.out.WriteByte(c)
			t.i++
			if err := t.quantSuffix(); err != nil {
				return "", err
			}
		case '{':
			if err := t.brace(); err != nil {
				return "", err
			}
		default:
			t.out.WriteByte(c)
			t.i++
		}
	}
	return t.out.String(), nil
}

// quantSuffix handles what may follow a quantifier: a lazy '?' is fine, a
// possessive '+' is not.
func (t *translator) quantSuffix() error {
	if t.i < len(t.src) {
		switch t.src[t.i] {
		case '?':
			t.out.WriteByte('?')
			t.i++
		case '+':
			return fmt.Errorf("possessive quantifier at position %d is not supported", t.i)
		}
	}
	return nil
}

// brace copies a {m,n} repeat, rewriting {,n} to {0,n}. A brace that is not
// a valid repeat is a literal in Python; it is escaped for Go.
func (t *translator) brace() error {
	j := t.i + 1
	for j < len(t.src) && (t.src[j] >= '0' && t.src[j] <= '9' || t.src[j] == ',') {
		j++
	}
	body := t.src[t.i+1 : j]
	if j < len(t.src) && t.src[j] == '}' && validRepeat(body) {
		if strings.HasPrefix(body, ",") {
			body = "0" + body
		}
		t.out.WriteString("{" + body + "}")
		t.i = j + 1
		return t.quantSuffix()
	}
	t.out.WriteString(`\{`)
	t.i++
	return nil
}

func validRepeat(body string) bool {
	lo, hi, comma := strings.Cut(body, ",")
	if strings.Contains(hi, ",") {
		return false
	}
	// Python: {m}, {m,}, {,n}, {m,n} and even {,} are repeats; {} is not.
	return comma || lo != ""
}

func (t *translator) group() error {
	rest := t.src[t.i:]
	switch {
	case strings.HasPrefix(rest, "(?P<"):
		t.out.WriteString("(?P<")
		t.i += 4
	case strings.HasPrefix(rest, "(?P="):
		return fmt.Errorf("named back-reference (?P=...) at position %d is not supported", t.i)
	case strings.HasPrefix(rest, "(?="), strings.HasPrefix(rest, "(?!"):
		return fmt.Errorf("look-ahead %s at position %d is not supported", rest[:3], t.i)
	case strings.HasPrefix(rest, "(?<="), strings.HasPrefix(rest, "(?<!"):
		return fmt.Errorf("look-behind %s at position %d is not supported", rest[:4], t.i)
	case strings.HasPrefix(rest, "(?("):
		return fmt.Errorf("conditional group (?( at position %d is not supported", t.i)
	case strings.HasPrefix(rest, "(?>"):
		return fmt.Errorf("atomic group (?> at position %d is not supported", t.i)
	case strings.HasPrefix(rest, "(?#"):
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return fmt.Errorf("missing ), unterminated comment at position %d", t.i)
		}
		t.i += end + 1
	case strings.HasPrefix(rest, "(?:"):
		t.out.WriteString("(?:")
		t.i += 3
	case strings.HasPrefix(rest, "(?"):
		return t.flags()
	default:
		t.out.WriteByte('(')
		t.i++
	}
	return nil
}

// flags handles (?aiLmsux) and (?aiLmsux-imsx:...).
func (t *translator) flags() error {
	start := t.i
	j := t.i + 2
	var on, off strings.Builder
	neg := false
	for ; j < len(t.src); j++ {
		c := t.src[j]
		switch c {
		case 'i', 'm', 's':
			if neg {
				off.WriteByte(c)
			} else {
				on.WriteByte(c)
			}
		case 'a', 'u':
			// ASCII / Unicode: Go is ASCII for \d \w \s \b; see the package doc.
		case 'x':
			return fmt.Errorf("verbose flag (?x) at position %d is not supported", start)
		case 'L':
			return fmt.Errorf("locale flag (?L) at position %d is not supported", start)
		case '-':
			if neg {
				return fmt.Errorf("bad inline flags at position %d", start)
			}
			neg = true
		case ')', ':':
			goto done
		default:
			return fmt.Errorf("unknown extension (?%c at position %d", c, start)
		}
	}
	return fmt.Errorf("missing -, : or ) at position %d", start)
done:
	flags := on.String()
	if off.Len() > 0 {
		flags += "-" + off.String()
	}
	if t.src[j] == ':' {
		t.out.WriteString("(?" + flags + ":")
	} else if flags != "" {
		t.out.WriteString("(?" + flags + ")")
	}
	t.i = j + 1
	return nil
}

// class copies a [...] set.
func (t *translator) class() error {
	start := t.i
	t.out.WriteByte('[')
	t.i++
	if t.i < len(t.src) && t.src[t.i] == '^' {
		t.out.WriteByte('^')
		t.i++
	}
	if t.i < len(t.src) && t.src[t.i] == ']' {
		t.out.WriteString(`\]`)
		t.i++
	}
	for t.i < len(t.src) {
		c := t.src[t.i]
		switch c {
		case ']':
			t.out.WriteByte(']')
			t.i++
			return nil
		case '\\':
			if err := t.escape(true); err != nil {
				return err
			}
		case '[':
			t.out.WriteString(`\[`)
			t.i++
		default:
			t.out.WriteByte(c)
			t.i++
		}
	}
	return fmt.Errorf("unterminated character set at position %d", start)
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// escape translates the escape at t.i (a backslash).
func (t *translator) escape(inClass bool) error {
	pos := t.i
	if pos+1 >= len(t.src) {
		return fmt.Errorf("bad escape (end of pattern) at position %d", pos)
	}
	c := t.src[pos+1]
	switch {
	case c >= '0' && c <= '9':
		// Python: \0, \0oo and three octal digits are octal escapes; other
		// digit sequences are back-references (outside a class).
		n := 1
		if c == '0' {
			for n < 3 && pos+1+n < len(t.src) && isOctal(t.src[pos+1+n]) {
				n++
			}
		} else if pos+3 < len(t.src) && isOctal(c) && isOctal(t.src[pos+2]) && isOctal(t.src[pos+3]) {
			n = 3
		} else {
			if inClass {
				return fmt.Errorf("bad escape \\%c at position %d", c, pos)
			}
			return fmt.Errorf("back-reference \\%c at position %d is not supported", c, pos)
		}
		v, _ := strconv.ParseUint(t.src[pos+1:pos+1+n], 8, 32)
		if v > 0o377 {
			return fmt.Errorf("octal escape value \\%s outside of range 0-0o377 at position %d", t.src[pos+1:pos+1+n], pos)
		}
		fmt.Fprintf(&t.out, `\x{%x}`, v)
		t.i += 1 + n
		return nil
	case c == 'Z' && !inClass:
		t.out.WriteString(`\z`)
	case c == 'b' && inClass:
		t.out.WriteString(`\x08`)
	case c == 'u' || c == 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		hex := t.src[pos+2 : min(len(t.src), pos+2+n)]
		v, err := strconv.ParseUint(hex, 16, 32)
		if len(hex) != n || err != nil || v > 0x10ffff {
			return fmt.Errorf("bad escape \\%c at position %d", c, pos)
		}
		fmt.Fprintf(&t.out, `\x{%x}`, v)
		t.i += 2 + n
		return nil
	case c == 'N':
		return fmt.Errorf(`named character escape \N at position %d is not supported`, pos)
	case c == 'x':
		hex := t.src[pos+2 : min(len(t.src), pos+4)]
		if _, err := strconv.ParseUint(hex, 16, 8); len(hex) != 2 || err != nil {
			return fmt.Errorf("incomplete escape \\x at position %d", pos)
		}
		t.out.WriteString(`\x` + hex)
		t.i += 4
		return nil
	case c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'):
		if !strings.ContainsRune(pyLetterEscapes(inClass), rune(c)) {
			return fmt.Errorf("bad escape \\%c at position %d", c, pos)
		}
		t.out.WriteByte('\\')
		t.out.WriteByte(c)
	case c >= 0x80:
		// An escaped non-ASCII character is that character; Go would
		// reject the escape.
		r, size := utf8.DecodeRuneInString(t.src[pos+1:])
		fmt.Fprintf(&t.out, `\x{%x}`, r)
		t.i += 1 + size
		return nil
	case strings.IndexByte(`!"#%&'()*+,-./:;<=>?@[\]^_{|}~$`+"`", c) >= 0:
		t.out.WriteByte('\\')
		t.out.WriteByte(c)
	default:
		// Escaped whitespace or control character: literal in Python.
		fmt.Fprintf(&t.out, `\x{%x}`, c)
	}
	t.i += 2
	return nil
}

// pyLetterEscapes lists the ASCII letters Python accepts after a backslash
// (besides the ones handled explicitly by escape).
func pyLetterEscapes(inClass bool) string {
	if inClass {
		return "afnrtvdDsSwW"
	}
	return "afnrtvdDsSwWAbB"
}
