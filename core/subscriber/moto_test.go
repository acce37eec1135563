package subscriber

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/exit"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// moto is a moto_server on a free loopback port, with S3 and SQS clients.
type moto struct {
	url string
	s3  *s3.Client
	sqs *sqs.Client
}

// startMoto starts moto_server for the test and stops it at the end.
func startMoto(t *testing.T) *moto {
	t.Helper()
	m, err := fixture.StartMoto()
	if errors.Is(err, fixture.ErrNoMoto) {
		t.Skip(err.Error() + ": SQS subscriber tests skipped")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	url := m.URL
	// The run builds its clients from the environment: keep the host's
	// AWS configuration out of it.
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL", "")
	return newMoto(url)
}

// newMoto returns the test's own clients of the moto_server at url.
func newMoto(url string) *moto {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	return &moto{
		url: url,
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(url)
			o.UsePathStyle = true
		}),
		sqs: sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(url) }),
	}
}

func (m *moto) bucket(t *testing.T, name string) {
	t.Helper()
	if _, err := m.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

func (m *moto) put(t *testing.T, bucket, key string, body []byte) {
	t.Helper()
	_, err := m.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
}

// queue creates a queue with the given visibility timeout (seconds).
func (m *moto) queue(t *testing.T, name string, visibility int) string {
	t.Helper()
	out, err := m.sqs.CreateQueue(context.Background(), &sqs.CreateQueueInput{
		QueueName: aws.String(name), Attributes: map[string]string{"VisibilityTimeout": fmt.Sprint(visibility)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}

func (m *moto) send(t *testing.T, url, body string) {
	t.Helper()
	if _, err := m.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
}

// visible returns the bodies of the messages that can be received now
// (they become invisible for the queue's timeout).
func (m *moto) visible(t *testing.T, url string) []string {
	t.Helper()
	var bodies []string
	for {
		out, err := m.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			sort.Strings(bodies)
			return bodies
		}
		for _, msg := range out.Messages {
			bodies = append(bodies, aws.ToString(msg.Body))
		}
	}
}

// notification is an S3 event notification as S3 sends it to SQS, the key
// form-encoded.
func notification(bucket, encodedKey string) string {
	return fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",`+
		`"eventTime":"2024-05-01T10:00:00.000Z","eventName":"ObjectCreated:Put",`+
		`"s3":{"s3SchemaVersion":"1.0","bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},`+
		`"object":{"key":%q,"size":10,"eTag":"x","sequencer":"0A"}}}]}`, bucket, bucket, encodedKey)
}

// socketQueue is a bound AF_UNIX datagram socket standing for agentd's queue.
type socketQueue struct {
	path   string
	conn   *net.UnixConn
	mu     sync.Mutex
	frames []string
	done   chan struct{}
}

func bindQueue(t *testing.T) *socketQueue {
	t.Helper()
	dir, err := os.MkdirTemp("", "sq") // short: sun_path holds 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return bindQueueAt(t, filepath.Join(dir, "queue"))
}

// bindQueueAt binds the queue socket at path until the test ends.
func bindQueueAt(t *testing.T, path string) *socketQueue {
	t.Helper()
	q := &socketQueue{path: path, done: make(chan struct{})}
	var err error
	q.conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: q.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(q.done)
		buf := make([]byte, 1<<17)
		for {
			n, err := q.conn.Read(buf)
			if err != nil {
				return
			}
			q.mu.Lock()
			q.frames = append(q.frames, string(buf[:n]))
			q.mu.Unlock()
		}
	}()
	t.Cleanup(func() { q.conn.Close(); <-q.done })
	return q
}

// take waits until n frames arrived and returns them (sorted) with their
// header checked and removed.
func (q *socketQueue) take(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		q.mu.Lock()
		got := len(q.frames)
		q.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // anything beyond n would show up here
	q.mu.Lock()
	frames := q.frames
	q.frames = nil
	q.mu.Unlock()
	if len(frames) != n {
		t.Fatalf("got %d frames, want %d:\n%s", len(frames), n, strings.Join(frames, "\n"))
	}
	out := make([]string, len(frames))
	for i, f := range frames {
		if !strings.HasPrefix(f, sink.Header) {
			t.Fatalf("frame without the %q header: %q", sink.Header, f)
		}
		out[i] = strings.TrimPrefix(f, sink.Header)
	}
	sort.Strings(out)
	return out
}

func target(m *moto, typ, queue string) config.Target {
	return config.Target{Kind: config.KindSubscriber, Type: typ, Queue: queue, AccessKey: "test", SecretKey: "test", ServiceEndpoint: m.url}
}

func env(m *moto, s sink.Sink) Env {
	return Env{Env: host.Env{Sink: s}, SQSEndpoint: m.url, Wait: -1}
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func exitCode(err error) int {
	if o, ok := exit.Of(err); ok {
		return o.Code
	}
	return -1
}

func TestBucketsSubscriber(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "logs")
	m.put(t, "logs", "fire hose/2024/a b.json", []byte(`{"detail":{"id":"1","nested":{"x":null,"y":2}},"source":"aws.kms"}{"id":"2"}`))
	m.put(t, "logs", "gd/x.jsonl.gz", gz("{\"k\": 1}\n{\"k\": 2, \"z\": null}\n"))
	m.put(t, "logs", "app.log", []byte("2024-05-01 started\n2024-05-01 stopped\n"))
	m.put(t, "logs", "t.csv", []byte("user, action\nann, login\n"))
	url := m.queue(t, "q1", 1)
	m.send(t, url, notification("logs", "fire+hose/2024/a+b.json"))
	m.send(t, url, notification("logs", "gd/x.jsonl.gz"))
	m.send(t, url, notification("logs", "app.log"))
	m.send(t, url, notification("logs", "t.csv"))
	m.send(t, url, `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"logs"}`)
	m.send(t, url, `{"Type":"Notification","Message":"not an S3 record"}`)
	m.send(t, url, `not json`)

	q := bindQueue(t)
	s := sink.NewSocket(q.path, nil)
	defer s.Close()
	if err := Run(context.Background(), target(m, "buckets", "q1"), env(m, s)); err != nil {
		t.Fatal(err)
	}
	li := func(key string) string {
		return `{"integration": "aws", "aws": {"log_info": {"log_file": "` + key + `", "s3bucket": "logs"}, `
	}
	want := []string{
		li("app.log") + `"full_log": "2024-05-01 started", "source": "custom"}}`,
		li("app.log") + `"full_log": "2024-05-01 stopped", "source": "custom"}}`,
		li("fire hose/2024/a b.json") + `"id": "1", "nested": {"y": 2}, "source": "custom"}}`,
		li("fire hose/2024/a b.json") + `"id": "2", "source": "custom"}}`,
		li("gd/x.jsonl.gz") + `"k": 1}}`,
		li("gd/x.jsonl.gz") + `"k": 2}}`,
		li("t.csv") + `"user": "ann", "action": "login", "source": "custom"}}`,
	}
	sort.Strings(want)
	got := q.take(t, len(want))
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("frame %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	// Processed notifications and the test event are gone; the two
	// messages that are not notifications stay, as with the reference,
	// visible again after the timeout.
	time.Sleep(1100 * time.Millisecond)
	left := m.visible(t, url)
	wantLeft := []string{`not json`, `{"Type":"Notification","Message":"not an S3 record"}`}
	sort.Strings(wantLeft)
	if fmt.Sprint(left) != fmt.Sprint(wantLeft) {
		t.Errorf("left in the queue: %q, want %q", left, wantLeft)
	}
}

func TestMissingQueue(t *testing.T) {
	m := startMoto(t)
	err := Run(context.Background(), target(m, "buckets", "no-such-queue"), env(m, sink.NewWriter(&bytes.Buffer{})))
	if got := exitCode(err); got != exit.SQSNotFound {
		t.Fatalf("exit code %d (%v), want %d", got, err, exit.SQSNotFound)
	}
	if err.Error() != "Queue does not exist, verify the given name" {
		t.Errorf("message %q", err.Error())
	}
}

// A notification whose object cannot be read stays in the queue and is
// processed once the object is there; under skip_on_error the run goes
// on with the other messages.
func TestRedeliveryAfterFailure(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "logs")
	m.put(t, "logs", "ok.log", []byte("fine 1\n"))
	url := m.queue(t, "q2", 1)
	m.send(t, url, notification("logs", "late.log"))
	m.send(t, url, notification("logs", "ok.log"))

	var out bytes.Buffer
	tg := target(m, "buckets", "q2")
	tg.SkipOnError = true
	if err := Run(context.Background(), tg, env(m, sink.NewWriter(&out))); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "\n"); got != 1 || !strings.Contains(out.String(), `"full_log": "fine 1"`) {
		t.Fatalf("first run sent:\n%s", out.String())
	}
	m.put(t, "logs", "late.log", []byte("late line 2\n"))
	time.Sleep(1100 * time.Millisecond) // the failed message's visibility timeout
	out.Reset()
	if err := Run(context.Background(), tg, env(m, sink.NewWriter(&out))); err != nil {
		t.Fatal(err)
	}
	want := sink.Header + `{"integration": "aws", "aws": {"log_info": {"log_file": "late.log", "s3bucket": "logs"}, "full_log": "late line 2", "source": "custom"}}` + "\n"
	if out.String() != want {
		t.Fatalf("second run sent:\n%s\nwant\n%s", out.String(), want)
	}
	time.Sleep(1100 * time.Millisecond)
	if left := m.visible(t, url); len(left) != 0 {
		t.Errorf("left in the queue: %q", left)
	}
}

