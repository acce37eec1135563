package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// fuzzXMLSeeds are documents of every shape ParseXML reads: whole
// ossec.conf files, a lone wodle element, bare fragments, bad values.
func fuzzXMLSeeds() []string {
	seeds := []string{
		wodle(bucket("cloudtrail", bucketFields(nil))),
		wodle(bucket("vpcflow", bucketFields(map[string]string{"regions": "us-east-1,eu-west-1"}))),
		wodle(bucket("cisco_umbrella", bucketFields(map[string]string{"path": "dnslogs"}))),
		wodle(service("cloudwatchlogs", serviceFields(nil))),
		wodle(service("inspector", serviceFields(map[string]string{"only_logs_after": "JAN-31"}))),
		wodle(`<subscriber type="buckets"><sqs_name>q</sqs_name><discard_regex field="a">^x</discard_regex></subscriber>`),
		wodle(`<subscriber type="security_lake"><sqs_name>q</sqs_name><iam_role_arn>arn:aws:iam::1:role/r</iam_role_arn><external_id>e</external_id></subscriber>`),
		wodle(`<bucket type="waf"><name>abc</name><path>a&amp;b</path><discard_regex field="a">x(?=y)</discard_regex></bucket>`),
		wodle(bucket("waf", bucketFields(nil)) + "<day>1</day><wday>mon</wday><time>01:11</time>"),
		wodle("<bucket>legacy-bucket</bucket><remove_from_bucket>yes</remove_from_bucket><access_key>A</access_key>"),
		strings.Replace(wodle(bucket("cloudtrail", bucketFields(nil))), `"aws-s3"`, `"aws-cloudtrail"`, 1),
		`<wodle name="aws-s3"><disabled>no</disabled><interval>10m</interval><run_on_start>yes</run_on_start>` +
			`<bucket type="config"><name>b</name><aws_account_id>123456789012,210987654321</aws_account_id>` +
			`<iam_role_arn>arn:aws:iam::123456789012:role/r</iam_role_arn><iam_role_duration>900</iam_role_duration>` +
			`<only_logs_after>2024-jan-5</only_logs_after></bucket></wodle>`,
		`<interval>1d</interval><skip_on_error>yes</skip_on_error><bucket type="guardduty"><name>g</name></bucket>`,
		"<!-- c --><ossec_config><wodle name=\"aws-s3\"><![CDATA[x]]><bucket type='alb'><name>a</name></bucket></wodle></ossec_config>",
		"<?xml version=\"1.0\"?><ossec_config><wodle name=\"aws-s3\"><bucket type=\"clb\" x=\"y\"/></wodle>",
	}
	return seeds
}

// FuzzParseXML checks that ParseXML never panics and that every target of
// a configuration it accepts renders to JSON that FromJSON accepts and
// renders back unchanged (what cshim passes to aws_s3_run).
func FuzzParseXML(f *testing.F) {
	for _, s := range fuzzXMLSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nmsg := 0
		m, err := ParseXML(bytes.NewReader(data), func(msg Message) {
			nmsg++
			if msg.Text == "" {
				t.Errorf("empty message %+v", msg)
			}
		})
		if err != nil {
			return
		}
		if m == nil {
			t.Fatal("ParseXML returned neither a module nor an error")
		}
		if _, err := DumpJSON(m); err != nil {
			t.Fatalf("DumpJSON: %v", err)
		}
		for _, tg := range m.Targets {
			checkTargetJSON(t, tg)
		}
	})
}

// checkTargetJSON checks that TargetJSON's output is accepted by FromJSON
// and is a fixed point of the two.
func checkTargetJSON(t *testing.T, tg Target) {
	t.Helper()
	js, err := TargetJSON(tg)
	if err != nil {
		t.Fatalf("TargetJSON(%+v): %v", tg, err)
	}
	if strings.Contains(string(js), "****") {
		// Masked secrets do not come back.
		return
	}
	back, err := FromJSON(js)
	if err != nil {
		t.Fatalf("FromJSON(TargetJSON) = %v for %s", err, js)
	}
	js2, err := TargetJSON(back)
	if err != nil {
		t.Fatalf("TargetJSON after FromJSON: %v", err)
	}
	if !bytes.Equal(js, js2) {
		t.Fatalf("TargetJSON changed after FromJSON:\n%s\n%s", js, js2)
	}
}

