package event

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

const (
	rawKey     = "AWSLogs/123456789012/CloudTrail/us-east-1/2024/11/19/123456789012_CloudTrail_us-east-1_20241119T0005Z_abc.json.gz"
	rawAccount = "123456789012"
)

// rawCases are records the fast path must encode exactly as the tree
// path does, or decline: every rule of the envelope and of the CloudTrail
// reformatting, and JSON that json.dumps does not print as read.
var rawCases = []string{
	`{}`,
	`{"a":1}`,
	`{ "a" : [ 1 , 2 ] , "b" :{ } ,"c":[ ]}`,
	`{"eventVersion":"1.08","sourceIPAddress":"203.0.113.10","requestParameters":null,"responseElements":null}`,
	`{"sourceIPAddress":"1.2.3.4x"}`, `{"sourceIPAddress":"1a2.3.4"}`, `{"sourceIPAddress":"12.34-5_6"}`,
	`{"sourceIPAddress":"lambda.amazonaws.com"}`, `{"sourceIPAddress":""}`, `{"sourceIPAddress":null}`,
	`{"sourceIPAddress":["1.2.3.4"]}`, `{"sourceIPAddress":1}`, `{"sourceIPAddress":"\u0661.2.3.4"}`, `{"sourceIPAddress":"1.2.3.4\n"}`,
	`{"a":null,"b":{"c":null,"d":{"e":null,"f":1}},"g":[null],"h":[{"i":null}],"j":[[null]],"k":[null,null]}`,
	`{"a":[1],"b":{"c":["x"],"d":[{"e":[1]}]},"f":[[1]],"g":[[1],[2]]}`,
	`{"tags":"x"}`, `{"tags":["x"]}`, `{"tags":[{"a":null,"b":[1]}]}`, `{"tags":{"a":null,"b":[1]}}`, `{"tags":[1,2]}`, `{"tags":null}`, `{"tags":[null]}`, `{"tags":[]}`,
	`{"requestParameters":"x"}`, `{"responseElements":1}`, `{"additionalEventData":[]}`, `{"additionalEventData":[{"a":null,"b":[1]}]}`,
	`{"requestParameters":{"disableApiTermination":true,"x":null}}`,
	`{"requestParameters":{"disableApiTermination":false}}`,
	`{"requestParameters":{"disableApiTermination":[false]}}`,
	`{"requestParameters":{"disableApiTermination":[{"a":null,"b":[1]}]}}`,
	`{"requestParameters":{"disableApiTermination":{"a":null,"b":[1]}}}`,
	`{"requestParameters":{"disableApiTermination":null}}`,
	`{"requestParameters":{"disableApiTermination":[null]}}`,
	`{"requestParameters":{"disableApiTermination":"yes"}}`,
	`{"requestParameters":{"disableApiTermination":{}}}`,
	`{"requestParameters":[{"disableApiTermination":true}]}`,
	`{"requestParameters":[{"a":[1],"b":null}]}`,
	`{"a":1,"a":2}`, `{"a":{"b":1,"b":null}}`, `{"a":[{"b":1,"b":2}]}`, `{"a":1,"\u0061":2}`,
	`{"source":"x"}`, `{"log_info":null}`, `{"aws_account_id":"1"}`, `{"source_ip_address":"1.2.3.4"}`, `{"\u0073ource":"x"}`, `{"integration":"x","aws":1}`,
	`{"n":[-0,0,-1,12345678901234567890123456789,1.0,1e5,1E-7,-0.0,0.1,1e400,NaN,Infinity,-Infinity,5e-324,1.5e+3]}`,
	`{"n":-0,"m":1.10,"o":{"p":-0}}`,
	`{"s":"caf\u00e9","t":"é","u":"\ud83d\ude00","v":"\ud800","w":"\udc00\ud800","x":"\"\\\/\b\f\n\r\t","y":"\u0000\u001f\u007f","z":"` + "\x7f" + `"}`,
	`{"caf\u00e9":1,"é":{"\n":[1]}}`,
	`{"a":[{"b":[{"c":[{"d":[{"e":null}]}]}]}],"f":{"g":{"h":{"i":{"j":[null]}}}}}`,
	`[1,2]`, `"x"`, `null`, `1`, `[["a","b"]]`,
}

