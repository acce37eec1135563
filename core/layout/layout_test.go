package layout

import (
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/kind"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func lay(t string, prefix, suffix, org string) Layout {
	k, ok := kind.Lookup(t)
	if !ok {
		panic(t)
	}
	return Layout{Kind: k, Bucket: "b", Prefix: prefix, Suffix: suffix, Org: org}
}

func TestPrefixes(t *testing.T) {
	cases := []struct {
		l                    Layout
		base, full, bucketPt string
	}{
		{lay("cloudtrail", "", "", ""), "AWSLogs/", "AWSLogs/111122223333/CloudTrail/us-east-1/", "b/"},
		{lay("cloudtrail", "p/", "s/", "o-1"), "p/AWSLogs/s/o-1/", "p/AWSLogs/s/o-1/111122223333/CloudTrail/us-east-1/", "b/p/s/"},
		{lay("vpcflow", "", "", ""), "AWSLogs/", "AWSLogs/111122223333/vpcflowlogs/us-east-1/", "b/"},
		{lay("guardduty", "p/", "s/", ""), "p/AWSLogs/s/", "p/AWSLogs/s/111122223333/GuardDuty/us-east-1/", "b/p/"},
		{lay("alb", "p/", "s/", "o-1"), "p/AWSLogs/s/", "p/AWSLogs/s/111122223333/elasticloadbalancing/us-east-1/", "b/p/"},
		{lay("custom", "fh/", "", ""), "fh/", "fh/", "b/fh/"},
		{lay("server_access", "", "", ""), "", "", "b/"},
	}
	for _, c := range cases {
		if got := c.l.Base(); got != c.base {
			t.Errorf("%s Base = %q, want %q", c.l.Kind.Name, got, c.base)
		}
		if got := c.l.Full("111122223333", "us-east-1"); got != c.full {
			t.Errorf("%s Full = %q, want %q", c.l.Kind.Name, got, c.full)
		}
		if got := c.l.BucketPath(); got != c.bucketPt {
			t.Errorf("%s BucketPath = %q, want %q", c.l.Kind.Name, got, c.bucketPt)
		}
	}
}

// The first-page StartAfter table of reference-wodle.md §2.8.
func TestStartAfter(t *testing.T) {
	today := day("2026-11-27")
	ct := lay("cloudtrail", "", "", "")
	ctFull := ct.Full("111122223333", "us-east-1")
	cfg := lay("config", "", "", "")
	cfgFull := cfg.Full("111122223333", "us-east-1")
	gd := lay("guardduty", "", "", "")
	gdFull := gd.Full("111122223333", "us-east-1")
	sa := lay("server_access", "logs/", "", "")
	um := lay("cisco_umbrella", "u/dnslogs/", "", "")
	cu := lay("custom", "fh/", "", "")
	cases := []struct {
		name       string
		l          Layout
		full, last string
		after      time.Time
		want, shwn string
	}{
		{"cloudtrail empty db", ct, ctFull, "", time.Time{}, ctFull + "2026/11/27", ""},
		{"cloudtrail only_logs_after", ct, ctFull, "", day("2024-11-19"), ctFull + "2024/11/19", ""},
		{"cloudtrail rewind", ct, ctFull, ctFull + "2024/11/21/x.json.gz", day("2024-11-19"), ctFull + "2024/11/20", ""},
		{"cloudtrail rewind floored", ct, ctFull, ctFull + "2024/11/19/x.json.gz", day("2024-11-19"), ctFull + "2024/11/19", ""},
		{"cloudtrail rewind across month", ct, ctFull, ctFull + "2024/12/01/x.json.gz", time.Time{}, ctFull + "2024/11/30", ""},
		{"config year folder", cfg, cfgFull, "", day("2024-11-08"), cfgFull + "2024/", cfgFull + "2024/11/8"},
		{"config last key", cfg, cfgFull, cfgFull + "2023/9/30/ConfigHistory/x.json.gz", day("2023-01-01"), cfgFull + "2023/", cfgFull + "2023/9/30/ConfigHistory/x.json.gz"},
		// Window types (a fix): the day before the last key's date.
		{"guardduty window", gd, gdFull, gdFull + "2024/11/21/abc.jsonl.gz", day("2024-11-19"), gdFull + "2024/11/20", ""},
		{"guardduty no day folder yet", gd, gdFull, "", day("2024-11-19"), gdFull + "2024/11/19", ""},
		{"custom window", cu, "fh/", "fh/2024/11/21/01/a", day("2024-11-19"), "fh/2024/11/20", ""},
		{"custom window ignores dates in the prefix", lay("custom", "2020/01/01/", "", ""), "2020/01/01/", "2020/01/01/2024/11/21/01/a", time.Time{}, "2020/01/01/2024/11/20", ""},
		{"custom floor wins", cu, "fh/", "fh/2024/11/01/01/a", day("2024-11-19"), "fh/2024/11/19", ""},
		{"umbrella dash format", um, "u/dnslogs/", "", day("2024-11-19"), "u/dnslogs/2024-11-19", ""},
		{"server access window", sa, "logs/", "logs/2024-11-21-10-00-00-ABC", day("2024-11-19"), "logs/2024-11-20", ""},
		{"umbrella window", um, "u/dnslogs/", "u/dnslogs/2024-11-21/2024-11-21-10-00-x.csv.gz", time.Time{}, "u/dnslogs/2024-11-20", ""},
	}
	for _, c := range cases {
		st, err := c.l.StartAfter(c.full, c.last, c.after, today, false)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		shown := c.shwn
		if shown == "" {
			shown = c.want
		}
		if st.After != c.want || st.Shown != shown {
			t.Errorf("%s: got %q (shown %q), want %q (shown %q)", c.name, st.After, st.Shown, c.want, shown)
		}
	}
}