// Without skip_on_error a failed object ends the run with the reference's
// code; its message stays invisible until the timeout while the messages
// the run did not reach are handed back at once.
func TestFailureEndsRun(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "logs")
	m.put(t, "logs", "bad.gz", []byte("this is not a gzip file at all"))
	for i := range 5 {
		m.put(t, "logs", fmt.Sprintf("ok%d.log", i), []byte(fmt.Sprintf("line %d\n", i)))
	}
	url := m.queue(t, "q3", 60)
	m.send(t, url, notification("logs", "bad.gz"))
	for i := range 5 {
		m.send(t, url, notification("logs", fmt.Sprintf("ok%d.log", i)))
	}
	var out bytes.Buffer
	err := Run(context.Background(), target(m, "buckets", "q3"), env(m, sink.NewWriter(&out)))
	if got := exitCode(err); got != 8 {
		t.Fatalf("exit code %d (%v), want 8", got, err)
	}
	sent := strings.Count(out.String(), "\n")
	left := m.visible(t, url)
	if sent+len(left) != 5 {
		t.Fatalf("%d objects sent and %d messages visible, want 5 in all (the failed one invisible): %q", sent, len(left), left)
	}
	for _, b := range left {
		if strings.Contains(b, "bad.gz") {
			t.Errorf("the failed message is visible before its timeout")
		}
	}
}

