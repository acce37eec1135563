package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func parse(t *testing.T, doc string) (*Module, []Message, error) {
	t.Helper()
	var msgs []Message
	m, err := ParseXML(strings.NewReader(doc), func(m Message) { msgs = append(msgs, m) })
	return m, msgs, err
}

// wodle builds an ossec.conf the way the integration tests' templates do.
func wodle(body string) string {
	return "<ossec_config>\n  <client><server><address>x</address></server></client>\n</ossec_config>\n" +
		"<ossec_config>\n  <wodle name=\"aws-s3\">\n    <disabled>no</disabled>\n" + body + "\n  </wodle>\n</ossec_config>\n"
}

func bucket(typ string, fields map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "    <bucket type=%q>\n      <aws_profile>qa</aws_profile>\n", typ)
	for _, k := range []string{"name", "only_logs_after", "regions", "path", "path_suffix", "remove_from_bucket"} {
		if v, ok := fields[k]; ok {
			fmt.Fprintf(&b, "      <%s>%s</%s>\n", k, v, k)
		}
	}
	b.WriteString("    </bucket>")
	return b.String()
}

func bucketFields(over map[string]string) map[string]string {
	f := map[string]string{"name": "wazuh-cloudtrail-integration-tests", "only_logs_after": "2023-JAN-31",
		"regions": "us-east-1", "path": "test_prefix", "path_suffix": "test_suffix", "remove_from_bucket": "no"}
	for k, v := range over {
		f[k] = v
	}
	return f
}

func service(typ string, fields map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "    <service type=%q>\n", typ)
	for _, k := range []string{"aws_log_groups", "only_logs_after", "regions", "remove_log_streams"} {
		if v, ok := fields[k]; ok {
			fmt.Fprintf(&b, "      <%s>%s</%s>\n", k, v, k)
		}
	}
	b.WriteString("    </service>")
	return b.String()
}

func serviceFields(over map[string]string) map[string]string {
	f := map[string]string{"aws_log_groups": "wazuh-cloudwatchlogs-integration-tests", "only_logs_after": "2023-JAN-12",
		"regions": "us-east-1", "remove_log_streams": "no"}
	for k, v := range over {
		f[k] = v
	}
	return f
}

type wantMsg struct {
	level  Level
	tagged bool
	text   string
}

func checkOutcome(t *testing.T, name string, msgs []Message, err error, warns []wantMsg, wantErr *wantMsg) {
	t.Helper()
	var got []wantMsg
	for _, m := range msgs {
		got = append(got, wantMsg{m.Level, m.Tagged, m.Text})
	}
	if !reflect.DeepEqual(got, warns) && !(len(got) == 0 && len(warns) == 0) {
		t.Errorf("%s: messages %+v, want %+v", name, got, warns)
	}
	switch {
	case wantErr == nil && err != nil:
		t.Errorf("%s: unexpected error %v", name, err)
	case wantErr != nil && err == nil:
		t.Errorf("%s: no error, want %q", name, wantErr.text)
	case wantErr != nil:
		var ce *Error
		if !errors.As(err, &ce) || ce.Tagged != wantErr.tagged || err.Error() != wantErr.text {
			t.Errorf("%s: error %#v (%q), want tagged=%v %q", name, err, err, wantErr.tagged, wantErr.text)
		}
	}
}

func emptyWarning(tag string) wantMsg {
	return wantMsg{LevelWarning, false, fmt.Sprintf("Empty content for tag '%s' at module 'aws-s3'.", tag)}
}

