package decode

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

func gz(parts ...string) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		w := gzip.NewWriter(&b)
		w.Write([]byte(p))
		w.Close()
	}
	return b.Bytes()
}

func zipOf(t *testing.T, files ...[2]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, f := range files {
		fw, err := w.CreateHeader(&zip.FileHeader{Name: f[0], Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(f[1]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zst(t *testing.T, s string) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll([]byte(s), nil)
}

func readText(key string, body []byte, oneByte bool) (string, error) {
	var r io.Reader = bytes.NewReader(body)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	text, err := Open(key, r)
	if err != nil {
		return "", err
	}
	defer text.Close()
	var out io.Reader = text
	if oneByte {
		out = iotest.OneByteReader(text)
	}
	b, err := io.ReadAll(out)
	return string(b), err
}

func TestOpenText(t *testing.T) {
	tests := []struct {
		name, key string
		body      []byte
		want      string
	}{
		{"plain", "a.log", []byte("x\r\ny\rz\n\r"), "x\ny\nz\n\n"},
		{"crlf split", "a.log", []byte("a\r\n\r\nb"), "a\n\nb"},
		{"bom kept", "a.json", []byte("\ufeff{}"), "\ufeff{}"},
		{"utf8", "a", []byte("é€😀"), "é€😀"},
		{"gzip members", "a.json.gz", gz("one\r\n", "two\n"), "one\ntwo\n"},
		{"empty gzip", "a.gz", nil, ""},
		{"uppercase GZ is plain", "a.GZ", []byte("plain"), "plain"},
		{"zip first member", "a.zip", zipOf(t, [2]string{"first", "1\r\n"}, [2]string{"second", "2"}), "1\n"},
		{"zstd", "a.zst", zst(t, "z\r\n"), "z\n"},
		{"zstd long suffix", "a.zstd", zst(t, "zz"), "zz"},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			got, err := readText(tt.key, tt.body, oneByte)
			if err != nil || got != tt.want {
				t.Errorf("%s (one byte %v): got %q, %v; want %q", tt.name, oneByte, got, err, tt.want)
			}
		}
	}
}

func TestOpenErrors(t *testing.T) {
	full := gz(strings.Repeat("x", 1000))
	tests := []struct {
		name, key string
		body      []byte
		class     Class
		detail    string
		fatal     bool
		log       string
	}{
		{"invalid utf-8", "a.log", []byte("ab\r\ncd\xff\n"), Parse,
			`UnicodeDecodeError('utf-8', b'ab\r\ncd\xff\n', 6, 7, 'invalid start byte')`, false, ""},
		{"truncated utf-8", "a.log", []byte("ab\xe2\x82"), Parse,
			`UnicodeDecodeError('utf-8', b'ab\xe2\x82', 2, 4, 'unexpected end of data')`, false, ""},
		{"bad continuation", "a.log", []byte("a\xe2(b"), Parse,
			`UnicodeDecodeError('utf-8', b'a\xe2(b', 1, 2, 'invalid continuation byte')`, false, ""},
		{"surrogate", "a.log", []byte("\xed\xa0\x80x"), Parse,
			`UnicodeDecodeError('utf-8', b'\xed\xa0\x80x', 0, 1, 'invalid continuation byte')`, false, ""},
		{"quote choice", "a.log", []byte("it's\xc3"), Parse,
			`UnicodeDecodeError('utf-8', b"it's\xc3", 4, 5, 'unexpected end of data')`, false, ""},
		{"invalid before a held-back tail", "a.log", []byte("\xcd\xcd0"), Parse,
			`UnicodeDecodeError('utf-8', b'\xcd\xcd0', 0, 1, 'invalid continuation byte')`, false, ""},
		{"invalid utf-8 in gzip", "a.gz", gz("x\xe2\x82\xff"), Parse,
			`UnicodeDecodeError('utf-8', b'x\xe2\x82\xff', 1, 3, 'invalid continuation byte')`, false, ""},
		{"not gzip", "a.gz", []byte("plain text"), Decompress, typeErrorNone, true, "Invalid gzip file received."},
		{"truncated gzip", "a.gz", full[:len(full)-10], Unknown, eofError, false, ""},
		{"corrupt gzip", "a.gz", append(append([]byte{}, full[:12]...), bytes.Repeat([]byte{0xff}, 30)...), Decompress, typeErrorNone, true, "Invalid gzip file received."},
		{"not zip", "a.zip", []byte("PK\x03\x04 definitely not a zip"), Decompress, typeErrorNone, true, "Invalid zip file received."},
		{"empty zip", "a.zip", zipOf(t), Unknown, "IndexError('list index out of range')", false, ""},
		{"snappy", "k/a.snappy", []byte("x"), Decompress, typeErrorNone, true,
			"Couldn't decompress the k/a.snappy file, snappy compression is not supported."},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			_, err := readText(tt.key, tt.body, oneByte)
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%s (one-byte reads %v): error %v, want *Error", tt.name, oneByte, err)
				continue
			}
			if e.Key != tt.key || e.Class != tt.class || e.Detail != tt.detail || e.Fatal != tt.fatal || e.Log != tt.log {
				t.Errorf("%s (one-byte reads %v): got %+v\nwant class %v detail %s fatal %v log %q", tt.name, oneByte, e, tt.class, tt.detail, tt.fatal, tt.log)
			}
			if tt.fatal && !e.Skippable {
				t.Errorf("%s: not skippable", tt.name)
			}
		}
	}
}

func TestErrorMessages(t *testing.T) {
	e := &Error{Key: "k", Class: Parse, Detail: "ValueError('x')"}
	if e.Message() != "Failed to parse file k: ValueError('x')" || e.Error() != e.Message() {
		t.Errorf("Parse: %q %q", e.Message(), e.Error())
	}
	e = &Error{Key: "k", Class: Decompress, Detail: "d"}
	if e.Message() != "Failed to decompress file k: d" {
		t.Errorf("Decompress: %q", e.Message())
	}
	e = &Error{Key: "k", Class: Prefix, Detail: "d", Fatal: true, Log: "l"}
	if e.Message() != "Unknown error reading/parsing file k: d" || e.Error() != "l" {
		t.Errorf("Prefix: %q %q", e.Message(), e.Error())
	}
}

func TestZipSpool(t *testing.T) {
	dir := t.TempDir()
	body := zipOf(t, [2]string{"big", strings.Repeat("line\n", 10000)}, [2]string{"other", "no"})
	o := Opener{ZipMemory: 1024, TempDir: dir}
	text, err := o.Open("a.zip", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files spooled, want 1", len(ents))
	}
	b, err := io.ReadAll(text)
	if err != nil || string(b) != strings.Repeat("line\n", 10000) {
		t.Errorf("read %d bytes, %v", len(b), err)
	}
	if err := text.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%d files left after Close", len(ents))
	}
}