// rawSeeds returns rawCases, the records of the CloudTrail seed document
// and the events of the seed corpus, as record texts.
func rawSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, s := range rawCases {
		out = append(out, []byte(s))
	}
	fh, err := os.Open(filepath.Join("..", "decode", "testdata", "seeds", "cloudtrail"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := pyjson.NewDecoder(fh).DecodeStreamingRaw("Records", func(raw []byte) error {
		out = append(out, bytes.Clone(raw))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ev, err := os.Open(filepath.Join("testdata", "seeds", "events.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	sc := bufio.NewScanner(ev)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		typ, rec, ok := strings.Cut(sc.Text(), "\t")
		if ok && (typ == "cloudtrail" || typ == "*") {
			out = append(out, []byte(rec))
		}
	}
	return append(out, []byte(benchRecord))
}

// sameTokens checks that the tokens the decoder makes of rec, a valid
// JSON value, are those of the encoder's own scan, and that EncodeTokens
// gives what Encode gave: got, ok.
func sameTokens(t *testing.T, e *RawEncoder, rec, got []byte, ok bool) {
	t.Helper()
	doc := append(append([]byte(`{"Records":[`), rec...), "]}"...)
	var raw []byte
	var toks []pyjson.Token
	if _, err := pyjson.NewDecoderBytes(doc).DecodeStreamingTokens("Records", e.Tokens(), func(r []byte, tk []pyjson.Token) error {
		raw, toks = r, slices.Clone(tk)
		return nil
	}); err != nil || raw == nil {
		t.Fatalf("DecodeStreamingTokens of %q: %v", doc, err)
	}
	if bytes.Equal(raw, rec) {
		if want, _, scanned := scan(rec, nil, nil); scanned && !slices.Equal(toks, want) {
			t.Fatalf("tokens of %q:\ndecoder %v\nscan    %v", rec, toks, want)
		}
	}
	got2, ok2 := e.EncodeTokens(raw, toks)
	if ok2 != ok || !bytes.Equal(got2, got) {
		t.Fatalf("record %q: EncodeTokens = %q, %v; Encode = %q, %v", rec, got2, ok2, got, ok)
	}
}

func rawBuilder() (*Builder, *recLog) {
	log := &recLog{level: 3}
	return &Builder{Type: "cloudtrail", Bucket: "wazuh-cloudtrail-logs", Alias: "prod", Log: log}, log
}

// checkRaw encodes rec on the fast path and, when it does not decline,
// compares its bytes with those of the tree path (pyjson.Unmarshal, the
// parser's "source", Messages, AppendEncode). It reports whether the fast
// path encoded rec.
func checkRaw(t *testing.T, rec []byte) bool {
	t.Helper()
	b, log := rawBuilder()
	e := b.NewRawEncoder(rawKey, rawAccount)
	// Released encoders serve the next records: the fuzz tests check
	// that nothing of a record leaks into the next one's message.
	defer e.Release()
	v, err := pyjson.Unmarshal(rec)
	got, ok := e.Encode(rec)
	got = bytes.Clone(got)
	if err == nil {
		sameTokens(t, e, rec, got, ok)
	}
	if err != nil || !ok {
		return false
	}
	if len(log.lines) != 0 {
		t.Fatalf("Encode logged %q", log.lines)
	}
	o, isObj := v.(*pyjson.Object)
	if !isObj {
		t.Fatalf("Encode(%s) = %s for a record that is not an object", rec, got)
	}
	o.Set("source", "cloudtrail")
	msgs, err := b.Messages(rawKey, rawAccount, o)
	if err != nil {
		t.Fatalf("Encode(%s) = %s, but Messages fails: %v", rec, got, err)
	}
	if len(msgs) != 1 {
		t.Fatalf("Encode(%s) = %s, but Messages returns %d messages", rec, got, len(msgs))
	}
	want, trimmed := AppendEncode(nil, msgs[0])
	if trimmed {
		t.Fatalf("Encode(%s) = %s, but the tree path trims the event", rec, got)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Encode(%s)\n got %s\nwant %s", rec, got, want)
	}
	if l := log.text(); l != "DEBUG3: ++ Reformat message" {
		t.Fatalf("Encode(%s) = %s, but the tree path logs %q", rec, got, l)
	}
	return true
}

func TestRawEncoderMatchesTree(t *testing.T) {
	for _, rec := range rawSeeds(t) {
		checkRaw(t, rec)
	}
}

// TestRawEncoderTaken checks that typical CloudTrail records and the
// rules the fast path implements do not fall back, and that what it must
// not encode does.
func TestRawEncoderTaken(t *testing.T) {
	b, _ := rawBuilder()
	e := b.NewRawEncoder(rawKey, rawAccount)
	fh, err := os.Open(filepath.Join("..", "decode", "testdata", "seeds", "cloudtrail"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	n := 0
	if _, err := pyjson.NewDecoder(fh).DecodeStreamingRaw("Records", func(raw []byte) error {
		n++
		if !checkRaw(t, raw) {
			t.Errorf("record %d fell back: %s", n, raw)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no seed record")
	}
	taken := []string{
		benchRecord[:strings.LastIndex(benchRecord, `, "source"`)] + "}",
		`{"sourceIPAddress":"203.0.113.10"}`,
		`{"sourceIPAddress":"lambda.amazonaws.com"}`,
		`{"a":null,"b":{"c":null},"g":[null],"h":[{"i":null}]}`,
		`{"tags":"x"}`, `{"tags":[1,2]}`,
		`{"requestParameters":{"disableApiTermination":true}}`,
		`{"n":[-0,1.5,NaN,123456789012345678901234567890]}`,
		`{"s":"caf\u00e9\ud800","caf\u00e9":"é"}`,
		`{"additionalEventData":[{"a":null}]}`,
	}
	for _, rec := range taken {
		if !checkRaw(t, []byte(rec)) {
			t.Errorf("fell back: %s", rec)
		}
	}
	declined := []string{
		`{"a":1,"a":2}`, `{"a":{"b":1,"\u0062":2}}`,
		`{"source":"x"}`, `{"log_info":1}`, `{"aws_account_id":"1"}`, `{"source_ip_address":"x"}`,
		`{"sourceIPAddress":1}`, `{"sourceIPAddress":"\u0661.2.3.4"}`,
		`{"requestParameters":"x"}`, `{"responseElements":[]}`,
		`{"requestParameters":{"disableApiTermination":"x"}}`,
		`[1]`,
		`{"big":"` + strings.Repeat("x", MaxEvent) + `"}`,
	}
	for _, rec := range declined {
		if data, ok := e.Encode([]byte(rec)); ok {
			t.Errorf("Encode(%.80s) = %.80s, want a fallback", rec, data)
		}
	}
}

// FuzzRawEncoder checks that whenever the fast path encodes a record, its
// bytes are the tree path's, byte for byte.
func FuzzRawEncoder(f *testing.F) {
	for _, rec := range rawSeeds(f) {
		f.Add(rec)
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		checkRaw(t, rec)
	})
}

// BenchmarkRawEncode and BenchmarkTreeEncode compare the two paths for
// one typical record, from its text to the message's bytes.
func BenchmarkRawEncode(b *testing.B) {
	rec := []byte(benchRecord[:strings.LastIndex(benchRecord, `, "source"`)] + "}")
	bl := &Builder{Type: "cloudtrail", Bucket: "wazuh-cloudtrail-logs"}
	e := bl.NewRawEncoder(rawKey, rawAccount)
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if _, ok := e.Encode(rec); !ok {
			b.Fatal("fell back")
		}
	}
}

// BenchmarkRawEncodeTokens is BenchmarkRawEncode with the tokens the
// decoder made while checking the record: the encoder's share of the
// work when it does not scan the record itself.
func BenchmarkRawEncodeTokens(b *testing.B) {
	rec := []byte(benchRecord[:strings.LastIndex(benchRecord, `, "source"`)] + "}")
	bl := &Builder{Type: "cloudtrail", Bucket: "wazuh-cloudtrail-logs"}
	e := bl.NewRawEncoder(rawKey, rawAccount)
	var toks []pyjson.Token
	pyjson.NewDecoderBytes([]byte(`{"Records":[`+string(rec)+`]}`)).DecodeStreamingTokens("Records", nil, func(_ []byte, t []pyjson.Token) error {
		toks = slices.Clone(t)
		return nil
	})
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if _, ok := e.EncodeTokens(rec, toks); !ok {
			b.Fatal("fell back")
		}
	}
}

// BenchmarkCheckEncode is a CloudTrail document of 500 records checked
// and encoded: by a second scan of each record (scan) or from the tokens
// the check made (tokens).
func BenchmarkCheckEncode(b *testing.B) {
	rec := benchRecord[:strings.LastIndex(benchRecord, `, "source"`)] + "}"
	doc := []byte(`{"Records":[` + strings.Repeat(rec+",", 499) + rec + `]}`)
	bl := &Builder{Type: "cloudtrail", Bucket: "wazuh-cloudtrail-logs"}
	e := bl.NewRawEncoder(rawKey, rawAccount)
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			if _, err := pyjson.NewDecoder(bytes.NewReader(doc)).DecodeStreamingRaw("Records", func(r []byte) error {
				if _, ok := e.Encode(r); !ok {
					b.Fatal("fell back")
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tokens", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			if _, err := pyjson.NewDecoder(bytes.NewReader(doc)).DecodeStreamingTokens("Records", e.Tokens(), func(r []byte, t []pyjson.Token) error {
				if _, ok := e.EncodeTokens(r, t); !ok {
					b.Fatal("fell back")
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkTreeEncode(b *testing.B) {
	rec := []byte(benchRecord[:strings.LastIndex(benchRecord, `, "source"`)] + "}")
	bl := &Builder{Type: "cloudtrail", Bucket: "wazuh-cloudtrail-logs"}
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	var dst []byte
	for b.Loop() {
		d := pyjson.NewDecoderBytes(rec)
		v, err := d.Decode()
		if err != nil {
			b.Fatal(err)
		}
		o := v.(*pyjson.Object)
		o.Set("source", "cloudtrail")
		msgs, err := bl.Messages(rawKey, rawAccount, o)
		if err != nil {
			b.Fatal(err)
		}
		dst, _ = AppendEncode(dst[:0], msgs[0])
	}
}

// TestRawEncoderCorpus runs the CloudTrail records of the reference corpus
// (AWS_S3_CORPUS, default ../shared/corpus from the repository) through
// both paths: equal bytes, and the fast path taken for nearly all.
func TestRawEncoderCorpus(t *testing.T) {
	dir := os.Getenv("AWS_S3_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "cloudtrail_*", "objects", "*", "AWSLogs", "*", "CloudTrail", "*", "*", "*", "*", "*.json.gz"))
	if len(files) == 0 {
		t.Skipf("no CloudTrail objects under %s", dir)
	}
	total, fast := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			continue // the corpus's broken objects
		}
		pyjson.NewDecoder(zr).DecodeStreamingRaw("Records", func(raw []byte) error {
			total++
			if checkRaw(t, raw) {
				fast++
			}
			return nil
		})
	}
	t.Logf("%d objects, %d records, %d on the fast path", len(files), total, fast)
	if total == 0 || fast < total*95/100 {
		t.Errorf("%d of %d records on the fast path", fast, total)
	}
}

// genRecord builds a JSON record from fuzz bytes, out of the keys and
// values the rules care about, so that the fuzzer explores the rules
// rather than JSON syntax.
type genRecord struct {
	in    []byte
	depth int
}

var genKeys = []string{
	"sourceIPAddress", "tags", "requestParameters", "responseElements", "additionalEventData",
	"disableApiTermination", "eventName", "a", "b", "value", "string", "source", "log_info",
	"aws_account_id", "source_ip_address", "integration", `\u0061`, "caf\u00e9", `t\u0061gs`,
}

var genStrings = []string{
	`""`, `"x"`, `"1.2.3.4"`, `"10.0.0.1x"`, `"1a2.3.4"`, `"lambda.amazonaws.com"`, `"\u0661.2.3.4"`,
	`"a\"b"`, `"\/"`, `"\u00e9"`, `"é"`, `"\ud800"`, `"\ud83d\ude00"`, "\"\x7f\"", `"\n"`, `"None"`,
}

var genNumbers = []string{"0", "-0", "1", "-12", "123456789012345678901234567890", "1.5", "-0.0", "1e5", "1E-7", "NaN", "-Infinity", "1e400"}

func (g *genRecord) next() int {
	if len(g.in) == 0 {
		return 0
	}
	c := int(g.in[0])
	g.in = g.in[1:]
	return c
}

func (g *genRecord) value(b []byte) []byte {
	c := g.next()
	if g.depth > 6 {
		c %= 5
	}
	switch c % 8 {
	case 0:
		return append(b, "null"...)
	case 1:
		if c&8 != 0 {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case 2:
		return append(b, genNumbers[(c>>3)%len(genNumbers)]...)
	case 3, 4:
		return append(b, genStrings[(c>>3)%len(genStrings)]...)
	case 5:
		g.depth++
		defer func() { g.depth-- }()
		n := (c >> 3) % 4
		b = append(b, '[')
		for i := 0; i < n; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = g.value(b)
		}
		return append(b, ']')
	default:
		return g.object(b, (c>>3)%5)
	}
}

func (g *genRecord) object(b []byte, n int) []byte {
	g.depth++
	defer func() { g.depth-- }()
	b = append(b, '{')
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, genKeys[g.next()%len(genKeys)]...)
		b = append(b, `":`...)
		b = g.value(b)
	}
	return append(b, '}')
}

// FuzzRawEncoderRecords is FuzzRawEncoder on generated records.
func FuzzRawEncoderRecords(f *testing.F) {
	f.Add([]byte{8, 0, 2, 3, 5, 1, 14, 5, 6, 2, 9, 1, 7, 9, 0x1d, 4, 8, 13})
	f.Add([]byte("\x10requestParameters\x05\x0e\x06\x01"))
	f.Add([]byte{255, 254, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Fuzz(func(t *testing.T, in []byte) {
		g := &genRecord{in: in}
		rec := g.object(nil, 1+g.next()%8)
		checkRaw(t, rec)
	})
}

// TestRawEncoderReuse checks that a released encoder taken again for
// another object writes that object's envelope.
func TestRawEncoderReuse(t *testing.T) {
	b, _ := rawBuilder()
	rec := []byte(strings.Replace(benchRecord, `, "source": "cloudtrail"`, "", 1))
	var prev []byte
	for i, key := range []string{rawKey, "AWSLogs/999988887777/CloudTrail/eu-west-1/2024/11/20/x.json.gz", rawKey} {
		e := b.NewRawEncoder(key, fmt.Sprint(i))
		got, ok := e.Encode(rec)
		if !ok {
			t.Fatalf("object %d: Encode declined", i)
		}
		if !bytes.Contains(got, []byte(`"log_file": "`+key+`"`)) || !bytes.HasSuffix(got, []byte(fmt.Sprintf(`"aws_account_id": "%d", "source_ip_address": "203.0.113.10"}}`, i))) {
			t.Fatalf("object %d: %s", i, got)
		}
		if bytes.Equal(got, prev) {
			t.Fatalf("object %d: the previous object's message", i)
		}
		prev = bytes.Clone(got)
		e.Release()
	}
}

// TestRawEncoderReleaseBound checks that an encoder whose buffers grew
// for one huge record is not kept for the next object.
func TestRawEncoderReleaseBound(t *testing.T) {
	b, _ := rawBuilder()
	huge := []byte(`{"eventName": "` + strings.Repeat("x", 2*keepBytes) + `", "items": [` + strings.Repeat("1, ", 2*keepTokens) + `1]}`)
	for range 10 {
		e := b.NewRawEncoder(rawKey, rawAccount)
		if cap(e.out) > keepBytes || cap(e.toks) > keepTokens {
			t.Fatalf("a pooled encoder kept %d bytes and %d tokens", cap(e.out), cap(e.toks))
		}
		e.Encode(huge) // declined (larger than MaxEvent), after growing
		if cap(e.out) <= keepBytes || cap(e.toks) <= keepTokens {
			t.Fatalf("the buffers did not grow: %d bytes, %d tokens", cap(e.out), cap(e.toks))
		}
		e.Release()
	}
}
