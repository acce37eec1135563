package service

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wazuh/aws-s3-go/core/logging"
)

func i64(v int64) *int64   { return &v }
func str(s string) *string { return &s }

func show(s streamState) string {
	return pyStr(s.token) + " " + pyInt(s.start) + " " + pyInt(s.end)
}

// TestUpdate follows update_values' cases in the reference's unit tests.
func TestUpdate(t *testing.T) {
	cases := []struct {
		name          string
		values        *streamState
		before, after *rangeResult
		want          string
	}{
		{"new stream", nil, nil, &rangeResult{str("t2"), i64(10), i64(20)}, "t2 10 20"},
		{"before and after", nil, &rangeResult{str("t1"), i64(5), i64(9)}, &rangeResult{str("t2"), i64(10), i64(20)}, "t2 5 20"},
		{"only before", nil, &rangeResult{str("t1"), i64(5), i64(9)}, nil, "t1 5 9"},
		{"stored, widened", &streamState{str("t0"), i64(8), i64(15)}, &rangeResult{nil, i64(5), i64(8)}, &rangeResult{str("t2"), i64(16), i64(30)}, "t2 5 30"},
		{"stored, nothing new", &streamState{str("t0"), i64(8), i64(15)}, nil, &rangeResult{str("t0"), i64(16), i64(16)}, "t0 8 16"},
		{"stored without times", &streamState{nil, nil, nil}, nil, &rangeResult{str("t2"), i64(3), i64(7)}, "t2 7 7"},
		{"after with None times", &streamState{str("t0"), i64(8), i64(15)}, &rangeResult{nil, i64(4), i64(6)}, &rangeResult{str("t3"), nil, nil}, "t3 4 15"},
	}
	for _, c := range cases {
		if got := show(update(c.values, c.before, c.after)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestFilter(t *testing.T) {
	cases := []struct {
		field, regex, msg string
		skip              bool
		line              string // a log line the decision must produce
	}{
		{"kind", "drop", `{"kind": "drop-me"}`, true, `DEBUG: +++ The "drop" regex found a match in the "kind" field. The event will be skipped.`},
		{"kind", "drop", `{"kind": "keep"}`, false, `DEBUG: +++ The "drop" regex did not find a match in the "kind" field. The event will be processed.`},
		{"a.b", "x", `[{"a": {"b": "y"}}, {"a": "xx"}]`, true, ""}, // an array keeps only the first component, as the script
		{"a.b", "x", `{"a": [{"b": "x1"}]}`, true, ""},
		{"kind", "drop", `17`, false, ""},
		{"", ".*Test.*", "a Test line", true, `DEBUG: +++ The ".*Test.*" regex found a match. The event will be skipped.`},
		{"", ".*Test.*", "plain", false, `DEBUG: +++ The ".*Test.*" regex did not find a match. The event will be processed.`},
		{"", "Test", "a Test line", false, ""}, // re.match is anchored at the start
		{"", "", "None of this is skipped", false, `DEBUG: +++ The "None" regex did not find a match. The event will be processed.`},
		{"", "drop", `{"kind": "drop"}`, false, `DEBUG: +++ The "drop" regex did not find a match in the "None" field. The event will be processed.`},
	}
	for _, c := range cases {
		f, err := newFilter(c.field, c.regex)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if got := f.skip(c.msg, logging.NewScript(&out, 3)); got != c.skip {
			t.Errorf("%q/%q on %s: skip %v", c.field, c.regex, c.msg, got)
		}
		if c.line != "" && !hasLine(out.String(), c.line) {
			t.Errorf("%q/%q on %s: log lacks %q:\n%s", c.field, c.regex, c.msg, c.line, out.String())
		}
	}
}

func TestIniValue(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config")
	os.WriteFile(p, []byte(strings.Join([]string{
		"# comment", "[default]", "Region = eu-west-1", "output=json",
		"[profile dev]", "region: us-west-2", "[dev]", "region = ap-south-1",
	}, "\n")), 0o600)
	for _, c := range []struct{ section, want string }{
		{"default", "eu-west-1"}, {"dev", "ap-south-1"}, {"profile dev", "us-west-2"}, {"none", ""},
	} {
		if got, _ := iniValue(p, c.section, "region"); got != c.want {
			t.Errorf("[%s]: got %q, want %q", c.section, got, c.want)
		}
	}
}
