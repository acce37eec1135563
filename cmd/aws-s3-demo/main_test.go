package main

import (
	"bytes"
	"strings"
	"testing"
)

// The demo delivers events of every bucket type and ends with its summary.
func TestDemo(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_STS", "AWS_EC2_METADATA_DISABLED"} {
		t.Setenv(k, "") // restored after the test; the demo sets its own
	}
	t.Setenv("HOME", t.TempDir())
	var out, errb bytes.Buffer
	code := demo("", &out, &errb)
	stdout, stderr := out.String(), errb.String()
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if !strings.HasPrefix(lines[len(lines)-1], "demo: 11 bucket types, 12 objects, 22 events") {
		t.Errorf("summary = %q", lines[len(lines)-1])
	}
	for _, src := range []string{"cloudtrail", "config", "vpc", "guardduty", "alb", "clb", "nlb", "waf", "s3_server_access", "cisco_umbrella"} {
		if !strings.Contains(stdout, `"source": "`+src+`"`) {
			t.Errorf("no %s event in the demo output", src)
		}
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "1:Wazuh-AWS:{") {
			t.Fatalf("not a queue frame: %q", l)
		}
	}
}
