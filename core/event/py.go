package event

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// PyError is an exception the reference script raised while reformatting an
// event. The script does not catch these: it prints
// "ERROR: Unexpected error querying/working with objects in S3: <str(e)>"
// and exits 7 (reference-wodle.md §5.3), so Error returns exactly Python's
// str(e) for the caller to embed.
type PyError struct {
	Class string // Python exception class, e.g. "TypeError"
	Msg   string // str(e) as Python 3.11 prints it
}

func (e *PyError) Error() string { return e.Msg }

func typeErr(msg string) error { return &PyError{Class: "TypeError", Msg: msg} }

// keyErr mirrors str(KeyError(k)), which is repr(k).
func keyErr(k pyjson.Value) error { return &PyError{Class: "KeyError", Msg: pyjson.Repr(k)} }

func isKeyErr(err error) bool {
	e, ok := err.(*PyError)
	return ok && e.Class == "KeyError"
}

func isDict(v pyjson.Value) (*pyjson.Object, bool) {
	o, ok := v.(*pyjson.Object)
	return o, ok && o != nil
}

// pyContains is Python's `item in c` for a str item.
func pyContains(c pyjson.Value, item string) (bool, error) {
	switch t := c.(type) {
	case *pyjson.Object:
		if t != nil {
			return t.Has(item), nil
		}
	case []pyjson.Value:
		for _, e := range t {
			if s, ok := e.(string); ok && s == item {
				return true, nil
			}
		}
		return false, nil
	case string:
		return strings.Contains(t, item), nil
	}
	return false, typeErr("argument of type '" + pyjson.TypeName(c) + "' is not iterable")
}

// pyIndex is Python's c[k].
func pyIndex(c pyjson.Value, k pyjson.Value) (pyjson.Value, error) {
	switch t := c.(type) {
	case *pyjson.Object:
		if t == nil {
			break
		}
		switch ks := k.(type) {
		case string:
			v, ok := t.Get(ks)
			if !ok {
				return nil, keyErr(k)
			}
			return v, nil
		case *pyjson.Object, []pyjson.Value:
			return nil, typeErr("unhashable type: '" + pyjson.TypeName(k) + "'")
		}
		// JSON object keys are strings; no number, bool or None equals one.
		return nil, keyErr(k)
	case []pyjson.Value:
		i, err := listIndex(len(t), k)
		if err != nil {
			return nil, err
		}
		return t[i], nil
	case string:
		n, ok := pyInt(k)
		if !ok {
			return nil, typeErr("string indices must be integers, not '" + pyjson.TypeName(k) + "'")
		}
		chars := pyChars(t)
		if n < 0 {
			n += len(chars)
		}
		if n < 0 || n >= len(chars) {
			return nil, &PyError{Class: "IndexError", Msg: "string index out of range"}
		}
		return chars[n], nil
	}
	return nil, typeErr("'" + pyjson.TypeName(c) + "' object is not subscriptable")
}

// pySetItem is Python's c[k] = v.
func pySetItem(c pyjson.Value, k pyjson.Value, v pyjson.Value) error {
	switch t := c.(type) {
	case *pyjson.Object:
		if t == nil {
			break
		}
		ks, ok := k.(string)
		if !ok {
			// Only reachable with keys taken from iterating the same
			// object, which are strings; refuse rather than invent a key.
			return typeErr("unhashable type: '" + pyjson.TypeName(k) + "'")
		}
		t.Set(ks, v)
		return nil
	case []pyjson.Value:
		i, err := listIndex(len(t), k)
		if err != nil {
			if e, ok := err.(*PyError); ok && e.Class == "IndexError" {
				e.Msg = "list assignment index out of range"
			}
			return err
		}
		t[i] = v
		return nil
	}
	return typeErr("'" + pyjson.TypeName(c) + "' object does not support item assignment")
}

func listIndex(n int, k pyjson.Value) (int, error) {
	i, ok := pyInt(k)
	if !ok {
		return 0, typeErr("list indices must be integers or slices, not " + pyjson.TypeName(k))
	}
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return 0, &PyError{Class: "IndexError", Msg: "list index out of range"}
	}
	return i, nil
}

// pyInt converts a Python int (or bool) to an index. Huge integers map to
// an out-of-range index.
func pyInt(k pyjson.Value) (int, bool) {
	switch t := k.(type) {
	case bool:
		if t {
			return 1, true
		}
		return 0, true
	case int:
		return t, true
	case int64:
		return int(t), true
	case pyjson.Number:
		if t.IsFloat() {
			return 0, false
		}
		n, err := strconv.Atoi(string(t))
		if err != nil {
			if strings.HasPrefix(string(t), "-") {
				return math.MinInt32, true
			}
			return math.MaxInt32, true
		}
		return n, true
	}
	return 0, false
}

// pyLen is Python's len(v).
func pyLen(v pyjson.Value) (int, error) {
	switch t := v.(type) {
	case *pyjson.Object:
		if t != nil {
			return t.Len(), nil
		}
	case []pyjson.Value:
		return len(t), nil
	case string:
		return len(pyChars(t)), nil
	}
	return 0, typeErr("object of type '" + pyjson.TypeName(v) + "' has no len()")
}

// pyIter returns what `for x in v` visits. Lists are returned as is so that
// element assignments during the loop are seen, as in Python.
func pyIter(v pyjson.Value) ([]pyjson.Value, error) {
	switch t := v.(type) {
	case *pyjson.Object:
		if t == nil {
			break
		}
		keys := make([]pyjson.Value, t.Len())
		for i, k := range t.Keys() {
			keys[i] = k
		}
		return keys, nil
	case []pyjson.Value:
		return t, nil
	case string:
		return pyChars(t), nil
	}
	return nil, typeErr("'" + pyjson.TypeName(v) + "' object is not iterable")
}

// pyChars splits s into Python code points. Lone surrogates, which the
// decoder stores WTF-8 style (ED A0..BF xx), are one code point each.
func pyChars(s string) []pyjson.Value {
	out := make([]pyjson.Value, 0, len(s))
	for i := 0; i < len(s); {
		n := charLen(s, i)
		out = append(out, s[i:i+n])
		i += n
	}
	return out
}

func charLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	if pyjson.IsSurrogateAt(s, i) {
		return 3
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

// pyStr is Python's str(v).
func pyStr(v pyjson.Value) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyjson.Repr(v)
}

// pyFloat is Python's float(v) for an int, float or bool.
func pyFloat(v pyjson.Value) (pyjson.Number, error) {
	switch t := v.(type) {
	case bool:
		if t {
			return "1.0", nil
		}
		return "0.0", nil
	case pyjson.Number:
		if t.IsFloat() {
			return t, nil
		}
		f := t.Float()
		if math.IsInf(f, 0) {
			return "", &PyError{Class: "OverflowError", Msg: "int too large to convert to float"}
		}
		return pyjson.FloatNumber(f), nil
	case int:
		return pyjson.FloatNumber(float64(t)), nil
	case int64:
		return pyjson.FloatNumber(float64(t)), nil
	case float64:
		return pyjson.FloatNumber(t), nil
	}
	return "", typeErr("float() argument must be a string or a real number, not '" + pyjson.TypeName(v) + "'")
}

func isNumber(v pyjson.Value) bool {
	switch v.(type) {
	case bool, pyjson.Number, int, int64, float64:
		return true
	}
	return false
}
