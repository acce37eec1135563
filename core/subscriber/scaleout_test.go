package subscriber

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// Scale-out: several agents on one queue (docs/subscribers.md, "Scaling
// out"). The timings: a visibility timeout of 18 s, renewed every 6 s;
// slow objects take 21 s to download, so without the heartbeat their
// messages would go to a second consumer. A renewal may come up to 12 s
// late before a message shows again: room for a CI machine running the
// race detector and other packages' tests beside moto_server.
const (
	scaleVisibility = 18
	scaleSlow       = 21 * time.Second
	scaleConsumers  = 3
)

// slowS3 is a loopback proxy in front of moto's S3 that holds the GETs of
// keys under slow/ for d before forwarding them.
func slowS3(t *testing.T, target string, d time.Duration) string {
	return newSlowProxy(t, target, d).url
}

// slowProxy is slowS3's server; peak is the most slow GETs it held at once.
type slowProxy struct {
	url       string
	mu        sync.Mutex
	cur, peak int
}

func newSlowProxy(t *testing.T, target string, d time.Duration) *slowProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &slowProxy{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	// A killed agent's requests fail; that is the point, not news.
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/slow/") {
			p.mu.Lock()
			p.cur++
			p.peak = max(p.peak, p.cur)
			p.mu.Unlock()
			defer func() { p.mu.Lock(); p.cur--; p.mu.Unlock() }()
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

// buildCmd builds the drop-in executable for the test.
func buildCmd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "aws-s3")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/wazuh/aws-s3-go/cmd/aws-s3").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// frames returns what the socket received so far, in arrival order,
// without the header.
func (q *socketQueue) all() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]string, len(q.frames))
	for i, f := range q.frames {
		out[i] = strings.TrimPrefix(f, "1:Wazuh-AWS:")
	}
	return out
}

// consumer is one agent: a build/aws-s3 process with its own Wazuh home
// and queue socket.
type consumer struct {
	cmd  *exec.Cmd
	q    *socketQueue
	out  bytes.Buffer
	done chan struct{}
	err  error
}

// scaleCase is one subscriber type under test.
type scaleCase struct {
	typ    string
	n      int                     // notifications
	object func(key string) []byte // the body of a key; its events hold the token key#j
	notify func(bucket, key string) string
	argv   []string // beyond the common arguments
	events int      // per object
	suffix string   // of the keys
	kill   int      // events the first agent sends before it is killed
}

type tokenRow struct {
	ID string `parquet:"id"`
	N  int32  `parquet:"n"`
}

func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("scale-out test: about a minute")
	}
	mt, err := fixture.StartMoto()
	if err != nil {
		t.Skip(err.Error())
	}
	t.Cleanup(mt.Close)
	m := newMoto(mt.URL)
	bin := buildCmd(t)
	proxy := slowS3(t, m.url, scaleSlow)
	cases := []scaleCase{
		{typ: "buckets", n: 300, events: 3, suffix: ".log", kill: 180,
			object: func(key string) []byte {
				return []byte(fmt.Sprintf("%s#0 start 1\n%s#1 work 2\n%s#2 stop 3\n", key, key, key))
			},
			notify: func(b, k string) string { return notification(b, k) }},
		{typ: "security_hub", n: 60, events: 2, suffix: ".gz", kill: 10,
			object: func(key string) []byte {
				return gz(fmt.Sprintf(`{"detail-type":"Security Hub Findings - Imported","detail":{"findings":[{"Id":"%s#0"}]}}`+"\n"+
					`{"detail-type":"Security Hub Findings - Imported","detail":{"findings":[{"Id":"%s#1"}]}}`, key, key))
			},
			notify: func(b, k string) string { return notification(b, k) }},
		{typ: "security_lake", n: 60, events: 2, suffix: ".parquet", kill: 10,
			object: func(key string) []byte {
				return writeParquet(t, []tokenRow{{ID: key + "#0"}, {ID: key + "#1", N: 1}})
			},
			notify: lakeNotification,
			argv: []string{"--iam_role_arn", "arn:aws:iam::123456789012:role/AmazonSecurityLake-subscriber",
				"--external_id", "wazuh-external-id", "--sts_endpoint", m.url}},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			t.Parallel()
			scaleOut(t, m, bin, proxy, c)
		})
	}
}

