//go:build linux

package bench

// The benchmarks share one versitygw (started on first use, stopped by
// TestMain) and upload each data set once per process; only the engine
// run is timed. Each run starts from an empty state database, so every
// object is read again.
//
//	BenchmarkCloudTrail   1,000 gzip CloudTrail objects, ~110,000 events
//	BenchmarkMixed        VPC flow logs and ALB access logs, per type
//	BenchmarkLargeObject  one ~500 MB CloudTrail object in a child process
//
// Each prints one summary line per run besides the metrics it reports.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// Knobs for exploring (make bench sets none): the engine's worker count,
// and "discard" to drop events instead of sending them to the socket.
const (
	workersEnv = "AWS_S3_BENCH_WORKERS"
	sinkEnv    = "AWS_S3_BENCH_SINK"
)

func discardEvents() bool { return os.Getenv(sinkEnv) == "discard" }

// childEnv marks a re-executed test binary that only runs the engine
// (see runChild).
const childEnv = "AWS_S3_BENCH_CHILD"

// day0 is the first day of every data set; runs pin "today" after it.
var (
	day0     = time.Date(2024, 11, 19, 0, 0, 0, 0, time.UTC)
	benchNow = time.Date(2024, 11, 30, 12, 0, 0, 0, time.UTC)
)

// afterFlag is day0 as the script's --only_logs_after.
const afterFlag = "2024-NOV-19"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChild())
	}
	code := m.Run()
	shared.close()
	os.Exit(code)
}

// env is the gateway and the data sets uploaded to it.
type env struct {
	once sync.Once
	gw   *fixture.Gateway
	err  error

	mu   sync.Mutex
	sets map[string]*dataset
}

var shared = &env{sets: map[string]*dataset{}}

// gateway starts versitygw once and points the SDK's default credential
// chain (which the engine uses) at its keys. The benchmark is skipped when
// versitygw is not installed.
func (e *env) gateway(tb testing.TB) *fixture.Gateway {
	e.once.Do(func() {
		e.gw, e.err = fixture.StartGateway()
		if errors.Is(e.err, fixture.ErrNoGateway) {
			// go test prints skip reasons only with -v.
			fmt.Println("bench: skipped:", e.err)
		}
		if e.err != nil {
			return
		}
		cfg := os.TempDir() + "/aws-s3-bench-no-such-file"
		for k, v := range map[string]string{
			"AWS_ACCESS_KEY_ID":           e.gw.Access,
			"AWS_SECRET_ACCESS_KEY":       e.gw.Secret,
			"AWS_REGION":                  fixture.GatewayRegion,
			"AWS_CONFIG_FILE":             cfg,
			"AWS_SHARED_CREDENTIALS_FILE": cfg,
			"AWS_EC2_METADATA_DISABLED":   "true",
		} {
			os.Setenv(k, v)
		}
	})
	if errors.Is(e.err, fixture.ErrNoGateway) {
		tb.Skip(e.err.Error())
	}
	if e.err != nil {
		tb.Fatal(e.err)
	}
	return e.gw
}

func (e *env) close() {
	if e.gw != nil {
		e.gw.Close()
	}
}

// dataset is what was uploaded to one bucket.
type dataset struct {
	Bucket       string
	Objects      int
	Events       int64 // records written
	Compressed   int64
	Uncompressed int64
}

// data returns the bucket's data set, uploading it with seed on first use.
func (e *env) data(tb testing.TB, bucket string, seed func(context.Context, *fixture.Gateway, *dataset) error) *dataset {
	gw := e.gateway(tb)
	e.mu.Lock()
	defer e.mu.Unlock()
	if ds, ok := e.sets[bucket]; ok {
		return ds
	}
	ctx := context.Background()
	ds := &dataset{Bucket: bucket}
	if err := gw.CreateBucket(ctx, bucket); err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	if err := seed(ctx, gw, ds); err != nil {
		tb.Fatal(err)
	}
	fmt.Printf("setup %s: uploaded %d objects (%d records, %.1f MB gzip, %.1f MB raw) in %.1fs\n",
		bucket, ds.Objects, ds.Events, mb(ds.Compressed), mb(ds.Uncompressed), time.Since(start).Seconds())
	e.sets[bucket] = ds
	return ds
}

// countingWriter counts what passes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// gzipped runs gen into a gzip stream and returns the compressed bytes
// and the uncompressed size.
func gzipped(gen func(io.Writer) error) ([]byte, int64, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	cw := &countingWriter{w: zw}
	if err := gen(cw); err != nil {
		return nil, 0, err
	}
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), cw.n, nil
}

