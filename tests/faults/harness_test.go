package faults

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// suite is what every test shares: one gateway and the executable under
// test. skip, when set, says why the suite cannot run here.
var suite struct {
	gw   *fixture.Gateway
	bin  string
	skip string
}

func TestMain(m *testing.M) {
	bin, err := findBinary()
	if err != nil {
		suite.skip = err.Error()
		os.Exit(m.Run())
	}
	suite.bin = bin
	gw, err := fixture.StartGateway()
	if err != nil {
		if errors.Is(err, fixture.ErrNoGateway) {
			suite.skip = err.Error()
			os.Exit(m.Run())
		}
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	suite.gw = gw
	code := m.Run()
	gw.Close()
	os.Exit(code)
}

// findBinary is $AWS_S3_BIN or build/aws-s3 at the module root (make
// builds it before running the Go tests).
func findBinary() (string, error) {
	if p := os.Getenv("AWS_S3_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("AWS_S3_BIN: %v", err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "build", "aws-s3")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("build/aws-s3 not built (run `make exe`): %v", err)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("module root not found: cannot locate build/aws-s3")
		}
		dir = parent
	}
}

// account and region of every generated AWSLogs object.
const (
	account = "111111111111"
	region  = "us-east-1"
)

// world is one test's bucket, Wazuh home, queue socket and proxy.
type world struct {
	t      *testing.T
	bucket string
	home   string
	q      *fixture.Queue
	px     *proxy
	typ    string
	// rssCap, when set, is the resident set (KiB) past which a run is
	// killed: a collector that misbehaves on a hostile object must not
	// take the shared machine down with it.
	rssCap int64
	// limit, when set, replaces the package's limit on one run.
	limit time.Duration
	// day of every generated object: today, since the executable runs
	// with the real clock.
	day time.Time
}

// newWorld makes a bucket named after the test, a scratch home with a
// bound queue socket, and a proxy in front of the gateway.
func newWorld(t *testing.T, typ string) *world {
	t.Helper()
	if suite.skip != "" {
		t.Skip("faults: " + suite.skip)
	}
	home, err := os.MkdirTemp("", "f") // short: sun_path holds 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	for _, d := range []string{"queue/sockets", "wodles/aws", "bin"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	// The version the state database records, as an agent reports it.
	control := "#!/bin/sh\necho 'WAZUH_VERSION=\"v5.1.0\"'\n"
	if err := os.WriteFile(filepath.Join(home, "bin", "wazuh-control"), []byte(control), 0o750); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, home: home, typ: typ, day: time.Now().UTC().Truncate(time.Hour)}
	w.bucket = bucketName(t.Name())
	if err := suite.gw.CreateBucket(context.Background(), w.bucket); err != nil {
		t.Fatal(err)
	}
	w.q = &fixture.Queue{Path: filepath.Join(home, "queue", "sockets", "queue"), ReadBuffer: 4 << 20}
	if err := w.q.Bind(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.q.Close)
	px, err := startProxy(suite.gw.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	w.px = px
	return w
}

// bucketName turns a test name into a valid, unique bucket name.
func bucketName(test string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 40 {
		s = s[len(s)-40:]
	}
	return fmt.Sprintf("f-%s-%d", strings.Trim(s, "-"), time.Now().UnixNano()%1e9)
}

func (w *world) dbPath() string { return filepath.Join(w.home, "wodles", "aws", "s3_cloudtrail.db") }

// argv is what wm_aws.c passes for the bucket, then extra.
func (w *world) argv(extra ...string) []string {
	since := w.day.AddDate(0, 0, -1).Format("2006-Jan-02")
	return append([]string{"--bucket", w.bucket, "--only_logs_after", since,
		"--service_endpoint", w.px.URL, "--type", w.typ, "--debug", "2"}, extra...)
}

// result is how one run of the executable ended.
type result struct {
	code   int
	out    string
	frames [][]byte // what reached the queue during the run
	// maxRSS is the child's peak resident set (KiB), VmHWM polled from
	// /proc. Not ru_maxrss: os/exec starts the child with vfork, and
	// Linux carries the parent's high-water mark over exec into the
	// child's ru_maxrss, so a big test process (-race, bomb buffers)
	// would be measured instead of the collector.
	maxRSS  int64
	ruRSS   int64 // ru_maxrss of the child, for the record
	capped  bool  // killed for going over the world's rssCap
	elapsed time.Duration
}

// limit bounds every run: a hung run fails the test instead of the suite.
const limit = 90 * time.Second

