package decode

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// small is tight enough to trip with a few dozen bytes.
var small = Limits{MaxRecordBytes: 64, MaxRecordValues: 16, MaxDepth: 4, MaxLineBytes: 80}

func TestLimits(t *testing.T) {
	long := strings.Repeat("x", 100)
	waf := `{"httpRequest":{"headers":[]}}`
	tests := []struct {
		name, typ, key, in string
		events             int    // emitted before the failure
		err                string // Message() of the *Error; "" when none
	}{
		{"cloudtrail records under the limit", "cloudtrail", "a",
			`{"Records": [` + strings.Repeat(`{"eventName":"GetObject"},`+"\n      ", 40) + `{"eventName":"x"}]}`, 41, ""},
		{"cloudtrail record bytes", "cloudtrail", "a",
			`{"Records": [{"a":1}, {"eventName":"` + long + `"}]}`, 1,
			`Failed to parse file a: LimitError('record at byte 22 is larger than 64 bytes (MaxRecordBytes)')`},
		{"cloudtrail record values", "cloudtrail", "a",
			`{"Records": [{"a":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}]}`, 0,
			`Failed to parse file a: LimitError('record at byte 13 holds more than 16 JSON values (MaxRecordValues)')`},
		{"cloudtrail depth", "cloudtrail", "a", `{"Records": [[[[[[1]]]]]]}`, 0,
			`Failed to parse file a: LimitError('record at byte 13 is nested deeper than 4 levels (MaxDepth)')`},
		{"cloudtrail other member", "cloudtrail", "a", `{"x": "` + long + `", "Records": []}`, 0,
			`Failed to parse file a: LimitError('record at byte 6 is larger than 64 bytes (MaxRecordBytes)')`},
		{"config item", "config", "a", `{"configurationItems": [{"x":"` + long + `"}]}`, 0,
			`Failed to parse file a: LimitError('record at byte 24 is larger than 64 bytes (MaxRecordBytes)')`},
		{"custom events", "custom", "a",
			`{"source":"aws.a","detail":{"k":1}}` + strings.Repeat(" ", 4000) + "\n" + `{"source":"aws.b","detail":{}}` + strings.Repeat("\n", 4000), 2, ""},
		{"custom event bytes", "custom", "a",
			`{"source":"aws.a","detail":{"k":1}}` + "\n" + `{"source":"aws.b","detail":{"k":"` + long + `"}}`, 1,
			`Failed to parse file a: LimitError('record at byte 36 is larger than 64 bytes (MaxRecordBytes)')`},
		{"custom rows", "custom", "a", "x2 1 e s d 1 2 6 1 1 0 60 " + long + "\n", 0,
			`Failed to parse file a: LimitError('line at byte 0 is longer than 80 bytes (MaxLineBytes)')`},
		{"waf line", "waf", "a", waf + "\n" + waf + strings.Repeat(" ", 60) + "\n", 1,
			`Failed to parse file a: LimitError('line at byte 31 is longer than 80 bytes (MaxLineBytes)')`},
		{"waf value", "waf", "a", `{"httpRequest":{"headers":[{"name":"a","value":"` + long[:25] + `"}]}}` + "\n", 0,
			`Failed to parse file a: LimitError('record at byte 0 is larger than 64 bytes (MaxRecordBytes)')`},
		{"guardduty jsonl", "guardduty", "a.jsonl.gz",
			`{"service":{"serviceName":"guardduty"}}` + "\n" + `{"service":{"serviceName":"` + long[:40] + `"}}` + "\n", 1,
			`Failed to parse file a.jsonl.gz: LimitError('record at byte 0 is larger than 64 bytes (MaxRecordBytes)')`},
		{"server access", "server_access", "a", "owner bucket [t +0000] 1.2.3.4 " + long + "\n", 0,
			`Failed to parse file a: LimitError('line at byte 0 is longer than 80 bytes (MaxLineBytes)')`},
		{"vpc rows", "vpcflow", "a", "2 1 e s d 1 2 6 1 1 0 60 A OK\n" + strings.Repeat(" ", 100) + "\n", 1,
			`Failed to parse file a: LimitError('line at byte 30 is longer than 80 bytes (MaxLineBytes)')`},
		{"vpc fields", "vpcflow", "a", "2 1 e s d 1 2 6 1 1 0 60 A OK\n" + strings.Repeat("a ", 20) + "\n", 1,
			`Failed to parse file a: LimitError('line at byte 30 has more than 16 fields (MaxRecordValues)')`},
		{"alb delimiters only", "alb", "a", strings.Repeat(`"" `, 40) + "\n", 0,
			`Failed to parse file a: LimitError('line at byte 0 is longer than 80 bytes (MaxLineBytes)')`},
		{"clb quoted newlines", "clb", "a", `t e "` + strings.Repeat("\n", 100) + `"` + "\n", 0,
			`Failed to parse file a: LimitError('line at byte 0 is longer than 80 bytes (MaxLineBytes)')`},
		{"nlb", "nlb", "a", "tls 2.0 " + long + "\n", 0,
			`Failed to parse file a: LimitError('line at byte 0 is longer than 80 bytes (MaxLineBytes)')`},
		{"umbrella", "cisco_umbrella", "a", "a," + long + "\n", 0,
			`Failed to parse file a: LimitError('line at byte 0 is longer than 80 bytes (MaxLineBytes)')`},
	}
	for _, tt := range tests {
		for _, split := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tt.in)
			if split {
				r = iotest.OneByteReader(r)
			}
			text := r
			if !strings.HasSuffix(tt.key, ".gz") {
				var err error
				if text, err = Open(tt.key, r); err != nil {
					t.Fatal(err)
				}
			}
			n := 0
			err := Events(tt.typ, tt.key, text, Options{Limits: small, Prefix: "dnslogs", SkipOnError: true},
				func(*pyjson.Object) error { n++; return nil })
			if n != tt.events {
				t.Errorf("%s: %d events, want %d", tt.name, n, tt.events)
			}
			if tt.err == "" {
				if err != nil {
					t.Errorf("%s: %v", tt.name, err)
				}
				continue
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%s: err = %v, want %s", tt.name, err, tt.err)
				continue
			}
			// The engine's content-error path: class Parse, not fatal
			// in the parser, so skip_on_error skips it and exit 9 without.
			if e.Message() != tt.err || e.Class != Parse || e.Fatal {
				t.Errorf("%s: %q (class %v, fatal %v), want %q", tt.name, e.Message(), e.Class, e.Fatal, tt.err)
			}
		}
	}
}

