package event

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/kind"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// inflate multiplies every string value by n and, with lists set, every
// list's elements too, so that small fuzz inputs reach the size policy
// with the structure the fuzzer chose.
func inflate(v pyjson.Value, n int, lists bool) pyjson.Value {
	switch t := v.(type) {
	case string:
		return strings.Repeat(t, n)
	case *pyjson.Object:
		for _, k := range t.Keys() {
			x, _ := t.Get(k)
			t.Set(k, inflate(x, n, lists))
		}
	case []pyjson.Value:
		for i := range t {
			t[i] = inflate(t[i], n, lists)
		}
		if lists {
			out := make([]pyjson.Value, 0, n*len(t))
			for range n {
				for _, x := range t {
					out = append(out, pyjson.CloneValue(x))
				}
			}
			return out
		}
	}
	return v
}

// FuzzMessages builds the messages of fuzzed events for every bucket type
// and encodes them. Messages may fail only with a *PyError; Encode must
// not modify the message and must return JSON that decodes, of at most
// MaxEvent bytes, equal to json.dumps unless it was trimmed.
//
// pad inflates the event before it is built: pad&0x7fff multiplies its
// strings (bounded to about 1 MiB), pad&0x8000 its lists too.
func FuzzMessages(f *testing.F) {
	fh, err := os.Open(filepath.Join("testdata", "seeds", "events.txt"))
	if err != nil {
		f.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		typ, doc, _ := strings.Cut(sc.Text(), "\t")
		for i, tt := range kind.Names() {
			if tt == typ || typ == "*" && (i < 5) {
				f.Add(uint8(i), uint16(0), []byte(doc))
			}
		}
		if typ == "cloudtrail" || typ == "guardduty" {
			for i, tt := range kind.Names() {
				if tt == typ {
					f.Add(uint8(i), uint16(300), []byte(doc))
					f.Add(uint8(i), uint16(0x8000|8), []byte(doc))
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		f.Fatal(err)
	}
	// Shapes that need the later trimming stages: many small values, and
	// protected fields too large to keep.
	f.Add(uint8(0), uint16(0x8000|8), []byte(`{"source":"cloudtrail","a":[[[[[[1,2]]]]]],"b":"x"}`))
	f.Add(uint8(4), uint16(0x8000|8), []byte(`{"source":"guardduty","service":{"action":{"portProbeAction":{"portProbeDetails":[{"p":[[["ab"]]]}]}}}}`))
	f.Add(uint8(2), uint16(0x8000|8), []byte(`{"eventName":[[[["abcdefgh"]]]],"eventID":"x","q":{"r":[[[0.5]]]}}`))
	f.Add(uint8(3), uint16(30000), []byte(`{"eventName":"abc","eventSource":"def","eventID":"ghi","awsRegion":"r","source":"\u00e9\ud800"}`))
	log := logging.NewScript(io.Discard, 3)
	f.Fuzz(func(t *testing.T, ti uint8, pad uint16, data []byte) {
		v, err := pyjson.Unmarshal(data)
		if err != nil {
			return
		}
		ev, ok := v.(*pyjson.Object)
		if !ok {
			return
		}
		if n := int(pad & 0x7fff); n > 1 {
			lists := pad&0x8000 != 0
			limit := 1 << 20 / (len(data) + 1)
			if lists {
				// Lists nest: n copies at every level multiply.
				limit = min(limit, 8)
			}
			ev = inflate(ev, min(n, max(limit, 1)), lists).(*pyjson.Object)
		}
		typ := kind.Names()[int(ti)%len(kind.Names())]
		b := &Builder{Type: typ, Bucket: "wazuh-fuzz", Alias: "alias", Log: log, Loc: time.UTC}
		msgs, err := b.Messages("AWSLogs/111122223333/x/file.json.gz", "111122223333", ev)
		if err != nil {
			var pe *PyError
			if !errors.As(err, &pe) {
				t.Fatalf("Messages error %T %v: not a *PyError", err, err)
			}
			if pe.Class == "" {
				t.Fatalf("PyError %q has no class", pe.Msg)
			}
			return
		}
		if len(msgs) == 0 {
			t.Fatal("Messages returned no message")
		}
		for _, m := range msgs {
			before := pyjson.Marshal(m)
			out, trimmed := AppendEncode([]byte("prefix"), m)
			if !bytes.HasPrefix(out, []byte("prefix")) {
				t.Fatal("AppendEncode lost dst")
			}
			out = out[len("prefix"):]
			if enc, tr := Encode(m); tr != trimmed || !bytes.Equal(enc, out) {
				t.Fatal("Encode and AppendEncode differ")
			}
			if after := pyjson.Marshal(m); !bytes.Equal(before, after) {
				t.Fatal("Encode modified the message")
			}
			if len(out) > MaxEvent {
				t.Fatalf("Encode returned %d bytes, more than MaxEvent", len(out))
			}
			dec, err := pyjson.Unmarshal(out)
			if err != nil {
				t.Fatalf("Encode returned invalid JSON (%v): %.300s", err, out)
			}
			if !trimmed {
				if !bytes.Equal(out, before) {
					t.Fatalf("untrimmed Encode differs from json.dumps:\n%.300s\n%.300s", out, before)
				}
				continue
			}
			if len(before) <= MaxEvent {
				t.Fatalf("trimmed an event of %d bytes", len(before))
			}
			if !strings.Contains(string(out), `"`+KeyTruncated+`": true`) {
				t.Fatalf("trimmed event has no %s marker: %.300s", KeyTruncated, out)
			}
			if o, ok := dec.(*pyjson.Object); !ok || !o.Has("integration") {
				t.Fatalf("trimmed event lost integration: %.300s", out)
			}
		}
	})
}