func TestDiscard(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "logs")
	m.put(t, "logs", "e.json", []byte(`{"detail":{"action":"BLOCK","n":1}}{"detail":{"action":"ALLOW","n":2}}{"detail":{"action":["x","BLOCKED"],"n":3}}`))
	m.put(t, "logs", "t.log", []byte("DEBUG noise 1\nERROR kept 2\n"))
	url := m.queue(t, "q4", 60)
	m.send(t, url, notification("logs", "e.json"))
	var out bytes.Buffer
	tg := target(m, "buckets", "q4")
	tg.DiscardField, tg.DiscardRegex = "action", "BLOCK"
	if err := Run(context.Background(), tg, env(m, sink.NewWriter(&out))); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); strings.Count(s, "\n") != 1 || !strings.Contains(s, `"action": "ALLOW"`) {
		t.Fatalf("field discard sent:\n%s", s)
	}
	// Plain-text lines are filtered with the regex alone.
	m.send(t, url, notification("logs", "t.log"))
	out.Reset()
	tg.DiscardRegex = "DEBUG"
	if err := Run(context.Background(), tg, env(m, sink.NewWriter(&out))); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); strings.Count(s, "\n") != 1 || !strings.Contains(s, `"full_log": "ERROR kept 2"`) {
		t.Fatalf("line discard sent:\n%s", s)
	}
}

func TestSecurityHub(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "hub")
	m.put(t, "hub", "2024/05/01/f.gz", gz(
		`{"version":"0","detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":[{"Id":"f1","Severity":{"Label":"HIGH"},"Note":null},{"Id":"f2"}]}}`+"\n"+
			`{"detail-type":"Security Hub Insight Results","detail":{"actionName":"a","actionDescription":"d","insightName":"i","insightArn":"arn","resultType":"r","insightResults":[{"k":1}],"other":1}}`))
	url := m.queue(t, "q5", 60)
	m.send(t, url, notification("hub", "2024/05/01/f.gz"))
	var out bytes.Buffer
	if err := Run(context.Background(), target(m, "security_hub", "q5"), env(m, sink.NewWriter(&out))); err != nil {
		t.Fatal(err)
	}
	li := `{"integration": "aws", "aws": {"log_info": {"log_file": "2024/05/01/f.gz", "s3bucket": "hub"}, "source": "securityhub", `
	want := sink.Header + li + `"detail_type": "Security Hub Findings - Imported", "finding": {"Id": "f1", "Severity": {"Label": "HIGH"}}}}` + "\n" +
		sink.Header + li + `"detail_type": "Security Hub Insight Results", "actionName": "a", "actionDescription": "d", "insightName": "i", "insightArn": "arn", "resultType": "r", "insightResults": [{"k": 1}]}}` + "\n"
	if out.String() != want {
		t.Fatalf("sent:\n%s\nwant\n%s", out.String(), want)
	}
	if left := m.visible(t, url); len(left) != 0 {
		t.Errorf("left in the queue: %q", left)
	}
}

// A stop during the long poll ends the run at once.
func TestStopDuringReceive(t *testing.T) {
	m := startMoto(t)
	m.queue(t, "q6", 60)
	e := env(m, sink.NewWriter(&bytes.Buffer{}))
	e.Wait = 0 // the reference's 20 s
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	err := Run(ctx, target(m, "buckets", "q6"), e)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stopped after %v", d)
	}
}

func TestArguments(t *testing.T) {
	for _, c := range []struct {
		tg   config.Target
		code int
	}{
		{config.Target{Type: "buckets"}, exit.SQSFailure},
		{config.Target{Type: "security_lake", Queue: "q", IAMRoleARN: "arn:aws:iam::1:role/r"}, exit.SQSFailure},
		{config.Target{Type: "other", Queue: "q"}, exit.InvalidType},
	} {
		err := Run(context.Background(), c.tg, Env{Env: host.Env{Sink: sink.NewWriter(&bytes.Buffer{})}})
		if got := exitCode(err); got != c.code {
			t.Errorf("%+v: exit %d (%v), want %d", c.tg, got, err, c.code)
		}
	}
}
