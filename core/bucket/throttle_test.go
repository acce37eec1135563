package bucket_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// slowDown answers the first GET of every third object with S3's 503
// SlowDown and passes everything else to next.
type slowDown struct {
	next http.Handler
	mu   sync.Mutex
	seen map[string]bool
	n    int
	sent int
}

func (s *slowDown) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, ".json.gz") {
		s.mu.Lock()
		first := !s.seen[r.URL.Path]
		s.seen[r.URL.Path] = true
		if first {
			s.n++
		}
		throttle := first && s.n%3 == 0
		if throttle {
			s.sent++
		}
		s.mu.Unlock()
		if throttle {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
	}
	s.next.ServeHTTP(w, r)
}

// seedDay is the day cloudTrailBucket's objects start.
var seedDay = time.Date(2024, 11, 19, 0, 0, 0, 0, time.UTC)

// cloudTrailBucket starts an in-process S3 holding bucket, with objects
// gzip CloudTrail objects of records records each, one a minute from
// 2024-11-19 in one account and region, and returns it with their keys.
func cloudTrailBucket(tb testing.TB, bucket string, objects, records int) (*fixture.S3, []string) {
	tb.Helper()
	s3, err := fixture.StartS3()
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if err := s3.CreateBucket(ctx, bucket); err != nil {
		s3.Close()
		tb.Fatal(err)
	}
	keys := make([]string, objects)
	for i := range keys {
		at := seedDay.Add(time.Duration(i) * time.Minute)
		keys[i] = fixture.CloudTrailKey("", "123456789012", "us-east-1", at, fmt.Sprintf("k%03d", i))
		if err := s3.Put(ctx, bucket, keys[i], fixture.Gzip(fixture.CloudTrail("123456789012", "us-east-1", at, records))); err != nil {
			s3.Close()
			tb.Fatal(err)
		}
	}
	return s3, keys
}

// Throttled GETs make the engine halve its concurrent fetches (a debug
// line says so), the SDK retries them, and the run still delivers every
// event, in key order, and exits 0.
func TestThrottledRunDeliversInOrder(t *testing.T) {
	const objects, records = 30, 3
	s3, keys := cloudTrailBucket(t, "throttled", objects, records)
	defer s3.Close()
	u, _ := url.Parse(s3.URL)
	sd := &slowDown{next: httputil.NewSingleHostReverseProxy(u), seen: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxy := &http.Server{Handler: sd, ReadHeaderTimeout: 5 * time.Second}
	go proxy.Serve(ln)
	defer proxy.Close()

	home, err := os.MkdirTemp("", "thr")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(home)
	qpath := filepath.Join(home, "queue", "sockets", "queue")
	os.MkdirAll(filepath.Dir(qpath), 0o750)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: qpath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var frames [][]byte
	got := make(chan struct{})
	go func() {
		defer close(got)
		buf := make([]byte, 1<<16)
		for len(frames) < objects*records {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			if bytes.HasPrefix(buf[:n], []byte(sink.Header)) {
				frames = append(frames, bytes.Clone(buf[:n]))
			}
		}
	}()

	t.Setenv("AWS_ACCESS_KEY_ID", fixture.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", fixture.SecretKey)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	tgt, err := config.ParseArgv("aws-s3", []string{"--bucket", "throttled", "--type", "cloudtrail",
		"--service_endpoint", "http://" + ln.Addr().String(), "--only_logs_after", "2024-NOV-19", "--debug", "1"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var mu sync.Mutex
	log := logging.NewScript(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) }), tgt.Debug)
	q := sink.NewSocket(qpath, log)
	defer q.Close()
	code := engine.Run(context.Background(), tgt, engine.Host{Home: home, Version: "v5.1.0", Log: log, Sink: q,
		Options: engine.Options{Workers: 16}, Now: func() time.Time { return seedDay.Add(48 * time.Hour) }})
	select {
	case <-got:
	case <-time.After(10 * time.Second):
	}
	mu.Lock()
	text := out.String()
	mu.Unlock()
	if code != 0 {
		t.Fatalf("exit code %d\n%s", code, text)
	}
	if sd.sent == 0 {
		t.Fatal("the proxy throttled nothing")
	}
	// The limit starts at 16 and may have grown before the first
	// throttle; each decrease halves it.
	m := regexp.MustCompile(`S3 is throttling requests \(503 SlowDown\): fetching up to (\d+) objects at once instead of (\d+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no debug line for a decrease:\n%s", text)
	}
	after, _ := strconv.Atoi(m[1])
	before, _ := strconv.Atoi(m[2])
	if before < 16 || after != before/2 {
		t.Fatalf("first decrease from %d to %d, want from 16 or more to half:\n%s", before, after, text)
	}
	if len(frames) != objects*records {
		t.Fatalf("the queue received %d of %d events\n%s", len(frames), objects*records, text)
	}
	// Each object's events name it; they arrive object after object in
	// key order.
	for i, f := range frames {
		if want := keys[i/records]; !bytes.Contains(f, []byte(want)) {
			t.Fatalf("event %d is not from %s: %.300s", i, want, f)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
