package event

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

func trailMsg(t testing.TB, extra func(aws *pyjson.Object)) *pyjson.Object {
	b := &Builder{Type: "cloudtrail", Bucket: "bk"}
	ev := obj(t, `{"eventVersion": "1.08", "eventName": "PutObject", "eventSource": "s3.amazonaws.com", "eventID": "e-1", "awsRegion": "us-east-1", "source": "cloudtrail"}`)
	extra(ev)
	msgs, err := b.Messages("AWSLogs/1/k.json.gz", "123456789012", ev)
	if err != nil {
		t.Fatal(err)
	}
	return msgs[0]
}

// checkTrimmed verifies the invariants of a trimmed encoding and returns
// the decoded "aws" object.
func checkTrimmed(t *testing.T, data []byte, origSize int) map[string]any {
	t.Helper()
	if len(data) > MaxEvent {
		t.Fatalf("%d bytes > MaxEvent", len(data))
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("not valid JSON: %v", err)
	}
	if m["integration"] != "aws" {
		t.Errorf("integration = %v", m["integration"])
	}
	aws := m["aws"].(map[string]any)
	if aws[KeyTruncated] != true {
		t.Errorf("%s = %v", KeyTruncated, aws[KeyTruncated])
	}
	if aws[KeyOriginalSize] != float64(origSize) {
		t.Errorf("%s = %v, want %d", KeyOriginalSize, aws[KeyOriginalSize], origSize)
	}
	li := aws["log_info"].(map[string]any)
	if li["s3bucket"] != "bk" || li["log_file"] != "AWSLogs/1/k.json.gz" {
		t.Errorf("log_info = %v", li)
	}
	return aws
}

func TestEncodeFits(t *testing.T) {
	msg := trailMsg(t, func(ev *pyjson.Object) { ev.Set("x", strings.Repeat("a", 1000)) })
	data, trimmed := Encode(msg)
	if trimmed || string(data) != string(pyjson.Marshal(msg)) {
		t.Errorf("trimmed=%v or encoding differs from Marshal", trimmed)
	}
}

func TestEncodeBoundary(t *testing.T) {
	base := len(pyjson.Marshal(trailMsg(t, func(ev *pyjson.Object) { ev.Set("x", "") })))
	for _, extra := range []int{0, 1} {
		n := MaxEvent - base + extra
		msg := trailMsg(t, func(ev *pyjson.Object) { ev.Set("x", strings.Repeat("a", n)) })
		data, trimmed := Encode(msg)
		if trimmed != (extra == 1) || len(data) > MaxEvent {
			t.Errorf("extra %d: trimmed=%v len=%d", extra, trimmed, len(data))
		}
	}
}

func TestEncodeLongString(t *testing.T) {
	msg := trailMsg(t, func(ev *pyjson.Object) {
		ev.Set("requestParameters", valueObj("policy", strings.Repeat("p", 100000)))
		ev.Set("small", "keep me")
	})
	orig := string(pyjson.Marshal(msg))
	data, trimmed := Encode(msg)
	if !trimmed {
		t.Fatal("not trimmed")
	}
	if string(pyjson.Marshal(msg)) != orig {
		t.Error("Encode modified its argument")
	}
	aws := checkTrimmed(t, data, len(orig))
	p := aws["requestParameters"].(map[string]any)["policy"].(string)
	if !strings.HasSuffix(p, TruncatedSuffix) || !strings.HasPrefix(p, "ppp") || len(p) < 60000 {
		t.Errorf("policy cut badly: %d bytes", len(p))
	}
	for k, v := range map[string]string{"small": "keep me", "eventName": "PutObject", "eventSource": "s3.amazonaws.com", "source": "cloudtrail", "aws_account_id": "123456789012"} {
		if aws[k] != v {
			t.Errorf("%s = %v", k, aws[k])
		}
	}
	// Deterministic.
	again, _ := Encode(msg)
	if string(again) != string(data) {
		t.Error("two encodings differ")
	}
}

