package schedule

import (
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, elems ...string) (Config, []Message, error) {
	t.Helper()
	var pairs [][2]string
	for _, e := range elems {
		name, content, _ := strings.Cut(e, "=")
		pairs = append(pairs, [2]string{name, content})
	}
	c := Default(5)
	var msgs []Message
	err := c.Read(pairs, "aws-s3", func(m Message) { msgs = append(msgs, m) })
	return c, msgs, err
}

// The four scheduling cases of test_wm_aws.c.
func TestReadReferenceCases(t *testing.T) {
	tests := []struct {
		elems []string
		want  Config
		warn  string
	}{
		{[]string{"time=15:05", "day=6"}, Config{Interval: 1, Months: true, Day: 6, Wday: -1, Time: "15:05"},
			"Interval must be a multiple of one month. New interval value: 1M"},
		{[]string{"time=13:03", "wday=Monday"}, Config{Interval: 604800, Day: 0, Wday: 1, Time: "13:03"},
			"Interval must be a multiple of one week. New interval value: 1w"},
		{[]string{"time=01:11"}, Config{Interval: 86400, Wday: -1, Time: "01:11"},
			"Interval must be a multiple of one day. New interval value: 1d"},
		{[]string{"interval=10m"}, Config{Interval: 600, Wday: -1}, ""},
	}
	for _, tt := range tests {
		c, msgs, err := read(t, tt.elems...)
		if err != nil {
			t.Fatalf("%v: %v", tt.elems, err)
		}
		if c != tt.want {
			t.Errorf("%v: got %+v, want %+v", tt.elems, c, tt.want)
		}
		var got string
		if len(msgs) > 0 {
			got = msgs[0].Text
		}
		if got != tt.warn || len(msgs) > 1 || len(msgs) == 1 && msgs[0].Error {
			t.Errorf("%v: messages %+v, want warning %q", tt.elems, msgs, tt.warn)
		}
	}
}

func TestReadValues(t *testing.T) {
	tests := []struct {
		elem     string
		interval uint32
		months   bool
	}{
		{"interval=30", 30, false},
		{"interval=30s", 30, false},
		{"interval=2h", 7200, false},
		{"interval=3d", 259200, false},
		{"interval=2w", 1209600, false},
		{"interval=0x10", 16, false},
		{"interval= 7m", 420, false},
	}
	for _, tt := range tests {
		c, msgs, err := read(t, tt.elem)
		if err != nil || c.Interval != tt.interval || c.Months != tt.months || len(msgs) != 0 {
			t.Errorf("%s: got %+v %v %v", tt.elem, c, msgs, err)
		}
	}
	c, msgs, err := read(t, "interval=2M")
	if err != nil || c.Interval != 2 || !c.Months || c.Day != 1 || c.Time != "00:00" ||
		len(msgs) != 1 || msgs[0].Text != "Interval value is in months. Setting scan day to first day of the month." {
		t.Errorf("2M: got %+v %v %v", c, msgs, err)
	}
	c, _, _ = read(t, "wday=sat", "time=7:5")
	if c.Wday != 6 || c.Time != "07:05" {
		t.Errorf("wday/time normalisation: %+v", c)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		elems []string
		msgs  []string
	}{
		{[]string{"day=32"}, []string{"(1235): Invalid value for element 'day': 32."}},
		{[]string{"day=x"}, []string{"(1235): Invalid value for element 'day': x."}},
		{[]string{"wday=funday"}, []string{"(1241): Invalid day format: 'funday'.", "(1235): Invalid value for element 'wday': funday."}},
		{[]string{"time=25:00"}, []string{"(1240): Invalid time format: '25:00'.", "(1235): Invalid value for element 'time': 25:00."}},
		{[]string{"time=1200"}, []string{"(1240): Invalid time format: '1200'.", "(1235): Invalid value for element 'time': 1200."}},
		{[]string{"interval=10x"}, []string{"Invalid interval value at module 'aws-s3'"}},
		{[]string{"interval=0"}, []string{"Invalid interval value at module 'aws-s3'"}},
		{[]string{"interval="}, []string{"Invalid interval value at module 'aws-s3'"}},
		{[]string{"day=3", "wday=mon"}, []string{"Options 'day' and 'wday' are not compatible."}},
	}
	for _, tt := range tests {
		_, msgs, err := read(t, tt.elems...)
		if err == nil {
			t.Errorf("%v: no error", tt.elems)
			continue
		}
		var got []string
		for _, m := range msgs {
			if !m.Error {
				t.Errorf("%v: unexpected warning %q", tt.elems, m.Text)
			}
			got = append(got, m.Text)
		}
		if strings.Join(got, "|") != strings.Join(tt.msgs, "|") {
			t.Errorf("%v: messages %q, want %q", tt.elems, got, tt.msgs)
		}
		if err.Error() != tt.msgs[len(tt.msgs)-1] {
			t.Errorf("%v: error %q", tt.elems, err)
		}
	}
}