// start runs the executable with argv in the background; wait returns
// how it ended. signal sends it a signal.
func (w *world) start(argv []string) (wait func() result, signal func(os.Signal)) {
	w.t.Helper()
	d := limit
	if w.limit > 0 {
		d = w.limit
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	cmd := exec.CommandContext(ctx, suite.bin, argv...)
	cmd.Env = w.env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	before := w.q.Count()
	began := time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		w.t.Fatalf("start %s: %v", suite.bin, err)
	}
	done := make(chan struct{})
	var r result
	var capped atomic.Bool
	watch := fixture.WatchRSS(cmd.Process.Pid, 10*time.Millisecond, w.rssCap, func() { capped.Store(true); cmd.Process.Kill() })
	go func() {
		defer close(done)
		defer cancel()
		err := cmd.Wait()
		r.elapsed = time.Since(began)
		r.capped = capped.Load()
		r.code = cmd.ProcessState.ExitCode()
		if ctx.Err() != nil {
			r.code = -1
			out.WriteString(fmt.Sprintf("\n[faults: killed after %v]", d))
		} else if r.code < 0 && err != nil {
			out.WriteString("\n[faults: " + err.Error() + "]")
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.ruRSS = ru.Maxrss
		}
	}()
	wait = func() result {
		w.t.Helper()
		<-done
		r.maxRSS = watch.Stop()
		if err := w.q.Sync(); err != nil {
			w.t.Fatal(err)
		}
		r.out = out.String()
		r.frames = w.q.Since(before)
		return r
	}
	signal = func(s os.Signal) { cmd.Process.Signal(s) }
	return wait, signal
}

func (w *world) run(argv []string) result {
	w.t.Helper()
	wait, _ := w.start(argv)
	return wait()
}

// env is a clean environment: the gateway's keys, no AWS configuration
// from the machine, STS at the proxy.
func (w *world) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + w.home,
		"WAZUH_HOME=" + w.home,
		"AWS_ACCESS_KEY_ID=" + suite.gw.Access,
		"AWS_SECRET_ACCESS_KEY=" + suite.gw.Secret,
		"AWS_REGION=" + region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_STS=" + w.px.URL,
		"AWS_CONFIG_FILE=" + filepath.Join(w.home, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(w.home, "no-credentials"),
	}
}

func (w *world) put(key string, body []byte) {
	w.t.Helper()
	if err := suite.gw.Put(context.Background(), w.bucket, key, body); err != nil {
		w.t.Fatal(err)
	}
}

// keys lists the bucket.
func (w *world) keys() map[string]bool {
	w.t.Helper()
	ks, err := suite.gw.Keys(context.Background(), w.bucket)
	if err != nil {
		w.t.Fatal(err)
	}
	m := map[string]bool{}
	for _, k := range ks {
		m[k] = true
	}
	return m
}

// rows lists log_key of the type's table; a missing database or table is
// no rows. It fails the test on a key recorded twice.
func (w *world) rows(table string) map[string]bool {
	w.t.Helper()
	m := map[string]bool{}
	if _, err := os.Stat(w.dbPath()); err != nil {
		return m
	}
	db, err := sql.Open("sqlite", "file:"+w.dbPath()+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Query("SELECT log_key FROM " + table)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return m
		}
		w.t.Fatalf("reading %s: %v", table, err)
	}
	defer rs.Close()
	for rs.Next() {
		var k string
		if err := rs.Scan(&k); err != nil {
			w.t.Fatal(err)
		}
		if m[k] {
			w.t.Errorf("%s recorded twice in %s", k, table)
		}
		m[k] = true
	}
	if err := rs.Err(); err != nil {
		w.t.Fatal(err)
	}
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		w.t.Errorf("state database integrity_check: %q %v", res, err)
	}
	return m
}

// event is one decoded frame: the log file it came from, its record id
// (empty for an error event) and its error_msg.
type event struct {
	file, id, errMsg string
}

