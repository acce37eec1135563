package subscriber

import (
	"errors"
	"fmt"
	"io"
	"unicode"

	"github.com/wazuh/aws-s3-go/core/decode"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// errSkipMessage marks content the reference rejected with a KeyError,
// which its queue loop took for a malformed notification: the message is
// left in the queue and the run goes on.
var errSkipMessage = errors.New("subscriber: message does not contain the expected format")

// parseError is a parse failure of one object's content; msg says what
// was wrong, without the key.
type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }

// notJSON is the failure that sends the reference to its CSV and text
// fallbacks (JSONDecodeError, AttributeError).
type notJSON struct{ err error }

func (e *notJSON) Error() string { return e.err.Error() }

// jsonLines is _process_jsonl: each line one JSON object, kept as is.
func jsonLines(t io.Reader, lim decode.Limits, emit func(*pyjson.Object) error) error {
	return eachLine(t, lim.MaxLineBytes, func(_ int64, line []byte) error {
		d := pyjson.NewDecoderBytes(line)
		d.Limits = lim.JSON()
		v, err := d.Load()
		if err != nil {
			return jsonError(err)
		}
		o, ok := v.(*pyjson.Object)
		if !ok {
			return &parseError{"a JSON line is not an object"}
		}
		return emit(o)
	})
}

// eachValue is _json_event_generator: raw_decode (no leading whitespace
// allowed), then strip whitespace before the next value. Whitespace is
// skipped as it streams by; each value is bounded by lim.
func eachValue(t io.Reader, lim decode.Limits, fn func(pyjson.Value) error) error {
	d := pyjson.NewDecoder(t)
	d.Limits = lim.JSON()
	if _, ok, err := d.Peek(); err != nil || !ok {
		return err // an empty text holds no value, and is JSON
	}
	for {
		d.SetOrigin() // errors count from the value, as raw_decode(data[pos:])
		v, err := d.RawDecode()
		if err != nil {
			return jsonError(err)
		}
		if err := fn(v); err != nil {
			return err
		}
		more, err := skipPySpace(d)
		if err != nil || !more {
			return err
		}
	}
}

// skipPySpace skips the ASCII characters str.strip removes and reports
// whether anything remains. (Unicode spaces between values are not
// skipped: the value after them fails to decode.)
func skipPySpace(d *pyjson.Decoder) (bool, error) {
	for {
		more, err := d.SkipSpace()
		if err != nil || !more {
			return more, err
		}
		c, ok, err := d.Peek()
		if err != nil || !ok {
			return ok, err
		}
		if c >= 0x80 || !isPySpace(rune(c)) {
			return true, nil
		}
		d.Discard(1)
	}
}

// source is the "source" of every event of the buckets subscriber, as the
// reference sets it (its custom bucket type's).
const source = "custom"

// concatenated emits each object's "detail" (or the object) with source
// "custom".
func concatenated(t io.Reader, lim decode.Limits, emit func(*pyjson.Object) error) error {
	return eachValue(t, lim, func(v pyjson.Value) error {
		o, ok := v.(*pyjson.Object)
		if !ok {
			// event.get on a non-dict: AttributeError.
			return &notJSON{fmt.Errorf("'%s' object has no attribute 'get'", pyjson.TypeName(v))}
		}
		if d, ok := o.Get("detail"); ok {
			if o, ok = d.(*pyjson.Object); !ok {
				return &parseError{fmt.Sprintf("a \"detail\" member is a %s, not an object", pyjson.TypeName(d))}
			}
		}
		o.Set("source", source)
		return emit(o)
	})
}

// securityHubFields are the members of a finding's detail the reference
// copies (_add_event_type_fields); "findings" becomes "finding", its first
// element.
var securityHubFields = []string{"findings", "actionName", "actionDescription", "insightName", "insightArn", "resultType", "insightResults"}

// securityHubEvents is AWSSecurityHubSubscriberBucket.obtain_logs:
// EventBridge events, one Wazuh event each.
func securityHubEvents(t io.Reader, lim decode.Limits, emit func(*pyjson.Object) error) error {
	err := eachValue(t, lim, func(v pyjson.Value) error {
		o, ok := v.(*pyjson.Object)
		if !ok {
			return &parseError{fmt.Sprintf("a %s where an EventBridge event was expected", pyjson.TypeName(v))}
		}
		detail, ok1 := o.Get("detail")
		dtype, ok2 := o.Get("detail-type")
		if !ok1 || !ok2 {
			return errSkipMessage
		}
		ev := pyjson.NewObject(4)
		ev.Set("source", "securityhub")
		ev.Set("detail_type", dtype)
		d, ok := detail.(*pyjson.Object)
		if !ok {
			return &parseError{fmt.Sprintf("a \"detail\" member is a %s, not an object", pyjson.TypeName(detail))}
		}
		for _, k := range securityHubFields {
			val, ok := d.Get(k)
			if !ok {
				continue
			}
			if k == "findings" {
				list, ok := val.([]pyjson.Value)
				if !ok || len(list) == 0 {
					return &parseError{"\"findings\" is not a non-empty array"}
				}
				k, val = "finding", list[0]
			}
			if !ev.Has(k) {
				ev.Set(k, val)
			}
		}
		return emit(ev)
	})
	var nj *notJSON
	if errors.As(err, &nj) {
		return &parseError{"Data in the file does not contain JSON objects."}
	}
	return err
}

// isPySpace is str.isspace for one character.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// splitLines is str.splitlines on text whose newlines are already '\n'.
func splitLines(text string) []string {
	var out []string
	start := 0
	for i, r := range text {
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			out = append(out, text[start:i])
			start = i + len(string(r))
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// pruneNone is _remove_none_fields: null members are removed through
// nested objects, not inside arrays.
func pruneNone(o *pyjson.Object) {
	var drop []string
	for _, k := range o.Keys() {
		v, _ := o.Get(k)
		switch t := v.(type) {
		case nil:
			drop = append(drop, k)
		case *pyjson.Object:
			pruneNone(t)
		}
	}
	for _, k := range drop {
		o.Delete(k)
	}
}

// message is the reference's envelope: log_info first, then the event's
// members (a "log_info" member of the event replaces it in place).
func message(bucket, key string, ev *pyjson.Object) *pyjson.Object {
	info := pyjson.NewObject(2)
	info.Set("log_file", key)
	info.Set("s3bucket", bucket)
	aws := pyjson.NewObject(ev.Len() + 1)
	aws.Set("log_info", info)
	for _, k := range ev.Keys() {
		v, _ := ev.Get(k)
		aws.Set(k, v)
	}
	m := pyjson.NewObject(2)
	m.Set("integration", "aws")
	m.Set("aws", aws)
	return m
}

// repr is Python's repr of a decoded message for the debug lines.
func repr(v pyjson.Value) string { return pyjson.Repr(v) }
