package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wazuh/aws-s3-go/core/bucket"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// TestLargeObjectAllOrNothing: objects too large to hold (a small
// ObjectBuffer makes every object here one) are sent whole or not at all.
// One whose JSON is cut near its end sends nothing, on every run, without
// skip_on_error; with it, exactly one error event; the good ones are sent
// once.
func TestLargeObjectAllOrNothing(t *testing.T) {
	t.Parallel()
	const account, region = "111111111111", "us-east-1"
	for _, skip := range []bool{true, false} {
		name := map[bool]string{true: "skip_on_error", false: "stop"}[skip]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bucket := "large-" + map[bool]string{true: "skip", false: "stop"}[skip]
			e := newEnv(t, true, bucket)
			e.opts = engine.Options{ObjectBuffer: 4 << 10, HeldBytes: 64 << 10}
			l := newLedger(cloudtrail)
			var keys []string
			for h := 1; h <= 5; h++ {
				if h == 3 {
					text := fixture.CloudTrail(account, region, day(20, h, 0), 400)
					key := cloudtrail.key(account, region, day(20, h, 0), "bad")
					e.put(bucket, key, fixture.Gzip(text[:len(text)-20]))
					keys = append(keys, key)
					continue
				}
				keys = append(keys, l.upload(e, bucket, account, region, day(20, h, 0), "good", 400))
			}
			bad := keys[2]
			argv := e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-20")
			if skip {
				argv = append(argv, "--skip_on_error")
			}
			now := day(21, 12, 0)
			if skip {
				r := e.mustRun(argv, now, 0)
				if n := strings.Count(r.log, "+++ Table does not exist; create"); n != 1 {
					t.Errorf("\"Table does not exist; create\" logged %d times, want once", n)
				}
				if !strings.Contains(r.log, "reading it again") {
					t.Errorf("no object took two passes: the test does not exercise them\n%s", r.log)
				}
				records, errs := splitErrors(t, r.frames)
				l.add(t, records)
				l.checkExactlyOnce(t)
				if len(errs) != 1 || errs[0].file() != bad {
					t.Fatalf("%d error events (want 1, for %s)", len(errs), bad)
				}
				checkKeys(t, e, keys)
				return
			}
			for run := 1; run <= 2; run++ {
				r := e.mustRun(argv, now, 9)
				records, errs := splitErrors(t, r.frames)
				if len(errs) != 0 {
					t.Errorf("run %d: error events without skip_on_error", run)
				}
				for id := range l.add(t, records) {
					if keyOf(id) != keys[0] && keyOf(id) != keys[1] {
						t.Fatalf("run %d sent %s: only the objects before %s may be sent", run, id, bad)
					}
				}
				checkKeys(t, e, keys[:2])
			}
			// Fixed, the object and the ones after it arrive once.
			l.upload(e, bucket, account, region, day(20, 3, 0), "bad", 400)
			r := e.mustRun(argv, now, 0)
			l.add(t, r.frames)
			l.checkExactlyOnce(t)
			checkKeys(t, e, keys)
		})
	}
}

// faultProxy forwards to an S3 server on 127.0.0.1 and, while armed,
// breaks the GET of one key the way a network does.
type faultProxy struct {
	url      string
	upstream *url.URL
	path     string // of the broken object: /bucket/key
	mode     string // "cut", "reset", "denied" or "change"
	armed    atomic.Bool
	hits     atomic.Int64
	srv      *http.Server
	rp       *httputil.ReverseProxy

	// change ("change" mode) replaces the object before its second GET,
	// which the proxy then answers as S3 does a stale If-Match.
	change  func()
	ifMatch atomic.Value // the If-Match of the second GET
}

func startFaultProxy(t *testing.T, upstream, path, mode string) *faultProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{url: "http://" + ln.Addr().String(), upstream: u, path: path, mode: mode}
	p.armed.Store(true)
	rp := httputil.NewSingleHostReverseProxy(u)
	p.rp = rp
	p.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == p.path && p.armed.Load() {
			p.hits.Add(1)
			p.fail(t, w, r)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(ln)
	t.Cleanup(func() { p.srv.Close() })
	return p
}