// The default limits leave ordinary objects alone; the corpus tests cover
// real data, this covers a single large but legitimate record.
func TestDefaultLimitsAcceptLargeRecord(t *testing.T) {
	policy := `{"Version":"2012-10-17","Statement":[` +
		strings.Repeat(`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket/*"},`, 5000) +
		`{"Effect":"Deny","Action":"*","Resource":"*"}]}`
	in := `{"Records":[{"eventName":"PutBucketPolicy","requestParameters":{"bucketName":"b","policy":` + policy + `}}]}`
	n := 0
	err := Events("cloudtrail", "a", strings.NewReader(in), Options{}, func(*pyjson.Object) error { n++; return nil })
	if err != nil || n != 1 {
		t.Fatalf("%d events, err %v", n, err)
	}
}

// A hostile object fails early and cheaply: a gzip of one endless JSON
// string is refused after about the limit, not read to its end.
func TestLimitStopsReading(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"Records":["`))
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for i := 0; i < 256; i++ { // 256 MiB of string
		zw.Write(chunk)
	}
	zw.Write([]byte(`"]}`))
	zw.Close()
	body := &countingReader{r: bytes.NewReader(gz.Bytes())}
	text, err := Open("a.json.gz", body)
	if err != nil {
		t.Fatal(err)
	}
	err = Events("cloudtrail", "a.json.gz", text, Options{Limits: Limits{MaxRecordBytes: 1 << 20}}, func(*pyjson.Object) error { return nil })
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Message(), "(MaxRecordBytes)") {
		t.Fatalf("err = %v", err)
	}
	if body.n > int64(gz.Len())/8 {
		t.Errorf("read %d of %d compressed bytes before refusing the record", body.n, gz.Len())
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// macieReader makes the reference's substitution whatever the reads.
func TestMacieReaderSplits(t *testing.T) {
	in := `{"source":"aws.macie","detail":{"l":{"lat":012.50,"lon":-0003.25}}}` + "\n" +
		`{"source":"aws.macie","detail":{"s":"\"lat\":01.5","l":{"lat":00.5,"lon":01.0},"m":"\"lat\":"}}` +
		`{"source":"aws.macie","detail":{"lat":0` + strings.Repeat("0", 300) + `1.5}}`
	want := `{"source":"aws.macie","detail":{"l":{"lat":12.5,"lon":-3.25}}}` + "\n" +
		`{"source":"aws.macie","detail":{"s":"\"lat\":01.5","l":{"lat":12.5,"lon":-3.25},"m":"\"lat\":"}}` +
		`{"source":"aws.macie","detail":{"lat":0` + strings.Repeat("0", 300) + `1.5}}`
	for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in)), iotest.HalfReader(strings.NewReader(in))} {
		got, err := io.ReadAll(&macieReader{r: r})
		if err != nil || string(got) != want {
			t.Errorf("got %s, %v\nwant %s", got, err, want)
		}
	}
}

// A server access line of the longest size allowed costs time and memory
// in proportion to the line, not to its number of tokens.
func TestServerAccessLongLines(t *testing.T) {
	for _, line := range []string{
		strings.Repeat(" ", DefaultMaxLineBytes-1),
		"a [" + strings.Repeat("b ", DefaultMaxLineBytes/2-4),
		strings.Repeat("a ", DefaultMaxLineBytes/2-1),
	} {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		Events("server_access", "a", strings.NewReader(line+"\n"), Options{}, func(*pyjson.Object) error { return nil })
		runtime.ReadMemStats(&m1)
		// The line is copied a few times (reader, string); not per token.
		if n := m1.TotalAlloc - m0.TotalAlloc; n > 10*DefaultMaxLineBytes || m1.Mallocs-m0.Mallocs > 1000 {
			t.Errorf("%.20q...: %d bytes in %d allocations", line, n, m1.Mallocs-m0.Mallocs)
		}
	}
	vals, _ := serverAccessTokens("a b [c d] e f\n", 3)
	if strings.Join(vals, "|") != "a|b|c d|e" {
		t.Errorf("keep 3: %q", vals)
	}
}
