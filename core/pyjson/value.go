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
type Object struct {
	keys []string
	vals map[string]Value
}

// NewObject returns an empty object with room for n keys.
func NewObject(n int) *Object {
	return &Object{keys: make([]string, 0, n), vals: make(map[string]Value, n)}
}

// Len returns the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// Keys returns the keys in insertion order. The slice must not be modified.
func (o *Object) Keys() []string { return o.keys }

// Get returns the value of k and whether it is present.
func (o *Object) Get(k string) (Value, bool) {
	v, ok := o.vals[k]
	return v, ok
}

// Has reports whether k is present.
func (o *Object) Has(k string) bool {
	_, ok := o.vals[k]
	return ok
}

// Set stores v under k: in place when k exists, appended otherwise.
func (o *Object) Set(k string, v Value) {
	if o.vals == nil {
		o.vals = make(map[string]Value)
	}
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// Delete removes k, keeping the order of the other keys.
func (o *Object) Delete(k string) {
	if _, ok := o.vals[k]; !ok {
		return
	}
	delete(o.vals, k)
	for i, kk := range o.keys {
		if kk == k {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

// Clone returns a deep copy of o.
func (o *Object) Clone() *Object {
	c := NewObject(len(o.keys))
	for _, k := range o.keys {
		c.Set(k, CloneValue(o.vals[k]))
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