func (p *faultProxy) fail(t *testing.T, w http.ResponseWriter, r *http.Request) {
	if p.mode == "change" {
		if p.hits.Load() == 1 {
			p.rp.ServeHTTP(w, r)
			return
		}
		if p.hits.Load() == 2 {
			p.ifMatch.Store(r.Header.Get("If-Match"))
			p.change()
		}
		head, err := http.Head(p.upstream.String() + p.path)
		if err != nil {
			t.Errorf("proxy: %v", err)
			panic(http.ErrAbortHandler)
		}
		head.Body.Close()
		if m := r.Header.Get("If-Match"); m != "" && m != head.Header.Get("ETag") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusPreconditionFailed)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`)
			return
		}
		p.rp.ServeHTTP(w, r)
		return
	}
	if p.mode == "denied" {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
		return
	}
	resp, err := http.Get(p.upstream.String() + p.path)
	if err != nil {
		t.Errorf("proxy: %v", err)
		panic(http.ErrAbortHandler)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	half := data[:len(data)/2]
	if p.mode == "cut" {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Header().Set("ETag", resp.Header.Get("ETag"))
		w.WriteHeader(http.StatusOK)
		w.Write(half)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // closes the connection mid-body
	}
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("proxy: %v", err)
		return
	}
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: %s\r\n\r\n", len(data), resp.Header.Get("ETag"))
	buf.Write(half)
	buf.Flush()
	conn.(*net.TCPConn).SetLinger(0) // RST instead of FIN
	conn.Close()
}

// TestTransportFailure: a body cut mid-transfer, a connection reset or a
// refused GET is not bad content. With skip_on_error and
// remove_from_bucket the object yields no error event, is neither
// recorded nor deleted, the run stops at it with exit 7 and an ERROR line
// naming it, and the next run delivers it and the rest once.
func TestTransportFailure(t *testing.T) {
	t.Parallel()
	const account, region = "111111111111", "us-east-1"
	for _, mode := range []string{"cut", "reset", "denied"} {
		for _, large := range []bool{false, true} {
			name := mode + map[bool]string{false: "", true: "/large"}[large]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				bucket := "net-" + mode + map[bool]string{false: "", true: "-large"}[large]
				e := newEnv(t, true, bucket)
				if large {
					e.opts = engine.Options{ObjectBuffer: 4 << 10}
				}
				l := newLedger(cloudtrail)
				var keys []string
				for h := 1; h <= 5; h++ {
					keys = append(keys, l.upload(e, bucket, account, region, day(20, h, 0), "obj", 200))
				}
				bad := keys[2]
				p := startFaultProxy(t, e.s3.URL, "/"+bucket+"/"+bad, mode)
				argv := []string{"--bucket", bucket, "--service_endpoint", p.url, "--type", "cloudtrail", "--debug", "2",
					"--only_logs_after", "2024-NOV-20", "--skip_on_error", "--remove"}
				now := day(21, 12, 0)

				r := e.mustRun(argv, now, 7)
				if p.hits.Load() == 0 {
					t.Fatal("the broken object was never requested")
				}
				records, errs := splitErrors(t, r.frames)
				if len(errs) != 0 {
					t.Errorf("a transport failure became an error event: %v", errs[0].msg["error_msg"])
				}
				for id := range l.add(t, records) {
					if k := keyOf(id); k >= bad {
						t.Errorf("%s sent: the run must stop at %s", id, bad)
					}
				}
				if !strings.Contains(r.log, "ERROR: ") || !strings.Contains(r.log, bad) {
					t.Errorf("no ERROR line naming %s:\n%s", bad, r.log)
				}
				checkKeys(t, e, keys[:2])
				left, err := e.s3.Keys(context.Background(), bucket)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(left, ",") != strings.Join(keys[2:], ",") {
					t.Errorf("bucket holds %v, want %v (only delivered objects removed)", left, keys[2:])
				}

				p.armed.Store(false)
				r = e.mustRun(argv, now, 0)
				l.add(t, r.frames)
				l.checkExactlyOnce(t)
				if missing := len(l.want) - len(l.complete(l.got)); missing != 0 {
					t.Errorf("%d objects not completely delivered", missing)
				}
				checkKeys(t, e, keys)
				if left, _ := e.s3.Keys(context.Background(), bucket); len(left) != 0 {
					t.Errorf("objects left in the bucket: %v", left)
				}
			})
		}
	}
}

// TestUpgradeRetention continues a database the Python wodle trimmed to its
// 500 rows: the window of the first Go run must not reach the objects it
// trimmed, which were delivered already.
func TestUpgradeRetention(t *testing.T) {
	t.Parallel()
	const bucket, account, region = "py-full", "111111111111", "us-east-1"
	e := newEnv(t, true, bucket)
	l := newLedger(cloudtrail)
	const old = 520
	body := cloudtrail.body(account, region, day(20, 0, 0), 1)
	keys := make([]string, old)
	var wg sync.WaitGroup
	errs := make([]error, old)
	for i := range old {
		keys[i] = cloudtrail.key(account, region, day(20, 0, 0).Add(time.Duration(i)*5*time.Minute), fmt.Sprintf("py%03d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.s3.Put(context.Background(), bucket, keys[i], body)
		}()
		if i%8 == 7 {
			wg.Wait()
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("put %s: %v", keys[i], err)
		}
	}
	// New since Python's last run.
	l.upload(e, bucket, account, region, day(21, 20, 0), "new1", 2)
	l.upload(e, bucket, account, region, day(22, 1, 0), "new2", 2)

	if err := os.MkdirAll(filepath.Dir(e.dbPath()), 0o750); err != nil {
		t.Fatal(err)
	}
	db := openDBCreate(t, e.dbPath())
	for _, q := range []string{pyMetadataDDL, "INSERT INTO metadata (key, value) VALUES ('version', 'v4.9.2');", pyCloudTrailDDL} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	g := []any{sql.Named("bucket_path", bucket+"/"), sql.Named("aws_account_id", account), sql.Named("aws_region", region)}
	for _, key := range keys {
		if _, err := db.Exec(pyMarkComplete, append(g, sql.Named("log_key", key), sql.Named("created_date", createdOf(key)))...); err != nil {
			t.Fatal(err)
		}
	}
	// The reference's maintenance (reference-wodle.md §2.5, §2.7).
	res, err := db.Exec(`
DELETE FROM cloudtrail
WHERE bucket_path=:bucket_path AND aws_account_id=:aws_account_id AND aws_region=:aws_region AND
  log_key <= (SELECT log_key FROM cloudtrail
              WHERE bucket_path=:bucket_path AND aws_account_id=:aws_account_id AND aws_region=:aws_region
              ORDER BY log_key DESC LIMIT 1 OFFSET :retain_db_records);`, append(g, sql.Named("retain_db_records", retention))...)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != old-retention {
		t.Fatalf("the reference's trim deleted %d rows, want %d", n, old-retention)
	}
	db.Close()

	r := e.mustRun(e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-19"), day(22, 12, 0), 0)
	l.add(t, r.frames) // fails on any event of the 520 (not in the ledger)
	l.checkExactlyOnce(t)
}

// TestObjectChangedBetweenPasses: an object too large to hold that is
// replaced between its validating read and its second read is not sent
// half old, half new: the second read is pinned to the first one's ETag,
// fails, and the run stops before the object; the next run sends the new
// version whole.
func TestObjectChangedBetweenPasses(t *testing.T) {
	t.Parallel()
	const bucket, account, region = "changed", "111111111111", "us-east-1"
	e := newEnv(t, true, bucket)
	e.opts = engine.Options{ObjectBuffer: 4 << 10}
	l := newLedger(cloudtrail)
	var keys []string
	for h := 1; h <= 4; h++ {
		keys = append(keys, l.upload(e, bucket, account, region, day(20, h, 0), "obj", 200))
	}
	bad := keys[2]
	p := startFaultProxy(t, e.s3.URL, "/"+bucket+"/"+bad, "change")
	var etag string
	p.change = func() {
		out, err := e.s3.Client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(bad)})
		if err != nil {
			t.Error(err)
			return
		}
		etag = aws.ToString(out.ETag)
		l.upload(e, bucket, account, region, day(20, 3, 0), "obj", 300)
	}
	argv := []string{"--bucket", bucket, "--service_endpoint", p.url, "--type", "cloudtrail", "--debug", "2",
		"--only_logs_after", "2024-NOV-20", "--skip_on_error"}
	now := day(21, 12, 0)
	r := e.mustRun(argv, now, 7)
	if got, _ := p.ifMatch.Load().(string); got == "" || got != etag {
		t.Errorf("second read sent If-Match %q, want the first read's ETag %q", got, etag)
	}
	records, errs := splitErrors(t, r.frames)
	if len(errs) != 0 {
		t.Errorf("error event for a changed object: %v", errs[0].msg["error_msg"])
	}
	for id := range l.add(t, records) {
		if keyOf(id) >= bad {
			t.Errorf("%s sent: the run must stop at %s", id, bad)
		}
	}
	checkKeys(t, e, keys[:2])
	p.armed.Store(false)
	r = e.mustRun(argv, now, 0)
	l.add(t, r.frames)
	l.checkExactlyOnce(t)
	checkKeys(t, e, keys)
}

// retention is the bucket runner's trim floor (bucket.Retention), named
// apart from the tests' bucket variables.
const retention = bucket.Retention