// The parser cases of the integration tests (reference-modulesd.md §5.4).
func TestParserIntegrationCases(t *testing.T) {
	validBucketType := "Invalid bucket type '%s'. Valid ones are 'cloudtrail', 'config', 'guardduty', 'vpcflow', 'waf', 'cisco_umbrella', custom', alb', clb', nlb' or 'server_access'"
	tests := []struct {
		name  string
		body  string
		warns []wantMsg
		err   *wantMsg
	}{
		{"bucket_and_service_missing", "", nil,
			&wantMsg{LevelError, true, "No buckets, services or subscribers definitions found at module 'aws-s3'."}},
		{"type_missing_in_bucket",
			"    <bucket>\n      <aws_profile>qa</aws_profile>\n      <name>wazuh-cloudtrail-integration-tests</name>\n    </bucket>",
			[]wantMsg{{LevelWarning, true, "Deprecated config defined; please use current config definition at module 'aws-s3'."}},
			// The legacy bucket's name is the whitespace after its last child
			// (os_xml), which the script rejects.
			&wantMsg{LevelError, true, "'\n    ' isn't a valid bucket name."}},
		{"type_missing_in_service", "    <service>\n      <aws_log_groups>g</aws_log_groups>\n    </service>", nil,
			&wantMsg{LevelError, true, "Undefined type for service."}},

		{"empty_type_in_bucket", bucket("", bucketFields(nil)), nil, &wantMsg{LevelError, true, fmt.Sprintf(validBucketType, "")}},
		{"empty_name_in_bucket", bucket("cloudtrail", bucketFields(map[string]string{"name": ""})), nil,
			&wantMsg{LevelError, false, "Empty content for tag 'name' at module 'aws-s3'."}},
		{"empty_only_logs_after_in_bucket", bucket("cloudtrail", bucketFields(map[string]string{"only_logs_after": ""})),
			[]wantMsg{emptyWarning("only_logs_after")}, nil},
		{"empty_regions_in_bucket", bucket("cloudtrail", bucketFields(map[string]string{"regions": ""})),
			[]wantMsg{emptyWarning("regions")}, nil},
		{"empty_path_in_bucket", bucket("cloudtrail", bucketFields(map[string]string{"path": ""})),
			[]wantMsg{emptyWarning("path")}, nil},
		{"empty_path_suffix_in_bucket", bucket("cloudtrail", bucketFields(map[string]string{"path_suffix": ""})),
			[]wantMsg{emptyWarning("path_suffix")}, nil},

		{"empty_type_in_service", service("", serviceFields(nil)), nil,
			&wantMsg{LevelError, true, "Invalid service type ''. Valid ones are 'inspector' or 'cloudwatchlogs'"}},
		{"empty_log_groups_in_service", service("cloudwatchlogs", serviceFields(map[string]string{"aws_log_groups": ""})), nil,
			&wantMsg{LevelError, false, "Empty content for tag 'aws_log_groups' at module 'aws-s3'."}},
		{"empty_only_logs_after_in_service", service("cloudwatchlogs", serviceFields(map[string]string{"only_logs_after": ""})),
			[]wantMsg{emptyWarning("only_logs_after")}, nil},
		{"empty_regions_in_service", service("cloudwatchlogs", serviceFields(map[string]string{"regions": ""})),
			[]wantMsg{emptyWarning("regions")}, nil},

		{"invalid_type_in_bucket", bucket("invalid_value", bucketFields(nil)), nil,
			&wantMsg{LevelError, true, fmt.Sprintf(validBucketType, "invalid_value")}},
		{"invalid_name_in_bucket", bucket("cloudtrail", bucketFields(map[string]string{"name": "1"})), nil,
			&wantMsg{LevelError, true, "'1' isn't a valid bucket name."}},
		{"invalid_only_logs_after_in_bucket", bucket("cloudtrail", bucketFields(map[string]string{"only_logs_after": "JAN-31"})), nil,
			&wantMsg{LevelError, true, "Argument not a valid date in format YYYY-MMM-DD: 'JAN-31'."}},
		{"invalid_regions_in_bucket", bucket("cloudtrail", bucketFields(map[string]string{"regions": "1"})), nil,
			&wantMsg{LevelError, true, "WARNING: The region '1' has not a valid format.'"}},
		{"invalid_path_in_bucket", bucket("cloudtrail", bucketFields(map[string]string{"path": "test-prefix>"})), nil,
			&wantMsg{LevelError, true, "'test-prefix>' has an invalid character. Avoid to use '\\{}^%`[]'\"<>~#|' or '&apos;&quot;&amp;&lt;&gt;&#13;&#10;'."}},
		{"invalid_path_suffix_in_bucket", bucket("cloudtrail", bucketFields(map[string]string{"path_suffix": "test-suffix>"})), nil,
			&wantMsg{LevelError, true, "'test-suffix>' has an invalid character. Avoid to use '\\{}^%`[]'\"<>~#|' or '&apos;&quot;&amp;&lt;&gt;&#13;&#10;'."}},
		{"invalid_remove_from_bucket_in_bucket", bucket("cloudtrail", bucketFields(map[string]string{"remove_from_bucket": "nein"})), nil,
			&wantMsg{LevelError, false, "Invalid content for tag 'remove_from_bucket' at module 'aws-s3'."}},

		{"invalid_type_in_service", service("fakeservice", serviceFields(nil)), nil,
			&wantMsg{LevelError, true, "Invalid service type 'fakeservice'. Valid ones are 'inspector' or 'cloudwatchlogs'"}},
		{"invalid_log_groups_in_service", service("cloudwatchlogs", serviceFields(map[string]string{"aws_log_groups": "invalid_log_group>"})), nil,
			&wantMsg{LevelError, true, "'invalid_log_group>' has an invalid character. Avoid to use '\\{}^%`[]'\"<>~#|' or '&apos;&quot;&amp;&lt;&gt;&#13;&#10;'."}},
		{"invalid_only_logs_after_in_service", service("cloudwatchlogs", serviceFields(map[string]string{"only_logs_after": "JAN-31"})), nil,
			&wantMsg{LevelError, true, "Argument not a valid date in format YYYY-MMM-DD: 'JAN-31'."}},
		{"invalid_regions_in_service", service("cloudwatchlogs", serviceFields(map[string]string{"regions": "1"})), nil,
			&wantMsg{LevelError, true, "WARNING: The region '1' has not a valid format.'"}},
		{"invalid_remove_log_streams_in_service", service("cloudwatchlogs", serviceFields(map[string]string{"remove_log_streams": "nein"})), nil,
			&wantMsg{LevelError, false, "Invalid content for tag 'remove_log_streams' at module 'aws-s3'."}},
	}
	for _, tt := range tests {
		_, msgs, err := parse(t, wodle(tt.body))
		checkOutcome(t, tt.name, msgs, err, tt.warns, tt.err)
	}
}

