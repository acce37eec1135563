package event

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// awsPart returns the encoded "aws" member of msg without log_info.
func awsPart(msg *pyjson.Object) string {
	a, _ := msg.Get("aws")
	c := a.(*pyjson.Object).Clone()
	c.Delete("log_info")
	return encoded(c)
}

type reformatCase struct {
	name, typ, in, want string
	warnings            int // "WARNING: Could not reformat event" lines expected
}

func runCases(t *testing.T, cases []reformatCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log := &recLog{}
			b := &Builder{Type: c.typ, Bucket: "b", Log: log, Loc: time.UTC}
			msgs, err := b.Messages("k", "123456789012", obj(t, c.in))
			if err != nil {
				t.Fatalf("Messages: %v", err)
			}
			var got []string
			for _, m := range msgs {
				got = append(got, awsPart(m))
			}
			if g := strings.Join(got, "\n"); g != c.want {
				t.Errorf("got  %s\nwant %s", g, c.want)
			}
			n := strings.Count(log.text(), "WARNING: Could not reformat event ")
			if n != c.warnings {
				t.Errorf("%d warnings, want %d: %s", n, c.warnings, log.text())
			}
		})
	}
}

func TestEnvelope(t *testing.T) {
	runCases(t, []reformatCase{
		{"none removed through objects, not arrays", "vpcflow",
			`{"a": null, "b": {"c": null, "d": {"e": null, "f": 1}}, "g": [null, {"h": null}], "source": "vpc"}`,
			`{"b": {"d": {"f": 1}}, "g": [null, {"h": null}], "source": "vpc", "aws_account_id": "123456789012"}`, 0},
		{"event aws_account_id replaced in place", "cloudtrail",
			`{"aws_account_id": "x", "z": 1, "source": "cloudtrail"}`,
			`{"aws_account_id": "123456789012", "z": 1, "source": "cloudtrail"}`, 0},
		{"custom family has no account id", "nlb",
			`{"client_port": "1", "source": "nlb"}`,
			`{"client_port": "1", "source": "nlb"}`, 0},
		{"empty event", "vpcflow", `{}`, `{"aws_account_id": "123456789012"}`, 0},
	})

	// An event key log_info replaces the envelope's in place.
	b := &Builder{Type: "waf", Bucket: "b"}
	msgs := mustMessages(t, b, "k", "1", obj(t, `{"x": 1, "log_info": "mine", "source": "waf"}`))
	if got, want := encoded(msgs[0]), `{"integration": "aws", "aws": {"log_info": "mine", "x": 1, "source": "waf"}}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	if _, err := (&Builder{Type: "inspector"}).Messages("k", "1", obj(t, `{}`)); err == nil {
		t.Error("unknown type accepted")
	}
}

func TestBaseReformat(t *testing.T) {
	runCases(t, []reformatCase{
		{"flatten one-element lists, element not visited", "vpcflow",
			`{"a": ["x"], "b": {"c": [1], "d": [[2]], "e": [{"f": [3]}]}, "g": [1, 2], "h": [], "source": "vpc"}`,
			`{"a": "x", "b": {"c": 1, "d": [2], "e": {"f": [3]}}, "g": [1, 2], "h": [], "source": "vpc", "aws_account_id": "123456789012"}`, 0},
		{"flatten does not enter arrays", "vpcflow",
			`{"a": [{"b": [1]}, {"c": [2]}], "source": "vpc"}`,
			`{"a": [{"b": [1]}, {"c": [2]}], "source": "vpc", "aws_account_id": "123456789012"}`, 0},
		{"source ip with unescaped dots", "vpcflow",
			`{"sourceIPAddress": "1.2x3y4.evil", "source": "vpc"}`,
			`{"sourceIPAddress": "1.2x3y4.evil", "source": "vpc", "aws_account_id": "123456789012", "source_ip_address": "1.2x3y4.evil"}`, 0},
		{"source ip prefix match", "vpcflow",
			`{"sourceIPAddress": "1.2.3.4.evil", "source": "vpc"}`,
			`{"sourceIPAddress": "1.2.3.4.evil", "source": "vpc", "aws_account_id": "123456789012", "source_ip_address": "1.2.3.4.evil"}`, 0},
		{"source ip needs a dot after the first number", "vpcflow",
			`{"sourceIPAddress": "1x2.3.4", "source": "vpc"}`,
			`{"sourceIPAddress": "1x2.3.4", "source": "vpc", "aws_account_id": "123456789012"}`, 0},
		{"source ip dns name", "vpcflow",
			`{"sourceIPAddress": "ec2.amazonaws.com", "source": "vpc"}`,
			`{"sourceIPAddress": "ec2.amazonaws.com", "source": "vpc", "aws_account_id": "123456789012"}`, 0},
		{"source ip unicode digits", "vpcflow",
			`{"sourceIPAddress": "١.٢.٣.٤", "source": "vpc"}`,
			`{"sourceIPAddress": "\u0661.\u0662.\u0663.\u0664", "source": "vpc", "aws_account_id": "123456789012", "source_ip_address": "\u0661.\u0662.\u0663.\u0664"}`, 0},
		{"one-element source ip list flattened first", "vpcflow",
			`{"sourceIPAddress": ["10.0.0.1"], "source": "vpc"}`,
			`{"sourceIPAddress": "10.0.0.1", "source": "vpc", "aws_account_id": "123456789012", "source_ip_address": "10.0.0.1"}`, 0},
		{"tags string", "vpcflow", `{"tags": "t", "source": "vpc"}`,
			`{"tags": {"value": "t"}, "source": "vpc", "aws_account_id": "123456789012"}`, 0},
		{"tags object kept", "vpcflow", `{"tags": {"a": "b"}, "source": "vpc"}`,
			`{"tags": {"a": "b"}, "source": "vpc", "aws_account_id": "123456789012"}`, 0},
		{"tags single list flattened then wrapped", "vpcflow", `{"tags": [{"a": 1}], "source": "vpc"}`,
			`{"tags": {"a": 1}, "source": "vpc", "aws_account_id": "123456789012"}`, 0},
		{"tags [null] becomes value null", "vpcflow", `{"tags": [null], "source": "vpc"}`,
			`{"tags": {"value": null}, "source": "vpc", "aws_account_id": "123456789012"}`, 0},
	})
}

func TestSourceIPTypeError(t *testing.T) {
	for _, in := range []string{`{"sourceIPAddress": 5}`, `{"sourceIPAddress": ["a", "b"]}`, `{"sourceIPAddress": {}}`} {
		_, err := (&Builder{Type: "cloudtrail"}).Messages("k", "1", obj(t, in))
		var pe *PyError
		if !errors.As(err, &pe) || pe.Class != "TypeError" || !strings.HasPrefix(pe.Msg, "expected string or bytes-like object, got '") {
			t.Errorf("%s: err %v", in, err)
		}
	}
}

func TestCloudTrailReformat(t *testing.T) {
	const tail = `, "source": "cloudtrail", "aws_account_id": "123456789012"}`
	runCases(t, []reformatCase{
		{"dynamic fields to string", "cloudtrail",
			`{"additionalEventData": 5, "responseElements": true, "requestParameters": ["a", "b'c"], "source": "cloudtrail"}`,
			`{"additionalEventData": {"string": "5"}, "responseElements": {"string": "True"}, "requestParameters": {"string": "['a', \"b'c\"]"}` + tail, 0},
		{"float and nested list repr", "cloudtrail",
			`{"additionalEventData": 1.0, "responseElements": [[1, 2.50, null, false]], "source": "cloudtrail"}`,
			`{"additionalEventData": {"string": "1.0"}, "responseElements": {"string": "[1, 2.5, None, False]"}` + tail, 0},
		{"flattened null becomes None text", "cloudtrail",
			`{"requestParameters": [null], "source": "cloudtrail"}`,
			`{"requestParameters": {"string": "None"}` + tail, 0},
		{"objects untouched", "cloudtrail",
			`{"requestParameters": {"a": [1]}, "source": "cloudtrail"}`,
			`{"requestParameters": {"a": 1}` + tail, 0},
		{"disableApiTermination bool", "cloudtrail",
			`{"requestParameters": {"disableApiTermination": false}, "source": "cloudtrail"}`,
			`{"requestParameters": {"disableApiTermination": {"value": false}}` + tail, 0},
		{"disableApiTermination object", "cloudtrail",
			`{"requestParameters": {"disableApiTermination": {"value": true}}, "source": "cloudtrail"}`,
			`{"requestParameters": {"disableApiTermination": {"value": true}}` + tail, 0},
		{"disableApiTermination string warns", "cloudtrail",
			`{"requestParameters": {"disableApiTermination": "no"}, "source": "cloudtrail"}`,
			`{"requestParameters": {"disableApiTermination": "no"}` + tail, 1},
	})

	// The warning shows the whole message as Python's repr.
	log := &recLog{}
	b := &Builder{Type: "cloudtrail", Bucket: "bk", Log: log}
	mustMessages(t, b, "k", "123456789012", obj(t, `{"requestParameters": {"disableApiTermination": 1}, "n": 1.5, "source": "cloudtrail"}`))
	want := `WARNING: Could not reformat event {'integration': 'aws', 'aws': {'log_info': {'aws_account_alias': '', 'log_file': 'k', 's3bucket': 'bk'}, 'requestParameters': {'disableApiTermination': 1}, 'n': 1.5, 'source': 'cloudtrail', 'aws_account_id': '123456789012'}}`
	if log.text() != want {
		t.Errorf("got  %s\nwant %s", log.text(), want)
	}
}

func TestConfigReformat(t *testing.T) {
	const tail = `, "source": "config", "aws_account_id": "123456789012"}`
	runCases(t, []reformatCase{
		{"groups from string", "config",
			`{"configuration": {"securityGroups": "sg", "availabilityZones": "az"}, "source": "config"}`,
			`{"configuration": {"securityGroups": {"groupId": ["sg"]}, "availabilityZones": {"zoneName": ["az"]}}` + tail, 0},
		{"groups from list, empty lists left out", "config",
			`{"configuration": {"securityGroups": [{"x": 1}, {"y": 2}], "availabilityZones": [{"subnetId": "s1"}, {"zoneName": "z1"}, {"subnetId": "s2"}]}, "source": "config"}`,
			`{"configuration": {"securityGroups": {}, "availabilityZones": {"subnetId": ["s1", "s2"], "zoneName": ["z1"]}}` + tail, 0},
		{"groups from object", "config",
			`{"configuration": {"securityGroups": {"groupId": "a", "groupName": "b"}, "availabilityZones": [{"zoneName": "z"}]}, "source": "config"}`,
			`{"configuration": {"securityGroups": {"groupId": ["a"], "groupName": ["b"]}, "availabilityZones": {"zoneName": ["z"]}}` + tail, 0},
		{"groups of other types warn", "config",
			`{"configuration": {"securityGroups": 5, "availabilityZones": true}, "source": "config"}`,
			`{"configuration": {"securityGroups": 5, "availabilityZones": true}` + tail, 2},
		{"state and profile", "config",
			`{"configuration": {"state": "running", "iamInstanceProfile": {"arn": "a"}}, "source": "config"}`,
			`{"configuration": {"state": {"name": "running"}, "iamInstanceProfile": {"arn": "a"}}` + tail, 0},
		{"state and profile of other types warn", "config",
			`{"configuration": {"state": 1, "iamInstanceProfile": [1, 2]}, "source": "config"}`,
			`{"configuration": {"state": 1, "iamInstanceProfile": [1, 2]}` + tail, 2},
		{"createdTime numbers", "config",
			`{"configuration": {"createdTime": 1672763065}, "source": "config"}`,
			`{"configuration": {"createdTime": 1672763065.0}` + tail, 0},
		{"createdTime bool is an int", "config",
			`{"configuration": {"createdTime": true}, "source": "config"}`,
			`{"configuration": {"createdTime": 1.0}` + tail, 0},
		{"createdTime float kept", "config",
			`{"configuration": {"createdTime": 1.5e3}, "source": "config"}`,
			`{"configuration": {"createdTime": 1500.0}` + tail, 0},
		{"createdTime string in UTC", "config",
			`{"configuration": {"createdTime": "2020-06-01T05:03:03.106Z"}, "source": "config"}`,
			`{"configuration": {"createdTime": 1590987783.0}` + tail, 0},
		{"createdTime strptime leniency", "config",
			`{"configuration": {"createdTime": "2020-6- 1t5:3:3.1z"}, "source": "config"}`,
			`{"configuration": {"createdTime": 1590987783.0}` + tail, 0},
		{"createdTime bad strings warn", "config",
			`{"configuration": {"createdTime": "2020-06-01T05:03:03Z"}, "source": "config"}`,
			`{"configuration": {"createdTime": "2020-06-01T05:03:03Z"}` + tail, 1},
		{"createdTime Feb 30 warns", "config",
			`{"configuration": {"createdTime": "2021-02-30T00:00:00.0Z"}, "source": "config"}`,
			`{"configuration": {"createdTime": "2021-02-30T00:00:00.0Z"}` + tail, 1},
		{"createdTime leap second warns", "config",
			`{"configuration": {"createdTime": "2016-12-31T23:59:60.0Z"}, "source": "config"}`,
			`{"configuration": {"createdTime": "2016-12-31T23:59:60.0Z"}` + tail, 1},
		{"createdTime trailing text warns", "config",
			`{"configuration": {"createdTime": "2020-06-01T05:03:03.106Zx"}, "source": "config"}`,
			`{"configuration": {"createdTime": "2020-06-01T05:03:03.106Zx"}` + tail, 1},
		{"Content becomes its keys", "config",
			`{"configuration": {"a": {"Content": {"k1": 1, "k2": {}}, "o": 2}, "b": {"Content": {}}}, "source": "config"}`,
			`{"configuration": {"a": {"Content": ["k1", "k2"], "o": 2}, "b": {"Content": []}}` + tail, 0},
		{"empty configuration string is harmless", "config",
			`{"configuration": "", "source": "config"}`,
			`{"configuration": ""` + tail, 0},
	})

	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := parseCreatedTime("2020-06-01T01:03:03.106Z", ny); !ok || got != 1590987783 {
		t.Errorf("New York: %d %v", got, ok)
	}
	if got, ok := parseCreatedTime("２０２０-06-01T05:03:03.1Z", time.UTC); !ok || got != 1590987783 {
		t.Errorf("fullwidth digits: %d %v", got, ok)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ in, class, msg string }{
		{`{"configuration": {"a": {"Content": "x"}}}`, "AttributeError", "'str' object has no attribute 'keys'"},
		{`{"configuration": {"a": {"Content": [1, 2]}}}`, "AttributeError", "'list' object has no attribute 'keys'"},
		{`{"configuration": 5}`, "TypeError", "'int' object is not iterable"},
		{`{"configuration": "abc"}`, "TypeError", "string indices must be integers, not 'str'"},
		{`{"configuration": ["x", "y"]}`, "TypeError", "list indices must be integers or slices, not str"},
		{`{"configuration": {"securityGroups": [5, 6]}}`, "TypeError", "argument of type 'int' is not iterable"},
		{`{"configuration": {"securityGroups": ["a-groupId", "b"]}}`, "TypeError", "string indices must be integers, not 'str'"},
		{`{"configuration": {"createdTime": 1e400}}`, "", ""}, // float inf is fine
		{`{"configuration": {"createdTime": 1` + strings.Repeat("0", 400) + `}}`, "OverflowError", "int too large to convert to float"},
	}
	for _, c := range cases {
		_, err := (&Builder{Type: "config", Loc: time.UTC}).Messages("k", "1", obj(t, c.in))
		if c.class == "" {
			if err != nil {
				t.Errorf("%s: %v", c.in, err)
			}
			continue
		}
		var pe *PyError
		if !errors.As(err, &pe) || pe.Class != c.class || pe.Error() != c.msg {
			t.Errorf("%s: got %#v, want %s(%q)", c.in, err, c.class, c.msg)
		}
	}
}

func TestCustomReformat(t *testing.T) {
	runCases(t, []reformatCase{
		{"unusual wrapped", "waf",
			`{"service": {"additionalInfo": {"unusual": [1, 2]}}, "source": "waf"}`,
			`{"service": {"additionalInfo": {"unusual": {"value": [1, 2]}}}, "source": "waf"}`, 0},
		{"unusual object kept", "custom",
			`{"service": {"additionalInfo": {"unusual": {"a": 1}}}, "source": "x"}`,
			`{"service": {"additionalInfo": {"unusual": {"a": 1}}}, "source": "x"}`, 0},
		{"service string without the word", "custom",
			`{"service": "plain", "source": "x"}`,
			`{"service": "plain", "source": "x"}`, 0},
		{"trigger removed for macie only", "custom",
			`{"trigger": 1, "source": "macie"}`, `{"source": "macie"}`, 0},
		{"trigger kept otherwise", "custom",
			`{"trigger": 1, "source": "guardduty"}`, `{"trigger": 1, "source": "guardduty"}`, 0},
		{"macie summary fields", "custom",
			`{"summary": {"Bucket": {"b1": {"x": 1}, "b2": 2}, "Owner": "kept", "Themes": {}, "Other": {"a": 1}, "recipientAccountId": {"1": {"2": ["3", "4"]}}}, "source": "macie"}`,
			`{"summary": {"Bucket": ["b1.x", "b2"], "Owner": "kept", "Themes": [], "Other": {"a": 1}, "recipientAccountId": ["1.2.3"]}, "source": "macie"}`, 0},
		{"macie list leaf keeps all but its last element", "custom",
			`{"summary": {"IP": {"a": ["b", "c", "d"], "e": []}}, "source": "macie"}`,
			`{"summary": {"IP": ["a.b.c", ""]}, "source": "macie"}`, 0},
		{"macie events count quirk", "custom",
			`{"summary": {"Events": {"e1": {"count": {"a": 1, "b": {"c": 2}}, "isp": {"x": {"y": 1}}, "n": 5}, "e2": {}}}, "source": "macie"}`,
			`{"summary": {"Events": {"e1": {"count": ["", ""], "isp": ["x.y"], "n": [""]}, "e2": {}}}, "source": "macie"}`, 0},
		{"macie without summary", "custom",
			`{"x": 1, "source": "macie"}`, `{"x": 1, "source": "macie"}`, 0},
		{"macie events missing, fields done", "custom",
			`{"summary": {"IP": {"a": 1}}, "source": "macie"}`,
			`{"summary": {"IP": ["a"]}, "source": "macie"}`, 0},
		{"not macie: summary untouched", "custom",
			`{"summary": {"IP": {"a": 1}}, "source": "inspector"}`,
			`{"summary": {"IP": {"a": 1}}, "source": "inspector"}`, 0},
	})

	cases := []struct{ in, class, msg string }{
		{`{"x": 1}`, "KeyError", "'source'"},
		{`{"service": 5, "source": "x"}`, "TypeError", "argument of type 'int' is not iterable"},
		{`{"service": "additionalInfo", "source": "x"}`, "TypeError", "string indices must be integers, not 'str'"},
		{`{"summary": [1, 2], "source": "macie"}`, "TypeError", "list indices must be integers or slices, not str"},
		{`{"summary": {"IP": {"a": [1, 2]}}, "source": "macie"}`, "TypeError", "sequence item 1: expected str instance, int found"},
		{`{"summary": {"Events": 5}, "source": "macie"}`, "TypeError", "'int' object is not iterable"},
		{`{"summary": {"Events": {"e": "ab"}}, "source": "macie"}`, "TypeError", "string indices must be integers, not 'str'"},
	}
	for _, c := range cases {
		_, err := (&Builder{Type: "custom"}).Messages("k", "1", obj(t, c.in))
		var pe *PyError
		if !errors.As(err, &pe) || pe.Class != c.class || pe.Msg != c.msg {
			t.Errorf("%s: got %v, want %s(%q)", c.in, err, c.class, c.msg)
		}
	}
}

func TestGuardDutyReformat(t *testing.T) {
	runCases(t, []reformatCase{
		{"one detail: base reformat", "guardduty",
			`{"service": {"action": {"portProbeAction": {"portProbeDetails": [{"p": 1}]}}}, "tags": ["t"], "source": "guardduty"}`,
			`{"service": {"action": {"portProbeAction": {"portProbeDetails": {"p": 1}}}}, "tags": {"value": "t"}, "source": "guardduty"}`, 0},
		{"split: no flattening, no tags, no source ip", "guardduty",
			`{"service": {"action": {"portProbeAction": {"portProbeDetails": [{"p": [1]}, {"p": 2}, 3]}}}, "tags": ["t"], "sourceIPAddress": "1.2.3.4", "source": "guardduty"}`,
			`{"service": {"action": {"portProbeAction": {"portProbeDetails": {"p": [1]}}}}, "tags": ["t"], "sourceIPAddress": "1.2.3.4", "source": "guardduty"}` + "\n" +
				`{"service": {"action": {"portProbeAction": {"portProbeDetails": {"p": 2}}}}, "tags": ["t"], "sourceIPAddress": "1.2.3.4", "source": "guardduty"}` + "\n" +
				`{"service": {"action": {"portProbeAction": {"portProbeDetails": 3}}}, "tags": ["t"], "sourceIPAddress": "1.2.3.4", "source": "guardduty"}`, 0},
		{"split over an object's keys", "guardduty",
			`{"service": {"action": {"portProbeAction": {"portProbeDetails": {"a": 1, "b": 2}}}}, "source": "guardduty"}`,
			`{"service": {"action": {"portProbeAction": {"portProbeDetails": "a"}}}, "source": "guardduty"}` + "\n" +
				`{"service": {"action": {"portProbeAction": {"portProbeDetails": "b"}}}, "source": "guardduty"}`, 0},
		{"split over a string's characters", "guardduty",
			`{"service": {"action": {"portProbeAction": {"portProbeDetails": "hé"}}}, "source": "guardduty"}`,
			`{"service": {"action": {"portProbeAction": {"portProbeDetails": "h"}}}, "source": "guardduty"}` + "\n" +
				`{"service": {"action": {"portProbeAction": {"portProbeDetails": "\u00e9"}}}, "source": "guardduty"}`, 0},
		{"other source: base reformat", "guardduty",
			`{"service": {"action": {"portProbeAction": {"portProbeDetails": [1, 2]}}}, "x": ["y"], "source": "macie"}`,
			`{"service": {"action": {"portProbeAction": {"portProbeDetails": [1, 2]}}}, "x": "y", "source": "macie"}`, 0},
		{"no macie handling", "guardduty",
			`{"service": {"additionalInfo": {"unusual": 5}}, "trigger": 1, "source": "macie"}`,
			`{"service": {"additionalInfo": {"unusual": 5}}, "trigger": 1, "source": "macie"}`, 0},
	})

	// "++ Reformat message" is logged twice on the non-split path.
	log := &recLog{level: 3}
	b := &Builder{Type: "guardduty", Log: log}
	mustMessages(t, b, "k", "1", obj(t, `{"source": "guardduty"}`))
	if n := strings.Count(log.text(), "++ Reformat message"); n != 2 {
		t.Errorf("reformat lines: %d", n)
	}

	_, err := b.Messages("k", "1", obj(t, `{"service": {"action": {"portProbeAction": {"portProbeDetails": 5}}}, "source": "guardduty"}`))
	var pe *PyError
	if !errors.As(err, &pe) || pe.Msg != "object of type 'int' has no len()" {
		t.Errorf("len error: %v", err)
	}
}

// FuzzIPPrefixASCII checks the fast path's matcher against the regexp.
func FuzzIPPrefixASCII(f *testing.F) {
	for _, s := range []string{"", "1", "1.2.3.4", "10.0.0.1x", "1.2345", "1.234", "1.2a3b4", "1.2\n3.4", "1..2.3", "a1.2.3.4",
		"1.2.3", "123.456.789.012", "1.22222222222222222222", "1.2-3-4", "01.2 3 4", "1.2.3.\n4", "1.2.\n.4", "1.2a\n4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return // the regexp reads Unicode digits
			}
		}
		if got, want := ipPrefixASCII([]byte(s)), ipPrefix.MatchString(s); got != want {
			t.Fatalf("ipPrefixASCII(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}

// BenchmarkIPPrefix compares the fast path's matcher with the regexp it
// stands for, on a typical sourceIPAddress.
func BenchmarkIPPrefix(b *testing.B) {
	s := []byte("203.0.113.10")
	b.Run("regexp", func(b *testing.B) {
		for b.Loop() {
			ipPrefix.Match(s)
		}
	})
	b.Run("ascii", func(b *testing.B) {
		for b.Loop() {
			ipPrefixASCII(s)
		}
	})
}
