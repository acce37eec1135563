package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestResumeLateArrivals runs each layout family three times with objects
// uploaded between runs, some of them "late": keys sorting before keys
// already processed, inside the window the next run re-lists (the day of
// the last key and, for cloudtrail and load balancers, the day before).
// Every record must be delivered exactly once over the three runs, and
// every run must deliver everything uploaded before it.
func TestResumeLateArrivals(t *testing.T) {
	t.Parallel()
	const a1, a2 = "111111111111", "222222222222"
	cases := []struct {
		f         family
		accounts  []string
		regions   []string
		newRegion string // appears before the third run
		// Which late arrivals are inside the window: the day of the last
		// processed key, the day before it.
		sameDay, prevDay bool
	}{
		{f: cloudtrail, accounts: []string{a1, a2}, regions: []string{"eu-west-1", "us-east-1"}, newRegion: "ap-south-1", sameDay: true, prevDay: true},
		{f: alb, accounts: []string{a1, a2}, regions: []string{"eu-west-1", "us-east-1"}, newRegion: "ap-south-1", sameDay: true, prevDay: true},
		// GuardDuty rewinds to the day folder of the region's last key
		// (the reference used the account's last key over all regions,
		// so every region sorting before it stopped being read).
		{f: guardduty, accounts: []string{a1}, regions: []string{"eu-west-1", "us-east-1", "us-west-2"}, newRegion: "ap-south-1", sameDay: true},
		// Custom buckets have no account or region in their keys and no
		// late-arrival window: a run starts after the last key.
		{f: custom, accounts: []string{""}, regions: []string{""}},
	}
	for _, c := range cases {
		t.Run(c.f.typ, func(t *testing.T) {
			t.Parallel()
			bucket := "resume-" + c.f.typ
			e := newEnv(t, true, bucket)
			l := newLedger(c.f)
			n := 0
			// put uploads one object per account and region at at; tag
			// orders GuardDuty keys within a day ("a" sorts first).
			put := func(regions []string, at time.Time, tag string) {
				for _, a := range c.accounts {
					for _, r := range regions {
						n++
						l.upload(e, bucket, a, r, at, fmt.Sprintf("%s%04d", tag, n), 1+n%4)
					}
				}
			}
			argv := e.argv(bucket, c.f.typ, "--only_logs_after", "2024-NOV-20")
			if c.f.typ == "custom" {
				argv = append(argv, "--trail_prefix", "firehose/")
			}
			run := func(now time.Time) {
				t.Helper()
				r := e.mustRun(argv, now, 0)
				l.add(t, r.frames)
				l.checkExactlyOnce(t)
				if t.Failed() {
					t.Fatalf("after the run of %s:\n%s", now.Format(time.DateTime), r.log)
				}
			}

			put(c.regions, day(20, 10, 0), "m")
			put(c.regions, day(21, 10, 0), "m")
			run(day(21, 18, 0))

			put(c.regions, day(21, 20, 0), "m")
			put(c.regions, day(22, 1, 0), "m")
			if c.sameDay {
				put(c.regions, day(21, 9, 0), "a")
			}
			if c.prevDay {
				put(c.regions, day(20, 9, 0), "a")
			}
			run(day(22, 6, 0))

			put(c.regions, day(22, 12, 0), "m")
			if c.sameDay {
				put(c.regions, day(22, 0, 30), "a")
			}
			if c.prevDay {
				put(c.regions, day(21, 9, 30), "a")
			}
			if c.newRegion != "" {
				put([]string{c.newRegion}, day(22, 2, 0), "m")
			}
			run(day(22, 18, 0))
		})
	}
}
