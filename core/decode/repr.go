package decode

import (
	"strings"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

func reprStr(s string) string { return pyjson.ReprString(s) }

// reprEvent returns Python's repr of a parsed CSV row (a dict of str, None
// and lists of str), as the ALB parser logs it. The rest key holds what
// Python keys by None.
func reprEvent(o *pyjson.Object) string {
	var b strings.Builder
	writeRepr(&b, o, true)
	return b.String()
}

func writeRepr(b *strings.Builder, v pyjson.Value, top bool) {
	switch t := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if t {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case string:
		b.WriteString(reprStr(t))
	case pyjson.Number:
		b.WriteString(t.Repr())
	case []pyjson.Value:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e, false)
		}
		b.WriteByte(']')
	case *pyjson.Object:
		b.WriteByte('{')
		for i, k := range t.Keys() {
			if i > 0 {
				b.WriteString(", ")
			}
			if top && k == RestKey {
				b.WriteString("None")
			} else {
				b.WriteString(reprStr(k))
			}
			b.WriteString(": ")
			val, _ := t.Get(k)
			writeRepr(b, val, false)
		}
		b.WriteByte('}')
	}
}
