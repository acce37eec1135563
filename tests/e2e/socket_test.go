package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// smallTrail uploads objects of records CloudTrail records each.
func smallTrail(e *env, l *ledger, bucket string, objects, records int) {
	for i := 0; i < objects; i++ {
		at := day(20, 0, 0).Add(time.Duration(i) * 5 * time.Minute)
		l.upload(e, bucket, "111111111111", "us-east-1", at, fmt.Sprintf("k%04d", i), records)
	}
}

// TestSocketNotYetBound starts a run while agentd's socket does not exist:
// the run waits for it instead of failing or dropping events.
func TestSocketNotYetBound(t *testing.T) {
	t.Parallel()
	const bucket = "late-socket"
	e := newEnv(t, false, bucket)
	l := newLedger(cloudtrail)
	smallTrail(e, l, bucket, 10, 5)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wait := e.start(ctx, e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-20"), day(21, 12, 0))
	time.Sleep(time.Second)
	if err := e.q.Bind(); err != nil {
		t.Fatal(err)
	}
	r := wait()
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0:\n%s", r.code, r.log)
	}
	l.add(t, r.frames)
	l.checkExactlyOnce(t)
	if !strings.Contains(r.log, "Wazuh must be running") {
		t.Errorf("no warning about the missing queue in the log:\n%s", r.log)
	}
	if got := len(rows(t, e.dbPath(), "cloudtrail", true)); got != len(l.want) {
		t.Errorf("%d rows, want %d", got, len(l.want))
	}
}

// TestSocketRebound takes the socket away in the middle of a run (agentd
// restarting) and brings it back: nothing is lost or repeated, and while
// the socket is gone no object is recorded before all its events were
// accepted.
func TestSocketRebound(t *testing.T) {
	t.Parallel()
	const bucket = "bounce-socket"
	e := newEnv(t, true, bucket)
	l := newLedger(cloudtrail)
	smallTrail(e, l, bucket, 60, 20)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wait := e.start(ctx, e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-20"), day(21, 12, 0))
	if !e.q.WaitFor(20*time.Second, func(f [][]byte) bool { return len(f) >= 300 }) {
		t.Fatal("the run did not deliver 300 events")
	}
	if err := e.q.Unbind(); err != nil {
		t.Fatal(err)
	}
	// Twice: right away, and once the run had time to commit all it could.
	for _, pause := range []time.Duration{0, 400 * time.Millisecond} {
		time.Sleep(pause)
		received := l.deliveries(t, e.q.Since(0))
		complete := l.complete(received)
		committed := keysOf(rows(t, e.dbPath(), "cloudtrail", true))
		if len(committed) == len(l.want) {
			t.Fatal("every object was recorded while the socket was down")
		}
		var early []string
		for key := range committed {
			if !complete[key] {
				early = append(early, key)
			}
		}
		report(t, "objects", "recorded while the socket was down without all their events received", early)
	}
	if err := e.q.Bind(); err != nil {
		t.Fatal(err)
	}
	r := wait()
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0:\n%s", r.code, r.log)
	}
	l.add(t, e.q.Since(0))
	l.checkExactlyOnce(t)
	if got := len(rows(t, e.dbPath(), "cloudtrail", true)); got != len(l.want) {
		t.Errorf("%d rows, want %d", got, len(l.want))
	}
	if !strings.Contains(r.log, "Reconnected to the Wazuh queue") {
		t.Errorf("no reconnection in the log:\n%s", r.log)
	}
}
