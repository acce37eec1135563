package e2e

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestListingPages lists a unit of more than two ListObjectsV2 pages in
// which keys already processed and new keys alternate: the run prints,
// key by key in listing order, the reference's "Skipping previously
// processed file" or "Found new log" line, and delivers each new object
// once (the look-ups are batched per page and the next page is listed
// while this one is queued).
func TestListingPages(t *testing.T) {
	t.Parallel()
	const bucket, account, region = "pages", "111111111111", "us-east-1"
	const n = 1100 // objects per run: 2,200 keys on the second
	e := newEnv(t, true, bucket)
	l := newLedger(cloudtrail)
	at := day(20, 10, 0)
	upload := func(parity int) map[string]bool {
		keys := map[string]bool{}
		for i := 0; i < n; i++ {
			keys[l.upload(e, bucket, account, region, at, fmt.Sprintf("%05d", 2*i+parity), 1)] = true
		}
		return keys
	}
	old := upload(0)
	argv := e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-20")
	l.add(t, e.mustRun(argv, day(21, 0, 0), 0).frames)
	l.checkExactlyOnce(t)

	// The odd ids sort between the even ones, all inside the window the
	// next run lists again.
	fresh := upload(1)
	r := e.mustRun(argv, day(21, 1, 0), 0)
	l.add(t, r.frames)
	l.checkExactlyOnce(t)

	all := make([]string, 0, 2*n)
	for k := range old {
		all = append(all, k)
	}
	for k := range fresh {
		all = append(all, k)
	}
	sort.Strings(all)
	// The group holds more than the reference's 500 rows, so the listing
	// starts after its oldest row (bucket.Retention).
	all = all[1:]
	var want []string
	for _, k := range all {
		if old[k] {
			want = append(want, "++ Skipping previously processed file: "+k)
		} else {
			want = append(want, "++ Found new log: "+k)
		}
	}
	line := regexp.MustCompile(`(\+\+ Skipping previously processed file: |\+\+ Found new log: )\S+`)
	got := line.FindAllString(r.log, -1)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		first := 0
		for first < len(got) && first < len(want) && got[first] == want[first] {
			first++
		}
		t.Fatalf("%d listing lines, want %d; first difference at line %d:\n%s\nwant\n%s", len(got), len(want), first, lineAt(got, first), lineAt(want, first))
	}
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}
