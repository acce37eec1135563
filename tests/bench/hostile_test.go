//go:build linux

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// hostileLimit is the peak RSS, in kB, that build/aws-s3 may reach on any
// one object: the bound docs/compatibility.md promises ("Limits").
const hostileLimit = 128 << 10

// binEnv overrides the executable under test (default: build/aws-s3 of
// this tree, which make builds before its tests).
const binEnv = "AWS_S3_BIN"

// hostileCase is one object that used to drive the RSS past the bound.
type hostileCase struct {
	name, typ string
	key       func(t time.Time) string
	head      string
	pattern   string // repeated to size bytes
	size      int64
	tail      string
	events    int    // what the queue must receive
	error     string // in the one error event; "" when none is expected
	sts       bool   // the type asks STS for the account (moto_server)
}

func hostileCases() []hostileCase {
	const acct, region = "111122223333", "us-east-1"
	trail := func(t time.Time) string { return fixture.CloudTrailKey("", acct, region, t, "hostile") }
	firehose := func(t time.Time) string { return fixture.FirehoseKey("", t, "hostile") + ".gz" }
	alb := func(t time.Time) string { return fixture.ALBKey("", acct, region, "web-lb", t, "hostile") }
	return []hostileCase{
		{name: "cloudtrail 4 GiB string", typ: "cloudtrail", key: trail,
			head: `{"Records":[{"eventName":"x","s":"`, pattern: "a", size: 4 << 30, tail: `"}]}`,
			events: 1, error: "(MaxRecordBytes)"},
		{name: "cloudtrail 256 MiB string", typ: "cloudtrail", key: trail,
			head: `{"Records":[{"eventName":"x","s":"`, pattern: "a", size: 256 << 20, tail: `"}]}`,
			events: 1, error: "(MaxRecordBytes)"},
		{name: "cloudtrail 256 MiB of small values", typ: "cloudtrail", key: trail,
			head: `{"Records":[{"a":[`, pattern: "0,", size: 256 << 20, tail: `0]}]}`,
			events: 1, error: "(MaxRecordValues)"},
		{name: "cloudtrail 64 Mi levels of nesting", typ: "cloudtrail", key: trail,
			head: `{"Records":[`, pattern: "[", size: 64 << 20, tail: `]}`,
			events: 1, error: "(MaxDepth)"},
		// Whitespace between events is skipped, not kept: both events pass.
		{name: "firehose 1 GiB of whitespace", typ: "custom", key: firehose,
			head: `{"source":"aws.guardduty","detail":{"a":1}}`, pattern: " \n", size: 1 << 30,
			tail: `{"source":"aws.kms","detail":{"b":2}}`, events: 2, sts: true},
		{name: "waf 256 MiB line", typ: "waf", key: firehose,
			head: `{"httpRequest":{"headers":[]},"s":"`, pattern: "a", size: 256 << 20, tail: `"}` + "\n",
			events: 1, error: "(MaxLineBytes)", sts: true},
		{name: "alb 256 MiB row", typ: "alb", key: alb,
			head: "h2 2024-01-01T00:00:00Z ", pattern: "x ", size: 256 << 20, tail: "\n",
			events: 1, error: "(MaxRecordValues)"},
		// A bomb that was already bounded: a parse error at the first
		// byte, then the rest is read through (as the reference does).
		{name: "gzip bomb 4 GiB of zeros", typ: "cloudtrail", key: trail,
			pattern: "\x00", size: 4 << 30, events: 1, error: "JSONDecodeError"},
	}
}

// TestHostileObjectsMemory runs build/aws-s3 on each hostile object
// (served by versitygw) with skip_on_error and checks its peak RSS, the
// ru_maxrss of the process, against hostileLimit, and that the object
// failed as a content error naming the limit (or, for whitespace, passed).
// It takes about a minute of CPU; -short skips it.
func TestHostileObjectsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: about a minute of CPU")
	}
	bin := hostileBinary(t)
	sts := startSTS(t)
	for i, c := range hostileCases() {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			r := runHostile(t, bin, sts, i, c)
			t.Logf("%s: peak RSS %.1f MB in %.1fs", c.name, float64(r.maxRSS)/1024, r.seconds)
			if r.maxRSS >= hostileLimit {
				t.Errorf("%s: peak RSS %.1f MB, want under %d MB", c.name, float64(r.maxRSS)/1024, hostileLimit>>10)
			}
		})
	}
}

// BenchmarkHostileObjects reports the peak RSS of build/aws-s3 on each
// hostile object (see TestHostileObjectsMemory).
func BenchmarkHostileObjects(b *testing.B) {
	bin := hostileBinary(b)
	sts := startSTS(b)
	for i := 0; i < b.N; i++ {
		for j, c := range hostileCases() {
			r := runHostile(b, bin, sts, j, c)
			verdict := "OK"
			if r.maxRSS >= hostileLimit {
				verdict = "OVER"
			}
			fmt.Printf("hostile: %s: peak RSS %.1f MB in %.1fs (limit %d MB): %s\n",
				c.name, float64(r.maxRSS)/1024, r.seconds, hostileLimit>>10, verdict)
			b.ReportMetric(float64(r.maxRSS)/1024, strings.ReplaceAll(c.name, " ", "_")+"-peakRSS-MB")
		}
	}
}

func hostileBinary(tb testing.TB) string {
	bin := os.Getenv(binEnv)
	if bin == "" {
		bin, _ = filepath.Abs("../../build/aws-s3")
	}
	if _, err := os.Stat(bin); err != nil {
		tb.Skipf("no executable to measure (make exe, or set %s): %v", binEnv, err)
	}
	return bin
}