func TestEncodeSeveralLongStrings(t *testing.T) {
	msg := trailMsg(t, func(ev *pyjson.Object) {
		ev.Set("a", strings.Repeat("a", 50000))
		ev.Set("b", strings.Repeat("b", 40000))
		ev.Set("c", strings.Repeat("c", 1000))
	})
	data, trimmed := Encode(msg)
	aws := checkTrimmed(t, data, len(pyjson.Marshal(msg)))
	if !trimmed {
		t.Fatal("not trimmed")
	}
	a, b := aws["a"].(string), aws["b"].(string)
	// The two long ones are cut to the same length; the short one stays.
	if len(a) != len(b) || !strings.HasSuffix(a, TruncatedSuffix) || aws["c"] != strings.Repeat("c", 1000) {
		t.Errorf("a %d, b %d, c %d", len(a), len(b), len(aws["c"].(string)))
	}
}

func TestEncodeNonASCII(t *testing.T) {
	// "é" takes 2 bytes in UTF-8 and 6 once escaped; "😀" 4 and 12.
	msg := trailMsg(t, func(ev *pyjson.Object) {
		ev.Set("u", strings.Repeat("é", 30000)+strings.Repeat("😀", 3000))
	})
	data, trimmed := Encode(msg)
	if !trimmed {
		t.Fatal("not trimmed")
	}
	aws := checkTrimmed(t, data, len(pyjson.Marshal(msg)))
	u := aws["u"].(string)
	if !strings.HasSuffix(u, TruncatedSuffix) || !strings.HasPrefix(u, "ééé") || strings.ContainsRune(u, '\uFFFD') {
		t.Errorf("bad cut: %q...", u[:20])
	}
	if len(data) < MaxEvent-12 {
		t.Errorf("cut far more than needed: %d bytes", len(data))
	}
}

func TestEncodeManyKeys(t *testing.T) {
	msg := trailMsg(t, func(ev *pyjson.Object) {
		for i := 0; i < 100000; i++ {
			ev.Set("k"+strconv.Itoa(i), pyjson.Number("1"))
		}
	})
	data, trimmed := Encode(msg)
	if !trimmed {
		t.Fatal("not trimmed")
	}
	aws := checkTrimmed(t, data, len(pyjson.Marshal(msg)))
	n, _ := aws[KeyDroppedCount].(float64)
	names, _ := aws[KeyDroppedFields].([]any)
	if n < 90000 || len(names) == 0 || len(names) >= int(n) {
		t.Errorf("dropped %v, listed %d", n, len(names))
	}
	// Later members go first among equals, so the first ones survive.
	if aws["k0"] != float64(1) || aws["eventName"] != "PutObject" {
		t.Errorf("k0 = %v, eventName = %v", aws["k0"], aws["eventName"])
	}
}

func TestEncodeDeepNesting(t *testing.T) {
	msg := trailMsg(t, func(ev *pyjson.Object) {
		var v pyjson.Value = "leaf"
		for i := 0; i < 40000; i++ {
			v = []pyjson.Value{v}
		}
		ev.Set("deep", v)
		ev.Set("kept", "yes")
	})
	data, trimmed := Encode(msg)
	if !trimmed {
		t.Fatal("not trimmed")
	}
	aws := checkTrimmed(t, data, len(pyjson.Marshal(msg)))
	if _, ok := aws["deep"]; ok || aws["kept"] != "yes" {
		t.Errorf("deep kept or kept dropped: %v", aws[KeyDroppedFields])
	}
	if names := aws[KeyDroppedFields].([]any); len(names) != 1 || names[0] != "deep" {
		t.Errorf("dropped fields %v", names)
	}
}

