package subscriber

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/wazuh/aws-s3-go/core/logging"
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

// bucketEvents is AWSSubscriberBucket.obtain_logs on an object's text:
// JSON lines for .jsonl.gz keys, else concatenated JSON objects (their
// "detail" when present) with source "custom"; when the text is not JSON,
// CSV if its first line holds no digit, else one event per line.
func bucketEvents(key, text string, log logging.Logger) ([]*pyjson.Object, error) {
	var evs []*pyjson.Object
	var err error
	if strings.HasSuffix(key, ".jsonl.gz") {
		evs, err = jsonLines(text)
	} else {
		evs, err = concatenated(text)
	}
	if err == nil {
		return evs, nil
	}
	var nj *notJSON
	if !errors.As(err, &nj) {
		return nil, err
	}
	log.Debug(2, "+++ Log file does not contain JSON objects. Trying with other formats.")
	first, _, _ := strings.Cut(text, "\n")
	if !strings.ContainsFunc(strings.TrimFunc(first, isPySpace), unicode.IsDigit) {
		log.Debug(2, "+++ Log file is CSV formatted.")
		sample := first
		if len(first) < len(text) {
			sample += "\n"
		}
		d, err := sniff(sample)
		if err != nil {
			return nil, &parseError{"Error(" + pyjson.ReprString(err.Error()) + ")"}
		}
		return csvEvents(text, d)
	}
	log.Debug(2, "+++ Data in the file does not seem to be CSV. Trying with plain text.")
	for _, line := range splitLines(text) {
		o := pyjson.NewObject(2)
		o.Set("full_log", line)
		o.Set("source", "custom")
		evs = append(evs, o)
	}
	return evs, nil
}

// notJSON is the failure that sends the reference to its CSV and text
// fallbacks (JSONDecodeError, AttributeError).
type notJSON struct{ err error }

func (e *notJSON) Error() string { return e.err.Error() }

// jsonLines is _process_jsonl: each line one JSON object, kept as is.
func jsonLines(text string) ([]*pyjson.Object, error) {
	var out []*pyjson.Object
	for line := range strings.SplitAfterSeq(text, "\n") {
		if line == "" {
			break
		}
		v, err := pyjson.Unmarshal([]byte(line))
		if err != nil {
			return nil, &notJSON{err}
		}
		o, ok := v.(*pyjson.Object)
		if !ok {
			return nil, &parseError{"a JSON line is not an object"}
		}
		out = append(out, o)
	}
	return out, nil
}

// eachValue is _json_event_generator: raw_decode (no leading whitespace
// allowed), then strip whitespace before the next value.
func eachValue(text string, fn func(pyjson.Value) error) error {
	data := []byte(text)
	for pos := 0; pos < len(data); {
		d := pyjson.NewDecoderBytes(data[pos:])
		v, err := d.RawDecode()
		if err != nil {
			return &notJSON{err}
		}
		pos += int(d.InputOffset())
		rest := strings.TrimLeftFunc(string(data[pos:]), isPySpace)
		pos = len(data) - len(rest)
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// concatenated returns each object's "detail" (or the object) with source
// "custom".
func concatenated(text string) ([]*pyjson.Object, error) {
	var out []*pyjson.Object
	err := eachValue(text, func(v pyjson.Value) error {
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
		o.Set("source", "custom")
		out = append(out, o)
		return nil
	})
	return out, err
}

// securityHubFields are the members of a finding's detail the reference
// copies (_add_event_type_fields); "findings" becomes "finding", its first
// element.
var securityHubFields = []string{"findings", "actionName", "actionDescription", "insightName", "insightArn", "resultType", "insightResults"}

// securityHubEvents is AWSSecurityHubSubscriberBucket.obtain_logs:
// EventBridge events, one Wazuh event each.
func securityHubEvents(text string) ([]*pyjson.Object, error) {
	var out []*pyjson.Object
	err := eachValue(text, func(v pyjson.Value) error {
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
		out = append(out, ev)
		return nil
	})
	var nj *notJSON
	if errors.As(err, &nj) {
		return nil, &parseError{"Data in the file does not contain JSON objects."}
	}
	return out, err
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