func TestNext(t *testing.T) {
	utc := time.UTC
	// Tuesday 2020-12-01 04:44:44 UTC (the clock of test_wm_aws.c).
	now := time.Unix(1606797884, 0).In(utc)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, utc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	interval10m := Config{Interval: 600, Wday: -1}
	tests := []struct {
		name       string
		c          Config
		last       time.Time
		runOnStart bool
		want       time.Duration
		overtaken  bool
	}{
		{"run on start", interval10m, time.Time{}, true, 0, false},
		{"first without run on start", interval10m, time.Time{}, false, 600 * time.Second, false},
		{"start to start", interval10m, now.Add(-4 * time.Minute), true, 6 * time.Minute, false},
		{"exactly due", interval10m, now.Add(-10 * time.Minute), true, 0, false},
		{"overtaken", interval10m, now.Add(-11 * time.Minute), true, 0, true},
		{"time later today", Config{Interval: 86400, Wday: -1, Time: "05:00"}, now, false, at("2020-12-01 05:00:00").Sub(now), false},
		{"time passed, first", Config{Interval: 2 * 86400, Wday: -1, Time: "04:00"}, time.Time{}, false, at("2020-12-02 04:00:00").Sub(now), false},
		{"time passed, every 2 days", Config{Interval: 2 * 86400, Wday: -1, Time: "04:00"}, now, false, at("2020-12-03 04:00:00").Sub(now), false},
		{"weekday later", Config{Interval: 604800, Wday: 5, Time: "00:00"}, now, false, at("2020-12-04 00:00:00").Sub(now), false},
		{"weekday earlier", Config{Interval: 604800, Wday: 1, Time: "13:03"}, now, false, at("2020-12-07 13:03:00").Sub(now), false},
		{"same weekday passed, 2 weeks", Config{Interval: 2 * 604800, Wday: 2, Time: "01:00"}, now, false, at("2020-12-15 01:00:00").Sub(now), false},
		{"same weekday to come", Config{Interval: 604800, Wday: 2, Time: "23:00"}, now, false, at("2020-12-01 23:00:00").Sub(now), false},
		{"month day later", Config{Interval: 1, Months: true, Day: 6, Wday: -1, Time: "15:05"}, now, false, at("2020-12-06 15:05:00").Sub(now), false},
		{"month day passed", Config{Interval: 1, Months: true, Day: 1, Wday: -1, Time: "00:00"}, now, false, at("2021-01-01 00:00:00").Sub(now), false},
		{"month day passed, 3 months", Config{Interval: 3, Months: true, Day: 1, Wday: -1, Time: "00:00"}, now, false, at("2021-03-01 00:00:00").Sub(now), false},
	}
	for _, tt := range tests {
		got, over := Next(tt.c, tt.last, now, tt.runOnStart)
		if got != tt.want || over != tt.overtaken {
			t.Errorf("%s: Next = %v, %v; want %v, %v", tt.name, got, over, tt.want, tt.overtaken)
		}
	}
}