// parse checks the queue header and reads what the assertions need. id
// is the record's identifying field: eventID (CloudTrail), id (Firehose
// GuardDuty), httpRequest.requestId (WAF), service.count (Firehose).
func parse(t *testing.T, f []byte) event {
	t.Helper()
	body, ok := bytes.CutPrefix(f, []byte(sink.Header))
	if !ok {
		t.Fatalf("frame without %q header: %.120q", sink.Header, f)
	}
	// Tens of thousands of frames under -race: a CloudTrail event is read
	// by looking its two fields up; anything else is decoded.
	if bytes.HasPrefix(body, []byte(`{"integration": "aws", `)) && bytes.HasSuffix(body, []byte("}")) && !bytes.Contains(body, []byte(`"error_msg"`)) {
		file, id := quickField(body, "log_file"), quickField(body, "eventID")
		if file != "" && id != "" {
			return event{file: file, id: id}
		}
	}
	var m struct {
		Integration string `json:"integration"`
		ErrorMsg    string `json:"error_msg"`
		AWS         struct {
			LogInfo struct {
				LogFile string `json:"log_file"`
			} `json:"log_info"`
			EventID     string `json:"eventID"`
			ID          string `json:"id"`
			HTTPRequest struct {
				RequestID string `json:"requestId"`
			} `json:"httpRequest"`
			Service struct {
				Count json.Number `json:"count"`
			} `json:"service"`
		} `json:"aws"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("frame is not JSON: %v: %.200q", err, body)
	}
	if m.Integration != "aws" {
		t.Fatalf("integration = %q: %.200q", m.Integration, body)
	}
	ev := event{file: m.AWS.LogInfo.LogFile, errMsg: m.ErrorMsg}
	if ev.errMsg == "" {
		ev.id = m.AWS.EventID
		if ev.id == "" {
			ev.id = m.AWS.ID
		}
		if ev.id == "" {
			ev.id = m.AWS.HTTPRequest.RequestID
		}
		if ev.id == "" {
			ev.id = m.AWS.Service.Count.String()
		}
		if ev.file == "" || ev.id == "" {
			t.Fatalf("event without log_file or record id: %.300q", f)
		}
	}
	return ev
}

// quickField is the first string value of name in a JSON text written as
// json.dumps writes it (`"name": "value"`), "" when absent or escaped.
func quickField(body []byte, name string) string {
	i := bytes.Index(body, []byte(`"`+name+`": "`))
	if i < 0 {
		return ""
	}
	v := body[i+len(name)+5:]
	j := bytes.IndexByte(v, '"')
	if j < 0 || bytes.IndexByte(v[:j], '\\') >= 0 {
		return ""
	}
	return string(v[:j])
}

// ledger is what was uploaded and what reached the queue, per record.
type ledger struct {
	want   map[string][]string // key -> record ids
	got    map[string]int      // key#id -> deliveries, over every run
	errors map[string][]string // key -> error_msg of its error events
}

func newLedger() *ledger {
	return &ledger{want: map[string][]string{}, got: map[string]int{}, errors: map[string][]string{}}
}

// expect records that key holds the records ids.
func (l *ledger) expect(key string, ids []string) { l.want[key] = ids }

// add counts the frames of one run and returns its deliveries.
func (l *ledger) add(t *testing.T, frames [][]byte) map[string]int {
	t.Helper()
	run := map[string]int{}
	for _, f := range frames {
		ev := parse(t, f)
		if ev.errMsg != "" {
			l.errors[ev.file] = append(l.errors[ev.file], ev.errMsg)
			continue
		}
		run[ev.file+"#"+ev.id]++
		l.got[ev.file+"#"+ev.id]++
	}
	return run
}

// complete reports whether every record of key was delivered (in got).
func (l *ledger) complete(key string, got map[string]int) bool {
	for _, id := range l.want[key] {
		if got[key+"#"+id] == 0 {
			return false
		}
	}
	return true
}

// partial lists the keys some but not all of whose records are in got.
func (l *ledger) partial(got map[string]int) []string {
	var out []string
	for key, ids := range l.want {
		n := 0
		for _, id := range ids {
			if got[key+"#"+id] > 0 {
				n++
			}
		}
		if n > 0 && n < len(ids) {
			out = append(out, fmt.Sprintf("%s (%d of %d)", key, n, len(ids)))
		}
	}
	return out
}

// checkExactlyOnce fails unless every expected record was delivered
// exactly once over every run, and nothing else; it returns the number of
// extra deliveries.
func (l *ledger) checkExactlyOnce(t *testing.T) (dups int) {
	t.Helper()
	var missing, extra, dup []string
	known := map[string]bool{}
	for key, ids := range l.want {
		for _, id := range ids {
			known[key+"#"+id] = true
			if l.got[key+"#"+id] == 0 {
				missing = append(missing, key+"#"+id)
			}
		}
	}
	for k, n := range l.got {
		switch {
		case !known[k]:
			extra = append(extra, k)
		case n > 1:
			dup = append(dup, fmt.Sprintf("%s x%d", k, n))
			dups += n - 1
		}
	}
	report(t, "records", "never delivered", missing)
	report(t, "records", "delivered that were never uploaded", extra)
	report(t, "records", "delivered more than once", dup)
	return dups
}

func report(t *testing.T, noun, what string, list []string) {
	t.Helper()
	if len(list) == 0 {
		return
	}
	sort.Strings(list)
	n, more := len(list), ""
	if n > 4 {
		more = fmt.Sprintf(" … (%d more)", n-4)
		list = list[:4]
	}
	msg := fmt.Sprintf("%d %s %s: %s%s", n, noun, what, strings.Join(list, ", "), more)
	t.Error(dirs.ReplaceAllString(msg, "…/"))
}

// dirs is the directory part of the generated keys, left out of failure
// messages to keep them readable.
var dirs = regexp.MustCompile(`(AWSLogs/\d+/[A-Za-z]+/[a-z0-9-]+/|firehose/(waf/)?)\d{4}/\d{2}/\d{2}/(\d{2}/)?`)

// tail is the end of a run's output, for failure messages.
func tail(s string) string {
	if len(s) > 3000 {
		s = "…" + s[len(s)-3000:]
	}
	return s
}

// sameSet fails unless got and want hold the same keys.
func sameSet(t *testing.T, what string, got, want map[string]bool) {
	t.Helper()
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	report(t, what, "missing", missing)
	report(t, what, "unexpected", extra)
}
