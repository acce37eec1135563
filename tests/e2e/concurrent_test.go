package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/exit"
	"github.com/wazuh/aws-s3-go/core/state"
)

// TestConcurrentProcesses runs the same target in a child process and, once
// the child is delivering, in this one: the second run waits for the
// first's lock on the database, and every record reaches the queue once.
func TestConcurrentProcesses(t *testing.T) {
	t.Parallel()
	const bucket = "twice-trail"
	e := newEnv(t, true, bucket)
	l := newLedger(cloudtrail)
	const objects, records = 120, 20
	bigTrail(e, l, bucket, objects, records)
	argv := e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-20", "--debug", "1")
	now := day(21, 12, 0)
	cmd, out, exited := e.startChild(argv, now)
	if !e.q.WaitFor(60*time.Second, func(f [][]byte) bool { return len(f) > 0 }) {
		cmd.Process.Kill()
		t.Fatalf("child delivered nothing: %v\n%s", <-exited, out.String())
	}
	r := e.run(context.Background(), argv, now)
	if err := <-exited; err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	if err := e.q.Sync(); err != nil {
		t.Fatal(err)
	}
	if r.code != 0 {
		t.Fatalf("second run exit code %d:\n%s", r.code, r.log)
	}
	if !strings.Contains(r.log, "Another aws-s3 run is using bucket "+bucket+" in the "+e.dbPath()+" database; waiting up to 30s") {
		t.Errorf("the second run did not wait for the first:\n%s", r.log)
	}
	l.add(t, e.q.Since(0))
	l.checkExactlyOnce(t)
	if got := len(rows(t, e.dbPath(), "cloudtrail", true)); got != objects {
		t.Errorf("%d rows, want %d", got, objects)
	}
}

// TestConcurrentInProcess starts two runs of one target in one process
// (two wodle blocks of wazuh-modulesd naming the same bucket): the lock
// belongs to each open, so they exclude each other too.
func TestConcurrentInProcess(t *testing.T) {
	t.Parallel()
	const bucket = "twice-inproc"
	e := newEnv(t, true, bucket)
	l := newLedger(cloudtrail)
	const objects, records = 80, 20
	bigTrail(e, l, bucket, objects, records)
	argv := e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-20", "--debug", "1")
	now := day(21, 12, 0)
	wait1 := e.start(context.Background(), argv, now)
	wait2 := e.start(context.Background(), argv, now)
	r1, r2 := wait1(), wait2()
	if r1.code != 0 || r2.code != 0 {
		t.Fatalf("exit codes %d and %d:\n%s\n---\n%s", r1.code, r2.code, r1.log, r2.log)
	}
	if err := e.q.Sync(); err != nil {
		t.Fatal(err)
	}
	l.add(t, e.q.Since(0))
	l.checkExactlyOnce(t)
}

// TestConcurrentBuckets runs two buckets sharing s3_cloudtrail.db at once
// in one process (two wodle blocks of wazuh-modulesd): each locks only its
// bucket, so neither waits for the other, and each delivers once.
func TestConcurrentBuckets(t *testing.T) {
	t.Parallel()
	buckets := []string{"side-a", "side-b"}
	e := newEnv(t, true, buckets...)
	const objects, records = 60, 20
	now := day(21, 12, 0)
	ledgers := make([]*ledger, len(buckets))
	waits := make([]func() runResult, len(buckets))
	for i, b := range buckets {
		ledgers[i] = newLedger(cloudtrail)
		bigTrail(e, ledgers[i], b, objects, records)
	}
	for i, b := range buckets {
		waits[i] = e.start(context.Background(), e.argv(b, "cloudtrail", "--only_logs_after", "2024-NOV-20", "--debug", "1"), now)
	}
	for _, wait := range waits {
		r := wait()
		if r.code != 0 {
			t.Fatalf("exit code %d:\n%s", r.code, r.log)
		}
		if strings.Contains(r.log, "Another aws-s3 run") {
			t.Errorf("a run waited for the other bucket's:\n%s", r.log)
		}
	}
	if err := e.q.Sync(); err != nil {
		t.Fatal(err)
	}
	frames := e.q.Since(0)
	// Both buckets hold the same keys: tell their events apart by bucket.
	for i, b := range buckets {
		var mine [][]byte
		for _, f := range frames {
			if bytes.Contains(f, []byte(`"s3bucket": "`+b+`"`)) {
				mine = append(mine, f)
			}
		}
		ledgers[i].add(t, mine)
		ledgers[i].checkExactlyOnce(t)
	}
	if got := len(rows(t, e.dbPath(), "cloudtrail", true)); got != 2*objects {
		t.Errorf("%d rows, want %d", got, 2*objects)
	}
}

// TestLockedDatabaseGivesUp holds the database's lock for longer than a
// run waits: the run ends with exit.Locked and a message naming the file,
// having sent nothing.
func TestLockedDatabaseGivesUp(t *testing.T) {
	if testing.Short() {
		t.Skip("waits state.LockWait")
	}
	t.Parallel()
	const bucket = "locked-trail"
	e := newEnv(t, true, bucket)
	l := newLedger(cloudtrail)
	l.upload(e, bucket, "111111111111", "us-east-1", day(20, 1, 0), "a", 2)
	held, err := state.Open(e.dbPath(), version, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	start := time.Now()
	r := e.run(context.Background(), e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-20"), day(21, 12, 0))
	if d := time.Since(start); d < state.LockWait {
		t.Errorf("gave up after %v, want %v", d, state.LockWait)
	}
	if r.code != exit.Locked || len(r.frames) != 0 {
		t.Errorf("exit code %d with %d events, want %d and none:\n%s", r.code, len(r.frames), exit.Locked, r.log)
	}
	if want := "Another aws-s3 run is using bucket " + bucket + " in the " + e.dbPath() + " database: its lock " + e.dbPath() + ".lock was still held after 30s."; !strings.Contains(r.log, want) {
		t.Errorf("log lacks %q:\n%s", want, r.log)
	}
}