// scaleOut runs scaleConsumers agents on one queue of c.n notifications,
// kills one with SIGKILL mid-run, and checks at the sockets that every
// event arrived, that the survivors sent none twice, and that the only
// duplicates are those of the killed agent's last batch.
func scaleOut(t *testing.T, m *moto, bin, proxy string, c scaleCase) {
	ctx := context.Background()
	name := strings.ReplaceAll(c.typ, "_", "-")
	bucket := "scale-" + name
	m.bucket(t, bucket)
	dlq := m.queue(t, "dlq-"+name, 60)
	attrs, err := m.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(dlq), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q-" + name), Attributes: map[string]string{
		"VisibilityTimeout": fmt.Sprint(scaleVisibility),
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"5"}`, attrs.Attributes["QueueArn"]),
	}})
	if err != nil {
		t.Fatal(err)
	}
	qurl := aws.ToString(out.QueueUrl)
	want := map[string]bool{}
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := range c.n {
		key := fmt.Sprintf("o/%04d.log", i)
		if i%25 == 0 {
			key = fmt.Sprintf("slow/%04d.log", i)
		}
		key = strings.TrimSuffix(key, ".log") + c.suffix
		m.put(t, bucket, key, c.object(key))
		for j := range c.events {
			want[fmt.Sprintf("%s#%d", key, j)] = true
		}
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(c.notify(bucket, key))})
		if len(entries) == 10 || i == c.n-1 {
			if _, err := m.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(qurl), Entries: entries}); err != nil {
				t.Fatal(err)
			}
			entries = nil
		}
	}

	var cons []*consumer
	for range scaleConsumers {
		home, err := os.MkdirTemp("", "so") // short: sun_path holds 108 bytes
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(home) })
		sock := filepath.Join(home, "queue", "sockets", "queue")
		if err := os.MkdirAll(filepath.Dir(sock), 0o750); err != nil {
			t.Fatal(err)
		}
		cn := &consumer{q: bindQueueAt(t, sock), done: make(chan struct{})}
		args := append([]string{"--wazuh-home", home, "--subscriber", c.typ, "--queue", "q-" + name,
			"--access_key", "test", "--secret_key", "test", "--service_endpoint", proxy, "--debug", "1"}, c.argv...)
		cn.cmd = exec.Command(bin, args...)
		cn.cmd.Env = append(cleanEnv(), "HOME="+home, "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL_SQS="+m.url,
			"AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE="+filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "none"))
		cn.cmd.Stdout, cn.cmd.Stderr = &cn.out, &cn.out
		if err := cn.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { cn.err = cn.cmd.Wait(); close(cn.done) }()
		t.Cleanup(func() { cn.cmd.Process.Kill(); <-cn.done })
		cons = append(cons, cn)
	}

	// Kill the first agent once it has sent c.kill events: it then has a
	// batch in flight.
	victim := cons[0]
	deadline := time.Now().Add(150 * time.Second)
	for len(victim.q.all()) < c.kill {
		if time.Now().After(deadline) {
			t.Fatalf("the first agent sent %d events in 150 s; its output:\n%s", len(victim.q.all()), victim.out.String())
		}
		select {
		case <-victim.done:
			t.Fatalf("the first agent ended before the kill (%v):\n%s", victim.err, victim.out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	victim.cmd.Process.Signal(syscall.SIGKILL)
	<-victim.done
	// The survivors end when a 20 s long poll brings nothing.
	for i, cn := range cons[1:] {
		select {
		case <-cn.done:
		case <-time.After(180 * time.Second):
			t.Fatalf("agent %d still running after 180 s:\n%s", i+1, cn.out.String())
		}
		if cn.err != nil {
			t.Errorf("agent %d: %v\n%s", i+1, cn.err, cn.out.String())
		}
	}

	t.Cleanup(func() {
		if t.Failed() {
			for i, cn := range cons {
				cn.cmd.Process.Kill()
				<-cn.done // the output is complete
				t.Logf("agent %d output:\n%s", i, cn.out.String())
			}
		}
	})
	token := regexp.MustCompile(`(?:o|slow)/\d{4}\.(?:log|gz|parquet)#\d`)
	killed, survived := map[string]int{}, map[string]int{}
	senders := map[string]map[int]bool{} // event → the surviving agents that sent it
	for i, cn := range cons {
		frames := cn.q.all()
		count := survived
		if i == 0 {
			count = killed
		}
		last := map[string]int{} // object key → index of its last event
		for n, f := range frames {
			tok := token.FindString(f)
			if tok == "" || !want[tok] {
				t.Fatalf("agent %d sent an unexpected event: %s", i, f)
			}
			count[tok]++
			if i > 0 {
				if senders[tok] == nil {
					senders[tok] = map[int]bool{}
				}
				senders[tok][i] = true
			}
			// An object's events are contiguous at the socket.
			key := tok[:strings.IndexByte(tok, '#')]
			if p, ok := last[key]; ok && p != n-1 {
				t.Errorf("agent %d: the events of %s are not contiguous (%d, then %d)", i, key, p, n)
			}
			last[key] = n
		}
	}
	// An agent that could not keep a message hidden in time (a starved
	// queue answers the heartbeat late) says so, naming the objects: those
	// alone may reach the survivors twice.
	lapse := regexp.MustCompile(`WARNING: The SQS message \S+ \(objects ([^)]*?)(?: and \d+ more)?\) may have been visible to other agents`)
	lapsed := map[string]bool{}
	for _, cn := range cons {
		for _, m := range lapse.FindAllStringSubmatch(cn.out.String(), -1) {
			for _, key := range strings.Split(m[1], ", ") {
				lapsed[key] = true
			}
		}
	}
	// moto's ReceiveMessage checks that a message is visible and marks it
	// received without a lock (moto/sqs/models.py receive_message), so two
	// concurrent long polls can both get it; real standard queues also
	// deliver twice, rarely. A few objects sent once by each of two
	// survivors without a warning are that, and are reported; more would
	// be the heartbeat failing.
	const maxDoubleDeliveries = 2
	dupObjects, lapsedDups, doubled := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for tok := range want {
		key := tok[:strings.IndexByte(tok, '#')]
		switch {
		case killed[tok]+survived[tok] == 0:
			t.Errorf("event %s never arrived", tok)
		case survived[tok] == 2 && killed[tok] == 0 && lapsed[key]:
			lapsedDups[key] = true
		case survived[tok] == 2 && killed[tok] == 0 && len(senders[tok]) == 2:
			doubled[key] = true
		case survived[tok] > 1 || killed[tok] > 1:
			t.Errorf("event %s arrived %d times at the surviving agents, %d at the killed one", tok, survived[tok], killed[tok])
		case killed[tok] == 1 && survived[tok] == 1:
			dupObjects[tok[:strings.IndexByte(tok, '#')]] = true
		}
	}
	// At-least-once across a SIGKILL: only the messages the killed agent
	// had in flight (one batch) can be sent twice.
	if len(dupObjects) > MaxMessages {
		t.Errorf("%d objects sent twice, more than one batch (%d): %v", len(dupObjects), MaxMessages, dupObjects)
	}
	if len(doubled) > maxDoubleDeliveries {
		t.Errorf("%d objects sent by two surviving agents with no lapse reported, more than SQS's rare double delivery (%d): %v", len(doubled), maxDoubleDeliveries, doubled)
	}
	t.Logf("%s: %d events; the killed agent sent %d, the survivors %d; %d objects resent after the kill; %d sent twice after a reported lapse %v; %d delivered twice by SQS %v",
		c.typ, len(want), len(killed), len(survived), len(dupObjects), len(lapsedDups), lapsedDups, len(doubled), doubled)

	// The queue is drained and nothing went to the dead-letter queue.
	for _, u := range []string{qurl, dlq} {
		a, err := m.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u), AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			t.Fatal(err)
		}
		if v, nv := a.Attributes["ApproximateNumberOfMessages"], a.Attributes["ApproximateNumberOfMessagesNotVisible"]; v != "0" || nv != "0" {
			t.Errorf("%s: %s messages visible, %s in flight after the run", u, v, nv)
		}
	}
}

// cleanEnv is the test's environment without AWS settings.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return env
}
