package subscriber

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
)

// slowAndFast starts moto with a queue of visibility vis seconds holding
// two notifications, one for slow/a.log, which downloads in delay, then
// one for b.log, and returns the buckets target reading it.
func slowAndFast(t *testing.T, queue string, vis int, delay time.Duration) (*moto, string, config.Target) {
	t.Helper()
	m := startMoto(t)
	m.bucket(t, "logs")
	m.put(t, "logs", "slow/a.log", []byte("slow 1\n"))
	m.put(t, "logs", "b.log", []byte("fast 2\n"))
	url := m.queue(t, queue, vis)
	m.send(t, url, notification("logs", "slow/a.log"))
	m.send(t, url, notification("logs", "b.log"))
	tg := target(m, "buckets", queue)
	tg.ServiceEndpoint = slowS3(t, m.url, delay)
	return m, url, tg
}

// While a slow object is processed, its message stays invisible to other
// consumers past the queue's visibility timeout, and it is deleted once
// its events are sent.
func TestHeartbeat(t *testing.T) {
	m, url, tg := slowAndFast(t, "hb", 3, 6500*time.Millisecond)

	var out, logs bytes.Buffer
	e := env(m, sink.NewWriter(&out))
	e.Log = logging.NewScript(&logs, 2)
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), tg, e) }()
	// Another consumer polls while the object is downloaded: twice the
	// visibility timeout.
	time.Sleep(300 * time.Millisecond)
	stolen := 0
	for end := time.Now().Add(6 * time.Second); time.Now().Before(end); {
		r, err := m.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		stolen += len(r.Messages)
	}
	if err := <-done; err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	if stolen != 0 {
		t.Errorf("another consumer received %d messages while they were processed", stolen)
	}
	if got := strings.Count(out.String(), "\n"); got != 2 {
		t.Errorf("sent %d events:\n%s", got, out.String())
	}
	if !strings.Contains(logs.String(), "DEBUG: +++ Visibility timeout of the SQS queue: 3s\n") {
		t.Errorf("log:\n%s", logs.String())
	}
	time.Sleep(3100 * time.Millisecond)
	if left := m.visible(t, url); len(left) != 0 {
		t.Errorf("left in the queue: %q", left)
	}
}

// A message deleted after its visibility timeout could have run out (here
// the timeout is too short for a heartbeat) is reported with its objects:
// another agent may have sent the same events.
func TestVisibilityLapse(t *testing.T) {
	m, _, tg := slowAndFast(t, "lapse", 2, 3*time.Second)

	var out, logs bytes.Buffer
	e := env(m, sink.NewWriter(&out))
	e.Log = logging.NewScript(&logs, 1)
	if err := Run(context.Background(), tg, e); err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	var lapses []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.HasPrefix(line, "WARNING: The SQS message ") {
			lapses = append(lapses, line)
		}
	}
	if len(lapses) != 1 || !strings.Contains(lapses[0], "(objects slow/a.log) may have been visible to other agents for ") || !strings.HasSuffix(lapses[0], " s before it was deleted (its visibility was not extended in time): another agent may have received it and sent its events too.") {
		t.Errorf("lapse warnings %q\nlog:\n%s", lapses, logs.String())
	}
	if got := strings.Count(out.String(), "\n"); got != 2 {
		t.Errorf("sent %d events:\n%s", got, out.String())
	}
}

// A stop during a batch hands its unfinished messages back at once.
func TestStopReleasesBatch(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "logs")
	url := m.queue(t, "stop", 60)
	for i := range 3 {
		key := fmt.Sprintf("slow/%d.log", i)
		m.put(t, "logs", key, []byte("line 1\n"))
		m.send(t, url, notification("logs", key))
	}
	tg := target(m, "buckets", "stop")
	tg.ServiceEndpoint = slowS3(t, m.url, 30*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(time.Second, cancel)
	start := time.Now()
	err := Run(ctx, tg, env(m, sink.NewWriter(&bytes.Buffer{})))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stopped after %v", d)
	}
	if left := m.visible(t, url); len(left) != 3 {
		t.Errorf("%d messages visible after the stop, want 3", len(left))
	}
}

// A message that keeps failing is never deleted: the queue's redrive
// policy moves it to the dead-letter queue, and each failure logs how
// many times it was received.
func TestDeadLetter(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "logs")
	dlq := m.queue(t, "dead", 60)
	a, err := m.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(dlq), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.sqs.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("redriven"), Attributes: map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, a.Attributes["QueueArn"]),
	}})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(out.QueueUrl)
	m.send(t, url, notification("logs", "missing.log"))
	tg := target(m, "buckets", "redriven")
	tg.SkipOnError = true
	for i := 1; i <= 3; i++ {
		var logs bytes.Buffer
		e := env(m, sink.NewWriter(&bytes.Buffer{}))
		e.Log = logging.NewScript(&logs, 1)
		if err := Run(context.Background(), tg, e); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("the SQS message was left in the queue and will be delivered again (received %d times so far).", i)
		if i == 3 {
			want = ""
		}
		if want != "" && !strings.Contains(logs.String(), want) {
			t.Errorf("run %d: log lacks %q:\n%s", i, want, logs.String())
		}
		if i == 3 && strings.Contains(logs.String(), "ERROR") {
			t.Errorf("run 3 received the message again:\n%s", logs.String())
		}
		time.Sleep(1100 * time.Millisecond)
	}
	if got := m.visible(t, dlq); len(got) != 1 || !strings.Contains(got[0], "missing.log") {
		t.Errorf("dead-letter queue holds %q", got)
	}
}

// The messages of a batch are processed concurrently, no more than
// Env.Options.Workers at once, and an object's events stay together.
func TestBatchConcurrency(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "logs")
	url := m.queue(t, "conc", 60)
	for i := range 6 {
		key := fmt.Sprintf("slow/%d.log", i)
		m.put(t, "logs", key, []byte(fmt.Sprintf("%d first 1\n%d second 2\n%d third 3\n", i, i, i)))
		m.send(t, url, notification("logs", key))
	}
	p := newSlowProxy(t, m.url, 500*time.Millisecond)
	tg := target(m, "buckets", "conc")
	tg.ServiceEndpoint = p.url
	q := bindQueue(t)
	s := sink.NewSocket(q.path, nil)
	defer s.Close()
	e := env(m, s)
	e.Options.Workers = 3
	if err := Run(context.Background(), tg, e); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	peak := p.peak
	p.mu.Unlock()
	if peak != 3 {
		t.Errorf("%d objects fetched at once, want 3", peak)
	}
	frames := q.all()
	if len(frames) != 18 {
		t.Fatalf("%d events, want 18", len(frames))
	}
	for i := 0; i < len(frames); i += 3 {
		id := frames[i][strings.Index(frames[i], `"full_log": "`)+13]
		for j := i; j < i+3; j++ {
			if !strings.Contains(frames[j], `"full_log": "`+string(id)+" ") {
				t.Fatalf("the events of one object are not together:\n%s", strings.Join(frames, "\n"))
			}
		}
	}
	if left := m.visible(t, url); len(left) != 0 {
		t.Errorf("left in the queue: %q", left)
	}
}
