package decode

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// DefaultZipMemory is how much of a .zip body Opener keeps in memory
// before spooling it to a temporary file (a zip needs random access).
const DefaultZipMemory = 64 << 20

// Opener opens object bodies. The zero value is ready to use.
type Opener struct {
	// ZipMemory bounds the in-memory copy of a .zip body; larger bodies
	// go to a temporary file removed on Close. 0 means DefaultZipMemory.
	ZipMemory int64
	// TempDir is where such files go; "" means os.TempDir().
	TempDir string
}

// Open returns the text of an object body with the default Opener.
func Open(key string, body io.Reader) (io.ReadCloser, error) {
	return Opener{}.Open(key, body)
}

// Open returns the text of the object key whose body is body: decompressed
// according to the key's suffix (case-sensitive: .gz gzip with concatenated
// members read as one stream, .zip first member only, .zst/.zstd zstd,
// .snappy refused, anything else plain), checked to be UTF-8 and with
// universal newlines (\r\n and lone \r read as \n). A UTF-8 BOM is kept.
// Decompression and decoding are streamed; their errors surface from Read
// as *Error. The caller closes the result (this does not close body).
func (o Opener) Open(key string, body io.Reader) (io.ReadCloser, error) {
	src := &bodyReader{r: body}
	t := &textReader{key: key, classify: classifyPlain}
	t.bufs, _ = textBufsPool.Get().(*textBufs)
	if t.bufs == nil {
		t.bufs = new(textBufs)
	}
	t.head, t.buf = t.bufs.head[:0], t.bufs.buf
	switch {
	case strings.HasSuffix(key, ".gz"):
		g, _ := gzipPool.Get().(*gzipReader)
		if g == nil {
			g = &gzipReader{br: bufio.NewReader(src)}
		} else {
			g.br.Reset(src)
		}
		t.gz = g
		// Python checks the two magic bytes before anything else: a short
		// body that is not gzip is an invalid gzip file, not a truncated one.
		if magic, _ := g.br.Peek(2); len(magic) > 0 && !bytes.HasPrefix(magic, []byte{0x1f, 0x8b}) {
			t.Close()
			return nil, withKey(classifyGzip(gzip.ErrHeader), key)
		}
		err := g.zr.Reset(g.br)
		if err == io.EOF {
			// Python's gzip reads an empty file as empty text.
			t.src = strings.NewReader("")
			return t, nil
		}
		if err != nil {
			t.Close()
			return nil, withKey(classifyGzip(err), key)
		}
		g.open = true
		t.src, t.classify = &g.zr, classifyGzip
	case strings.HasSuffix(key, ".zip"):
		r, closer, err := o.openZip(src)
		if err != nil {
			t.Close()
			return nil, withKey(err, key)
		}
		t.src, t.classify, t.closer = r, classifyZip, closer
	case strings.HasSuffix(key, ".zst"), strings.HasSuffix(key, ".zstd"):
		zr, err := zstd.NewReader(src, zstd.WithDecoderConcurrency(1))
		if err != nil {
			t.Close()
			return nil, withKey(classifyZstd(err), key)
		}
		t.src, t.classify = zr, classifyZstd
		t.closer = func() error { zr.Close(); return nil }
	case strings.HasSuffix(key, ".snappy"):
		t.Close()
		return nil, &Error{Key: key, Class: Decompress, Detail: typeErrorNone, Fatal: true, Skippable: true,
			Log: "Couldn't decompress the " + key + " file, snappy compression is not supported."}
	default:
		t.src = src
	}
	return t, nil
}

// bodyReader marks errors of the object body itself (the network), so
// that they are not mistaken for corrupt compressed data.
type bodyReader struct{ r io.Reader }

type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyError{err}
	}
	return n, err
}

const eofError = `EOFError('Compressed file ended before the end-of-stream marker was reached')`

