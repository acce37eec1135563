package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseArgvModulesdCommandLine(t *testing.T) {
	args := []string{"--bucket", "wazuh-cloudtrail", "--remove", "--aws_profile", "qa", "--iam_role_arn", "arn:aws:iam::1:role/r",
		"--iam_role_duration", "1000", "--aws_organization_id", "o-1", "--aws_account_id", "123456789012,210987654321",
		"--aws_account_alias", "prod", "--trail_prefix", "p", "--trail_suffix", "s/", "--only_logs_after", "2024-NOV-19",
		"--regions", "us-east-2,us-east-1", "--discard-field", "f", "--discard-regex", "r", "--sts_endpoint", "e1",
		"--service_endpoint", "e2", "--type", "CloudTrail", "--debug", "2", "--skip_on_error"}
	got, err := ParseArgv("aws-s3", args)
	if err != nil {
		t.Fatal(err)
	}
	want := Target{Kind: KindBucket, Type: "cloudtrail", Bucket: "wazuh-cloudtrail", Remove: true, Profile: "qa",
		IAMRoleARN: "arn:aws:iam::1:role/r", IAMRoleDuration: 1000, OrganizationID: "o-1",
		AccountIDs: []string{"123456789012", "210987654321"}, AccountAlias: "prod", Prefix: "p/", Suffix: "s/",
		OnlyLogsAfter: "20241119", Regions: []string{"us-east-1", "us-east-2"}, DiscardField: "f", DiscardRegex: "r",
		STSEndpoint: "e1", ServiceEndpoint: "e2", Debug: 2, SkipOnError: true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseArgvForms(t *testing.T) {
	tests := []struct {
		args []string
		want Target
	}{
		{[]string{"--buck", "abc"}, Target{Kind: KindBucket, Type: "cloudtrail", Bucket: "abc"}},
		{[]string{"--bucket=abc", "-tWAF"}, Target{Kind: KindBucket, Type: "waf", Bucket: "abc"}},
		{[]string{"-b", "abc", "-Re", "-d3"}, Target{Kind: KindBucket, Type: "cloudtrail", Bucket: "abc", Remove: true, SkipOnError: true, Debug: 3}},
		{[]string{"-b=abc", "-s", "2024-jan- 5", "-o"}, Target{Kind: KindBucket, Type: "cloudtrail", Bucket: "abc", OnlyLogsAfter: "20240105", Reparse: true}},
		{[]string{"-sr", "CloudWatchLogs", "-g", "a,b", "-P", "--debug", " 1 "}, Target{Kind: KindService, Type: "cloudwatchlogs", LogGroups: []string{"a", "b"}, RemoveLogStreams: true, Debug: 1}},
		{[]string{"-sb", "buckets", "-q", "my-queue", "-x", "ext"}, Target{Kind: KindSubscriber, Type: "buckets", Queue: "my-queue", ExternalID: "ext"}},
		{[]string{"--service", "any"}, Target{Kind: KindService, Type: "any"}},
		{[]string{"--bucket", "abc", "--discard-regex", "-foo bar"}, Target{Kind: KindBucket, Type: "cloudtrail", Bucket: "abc", DiscardRegex: "-foo bar"}},
	}
	for _, tt := range tests {
		got, err := ParseArgv("aws-s3", tt.args)
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q:\n got  %+v\n want %+v", tt.args, got, tt.want)
		}
	}
}

func TestParseArgvErrors(t *testing.T) {
	avoid := "Avoid to use '\\{}^%`[]'\"<>~#|' or '&apos;&quot;&amp;&lt;&gt;&#13;&#10;'."
	tests := []struct {
		args []string
		msg  string
	}{
		{nil, "one of the arguments -b/--bucket -sr/--service -sb/--subscriber is required"},
		{[]string{"--type", "waf"}, "one of the arguments -b/--bucket -sr/--service -sb/--subscriber is required"},
		{[]string{"-b", "abc", "-sr", "inspector"}, "argument -sr/--service: not allowed with argument -b/--bucket"},
		{[]string{"-b", "Bad_Name"}, "argument -b/--bucket: 'Bad_Name' isn't a valid bucket name."},
		{[]string{"-b", "--ol-s3-invalid"}, "argument -b/--bucket: expected one argument"},
		{[]string{"--bucket=--ol-s3-invalid"}, "argument -b/--bucket: '--ol-s3-invalid' isn't a valid bucket name."},
		{[]string{"--bucket=abc-s3alias"}, "argument -b/--bucket: 'abc-s3alias' isn't a valid bucket name."},
		{[]string{"--bucket=xn--abc"}, "argument -b/--bucket: 'xn--abc' isn't a valid bucket name."},
		{[]string{"-b", "abc", "-s", "2024-01-01"}, "argument -s/--only_logs_after: Argument not a valid date in format YYYY-MMM-DD: '2024-01-01'."},
		{[]string{"-b", "abc", "-s", "2024-January-01"}, "argument -s/--only_logs_after: Argument not a valid date in format YYYY-MMM-DD: '2024-January-01'."},
		{[]string{"-b", "abc", "-r", "bad"}, "argument -r/--regions: WARNING: The region 'bad' has not a valid format.'"},
		{[]string{"-b", "abc", "-c", "12345"}, "argument -c/--aws_account_id: Not valid AWS account ID (numeric digits only): '12345'."},
		{[]string{"-b", "abc", "-c", "123456789abc"}, "argument -c/--aws_account_id: Not valid AWS account ID (numeric digits only): '123456789abc'."},
		{[]string{"-b", "abc", "-rd", "3601"}, "argument -rd/--iam_role_duration: Invalid session duration specified. Value must be between 900 and 3600."},
		{[]string{"-b", "abc", "-rd", "899"}, "argument -rd/--iam_role_duration: Invalid session duration specified. Value must be between 900 and 3600."},
		{[]string{"-b", "abc", "-rd", "1h"}, "argument -rd/--iam_role_duration: Invalid session duration specified. Value must be a valid number."},
		{[]string{"-b", "abc", "-l", "a{b"}, "argument -l/--trail_prefix: 'a{b' has an invalid character. " + avoid},
		{[]string{"-b", "abc", "--re", "x"}, "ambiguous option: --re could match --remove, --regions, --reparse, --remove-log-streams"},
		{[]string{"-b", "abc", "--remove=x"}, "argument -R/--remove: ignored explicit argument 'x'"},
		{[]string{"-b", "abc", "-Rz"}, "argument -R/--remove: ignored explicit argument 'z'"},
		{[]string{"-b", "abc", "extra", "--nope"}, "unrecognized arguments: extra --nope"},
		{[]string{"-b", "abc", "-q", "a.b"}, "argument -q/--queue: Invalid SQS Name specified. Value must be up to 80 characters and the valid values are alphanumeric characters, hyphens (-), and underscores (_)"},
		{[]string{"-b", "abc", "-i", "role"}, "argument -i/--iam_role_arn: Invalid ARN Role specified. Value must be a valid ARN Role."},
	}
	for _, tt := range tests {
		_, err := ParseArgv("aws-s3", tt.args)
		var ee *ArgvError
		if !errors.As(err, &ee) {
			t.Errorf("%q: error %v, want ArgvError", tt.args, err)
			continue
		}
		wantErr := "usage: usage: aws-s3 [options]\naws-s3: error: " + tt.msg + "\n"
		if ee.Kind != ArgvUsage || ee.Stdout != "" || ee.Stderr != wantErr {
			t.Errorf("%q: kind %d stdout %q stderr %q, want ArgvUsage and %q", tt.args, ee.Kind, ee.Stdout, ee.Stderr, wantErr)
		}
	}
}

func TestParseArgvUnknownErrors(t *testing.T) {
	tests := []struct {
		args   []string
		stdout string
	}{
		{[]string{"-b", "abc", "-rd", "900"}, "ERROR: Unknown error: Used --iam_role_duration argument but no --iam_role_arn provided.\n"},
		{[]string{"-b", "abc", "-d", "two"}, "ERROR: Unknown error: invalid literal for int() with base 10: 'two'\n"},
		{[]string{"-b", "abc", "-d", "it's"}, "ERROR: Unknown error: invalid literal for int() with base 10: \"it's\"\n"},
		// Python decodes argv with surrogateescape and repr escapes what
		// is not printable (CPython 3.11 output).
		{[]string{"-b", "abc", "-d", "x\xff\u200b"}, "ERROR: Unknown error: invalid literal for int() with base 10: 'x\\udcff\\u200b'\n"},
	}
	for _, tt := range tests {
		_, err := ParseArgv("aws-s3", tt.args)
		var ee *ArgvError
		if !errors.As(err, &ee) || ee.Kind != ArgvInvalid || ee.Stdout != tt.stdout || ee.Stderr != "" {
			t.Errorf("%q: %#v", tt.args, err)
		}
	}
	// Valid duration with a role is fine.
	if _, err := ParseArgv("aws-s3", []string{"-b", "abc", "-rd", "3600", "-i", "arn:aws:iam::1:role/r"}); err != nil {
		t.Error(err)
	}
}

func TestParseArgvHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"--he"}, {"-b", "abc", "-h"}} {
		_, err := ParseArgv("aws-s3", args)
		var ee *ArgvError
		if !errors.As(err, &ee) || ee.Kind != ArgvHelp || ee.Stderr != "" {
			t.Fatalf("%q: %#v", args, err)
		}
		for _, want := range []string{
			"usage: usage: aws-s3 [options]\n\nWazuh wodle for monitoring AWS\n\noptions:\n",
			"  -h, --help            show this help message and exit\n",
			"  -b LOGBUCKET, --bucket LOGBUCKET\n                        Specify the S3 bucket containing AWS logs\n",
			"  -R, --remove          Remove processed files from the AWS S3 bucket\n",
		} {
			if !strings.Contains(ee.Stdout, want) {
				t.Errorf("%q: help lacks %q:\n%s", args, want, ee.Stdout)
			}
		}
	}
}
