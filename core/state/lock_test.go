package state

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/logging"
)

const lockVersion = "4.14.0"

func TestLockSecondOpenWaits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	d1, err := Open(path, lockVersion, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs, log := newLog()
	type result struct {
		d   *DB
		err error
		at  time.Time
	}
	got := make(chan result, 1)
	go func() {
		d, err := Open(path, lockVersion, log)
		got <- result{d, err, time.Now()}
	}()
	select {
	case r := <-got:
		t.Fatalf("second Open returned (%v) while the first held the database", r.err)
	case <-time.After(500 * time.Millisecond):
	}
	closed := time.Now()
	if err := d1.Close(); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.d.Close()
	if d := r.at.Sub(closed); d > time.Second {
		t.Errorf("second Open returned %v after the first closed", d)
	}
	if !strings.Contains(logs.String(), "Another aws-s3 run is using the "+path+" database; waiting up to 30s") {
		t.Errorf("no waiting message:\n%s", logs)
	}
}

func TestLockGivesUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	d1, err := Open(path, lockVersion, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	start := time.Now()
	l, err := lockDB(context.Background(), path, "", 300*time.Millisecond, logging.Discard{})
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("gave up after %v, want 300ms", d)
	}
	var se *Error
	if l != nil || !errors.As(err, &se) || se.Kind != Locked || !errors.Is(err, ErrLocked) {
		t.Fatalf("lockDB = %v, %#v; want an *Error of Kind Locked", l, err)
	}
	want := "Another aws-s3 run is using the " + path + " database: its lock " + path + ".lock was still held after 300ms."
	if se.Msg != want {
		t.Errorf("message %q, want %q", se.Msg, want)
	}
}

func TestLockWaitCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	d1, err := Open(path, lockVersion, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err = OpenContext(ctx, path, lockVersion, nil)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
		t.Errorf("OpenContext = %v after %v, want context.Canceled at once", err, time.Since(start))
	}
}

// TestLockHolder is not a test: it is the process the next test kills.
func TestLockHolder(t *testing.T) {
	path := os.Getenv("STATE_LOCK_HOLDER")
	if path == "" {
		t.Skip("helper process only")
	}
	d, err := Open(path, lockVersion, nil)
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("held\n")
	time.Sleep(time.Minute)
	d.Close()
}

func TestLockAcrossProcessesAndKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolder$", "-test.count=1")
	cmd.Env = append(os.Environ(), "STATE_LOCK_HOLDER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "held\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q, %v", line, err)
	}
	if _, err := lockDB(context.Background(), path, "", 200*time.Millisecond, logging.Discard{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("lock taken while another process holds it: %v", err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	d, err := Open(path, lockVersion, nil)
	if err != nil {
		t.Fatalf("lock not released by the kernel after kill -9: %v", err)
	}
	d.Close()
}

// Scopes: the runs of one bucket exclude each other, two buckets sharing
// the database do not, and an open without a scope excludes every scope.
func TestLockScopes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	lock := func(scope string) (*Lock, error) {
		return lockDB(context.Background(), path, scope, 0, logging.Discard{})
	}
	a, err := lock("bucket a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := lock("bucket b")
	if err != nil {
		t.Fatalf("bucket b waited for bucket a: %v", err)
	}
	if l, err := lock("bucket a"); !errors.Is(err, ErrLocked) {
		l.Release()
		t.Fatalf("a second run of bucket a got its lock (%v)", err)
	} else if want := "Another aws-s3 run is using bucket a in the " + path + " database"; !strings.HasPrefix(err.(*Error).Msg, want) {
		t.Errorf("message %q, want it to start with %q", err.(*Error).Msg, want)
	}
	if l, err := lock(""); !errors.Is(err, ErrLocked) {
		l.Release()
		t.Fatalf("a whole-database open got its lock while buckets ran (%v)", err)
	}
	a.Release()
	b.Release()
	all, err := lock("")
	if err != nil {
		t.Fatal(err)
	}
	if l, err := lock("bucket c"); !errors.Is(err, ErrLocked) {
		l.Release()
		t.Fatalf("bucket c got its lock during a whole-database open (%v)", err)
	}
	all.Release()
	if c, err := lock("bucket c"); err != nil {
		t.Fatal(err)
	} else {
		c.Release()
	}
}
