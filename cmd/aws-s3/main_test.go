package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func runArgs(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// --check-config reproduces the grammar's messages from files (the parser
// cases of Wazuh's integration tests, reference-modulesd.md §5.4).
func TestCheckConfigErrors(t *testing.T) {
	bucketTypes := "Valid ones are 'cloudtrail', 'config', 'guardduty', 'vpcflow', 'waf', 'cisco_umbrella', custom', alb', clb', nlb' or 'server_access'"
	invalidChar := "' has an invalid character. Avoid to use '\\{}^%`[]'\"<>~#|' or '&apos;&quot;&amp;&lt;&gt;&#13;&#10;'."
	cases := map[string]string{
		"invalid_name_in_bucket":                "wazuh-modulesd:aws-s3: ERROR: '1' isn't a valid bucket name.",
		"invalid_regions_in_bucket":             "wazuh-modulesd:aws-s3: ERROR: WARNING: The region '1' has not a valid format.'",
		"invalid_path_in_bucket":                "wazuh-modulesd:aws-s3: ERROR: 'test-prefix>" + invalidChar,
		"invalid_path_suffix_in_bucket":         "wazuh-modulesd:aws-s3: ERROR: 'test-suffix>" + invalidChar,
		"invalid_remove_from_bucket_in_bucket":  "wazuh-modulesd: ERROR: Invalid content for tag 'remove_from_bucket' at module 'aws-s3'.",
		"empty_type_in_service":                 "wazuh-modulesd:aws-s3: ERROR: Invalid service type ''. Valid ones are 'inspector' or 'cloudwatchlogs'",
		"empty_log_groups_in_service":           "wazuh-modulesd: ERROR: Empty content for tag 'aws_log_groups' at module 'aws-s3'.",
		"invalid_type_in_service":               "wazuh-modulesd:aws-s3: ERROR: Invalid service type 'fakeservice'. Valid ones are 'inspector' or 'cloudwatchlogs'",
		"invalid_log_groups_in_service":         "wazuh-modulesd:aws-s3: ERROR: 'invalid_log_group>" + invalidChar,
		"invalid_only_logs_after_in_service":    "wazuh-modulesd:aws-s3: ERROR: Argument not a valid date in format YYYY-MMM-DD: 'JAN-31'.",
		"invalid_regions_in_service":            "wazuh-modulesd:aws-s3: ERROR: WARNING: The region '1' has not a valid format.'",
		"invalid_remove_log_streams_in_service": "wazuh-modulesd: ERROR: Invalid content for tag 'remove_log_streams' at module 'aws-s3'.",
		"no_definitions":                        "wazuh-modulesd:aws-s3: ERROR: No buckets, services or subscribers definitions found at module 'aws-s3'.",
		"empty_type_in_bucket":                  "wazuh-modulesd:aws-s3: ERROR: Invalid bucket type ''. " + bucketTypes,
		"invalid_type_in_bucket":                "wazuh-modulesd:aws-s3: ERROR: Invalid bucket type 'invalid_value'. " + bucketTypes,
		"empty_name_in_bucket":                  "wazuh-modulesd: ERROR: Empty content for tag 'name' at module 'aws-s3'.",
		"invalid_date_in_bucket":                "wazuh-modulesd:aws-s3: ERROR: Argument not a valid date in format YYYY-MMM-DD: 'JAN-31'.",
		"invalid_region_in_bucket":              "wazuh-modulesd:aws-s3: ERROR: Invalid region 'us-fake-1'",
		"type_missing_in_service":               "wazuh-modulesd:aws-s3: ERROR: Undefined type for service.",
		"fake_tag":                              "wazuh-modulesd: ERROR: No such tag 'fake-tag' at module 'aws-s3'.",
	}
	for name, want := range cases {
		code, stdout, stderr := runArgs("--check-config", filepath.Join("testdata", name+".xml"))
		if code != 1 || stdout != "" || !strings.HasSuffix(stderr, want+"\n") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and %q", name, code, stdout, stderr, want)
		}
	}
}

