package pyjson

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Marshal encodes v as Python's json.dumps(v) with default arguments:
// separators ", " and ": ", ensure_ascii, insertion order.
func Marshal(v Value) []byte {
	return AppendValue(nil, v)
}

// AppendValue appends the encoding of v to dst.
func AppendValue(dst []byte, v Value) []byte {
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		if t {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case Number:
		return appendNumber(dst, t)
	case string:
		return AppendString(dst, t)
	case *Object:
		if t == nil {
			return append(dst, "null"...)
		}
		dst = append(dst, '{')
		for i, k := range t.keys {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendString(dst, k)
			dst = append(dst, ": "...)
			dst = AppendValue(dst, t.vals[i])
		}
		return append(dst, '}')
	case []Value:
		dst = append(dst, '[')
		for i, e := range t {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendValue(dst, e)
		}
		return append(dst, ']')
	case int:
		return strconv.AppendInt(dst, int64(t), 10)
	case int64:
		return strconv.AppendInt(dst, t, 10)
	case float64:
		return AppendFloat(dst, t)
	default:
		// Programming error: only the documented types may be stored.
		panic(fmt.Sprintf("pyjson: cannot encode %T", v))
	}
}

// IsFloat reports whether n is a Python float (as opposed to an int).
func (n Number) IsFloat() bool {
	return strings.ContainsAny(string(n), ".eEIN")
}

// Float returns n as a float64 (Python float(n)).
func (n Number) Float() float64 {
	switch n {
	case "NaN":
		return math.NaN()
	case "Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	f, _ := strconv.ParseFloat(string(n), 64) // ±Inf on overflow, as Python
	return f
}

// FloatNumber returns the Number Python would print for f.
func FloatNumber(f float64) Number {
	return Number(AppendFloat(nil, f))
}

// Repr returns the text Python prints for n (str(n) == repr(n) for numbers).
func (n Number) Repr() string {
	return string(appendNumber(nil, n))
}

func appendNumber(dst []byte, n Number) []byte {
	if !n.IsFloat() {
		s := string(n)
		if s == "-0" {
			s = "0"
		}
		return append(dst, s...)
	}
	return AppendFloat(dst, n.Float())
}

// AppendFloat appends Python's repr of a float as json.dumps writes it
// (NaN, Infinity, -Infinity for the special values).
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	// Shortest round-trip digits, then Python's layout rule: fixed notation
	// when the decimal exponent is in [-4, 16), exponent form otherwise.
	e := strconv.FormatFloat(f, 'e', -1, 64) // e.g. -1.5e+16
	neg := false
	if e[0] == '-' {
		neg = true
		e = e[1:]
	}
	mant, expStr, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expStr)
	if neg {
		dst = append(dst, '-')
	}
	if exp < -4 || exp >= 16 {
		dst = append(dst, digits[0])
		if len(digits) > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	}
	if exp < 0 {
		dst = append(dst, "0."...)
		dst = append(dst, strings.Repeat("0", -exp-1)...)
		return append(dst, digits...)
	}
	if len(digits) <= exp+1 {
		dst = append(dst, digits...)
		dst = append(dst, strings.Repeat("0", exp+1-len(digits))...)
		return append(dst, ".0"...)
	}
	dst = append(dst, digits[:exp+1]...)
	dst = append(dst, '.')
	return append(dst, digits[exp+1:]...)
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string with Python's ensure_ascii
// escaping. Surrogate code points stored WTF-8 style (ED A0..BF xx) are
// re-emitted as \udXXX, the way Python writes back a lone surrogate.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		// Copy the longest run of bytes that need no escaping at once:
		// most of an AWS event is plain ASCII.
		if j := plainRun(s, i); j > i {
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				dst = append(dst, '\\', '"')
			case c == '\\':
				dst = append(dst, '\\', '\\')
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c == '\b':
				dst = append(dst, '\\', 'b')
			case c == '\f':
				dst = append(dst, '\\', 'f')
			case c < 0x20 || c == 0x7f:
				dst = appendU(dst, rune(c))
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		if c == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2] >= 0x80 && s[i+2] <= 0xBF {
			r := rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
			dst = appendU(dst, r)
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// Not reachable for decoded input (invalid UTF-8 is a parse
			// error upstream); escape the byte rather than emit garbage.
			dst = appendU(dst, rune(c))
			i++
			continue
		}
		if r > 0xFFFF {
			r -= 0x10000
			dst = appendU(dst, 0xD800+(r>>10))
			dst = appendU(dst, 0xDC00+(r&0x3FF))
		} else {
			dst = appendU(dst, r)
		}
		i += size
	}
	return append(dst, '"')
}

// plainRun returns the end of the run of printable ASCII other than '"'
// and '\\' starting at i.
func plainRun(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			break
		}
		i++
	}
	return i
}

func appendU(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}
