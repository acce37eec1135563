package pyjson

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The reference prints Python reprs in its log lines and exception texts
// (KeyError('x'), "Could not reformat event {...}", argparse messages), so
// this is the one implementation of repr every package uses.

// Repr returns Python's repr(v) for a value of this package (or a Go int,
// int64 or float64): dicts and lists with their strings quoted as by
// ReprString, True/False/None, and floats as Python prints them (inf, nan,
// not json.dumps' Infinity and NaN).
func Repr(v Value) string {
	return string(AppendRepr(nil, v))
}

// AppendRepr appends Repr(v) to dst.
func AppendRepr(dst []byte, v Value) []byte {
	switch t := v.(type) {
	case nil:
		return append(dst, "None"...)
	case bool:
		if t {
			return append(dst, "True"...)
		}
		return append(dst, "False"...)
	case Number:
		if !t.IsFloat() {
			return appendNumber(dst, t)
		}
		return appendFloatRepr(dst, t.Float())
	case int:
		return strconv.AppendInt(dst, int64(t), 10)
	case int64:
		return strconv.AppendInt(dst, t, 10)
	case float64:
		return appendFloatRepr(dst, t)
	case string:
		return AppendReprString(dst, t)
	case *Object:
		if t == nil {
			return append(dst, "None"...)
		}
		dst = append(dst, '{')
		for i, k := range t.keys {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendReprString(dst, k)
			dst = append(dst, ": "...)
			dst = AppendRepr(dst, t.vals[i])
		}
		return append(dst, '}')
	case []Value:
		dst = append(dst, '[')
		for i, e := range t {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendRepr(dst, e)
		}
		return append(dst, ']')
	}
	return append(dst, "<?>"...)
}

func appendFloatRepr(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	return AppendFloat(dst, f)
}

// ReprString returns Python's repr of a str, as CPython's unicode_repr
// writes it: single quotes unless the text contains a single quote and no
// double quote; the backslash and the chosen quote escaped; \t, \n, \r;
// other non-printable characters (str.isprintable, which is Go's
// unicode.IsPrint) as \xhh up to U+00FF, \uhhhh up to U+FFFF, \Uhhhhhhhh
// beyond. A lone surrogate, stored WTF-8 style (ED A0..BF xx) as the
// decoder and SurrogateEscape leave it, prints as \udxxx. Any other byte
// that is not UTF-8 cannot come from Python text and prints as \xhh.
func ReprString(s string) string {
	return string(AppendReprString(make([]byte, 0, len(s)+2), s))
}

// AppendReprString appends ReprString(s) to dst.
func AppendReprString(dst []byte, s string) []byte {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	dst = append(dst, quote)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			dst = appendByteRepr(dst, c, quote)
			i++
			continue
		}
		if IsSurrogateAt(s, i) {
			r := rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
			dst = appendEsc(dst, 'u', r, 4)
			i += 3
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = appendEsc(dst, 'x', rune(c), 2)
		case unicode.IsPrint(r):
			dst = append(dst, s[i:i+n]...)
		case r <= 0xFF:
			dst = appendEsc(dst, 'x', r, 2)
		case r <= 0xFFFF:
			dst = appendEsc(dst, 'u', r, 4)
		default:
			dst = appendEsc(dst, 'U', r, 8)
		}
		i += n
	}
	return append(dst, quote)
}

// IsSurrogateAt reports whether s holds, at i, a lone surrogate code point
// in its 3-byte generalised UTF-8 form (how this package stores \udxxx).
func IsSurrogateAt(s string, i int) bool {
	return s[i] == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2] >= 0x80 && s[i+2] <= 0xBF
}

// SurrogateEscape returns s as Python decodes bytes with
// errors='surrogateescape' (how it decodes sys.argv and file names): each
// byte that is not part of valid UTF-8 becomes the lone surrogate
// U+DC80+byte, stored WTF-8 style so that ReprString prints it as \udcxx.
func SurrogateEscape(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = appendWTF8(b, 0xDC00|rune(s[i]))
			i++
			continue
		}
		b = append(b, s[i:i+n]...)
		i += n
	}
	return string(b)
}

// ReprBytes returns Python's repr of a bytes object: b'...' with the same
// quote choice as ReprString and every byte outside printable ASCII as \xhh.
func ReprBytes(b []byte) string {
	quote := byte('\'')
	if bytes.IndexByte(b, '\'') >= 0 && bytes.IndexByte(b, '"') < 0 {
		quote = '"'
	}
	dst := make([]byte, 0, len(b)+3)
	dst = append(dst, 'b', quote)
	for _, c := range b {
		dst = appendByteRepr(dst, c, quote)
	}
	return string(append(dst, quote))
}

// appendByteRepr appends byte c as Python prints it inside a str or bytes
// repr quoted with quote. Bytes from 0x7f up print as \xhh; a str passes
// only its ASCII bytes here.
func appendByteRepr(dst []byte, c, quote byte) []byte {
	switch {
	case c == quote || c == '\\':
		return append(dst, '\\', c)
	case c == '\t':
		return append(dst, '\\', 't')
	case c == '\n':
		return append(dst, '\\', 'n')
	case c == '\r':
		return append(dst, '\\', 'r')
	case c < ' ' || c >= 0x7f:
		return appendEsc(dst, 'x', rune(c), 2)
	}
	return append(dst, c)
}

func appendEsc(dst []byte, kind byte, r rune, width int) []byte {
	dst = append(dst, '\\', kind)
	for shift := (width - 1) * 4; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(r>>uint(shift))&0xF])
	}
	return dst
}