// seedObjects generates and uploads objects concurrently with their
// generation. gen is called once per object index and returns its key and
// body generator and how many records it writes.
func seedObjects(ctx context.Context, gw *fixture.Gateway, ds *dataset, n int, gen func(i int) (string, int, func(io.Writer) error)) error {
	ch := make(chan fixture.Upload, 16)
	var genErr error
	go func() {
		defer close(ch)
		for i := 0; i < n; i++ {
			key, records, write := gen(i)
			body, raw, err := gzipped(write)
			if err != nil {
				genErr = err
				return
			}
			ds.Objects++
			ds.Events += int64(records)
			ds.Compressed += int64(len(body))
			ds.Uncompressed += raw
			ch <- fixture.Upload{Key: key, Body: body}
		}
	}()
	err := gw.PutAll(ctx, ds.Bucket, ch)
	if genErr != nil {
		return genErr
	}
	return err
}

var (
	benchAccounts = []string{"111122223333", "444455556666"}
	benchRegions  = []string{"eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2"}
)

// seedCloudTrail: 2 accounts x 4 regions x 5 days x 25 objects = 1,000
// objects of 90 to 130 records (~110,000 events, ~1 KB each).
func seedCloudTrail(ctx context.Context, gw *fixture.Gateway, ds *dataset) error {
	const days, perDay = 5, 25
	units := len(benchAccounts) * len(benchRegions)
	return seedObjects(ctx, gw, ds, units*days*perDay, func(i int) (string, int, func(io.Writer) error) {
		account := benchAccounts[i%len(benchAccounts)]
		region := benchRegions[i/len(benchAccounts)%len(benchRegions)]
		j := i / units
		t := day0.Add(time.Duration(j/perDay)*24*time.Hour + time.Duration(j%perDay)*57*time.Minute)
		records := 90 + i%41
		key := fixture.CloudTrailKey("", account, region, t, fmt.Sprintf("b%05d", i))
		return key, records, func(w io.Writer) error { return fixture.WriteCloudTrail(w, account, region, t, records) }
	})
}

// flowLogID is the one flow log of the VPC data set.
const flowLogID = "fl-0123456789abcdef0"

// seedVPC: 2 accounts x 2 regions x 2 days x 25 objects of 1,000 records.
func seedVPC(ctx context.Context, gw *fixture.Gateway, ds *dataset) error {
	const days, perDay, records = 2, 25, 1000
	regions := benchRegions[:2]
	units := len(benchAccounts) * len(regions)
	err := seedObjects(ctx, gw, ds, units*days*perDay, func(i int) (string, int, func(io.Writer) error) {
		account := benchAccounts[i%len(benchAccounts)]
		region := regions[i/len(benchAccounts)%len(regions)]
		j := i / units
		t := day0.Add(time.Duration(j/perDay)*24*time.Hour + time.Duration(j%perDay)*57*time.Minute)
		key := fixture.VPCFlowKey("", account, region, flowLogID, t, fmt.Sprintf("%08x", i))
		return key, records, func(w io.Writer) error { return fixture.WriteVPCFlow(w, account, t, records) }
	})
	// The header line of each file is parsed as a record too, as the
	// reference's csv.DictReader does.
	ds.Events += int64(ds.Objects)
	return err
}

// seedALB: 2 accounts x 2 regions x 2 days x 25 objects of 500 entries.
func seedALB(ctx context.Context, gw *fixture.Gateway, ds *dataset) error {
	const days, perDay, records = 2, 25, 500
	regions := benchRegions[:2]
	units := len(benchAccounts) * len(regions)
	return seedObjects(ctx, gw, ds, units*days*perDay, func(i int) (string, int, func(io.Writer) error) {
		account := benchAccounts[i%len(benchAccounts)]
		region := regions[i/len(benchAccounts)%len(regions)]
		j := i / units
		t := day0.Add(time.Duration(j/perDay)*24*time.Hour + time.Duration(j%perDay)*57*time.Minute)
		key := fixture.ALBKey("", account, region, "web-lb", t, fmt.Sprintf("%08x", i))
		return key, records, func(w io.Writer) error { return fixture.WriteALB(w, account, region, t, records) }
	})
}

