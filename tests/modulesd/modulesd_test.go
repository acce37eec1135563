package modulesd

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// yesterday is where the objects are dated: the daemon scans from
// only_logs_after to today by day prefix, so recent dates keep it short.
func yesterday() time.Time {
	return time.Now().UTC().Truncate(24 * time.Hour).Add(-24*time.Hour + 10*time.Hour)
}

// onlyAfter is only_logs_after for objects dated at.
func onlyAfter(at time.Time) string { return strings.ToUpper(at.Format("2006-Jan-02")) }

// A scan inside the real daemon: the events and database rows are the
// executable's for the same bucket, ossec.log has the documented lines
// with the keys masked, getconfig masks them, and the metadata version is
// the compiled-in __wazuh_version although bin/wazuh-control is absent.
func TestScanLikeExecutable(t *testing.T) {
	s := need(t)
	g := startGateway(t)
	const bucket, objects, records = "msd-trail", 6, 5
	day := yesterday()
	g.trail(t, bucket, day, objects, records)
	h := newHome(t, s, true, ossecConf(g, bucket, onlyAfter(day), false))
	if _, err := os.Stat(h.dir + "/bin/wazuh-control"); err == nil {
		t.Fatal("the home must not have bin/wazuh-control")
	}

	d := h.start(t)
	h.waitLog(t, d, "Fetching logs finished.", 1, 3*time.Minute)
	cfg := h.getconfig(t, "wmodules")
	took := d.term(t, 10*time.Second)
	t.Logf("SIGTERM after the scan: exited in %v", took)

	log := h.log()
	for _, want := range []string{
		"wazuh-modulesd:aws-s3",
		"INFO: Starting fetching of logs.",
		"INFO: Executing Bucket Analysis: (Bucket: " + bucket,
		"DEBUG: Launching S3 Command: wodles/aws/aws-s3 --bucket " + bucket + " --access_key **** --secret_key **** --only_logs_after ",
		"INFO: Fetching logs finished.",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("ossec.log lacks %q:\n%s", want, grep(log, "aws-s3"))
		}
	}
	for _, secret := range []string{g.secret, g.access} {
		if strings.Contains(log, secret) {
			t.Errorf("ossec.log shows a key (%.4s...)", secret)
		}
		if strings.Contains(cfg, secret) {
			t.Errorf("getconfig shows a key (%.4s...): %s", secret, cfg)
		}
	}
	if strings.Contains(log, "wazuh-control") {
		t.Errorf("the library looked for bin/wazuh-control:\n%s", tail(log))
	}
	// The library's own lines say where they come from, not the shim's
	// callback.
	lib := regexp.MustCompile(`(?m)^.*wazuh-modulesd:aws-s3.* at wm_aws_log\(\).*$`)
	if m := lib.FindAllString(log, 3); len(m) > 0 {
		t.Errorf("library lines located at the shim's callback:\n%s", strings.Join(m, "\n"))
	}
	if !strings.Contains(cfg, `"aws-s3"`) || !strings.Contains(cfg, `"****"`) || !strings.Contains(cfg, bucket) {
		t.Errorf("getconfig wmodules: no masked aws-s3 bucket:\n%.2000s", cfg)
	}

	got := h.q.events()
	want, exeDB := runExecutable(t, s, g, bucket, onlyAfter(day))
	if len(want) != objects*records {
		t.Fatalf("the executable sent %d events, want %d", len(want), objects*records)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events differ: module %d, executable %d", len(got), len(want))
		for i := 0; i < len(got) && i < len(want); i++ {
			if got[i] != want[i] {
				t.Errorf("first difference:\nmodule:     %s\nexecutable: %s", got[i], want[i])
				break
			}
		}
	}
	integrity(t, h.db())
	if a, b := tableRows(t, h.db()), tableRows(t, exeDB); fmt.Sprint(a) != fmt.Sprint(b) || len(a) != objects {
		t.Errorf("cloudtrail rows differ:\nmodule:     %v\nexecutable: %v", a, b)
	}
	if a, b := metadata(t, h.db()), metadata(t, exeDB); fmt.Sprint(a) != fmt.Sprint(b) || !strings.Contains(fmt.Sprint(a), "5.1.0") {
		t.Errorf("metadata differs (module without wazuh-control, executable with v5.1.0):\nmodule:     %v\nexecutable: %v", a, b)
	}
}

