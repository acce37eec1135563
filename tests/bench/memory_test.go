//go:build linux

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/wazuh/aws-s3-go/tests/fixture"
)

const (
	largeRaw   = 500 << 20 // uncompressed size of the large object
	largeLimit = 100 << 10 // peak RSS allowed for it, in kB
	largeEnv   = "AWS_S3_BENCH_LARGE"
)

// TestLargeObjectMemory checks that one ~500 MB CloudTrail object goes
// through the engine with a peak RSS under 100 MB. It takes a while and
// needs versitygw, so it runs only with AWS_S3_BENCH_LARGE=1 (and not
// with -short); BenchmarkLargeObject runs the same measurement.
func TestLargeObjectMemory(t *testing.T) {
	if testing.Short() || os.Getenv(largeEnv) != "1" {
		t.Skip("set " + largeEnv + "=1 to run (about a minute, needs versitygw)")
	}
	ds, r := largeObject(t)
	if r.PeakRSSKB >= largeLimit {
		t.Errorf("peak RSS %.1f MB for a %.0f MB object, want under %d MB", float64(r.PeakRSSKB)/1024, mb(ds.Uncompressed), largeLimit>>10)
	}
	t.Logf("%d events in %.1fs, peak RSS %.1f MB", r.Events, r.Seconds, float64(r.PeakRSSKB)/1024)
}

// BenchmarkLargeObject reports the peak RSS of the engine on one ~500 MB
// CloudTrail object (see TestLargeObjectMemory).
func BenchmarkLargeObject(b *testing.B) {
	for i := 0; i < b.N; i++ {
		ds, r := largeObject(b)
		report(b, "large", ds, r, "")
		verdict := "OK"
		if r.PeakRSSKB >= largeLimit {
			verdict = "OVER"
		}
		fmt.Printf("large: peak RSS %.1f MB for one %.0f MB object (limit %d MB): %s\n",
			float64(r.PeakRSSKB)/1024, mb(ds.Uncompressed), largeLimit>>10, verdict)
	}
}

// largeObject uploads the large object once, then runs the engine on it
// in a child process (this test binary re-executed, see runChild), so
// that the peak RSS is the engine's alone and not the generator's.
func largeObject(tb testing.TB) (*dataset, result) {
	ds := shared.data(tb, "bench-large", seedLarge)
	argv := []string{"--bucket", ds.Bucket, "--type", "cloudtrail", "--only_logs_after", afterFlag, "--service_endpoint", shared.gw.URL}
	home := tb.TempDir()
	q, err := listenQueue(home)
	if err != nil {
		tb.Fatal(err)
	}
	defer q.Close()
	argvJSON, _ := json.Marshal(argv)
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", childEnv+"_ARGV="+string(argvJSON),
		childEnv+"_HOME="+home, childEnv+"_QUEUE="+q.Path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	gw0 := shared.gw.CPUSeconds()
	start := time.Now()
	if err := cmd.Run(); err != nil {
		tb.Fatalf("bench: engine child: %v\n%s", err, stderr.String())
	}
	var r result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		tb.Fatalf("bench: engine child output %q: %v\n%s", stdout.String(), err, stderr.String())
	}
	if r.Code != 0 {
		tb.Fatalf("bench: engine exit code %d:\n%s%s", r.Code, r.Log, stderr.String())
	}
	if !discardEvents() {
		if err := q.waitFor(r.Events, 30*time.Second); err != nil {
			tb.Fatal(err)
		}
	}
	r.Seconds = time.Since(start).Seconds()
	r.CPU = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	r.GatewayCPU = shared.gw.CPUSeconds() - gw0
	// r.PeakRSSKB is the child's own VmHWM. Not ru_maxrss from wait4:
	// Linux counts the memory the child had before exec (this
	// process's, shared through vfork) into it.
	if !discardEvents() {
		check(tb, ds, r, q.events.Load())
	}
	return ds, r
}

// seedLarge streams one CloudTrail object of about largeRaw bytes
// through gzip into a temporary file, then uploads the file.
func seedLarge(ctx context.Context, gw *fixture.Gateway, ds *dataset) error {
	probe := &countingWriter{w: io.Discard}
	const sample = 4000
	if err := fixture.WriteCloudTrail(probe, benchAccounts[0], benchRegions[0], day0, sample); err != nil {
		return err
	}
	records := int(largeRaw / (probe.n / sample))
	dir, err := os.MkdirTemp("", "aws-s3-bench-large-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "large.json.gz")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	cw := &countingWriter{w: zw}
	t := day0.Add(8 * time.Hour)
	if err := fixture.WriteCloudTrail(cw, benchAccounts[0], benchRegions[0], t, records); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	key := fixture.CloudTrailKey("", benchAccounts[0], benchRegions[0], t, "large")
	if err := gw.PutFile(ctx, ds.Bucket, key, path); err != nil {
		return err
	}
	ds.Objects, ds.Events, ds.Compressed, ds.Uncompressed = 1, int64(records), fi.Size(), cw.n
	return nil
}
