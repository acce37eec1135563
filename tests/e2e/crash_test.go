package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/state"
)

// bigTrail uploads objects × records CloudTrail records in one account
// and two regions, starting on 2024-11-20. Objects of a region share one
// body (records are told apart by key and eventID): compressing is what
// takes time under the race detector.
func bigTrail(e *env, l *ledger, bucket string, objects, records int) {
	e.t.Helper()
	const account = "111111111111"
	regions := []string{"eu-west-1", "us-east-1"}
	bodies := map[string][]byte{}
	for _, r := range regions {
		bodies[r] = l.f.body(account, r, day(20, 0, 0), records)
	}
	keys := make([]string, objects)
	errs := make([]error, objects)
	var wg sync.WaitGroup
	for i := range objects {
		region := regions[i%2]
		at := day(20, 0, 0).Add(time.Duration(i/2) * 5 * time.Minute)
		keys[i] = l.f.key(account, region, at, fmt.Sprintf("k%04d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.s3.Put(context.Background(), bucket, keys[i], bodies[region])
		}()
		if i%4 == 3 {
			wg.Wait()
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			e.t.Fatalf("put %s: %v", keys[i], err)
		}
		l.want[keys[i]] = records
	}
}

// keyOf strips the record part of a ledger id.
func keyOf(id string) string { return id[:strings.LastIndexByte(id, '#')] }

// complete returns the keys all of whose records are in got.
func (l *ledger) complete(got map[string]int) map[string]bool {
	m := map[string]bool{}
	for key, n := range l.want {
		all := true
		for i := 0; i < n && all; i++ {
			all = got[key+"#"+l.f.rec(i)] > 0
		}
		if all {
			m[key] = true
		}
	}
	return m
}

// checkCommitted fails unless every committed object had all its events
// delivered, and the rerun sent nothing of a committed object.
func checkCommitted(t *testing.T, committed, complete map[string]bool, second map[string]int) {
	t.Helper()
	var early, resent []string
	for key := range committed {
		if !complete[key] {
			early = append(early, key)
		}
	}
	for id := range second {
		if committed[keyOf(id)] {
			resent = append(resent, id)
		}
	}
	report(t, "objects", "recorded before all their events were delivered", early)
	report(t, "records", "of committed objects sent again", resent)
}

// waitCommitted polls the state database until a row of the cloudtrail
// table is committed.
func waitCommitted(path string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)"); err == nil {
			var n int
			err = db.QueryRow("SELECT count(*) FROM cloudtrail").Scan(&n)
			db.Close()
			if err == nil && n > 0 {
				return true
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// TestCrashKill9 kills a run with SIGKILL in the middle of a large bucket:
// the database must be sound, hold only objects whose events all arrived,
// and the next run must deliver the rest without resending them.
func TestCrashKill9(t *testing.T) {
	t.Parallel()
	const bucket = "crash-trail"
	e := newEnv(t, true, bucket)
	l := newLedger(cloudtrail)
	const objects, records = 400, 50
	bigTrail(e, l, bucket, objects, records)
	argv := e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-20", "--debug", "0")
	now := day(21, 12, 0)
	cmd, out, exited := e.startChild(argv, now)
	const killAt = 3000
	if !e.q.WaitFor(60*time.Second, func(f [][]byte) bool { return len(f) >= killAt }) {
		cmd.Process.Kill()
		t.Fatalf("child did not deliver %d events: %v\n%s", killAt, <-exited, out.String())
	}
	// Kill once a commit happened, so that the kill lands between two
	// commits of a run in progress (a fast run may deliver killAt events
	// before its first commit).
	if !waitCommitted(e.dbPath(), 60*time.Second) {
		cmd.Process.Kill()
		t.Fatalf("child committed nothing: %v\n%s", <-exited, out.String())
	}
	select {
	case err := <-exited:
		t.Fatalf("child ended before it was killed (%v): make the bucket larger\n%s", err, out.String())
	default:
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	if err := e.q.Sync(); err != nil {
		t.Fatal(err)
	}

	first := l.add(t, e.q.Since(0))
	integrity(t, e.dbPath())
	committed := keysOf(rows(t, e.dbPath(), "cloudtrail", true))
	t.Logf("killed after %d events; %d of %d objects committed", len(e.q.Since(0)), len(committed), objects)
	if len(committed) == 0 || len(committed) == objects {
		t.Fatalf("%d of %d objects committed at the kill: the test did not stop a run in progress", len(committed), objects)
	}

	r := e.mustRun(argv, now, 0)
	second := l.add(t, r.frames)
	checkCommitted(t, committed, l.complete(first), second)
	for id, n := range second {
		if n > 1 {
			t.Errorf("%s sent %d times by the second run", id, n)
		}
	}
	// What the kill cost: events the rerun sent again. Only objects not
	// yet committed are read again: those recorded since the last commit
	// (at most CommitRows-1 rows, recorded within CommitInterval) and the
	// one being sent, so at most CommitRows objects' events.
	resent, resentObjects := 0, map[string]bool{}
	for id := range second {
		if first[id] > 0 {
			resent++
			resentObjects[keyOf(id)] = true
		}
	}
	t.Logf("kill -9 re-sent %d events of %d objects (bound: the events of %d objects)", resent, len(resentObjects), state.CommitRows)
	if len(resentObjects) > state.CommitRows {
		t.Errorf("kill -9 re-sent %d objects, more than the bound of %d", len(resentObjects), state.CommitRows)
	}
	if missing := len(l.want) - len(l.complete(l.got)); missing != 0 {
		t.Errorf("%d objects not completely delivered over both runs", missing)
	}
	integrity(t, e.dbPath())
	if got := len(rows(t, e.dbPath(), "cloudtrail", true)); got != objects {
		t.Errorf("%d rows after the rerun, want %d", got, objects)
	}
}

// TestGracefulStop cancels a run mid-way: Run returns promptly with the
// script's interrupted code, every object it recorded is complete, every
// complete object is recorded, and the rerun delivers the rest once.
func TestGracefulStop(t *testing.T) {
	t.Parallel()
	const bucket = "stop-trail"
	e := newEnv(t, true, bucket)
	l := newLedger(cloudtrail)
	const objects, records = 200, 50
	bigTrail(e, l, bucket, objects, records)
	argv := e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-20", "--debug", "0")
	now := day(21, 12, 0)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan time.Time, 1)
	go func() {
		if e.q.WaitFor(60*time.Second, func(f [][]byte) bool { return len(f) >= 2000 }) {
			stopped <- time.Now()
			cancel()
		}
	}()
	r := e.run(ctx, argv, now)
	var took time.Duration
	select {
	case at := <-stopped:
		took = time.Since(at)
	default:
		t.Fatalf("the run ended (code %d) before it was stopped:\n%s", r.code, r.log)
	}
	if took > 2*time.Second {
		t.Errorf("Run returned %v after the cancellation, want < 2s", took)
	}
	if r.code != 2 {
		t.Errorf("exit code %d after a cancellation, want 2:\n%s", r.code, r.log)
	}
	first := l.add(t, r.frames)
	integrity(t, e.dbPath())
	committed := keysOf(rows(t, e.dbPath(), "cloudtrail", true))
	complete := l.complete(first)
	t.Logf("stopped after %d events in %v; %d objects complete, %d committed", len(r.frames), took, len(complete), len(committed))
	var unrecorded []string
	for key := range complete {
		if !committed[key] {
			unrecorded = append(unrecorded, key)
		}
	}
	report(t, "objects", "completely delivered but not recorded at the stop", unrecorded)
	if len(committed) == objects {
		t.Fatal("every object was recorded: the run was not stopped mid-way")
	}

	r = e.mustRun(argv, now, 0)
	second := l.add(t, r.frames)
	checkCommitted(t, committed, complete, second)
	for id, n := range l.got {
		if n > 1 && committed[keyOf(id)] {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	if missing := len(l.want) - len(l.complete(l.got)); missing != 0 {
		t.Errorf("%d objects not completely delivered over both runs", missing)
	}
}