// Empty optional values only warn; the configuration stays valid.
func TestCheckConfigWarnings(t *testing.T) {
	cases := map[string]string{
		"empty_only_logs_after_in_bucket":  "only_logs_after",
		"empty_regions_in_bucket":          "regions",
		"empty_path_in_bucket":             "path",
		"empty_path_suffix_in_bucket":      "path_suffix",
		"empty_only_logs_after_in_service": "only_logs_after",
		"empty_regions_in_service":         "regions",
	}
	for name, tag := range cases {
		code, stdout, stderr := runArgs("--check-config", filepath.Join("testdata", name+".xml"))
		want := "wazuh-modulesd: WARNING: Empty content for tag '" + tag + "' at module 'aws-s3'.\n"
		if code != 0 || stderr != want || !strings.Contains(stdout, `"aws-s3"`) {
			t.Errorf("%s: exit %d, stderr %q; want exit 0 and %q", name, code, stderr, want)
		}
	}
	// The legacy form warns, then its name (the text after the last child,
	// as Wazuh's XML reader sees it) fails the script's bucket-name check.
	code, _, stderr := runArgs("--check-config", "testdata/type_missing_in_bucket.xml")
	if code != 1 || !strings.HasPrefix(stderr, "wazuh-modulesd:aws-s3: WARNING: Deprecated config defined; please use current config definition at module 'aws-s3'.\n") {
		t.Errorf("type missing in bucket: exit %d, stderr %q", code, stderr)
	}
}

func TestCheckConfigDump(t *testing.T) {
	code, stdout, stderr := runArgs("--check-config", "testdata/multiple.xml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout, "wJalrXUtnFEMI") || strings.Contains(stdout, "AKIAIOSFODNN7EXAMPLE") {
		t.Fatalf("secret in the dump:\n%s", stdout)
	}
	if !strings.Contains(stderr, "Deprecated tag <access_key> found at module 'aws-s3'.") {
		t.Errorf("deprecation warning missing: %q", stderr)
	}
	var dump struct {
		AWS struct {
			Interval int `json:"interval"`
			Buckets  []struct {
				Name, Path, Regions, AccessKey string
			} `json:"buckets"`
			Services []map[string]any `json:"services"`
		} `json:"aws-s3"`
	}
	if err := json.Unmarshal([]byte(stdout), &dump); err != nil {
		t.Fatalf("dump is not JSON: %v\n%s", err, stdout)
	}
	if dump.AWS.Interval != 600 || len(dump.AWS.Buckets) != 2 || len(dump.AWS.Services) != 2 {
		t.Fatalf("dump = %+v", dump.AWS)
	}
	if dump.AWS.Buckets[1].Path != "logs/" {
		t.Errorf("path not normalised: %q", dump.AWS.Buckets[1].Path)
	}
}

// The drop-in mode answers like the script's argparse.
func TestScriptArgumentErrors(t *testing.T) {
	code, stdout, stderr := runArgs("--bucket", "Bad_Name", "--type", "cloudtrail")
	want := "usage: usage: aws-s3 [options]\naws-s3: error: argument -b/--bucket: 'Bad_Name' isn't a valid bucket name.\n"
	if code != 2 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runArgs("--type", "cloudtrail")
	if code != 2 || !strings.Contains(stderr, "one of the arguments -b/--bucket -sr/--service -sb/--subscriber is required") {
		t.Errorf("missing mode: exit %d, stderr %q", code, stderr)
	}
}

// Region membership is the script's run-time check: exit 22, message only
// in debug mode, before any AWS call.
func TestScriptInvalidRegion(t *testing.T) {
	home := t.TempDir()
	code, stdout, _ := runArgs("--wazuh-home", home, "--bucket", "wazuh-cloudtrail", "--regions", "us-fake-1", "--type", "cloudtrail", "--debug", "1")
	if code != 22 || !strings.Contains(stdout, "DEBUG: +++ ERROR: Invalid region 'us-fake-1'") {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
	code, stdout, _ = runArgs("--wazuh-home", home, "--bucket", "wazuh-cloudtrail", "--regions", "us-fake-1", "--type", "cloudtrail")
	// Only the run's summary line, which is shown at every debug level.
	if code != 22 || strings.Contains(stdout, "Invalid region") || !strings.HasPrefix(stdout, "INFO: Bucket wazuh-cloudtrail (cloudtrail) run: 0 objects,") || strings.Count(stdout, "\n") != 1 {
		t.Errorf("without debug: exit %d, stdout %q", code, stdout)
	}
}

func TestWazuhHomeFromFlagAndEnv(t *testing.T) {
	if got := wazuhHome("/opt/w"); got != "/opt/w" {
		t.Errorf("flag: %q", got)
	}
	t.Setenv("WAZUH_HOME", "/env/w")
	if got := wazuhHome(""); got != "/env/w" {
		t.Errorf("env: %q", got)
	}
}