// result is what one engine run measured.
type result struct {
	Code       int     `json:"code"`
	Events     int64   `json:"events"`  // accepted by the sink
	Objects    int64   `json:"objects"` // recorded as processed
	Compressed int64   `json:"compressed"`
	Seconds    float64 `json:"seconds"`
	PeakRSSKB  int64   `json:"peak_rss_kb"` // VmHWM of the process that ran the engine
	CPU        float64 `json:"cpu"`         // CPU seconds of that process during the run
	Allocs     uint64  `json:"allocs"`      // heap allocations during the run
	AllocBytes uint64  `json:"alloc_bytes"` // bytes allocated during the run
	GatewayCPU float64 `json:"-"`           // CPU seconds versitygw used meanwhile
	Log        string  `json:"log"`         // warnings and errors
}

// runEngine runs the engine once on the script's argv, delivering to the
// queue socket at queuePath, with a fresh state database under home.
func runEngine(ctx context.Context, argv []string, home, queuePath string) (result, error) {
	t, err := config.ParseArgv("aws-s3", argv)
	if err != nil {
		return result{}, fmt.Errorf("bench: argv %q: %w", argv, err)
	}
	log := &logLines{}
	var s sink.Sink = sink.NewSocket(queuePath, log)
	if discardEvents() {
		s = discardSink{}
	}
	defer s.Close()
	var opts engine.Options
	opts.Workers, _ = strconv.Atoi(os.Getenv(workersEnv))
	var stats engine.Stats
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	code := engine.Run(ctx, t, engine.Host{Home: home, Version: "bench", Log: log, Sink: s, Options: opts, Now: func() time.Time { return benchNow }, Stats: &stats})
	r := result{
		Code:       code,
		Events:     stats.Events.Load(),
		Objects:    stats.Objects.Load(),
		Compressed: stats.Bytes.Load(),
		Seconds:    time.Since(start).Seconds(),
		Log:        log.String(),
	}
	runtime.ReadMemStats(&ms1)
	r.Allocs, r.AllocBytes = ms1.Mallocs-ms0.Mallocs, ms1.TotalAlloc-ms0.TotalAlloc
	if code != 0 {
		return r, fmt.Errorf("bench: engine exit code %d:\n%s", code, r.Log)
	}
	return r, nil
}

// measure runs the engine in this process against ds and checks that
// every object and event arrived at the socket.
func measure(tb testing.TB, ds *dataset, argv []string) result {
	home := tb.TempDir()
	q, err := listenQueue(home)
	if err != nil {
		tb.Fatal(err)
	}
	defer q.Close()
	resetPeakRSS()
	cpu0, gw0 := processCPU(), shared.gw.CPUSeconds()
	start := time.Now()
	r, err := runEngine(context.Background(), argv, home, q.Path)
	if err != nil {
		tb.Fatal(err)
	}
	if !discardEvents() {
		if err := q.waitFor(r.Events, 30*time.Second); err != nil {
			tb.Fatal(err)
		}
	}
	r.Seconds = time.Since(start).Seconds()
	r.PeakRSSKB = peakRSSKB()
	r.CPU, r.GatewayCPU = processCPU()-cpu0, shared.gw.CPUSeconds()-gw0
	if !discardEvents() {
		check(tb, ds, r, q.events.Load())
	}
	return r
}

func check(tb testing.TB, ds *dataset, r result, received int64) {
	tb.Helper()
	if r.Objects != int64(ds.Objects) || r.Events != ds.Events || received != ds.Events {
		tb.Fatalf("bench: %s: processed %d of %d objects, sent %d and the queue received %d of %d events\n%s",
			ds.Bucket, r.Objects, ds.Objects, r.Events, received, ds.Events, r.Log)
	}
}

// report prints the run's summary line and reports its metrics. Rates are
// per wall-clock second of the engine run; on a shared machine the rate
// per CPU second of the engine's process (events/cpu-s) moves less.
func report(b *testing.B, name string, ds *dataset, r result, prefix string) {
	evs := float64(r.Events) / r.Seconds
	perCPU := float64(r.Events) / r.CPU
	fmt.Printf("%s: %d objects, %d events in %.2fs: %.0f events/s, %.1f MB/s compressed, %.1f MB/s uncompressed, %.0f objects/s, peak RSS %.1f MB; engine CPU %.2fs (%.0f events/cpu-s, %.0f allocs and %.1f kB per event), versitygw CPU %.2fs\n",
		name, r.Objects, r.Events, r.Seconds, evs, mb(r.Compressed)/r.Seconds, mb(ds.Uncompressed)/r.Seconds,
		float64(r.Objects)/r.Seconds, float64(r.PeakRSSKB)/1024, r.CPU, perCPU,
		float64(r.Allocs)/float64(r.Events), float64(r.AllocBytes)/1024/float64(r.Events), r.GatewayCPU)
	b.ReportMetric(evs, prefix+"events/s")
	b.ReportMetric(perCPU, prefix+"events/cpu-s")
	b.ReportMetric(mb(r.Compressed)/r.Seconds, prefix+"gzMB/s")
	b.ReportMetric(mb(ds.Uncompressed)/r.Seconds, prefix+"rawMB/s")
	b.ReportMetric(float64(r.Objects)/r.Seconds, prefix+"objects/s")
	b.ReportMetric(float64(r.PeakRSSKB)/1024, prefix+"peakRSS-MB")
}