// startSTS starts moto_server for the types that ask STS for the
// account; "" when it is not installed (those cases then skip).
func startSTS(tb testing.TB) string {
	m, err := fixture.StartMoto()
	if err != nil {
		tb.Logf("no STS for custom and waf: %v", err)
		return ""
	}
	tb.Cleanup(m.Close)
	return m.URL
}

type hostileResult struct {
	maxRSS  int64 // kB
	seconds float64
}

// runHostile uploads c's object (once per test binary) to its own bucket
// and runs bin on it.
func runHostile(tb testing.TB, bin, sts string, i int, c hostileCase) hostileResult {
	tb.Helper()
	if c.sts && sts == "" {
		tb.Skip("needs moto_server for STS")
	}
	when := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Hour)
	ds := shared.data(tb, fmt.Sprintf("hostile-%d", i), func(ctx context.Context, gw *fixture.Gateway, ds *dataset) error {
		body := fixture.GzipRepeat(c.head, c.pattern, c.size, c.tail)
		ds.Objects, ds.Compressed, ds.Uncompressed = 1, int64(len(body)), int64(len(c.head))+c.size+int64(len(c.tail))
		return gw.Put(ctx, ds.Bucket, c.key(when), body)
	})
	home := tb.TempDir()
	// The drop-in asks wazuh-control for the version it records.
	os.MkdirAll(filepath.Join(home, "bin"), 0o755)
	if err := os.WriteFile(filepath.Join(home, "bin", "wazuh-control"), []byte("#!/bin/sh\necho 'WAZUH_VERSION=\"v4.9.0\"'\n"), 0o755); err != nil {
		tb.Fatal(err)
	}
	q := &fixture.Queue{Path: filepath.Join(home, "queue", "sockets", "queue")}
	if err := os.MkdirAll(filepath.Dir(q.Path), 0o750); err != nil {
		tb.Fatal(err)
	}
	if err := q.Bind(); err != nil {
		tb.Fatal(err)
	}
	defer q.Close()
	after := strings.ToUpper(when.Add(-24 * time.Hour).Format("2006-Jan-02"))
	argv := []string{"--wazuh-home", home, "--bucket", ds.Bucket, "--type", c.typ, "--only_logs_after", after,
		"--service_endpoint", shared.gw.URL, "--skip_on_error"}
	var env []string
	if c.sts {
		// The caller identity is asked of the default STS endpoint.
		env = append(env, "AWS_ENDPOINT_URL_STS="+sts)
	}
	start := time.Now()
	code, maxRSS, out := maxRSSOf(tb, bin, argv, env)
	r := hostileResult{maxRSS: maxRSS, seconds: time.Since(start).Seconds()}
	if code != 0 {
		tb.Fatalf("%s: exit %d\n%s", c.name, code, out)
	}
	q.WaitFor(30*time.Second, func(f [][]byte) bool { return len(f) >= c.events })
	// A moment more, to see any event beyond the n expected.
	time.Sleep(50 * time.Millisecond)
	frames := q.Since(0)
	if len(frames) != c.events {
		tb.Fatalf("%s: the queue received %d events, want %d\n%s", c.name, len(frames), c.events, out)
	}
	if c.error != "" {
		last := string(frames[len(frames)-1])
		if !strings.Contains(last, "Failed to") || !strings.Contains(last, c.error) || !strings.Contains(last, c.key(when)) {
			tb.Errorf("%s: error event %.600s\nwant one naming the object and %q", c.name, last, c.error)
		}
	} else {
		for _, f := range frames {
			if bytes.Contains(f, []byte("Failed to")) {
				tb.Errorf("%s: unexpected error event %.600s", c.name, f)
			}
		}
	}
	return r
}

// maxRSSOf runs bin and returns its exit code, its ru_maxrss in kB and
// its output. The process is started by a re-executed copy of this test
// binary: Linux counts into a child's ru_maxrss the memory of the process
// it was vforked from, which here would be this one with its test data;
// the launcher is small, so the figure is bin's own.
func maxRSSOf(tb testing.TB, bin string, argv, env []string) (code int, maxRSS int64, out string) {
	tb.Helper()
	spec, _ := json.Marshal(append([]string{bin}, argv...))
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(append(os.Environ(), env...), launchEnv+"="+string(spec))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		tb.Fatalf("launcher: %v\n%s", err, stderr.String())
	}
	var r launchResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		tb.Fatalf("launcher output %q: %v\n%s", stdout.String(), err, stderr.String())
	}
	return r.Code, r.MaxRSSKB, r.Output
}

// launchEnv holds the JSON argv of the process a re-executed test binary
// must run and measure (see launchMeasured).
const launchEnv = "AWS_S3_BENCH_LAUNCH"

type launchResult struct {
	Code     int    `json:"code"`
	MaxRSSKB int64  `json:"max_rss_kb"`
	Output   string `json:"output"` // stdout and stderr, last 8 kB
}

func init() {
	// Before TestMain: a launcher does nothing else.
	if spec := os.Getenv(launchEnv); spec != "" {
		os.Exit(launchMeasured(spec))
	}
}

// launchMeasured runs the argv in spec, waits for it and prints a launchResult.
func launchMeasured(spec string) int {
	var argv []string
	if err := json.Unmarshal([]byte(spec), &argv); err != nil || len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "launcher: bad argv:", spec)
		return 2
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	var out tailBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	r := launchResult{Code: -1, Output: out.String()}
	if cmd.ProcessState != nil {
		r.Code = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.MaxRSSKB = ru.Maxrss
		}
	} else {
		r.Output += "\nlauncher: " + err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(r)
	return 0
}

// tailBuffer keeps the last 8 kB written to it.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 8<<10 {
		t.b = append(t.b[:0], t.b[len(t.b)-8<<10:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