// SIGTERM in the middle of a scan: the daemon exits promptly, the
// database is intact, and the next start delivers the rest: nothing lost,
// nothing of a recorded object repeated.
func TestSigtermMidRun(t *testing.T) {
	s := need(t)
	g := startGateway(t)
	// Long enough that the stop (the library polls its flag every 100 ms)
	// lands mid-scan.
	const bucket, objects, records = "msd-stop", 1500, 80
	day := yesterday()
	g.trail(t, bucket, day, objects, records)
	h := newHome(t, s, true, ossecConf(g, bucket, onlyAfter(day), false))

	d := h.start(t)
	h.q.waitEvents(t, 100, 3*time.Minute)
	took := d.term(t, 10*time.Second)
	first := ids(t, h.q.events())
	t.Logf("SIGTERM after 100 events; %d delivered before the daemon exited, %v after the signal", len(first), took)
	if took > 5*time.Second {
		t.Errorf("exited %v after SIGTERM, want < 5s", took)
	}
	if os.Getenv("AWS_S3_DEBUG_LOG") != "" {
		t.Logf("first run:\n%s", tail(grep(h.log(), "aws")))
	}
	if len(first) >= objects*records {
		t.Fatalf("every event was delivered before the stop: the scan was not interrupted:\n%s", tail(h.log()))
	}
	integrity(t, h.db())
	committed := map[string]bool{}
	for _, r := range tableRows(t, h.db()) {
		committed[r.key] = true
	}
	n1 := len(h.q.events())

	finished := strings.Count(h.log(), "Fetching logs finished.")
	d = h.start(t)
	h.waitLog(t, d, "Fetching logs finished.", finished+1, 3*time.Minute)
	d.term(t, 10*time.Second)
	all := ids(t, h.q.events())
	second := ids(t, h.q.events()[n1:])
	for i := 0; i < objects; i++ {
		for j := 0; j < records; j++ {
			id := eventID(i, j)
			if all[id] == 0 {
				t.Errorf("%s never delivered", id)
			}
		}
		// An object recorded at the stop is not sent again.
		if first[eventID(i, 0)] > 0 && second[eventID(i, 0)] > 0 && committedObject(committed, i) {
			t.Errorf("object %d was recorded at the stop and sent again", i)
		}
	}
	for id, n := range first {
		if n > 1 {
			t.Errorf("%s delivered %d times in one run", id, n)
		}
	}
	for id, n := range second {
		if n > 1 {
			t.Errorf("%s delivered %d times in one run", id, n)
		}
	}
	if len(tableRows(t, h.db())) != objects {
		t.Errorf("%d objects recorded after the rerun, want %d", len(tableRows(t, h.db())), objects)
	}
}

func committedObject(committed map[string]bool, i int) bool {
	suffix := fmt.Sprintf("_%04d.json.gz", i)
	for k := range committed {
		if strings.HasSuffix(k, suffix) {
			return true
		}
	}
	return false
}

// The queue reader dies mid-scan and a new one binds the socket: the
// module reconnects and nothing is lost beyond what sat in the dead
// reader's buffer.
func TestQueueReaderRestart(t *testing.T) {
	s := need(t)
	g := startGateway(t)
	const bucket, objects, records = "msd-queue", 60, 50
	day := yesterday()
	g.trail(t, bucket, day, objects, records)
	h := newHome(t, s, true, ossecConf(g, bucket, onlyAfter(day), false))

	d := h.start(t)
	h.q.waitEvents(t, 200, 3*time.Minute)
	lost := awsEvents(h.q.kill(t))
	atKill := len(h.q.events())
	time.Sleep(300 * time.Millisecond) // sends fail while nobody listens
	h.q.bind(t)
	h.waitLog(t, d, "Fetching logs finished.", 1, 3*time.Minute)
	d.term(t, 10*time.Second)
	if len(h.q.events()) == atKill {
		t.Fatal("no event reached the new reader: the restart was not mid-scan")
	}

	log := h.log()
	if !strings.Contains(log, "Successfully reconnected to 'queue/sockets/queue'") {
		t.Errorf("no reconnection in ossec.log:\n%s", tail(log))
	}
	got := ids(t, h.q.events())
	dead := ids(t, lost)
	t.Logf("%d events delivered, %d died in the reader's buffer", len(got), len(dead))
	for i := 0; i < objects; i++ {
		for j := 0; j < records; j++ {
			id := eventID(i, j)
			switch n := got[id] + dead[id]; {
			case n == 0:
				t.Errorf("%s lost (not in the dead reader's buffer)", id)
			case n > 1:
				t.Errorf("%s delivered %d times", id, n)
			}
		}
	}
}

// Without libaws_s3.so the module logs one clear error and ends; the
// daemon and its other modules keep running.
func TestLibraryMissing(t *testing.T) {
	s := need(t)
	g := startGateway(t)
	day := yesterday()
	g.trail(t, "msd-nolib", day, 1, 1)
	h := newHome(t, s, false, ossecConf(g, "msd-nolib", onlyAfter(day), true))

	d := h.start(t)
	h.waitLog(t, d, "Unable to load the AWS S3 library", 1, time.Minute)
	before := h.q.count("1:command")
	time.Sleep(5 * time.Second)
	if d.exited() {
		t.Fatalf("wazuh-modulesd exited: %v\n%s", d.err, tail(h.log()))
	}
	if after := h.q.count("1:command"); after < before+1 {
		t.Errorf("the command module stopped: %d outputs before, %d five seconds later", before, after)
	}
	log := h.log()
	if n := strings.Count(log, "Unable to load the AWS S3 library"); n != 1 {
		t.Errorf("%d load errors, want 1:\n%s", n, tail(log))
	}
	if !strings.Contains(log, "libaws_s3.so") {
		t.Errorf("the error does not name libaws_s3.so:\n%s", tail(log))
	}
	if len(h.q.events()) != 0 {
		t.Errorf("%d AWS events without the library", len(h.q.events()))
	}
	d.term(t, 10*time.Second)
}

// grep returns the lines of s containing sub.
func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