// BenchmarkCloudTrail: 1,000 CloudTrail objects (~110,000 events) in one
// run, to a real queue socket.
func BenchmarkCloudTrail(b *testing.B) {
	ds := shared.data(b, "bench-cloudtrail", seedCloudTrail)
	argv := []string{"--bucket", ds.Bucket, "--type", "cloudtrail", "--only_logs_after", afterFlag, "--service_endpoint", shared.gw.URL}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := measure(b, ds, argv)
		report(b, "cloudtrail", ds, r, "")
	}
}

// BenchmarkMixed: VPC flow logs and ALB access logs, many small events
// per object; one run per type. The vpcflow target goes through ec2Proxy
// (the engine asks EC2 for the flow log ids at service_endpoint).
func BenchmarkMixed(b *testing.B) {
	vpc := shared.data(b, "bench-vpcflow", seedVPC)
	alb := shared.data(b, "bench-alb", seedALB)
	proxy, err := startEC2Proxy(shared.gw.URL, []string{flowLogID})
	if err != nil {
		b.Fatal(err)
	}
	defer proxy.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rv := measure(b, vpc, []string{"--bucket", vpc.Bucket, "--type", "vpcflow", "--only_logs_after", afterFlag, "--service_endpoint", proxy.URL})
		report(b, "mixed/vpcflow", vpc, rv, "vpcflow-")
		ra := measure(b, alb, []string{"--bucket", alb.Bucket, "--type", "alb", "--only_logs_after", afterFlag, "--service_endpoint", shared.gw.URL})
		report(b, "mixed/alb", alb, ra, "alb-")
		total := float64(rv.Events+ra.Events) / (rv.Seconds + ra.Seconds)
		fmt.Printf("mixed: %.0f events/s over both types\n", total)
		b.ReportMetric(total, "events/s")
	}
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

// resetPeakRSS resets this process's VmHWM to its current RSS (Linux
// 4.0+), after returning the setup's garbage to the OS, so that the peak
// read after a run is the run's own.
func resetPeakRSS() {
	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// processCPU is this process's CPU time (user+system) in seconds.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// peakRSSKB reads VmHWM from /proc/self/status.
func peakRSSKB() int64 { return statusKB("VmHWM:") }

// statusKB reads a kB field of /proc/self/status.
func statusKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return -1
}

// logLines keeps the warnings and errors of a run for failure messages.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) < 50 {
		l.lines = append(l.lines, s)
	}
}

func (l *logLines) Debug(int, string)    {}
func (l *logLines) Info(string)          {}
func (l *logLines) Warning(msg string)   { l.add("WARNING: " + msg) }
func (l *logLines) Error(msg string)     { l.add("ERROR: " + msg) }
func (l *logLines) Print(msg string)     { l.add(msg) }
func (l *logLines) Enabled(lvl int) bool { return false }

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// runChild is the re-executed binary's whole job: run the engine with the
// argv, home and queue path from the environment and print the result as
// JSON on stdout.
func runChild() int {
	var argv []string
	if err := json.Unmarshal([]byte(os.Getenv(childEnv+"_ARGV")), &argv); err != nil {
		fmt.Fprintln(os.Stderr, "bench child: argv:", err)
		return 1
	}
	r, err := runEngine(context.Background(), argv, os.Getenv(childEnv+"_HOME"), os.Getenv(childEnv+"_QUEUE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	r.PeakRSSKB = peakRSSKB()
	json.NewEncoder(os.Stdout).Encode(r)
	return 0
}

// discardSink accepts every event; AWS_S3_BENCH_SINK=discard uses it to
// tell the queue socket's cost from the engine's.
type discardSink struct{}

func (discardSink) Send(context.Context, []byte) error { return nil }
func (discardSink) Close() error                       { return nil }