func classifyCommon(err error) (*Error, bool) {
	var be *bodyError
	if errors.As(err, &be) {
		return &Error{Class: Unknown, Detail: fmt.Sprintf("OSError(%s)", reprStr(be.err.Error())), Err: err}, true
	}
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

func classifyPlain(err error) error {
	if e, ok := classifyCommon(err); ok {
		return e
	}
	return &Error{Class: Unknown, Detail: fmt.Sprintf("OSError(%s)", reprStr(err.Error())), Err: err}
}

func classifyGzip(err error) error {
	if e, ok := classifyCommon(err); ok {
		return e
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Class: Unknown, Detail: eofError, Err: err}
	}
	// Bad header, bad checksum, corrupt deflate data: the reference's
	// validation pass rejects the file before any parser runs.
	return &Error{Class: Decompress, Detail: typeErrorNone, Fatal: true, Skippable: true,
		Log: "Invalid gzip file received.", Err: err}
}

func classifyZip(err error) error {
	if e, ok := classifyCommon(err); ok {
		return e
	}
	switch {
	case errors.Is(err, zip.ErrChecksum):
		return &Error{Class: Decompress, Detail: "BadZipFile('Bad CRC-32')", Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Class: Unknown, Detail: eofError, Err: err}
	}
	var ce flate.CorruptInputError
	if errors.As(err, &ce) {
		return &Error{Class: Unknown, Detail: fmt.Sprintf("error(%s)", reprStr("Error -3 while decompressing data: "+err.Error())), Err: err}
	}
	return &Error{Class: Unknown, Detail: fmt.Sprintf("OSError(%s)", reprStr(err.Error())), Err: err}
}

func classifyZstd(err error) error {
	if e, ok := classifyCommon(err); ok {
		return e
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Class: Unknown, Detail: eofError, Err: err}
	}
	return &Error{Class: Decompress, Detail: fmt.Sprintf("ZstdError(%s)", reprStr(err.Error())), Err: err}
}

var errInvalidZip = &Error{Class: Decompress, Detail: typeErrorNone, Fatal: true, Skippable: true,
	Log: "Invalid zip file received."}

func (o Opener) openZip(body io.Reader) (io.Reader, func() error, error) {
	limit := o.ZipMemory
	if limit <= 0 {
		limit = DefaultZipMemory
	}
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, nil, classifyZip(err)
	}
	var (
		ra      io.ReaderAt
		size    int64
		cleanup = func() error { return nil }
	)
	if int64(len(data)) <= limit {
		ra, size = bytes.NewReader(data), int64(len(data))
	} else {
		f, err := os.CreateTemp(o.TempDir, "aws-s3-zip-*")
		if err != nil {
			return nil, nil, &Error{Class: Decompress, Detail: fmt.Sprintf("OSError(%s)", reprStr(err.Error())), Err: err}
		}
		cleanup = func() error {
			err := f.Close()
			if rerr := os.Remove(f.Name()); err == nil {
				err = rerr
			}
			return err
		}
		n, err := io.Copy(f, io.MultiReader(bytes.NewReader(data), body))
		data = nil
		if err != nil {
			cleanup()
			return nil, nil, classifyZip(err)
		}
		ra, size = f, n
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		cleanup()
		e := *errInvalidZip
		e.Err = err
		return nil, nil, &e
	}
	if len(zr.File) == 0 {
		cleanup()
		return nil, nil, &Error{Class: Unknown, Detail: "IndexError('list index out of range')"}
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		cleanup()
		if errors.Is(err, zip.ErrAlgorithm) {
			return nil, nil, &Error{Class: Unknown, Detail: "NotImplementedError('That compression method is not supported')", Err: err}
		}
		return nil, nil, classifyZip(err)
	}
	return rc, func() error { rc.Close(); return cleanup() }, nil
}

// headMax is how much of the start of the text is remembered to report a
// UnicodeDecodeError the way Python does (with the whole input's bytes).
const headMax = 64 << 10

// pyChunk is how many raw bytes Python's TextIOWrapper decodes at a time
// (its _CHUNK_SIZE, read with read1 from the in-memory body).
const pyChunk = 8192

