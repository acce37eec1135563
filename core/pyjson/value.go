// Package pyjson holds JSON values the way Python's json module sees them:
// objects keep insertion order (a repeated key keeps its first position and
// its last value), numbers keep the text they were read from, and encoding
// reproduces json.dumps with its default separators and ensure_ascii.
//
// The Wazuh rules and the reference corpus compare events as JSON values
// produced by Python; these types exist so that no event goes through a
// float64 or a Go map on its way from an S3 object to the queue.
package pyjson

// Value is one of: nil (null), bool, Number, string, *Object, []Value.
type Value = any

// Number is a JSON number kept as its source text. Integers are emitted
// unchanged (Python ints have arbitrary precision); anything with a
// fraction or exponent is a Python float and is emitted as Python's repr.
// The special values NaN, Infinity and -Infinity are accepted as Python does.
type Number string

// Object is an ordered JSON object with Python dict semantics.
//
// Keys and values live in two parallel slices; most objects in AWS logs
// have a handful of keys, for which a linear scan beats hashing and costs
// no map allocation. A map index is built only for large objects.
type Object struct {
	keys  []string
	vals  []Value
	index map[string]int // key -> position, only when len(keys) > indexAt
}

// indexAt is the size from which an Object keeps a map index.
const indexAt = 32

// NewObject returns an empty object with room for n keys.
func NewObject(n int) *Object {
	return &Object{keys: make([]string, 0, n), vals: make([]Value, 0, n)}
}

// Len returns the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// Keys returns the keys in insertion order. The slice must not be modified.
func (o *Object) Keys() []string { return o.keys }

// find returns the position of k, or -1.
func (o *Object) find(k string) int {
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i, kk := range o.keys {
		if kk == k {
			return i
		}
	}
	return -1
}

// Get returns the value of k and whether it is present.
func (o *Object) Get(k string) (Value, bool) {
	if i := o.find(k); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// Has reports whether k is present.
func (o *Object) Has(k string) bool { return o.find(k) >= 0 }

// Set stores v under k: in place when k exists, appended otherwise.
func (o *Object) Set(k string, v Value) {
	if i := o.find(k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	switch {
	case o.index != nil:
		o.index[k] = len(o.keys) - 1
	case len(o.keys) > indexAt:
		o.index = make(map[string]int, len(o.keys)*2)
		for i, kk := range o.keys {
			o.index[kk] = i
		}
	}
}

// Delete removes k, keeping the order of the other keys.
func (o *Object) Delete(k string) {
	i := o.find(k)
	if i < 0 {
		return
	}
	o.keys = append(o.keys[:i], o.keys[i+1:]...)
	o.vals = append(o.vals[:i], o.vals[i+1:]...)
	if o.index != nil {
		delete(o.index, k)
		for j := i; j < len(o.keys); j++ {
			o.index[o.keys[j]] = j
		}
	}
}

// DeleteFunc removes the members for which del returns true, keeping the
// order of the others, in one pass.
func (o *Object) DeleteFunc(del func(k string, v Value) bool) {
	w := 0
	for i, k := range o.keys {
		if del(k, o.vals[i]) {
			continue
		}
		o.keys[w], o.vals[w] = k, o.vals[i]
		w++
	}
	clear(o.keys[w:])
	clear(o.vals[w:])
	o.keys, o.vals = o.keys[:w], o.vals[:w]
	if o.index != nil {
		clear(o.index)
		for i, k := range o.keys {
			o.index[k] = i
		}
	}
}

// Clone returns a deep copy of o.
func (o *Object) Clone() *Object {
	c := NewObject(len(o.keys))
	for i, k := range o.keys {
		c.Set(k, CloneValue(o.vals[i]))
	}
	return c
}

// CloneValue returns a deep copy of v.
func CloneValue(v Value) Value {
	switch t := v.(type) {
	case *Object:
		return t.Clone()
	case []Value:
		c := make([]Value, len(t))
		for i, e := range t {
			c[i] = CloneValue(e)
		}
		return c
	default:
		return v
	}
}

// TypeName is Python's type(v).__name__ for a value, the name the
// reference's exception messages quote.
func TypeName(v Value) string {
	switch t := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case Number:
		if t.IsFloat() {
			return "float"
		}
		return "int"
	case int, int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case *Object:
		if t == nil {
			return "NoneType"
		}
		return "dict"
	case []Value:
		return "list"
	}
	return "object"
}
