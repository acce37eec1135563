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

// An oversize CloudTrail event whose size is a policy of many small
// statements: the policy goes, the fields the rules match on stay, and
// the small strings elsewhere are not mangled.
func TestEncodeLargeNestedPolicy(t *testing.T) {
	bucket := "a-bucket-name-of-sixty-characters-which-is-long-0123456789ab"
	arn := "arn:aws:sts::123456789012:assumed-role/an-administrator-role-name/session-name"
	msg := trailMsg(t, func(ev *pyjson.Object) {
		var st []pyjson.Value
		for i := 0; i < 420; i++ {
			st = append(st, obj(t, `{"Sid": "Statement`+strconv.Itoa(i)+`", "Effect": "Allow",
				"Principal": {"AWS": "arn:aws:iam::123456789012:role/r`+strconv.Itoa(i)+`"},
				"Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::bucket/prefix`+strconv.Itoa(i)+`/*"],
				"Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}`))
		}
		policy := pyjson.NewObject(2)
		policy.Set("Version", "2012-10-17")
		policy.Set("Statement", st)
		rp := pyjson.NewObject(3)
		rp.Set("bucketName", bucket)
		rp.Set("policy", policy)
		rp.Set("Host", "bucket.s3.amazonaws.com")
		ev.Set("requestParameters", rp)
		ev.Set("userIdentity", obj(t, `{"type": "AssumedRole", "arn": "`+arn+`", "accountId": "123456789012"}`))
		ev.Set("sourceIPAddress", "198.51.100.7")
		ev.Set("errorCode", "AccessDenied")
		ev.Set("userAgent", "[aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/s3api.put-bucket-policy]")
	})
	data, trimmed := Encode(msg)
	if !trimmed {
		t.Fatal("not trimmed")
	}
	aws := checkTrimmed(t, data, len(pyjson.Marshal(msg)))
	rp, _ := aws["requestParameters"].(map[string]any)
	if rp["bucketName"] != bucket || rp["Host"] != "bucket.s3.amazonaws.com" {
		t.Errorf("requestParameters = %v", rp)
	}
	if _, ok := rp["policy"]; ok {
		t.Error("policy kept")
	}
	ui, _ := aws["userIdentity"].(map[string]any)
	if ui["arn"] != arn || ui["type"] != "AssumedRole" {
		t.Errorf("userIdentity = %v", ui)
	}
	for k, v := range map[string]string{"eventName": "PutObject", "eventSource": "s3.amazonaws.com",
		"sourceIPAddress": "198.51.100.7", "errorCode": "AccessDenied", "awsRegion": "us-east-1"} {
		if aws[k] != v {
			t.Errorf("%s = %v, want %s", k, aws[k], v)
		}
	}
	if ua, _ := aws["userAgent"].(string); strings.HasSuffix(ua, TruncatedSuffix) {
		t.Errorf("userAgent cut: %s", ua)
	}
	names, _ := aws[KeyDroppedFields].([]any)
	if len(names) != 1 || names[0] != "requestParameters.policy" || aws[KeyDroppedCount] != float64(1) {
		t.Errorf("dropped %v (%v)", names, aws[KeyDroppedCount])
	}
}

// Protected paths cross arrays: GuardDuty's port probe details keep the
// address and port the rules print while their other members go.
func TestEncodeProtectedInArrays(t *testing.T) {
	var details []pyjson.Value
	for i := 0; i < 3; i++ {
		details = append(details, obj(t, `{"localPortDetails": {"port": 22, "portName": "SSH"},
			"remoteIpDetails": {"ipAddressV4": "203.0.113.`+strconv.Itoa(i)+`", "organization": {"asn": "1", "isp": [`+strings.Repeat("1, ", 10000)+`1]}}}`))
	}
	// Built on a CloudTrail message so that no reformatting splits the
	// details: only the protected paths are under test.
	msg := trailMsg(t, func(ev *pyjson.Object) {
		svc := obj(t, `{"serviceName": "guardduty", "action": {"actionType": "PORT_PROBE", "portProbeAction": {"blocked": false}}}`)
		a, _ := svc.Get("action")
		ppa, _ := a.(*pyjson.Object).Get("portProbeAction")
		ppa.(*pyjson.Object).Set("portProbeDetails", details)
		ev.Set("service", svc)
		ev.Set("title", "Unprotected port probed")
		ev.Set("other", strings.Repeat("o", 500))
	})
	msgs := []*pyjson.Object{msg}
	data, trimmed := Encode(msgs[0])
	if !trimmed || len(data) > MaxEvent {
		t.Fatalf("trimmed %v, %d bytes", trimmed, len(data))
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	aws := m["aws"].(map[string]any)
	if aws["title"] != "Unprotected port probed" || aws[KeyTruncated] != true || aws["other"] != strings.Repeat("o", 500) {
		t.Errorf("aws = %.300v", aws)
	}
	names, _ := aws[KeyDroppedFields].([]any)
	if len(names) == 0 || names[0] != "service.action.portProbeAction.portProbeDetails[2].remoteIpDetails.organization" {
		t.Errorf("dropped %v", names)
	}
	act := aws["service"].(map[string]any)["action"].(map[string]any)
	if act["actionType"] != "PORT_PROBE" {
		t.Errorf("action = %v", act)
	}
	for i, d := range act["portProbeAction"].(map[string]any)["portProbeDetails"].([]any) {
		d := d.(map[string]any)
		ip := d["remoteIpDetails"].(map[string]any)["ipAddressV4"]
		port := d["localPortDetails"].(map[string]any)["port"]
		if ip != "203.0.113."+strconv.Itoa(i) || port != float64(22) {
			t.Errorf("detail %d: ip %v port %v", i, ip, port)
		}
	}
}
