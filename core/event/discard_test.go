package event

import (
	"regexp"
	"testing"
)

func TestDiscardCheck(t *testing.T) {
	cases := []struct {
		name, field, pattern, event string
		skip                        bool
	}{
		{"top-level string", "eventName", "Describe", `{"eventName": "DescribeInstances"}`, true},
		{"match anchored at start only", "eventName", "Inst", `{"eventName": "DescribeInstances"}`, false},
		{"prefix is enough", "eventName", "Desc", `{"eventName": "DescribeInstances"}`, true},
		{"missing key", "eventName", "x", `{"other": "x"}`, false},
		{"nested", "userIdentity.type", "AWSService", `{"userIdentity": {"type": "AWSService"}}`, true},
		{"number never stringified", "n", "1", `{"n": 1}`, false},
		{"bool never stringified", "b", "True", `{"b": true}`, false},
		{"null", "n", "None", `{"n": null}`, false},
		{"object leaf", "o", ".*", `{"o": {"a": "b"}}`, false},
		{"array leaf: any string element", "a", "y", `{"a": [1, "x", "y"]}`, true},
		{"nested array leaf", "a", "y", `{"a": [["x", ["y"]]]}`, true},
		{"array leaf of numbers", "a", "1", `{"a": [1, 2]}`, false},
		{"array on the path drops the rest", "a.b.c", "hit", `{"a": [{"b": "hit"}]}`, true},
		{"array on the path: rest really dropped", "a.b.c", "hit", `{"a": [{"b": {"c": "hit"}}]}`, false},
		{"string on the path", "a.b", "x", `{"a": "xyz"}`, false},
		{"number on the path", "a.b", "x", `{"a": 5}`, false},
		{"None pattern with field only", "a", "", `{"a": "None of it"}`, true},
		{"None pattern does not match others", "a", "", `{"a": "none"}`, false},
		{"no field: never skipped", "", "x", `{"": "x"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDiscard(c.field, c.pattern, nil)
			if c.pattern != "" {
				d = NewDiscard(c.field, c.pattern, regexp.MustCompile(`^(?:`+c.pattern+`)`))
			}
			if got := d.Skip(obj(t, c.event), &recLog{}); got != c.skip {
				t.Errorf("Skip = %v, want %v", got, c.skip)
			}
		})
	}
}

func TestDiscardLines(t *testing.T) {
	re := regexp.MustCompile(`^(?:^(Describe|List))`)
	d := NewDiscard("eventName", "^(Describe|List)", re)

	log := &recLog{level: 3}
	d.Skip(obj(t, `{"eventName": "ListBuckets"}`), log)
	d.Skip(obj(t, `{"eventName": "PutObject"}`), log)
	var nilD *Discard
	nilD.Skip(obj(t, `{"eventName": "PutObject"}`), log)
	NewDiscard("", "x", regexp.MustCompile(`^x`)).Skip(obj(t, `{}`), log)
	NewDiscard("f", "", nil).Skip(obj(t, `{}`), log)
	want := `DEBUG2: +++ The "^(Describe|List)" regex found a match in the "eventName" field. The event will be skipped.
DEBUG3: +++ The "^(Describe|List)" regex did not find a match in the "eventName" field. The event will be processed.
DEBUG3: +++ The "None" regex did not find a match in the "None" field. The event will be processed.
DEBUG3: +++ The "x" regex did not find a match in the "None" field. The event will be processed.
DEBUG3: +++ The "None" regex did not find a match in the "f" field. The event will be processed.`
	if got := log.text(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	// Below level 3 the processed line is neither shown nor built.
	quiet := &countLog{recLog: recLog{level: 2}}
	d.Skip(obj(t, `{"eventName": "PutObject"}`), quiet)
	if quiet.debugCalls != 0 {
		t.Errorf("Debug called %d times at level 2", quiet.debugCalls)
	}
}

type countLog struct {
	recLog
	debugCalls int
}

func (c *countLog) Debug(lvl int, msg string) { c.debugCalls++; c.recLog.Debug(lvl, msg) }