func TestMultipleBucketsAndServices(t *testing.T) {
	body := bucket("cloudtrail", map[string]string{"name": "wazuh-cloudtrail-integration-tests", "regions": "us-east-1"}) +
		bucket("cloudtrail", map[string]string{"name": "wazuh-cloudtrail-integration-tests", "regions": "us-east-2"}) +
		service("cloudwatchlogs", map[string]string{"aws_log_groups": "g1", "regions": "us-east-1"}) +
		service("cloudwatchlogs", map[string]string{"aws_log_groups": "g1", "regions": "us-east-2"})
	m, msgs, err := parse(t, wodle(body))
	if err != nil || len(msgs) != 0 {
		t.Fatalf("err %v msgs %v", err, msgs)
	}
	var got []string
	for _, tg := range m.Targets {
		got = append(got, fmt.Sprintf("%s:%s:%v", tg.Kind, tg.Type, tg.Regions))
	}
	want := []string{"bucket:cloudtrail:[us-east-1]", "bucket:cloudtrail:[us-east-2]", "service:cloudwatchlogs:[us-east-1]", "service:cloudwatchlogs:[us-east-2]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("targets %v, want %v", got, want)
	}
}

// test_fake_tag of test_wm_aws.c.
func TestFakeTag(t *testing.T) {
	_, msgs, err := parse(t, wodle("<fake-tag>ASD</fake-tag>"))
	checkOutcome(t, "fake tag", msgs, err, nil, &wantMsg{LevelError, false, "No such tag 'fake-tag' at module 'aws-s3'."})
}

// The configuration of test_interval_execution, as a bare fragment.
func TestFragmentAndNormalisation(t *testing.T) {
	frag := `<interval>10m</interval>
<run_on_start>no</run_on_start>
<skip_on_error>yes</skip_on_error>
<bucket type="config">
  <name>wazuh-aws-wodle-config</name>
  <path>config</path>
  <aws_profile>default</aws_profile>
  <only_logs_after>2024-jan-5</only_logs_after>
  <regions>us-west-1,us-east-1,us-west-1</regions>
  <aws_account_id>123456789012</aws_account_id>
  <iam_role_arn>arn:aws:iam::123456789012:role/r</iam_role_arn>
  <iam_role_duration>900</iam_role_duration>
  <discard_regex field="configuration.complianceType">.*COMPLIANT.*</discard_regex>
  <access_key>AKIA</access_key>
</bucket>`
	m, msgs, err := parse(t, frag)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Text, "Deprecated tag <access_key> found at module 'aws-s3'. This tag was deprecated in 4.4;") {
		t.Errorf("messages %+v", msgs)
	}
	if m.Schedule.Interval != 600 || m.RunOnStart || !m.SkipOnError || m.Disabled {
		t.Errorf("module %+v", m)
	}
	want := Target{Kind: KindBucket, Type: "config", Bucket: "wazuh-aws-wodle-config", AccessKey: "AKIA", Profile: "default",
		IAMRoleARN: "arn:aws:iam::123456789012:role/r", IAMRoleDuration: 900, AccountIDs: []string{"123456789012"},
		Prefix: "config/", OnlyLogsAfter: "20240105", Regions: []string{"us-east-1", "us-west-1"},
		DiscardField: "configuration.complianceType", DiscardRegex: ".*COMPLIANT.*", SkipOnError: true}
	if len(m.Targets) != 1 || !reflect.DeepEqual(m.Targets[0], want) {
		t.Errorf("target %+v\nwant %+v", m.Targets, want)
	}
}