// FuzzParseArgv splits its input on NUL into the script's argv.
func FuzzParseArgv(f *testing.F) {
	for _, args := range [][]string{
		{"--bucket", "wazuh-cloudtrail", "--remove", "--aws_profile", "qa", "--iam_role_arn", "arn:aws:iam::1:role/r",
			"--aws_account_id", "123456789012,210987654321", "--aws_account_alias", "prod", "--trail_prefix", "p",
			"--trail_suffix", "s", "--only_logs_after", "2024-NOV-19", "--regions", "us-east-1,us-east-2",
			"--discard-field", "f", "--discard-regex", "r", "--type", "cloudtrail", "--debug", "2", "--skip_on_error"},
		{"--buck", "abc"},
		{"--bucket=abc", "-tWAF"},
		{"-b", "abc", "-Re", "-d3"},
		{"-b=abc", "-s", "2024-jan- 5", "-o"},
		{"-sr", "CloudWatchLogs", "-g", "a,b", "-P", "--debug", " 1 "},
		{"-sb", "buckets", "-q", "my-queue", "-x", "ext"},
		{"-sb", "security_lake", "-q", "q", "-i", "arn:aws:iam::1:role/r", "-rd", "900"},
		{"--bucket", "abc", "--discard-regex", "-foo bar"},
		{"-b", "abc", "-sr", "inspector"},
		{"-b", "--ol-s3-invalid"},
		{"-b", "abc", "-s", "2024-January-01"},
		{"-b", "abc", "-c", "12345"},
		{"-b", "abc", "-rd", "3601"},
		{"-h"},
		{"--", "-b"},
	} {
		f.Add([]byte(strings.Join(args, "\x00")))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var args []string
		if len(data) > 0 {
			args = strings.Split(string(data), "\x00")
		}
		tg, err := ParseArgv("aws-s3", args)
		if err != nil {
			var ee *ArgvError
			if !errors.As(err, &ee) {
				t.Fatalf("ParseArgv(%q) error %T %v: not an *ArgvError", args, err, err)
			}
			if ee.Stdout == "" && ee.Stderr == "" {
				t.Fatalf("ParseArgv(%q): kind %d with no output", args, ee.Kind)
			}
			return
		}
		if _, err := TargetJSON(tg); err != nil {
			t.Fatalf("TargetJSON: %v", err)
		}
	})
}

// FuzzFromJSON checks that FromJSON never panics and that what it accepts
// renders back to JSON it accepts again.
func FuzzFromJSON(f *testing.F) {
	for _, s := range []string{
		`{"bucket": {"name": "wazuh-cloudtrail", "type": "cloudtrail", "aws_profile": "qa", "iam_role_arn": "arn:aws:iam::1:role/r", "iam_role_duration": "3600", "aws_organization_id": "o-abc", "aws_account_id": "123456789012,210987654321", "aws_account_alias": "prod", "path": "p", "path_suffix": "s", "only_logs_after": "2024-JAN-31", "regions": "us-east-1,eu-west-1", "remove_from_bucket": "yes", "discard_field": "f", "discard_regex": "^kms", "sts_endpoint": "sts.x", "service_endpoint": "s3.x"}, "skip_on_error": "yes", "debug": 2}`,
		`{"bucket": {"name": "abc", "type": "vpcflow", "regions": "eu-west-1", "only_logs_after": "2024-NOV-19"}}`,
		`{"bucket": {"name": "abc"}, "debug": 3}`,
		`{"service": {"type": "cloudwatchlogs", "aws_log_groups": "g1,g2", "remove_log_streams": "yes", "discard_regex": "x"}}`,
		`{"service": {"type": "inspector", "regions": "us-east-2", "aws_account_id": "123456789012"}, "skip_on_error": "no"}`,
		`{"subscriber": {"type": "security_lake", "sqs_name": "q1", "external_id": "e", "iam_role_arn": "arn:aws:iam::1:role/r", "iam_role_duration": "900"}}`,
		`{"subscriber": {"type": "buckets", "sqs_name": "q1", "discard_field": "a", "discard_regex": "b"}, "skip_on_error": "yes"}`,
		`{"bucket": {"name": "abc", "access_key": "AKIA", "secret_key": "s"}}`,
		`{"bucket": {"name": "abc"}, "service": {"type": "inspector"}}`,
		`{"bucket": {"name": 5}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tg, err := FromJSON(data)
		if err != nil {
			return
		}
		checkTargetJSON(t, tg)
	})
}
