package faults

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// TestCutStreamedObject puts a CloudTrail object of 30,000 events (far
// over the held-events budget, so it streams) whose JSON is cut near the
// end between two sound objects. All-or-nothing per object for every
// size (issue 8, item 1): nothing of it ever reaches the queue; without
// skip_on_error every run stops at it with exit 9 and never records it;
// with skip_on_error it yields exactly one error event, is recorded, and
// the run goes on.
func TestCutStreamedObject(t *testing.T) {
	if suite.skip != "" {
		t.Skip("faults: " + suite.skip)
	}
	day := time.Now().UTC().Truncate(time.Hour)
	text := fixture.CloudTrail(account, region, day, 30000)
	// Inside the last record: no complete record is lost by the cut but
	// the last, so a partial send is 29,999 events.
	cut := gzipFast(text[:len(text)-20])
	for _, skip := range []bool{false, true} {
		name := "no-skip"
		if skip {
			name = "skip_on_error"
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, "cloudtrail")
			l := newLedger()
			sound := fixture.Gzip(fixture.CloudTrail(account, region, w.day, 10))
			before := fixture.CloudTrailKey("", account, region, w.day, "a-before")
			big := fixture.CloudTrailKey("", account, region, w.day.Add(time.Minute), "b-cut")
			after := fixture.CloudTrailKey("", account, region, w.day.Add(2*time.Minute), "c-after")
			w.put(before, sound)
			l.expect(before, trailIDs(10))
			w.put(big, cut)
			w.put(after, sound)
			l.expect(after, trailIDs(10))

			var flags []string
			if skip {
				flags = append(flags, "--skip_on_error")
			}
			for run := 1; run <= 2; run++ {
				r := w.run(w.argv(flags...))
				got := l.add(t, r.frames)
				n := 0
				for id, c := range got {
					if strings.HasPrefix(id, big+"#") {
						n += c
					}
				}
				t.Logf("run %d: exit %d in %v, %d frames, %d of them from the cut object", run, r.code, r.elapsed.Round(time.Millisecond), len(r.frames), n)
				if n > 0 {
					t.Errorf("run %d sent %d events of the cut object (all-or-nothing: none)", run, n)
				}
				want := 0
				if !skip {
					want = 9
				}
				if r.code != want {
					t.Errorf("run %d: exit %d, want %d; output:\n%s", run, r.code, want, tail(r.out))
				}
				if run == 2 && skip && len(r.frames) != 0 {
					t.Errorf("rerun sent %d frames, want none (everything was recorded)", len(r.frames))
				}
			}
			rows := w.rows(w.typ)
			if skip {
				if errs := l.errors[big]; len(errs) != 1 {
					t.Errorf("cut object: %d error events, want exactly 1: %q", len(errs), errs)
				}
				delete(l.errors, big)
				sameSet(t, "state rows", rows, map[string]bool{before: true, big: true, after: true})
				l.checkExactlyOnce(t)
			} else {
				if len(l.errors[big]) != 0 {
					t.Errorf("cut object without skip_on_error: error events %q, want none", l.errors[big])
				}
				// The run stops at the cut object: the one before is
				// delivered once, the one after never read.
				sameSet(t, "state rows", rows, map[string]bool{before: true})
				delete(l.want, after)
				l.checkExactlyOnce(t)
			}
			if len(l.errors) > 0 {
				t.Errorf("error events for sound objects: %v", l.errors)
			}
		})
	}
}