// textReader validates UTF-8 and translates newlines, streaming.
//
// Text is released a whole pyChunk-aligned chunk at a time, as Python's
// line iteration releases it: a line parser meets an undecodable byte
// before any bad line of the same chunk, and the outcome does not depend
// on how the source happens to split its reads.
type textReader struct {
	key      string
	src      io.Reader
	classify func(error) error
	closer   func() error

	raw    int64  // raw bytes consumed so far
	head   []byte // the first headMax raw bytes
	carry  []byte // an incomplete UTF-8 sequence held for the next chunk
	skipLF bool   // the previous chunk ended with \r
	err    error
	buf    []byte // a chunk, for callers whose buffer cannot hold one
	out    []byte // decoded text not yet returned

	// Reused from object to object, returned by Close.
	bufs *textBufs
	gz   *gzipReader
}

// textBufs are a textReader's buffers: head never exceeds headMax and buf
// is one chunk, so keeping them for the next object costs a bounded
// amount whatever the last object was.
type textBufs struct{ head, buf []byte }

// gzipReader is a gzip decompressor and its input buffer, about 50 KiB
// of windows and tables that a run reading thousands of small objects
// would otherwise allocate for each.
type gzipReader struct {
	br   *bufio.Reader
	zr   gzip.Reader
	open bool // zr read a header and has a decompressor to close
}

var (
	textBufsPool sync.Pool // of *textBufs
	gzipPool     sync.Pool // of *gzipReader
)

var errClosed = errors.New("decode: read after Close")

func (t *textReader) Close() error {
	var err error
	if t.closer != nil {
		c := t.closer
		t.closer = nil
		err = c()
	}
	if t.err == nil {
		t.err = errClosed
	}
	t.src, t.out, t.carry = nil, nil, nil
	if g := t.gz; g != nil {
		t.gz = nil
		if g.open {
			g.open = false
			if cerr := g.zr.Close(); err == nil {
				err = cerr
			}
		}
		g.br.Reset(nil)
		gzipPool.Put(g)
	}
	if b := t.bufs; b != nil {
		t.bufs = nil
		b.head, b.buf = nil, t.buf
		if cap(t.head) <= 2*headMax {
			b.head = t.head[:0]
		}
		t.head, t.buf = nil, nil
		textBufsPool.Put(b)
	}
	return err
}

func (t *textReader) Read(p []byte) (int, error) {
	for len(t.out) == 0 {
		if t.err != nil {
			return 0, t.err
		}
		buf := p
		if len(buf) < pyChunk+utf8.UTFMax {
			if t.buf == nil {
				t.buf = make([]byte, pyChunk+utf8.UTFMax)
			}
			buf = t.buf
		}
		t.out = t.chunk(buf)
	}
	// When the chunk was decoded in p itself this copies onto itself.
	n := copy(p, t.out)
	t.out = t.out[n:]
	return n, nil
}

// chunk reads the next chunk into buf, after the carried-over bytes,
// and returns its text (possibly empty); failures are left in t.err.
func (t *textReader) chunk(buf []byte) []byte {
	n := copy(buf, t.carry)
	t.carry = t.carry[:0]
	// Not io.ReadFull: a truncated stream's own io.ErrUnexpectedEOF must
	// stay distinguishable from the end of the text.
	var err error
	for end, empty := n+pyChunk, 0; n < end && err == nil; {
		var m int
		m, err = t.src.Read(buf[n:end])
		n += m
		if empty++; m > 0 {
			empty = 0
		} else if empty == 100 && err == nil {
			err = io.ErrNoProgress
		}
	}
	k := 0
	if err == nil {
		k = incompleteTail(buf[:n])
	}
	if !utf8.Valid(buf[:n-k]) {
		// The held-back tail follows the invalid sequence in the input:
		// Python's error shows it (in its bytes and, when it continues
		// the sequence, in the reason), so it is not set aside as it is
		// for a valid chunk.
		t.remember(buf[:n])
		t.err = t.decodeError(buf[:n], err == io.EOF)
		return nil
	}
	if k > 0 {
		t.carry = append(t.carry, buf[n-k:n]...)
		n -= k
	}
	chunk := buf[:n]
	t.remember(chunk)
	t.raw += int64(n)
	if err != nil {
		if err == io.EOF {
			t.err = io.EOF
		} else {
			t.err = streamError(t.classify(err), t.key)
		}
	}
	return t.newlines(chunk)
}

