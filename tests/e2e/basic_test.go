package e2e

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// uploaded remembers where an object belongs, for checking rows.
type uploaded struct {
	account, region string
	date            time.Time
}

// TestCloudTrail runs a multi-account, multi-region trail once, checks
// every record, the envelope and the rows, then checks that a second run
// sends nothing.
func TestCloudTrail(t *testing.T) {
	t.Parallel()
	const bucket = "trail"
	e := newEnv(t, true, bucket)
	l := newLedger(cloudtrail)
	objects := map[string]uploaded{}
	for _, a := range []string{"111111111111", "222222222222"} {
		for _, r := range []string{"eu-west-1", "us-east-1"} {
			for d := 19; d <= 21; d++ {
				for i, at := range []time.Time{day(d, 0, 5), day(d, 13, 35)} {
					key := l.upload(e, bucket, a, r, at, fmt.Sprintf("obj%d", i), 3+i)
					objects[key] = uploaded{a, r, at}
				}
			}
		}
	}
	// Before only_logs_after: never read.
	old := fixture.CloudTrailKey("", "111111111111", "us-east-1", day(18, 23, 55), "old")
	e.put(bucket, old, fixture.Gzip(fixture.CloudTrail("111111111111", "us-east-1", day(18, 23, 55), 2)))

	argv := e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-19")
	r := e.mustRun(argv, day(22, 12, 0), 0)
	l.add(t, r.frames)
	l.checkExactlyOnce(t)

	for _, f := range r.frames {
		ev := parseFrame(t, f)
		o, ok := objects[ev.file()]
		if !ok {
			t.Fatalf("event of an unexpected object %q", ev.file())
		}
		for _, c := range []struct{ got, want string }{
			{str(ev.aws, "log_info", "s3bucket"), bucket},
			{str(ev.aws, "log_info", "aws_account_alias"), ""},
			{str(ev.aws, "aws_account_id"), o.account},
			{str(ev.aws, "source"), "cloudtrail"},
			{str(ev.aws, "awsRegion"), o.region},
			{str(ev.aws, "source_ip_address"), str(ev.aws, "sourceIPAddress")},
		} {
			if c.got != c.want {
				t.Fatalf("event of %s: got %q, want %q: %s", ev.file(), c.got, c.want, f)
			}
		}
		if _, ok := ev.aws["log_info"].(map[string]any)["log_file"]; !ok {
			t.Fatal("no log_info.log_file")
		}
	}

	var want []row
	for key, o := range objects {
		created, _ := strconv.ParseInt(o.date.Format("20060102"), 10, 64)
		want = append(want, row{BucketPath: bucket + "/", Account: o.account, Region: o.region, Key: key, Created: created})
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Key < want[j].Key })
	got := rows(t, e.dbPath(), "cloudtrail", true)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cloudtrail rows:\n got %v\nwant %v", got, want)
	}
	checkVersion(t, e.dbPath())

	r = e.mustRun(argv, day(22, 12, 10), 0)
	if len(r.frames) != 0 {
		t.Errorf("second run sent %d events, want none", len(r.frames))
	}
	if again := rows(t, e.dbPath(), "cloudtrail", true); !reflect.DeepEqual(again, want) {
		t.Errorf("second run changed the rows:\n got %v\nwant %v", again, want)
	}
}

// TestCustomFirehose runs a Firehose bucket under a prefix: the rows carry
// the caller's account from STS and the prefix in bucket_path.
func TestCustomFirehose(t *testing.T) {
	t.Parallel()
	const bucket = "fh-bucket"
	e := newEnv(t, true, bucket)
	l := newLedger(custom)
	created := map[string]int64{}
	for d := 19; d <= 21; d++ {
		for h := 0; h < 24; h += 7 {
			at := day(d, h, 17)
			key := l.upload(e, bucket, "", "", at, fmt.Sprintf("%08x", d*100+h), 2+h%3)
			created[key], _ = strconv.ParseInt(at.Format("20060102"), 10, 64)
		}
	}
	// Outside the prefix, and before only_logs_after: never read.
	e.put(bucket, fixture.FirehoseKey("other/", day(20, 1, 0), "x"), fixture.Firehose(day(20, 1, 0), 1))
	e.put(bucket, fixture.FirehoseKey("firehose/", day(18, 1, 0), "x"), fixture.Firehose(day(18, 1, 0), 1))

	argv := e.argv(bucket, "custom", "--trail_prefix", "firehose/", "--only_logs_after", "2024-NOV-19")
	r := e.mustRun(argv, day(22, 12, 0), 0)
	l.add(t, r.frames)
	l.checkExactlyOnce(t)
	for _, f := range r.frames {
		ev := parseFrame(t, f)
		if got := str(ev.aws, "log_info", "s3bucket"); got != bucket {
			t.Fatalf("s3bucket %q", got)
		}
		if _, ok := ev.aws["aws_account_id"]; ok {
			t.Fatalf("custom events carry no aws_account_id: %s", f)
		}
		if got := str(ev.aws, "source"); got != "guardduty" {
			t.Fatalf("source %q, want the detail's source without \"aws.\"", got)
		}
	}

	var want []row
	for key, c := range created {
		want = append(want, row{BucketPath: bucket + "/firehose/", Account: fixture.Account, Key: key, Created: c})
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Key < want[j].Key })
	if got := rows(t, e.dbPath(), "custom", false); !reflect.DeepEqual(got, want) {
		t.Errorf("custom rows:\n got %v\nwant %v", got, want)
	}

	r = e.mustRun(argv, day(22, 13, 0), 0)
	if len(r.frames) != 0 {
		t.Errorf("second run sent %d events, want none", len(r.frames))
	}
}

func checkVersion(t *testing.T, path string) {
	t.Helper()
	db := openDB(t, path)
	defer db.Close()
	var v string
	if err := db.QueryRow("SELECT value FROM metadata WHERE key='version'").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != version {
		t.Errorf("metadata version %q, want %q", v, version)
	}
}
