package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/wazuh/aws-s3-go/core/bucket"
	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// version is the metadata version the host passes (no wazuh-control).
const version = "v5.1.0"

func queuePath(home string) string { return filepath.Join(home, "queue", "sockets", "queue") }

// env is one test's world: its own S3, Wazuh home and queue socket.
type env struct {
	t    *testing.T
	s3   *fixture.S3
	home string
	q    *fixture.Queue
	opts engine.Options // the runs' options; zero means the defaults
}

// newEnv starts an S3 with the given buckets and binds the queue socket
// (unless bind is false).
func newEnv(t *testing.T, bind bool, buckets ...string) *env {
	t.Helper()
	srv, err := fixture.StartS3()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	// Short: sun_path holds 108 bytes.
	home, err := os.MkdirTemp("", "q")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	if err := os.MkdirAll(filepath.Dir(queuePath(home)), 0o750); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, s3: srv, home: home, q: &fixture.Queue{Path: queuePath(home)}}
	t.Cleanup(e.q.Close)
	if bind {
		if err := e.q.Bind(); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range buckets {
		if err := srv.CreateBucket(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) put(bucket, key string, body []byte) {
	e.t.Helper()
	if err := e.s3.Put(context.Background(), bucket, key, body); err != nil {
		e.t.Fatalf("put %s: %v", key, err)
	}
}

// argv is the command line modulesd passes for a bucket, plus extra.
func (e *env) argv(bucket, typ string, extra ...string) []string {
	return append([]string{"--bucket", bucket, "--service_endpoint", e.s3.URL, "--type", typ, "--debug", "2"}, extra...)
}

func (e *env) dbPath() string { return bucket.DBPath(e.home) }

// runResult is how one in-process run ended.
type runResult struct {
	code   int
	log    string
	frames [][]byte // what reached the queue during the run
}

// run parses argv as the script would and runs it with today = now,
// returning its exit code, its log and the frames it delivered.
func (e *env) run(ctx context.Context, argv []string, now time.Time) runResult {
	e.t.Helper()
	return e.start(ctx, argv, now)()
}

// start is run in the background; wait returns its result.
func (e *env) start(ctx context.Context, argv []string, now time.Time) (wait func() runResult) {
	e.t.Helper()
	tgt, err := config.ParseArgv("aws-s3", argv)
	if err != nil {
		e.t.Fatalf("ParseArgv(%q): %v", argv, err)
	}
	buf := new(lockedBuffer)
	log := logging.NewScript(buf, tgt.Debug)
	before := e.q.Count()
	done := make(chan int, 1)
	go func() {
		q := sink.NewSocket(queuePath(e.home), log)
		defer q.Close()
		done <- engine.Run(ctx, tgt, engine.Host{
			Home: e.home, Version: version, Log: log, Sink: q, Options: e.opts,
			Now: func() time.Time { return now },
		})
	}()
	return func() runResult {
		e.t.Helper()
		code := <-done
		if err := e.q.Sync(); err != nil {
			e.t.Fatal(err)
		}
		return runResult{code: code, log: buf.String(), frames: e.q.Since(before)}
	}
}

// mustRun is run that fails the test unless the exit code is want.
func (e *env) mustRun(argv []string, now time.Time, want int) runResult {
	e.t.Helper()
	r := e.run(context.Background(), argv, now)
	if r.code != want {
		e.t.Fatalf("exit code %d, want %d; log:\n%s", r.code, want, r.log)
	}
	return r
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// event is one decoded frame.
type event struct {
	msg map[string]any
	aws map[string]any
}

func (ev event) file() string { return str(ev.aws, "log_info", "log_file") }

// parseFrame checks the queue header and decodes the JSON.
func parseFrame(t *testing.T, f []byte) event {
	t.Helper()
	body, ok := bytes.CutPrefix(f, []byte(sink.Header))
	if !ok {
		t.Fatalf("frame without %q header: %.80q", sink.Header, f)
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("frame is not JSON: %v: %.200q", err, body)
	}
	if d.More() {
		t.Fatalf("trailing data after the JSON: %.200q", body)
	}
	if m["integration"] != "aws" {
		t.Fatalf("integration = %v: %.200q", m["integration"], body)
	}
	a, ok := m["aws"].(map[string]any)
	if !ok {
		t.Fatalf("no aws object: %.200q", body)
	}
	return event{msg: m, aws: a}
}

// str walks nested objects and returns the string at path ("" if absent).
func str(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = o[p]
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

// family describes how the tests generate and recognise one bucket type's
// objects and records.
type family struct {
	typ  string
	key  func(account, region string, t time.Time, id string) string
	body func(account, region string, t time.Time, n int) []byte
	// rec is the identifier record i of an object carries; id reads it
	// back from a sent event.
	rec func(i int) string
	id  func(ev event) string
}

var cloudtrail = family{
	typ: "cloudtrail",
	key: func(a, r string, t time.Time, id string) string { return fixture.CloudTrailKey("", a, r, t, id) },
	body: func(a, r string, t time.Time, n int) []byte {
		return fixture.Gzip(fixture.CloudTrail(a, r, t, n))
	},
	rec: func(i int) string { return fmt.Sprintf("%08d-0000-4000-8000-000000000000", i) },
	id:  func(ev event) string { return str(ev.aws, "eventID") },
}

var alb = family{
	typ: "alb",
	key: func(a, r string, t time.Time, id string) string { return fixture.ALBKey("", a, r, "web-lb", t, id) },
	body: func(a, r string, t time.Time, n int) []byte {
		var b bytes.Buffer
		if err := fixture.WriteALB(&b, a, r, t, n); err != nil {
			panic(err)
		}
		return fixture.Gzip(b.Bytes())
	},
	rec: func(i int) string { return fmt.Sprintf("Root=1-6737d8c1-%024x", i) },
	id:  func(ev event) string { return str(ev.aws, "trace_id") },
}

var guardduty = family{
	typ: "guardduty",
	key: func(a, r string, t time.Time, id string) string { return fixture.GuardDutyKey("", a, r, t, id) },
	body: func(a, r string, t time.Time, n int) []byte {
		return fixture.Gzip(fixture.GuardDuty(a, r, t, n))
	},
	// The region is part of the finding id; records are told apart by
	// key anyway.
	rec: func(i int) string { return fmt.Sprintf("%06d", i) },
	id: func(ev event) string {
		id := str(ev.aws, "id")
		return id[strings.LastIndexByte(id, '-')+1:]
	},
}

// custom is a Firehose bucket under "firehose/" (account and region are
// not part of its keys).
var custom = family{
	typ:  "custom",
	key:  func(_, _ string, t time.Time, id string) string { return fixture.FirehoseKey("firehose/", t, id) },
	body: func(_, _ string, t time.Time, n int) []byte { return fixture.Firehose(t, n) },
	rec:  func(i int) string { return fmt.Sprint(i + 1) },
	id:   func(ev event) string { return str(ev.aws, "service", "count") },
}

// ledger is what was uploaded and what was delivered, per record.
type ledger struct {
	f    family
	want map[string]int // key -> records
	got  map[string]int // key#record -> deliveries
}

func newLedger(f family) *ledger {
	return &ledger{f: f, want: map[string]int{}, got: map[string]int{}}
}

// upload stores an object of n records and expects it delivered.
func (l *ledger) upload(e *env, bucket, account, region string, t time.Time, id string, n int) string {
	key := l.f.key(account, region, t, id)
	e.put(bucket, key, l.f.body(account, region, t, n))
	l.want[key] = n
	return key
}

// deliveries counts the records in frames (all of which must be records
// of this family) and returns them per key#record.
func (l *ledger) deliveries(t *testing.T, frames [][]byte) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, f := range frames {
		ev := parseFrame(t, f)
		if em, ok := ev.msg["error_msg"]; ok {
			t.Fatalf("unexpected error event: %v", em)
		}
		id := l.f.id(ev)
		if ev.file() == "" || id == "" {
			t.Fatalf("event without log_file or record id: %.300q", f)
		}
		got[ev.file()+"#"+id]++
	}
	return got
}

// add records the frames of one run.
func (l *ledger) add(t *testing.T, frames [][]byte) map[string]int {
	got := l.deliveries(t, frames)
	for k, n := range got {
		l.got[k] += n
	}
	return got
}

// expected lists every key#record uploaded.
func (l *ledger) expected() map[string]bool {
	m := map[string]bool{}
	for key, n := range l.want {
		for i := 0; i < n; i++ {
			m[key+"#"+l.f.rec(i)] = true
		}
	}
	return m
}

// checkExactlyOnce fails unless every uploaded record was delivered once
// and nothing else was delivered.
func (l *ledger) checkExactlyOnce(t *testing.T) {
	t.Helper()
	want := l.expected()
	var missing, extra, dup []string
	for k := range want {
		if l.got[k] == 0 {
			missing = append(missing, k)
		}
	}
	for k, n := range l.got {
		switch {
		case !want[k]:
			extra = append(extra, k)
		case n > 1:
			dup = append(dup, fmt.Sprintf("%s x%d", k, n))
		}
	}
	report(t, "records", "missing", missing)
	report(t, "records", "unexpected", extra)
	report(t, "records", "delivered more than once", dup)
}

func report(t *testing.T, noun, what string, list []string) {
	t.Helper()
	if len(list) == 0 {
		return
	}
	sort.Strings(list)
	more := ""
	if len(list) > 10 {
		more = fmt.Sprintf(" (and %d more)", len(list)-10)
		list = list[:10]
	}
	t.Errorf("%d %s %s: %s%s", len(list), noun, what, strings.Join(list, ", "), more)
}

// row is one row of a bucket table.
type row struct {
	BucketPath, Account, Region, Key string
	Created                          int64
}

func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("state database: %v", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// rows reads table (with aws_region when region is set), ordered by key.
func rows(t *testing.T, path, table string, region bool) []row {
	t.Helper()
	db := openDB(t, path)
	defer db.Close()
	cols := "bucket_path, aws_account_id, '', log_key, created_date"
	if region {
		cols = "bucket_path, aws_account_id, aws_region, log_key, created_date"
	}
	rs, err := db.Query("SELECT " + cols + " FROM " + table + " ORDER BY log_key")
	if err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.BucketPath, &r.Account, &r.Region, &r.Key, &r.Created); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// keysOf returns the log_key column as a set.
func keysOf(rs []row) map[string]bool {
	m := map[string]bool{}
	for _, r := range rs {
		m[r.Key] = true
	}
	return m
}

// integrity fails unless SQLite finds the file sound.
func integrity(t *testing.T, path string) {
	t.Helper()
	db := openDB(t, path)
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if res != "ok" {
		t.Fatalf("integrity_check: %s", res)
	}
}

// day returns 2024-11-d at hh:mm UTC.
func day(d, hh, mm int) time.Time { return time.Date(2024, 11, d, hh, mm, 0, 0, time.UTC) }

// openDBCreate opens (creating) a database file as Python's sqlite3 would.
func openDBCreate(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// createdOf is the created_date the reference computes for an AWSLogs key:
// the date before "T" in the second-to-last "_" field of the file name.
func createdOf(key string) int64 {
	parts := strings.Split(filepath.Base(key), "_")
	var n int64
	fmt.Sscanf(parts[len(parts)-2][:8], "%d", &n)
	return n
}