func TestGrammar(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		warns []wantMsg
		err   *wantMsg
	}{
		{"cloudtrail name", strings.Replace(wodle(bucket("cloudtrail", bucketFields(nil))), `"aws-s3"`, `"aws-cloudtrail"`, 1),
			[]wantMsg{{LevelWarning, false, "Module name 'aws-cloudtrail' is deprecated. Change it to 'aws-s3'"}}, nil},
		{"no children", `<wodle name="aws-s3"></wodle>`, nil, &wantMsg{LevelError, false, "Tag <bucket> not found at module 'aws-s3'."}},
		{"bad disabled", wodle("<disabled>maybe</disabled>"), nil, &wantMsg{LevelError, false, "Invalid content for tag 'disabled' at module 'aws-s3'."}},
		{"empty legacy", wodle("<bucket></bucket>"), nil, &wantMsg{LevelError, false, "Empty content for tag 'bucket' at module 'aws-s3'."}},
		{"bucket attr", wodle(`<bucket kind="x"><name>abc</name></bucket>`), nil,
			&wantMsg{LevelError, true, "Attribute name 'kind' is not valid. The valid one is 'type'."}},
		{"bucket child", wodle(`<bucket type="waf"><nom>abc</nom></bucket>`), nil,
			&wantMsg{LevelError, false, "No such child tag 'nom' of bucket at module 'aws-s3'."}},
		{"org empty", wodle(`<bucket type="waf"><aws_organization_id></aws_organization_id></bucket>`), nil,
			&wantMsg{LevelError, false, "Empty content for tag 'bucket' at module 'aws-s3'."}},
		{"service account empty", wodle(`<service type="inspector"><aws_account_id/></service>`), nil,
			&wantMsg{LevelError, false, "Empty content for tag 'service' at module 'aws-s3'."}},
		{"discard no field", wodle(`<bucket type="waf"><name>abc</name><discard_regex>x</discard_regex></bucket>`), nil,
			&wantMsg{LevelError, false, "Required attribute 'field' is missing in 'discard_regex'. This is a mandatory parameter."}},
		{"discard empty", wodle(`<bucket type="waf"><name>abc</name><discard_regex field="a"></discard_regex></bucket>`),
			[]wantMsg{{LevelWarning, false, "No value was provided for 'discard_regex'. No event will be skipped."}}, nil},
		{"cloudwatch discard without field", wodle(`<service type="cloudwatchlogs"><aws_log_groups>g</aws_log_groups><discard_regex>x</discard_regex></service>`), nil, nil},
		{"discard lookahead", wodle(`<bucket type="waf"><name>abc</name><discard_regex field="a">x(?=y)</discard_regex></bucket>`), nil,
			&wantMsg{LevelError, true, "Invalid discard_regex 'x(?=y)': look-ahead (?= at position 1 is not supported"}},
		{"undefined subscriber", wodle(`<subscriber><sqs_name>q</sqs_name></subscriber>`), nil, &wantMsg{LevelError, true, "Undefined type for subscriber."}},
		{"bad subscriber", wodle(`<subscriber type="x"><sqs_name>q</sqs_name></subscriber>`), nil,
			&wantMsg{LevelError, true, "Invalid subscriber type 'x'. Valid ones are 'security_lake', 'buckets' or 'security_hub'"}},
		{"empty sqs", wodle(`<subscriber type="buckets"><sqs_name></sqs_name></subscriber>`), nil,
			&wantMsg{LevelError, false, "Invalid content for tag 'sqs_name': It cannot be empty"}},
		{"security lake discard", wodle(`<subscriber type="security_lake"><discard_regex>x</discard_regex></subscriber>`), nil,
			&wantMsg{LevelError, false, "The 'discard_regex' parameter is not available for Security Lake."}},
		{"subscriber child", wodle(`<subscriber type="buckets"><name>q</name></subscriber>`), nil,
			&wantMsg{LevelError, false, "No such child tag 'name' of service at module 'aws-s3'."}},
		{"security lake needs role", wodle(`<subscriber type="security_lake"><sqs_name>q</sqs_name></subscriber>`), nil,
			&wantMsg{LevelError, true, "Used a subscriber but no --iam_role_arn provided."}},
		{"bad sqs", wodle(`<subscriber type="buckets"><sqs_name>a.b</sqs_name></subscriber>`), nil,
			&wantMsg{LevelError, true, "Invalid SQS Name specified. Value must be up to 80 characters and the valid values are alphanumeric characters, hyphens (-), and underscores (_)"}},
		{"unknown region", wodle(bucket("alb", bucketFields(map[string]string{"regions": "zz-fake-1"}))), nil,
			&wantMsg{LevelError, true, "Invalid region 'zz-fake-1'"}},
		{"duration without role", wodle(`<bucket type="waf"><name>abc</name><iam_role_duration>900</iam_role_duration></bucket>`), nil,
			&wantMsg{LevelError, true, "Used --iam_role_duration argument but no --iam_role_arn provided."}},
		{"duration range", wodle(`<bucket type="waf"><name>abc</name><iam_role_arn>arn:a:b:c:d:e</iam_role_arn><iam_role_duration>3601</iam_role_duration></bucket>`), nil,
			&wantMsg{LevelError, true, "Invalid session duration specified. Value must be between 900 and 3600."}},
		{"bad arn", wodle(`<bucket type="waf"><name>abc</name><iam_role_arn>role</iam_role_arn></bucket>`), nil,
			&wantMsg{LevelError, true, "Invalid ARN Role specified. Value must be a valid ARN Role."}},
		{"bad account", wodle(`<bucket type="waf"><name>abc</name><aws_account_id>12345</aws_account_id></bucket>`), nil,
			&wantMsg{LevelError, true, "Not valid AWS account ID (numeric digits only): '12345'."}},
		{"entity kept raw", wodle(`<bucket type="waf"><name>abc</name><path>a&amp;b</path></bucket>`), nil,
			&wantMsg{LevelError, true, "'a&amp;b' has an invalid character. Avoid to use '\\{}^%`[]'\"<>~#|' or '&apos;&quot;&amp;&lt;&gt;&#13;&#10;'."}},
		{"day and wday", wodle(bucket("waf", bucketFields(nil)) + "<day>1</day><wday>mon</wday>"), nil,
			&wantMsg{LevelError, false, "Options 'day' and 'wday' are not compatible."}},
		{"bad wday", wodle(bucket("waf", bucketFields(nil)) + "<wday>xday</wday>"),
			[]wantMsg{{LevelError, false, "(1241): Invalid day format: 'xday'."}},
			&wantMsg{LevelError, false, "(1235): Invalid value for element 'wday': xday."}},
		{"time warning", wodle(bucket("waf", bucketFields(nil)) + "<time>01:11</time>"),
			[]wantMsg{{LevelWarning, false, "Interval must be a multiple of one day. New interval value: 1d"}}, nil},
		{"no module", "<ossec_config><client/></ossec_config>", nil, nil},
	}
	for _, tt := range tests {
		_, msgs, err := parse(t, tt.doc)
		if tt.name == "no module" {
			if !errors.Is(err, ErrNoModule) {
				t.Errorf("no module: %v", err)
			}
			continue
		}
		checkOutcome(t, tt.name, msgs, err, tt.warns, tt.err)
	}
}

