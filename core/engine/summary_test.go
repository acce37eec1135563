package engine

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/logging/logtest"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// A bucket run against an in-process S3 ends with one INFO line saying
// what it did: two good objects, one corrupt one skipped, the newest
// object and how far behind now it is.
func TestSummaryLine(t *testing.T) {
	const bucket, account, region = "summary-trail", "123456789012", "us-east-1"
	t.Setenv("HOME", t.TempDir())
	t.Setenv("AWS_ACCESS_KEY_ID", fixture.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", fixture.SecretKey)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	srv, err := fixture.StartS3()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	if err := srv.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2024, 11, 20, 9, 0, 0, 0, time.UTC)
	var read int
	put := func(key string, body []byte) {
		t.Helper()
		if err := srv.Put(ctx, bucket, key, body); err != nil {
			t.Fatal(err)
		}
		read += len(body)
	}
	put(fixture.CloudTrailKey("", account, region, day, "a"), fixture.Gzip(fixture.CloudTrail(account, region, day, 3)))
	put(fixture.CloudTrailKey("", account, region, day.Add(time.Hour), "b"), fixture.Gzip(fixture.CloudTrail(account, region, day.Add(time.Hour), 2)))
	bad := fixture.CloudTrailKey("", account, region, day.Add(2*time.Hour), "c")
	put(bad, fixture.Gzip([]byte("{not json")))

	tg, err := config.ParseArgv("aws-s3", []string{"--bucket", bucket, "--type", "cloudtrail", "--aws_account_id", account,
		"--regions", region, "--only_logs_after", "2024-NOV-19", "--service_endpoint", srv.URL, "--skip_on_error"})
	if err != nil {
		t.Fatal(err)
	}
	// The run logs from several goroutines: a Script logger (locked)
	// at debug level 0, as the drop-in's.
	var logBuf bytes.Buffer
	log := logging.NewScript(&logBuf, 0)
	lines := func() []string { return strings.Split(strings.TrimSpace(logBuf.String()), "\n") }
	var out bytes.Buffer
	queue := sink.NewCounting(sink.NewWriter(&out))
	total := &Stats{}
	// gofakes3 stamps LastModified with the wall clock: "now" is an hour
	// later, so the newest object is about an hour behind.
	now := time.Now().Add(time.Hour)
	home := t.TempDir()
	code := Run(ctx, tg, Host{Home: home, Version: "test", Log: log, Sink: queue, Stats: total,
		Now: func() time.Time { return now }})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, logBuf.String())
	}
	var infos []string
	for _, l := range lines() {
		if strings.HasPrefix(l, "INFO: ") {
			infos = append(infos, l)
		}
	}
	if len(infos) != 1 {
		t.Fatalf("want one INFO line, got %q", infos)
	}
	// Five events of the good objects, plus the error notice of the
	// skipped one, which counts in the bytes delivered only.
	delivered := int(queue.Bytes())
	if queue.Events() != 6 {
		t.Errorf("the queue got %d messages, want 6", queue.Events())
	}
	want := regexp.MustCompile(`^INFO: Bucket summary-trail \(cloudtrail\) run: 3 objects, 5 events, ` +
		strconv.Itoa(read) + ` bytes read, ` + strconv.Itoa(delivered) + ` bytes delivered in \d+\.\d\d s; newest object ` +
		regexp.QuoteMeta(bad) + `, 1h0m\d+s behind; 1 errors skipped$`)
	if !want.MatchString(infos[0]) {
		t.Errorf("summary line:\n%s\nwant %s", infos[0], want)
	}
	if l := lines(); infos[0] != l[len(l)-1] {
		t.Errorf("the summary is not the last line: %q", l[len(l)-1])
	}
	if total.Objects.Load() != 3 || total.Events.Load() != 5 || total.Skipped.Load() != 1 || total.Delivered.Load() != int64(delivered) {
		t.Errorf("host stats: %d objects, %d events, %d skipped, %d delivered", total.Objects.Load(), total.Events.Load(), total.Skipped.Load(), total.Delivered.Load())
	}
	if k, _ := total.Newest(); k != bad {
		t.Errorf("host stats newest %q", k)
	}

	// A second run finds nothing new: its summary counts only itself,
	// while the host's Stats keep the total.
	logBuf.Reset()
	if code := Run(ctx, tg, Host{Home: home, Version: "test", Log: log, Sink: queue, Stats: total, Now: func() time.Time { return now }}); code != 0 {
		t.Fatalf("second run: exit %d:\n%s", code, logBuf.String())
	}
	last := lines()[len(lines())-1]
	if !regexp.MustCompile(`^INFO: Bucket summary-trail \(cloudtrail\) run: 0 objects, 0 events, 0 bytes read, 0 bytes delivered in \d+\.\d\d s; no new object; 0 errors skipped$`).MatchString(last) {
		t.Errorf("second summary %q", last)
	}
	if total.Objects.Load() != 3 || total.Events.Load() != 5 {
		t.Errorf("host stats after the second run: %d objects, %d events", total.Objects.Load(), total.Events.Load())
	}
}

// A run that fails still ends with its summary, carrying the exit code.
func TestSummaryOnFailure(t *testing.T) {
	var log logtest.Recorder
	code := Run(context.Background(), config.Target{Kind: "nonsense", Type: "x"}, Host{Log: &log, Sink: sink.NewWriter(&bytes.Buffer{})})
	if code == 0 {
		t.Fatal("an unknown target kind succeeded")
	}
	if last := log.Last(); last != "INFO: Target x run: 0 objects, 0 events, 0 bytes read, 0 bytes delivered in 0.00 s; no new object; 0 errors skipped; exit code 1" {
		t.Errorf("last line %q", last)
	}
}

func TestLag(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                      "0s",
		90*time.Second + time.Millisecond: "1m30s",
		47 * time.Hour:                    "47h0m0s",
		(3*24 + 5) * time.Hour:            "3d5h",
	} {
		if got := lag(d); got != want {
			t.Errorf("lag(%v) = %q, want %q", d, got, want)
		}
	}
}