func TestBodyErrorIsUnknown(t *testing.T) {
	boom := errors.New("connection reset")
	text, err := Open("a.gz", io.MultiReader(bytes.NewReader(gz("abc")[:15]), iotest.ErrReader(boom)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(text)
	var e *Error
	if !errors.As(err, &e) || e.Class != Unknown || e.Fatal || !errors.Is(err, boom) {
		t.Errorf("error %#v, want Unknown wrapping the body error", err)
	}
}

// A body shorter than a gzip header is judged by its magic bytes, as
// Python's gzip does: not gzip → invalid gzip file (exit 8), a gzip start
// cut short → EOFError.
func TestShortGzipBodies(t *testing.T) {
	_, err := Open("x.gz", strings.NewReader("nope"))
	var e *Error
	if !errors.As(err, &e) || !e.Fatal || e.Log != "Invalid gzip file received." {
		t.Errorf("short non-gzip body: %v", err)
	}
	_, err = Open("x.gz", strings.NewReader("\x1f\x8b\x08"))
	if !errors.As(err, &e) || e.Fatal || e.Class != Unknown {
		t.Errorf("truncated gzip header: %+v", err)
	}
}

// Python decodes the text a chunk of pyChunk raw bytes at a time: an
// undecodable byte wins over a bad line of the same chunk, and loses to a
// bad line of an earlier chunk, however the body's reads are split.
func TestDecodeErrorChunkOrder(t *testing.T) {
	short := "2 123456789012 eni-1\n"
	tests := []struct {
		name, text, want string
	}{
		{"same chunk", short + "x\xff\n",
			`UnicodeDecodeError('utf-8', b'2 123456789012 eni-1\nx\xff\n', 22, 23, 'invalid start byte')`},
		{"later chunk", short + strings.Repeat("x", pyChunk) + "\xff\n",
			`TypeError("int() argument must be a string, a bytes-like object or a real number, not 'NoneType'")`},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			var body io.Reader = strings.NewReader(tt.text)
			if oneByte {
				body = iotest.OneByteReader(body)
			}
			text, err := Open("a.log", body)
			if err != nil {
				t.Fatal(err)
			}
			err = Events("vpcflow", "a.log", text, Options{}, func(*pyjson.Object) error { return nil })
			var e *Error
			if !errors.As(err, &e) || e.Detail != tt.want {
				t.Errorf("%s (one-byte reads %v): error %v, want %s", tt.name, oneByte, err, tt.want)
			}
		}
	}
}

// TestOpenReuse reads bodies one after another, so that each reuses the
// decompressor and buffers the previous one released, whatever way that
// one ended.
func TestOpenReuse(t *testing.T) {
	good := gz("first line\r\nsecond\n")
	bad := append([]byte(nil), good...)
	bad[len(bad)-5] ^= 0xff // the CRC
	cases := []struct {
		key, body, want string
		err             bool
	}{
		{"a.gz", string(good), "first line\nsecond\n", false},
		{"b.gz", string(bad), "", true},
		{"c.gz", string(good[:len(good)/2]), "", true},
		{"d.gz", "not gzip", "", true},
		{"e.gz", "", "", false},
		{"f.gz", string(gz("caf\xc3\xa9 \xff")), "", true},
		{"g.log", "plain\rtext", "plain\ntext", false},
		{"h.gz", string(gz("x", "y\n")), "xy\n", false},
	}
	for round := range 3 {
		for _, c := range cases {
			got, err := readText(c.key, []byte(c.body), round == 1)
			if (err != nil) != c.err || got != c.want && !c.err {
				t.Fatalf("round %d, %s: %q, %v", round, c.key, got, err)
			}
		}
	}
	text, err := Open("z.gz", bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	text.Close()
	if n, err := text.Read(make([]byte, 100)); n != 0 || err == nil {
		t.Fatalf("Read after Close = %d, %v", n, err)
	}
	if err := text.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