func TestLegacyAndReplacement(t *testing.T) {
	doc := "<ossec_config><wodle name=\"aws-s3\"><bucket type=\"waf\"><name>first</name></bucket></wodle></ossec_config>\n" +
		"<ossec_config><wodle name=\"aws-s3\"><bucket>legacy-bucket</bucket><remove_from_bucket>yes</remove_from_bucket>" +
		"<secret_key>S</secret_key><interval>1h</interval></wodle></ossec_config>"
	m, msgs, err := parse(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Text != "Deprecated config defined; please use current config definition at module 'aws-s3'." {
		t.Errorf("messages %+v", msgs)
	}
	want := Target{Kind: KindBucket, Type: "cloudtrail", Bucket: "legacy-bucket", SecretKey: "S", AccountAlias: "LEGACY", Remove: true}
	if m.Schedule.Interval != 3600 || len(m.Targets) != 1 || !reflect.DeepEqual(m.Targets[0], want) {
		t.Errorf("module %+v targets %+v", m, m.Targets)
	}
	// With a module-level access key, remove_from_bucket is not copied.
	m, _, err = parse(t, wodle("<bucket>legacy-bucket</bucket><remove_from_bucket>yes</remove_from_bucket><access_key>A</access_key>"))
	if err != nil || m.Targets[0].Remove || m.Targets[0].AccessKey != "A" {
		t.Errorf("legacy with access key: %+v %v", m, err)
	}
}
