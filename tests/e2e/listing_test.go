package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/tests/fixture"
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

// TestFlowLogPages: DescribeFlowLogs answers in two pages (NextToken);
// the flow logs of both are listed and their objects delivered.
func TestFlowLogPages(t *testing.T) {
	t.Parallel()
	const bucket, account, region = "flowpages", "111111111111", "us-east-1"
	e := newEnv(t, true, bucket)
	target, err := url.Parse(e.s3.URL)
	if err != nil {
		t.Fatal(err)
	}
	s3 := httputil.NewSingleHostReverseProxy(target)
	var calls atomic.Int32
	pages := map[string]string{"": `<item><flowLogId>fl-aaaa</flowLogId></item></flowLogSet><nextToken>page-2</nextToken>`,
		"page-2": `<item><flowLogId>fl-bbbb</flowLogId></item></flowLogSet>`}
	ec2 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/" {
			if err := r.ParseForm(); err == nil && r.PostForm.Get("Action") == "DescribeFlowLogs" {
				calls.Add(1)
				page, ok := pages[r.PostForm.Get("NextToken")]
				if !ok {
					http.Error(w, "unknown token", http.StatusBadRequest)
					return
				}
				w.Header().Set("Content-Type", "text/xml")
				fmt.Fprint(w, `<DescribeFlowLogsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>1</requestId><flowLogSet>`+page+`</DescribeFlowLogsResponse>`)
				return
			}
		}
		s3.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: ec2, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	at := day(20, 10, 0)
	var keys []string
	for _, fl := range []string{"fl-aaaa", "fl-bbbb"} {
		var body bytes.Buffer
		if err := fixture.WriteVPCFlow(&body, account, at, 2); err != nil {
			t.Fatal(err)
		}
		key := fixture.VPCFlowKey("", account, region, fl, at, "x")
		e.put(bucket, key, fixture.Gzip(body.Bytes()))
		keys = append(keys, key)
	}
	argv := []string{"--bucket", bucket, "--service_endpoint", "http://" + ln.Addr().String(), "--type", "vpcflow",
		"--regions", region, "--only_logs_after", "2024-NOV-20", "--debug", "2"}
	r := e.mustRun(argv, day(21, 0, 0), 0)
	if n := calls.Load(); n != 2 {
		t.Errorf("%d DescribeFlowLogs calls, want 2 (one per page)", n)
	}
	for _, k := range keys {
		if !strings.Contains(r.log, "++ Found new log: "+k) {
			t.Errorf("%s was not listed; log:\n%s", k, r.log)
		}
	}
	// Two records and, as the reference sends it, the header line.
	if len(r.frames) != 6 {
		t.Errorf("%d events, want 6", len(r.frames))
	}
}
