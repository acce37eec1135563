//go:build linux

package bench

// BenchmarkReference runs the reference Python wodle and build/aws-s3 one
// after the other on the same bucket and prints how they compare:
//
//	bench A  200 gzip CloudTrail objects x 500 records, versitygw direct
//	bench B  2,000 objects x 10 records, 50 ms added to every S3 request
//
// Both run as executables, installed in a scratch Wazuh home of their own
// with the same argv; events are counted and hashed at the home's queue
// socket, and a round fails unless both delivered every event and the same
// multiset of frames. Our peak RSS is VmHWM polled from /proc (ru_maxrss
// of a child started with vfork carries the parent's peak over exec).
//
// It skips when build/aws-s3, python3 with boto3 or the reference are
// missing. Sizes and rounds come from the environment (see refEnv).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// Environment of BenchmarkReference (make bench sets none; the defaults
// are the benches).
const (
	refWodlesEnv = "AWS_S3_REFERENCE" // the reference's wodles/ directory
	refExeEnv    = "AWS_S3_BIN"       // our executable (default build/aws-s3)
	refRoundsEnv = "AWS_S3_BENCH_ROUNDS"
	refOnlyEnv   = "AWS_S3_BENCH_ONLY" // "A" or "B"
	aObjectsEnv  = "AWS_S3_BENCH_A_OBJECTS"
	aRecordsEnv  = "AWS_S3_BENCH_A_RECORDS"
	bObjectsEnv  = "AWS_S3_BENCH_B_OBJECTS"
	bRecordsEnv  = "AWS_S3_BENCH_B_RECORDS"
	bLatencyEnv  = "AWS_S3_BENCH_B_LATENCY_MS"
	// "1" runs only build/aws-s3 (no ratio), for quick measurements; its
	// output (add --debug through AWS_S3_BENCH_ARGS) is printed.
	oursOnlyEnv = "AWS_S3_BENCH_OURS_ONLY"
	argsEnv     = "AWS_S3_BENCH_ARGS"
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// refBench is one of the two comparisons.
type refBench struct {
	name    string
	objects int
	records int
	latency time.Duration
}

func BenchmarkReference(b *testing.B) {
	root, err := filepath.Abs("../..")
	if err != nil {
		b.Fatal(err)
	}
	ref := os.Getenv(refWodlesEnv)
	if ref == "" {
		ref = filepath.Join(root, "..", "shared", "wazuh", "wodles")
	}
	exe := os.Getenv(refExeEnv)
	if exe == "" {
		exe = filepath.Join(root, "build", "aws-s3")
	}
	py, skip := referenceRunnable(ref, exe)
	if skip != "" {
		fmt.Println("bench: reference skipped:", skip)
		b.Skip(skip)
	}
	gw := shared.gateway(b)
	benches := []refBench{
		{"A", envInt(aObjectsEnv, 200), envInt(aRecordsEnv, 500), 0},
		{"B", envInt(bObjectsEnv, 2000), envInt(bRecordsEnv, 10), time.Duration(envInt(bLatencyEnv, 50)) * time.Millisecond},
	}
	rounds := envInt(refRoundsEnv, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, rb := range benches {
			if only := os.Getenv(refOnlyEnv); only != "" && !strings.EqualFold(only, rb.name) {
				continue
			}
			ds := shared.data(b, fmt.Sprintf("ref-%s-%dx%d", strings.ToLower(rb.name), rb.objects, rb.records), refSeed(rb.objects, rb.records))
			endpoint := gw.URL
			if rb.latency > 0 {
				p, err := startLatencyProxy(gw.URL, rb.latency)
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				endpoint = p.URL
			}
			argv := []string{"--bucket", ds.Bucket, "--type", "cloudtrail", "--only_logs_after", afterFlag, "--service_endpoint", endpoint}
			argv = append(argv, strings.Fields(os.Getenv(argsEnv))...)
			for round := 1; round <= rounds; round++ {
				ours := runImpl(b, gw, ds, argv, exe, nil)
				if os.Getenv(oursOnlyEnv) == "1" {
					fmt.Printf("%sbench %s round %d: ours %.0f events/s (%.2fs, %.2fs CPU, peak RSS %.1f MB); meanwhile versitygw %.2fs CPU, the bench's proxy and queue reader %.2fs\n",
						ours.out, rb.name, round, ours.rate(), ours.wall.Seconds(), ours.cpu.Seconds(), float64(ours.rssKB)/1024, ours.gwCPU, ours.benchCPU)
					continue
				}
				theirs := runImpl(b, gw, ds, argv, py, []string{filepath.Join(ref)})
				same := slices.Equal(ours.digests, theirs.digests)
				fmt.Printf("bench %s round %d: %d objects x %d records%s: reference %.0f events/s (%.1fs, peak RSS %.1f MB), ours %.0f events/s (%.1fs, peak RSS %.1f MB): ratio %.1fx; same events: %s\n",
					rb.name, round, rb.objects, rb.records, latencyNote(rb.latency),
					theirs.rate(), theirs.wall.Seconds(), float64(theirs.rssKB)/1024,
					ours.rate(), ours.wall.Seconds(), float64(ours.rssKB)/1024,
					ours.rate()/theirs.rate(), yesNo(same))
				fmt.Printf("bench %s round %d: CPU seconds (%d CPUs): reference %.2f (versitygw %.2f, proxy and queue reader %.2f), ours %.2f (versitygw %.2f, proxy and queue reader %.2f)\n",
					rb.name, round, runtime.NumCPU(), theirs.cpu.Seconds(), theirs.gwCPU, theirs.benchCPU, ours.cpu.Seconds(), ours.gwCPU, ours.benchCPU)
				if rb.latency == 0 {
					floor := queueRate(b, ours.sizes)
					fmt.Printf("bench %s round %d: the queue alone carries %.0f events/s of these frames here (sendmmsg to a reader that hashes each): a ceiling of %.1fx the reference\n",
						rb.name, round, floor, floor/theirs.rate())
					b.ReportMetric(floor/theirs.rate(), rb.name+"-ceiling")
				}
				b.ReportMetric(ours.rate()/theirs.rate(), rb.name+"-ratio")
				b.ReportMetric(float64(ours.rssKB)/1024, rb.name+"-peakRSS-MB")
				if !same {
					b.Errorf("bench %s: the two implementations sent different events", rb.name)
				}
			}
		}
	}
}

// queueRate measures the transport alone: how many frames of the given
// sizes one AF_UNIX datagram socket delivers per second, from our sink
// (one batch, sent with sendmmsg as the bucket runner sends an object's
// events) to the same recording reader the runs are measured with. No run of ours
// can deliver faster on this machine, whatever it does before the send.
func queueRate(b *testing.B, sizes []int) float64 {
	b.Helper()
	home := b.TempDir()
	q, err := listenRecording(home)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	s := sink.NewSocket(q.Path, nil)
	defer s.Close()
	events := make([][]byte, len(sizes))
	for i, n := range sizes {
		events[i] = bytes.Repeat([]byte{'x'}, max(n-len(sink.Header), 1))
	}
	start := time.Now()
	if _, err := s.SendBatch(context.Background(), events); err != nil {
		b.Fatal(err)
	}
	if err := q.waitFor(int64(len(events)), 30*time.Second); err != nil {
		b.Fatal(err)
	}
	return float64(len(events)) / time.Since(start).Seconds()
}

func latencyNote(d time.Duration) string {
	if d == 0 {
		return ", no added latency"
	}
	return fmt.Sprintf(", %v added to every S3 request", d)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// referenceRunnable returns the python3 to run the reference with, or why
// the comparison cannot run here.
func referenceRunnable(ref, exe string) (string, string) {
	if _, err := os.Stat(filepath.Join(ref, "aws", "aws_s3.py")); err != nil {
		return "", fmt.Sprintf("no reference wodle at %s (set %s to wazuh's wodles/ directory)", ref, refWodlesEnv)
	}
	if _, err := os.Stat(exe); err != nil {
		return "", fmt.Sprintf("%s missing (make exe)", exe)
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		return "", "python3 not found"
	}
	if err := exec.Command(py, "-c", "import boto3").Run(); err != nil {
		return "", "python3 has no boto3"
	}
	return py, ""
}

// refSeed writes n CloudTrail objects of records records each, spread
// over the bench's accounts and regions and five days.
func refSeed(n, records int) func(context.Context, *fixture.Gateway, *dataset) error {
	return func(ctx context.Context, gw *fixture.Gateway, ds *dataset) error {
		units := len(benchAccounts) * len(benchRegions)
		perDay := (n/units + 4) / 5
		if perDay == 0 {
			perDay = 1
		}
		return seedObjects(ctx, gw, ds, n, func(i int) (string, int, func(io.Writer) error) {
			account := benchAccounts[i%len(benchAccounts)]
			region := benchRegions[i/len(benchAccounts)%len(benchRegions)]
			j := i / units
			t := day0.Add(time.Duration(j/perDay)*24*time.Hour + time.Duration(j%perDay)*(24*time.Hour/time.Duration(perDay+1)))
			key := fixture.CloudTrailKey("", account, region, t, fmt.Sprintf("r%06d", i))
			return key, records, func(w io.Writer) error { return fixture.WriteCloudTrail(w, account, region, t, records) }
		})
	}
}

// implRun is how one implementation's run went.
type implRun struct {
	events  int
	digests [][16]byte // of every frame, sorted: the multiset of events
	sizes   []int      // of every frame
	wall    time.Duration
	cpu     time.Duration // user+system
	// CPU seconds the rest of the machine's bench spent meanwhile:
	// versitygw, and this process (the latency proxy, the queue reader).
	gwCPU, benchCPU float64
	rssKB           int64
	out             string
}

func (r implRun) rate() float64 { return float64(r.events) / r.wall.Seconds() }

// runImpl installs one implementation in a fresh home and runs it. With
// wodles set, prog is python3 and the reference is copied from there;
// otherwise prog is our executable.
func runImpl(b *testing.B, gw *fixture.Gateway, ds *dataset, argv []string, prog string, wodles []string) implRun {
	b.Helper()
	home := b.TempDir()
	for _, d := range []string{"bin", "wodles/aws", "etc", "logs"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o750); err != nil {
			b.Fatal(err)
		}
	}
	control := "#!/bin/sh\necho 'WAZUH_VERSION=\"v5.1.0\"'\necho 'WAZUH_REVISION=\"alpha0\"'\necho 'WAZUH_TYPE=\"server\"'\n"
	if err := os.WriteFile(filepath.Join(home, "bin", "wazuh-control"), []byte(control), 0o755); err != nil {
		b.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_ACCESS_KEY_ID=" + gw.Access,
		"AWS_SECRET_ACCESS_KEY=" + gw.Secret,
		"AWS_DEFAULT_REGION=" + fixture.GatewayRegion,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "no-such-file"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "no-such-file"),
		"AWS_EC2_METADATA_DISABLED=true",
		"TZ=UTC",
		"LANG=C.UTF-8",
	}
	// The Go runtime's knobs pass through, to explore their effect.
	for _, k := range []string{"GOGC", "GOMEMLIMIT", "GODEBUG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	var args []string
	if wodles != nil {
		if err := copyTree(wodles[0], filepath.Join(home, "wodles")); err != nil {
			b.Fatal(err)
		}
		stub := filepath.Join(home, "pystub", "pyarrow")
		os.MkdirAll(stub, 0o750)
		os.WriteFile(filepath.Join(stub, "__init__.py"), nil, 0o640)
		os.WriteFile(filepath.Join(stub, "parquet.py"), []byte("def read_table(*a, **k):\n    raise NotImplementedError('pyarrow stub (tests/bench)')\n"), 0o640)
		env = append(env, "PYTHONPATH="+filepath.Dir(stub), "PYTHONDONTWRITEBYTECODE=")
		// Byte-compiled before it is timed, as an installed wodle is.
		exec.Command(prog, "-m", "compileall", "-q", filepath.Join(home, "wodles")).Run()
		args = append([]string{filepath.Join(home, "wodles", "aws", "aws_s3.py")}, argv...)
	} else {
		dst := filepath.Join(home, "wodles", "aws", "aws-s3")
		if err := copyFile(prog, dst, 0o755); err != nil {
			b.Fatal(err)
		}
		prog, args = dst, argv
	}
	q, err := listenRecording(home)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = env
	cmd.Dir = home
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	gw0, self0 := gw.CPUSeconds(), processCPU()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	watch := fixture.WatchRSS(cmd.Process.Pid, 20*time.Millisecond, 0, nil)
	err = cmd.Wait()
	rssKB := watch.Stop()
	if err != nil {
		b.Fatalf("bench: %s: %v\n%s", filepath.Base(prog), err, tail(out.String(), 2000))
	}
	if err := q.waitFor(ds.Events, 30*time.Second); err != nil {
		b.Fatalf("bench: %s: %v\n%s", filepath.Base(prog), err, tail(out.String(), 2000))
	}
	wall := time.Since(start)
	q.mu.Lock()
	sizes := slices.Clone(q.sizes)
	q.mu.Unlock()
	return implRun{events: int(q.events.Load()), digests: q.sorted(), sizes: sizes, wall: wall, rssKB: rssKB,
		gwCPU: gw.CPUSeconds() - gw0, benchCPU: processCPU() - self0,
		cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), out: out.String()}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// recording is a queue that also keeps a hash of every frame.
type recording struct {
	*queue
	mu      sync.Mutex
	digests [][16]byte
	sizes   []int // of every frame, in arrival order
}

func listenRecording(home string) (*recording, error) {
	r := &recording{}
	q, err := listen(home, &queue{foreign: true, frame: r.add})
	r.queue = q
	return r, err
}

func (r *recording) add(frame []byte) {
	sum := sha256.Sum256(frame)
	r.mu.Lock()
	r.digests = append(r.digests, [16]byte(sum[:16]))
	r.sizes = append(r.sizes, len(frame))
	r.mu.Unlock()
}

func (r *recording) sorted() [][16]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := slices.Clone(r.digests)
	slices.SortFunc(d, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
	return d
}

func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}

// copyTree copies the reference's wodles/ directory (no tests, no caches).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == "tests" || d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o750)
		}
		return copyFile(p, filepath.Join(dst, rel), 0o750)
	})
}

// latencyProxy forwards every request to the gateway after a delay, as a
// stand-in for the round trip to a real S3 region. The Host header is
// kept, so signatures made for the proxy's address verify at the gateway.
type latencyProxy struct {
	URL string
	srv *http.Server
}

func startLatencyProxy(target string, delay time.Duration) (*latencyProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	// Enough idle connections for any concurrency the clients reach, so
	// the proxy does not open a connection per request.
	rp.Transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}
	rp.ErrorLog = nil
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
		rp.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: latency proxy listen on 127.0.0.1: %w", err)
	}
	p := &latencyProxy{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go p.srv.Serve(ln)
	return p, nil
}

// Close stops the proxy.
func (p *latencyProxy) Close() error { return p.srv.Close() }