func TestEncodeHugeProtected(t *testing.T) {
	// Protected members are shortened only as a last step.
	msg := trailMsg(t, func(ev *pyjson.Object) { ev.Set("eventName", strings.Repeat("n", 70000)) })
	data, _ := Encode(msg)
	aws := checkTrimmed(t, data, len(pyjson.Marshal(msg)))
	if !strings.HasSuffix(aws["eventName"].(string), TruncatedSuffix) {
		t.Error("eventName not cut")
	}

	// A huge non-string identifying member leaves only the last resort.
	msg = trailMsg(t, func(ev *pyjson.Object) {
		l := make([]pyjson.Value, 40000)
		for i := range l {
			l[i] = pyjson.Number("12")
		}
		ev.Set("eventName", l)
	})
	data, _ = Encode(msg)
	aws = checkTrimmed(t, data, len(pyjson.Marshal(msg)))
	if _, ok := aws["eventName"]; ok {
		t.Error("eventName kept")
	}

	// Error messages: the error text is cut, the envelope kept.
	b := &Builder{Type: "cloudtrail", Bucket: "bk"}
	em := b.ErrorMessage("AWSLogs/1/k.json.gz", "123456789012", strings.Repeat("e", 80000))
	data, trimmed := Encode(em)
	if !trimmed {
		t.Fatal("not trimmed")
	}
	checkTrimmed(t, data, len(pyjson.Marshal(em)))
}

func TestTruncateTo(t *testing.T) {
	for _, s := range []string{strings.Repeat("a\"\\\n\x01", 50), strings.Repeat("é😀\xed\xa0\x80x", 40)} {
		for budget := minStringBudget; budget < 120; budget++ {
			out := truncateTo(s, budget)
			if n := len(pyjson.AppendString(nil, out)); n > budget {
				t.Fatalf("budget %d: encoded %d", budget, n)
			}
			if encodedLen(out) != len(pyjson.AppendString(nil, out)) {
				t.Fatalf("encodedLen disagrees with AppendString for %q", out)
			}
		}
	}
}

// TestEncodeRandom checks the size guarantee on assorted large shapes,
// including messages without an "aws" object.
func TestEncodeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "é", "😀", "\"", "\x01", "\xed\xa0\x80", "z"}
	budget := 0 // nodes left for the current message
	var gen func(depth int) pyjson.Value
	gen = func(depth int) pyjson.Value {
		budget--
		switch k := rng.IntN(6); {
		case depth > 6 || budget <= 0 || k == 0:
			var sb strings.Builder
			n := rng.IntN(1000)
			for i := 0; i < n; i++ {
				sb.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			return sb.String()
		case k == 1:
			return pyjson.Number(strconv.Itoa(rng.IntN(1e6)))
		case k <= 3:
			l := make([]pyjson.Value, rng.IntN(40))
			for i := range l {
				l[i] = gen(depth + 1)
			}
			return l
		default:
			o := pyjson.NewObject(0)
			for i := rng.IntN(40); i > 0; i-- {
				o.Set("k"+strconv.Itoa(rng.IntN(1000)), gen(depth+1))
			}
			return o
		}
	}
	for i := 0; i < 30; i++ {
		budget = 400
		var msg *pyjson.Object
		if i%5 == 4 {
			msg = pyjson.NewObject(3)
			msg.Set("integration", "aws")
			msg.Set("x", gen(0))
			msg.Set("y", gen(0))
		} else {
			msg = trailMsg(t, func(ev *pyjson.Object) {
				for j := 0; j < 8; j++ {
					ev.Set("f"+strconv.Itoa(j), gen(0))
				}
			})
		}
		data, trimmed := Encode(msg)
		if len(data) > MaxEvent {
			t.Fatalf("case %d: %d bytes", i, len(data))
		}
		if !json.Valid(data) {
			t.Fatalf("case %d: invalid JSON", i)
		}
		if trimmed != (len(pyjson.Marshal(msg)) > MaxEvent) {
			t.Fatalf("case %d: trimmed=%v", i, trimmed)
		}
		if trimmed && !strings.Contains(string(data), `"integration": "aws"`) {
			t.Fatalf("case %d: integration lost", i)
		}
	}
}
