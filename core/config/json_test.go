package config

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestFromJSON(t *testing.T) {
	in := `{"bucket": {"name": "wazuh-cloudtrail", "type": "cloudtrail", "aws_profile": "qa",
		"iam_role_arn": "arn:aws:iam::1:role/r", "iam_role_duration": "1000", "aws_organization_id": "o-1",
		"aws_account_id": "123456789012", "aws_account_alias": "prod", "path": "p", "path_suffix": "",
		"only_logs_after": "2023-jan-31", "regions": "us-east-2,us-east-1", "remove_from_bucket": "yes",
		"discard_field": "eventSource", "discard_regex": ".*sts.*", "sts_endpoint": "e1", "service_endpoint": "e2"},
		"skip_on_error": "yes", "debug": 2}`
	got, err := FromJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Target{Kind: KindBucket, Type: "cloudtrail", Bucket: "wazuh-cloudtrail", Profile: "qa",
		IAMRoleARN: "arn:aws:iam::1:role/r", IAMRoleDuration: 1000, OrganizationID: "o-1", AccountIDs: []string{"123456789012"},
		AccountAlias: "prod", Prefix: "p/", OnlyLogsAfter: "20230131", Regions: []string{"us-east-1", "us-east-2"}, Remove: true,
		DiscardField: "eventSource", DiscardRegex: ".*sts.*", STSEndpoint: "e1", ServiceEndpoint: "e2", SkipOnError: true, Debug: 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	inputs := []string{
		`{"bucket": {"name": "abc", "type": "vpcflow", "regions": "eu-west-1", "only_logs_after": "2024-NOV-19"}}`,
		`{"bucket": {"name": "abc"}, "debug": 3}`,
		`{"service": {"type": "cloudwatchlogs", "aws_log_groups": "g1,g2", "remove_log_streams": "yes", "discard_regex": "x"}}`,
		`{"service": {"type": "inspector", "regions": "us-east-2", "aws_account_id": "123456789012"}, "skip_on_error": "no"}`,
		`{"subscriber": {"type": "security_lake", "sqs_name": "q1", "external_id": "e", "iam_role_arn": "arn:aws:iam::1:role/r", "iam_role_duration": "900"}}`,
		`{"subscriber": {"type": "buckets", "sqs_name": "q1", "discard_field": "a", "discard_regex": "b"}, "skip_on_error": "yes"}`,
	}
	for _, in := range inputs {
		t1, err := FromJSON([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		out, err := TargetJSON(t1)
		if err != nil {
			t.Fatal(err)
		}
		t2, err := FromJSON(out)
		if err != nil {
			t.Errorf("%s: re-reading %s: %v", in, out, err)
			continue
		}
		if !reflect.DeepEqual(t1, t2) {
			t.Errorf("%s: round trip through %s:\n %+v\n %+v", in, out, t1, t2)
		}
	}
}

func TestTargetJSONMasksSecrets(t *testing.T) {
	tg, err := FromJSON([]byte(`{"bucket": {"name": "abc", "access_key": "AKIAREAL", "secret_key": "s3cr3t"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if tg.AccessKey.Reveal() != "AKIAREAL" || tg.SecretKey.Reveal() != "s3cr3t" {
		t.Errorf("secrets not kept: %q %q", tg.AccessKey.Reveal(), tg.SecretKey.Reveal())
	}
	out, _ := TargetJSON(tg)
	if strings.Contains(string(out), "AKIAREAL") || strings.Contains(string(out), "s3cr3t") || !strings.Contains(string(out), `"secret_key":"****"`) {
		t.Errorf("dump shows secrets: %s", out)
	}
}

func TestFromJSONErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{`{"bucket": {"name": "abc", "colour": "red"}}`, `config: target JSON: unknown key "colour" in "bucket"`},
		{`{"bucket": {"name": "abc"}, "extra": 1}`, `config: target JSON: unknown key "extra"`},
		{`{"bucket": {"name": "abc"}, "service": {"type": "inspector"}}`, `config: target JSON: want exactly one of "bucket", "service" or "subscriber"`},
		{`{"bucket": {"name": 5}}`, `config: target JSON: bucket.name must be a string`},
		{`{"bucket": {"name": "abc"}, "debug": 7}`, `config: target JSON: "debug" must be an integer from 0 to 3, not 7`},
		{`{"bucket": {"name": "abc"}, "skip_on_error": "maybe"}`, `Invalid content for tag 'skip_on_error' at module 'aws-s3'.`},
		{`{"bucket": {"name": "abc", "type": "nope"}}`, `Invalid bucket type 'nope'. Valid ones are 'cloudtrail', 'config', 'guardduty', 'vpcflow', 'waf', 'cisco_umbrella', custom', alb', clb', nlb' or 'server_access'`},
		{`{"bucket": {"type": "waf"}}`, `Empty content for tag 'name' at module 'aws-s3'.`},
		{`{"bucket": {"name": "abc", "only_logs_after": "2023-02-30"}}`, `Argument not a valid date in format YYYY-MMM-DD: '2023-02-30'.`},
		{`{"bucket": {"name": "abc", "only_logs_after": "2023-FEB-30"}}`, `Argument not a valid date in format YYYY-MMM-DD: '2023-FEB-30'.`},
		{`{"bucket": {"name": "abc", "remove_from_bucket": "si"}}`, `Invalid content for tag 'remove_from_bucket' at module 'aws-s3'.`},
		{`{"bucket": {"name": "abc", "discard_regex": "x"}}`, `Required attribute 'field' is missing in 'discard_regex'. This is a mandatory parameter.`},
		{`{"bucket": {"name": "abc", "discard_field": "f", "discard_regex": "(a)\\1"}}`, `Invalid discard_regex '(a)\1': back-reference \1 at position 3 is not supported`},
		{`{"service": {"aws_log_groups": "g"}}`, `Undefined type for service.`},
		{`{"service": {"type": "inspector", "regions": "us-gov-east-1"}}`, `Unsupported region 'us-gov-east-1'`},
		{`{"service": {"type": "cloudwatchlogs", "name": "x"}}`, `config: target JSON: unknown key "name" in "service"`},
		{`{"subscriber": {"type": "security_hub"}}`, `Used a subscriber but no --queue provided.`},
		{`{"subscriber": {"type": "security_lake", "sqs_name": "q", "discard_regex": "x"}}`, `The 'discard_regex' parameter is not available for Security Lake.`},
	}
	for _, tt := range tests {
		_, err := FromJSON([]byte(tt.in))
		if err == nil || err.Error() != tt.msg {
			t.Errorf("%s: error %v, want %q", tt.in, err, tt.msg)
		}
	}
	var ce *Error
	if _, err := FromJSON([]byte(`{"bucket": {"name": "UPPER"}}`)); !errors.As(err, &ce) || ce.Elem != "name" {
		t.Errorf("bad name error %#v", err)
	}
}

func TestDumpJSON(t *testing.T) {
	doc := wodle(`<interval>1d</interval><wday>friday</wday>` +
		`<bucket type="cloudtrail"><name>abc</name><path>logs</path><secret_key>TOPSECRET</secret_key><aws_organization_id>o-1</aws_organization_id></bucket>` +
		`<service type="cloudwatchlogs"><aws_log_groups>g</aws_log_groups><only_logs_after>2023-feb-03</only_logs_after></service>`)
	m, _, err := parse(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DumpJSON(m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "TOPSECRET") {
		t.Fatalf("secret in dump: %s", out)
	}
	var got map[string]map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	a := got["aws-s3"]
	if a["interval"] != float64(604800) || a["wday"] != "friday" || a["time"] != "00:00" || a["disabled"] != "no" || a["run_on_start"] != "yes" {
		t.Errorf("module part: %s", out)
	}
	b := a["buckets"].([]any)[0].(map[string]any)
	if b["path"] != "logs/" || b["secret_key"] != "****" || b["aws_organization_id"] != "o-1" || b["type"] != "cloudtrail" || b["remove_from_bucket"] != "no" {
		t.Errorf("bucket part: %s", out)
	}
	s := a["services"].([]any)[0].(map[string]any)
	if s["only_logs_after"] != "2023-FEB-03" || s["aws_log_groups"] != "g" {
		t.Errorf("service part: %s", out)
	}
	if !strings.HasPrefix(string(out), "{\n  \"aws-s3\": {\n    \"interval\": 604800,") {
		t.Errorf("not indented in wm_aws_dump order: %s", out)
	}
}

// A value the script met only at run time says which problem it is, so
// aws_s3_run can answer with the script's exit code for it.
func TestFromJSONProblems(t *testing.T) {
	cases := []struct {
		json string
		want Problem
	}{
		{`{"bucket": {"name": "wazuh-trail", "type": "nope"}}`, BadType},
		{`{"bucket": {"name": "wazuh-trail", "type": "cloudtrail", "regions": "us-fake-1"}}`, BadRegion},
		{`{"subscriber": {"type": "buckets"}}`, MissingSubscriberArg},
		{`{"bucket": {"name": "wazuh-trail", "type": "cloudtrail", "only_logs_after": "JAN-31"}}`, BadValue},
	}
	for _, c := range cases {
		_, err := FromJSON([]byte(c.json))
		var ce *Error
		if !errors.As(err, &ce) || ce.Problem != c.want {
			t.Errorf("%s: error %v, want problem %d", c.json, err, c.want)
		}
	}
}