// remember keeps the start of the raw text for decodeError.
func (t *textReader) remember(b []byte) {
	if len(t.head) < headMax {
		t.head = append(t.head, b[:min(len(b), headMax-len(t.head))]...)
	}
}

// newlines translates \r\n and lone \r to \n in place, remembering a \r
// at the end of the chunk so that a \n opening the next one is dropped.
func (t *textReader) newlines(b []byte) []byte {
	if t.skipLF && len(b) > 0 {
		t.skipLF = false
		if b[0] == '\n' {
			copy(b, b[1:])
			b = b[:len(b)-1]
		}
	}
	i := bytes.IndexByte(b, '\r')
	if i < 0 {
		return b
	}
	w := i
	for r := i; r < len(b); r++ {
		c := b[r]
		if c != '\r' {
			b[w] = c
			w++
			continue
		}
		b[w] = '\n'
		w++
		if r+1 < len(b) {
			if b[r+1] == '\n' {
				r++
			}
		} else {
			t.skipLF = true
		}
	}
	return b[:w]
}

// incompleteTail returns the length of an unfinished UTF-8 sequence at the
// end of b (0 if none).
func incompleteTail(b []byte) int {
	for k := 1; k <= utf8.UTFMax-1 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 {
			need := 2
			if c >= 0xF0 {
				need = 4
			} else if c >= 0xE0 {
				need = 3
			}
			if k < need {
				return k
			}
			return 0
		}
	}
	return 0
}

// decodeError builds Python's UnicodeDecodeError for the first invalid
// sequence in chunk. Python decodes the whole text at once, so the
// exception holds every byte of the input; we reproduce that when the
// input is small enough to have been remembered whole.
func (t *textReader) decodeError(chunk []byte, atEOF bool) error {
	i := 0
	for i < len(chunk) {
		r, size := utf8.DecodeRune(chunk[i:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		i += size
	}
	start, end, reason := utf8Failure(chunk[i:])
	total := t.raw + int64(len(chunk))
	whole := int64(len(t.head)) == total
	for whole && !atEOF {
		buf := make([]byte, 4096)
		n, err := t.src.Read(buf)
		if len(t.head)+n >= headMax {
			whole = false
			break
		}
		t.head = append(t.head, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			whole = false
		}
	}
	var data []byte
	var off int64
	if whole {
		data, off = t.head, t.raw+int64(i)
	} else {
		lo := max(0, i-64)
		hi := min(len(chunk), i+end+64)
		data, off = chunk[lo:hi], int64(i-lo)
	}
	if reason == "unexpected end of data" && whole {
		end = int(int64(len(data)) - off)
	}
	detail := fmt.Sprintf("UnicodeDecodeError('utf-8', %s, %d, %d, '%s')",
		pyjson.ReprBytes(data), off+int64(start), off+int64(end), reason)
	return &Error{Key: t.key, Class: Parse, Detail: detail, stream: true}
}

func streamError(err error, key string) error {
	var e *Error
	if errors.As(err, &e) {
		e.stream = true
	}
	return withKey(err, key)
}

// utf8Failure describes the invalid sequence at the start of b the way
// CPython's UTF-8 decoder does: start and end offsets and the reason.
func utf8Failure(b []byte) (start, end int, reason string) {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 0, 1, "invalid start byte"
	}
	for j := 1; j <= need; j++ {
		if j >= len(b) {
			return 0, len(b), "unexpected end of data"
		}
		x := b[j]
		if j == 1 && (x < lo || x > hi) || j > 1 && (x < 0x80 || x > 0xBF) {
			return 0, j, "invalid continuation byte"
		}
	}
	return 0, need + 1, "invalid continuation byte"
}