func TestConfigMarkerWithoutYear(t *testing.T) {
	cfg := lay("config", "", "", "")
	if _, err := cfg.StartAfter("x/", "nodate", time.Time{}, day("2024-01-01"), false); err == nil {
		t.Fatal("a config marker without a year folder must fail (exit 16 in the reference)")
	}
}

func TestCreatedDate(t *testing.T) {
	lm := day("2021-01-23")
	cases := []struct {
		typ, key string
		want     int64
		fails    bool
	}{
		{"cloudtrail", "AWSLogs/1/CloudTrail/us-east-1/2019/04/01/123_CloudTrail_us-east-1_20190401T0030Z_aaaa.json.gz", 20190401, false},
		{"vpcflow", "x/123_vpcflowlogs_us-east-1_fl-1234_20190415T0945Z_c23ab7.log.gz", 20190415, false},
		{"config", "x/123_Config_us-east-1_ConfigHistory_AWS::EC2::Instance_20240105T000000Z_20240106T010000Z_1.json.gz", 20240106, false},
		{"cloudtrail", "x/nounderscore.json.gz", 0, true},
		{"custom", "2020/09/30/13/firehose_guardduty-1-2020-09-30-13-17-05-x.zip", 20200930, false},
		{"cisco_umbrella", "981837383623/iplogs/2020-09-20/2020-09-20-00-00-moyl.csv.gz", 20200920, false},
		{"server_access", "2021-11-12-09-11-26-ABC", 20211112, false},
		{"server_access", "20-03-02-21-02-43-ABC", 20210123, false},
	}
	for _, c := range cases {
		got, err := lay(c.typ, "", "", "").CreatedDate(c.key, lm)
		if (err != nil) != c.fails || got != c.want {
			t.Errorf("%s %s: got %d, %v; want %d (fails %v)", c.typ, c.key, got, err, c.want, c.fails)
		}
	}
}

func TestBelongsTo(t *testing.T) {
	cu := lay("custom", "fh/", "", "")
	if !cu.BelongsTo("fh/2026/11/27/x", "fh/") {
		t.Error("custom key with the date right after the prefix must belong")
	}
	if cu.BelongsTo("fh/other/2026/11/27/x", "fh/") {
		t.Error("custom key with another folder before the date must be skipped")
	}
	ct := lay("cloudtrail", "", "", "")
	if !ct.BelongsTo("anything", "x/") {
		t.Error("AWSLogs types have no prefix check")
	}
}

func TestKeyDate(t *testing.T) {
	d, ok := KeyDate("AWSLogs/1/Config/us-east-1/2024/1/5/ConfigHistory/x.json.gz")
	if !ok || !d.Equal(day("2024-01-05")) {
		t.Fatalf("KeyDate = %v, %v", d, ok)
	}
	if _, ok := KeyDate("no/date/here"); ok {
		t.Fatal("KeyDate found a date where there is none")
	}
}
