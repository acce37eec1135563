package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseArgvTimeouts(t *testing.T) {
	tests := []struct {
		args          []string
		connect, read time.Duration
	}{
		{[]string{"-b", "abc"}, 0, 0},
		{[]string{"-b", "abc", "--connect-timeout", "5", "--read-timeout", "1.5"}, 5 * time.Second, 1500 * time.Millisecond},
		{[]string{"-b", "abc", "--connect-timeout=3600", "--read-timeout=1"}, time.Hour, time.Second},
		{[]string{"-sr", "inspector", "--connect-timeout", "7"}, 7 * time.Second, 0},
	}
	for _, tt := range tests {
		got, err := ParseArgv("aws-s3", tt.args)
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if got.ConnectTimeout != tt.connect || got.ReadTimeout != tt.read {
			t.Errorf("%q: connect %v read %v, want %v %v", tt.args, got.ConnectTimeout, got.ReadTimeout, tt.connect, tt.read)
		}
	}
}

func TestParseArgvBadTimeouts(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"-b", "abc", "--read-timeout", "0"}, "argument --read-timeout: Invalid timeout: '0'. Value must be between 1 and 3600 seconds."},
		{[]string{"-b", "abc", "--connect-timeout", "3601"}, "argument --connect-timeout: Invalid timeout: '3601'. Value must be between 1 and 3600 seconds."},
		{[]string{"-b", "abc", "--connect-timeout", "inf"}, "argument --connect-timeout: Invalid timeout: 'inf'. Value must be between 1 and 3600 seconds."},
		{[]string{"-b", "abc", "--read-timeout", "ten"}, "argument --read-timeout: Invalid timeout: 'ten'. Value must be a number of seconds."},
		{[]string{"-b", "abc", "--read-timeout"}, "argument --read-timeout: expected one argument"},
		// Extensions are not abbreviated: the script's messages stay.
		{[]string{"-b", "abc", "--conn", "7"}, "unrecognized arguments: --conn 7"},
	}
	for _, tt := range tests {
		_, err := ParseArgv("aws-s3", tt.args)
		var ee *ArgvError
		if !errors.As(err, &ee) || ee.Kind != ArgvUsage || ee.Msg != tt.msg ||
			ee.Stderr != "usage: usage: aws-s3 [options]\naws-s3: error: "+tt.msg+"\n" {
			t.Errorf("%q: %#v, want ArgvUsage with %q", tt.args, err, tt.msg)
		}
	}
}

func TestParseArgvHelpTimeouts(t *testing.T) {
	_, err := ParseArgv("aws-s3", []string{"-h"})
	var ee *ArgvError
	if !errors.As(err, &ee) || ee.Kind != ArgvHelp {
		t.Fatal(err)
	}
	for _, want := range []string{"  --connect-timeout CONNECT_TIMEOUT\n", "  --read-timeout READ_TIMEOUT\n"} {
		if !strings.Contains(ee.Stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, ee.Stdout)
		}
	}
}

func TestFromJSONTimeouts(t *testing.T) {
	got, err := FromJSON([]byte(`{"bucket": {"name": "abc"}, "connect_timeout": 2, "read_timeout": 0.5e1}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.ConnectTimeout != 2*time.Second || got.ReadTimeout != 5*time.Second {
		t.Errorf("connect %v read %v, want 2s 5s", got.ConnectTimeout, got.ReadTimeout)
	}
	out, err := TargetJSON(got)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"connect_timeout":2,"read_timeout":5`) {
		t.Errorf("TargetJSON = %s", out)
	}
	back, err := FromJSON(out)
	if err != nil || back.ConnectTimeout != got.ConnectTimeout || back.ReadTimeout != got.ReadTimeout {
		t.Errorf("round trip through %s: %+v, %v", out, back, err)
	}
	for in, msg := range map[string]string{
		`{"bucket": {"name": "abc"}, "read_timeout": "60"}`:    `"read_timeout" must be a number of seconds, not "60"`,
		`{"bucket": {"name": "abc"}, "read_timeout": 0.5}`:     `"read_timeout": Invalid timeout: '0.5'. Value must be between 1 and 3600 seconds.`,
		`{"bucket": {"name": "abc"}, "connect_timeout": 1e9}`:  `"connect_timeout": Invalid timeout: '1e9'. Value must be between 1 and 3600 seconds.`,
		`{"bucket": {"name": "abc"}, "connect_timeout": null}`: `"connect_timeout" must be a number of seconds, not null`,
	} {
		_, err := FromJSON([]byte(in))
		if err == nil || err.Error() != "config: target JSON: "+msg {
			t.Errorf("%s: %v, want %q", in, err, msg)
		}
	}
}