// gzipFast compresses b at the fastest level (the suite runs under -race).
func gzipFast(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// maxRSS is the peak resident set a run may reach whatever one object
// holds (issue 8, item 4), in KiB.
const maxRSS = 128 << 10

// rssKill is where a run is killed to protect the shared machine.
const rssKill = 512 << 10

// TestMemoryBombs runs objects that decompress into one huge record, line
// or value (or into gigabytes of zeros) between two sound objects, with
// skip_on_error. Whatever one object holds the collector's peak RSS stays
// under 128 MiB, the bomb is a content error (one error event, recorded,
// nothing of it sent) and the sound objects are delivered.
func TestMemoryBombs(t *testing.T) {
	if testing.Short() {
		t.Skip("memory bombs decompress gigabytes: skipped in -short")
	}
	const gib = 1 << 30
	cases := []struct {
		name, typ string
		extra     []string
		key       func(d time.Time, id string) string
		sound     func(d time.Time) ([]byte, []string)
		body      func() []byte
	}{
		{
			name: "4GiB-json-string", typ: "cloudtrail",
			key: func(d time.Time, id string) string { return fixture.CloudTrailKey("", account, region, d, id) },
			sound: func(d time.Time) ([]byte, []string) {
				return fixture.Gzip(fixture.CloudTrail(account, region, d, 5)), trailIDs(5)
			},
			body: func() []byte {
				return fixture.GzipRepeat(`{"Records":[{"eventVersion":"1.08","eventID":"bomb","eventName":"`, "a", 4*gib, `"}]}`)
			},
		},
		{
			name: "10GiB-zeros", typ: "cloudtrail",
			key: func(d time.Time, id string) string { return fixture.CloudTrailKey("", account, region, d, id) },
			sound: func(d time.Time) ([]byte, []string) {
				return fixture.Gzip(fixture.CloudTrail(account, region, d, 5)), trailIDs(5)
			},
			body: func() []byte { return fixture.GzipRepeat("", "\x00", 10*gib, "") },
		},
		{
			// 1 GiB of whitespace inside one Firehose record: a record
			// past any sane limit.
			name: "firehose-1GiB-whitespace", typ: "custom", extra: []string{"--trail_prefix", "firehose/"},
			key: func(d time.Time, id string) string { return fixture.FirehoseKey("firehose/", d, id) + ".gz" },
			sound: func(d time.Time) ([]byte, []string) {
				return fixture.Gzip(fixture.Firehose(d, 3)), []string{"1", "2", "3"}
			},
			body: func() []byte {
				return fixture.GzipRepeat(`{"version":"0","id":"bomb","detail-type":"GuardDuty Finding","source":"aws.guardduty",`, " ", gib,
					`"account":"123456789012","region":"us-east-1","detail":{"service":{"serviceName":"guardduty","count":99}}}`)
			},
		},
		{
			name: "waf-200MiB-line", typ: "waf", extra: []string{"--trail_prefix", "firehose/waf/"},
			key: func(d time.Time, id string) string {
				return "firehose/waf/" + d.Format("2006/01/02/15") + "/aws-waf-logs-faults-1-" + d.Format("2006-01-02-15-04-05") + "-" + id + ".gz"
			},
			sound: func(d time.Time) ([]byte, []string) {
				var b bytes.Buffer
				for i := 1; i <= 3; i++ {
					fmt.Fprintf(&b, `{"timestamp":%d,"formatVersion":1,"webaclId":"arn:aws:wafv2:us-east-1:%s:regional/webacl/faults/1","action":"ALLOW","httpRequest":{"clientIp":"203.0.113.7","headers":[{"name":"Host","value":"www.example.com"}],"uri":"/","httpMethod":"GET","requestId":"r%d"}}`+"\n",
						d.UnixMilli(), fixture.Account, i)
				}
				return fixture.Gzip(b.Bytes()), []string{"r1", "r2", "r3"}
			},
			body: func() []byte {
				return fixture.GzipRepeat(`{"timestamp":1,"formatVersion":1,"action":"ALLOW","httpRequest":{"clientIp":"203.0.113.7","headers":[],"uri":"/`, "a", 200<<20,
					`","httpMethod":"GET","requestId":"bomb"}}`+"\n")
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, c.typ)
			w.rssCap = rssKill
			l := newLedger()
			soundBody, ids := c.sound(w.day)
			before, bombKey, after := c.key(w.day, "a-before"), c.key(w.day.Add(time.Minute), "b-bomb"), c.key(w.day.Add(2*time.Minute), "c-after")
			w.put(before, soundBody)
			l.expect(before, ids)
			b := c.body()
			w.put(bombKey, b)
			w.put(after, soundBody)
			l.expect(after, ids)

			r := w.run(w.argv(append([]string{"--skip_on_error"}, c.extra...)...))
			got := l.add(t, r.frames)
			t.Logf("bomb of %d bytes compressed: exit %d in %v, peak RSS %d MiB (ru_maxrss %d MiB), %d frames",
				len(b), r.code, r.elapsed.Round(time.Millisecond), r.maxRSS>>10, r.ruRSS>>10, len(r.frames))
			if r.capped {
				t.Fatalf("killed at a resident set over %d MiB (limit %d MiB); output:\n%s", rssKill>>10, maxRSS>>10, tail(r.out))
			}
			if r.maxRSS >= maxRSS {
				t.Errorf("peak RSS %d MiB, want under %d MiB", r.maxRSS>>10, maxRSS>>10)
			}
			if r.code != 0 {
				t.Errorf("exit %d, want 0 (skip_on_error); output:\n%s", r.code, tail(r.out))
			}
			n := 0
			for id, k := range got {
				if strings.HasPrefix(id, bombKey+"#") {
					n += k
				}
			}
			if n > 0 {
				t.Errorf("%d events of the bomb were sent, want none", n)
			}
			if errs := l.errors[bombKey]; len(errs) != 1 {
				t.Errorf("bomb: %d error events, want exactly 1 (a content error): %q", len(errs), errs)
			} else {
				t.Logf("error event: %.300s", errs[0])
			}
			delete(l.errors, bombKey)
			if len(l.errors) > 0 {
				t.Errorf("error events for sound objects: %v", l.errors)
			}
			l.checkExactlyOnce(t)
			sameSet(t, "state rows", w.rows(c.typ), map[string]bool{before: true, bombKey: true, after: true})
		})
	}
}
