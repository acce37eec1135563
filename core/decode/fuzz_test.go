package decode

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/wazuh/aws-s3-go/core/kind"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

var fuzzSuffixes = []string{".log", ".gz", ".zip", ".zst"}

var fuzzPrefixes = []string{"umbrella/dnslogs/", "umbrella/proxylogs/", "umbrella/iplogs/", ""}

// fuzzZstd is shared by the fuzz workers: an encoder costs megabytes.
var fuzzZstd = sync.OnceValues(func() (*zstd.Encoder, error) {
	return zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
})

var errFuzzStop = errors.New("fuzz: stop")

// fuzzWrap compresses text the way the key's suffix says, so that the
// parsers see fuzzed text behind every decompressor.
func fuzzWrap(t *testing.T, suffix string, text []byte) []byte {
	var b bytes.Buffer
	switch suffix {
	case ".gz":
		w := gzip.NewWriter(&b)
		w.Write(text)
		w.Close()
	case ".zip":
		w := zip.NewWriter(&b)
		fw, err := w.Create("member.log")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(text)
		w.Close()
	case ".zst":
		enc, err := fuzzZstd()
		if err != nil {
			t.Fatal(err)
		}
		return enc.EncodeAll(text, nil)
	default:
		return text
	}
	return b.Bytes()
}

// FuzzEvents opens fuzzed bodies under every suffix, either as they are
// (fuzzing the decompressors) or compressed by the test (fuzzing the
// parsers behind them), and parses them as every bucket type. Nothing may
// panic; every failure must be an *Error, except emit's own error, which
// must come back unchanged; every event must encode to JSON that decodes.
//
// Argument bits: mode&3 picks the suffix, mode&4 compresses the body,
// mode&8 sets SkipOnError, mode&16 names the key .jsonl (GuardDuty's native
// layout), mode&32 stops emit after the first event, mode>>6 picks the
// Cisco Umbrella prefix.
func FuzzEvents(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "seeds", "*"))
	for _, p := range seeds {
		text, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		name := filepath.Base(p)
		typ := strings.TrimSuffix(name, ".jsonl")
		ti := -1
		for i, tt := range kind.Names() {
			if tt == typ {
				ti = i
			}
		}
		if ti < 0 {
			f.Fatalf("seed %s: unknown type", p)
		}
		mode := uint8(0)
		if name != typ {
			mode |= 16
		}
		f.Add(uint8(ti), mode, text)           // plain
		f.Add(uint8(ti), mode|1|4, text)       // gzip
		f.Add(uint8(ti), mode|1|4|8|32, text)  // gzip, skip_on_error, stop
		f.Add(uint8(ti), mode|2|4|64, text)    // zip, proxylogs
		f.Add(uint8(ti), mode|3|4|8|128, text) // zstd, iplogs
	}
	f.Add(uint8(0), uint8(1), []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"))
	f.Add(uint8(3), uint8(2), []byte("PK definitely not a zip"))
	f.Add(uint8(5), uint8(0), []byte("{\"a\":1}{\"b\":\n{\"c\":[1]}\n"))
	f.Add(uint8(6), uint8(0), []byte("h2 x y \"unterminated\r\n\r\xff\n"))
	f.Fuzz(func(t *testing.T, ti, mode uint8, body []byte) {
		typ := kind.Names()[int(ti)%len(kind.Names())]
		suffix := fuzzSuffixes[mode&3]
		if mode&4 != 0 {
			body = fuzzWrap(t, suffix, body)
		}
		prefix := fuzzPrefixes[mode>>6]
		key := prefix + "AWSLogs/111122223333/x/us-east-1/2024/11/20/file"
		if mode&16 != 0 {
			key += ".jsonl"
		}
		key += suffix

		opt := Options{SkipOnError: mode&8 != 0, Prefix: prefix}
		stop := mode&32 != 0
		events, outcome := fuzzRun(t, typ, key, bytes.NewReader(body), opt, stop, false)
		// Reading one byte at a time must not change anything: the
		// decompressors, the text layer and the parsers refill buffers at
		// every byte.
		events1, outcome1 := fuzzRun(t, typ, key, iotest.OneByteReader(bytes.NewReader(body)), opt, stop, true)
		// Only how many events precede a failure may change: Events
		// streams, and a failure stops it wherever the reads stand.
		agree := true
		for i := range min(len(events), len(events1)) {
			agree = agree && events[i] == events1[i]
		}
		same := agree && len(events) == len(events1)
		if outcome != outcome1 || !agree || !same && (outcome == "ok" || outcome == "stopped") {
			t.Fatalf("one-byte reads differ:\n%d events, %s\n%d events, %s", len(events), outcome, len(events1), outcome1)
		}
	})
}

// fuzzRun opens body and parses it, returning the encoded events and a
// description of how it ended, after checking the error contract.
func fuzzRun(t *testing.T, typ, key string, body io.Reader, opt Options, stop, oneByte bool) ([]string, string) {
	text, err := Open(key, body)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Open error %T %v: not an *Error", err, err)
		}
		return nil, "open: " + e.Message()
	}
	defer text.Close()
	var r io.Reader = text
	if oneByte {
		r = iotest.OneByteReader(text)
	}
	var events []string
	err = Events(typ, key, r, opt, func(o *pyjson.Object) error {
		enc := pyjson.Marshal(o)
		if _, err := pyjson.Unmarshal(enc); err != nil {
			t.Fatalf("event %s does not decode: %v", enc, err)
		}
		if !o.Has("source") {
			t.Fatalf("event %s has no source", enc)
		}
		events = append(events, string(enc))
		if stop {
			return errFuzzStop
		}
		return nil
	})
	if err == nil {
		return events, "ok"
	}
	if errors.Is(err, errFuzzStop) {
		if err != errFuzzStop {
			t.Fatalf("emit's error came back wrapped: %T %v", err, err)
		}
		return events, "stopped"
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Events error %T %v: not an *Error", err, err)
	}
	if e.Message() == "" || e.Error() == "" {
		t.Fatalf("Events error %#v has no text", e)
	}
	return events, fmt.Sprintf("%s fatal %v log %q", e.Message(), e.Fatal, e.Log)
}
