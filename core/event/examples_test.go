package event

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata"
)

// The verified messages of reference-wodle.md §4.7, byte for byte. Where
// the spec elides log_info as {...} the first message's log_info is used.

const ctKey = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/27/123456789012_CloudTrail_us-east-1_20261127T0005Z_aaaa.json.gz"

func TestExampleCloudTrail(t *testing.T) {
	b := &Builder{Type: "cloudtrail", Bucket: "wz-trail"}
	ev := obj(t, `{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z",
"sourceIPAddress":"1.2.3.4","requestParameters":null,"responseElements":"ok",
"additionalEventData":["x"],"userIdentity":{"type":"IAMUser","arns":["a"]},"tags":["t1","t2"],
"n":1.0,"u":"é","source":"cloudtrail"}`)
	msgs := mustMessages(t, b, ctKey, "123456789012", ev)
	want := `1:Wazuh-AWS:{"integration": "aws", "aws": {"log_info": {"aws_account_alias": "", "log_file": "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/27/123456789012_CloudTrail_us-east-1_20261127T0005Z_aaaa.json.gz", "s3bucket": "wz-trail"}, "eventVersion": "1.08", "eventTime": "2024-01-01T00:00:00Z", "sourceIPAddress": "1.2.3.4", "responseElements": {"string": "ok"}, "additionalEventData": {"string": "x"}, "userIdentity": {"type": "IAMUser", "arns": "a"}, "tags": {"value": ["t1", "t2"]}, "n": 1.0, "u": "\u00e9", "source": "cloudtrail", "aws_account_id": "123456789012", "source_ip_address": "1.2.3.4"}}`
	if len(msgs) != 1 {
		t.Fatalf("got %d messages", len(msgs))
	}
	if got := datagram(msgs[0]); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestExampleVPC(t *testing.T) {
	key := "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/27/123456789012_vpcflowlogs_us-east-1_fl-77c3468aaea89cd89_20261127T0000Z_abc.log.gz"
	info := `{"aws_account_alias": "", "log_file": "` + key + `", "s3bucket": "wz-vpc"}`
	b := &Builder{Type: "vpcflow", Bucket: "wz-vpc"}
	cases := []struct{ in, want string }{
		{
			`{"version": "2", "account_id": "123456789012", "interface_id": "eni-1", "srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "srcport": "443", "dstport": "5555", "protocol": "6", "packets": "10", "bytes": "840", "start": "2021-05-31T23:57:13Z", "end": "2021-06-01T00:02:10Z", "action": "ACCEPT", "log_status": "OK", "source": "vpc"}`,
			`1:Wazuh-AWS:{"integration": "aws", "aws": {"log_info": {"aws_account_alias": "", "log_file": "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/27/123456789012_vpcflowlogs_us-east-1_fl-77c3468aaea89cd89_20261127T0000Z_abc.log.gz", "s3bucket": "wz-vpc"}, "version": "2", "account_id": "123456789012", "interface_id": "eni-1", "srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "srcport": "443", "dstport": "5555", "protocol": "6", "packets": "10", "bytes": "840", "start": "2021-05-31T23:57:13Z", "end": "2021-06-01T00:02:10Z", "action": "ACCEPT", "log_status": "OK", "source": "vpc", "aws_account_id": "123456789012"}}`,
		},
		{
			`{"version": "version", "account_id": "account-id", "interface_id": "interface-id", "srcaddr": "srcaddr", "dstaddr": "dstaddr", "srcport": "srcport", "dstport": "dstport", "protocol": "protocol", "packets": "packets", "bytes": "bytes", "start": "start", "end": "end", "action": "action", "log_status": "log-status", "source": "vpc"}`,
			`1:Wazuh-AWS:{"integration": "aws", "aws": {"log_info": ` + info + `, "version": "version", "account_id": "account-id", "interface_id": "interface-id", "srcaddr": "srcaddr", "dstaddr": "dstaddr", "srcport": "srcport", "dstport": "dstport", "protocol": "protocol", "packets": "packets", "bytes": "bytes", "start": "start", "end": "end", "action": "action", "log_status": "log-status", "source": "vpc", "aws_account_id": "123456789012"}}`,
		},
	}
	for _, c := range cases {
		msgs := mustMessages(t, b, key, "123456789012", obj(t, c.in))
		if got := datagram(msgs[0]); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

func TestExampleALB(t *testing.T) {
	key := "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/27/123456789012_elasticloadbalancing_us-east-1_app.x.1_20261127T0000Z_1.2.3.4_abc.log.gz"
	// As the ALB parser leaves it: the 30th column under the None key as a
	// one-element list, ip fields appended after source.
	in := `{"type": "h2", "time": "2024-01-01T00:00:00.1Z", "elb": "app/x/1", "client_port": "5678", "target_port": "80", "request_processing_time": "0.001", "target_processing_time": "0.002", "response_processing_time": "0.000", "elb_status_code": "200", "target_status_code": "200", "received_bytes": "10", "sent_bytes": "20", "request": "GET https://a:443/ HTTP/2.0", "user_agent": "curl/8.0", "ssl_cipher": "ECDHE", "ssl_protocol": "TLSv1.2", "target_group_arn": "arn:tg", "trace_id": "Root=1", "domain_name": "a.com", "chosen_cert_arn": "arn:cert", "matched_rule_priority": "0", "request_creation_time": "2024-01-01T00:00:00Z", "action_executed": "forward", "redirect_url": "-", "error_reason": "-", "target_port_list": "80", "target_status_code_list": "200", "classification": "-", "classification_reason": "-", "null": ["TID_1"], "source": "alb", "client_ip": "1.2.3.4", "target_ip": "10.0.0.1", "target_ip_list": "10.0.0.1"}`
	want := `1:Wazuh-AWS:{"integration": "aws", "aws": {"log_info": {"aws_account_alias": "", "log_file": "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/27/123456789012_elasticloadbalancing_us-east-1_app.x.1_20261127T0000Z_1.2.3.4_abc.log.gz", "s3bucket": "wz-alb"}, "type": "h2", "time": "2024-01-01T00:00:00.1Z", "elb": "app/x/1", "client_port": "5678", "target_port": "80", "request_processing_time": "0.001", "target_processing_time": "0.002", "response_processing_time": "0.000", "elb_status_code": "200", "target_status_code": "200", "received_bytes": "10", "sent_bytes": "20", "request": "GET https://a:443/ HTTP/2.0", "user_agent": "curl/8.0", "ssl_cipher": "ECDHE", "ssl_protocol": "TLSv1.2", "target_group_arn": "arn:tg", "trace_id": "Root=1", "domain_name": "a.com", "chosen_cert_arn": "arn:cert", "matched_rule_priority": "0", "request_creation_time": "2024-01-01T00:00:00Z", "action_executed": "forward", "redirect_url": "-", "error_reason": "-", "target_port_list": "80", "target_status_code_list": "200", "classification": "-", "classification_reason": "-", "null": "TID_1", "source": "alb", "client_ip": "1.2.3.4", "target_ip": "10.0.0.1", "target_ip_list": "10.0.0.1"}}`
	b := &Builder{Type: "alb", Bucket: "wz-alb"}
	msgs := mustMessages(t, b, key, "123456789012", obj(t, in))
	if got := datagram(msgs[0]); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestExampleCustom(t *testing.T) {
	key := "fh/2026/11/27/02/firehose-1-2026-11-27-02-04-08-abc"
	info := `{"aws_account_alias": "", "log_file": "` + key + `", "s3bucket": "wz-custom"}`
	b := &Builder{Type: "custom", Bucket: "wz-custom"}
	cases := []struct{ in, want string }{
		{
			`{"type": "X", "service": {"additionalInfo": {"unusual": 5}}, "arr": ["one"], "source": "guardduty"}`,
			`1:Wazuh-AWS:{"integration": "aws", "aws": {"log_info": {"aws_account_alias": "", "log_file": "fh/2026/11/27/02/firehose-1-2026-11-27-02-04-08-abc", "s3bucket": "wz-custom"}, "type": "X", "service": {"additionalInfo": {"unusual": {"value": 5}}}, "arr": "one", "source": "guardduty"}}`,
		},
		{
			`{"summary": {"IP": {"1.2.3.4": 3}, "Events": {"e1": {"count": 7, "isp": {"a": 2}}}}, "trigger": {"x": 1}, "source": "macie"}`,
			`1:Wazuh-AWS:{"integration": "aws", "aws": {"log_info": ` + info + `, "summary": {"IP": ["1.2.3.4"], "Events": {"e1": {"count": [""], "isp": ["a"]}}}, "source": "macie"}}`,
		},
	}
	for _, c := range cases {
		msgs := mustMessages(t, b, key, "111111111111", obj(t, c.in))
		if got := datagram(msgs[0]); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

func TestExampleErrorMessages(t *testing.T) {
	custom := &Builder{Type: "custom", Bucket: "wz-custom"}
	got := datagram(custom.ErrorMessage("fh/2026/11/27/02/nl-json", "111111111111",
		"Failed to parse file fh/2026/11/27/02/nl-json: JSONDecodeError('Expecting value: line 1 column 1 (char 0)')"))
	want := `1:Wazuh-AWS:{"integration": "aws", "aws": {"log_info": {"aws_account_alias": "", "log_file": "fh/2026/11/27/02/nl-json", "s3bucket": "wz-custom"}}, "error_msg": "Failed to parse file fh/2026/11/27/02/nl-json: JSONDecodeError('Expecting value: line 1 column 1 (char 0)')"}`
	if got != want {
		t.Errorf("custom:\ngot  %s\nwant %s", got, want)
	}

	key := "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/27/123456789012_CloudTrail_us-east-1_20261127T0010Z_aaaa.json.gz"
	trail := &Builder{Type: "cloudtrail", Bucket: "wz-trail"}
	got = datagram(trail.ErrorMessage(key, "123456789012",
		"Failed to decompress file "+key+`: TypeError("'NoneType' object does not support the context manager protocol")`))
	want = `1:Wazuh-AWS:{"integration": "aws", "aws": {"log_info": {"aws_account_alias": "", "log_file": "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/27/123456789012_CloudTrail_us-east-1_20261127T0010Z_aaaa.json.gz", "s3bucket": "wz-trail"}, "aws_account_id": "123456789012"}, "error_msg": "Failed to decompress file AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/27/123456789012_CloudTrail_us-east-1_20261127T0010Z_aaaa.json.gz: TypeError(\"'NoneType' object does not support the context manager protocol\")"}`
	if got != want {
		t.Errorf("cloudtrail:\ngot  %s\nwant %s", got, want)
	}

	// The script only adds error_msg when the text is not empty.
	if got := encoded(custom.ErrorMessage("k", "1", "")); strings.Contains(got, "error_msg") {
		t.Errorf("empty text: %s", got)
	}
}

func TestExampleGuardDuty(t *testing.T) {
	key := "AWSLogs/123456789012/GuardDuty/us-east-1/2026/11/27/us-east-1-a.jsonl.gz"
	info := `{"aws_account_alias": "", "log_file": "` + key + `", "s3bucket": "wz-gd"}`
	b := &Builder{Type: "guardduty", Bucket: "wz-gd"}

	probe := `{"schemaVersion": "2.0", "region": "us-east-1", "service": {"serviceName": "guardduty", "action": {"portProbeAction": {"portProbeDetails": [{"p": 1}, {"p": 2}]}}}, "x": ["y"], "source": "guardduty"}`
	msgs := mustMessages(t, b, key, "123456789012", obj(t, probe))
	want := []string{
		`1:Wazuh-AWS:{"integration": "aws", "aws": {"log_info": {"aws_account_alias": "", "log_file": "AWSLogs/123456789012/GuardDuty/us-east-1/2026/11/27/us-east-1-a.jsonl.gz", "s3bucket": "wz-gd"}, "schemaVersion": "2.0", "region": "us-east-1", "service": {"serviceName": "guardduty", "action": {"portProbeAction": {"portProbeDetails": {"p": 1}}}}, "x": ["y"], "source": "guardduty"}}`,
		`1:Wazuh-AWS:{"integration": "aws", "aws": {"log_info": ` + info + `, "schemaVersion": "2.0", "region": "us-east-1", "service": {"serviceName": "guardduty", "action": {"portProbeAction": {"portProbeDetails": {"p": 2}}}}, "x": ["y"], "source": "guardduty"}}`,
	}
	if len(msgs) != len(want) {
		t.Fatalf("port probe: got %d messages, want %d", len(msgs), len(want))
	}
	for i := range want {
		if got := datagram(msgs[i]); got != want[i] {
			t.Errorf("port probe %d:\ngot  %s\nwant %s", i, got, want[i])
		}
	}

	normal := `{"service": {"serviceName": "guardduty"}, "x": ["y"], "source": "guardduty"}`
	msgs = mustMessages(t, b, key, "123456789012", obj(t, normal))
	w := `1:Wazuh-AWS:{"integration": "aws", "aws": {"log_info": ` + info + `, "service": {"serviceName": "guardduty"}, "x": "y", "source": "guardduty"}}`
	if len(msgs) != 1 || datagram(msgs[0]) != w {
		t.Errorf("normal finding:\ngot  %v\nwant %s", msgs, w)
	}
}

func TestExampleWAFServerAccessUmbrella(t *testing.T) {
	cases := []struct {
		typ, in, wantAWS string
	}{
		{"waf",
			`{"timestamp": 1, "httpRequest": {"clientIp": "1.2.3.4", "headers": {"Host": "h", "user-agent": "ua"}}, "source": "waf"}`,
			`"timestamp": 1, "httpRequest": {"clientIp": "1.2.3.4", "headers": {"Host": "h", "user-agent": "ua"}}, "source": "waf"}}`},
		{"cisco_umbrella",
			`{"timestamp": "t", "most_granular_identity": "m", "identities": "i", "internal_ip": "1", "external_ip": "2", "action": "a", "query_type": "q", "response_code": "r", "domain": "d", "categories": "c", "most_granular_identity_type": "mt", "identity_types": "it", "blocked_categories": "b", "null": ["14"], "source": "cisco_umbrella"}`,
			`"timestamp": "t", "most_granular_identity": "m", "identities": "i", "internal_ip": "1", "external_ip": "2", "action": "a", "query_type": "q", "response_code": "r", "domain": "d", "categories": "c", "most_granular_identity_type": "mt", "identity_types": "it", "blocked_categories": "b", "null": "14", "source": "cisco_umbrella"}}`},
		{"cisco_umbrella",
			`{"timestamp": "t", "most_granular_identity": "m", "source": "cisco_umbrella"}`,
			`"timestamp": "t", "most_granular_identity": "m", "source": "cisco_umbrella"}}`},
		{"server_access",
			`{"bucket_owner": "o", "bucket": "b", "time": "29/Apr/2025:08:47:53 +0000", "remote_ip": "1.2.3.4", "source": "s3_server_access"}`,
			`"bucket_owner": "o", "bucket": "b", "time": "29/Apr/2025:08:47:53 +0000", "remote_ip": "1.2.3.4", "source": "s3_server_access"}}`},
	}
	for _, c := range cases {
		b := &Builder{Type: c.typ, Bucket: "bk", Alias: "al"}
		msgs := mustMessages(t, b, "k", "123456789012", obj(t, c.in))
		want := `{"integration": "aws", "aws": {"log_info": {"aws_account_alias": "al", "log_file": "k", "s3bucket": "bk"}, ` + c.wantAWS
		if got := encoded(msgs[0]); got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", c.typ, got, want)
		}
	}
}

func TestExampleConfig(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Type: "config", Bucket: "wz-config", Loc: ny}
	in := `{"configuration": {"securityGroups": [{"groupId": "sg-1", "groupName": "n1"}, {"groupId": "sg-2"}], "availabilityZones": ["us-east-1a"], "state": "running", "createdTime": "2020-06-01T01:03:03.106Z", "iamInstanceProfile": "prof", "x": {"Content": {"a": 1, "b": {"c": 2}}}}, "source": "config"}`
	msgs := mustMessages(t, b, "k", "123456789012", obj(t, in))
	want := `{"integration": "aws", "aws": {"log_info": {"aws_account_alias": "", "log_file": "k", "s3bucket": "wz-config"}, "configuration": {"securityGroups": {"groupId": ["sg-1", "sg-2"], "groupName": ["n1"]}, "availabilityZones": {"zoneName": ["us-east-1a"]}, "state": {"name": "running"}, "createdTime": 1590987783.0, "iamInstanceProfile": {"name": "prof"}, "x": {"Content": ["a", "b"]}}, "source": "config", "aws_account_id": "123456789012"}}`
	if got := encoded(msgs[0]); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
