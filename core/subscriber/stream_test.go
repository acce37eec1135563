package subscriber

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/decode"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
	"github.com/wazuh/aws-s3-go/core/sink"
)

func marshalAll(evs []*pyjson.Object) string {
	var b strings.Builder
	for _, ev := range evs {
		b.Write(pyjson.Marshal(ev))
		b.WriteByte('\n')
	}
	return b.String()
}

func collect(run func(emit func(*pyjson.Object) error) error) ([]*pyjson.Object, error) {
	var out []*pyjson.Object
	err := run(func(o *pyjson.Object) error { out = append(out, o); return nil })
	return out, err
}

// csvRows reads a text of several chunks, rows spanning lines inside
// quotes across chunk boundaries included, as csvEvents reads it whole.
func TestCSVRowsChunks(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,\"multi\nline header\",note\n")
	for i := 0; b.Len() < 3*csvChunk; i++ {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "u%d,\"a\nb \"\"quoted\"\"\n\nc\",x\n", i)
		case 1:
			fmt.Fprintf(&b, "u%d,stray\"quote,y,extra\n", i)
		case 2:
			b.WriteString("\n") // a blank row
		case 3:
			fmt.Fprintf(&b, "u%d\n", i) // short row
		default:
			fmt.Fprintf(&b, "u%d,%s,z\n", i, strings.Repeat("v", i%300))
		}
	}
	b.WriteString("last,\"open quote\nto the end")
	text := b.String()
	d, err := sniff("name,\"multi\n")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := csvEvents(text, d)
	if err != nil {
		t.Fatal(err)
	}
	want := marshalAll(evs)
	got, err := collect(func(emit func(*pyjson.Object) error) error {
		return csvRows(strings.NewReader(text), d, decode.DefaultMaxLineBytes, emit)
	})
	if err != nil {
		t.Fatal(err)
	}
	if g := marshalAll(got); g != want {
		t.Fatalf("streamed CSV differs from csvEvents: %d bytes of events, want %d", len(g), len(want))
	}
	if len(got) < 1000 {
		t.Fatalf("only %d rows", len(got))
	}
}

// Plain-text lines split as str.splitlines splits the whole text.
func TestTextLinesSplit(t *testing.T) {
	for _, text := range []string{"", "a", "a\n", "a\n\nb", "a\vb\n\fc\x1c\n\n", "x\u2028y\u0085z\n\n\n", "\n"} {
		got, err := collect(func(emit func(*pyjson.Object) error) error {
			return textLines(strings.NewReader(text), 100, emit)
		})
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, o := range got {
			v, _ := o.Get("full_log")
			lines = append(lines, v.(string))
		}
		if want := splitLines(text); fmt.Sprintf("%q", lines) != fmt.Sprintf("%q", want) {
			t.Errorf("%q: lines %q, want %q", text, lines, want)
		}
	}
}

// A record, line or row past a limit fails its object with a parse error
// naming the object and the limit, in every format; it never falls back
// to another format.
func TestLimitErrors(t *testing.T) {
	lim := decode.Limits{MaxRecordBytes: 1000, MaxRecordValues: 50, MaxDepth: 20, MaxLineBytes: 2000}
	big := strings.Repeat("a", 1500)
	for _, c := range []struct {
		typ, key, text, want string
	}{
		{"buckets", "s.json", `{"a":1} "` + big + `"`, "record at byte 8 is larger than 1000 bytes (MaxRecordBytes)"},
		{"buckets", "v.json", `{"a":[` + strings.Repeat("1,", 60) + `1]}`, "record at byte 0 holds more than 50 JSON values (MaxRecordValues)"},
		{"buckets", "d.json", strings.Repeat("[", 30) + strings.Repeat("]", 30), "record at byte 0 is nested deeper than 20 levels (MaxDepth)"},
		{"buckets", "l.jsonl.gz", `{"a":1}` + "\n" + `{"b":"` + big + `"}` + "\n", "record at byte 0 is larger than 1000 bytes (MaxRecordBytes)"},
		{"buckets", "w.jsonl.gz", `{"a":1}` + "\n" + `{"b":"` + big + big + `"}` + "\n", "line at byte 8 is longer than 2000 bytes (MaxLineBytes)"},
		{"buckets", "t.log", "1 ok\n2 " + big + big + "\n", "line at byte 5 is longer than 2000 bytes (MaxLineBytes)"},
		{"buckets", "f.log", "no digits " + big + big, "line at byte 0 is longer than 2000 bytes (MaxLineBytes)"},
		{"buckets", "c.csv", "a,b\nx,\"" + big + "\n" + big + "\"\n", "line at byte 4 is longer than 2000 bytes (MaxLineBytes)"},
		{"security_hub", "h.json", `{"detail-type":"x","detail":{"findings":[{"a":"` + big + `"}]}}`, "record at byte 0 is larger than 1000 bytes (MaxRecordBytes)"},
	} {
		r := &run{env: Env{Limits: lim}, t: targetOf(c.typ), log: logging.Discard{}}
		open := textOpener(c.text)
		var err error
		if c.typ == "security_hub" {
			_, err = collect(func(emit func(*pyjson.Object) error) error {
				return plan{format: securityHubFormat, lim: r.limits()}.run(open, emit)
			})
		} else {
			_, err = bucketPlan(c.key, open, r.limits(), logging.Discard{}, func(*pyjson.Object) error { return nil }, func() {})
		}
		err = contentError(route{bucket: "b", key: c.key}, open, err)
		want := fmt.Sprintf("Failed to parse file %s: LimitError('%s')", c.key, c.want)
		if err == nil || err.Error() != want || exitCode(err) != 9 {
			t.Errorf("%s: got %v (exit %d), want %s", c.key, err, exitCode(err), want)
		}
	}
}

