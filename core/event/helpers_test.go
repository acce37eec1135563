package event

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// parseValue decodes one JSON document into pyjson values, keeping key
// order and number text (a test stand-in for core/decode).
func parseValue(s string) (pyjson.Value, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := parseNext(dec)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

func parseNext(dec *json.Decoder) (pyjson.Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := pyjson.NewObject(8)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := parseNext(dec)
				if err != nil {
					return nil, err
				}
				o.Set(kt.(string), v)
			}
			_, err := dec.Token()
			return o, err
		case '[':
			l := []pyjson.Value{}
			for dec.More() {
				v, err := parseNext(dec)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := dec.Token()
			return l, err
		}
	case json.Number:
		return pyjson.Number(t), nil
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func obj(t testing.TB, s string) *pyjson.Object {
	t.Helper()
	v, err := parseValue(s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	o, ok := v.(*pyjson.Object)
	if !ok {
		t.Fatalf("parse %s: not an object", s)
	}
	return o
}

// recLog records log lines as the script would print them.
type recLog struct {
	mu    sync.Mutex
	level int
	lines []string
}

func (r *recLog) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
}
func (r *recLog) Debug(lvl int, msg string) {
	if lvl <= r.level {
		r.add(fmt.Sprintf("DEBUG%d: %s", lvl, msg))
	}
}
func (r *recLog) Info(msg string)      { r.add("INFO: " + msg) }
func (r *recLog) Warning(msg string)   { r.add("WARNING: " + msg) }
func (r *recLog) Error(msg string)     { r.add("ERROR: " + msg) }
func (r *recLog) Print(msg string)     { r.add(msg) }
func (r *recLog) Enabled(lvl int) bool { return lvl <= r.level }

func (r *recLog) text() string { return strings.Join(r.lines, "\n") }

func mustMessages(t *testing.T, b *Builder, key, account string, ev *pyjson.Object) []*pyjson.Object {
	t.Helper()
	msgs, err := b.Messages(key, account, ev)
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	return msgs
}

func datagram(msg *pyjson.Object) string {
	data, _ := Encode(msg)
	return Header + string(data)
}

func encoded(v pyjson.Value) string { return string(pyjson.Marshal(v)) }
