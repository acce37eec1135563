package faults

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// commitBatch is the most objects one commit of the state database holds
// (docs/compatibility.md, per-object commit: every 100 ms or 256 rows):
// what a kill -9 may re-send.
const commitBatch = 256

// TestKill9 kills the collector with SIGKILL in the middle of a bucket,
// then runs it again with nothing in the way: every event arrives, an
// object recorded by the killed run is never sent again, and what is sent
// twice is bounded by one commit batch (measured and logged).
func TestKill9(t *testing.T) {
	w := newWorld(t, "cloudtrail")
	l := newLedger()
	const objects, records = 300, 50
	uploadTrail(w, l, objects, records)
	// Slow enough to be killed half way on a busy machine.
	w.px.set(mode{Fault: delay, Delay: 25 * time.Millisecond})

	wait, signal := w.start(w.argv())
	const killAt = objects * records / 3
	if !w.q.WaitFor(60*time.Second, func(f [][]byte) bool { return len(f) >= killAt }) {
		signal(syscall.SIGKILL)
		r := wait()
		t.Fatalf("the run did not deliver %d events (exit %d, %d frames); output:\n%s", killAt, r.code, len(r.frames), tail(r.out))
	}
	signal(syscall.SIGKILL)
	r1 := wait()
	got1 := l.add(t, r1.frames)
	if r1.code == 0 {
		t.Fatalf("the run ended (exit 0, %d frames) before it was killed: make it slower", len(r1.frames))
	}
	rows1 := w.rows(w.typ)
	var early []string
	for key := range rows1 {
		if !l.complete(key, got1) {
			early = append(early, key)
		}
	}
	report(t, "objects", "recorded before all their events arrived", early)
	t.Logf("killed after %d events in %v: %d of %d objects recorded", len(r1.frames), r1.elapsed.Round(time.Millisecond), len(rows1), objects)

	w.px.set(mode{})
	r2 := w.run(w.argv())
	if r2.code != 0 {
		t.Errorf("rerun: exit %d, want 0; output:\n%s", r2.code, tail(r2.out))
	}
	got2 := l.add(t, r2.frames)

	var resent []string
	resentObjects := map[string]bool{}
	dups := 0
	for id, n := range got2 {
		key := id[:strings.LastIndexByte(id, '#')]
		if got1[id] > 0 {
			dups += n
			resentObjects[key] = true
		}
		if rows1[key] {
			resent = append(resent, id)
		}
	}
	report(t, "records", "of objects recorded by the killed run sent again", resent)
	t.Logf("kill -9 re-sent %d events of %d objects (bound: one commit batch, %d objects)", dups, len(resentObjects), commitBatch)
	if len(resentObjects) > commitBatch {
		t.Errorf("kill -9 re-sent %d objects, more than one commit batch (%d)", len(resentObjects), commitBatch)
	}

	// Every event at least once, nothing unknown; duplicates are the
	// bounded ones above, so only missing and unexpected records fail.
	var missing, extra []string
	for key, ids := range l.want {
		for _, id := range ids {
			if l.got[key+"#"+id] == 0 {
				missing = append(missing, key+"#"+id)
			}
		}
	}
	for id := range l.got {
		key := id[:strings.LastIndexByte(id, '#')]
		if _, ok := l.want[key]; !ok {
			extra = append(extra, id)
		}
	}
	report(t, "records", "never delivered", missing)
	report(t, "records", "delivered that were never uploaded", extra)
	if len(l.errors) > 0 {
		t.Errorf("error events for sound objects: %v", l.errors)
	}
	sameSet(t, "state rows", w.rows(w.typ), l.keySet())
	sameSet(t, "objects in the bucket", w.keys(), l.keySet())
}

// TestConcurrentRuns starts a second collector on the same home and
// target while the first is half way: every event must arrive exactly
// once over both runs and a clean rerun. The second run may wait for the
// first or exit non-zero with a clear error; both exiting 0 is fine only
// if nothing was sent twice.
func TestConcurrentRuns(t *testing.T) {
	w := newWorld(t, "cloudtrail")
	l := newLedger()
	const objects, records = 160, 25
	uploadTrail(w, l, objects, records)
	// Slow enough that the first run is still going when the second
	// starts, however loaded the machine.
	w.px.set(mode{Fault: delay, Delay: 40 * time.Millisecond})

	before := w.q.Count()
	wait1, signal1 := w.start(w.argv())
	if !w.q.WaitFor(60*time.Second, func(f [][]byte) bool { return len(f) >= before+objects*records/10 }) {
		signal1(syscall.SIGKILL)
		r := wait1()
		t.Fatalf("the first run did not deliver %d events (exit %d); output:\n%s", objects*records/10, r.code, tail(r.out))
	}
	wait2, _ := w.start(w.argv())
	overlap := w.q.Count() - before
	r1, r2 := wait1(), wait2()
	if overlap >= objects*records {
		t.Fatalf("the first run had delivered everything when the second started: make it slower")
	}
	l.add(t, w.q.Since(before))
	for i, r := range []result{r1, r2} {
		t.Logf("run %d: exit %d in %v", i+1, r.code, r.elapsed.Round(time.Millisecond))
		if r.code != 0 && !strings.Contains(r.out, "ERROR") {
			t.Errorf("run %d exited %d without a clear error; output:\n%s", i+1, r.code, tail(r.out))
		}
	}
	if r1.code != 0 {
		t.Errorf("the first run failed (exit %d): a second run must not disturb it; output:\n%s", r1.code, tail(r1.out))
	}

	w.px.set(mode{})
	r3 := w.run(w.argv())
	if r3.code != 0 {
		t.Errorf("rerun: exit %d, want 0; output:\n%s", r3.code, tail(r3.out))
	}
	l.add(t, r3.frames)
	dups := l.checkExactlyOnce(t)
	t.Logf("two concurrent runs: %d events sent twice", dups)
	sameSet(t, "state rows", w.rows(w.typ), l.keySet())
	sameSet(t, "objects in the bucket", w.keys(), l.keySet())
}
