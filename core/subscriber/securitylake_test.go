package subscriber

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/exit"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
	"github.com/wazuh/aws-s3-go/core/sink"
)

// lakeNotification is the EventBridge "Object Created" event Security
// Lake sends to a subscriber's queue (keys are not URL-encoded).
func lakeNotification(bucket, key string) string {
	return fmt.Sprintf(`{"version":"0","id":"4c7a1b5e","detail-type":"Object Created","source":"aws.s3",`+
		`"account":"123456789012","time":"2024-05-01T10:00:00Z","region":"us-east-1",`+
		`"resources":["arn:aws:s3:::%s"],"detail":{"version":"0","bucket":{"name":%q},`+
		`"object":{"key":%q,"size":1024,"etag":"x","sequencer":"0A"},"request-id":"R","requester":"securitylake.amazonaws.com",`+
		`"reason":"PutObject"}}`, bucket, bucket, key)
}

// lakeTarget is a security_lake target whose role is assumed through
// moto's STS (moto keeps the queue in the role's account).
func lakeTarget(m *moto, queue string) config.Target {
	tg := target(m, "security_lake", queue)
	tg.IAMRoleARN = "arn:aws:iam::123456789012:role/AmazonSecurityLake-subscriber"
	tg.ExternalID = "wazuh-external-id"
	tg.STSEndpoint = m.url
	return tg
}

const lakeKey = "ext/SH_FINDINGS/1.0/region=us-east-1/accountId=123456789012/eventDay=20240101/a b=1.gz.parquet"

func TestSecurityLake(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "aws-security-data-lake")
	m.put(t, "aws-security-data-lake", lakeKey, writeParquet(t, lakeRows()))
	url := m.queue(t, "lake", 1)
	m.send(t, url, lakeNotification("aws-security-data-lake", lakeKey))
	m.send(t, url, notification("aws-security-data-lake", "an-s3-record-is-not-a-lake-event"))

	q := bindQueue(t)
	s := sink.NewSocket(q.path, nil)
	defer s.Close()
	var logs bytes.Buffer
	e := env(m, s)
	e.Log = logging.NewScript(&logs, 2)
	e.ParquetMemory = 64 // the object goes through a temporary file
	e.TempDir = t.TempDir()
	if err := Run(context.Background(), lakeTarget(m, "lake"), e); err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	if ents, _ := os.ReadDir(e.TempDir); len(ents) != 0 {
		t.Errorf("%d spooled files left", len(ents))
	}
	// Frames are the rows' JSON text with the queue header, nothing else.
	got := q.take(t, len(lakeWant))
	want := append([]string(nil), lakeWant...)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("frames:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, line := range []string{
		"DEBUG: Processing file " + lakeKey + " in aws-security-data-lake",
		"DEBUG: Found 2 events in file " + lakeKey,
		"DEBUG: 2 events sent to Analysisd",
	} {
		if !strings.Contains(logs.String(), line+"\n") {
			t.Errorf("log lacks %q:\n%s", line, logs.String())
		}
	}
	// The lake event is deleted after delivery; the S3 record, not the
	// expected shape, is left in the queue.
	time.Sleep(1100 * time.Millisecond)
	left := m.visible(t, url)
	if len(left) != 1 || !strings.Contains(left[0], "an-s3-record-is-not-a-lake-event") {
		t.Errorf("left in the queue: %q", left)
	}
}

// A notification whose object is missing yet stays in the queue and is
// delivered once it exists; without skip_on_error the failure ends the
// run with the reference's code 21.
func TestSecurityLakeRedelivery(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "lake")
	url := m.queue(t, "lake2", 1)
	m.send(t, url, lakeNotification("lake", "late.parquet"))

	var out, logs bytes.Buffer
	e := env(m, sink.NewWriter(&out))
	e.Log = logging.NewScript(&logs, 1)
	err := Run(context.Background(), lakeTarget(m, "lake2"), e)
	if o, ok := exit.Of(err); !ok || o.Code != exit.SQSFailure || o.Debug != 1 ||
		!strings.HasPrefix(o.Msg, "Could not get the parquet file late.parquet in lake: ") {
		t.Fatalf("got %#v, want the reference's exit 21", err)
	}
	if out.Len() != 0 {
		t.Fatalf("sent %q", out.String())
	}

	m.put(t, "lake", "late.parquet", writeParquet(t, lakeRows()[:1]))
	time.Sleep(1100 * time.Millisecond) // the visibility timeout
	tg := lakeTarget(m, "lake2")
	tg.SkipOnError = true
	if err := Run(context.Background(), tg, env(m, sink.NewWriter(&out))); err != nil {
		t.Fatal(err)
	}
	if want := sink.Header + lakeWant[0] + "\n"; out.String() != want {
		t.Fatalf("second run sent:\n%s\nwant\n%s", out.String(), want)
	}
	time.Sleep(1100 * time.Millisecond)
	if left := m.visible(t, url); len(left) != 0 {
		t.Errorf("left in the queue: %q", left)
	}
}

