package decode

import (
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

func reprStr(s string) string { return pyjson.ReprString(s) }

// reprEvent returns Python's repr of a parsed CSV row, as the ALB parser
// logs it. The rest key holds what Python keys by None.
func reprEvent(o *pyjson.Object) string {
	b := []byte{'{'}
	for i, k := range o.Keys() {
		if i > 0 {
			b = append(b, ", "...)
		}
		if k == RestKey {
			b = append(b, "None"...)
		} else {
			b = pyjson.AppendReprString(b, k)
		}
		b = append(b, ": "...)
		v, _ := o.Get(k)
		b = pyjson.AppendRepr(b, v)
	}
	return string(append(b, '}'))
}