// An object whose events do not fit the held budget is validated, then
// sent from a second pass: the same events in the same order; and one
// that fails late sends nothing.
func TestHeldOverflow(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "logs")
	var js, lines strings.Builder
	for i := range 500 {
		fmt.Fprintf(&js, `{"detail":{"n":%d,"action":"%s"}}`+"\n", i, []string{"keep", "drop"}[i%3/2])
		fmt.Fprintf(&lines, "line %d\n", i)
	}
	objects := map[string]string{
		"e.json":         js.String(),
		"t.log":          lines.String(),
		"x.jsonl.gz":     js.String(),
		"c.csv":          "user,n\n" + strings.Repeat("ann,1\n", 300),
		"late.json":      js.String() + `{"a":"` + strings.Repeat("z", 5000) + `"}`,
		"notjson.log":    js.String() + "1 not JSON after all\n",
		"broken-utf8.gz": js.String() + "\xff",
	}
	for k, v := range objects {
		body := []byte(v)
		if strings.HasSuffix(k, ".gz") {
			body = gz(v)
		}
		m.put(t, "logs", k, body)
	}
	var frames [2]string
	var logs [2]string
	for i, held := range []int64{0, 1} {
		url := m.queue(t, fmt.Sprint("held", i), 60)
		for _, k := range []string{"e.json", "t.log", "x.jsonl.gz", "c.csv", "late.json", "notjson.log", "broken-utf8.gz"} {
			m.send(t, url, notification("logs", k))
		}
		var out, log bytes.Buffer
		e := env(m, sink.NewWriter(&out))
		e.Options.Workers = 1 // one order of objects
		e.HeldMemory = held
		e.Limits.MaxRecordBytes = 4096
		e.Log = logging.NewScript(&log, 0)
		tg := target(m, "buckets", fmt.Sprint("held", i))
		tg.SkipOnError = true
		tg.DiscardField, tg.DiscardRegex = "action", "drop"
		if err := Run(context.Background(), tg, e); err != nil {
			t.Fatal(err)
		}
		frames[i], logs[i] = out.String(), log.String()
	}
	if frames[0] != frames[1] {
		t.Errorf("two-pass sending differs:\n%.500s\nwant\n%.500s", frames[1], frames[0])
	}
	// The regex matches at the start of a line (re.match): no line of
	// notjson.log is discarded.
	for k, want := range map[string]int{"e.json": 334, "t.log": 500, "x.jsonl.gz": 500, "c.csv": 300, "notjson.log": 501} {
		if n := strings.Count(frames[0], `"log_file": "`+k+`"`); n != want {
			t.Errorf("%s: %d events sent, want %d", k, n, want)
		}
	}
	if strings.Contains(frames[0], "late.json") || strings.Contains(frames[0], "broken-utf8.gz") {
		t.Errorf("events of a failed object were sent")
	}
	for _, want := range []string{
		fmt.Sprintf("ERROR: Failed to parse file late.json: LimitError('record at byte %d is larger than 4096 bytes (MaxRecordBytes)'); the SQS message was left in the queue", js.Len()),
		"ERROR: Failed to parse file broken-utf8.gz: UnicodeDecodeError('utf-8', b'{",
	} {
		for i := range logs {
			if !strings.Contains(logs[i], want) {
				t.Errorf("run %d: no %q in the log:\n%.300s", i, want, logs[i])
			}
		}
	}
}

func targetOf(typ string) config.Target { return config.Target{Type: typ} }

// cutReader returns the first n bytes of r, then fails: the proxy then
// aborts the response, and the client sees a body cut short.
type cutReader struct {
	r io.ReadCloser
	n int
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errors.New("cut")
	}
	if len(p) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}

func (c *cutReader) Close() error { return c.r.Close() }

// A body cut mid-transfer is a transport failure: nothing of the object
// is sent, its message is not deleted, and the next run delivers it.
func TestCutBodyKeepsMessage(t *testing.T) {
	m := startMoto(t)
	m.bucket(t, "logs")
	var text strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&text, `{"detail":{"n":%d}}`, i)
	}
	m.put(t, "logs", "cut.json", []byte(text.String()))
	u, _ := url.Parse(m.url)
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	proxy.ModifyResponse = func(r *http.Response) error {
		if r.Request.Method == http.MethodGet && strings.HasSuffix(r.Request.URL.Path, "/cut.json") {
			r.Body = &cutReader{r: r.Body, n: text.Len() / 2}
		}
		return nil
	}
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	qurl := m.queue(t, "cut", 1)
	m.send(t, qurl, notification("logs", "cut.json"))

	var out, logs bytes.Buffer
	e := env(m, sink.NewWriter(&out))
	e.Log = logging.NewScript(&logs, 0)
	tg := target(m, "buckets", "cut")
	tg.SkipOnError = true
	tg.ServiceEndpoint = srv.URL
	if err := Run(context.Background(), tg, e); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("a cut object sent %d bytes of events", out.Len())
	}
	if !strings.Contains(logs.String(), "ERROR: Could not get the object cut.json in bucket logs: ") {
		t.Errorf("log:\n%s", logs.String())
	}
	time.Sleep(1100 * time.Millisecond) // the message's visibility timeout
	tg.ServiceEndpoint = m.url
	if err := Run(context.Background(), tg, e); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 2000 {
		t.Fatalf("the rerun sent %d events, want 2000", n)
	}
	time.Sleep(1100 * time.Millisecond)
	if left := m.visible(t, qurl); len(left) != 0 {
		t.Errorf("left in the queue: %q", left)
	}
}