// failingSink accepts n events, then fails for good.
type failingSink struct{ n int }

func (f *failingSink) Send(_ context.Context, _ []byte) error {
	if f.n == 0 {
		return errors.New("queue gone")
	}
	f.n--
	return nil
}

func (f *failingSink) Close() error { return nil }

// A message is deleted only after every row was accepted: a sink failure
// mid-object (13) and an unreadable Parquet object (the reference's
// unexpected-error exit, 12) both leave it in the queue.
func TestSecurityLakeNotDeletedOnFailure(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "lake")
	m.put(t, "lake", "ok.parquet", writeParquet(t, lakeRows()))
	m.put(t, "lake", "bad.parquet", []byte("PAR1 this is not parquet PAR1"))
	url := m.queue(t, "lake3", 1)

	m.send(t, url, lakeNotification("lake", "ok.parquet"))
	err := Run(context.Background(), lakeTarget(m, "lake3"), env(m, &failingSink{n: 1}))
	if got := exitCode(err); got != exit.Send {
		t.Fatalf("sink failure: exit %d (%v), want %d", got, err, exit.Send)
	}
	time.Sleep(1100 * time.Millisecond)
	if left := m.visible(t, url); len(left) != 1 || !strings.Contains(left[0], "ok.parquet") {
		t.Fatalf("after a sink failure the queue holds %q", left)
	}
	time.Sleep(1100 * time.Millisecond)
	if err := Run(context.Background(), lakeTarget(m, "lake3"), env(m, sink.NewWriter(&bytes.Buffer{}))); err != nil {
		t.Fatal(err)
	}

	m.send(t, url, lakeNotification("lake", "bad.parquet"))
	err = Run(context.Background(), lakeTarget(m, "lake3"), env(m, sink.NewWriter(&bytes.Buffer{})))
	var oe *objectError
	if _, coded := exit.Of(err); !errors.As(err, &oe) || coded || !strings.Contains(err.Error(), "bad.parquet") {
		t.Fatalf("corrupt object: got %v, want an unexpected error naming the object", err)
	}
	time.Sleep(1100 * time.Millisecond)
	if left := m.visible(t, url); len(left) != 1 || !strings.Contains(left[0], "bad.parquet") {
		t.Fatalf("after a corrupt object the queue holds %q", left)
	}
}

func TestSecurityLakeArguments(t *testing.T) {
	full := config.Target{Type: "security_lake", Queue: "q", IAMRoleARN: "arn:aws:iam::1:role/r", ExternalID: "x"}
	for name, c := range map[string]struct {
		clear func(*config.Target)
		msg   string
	}{
		"iam_role_arn": {func(t *config.Target) { t.IAMRoleARN = "" }, "Used a subscriber but no --iam_role_arn provided."},
		"queue":        {func(t *config.Target) { t.Queue = "" }, "Used a subscriber but no --queue provided."},
		"external_id":  {func(t *config.Target) { t.ExternalID = "" }, "Used a subscriber but no --external_id provided."},
	} {
		tg := full
		c.clear(&tg)
		err := Run(context.Background(), tg, Env{Env: host.Env{Sink: sink.NewWriter(&bytes.Buffer{})}})
		if got := exitCode(err); got != exit.SQSFailure || err.Error() != c.msg {
			t.Errorf("no %s: exit %d %q, want %d %q", name, got, err, exit.SQSFailure, c.msg)
		}
	}
}

func TestLakeRoute(t *testing.T) {
	parse := func(s string) any {
		v, err := pyjson.Unmarshal([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if rt, ok := lakeRoute(parse(lakeNotification("b", "k/a+b%3D.parquet"))); !ok || rt != (route{"b", "k/a+b%3D.parquet"}) {
		t.Errorf("got %v %v", rt, ok)
	}
	for _, body := range []string{notification("b", "k"), `{"detail": {"bucket": {"name": "b"}}}`, `{"detail": {"bucket": {"name": "b"}, "object": {"key": 1}}}`, `[]`} {
		if rt, ok := lakeRoute(parse(body)); ok {
			t.Errorf("%s: got %v, want not a lake event", body, rt)
		}
	}
}
