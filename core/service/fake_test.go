package service

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeAWS answers the few calls the services make, with AWS's semantics
// where moto differs: a CloudWatch Logs forward token is an absolute
// position in the stream (moto counts it inside the time-filtered list,
// which loses events appended after a resume).
type fakeAWS struct {
	mu       sync.Mutex
	streams  map[string][]logEvent // "group/stream" → events in time order
	pageSize int
	failAt   int // GetLogEvents call number that fails (1-based), 0 = never
	calls    int

	findings [][]string // pages of raw finding JSON
	filters  []string   // ListFindings filterCriteria as received
	tokens   []string   // ListFindings nextToken as received
}

func newFake(t *testing.T) (*fakeAWS, string) {
	f := &fakeAWS{streams: map[string][]logEvent{}, pageSize: 2}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeAWS) add(group, stream string, evs ...logEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := group + "/" + stream
	f.streams[k] = append(f.streams[k], evs...)
}

func awsErr(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(400)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	target := r.Header.Get("X-Amz-Target")
	switch {
	case r.URL.Path == "/findings/list":
		f.listFindings(w, body)
	case strings.HasPrefix(target, "Logs_20140328."):
		var in map[string]any
		json.Unmarshal(body, &in)
		f.logs(w, strings.TrimPrefix(target, "Logs_20140328."), in)
	default:
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") != "GetCallerIdentity" {
			http.Error(w, "unexpected call", 400)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:iam::123456789012:user/test</Arn><UserId>AIDTEST</UserId><Account>123456789012</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}
}

func (f *fakeAWS) logs(w http.ResponseWriter, op string, in map[string]any) {
	group, _ := in["logGroupName"].(string)
	stream, _ := in["logStreamName"].(string)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch op {
	case "DescribeLogStreams":
		var names []string
		for k := range f.streams {
			if g, s, _ := strings.Cut(k, "/"); g == group {
				names = append(names, s)
			}
		}
		if names == nil {
			awsErr(w, "ResourceNotFoundException", "The specified log group does not exist.")
			return
		}
		out := []map[string]string{}
		for _, n := range names {
			out = append(out, map[string]string{"logStreamName": n})
		}
		json.NewEncoder(w).Encode(map[string]any{"logStreams": out})
	case "DeleteLogStream":
		delete(f.streams, group+"/"+stream)
		fmt.Fprint(w, "{}")
	case "GetLogEvents":
		f.calls++
		if f.calls == f.failAt {
			awsErr(w, "InvalidParameterException", "injected failure")
			return
		}
		evs := f.streams[group+"/"+stream]
		pos := 0
		if tok, ok := in["nextToken"].(string); ok {
			pos, _ = strconv.Atoi(strings.TrimPrefix(tok, "f/"))
		}
		start, _ := in["startTime"].(float64)
		end, hasEnd := in["endTime"].(float64)
		var page []map[string]any
		for pos < len(evs) && len(page) < f.pageSize {
			e := evs[pos]
			pos++
			if e.ts < int64(start) || (hasEnd && e.ts >= int64(end)) {
				continue
			}
			page = append(page, map[string]any{"timestamp": e.ts, "message": e.msg, "ingestionTime": e.ts})
		}
		if page == nil {
			page = []map[string]any{}
		}
		json.NewEncoder(w).Encode(map[string]any{"events": page, "nextForwardToken": fmt.Sprintf("f/%d", pos), "nextBackwardToken": "b/0"})
	default:
		awsErr(w, "UnknownOperationException", op)
	}
}

func (f *fakeAWS) listFindings(w http.ResponseWriter, body []byte) {
	var in struct {
		FilterCriteria json.RawMessage `json:"filterCriteria"`
		NextToken      string          `json:"nextToken"`
		MaxResults     int             `json:"maxResults"`
	}
	json.Unmarshal(body, &in)
	f.filters = append(f.filters, string(in.FilterCriteria))
	f.tokens = append(f.tokens, in.NextToken)
	page := 0
	if in.NextToken != "" {
		page, _ = strconv.Atoi(strings.TrimPrefix(in.NextToken, "p"))
	}
	w.Header().Set("Content-Type", "application/json")
	if page >= len(f.findings) {
		fmt.Fprint(w, `{"findings":[]}`)
		return
	}
	next := ""
	if page+1 < len(f.findings) {
		next = fmt.Sprintf(`,"nextToken":"p%d"`, page+1)
	}
	fmt.Fprintf(w, `{"findings":[%s]%s}`, strings.Join(f.findings[page], ","), next)
}
