package pyjson

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// SyntaxError is a JSON syntax error as Python's json.JSONDecodeError
// reports it: Char, Line and Col count code points the way Python does
// (Line and Col from 1), Offset counts bytes.
type SyntaxError struct {
	Msg    string
	Offset int64
	Char   int64
	Line   int64
	Col    int64
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s: line %d column %d (char %d)", e.Msg, e.Line, e.Col, e.Char)
}

// Repr returns Python's repr of the exception, e.g.
// JSONDecodeError('Expecting value: line 1 column 1 (char 0)').
func (e *SyntaxError) Repr() string {
	return "JSONDecodeError(" + ReprString(e.Error()) + ")"
}

// ErrInvalidUTF8 is returned when a string holds bytes that are not UTF-8.
// Python never sees such input (decoding the text fails first), so callers
// normally validate the text before decoding.
var ErrInvalidUTF8 = errors.New("pyjson: invalid UTF-8 in input")

// Default limits (see Limits).
const (
	// DefaultMaxValueBytes is far above any single CloudTrail record,
	// Config item, GuardDuty finding or EventBridge event (AWS caps
	// those at a few hundred kilobytes), and small enough that the
	// decoded value of the worst input of that size stays a few tens of
	// megabytes.
	DefaultMaxValueBytes = 8 << 20
	// DefaultMaxValues bounds the JSON values (scalars, objects, arrays)
	// of one value: "[0,0,0,...]" costs about 30 bytes of memory per
	// input byte, so bytes alone would not bound memory.
	DefaultMaxValues = 1 << 18
	// DefaultMaxDepth bounds nesting. CPython's json raises
	// RecursionError a little under 1000 levels, at a depth that depends
	// on its caller's stack, so it cannot be matched exactly; values
	// between the two decode here (docs/compatibility.md#nesting-depth).
	DefaultMaxDepth = 10000
)

// Limits bounds what decoding one value may cost, so that memory stays
// bounded whatever the input holds. A zero field means its default.
//
// The limits apply to each value the Decoder returns or passes to a
// callback: with DecodeStreaming, to each element of the streamed array
// and each other top-level member, not to the whole document.
// Whitespace between values is skipped without being kept and does not
// count; whitespace inside a value counts towards MaxValueBytes.
type Limits struct {
	MaxValueBytes int64 // input bytes of one value
	MaxValues     int   // JSON values (scalars, objects, arrays) inside one value
	MaxDepth      int   // nesting of objects and arrays
}

// WithDefaults returns l with each zero field set to its default.
func (l Limits) WithDefaults() Limits {
	if l.MaxValueBytes <= 0 {
		l.MaxValueBytes = DefaultMaxValueBytes
	}
	if l.MaxValues <= 0 {
		l.MaxValues = DefaultMaxValues
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// LimitError reports a value that exceeds one of the Limits. Offset is
// the byte offset where the value starts.
type LimitError struct {
	Name   string // "MaxValueBytes", "MaxValues" or "MaxDepth"
	Limit  int64
	Offset int64
}

func (e *LimitError) Error() string {
	switch e.Name {
	case "MaxValueBytes":
		return fmt.Sprintf("value at byte %d is larger than %d bytes (%s)", e.Offset, e.Limit, e.Name)
	case "MaxValues":
		return fmt.Sprintf("value at byte %d holds more than %d JSON values (%s)", e.Offset, e.Limit, e.Name)
	}
	return fmt.Sprintf("value at byte %d is nested deeper than %d levels (%s)", e.Offset, e.Limit, e.Name)
}

const maxInterned = 4096

// Decoder reads JSON values from a stream with Python's json semantics.
// It keeps a window of the input in a byte slice, so memory is bounded by
// the largest single token plus the values the caller asks to keep.
type Decoder struct {
	r        io.Reader
	buf      []byte
	pos, end int
	err      error // sticky: io.EOF once the input is exhausted

	// Position of buf[0]: base in bytes from the start of the input, the
	// others from the origin (see SetOrigin), for error messages.
	origin   int64 // byte offset where positions start
	base     int64 // bytes
	baseChar int64 // code points
	lines    int64 // newlines before buf[0]
	lineChar int64 // code-point index of the first char of the current line

	scratch []byte
	keys    map[string]string
	depth   int

	// Limits bounds each value decoded; set it before decoding.
	Limits Limits
	lim    Limits
	start  int64 // input offset where the current value starts
	values int   // values seen in the current value

	pin    int // buffer index fill keeps, when pinned (see raw)
	pinned bool

	// toks receives the tokens of the value raw checks, when tokens is
	// set (see DecodeStreamingTokens).
	toks   []Token
	tokens bool
}

// windowSize is the initial window of a Decoder reading a stream.
const windowSize = 64 << 10

// windows holds the windows of released Decoders: a worker decoding one
// small object after another reuses one instead of allocating 64 KiB per
// object. Only windows of the initial size return, so one that grew for a
// large value is not kept.
var windows = sync.Pool{New: func() any { b := make([]byte, windowSize); return &b }}

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: r, buf: (*windows.Get().(*[]byte))[:0], start: -1}
}

// Release ends the use of d: its window may serve another Decoder, so
// neither d nor any slice it returned may be used afterwards. Calling it
// is optional; a Decoder not released is collected as usual.
func (d *Decoder) Release() {
	if d.r != nil && cap(d.buf) == windowSize {
		b := d.buf[:windowSize]
		windows.Put(&b)
	}
	d.r, d.buf, d.pos, d.end = nil, nil, 0, 0
	d.err = errReleased
}

var errReleased = errors.New("pyjson: use of a released Decoder")

// NewDecoderBytes returns a Decoder over b; b is not modified.
func NewDecoderBytes(b []byte) *Decoder {
	return &Decoder{buf: b, end: len(b), err: io.EOF, start: -1}
}

// begin starts accounting a value at the current position.
func (d *Decoder) begin() {
	d.lim = d.Limits.WithDefaults()
	d.start = d.base + int64(d.pos)
	d.values = 0
}

// finish ends accounting the current value: fill only sees the bytes a
// value needed beyond the window, this checks the value's exact size.
func (d *Decoder) finish(err error) error {
	start := d.start
	d.start = -1
	if err == nil && d.base+int64(d.pos)-start > d.lim.MaxValueBytes {
		return &LimitError{Name: "MaxValueBytes", Limit: d.lim.MaxValueBytes, Offset: start}
	}
	return err
}

// one decodes one value with the limits applied.
func (d *Decoder) one() (Value, error) {
	d.begin()
	v, err := d.value(true)
	if err = d.finish(err); err != nil {
		return nil, err
	}
	return v, nil
}

// fill discards the input before d.pos (before d.pin when pinned) and
// reads more. It reports whether new bytes were added; callers holding
// indices must hold them relative to d.pos, which moves.
func (d *Decoder) fill() bool {
	if d.err != nil {
		return false
	}
	keep := d.pos
	if d.pinned {
		keep = d.pin
	}
	if keep > 0 {
		d.account(d.buf[:keep])
		n := copy(d.buf[:cap(d.buf)], d.buf[keep:d.end])
		d.pos, d.end = d.pos-keep, n
		if d.pinned {
			d.pin = 0
		}
	}
	// Everything in the window belongs to the current value: fill is
	// only called when the value needs more input.
	if d.start >= 0 && d.base+int64(d.end)-d.start > d.lim.MaxValueBytes {
		d.err = &LimitError{Name: "MaxValueBytes", Limit: d.lim.MaxValueBytes, Offset: d.start}
		return false
	}
	if d.end == cap(d.buf) {
		nb := make([]byte, d.end, 2*cap(d.buf)+4096)
		copy(nb, d.buf[:d.end])
		d.buf = nb
	}
	d.buf = d.buf[:cap(d.buf)]
	for tries := 0; tries < 100; tries++ {
		n, err := d.r.Read(d.buf[d.end:])
		d.end += n
		if err != nil {
			d.err = err
		}
		if n > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
	d.err = io.ErrNoProgress
	return false
}

func (d *Decoder) account(b []byte) {
	if d.origin > d.base {
		// The origin lies in b: positions restart there.
		o := int(d.origin - d.base)
		d.baseChar, d.lines, d.lineChar = 0, 0, 0
		d.base += int64(o)
		b = b[o:]
	}
	if n := bytes.Count(b, []byte{'\n'}); n > 0 {
		i := bytes.LastIndexByte(b, '\n')
		d.lines += int64(n)
		d.lineChar = d.baseChar + int64(runeCount(b[:i+1]))
	}
	d.baseChar += int64(runeCount(b))
	d.base += int64(len(b))
}

// runeCount is utf8.RuneCount with a fast path for ASCII, which is what
// AWS logs are almost entirely made of: every byte of the input is counted.
func runeCount(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			return i + utf8.RuneCount(b[i:])
		}
	}
	return len(b)
}

// syntax returns the error for msg at buffer index i, unless a read error
// is pending: a broken stream explains a broken document better.
func (d *Decoder) syntax(msg string, i int) error {
	if d.err != nil && d.err != io.EOF {
		return d.err
	}
	lo, baseChar, line, lineChar := 0, d.baseChar, d.lines, d.lineChar
	if d.origin > d.base {
		lo, baseChar, line, lineChar = int(d.origin-d.base), 0, 0, 0
	}
	b := d.buf[lo:i]
	e := &SyntaxError{Msg: msg, Offset: d.base + int64(i) - d.origin}
	e.Char = baseChar + int64(utf8.RuneCount(b))
	if n := bytes.Count(b, []byte{'\n'}); n > 0 {
		j := bytes.LastIndexByte(b, '\n')
		line += int64(n)
		lineChar = baseChar + int64(utf8.RuneCount(b[:j+1]))
	}
	e.Line = line + 1
	e.Col = e.Char - lineChar + 1
	return e
}

// readErr is the error for running out of input at buffer index i while
// expecting msg.
func (d *Decoder) readErr(msg string, i int) error {
	return d.syntax(msg, i)
}

// SetOrigin makes the current position the start of the input for the
// positions that errors report, as if decoding started there: Python's
// raw_decode of the rest of a string. InputOffset is not affected.
func (d *Decoder) SetOrigin() {
	d.origin = d.base + int64(d.pos)
	if d.pos == 0 {
		d.baseChar, d.lines, d.lineChar = 0, 0, 0
	}
}

// InputOffset returns the byte offset of the current position.
func (d *Decoder) InputOffset() int64 { return d.base + int64(d.pos) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace skips JSON whitespace and reports whether any input remains.
// A read error other than io.EOF is returned.
func (d *Decoder) SkipSpace() (bool, error) {
	for {
		for d.pos < d.end {
			if !isSpace(d.buf[d.pos]) {
				return true, nil
			}
			d.pos++
		}
		if !d.fill() {
			if d.err != io.EOF {
				return false, d.err
			}
			return false, nil
		}
	}
}

func (d *Decoder) skipWS() {
	for {
		for d.pos < d.end {
			if !isSpace(d.buf[d.pos]) {
				return
			}
			d.pos++
		}
		if !d.fill() {
			return
		}
	}
}

// Peek returns the next byte without consuming it; ok is false at the end
// of the input.
func (d *Decoder) Peek() (c byte, ok bool, err error) {
	if d.pos == d.end && !d.fill() {
		if d.err != io.EOF {
			return 0, false, d.err
		}
		return 0, false, nil
	}
	return d.buf[d.pos], true, nil
}

// Discard skips n bytes (at most what remains).
func (d *Decoder) Discard(n int) {
	for n > 0 {
		if d.pos == d.end && !d.fill() {
			return
		}
		k := min(n, d.end-d.pos)
		d.pos += k
		n -= k
	}
}

// CheckBOM reports Python's error for a document that starts with a UTF-8
// byte order mark (json.loads refuses it).
func (d *Decoder) CheckBOM() error {
	for d.end-d.pos < 3 && d.fill() {
	}
	if d.end-d.pos >= 3 && d.buf[d.pos] == 0xEF && d.buf[d.pos+1] == 0xBB && d.buf[d.pos+2] == 0xBF {
		return d.syntax("Unexpected UTF-8 BOM (decode using utf-8-sig)", d.pos)
	}
	if d.err != nil && d.err != io.EOF {
		return d.err
	}
	return nil
}

// RawDecode decodes one value starting exactly at the current position,
// like json.JSONDecoder.raw_decode: leading whitespace is an error.
func (d *Decoder) RawDecode() (Value, error) {
	return d.one()
}

// Decode skips whitespace and decodes the next value.
func (d *Decoder) Decode() (Value, error) {
	d.skipWS()
	return d.one()
}

// End skips trailing whitespace and reports "Extra data" if anything else
// remains, as json.loads does after the value.
func (d *Decoder) End() error {
	more, err := d.SkipSpace()
	if err != nil {
		return err
	}
	if more {
		return d.syntax("Extra data", d.pos)
	}
	return nil
}

// Load decodes a whole document with json.load semantics: no BOM,
// whitespace around exactly one value.
func Load(r io.Reader) (Value, error) {
	return NewDecoder(r).Load()
}

// Load decodes the whole rest of the input as one document, as the
// package's Load function does, with the Decoder's limits.
func (d *Decoder) Load() (Value, error) {
	return loadDoc(d)
}

// Unmarshal decodes data with json.loads semantics.
func Unmarshal(data []byte) (Value, error) {
	return loadDoc(NewDecoderBytes(data))
}

func loadDoc(d *Decoder) (Value, error) {
	if err := d.CheckBOM(); err != nil {
		return nil, err
	}
	v, err := d.Decode()
	if err != nil {
		return nil, err
	}
	if err := d.End(); err != nil {
		return nil, err
	}
	return v, nil
}

// DecodeStreaming decodes a whole document like Load, except that when the
// top level is an object, the elements of each of its members named name
// that is an array are passed to fn as they are decoded and not kept: the
// member is stored as an empty array. Other members are kept. This is how
// a CloudTrail file of hundreds of megabytes is read with bounded memory.
// An error from fn stops decoding and is returned.
func (d *Decoder) DecodeStreaming(name string, fn func(Value) error) (Value, error) {
	return d.decodeStreaming(name, func() error {
		v, err := d.one()
		if err != nil {
			return err
		}
		return fn(v)
	})
}

// DecodeStreamingRaw is DecodeStreaming handing fn the JSON text of each
// element instead of its value: every element is checked exactly as
// DecodeStreaming decodes it (same errors, same Limits) without building
// it, and fn gets its bytes, from its first to its last byte. The slice is
// valid only during the call. The window keeps the whole element, so
// memory is bounded by Limits.MaxValueBytes.
func (d *Decoder) DecodeStreamingRaw(name string, fn func(raw []byte) error) (Value, error) {
	return d.decodeStreaming(name, func() error {
		raw, err := d.raw()
		if err != nil {
			return err
		}
		return fn(raw)
	})
}

// DecodeStreamingTokens is DecodeStreamingRaw that also hands fn the
// tokens of each element, made while the element is checked, so that a
// caller who needs its structure does not scan it again. toks is space
// for them: fn gets toks[:0] grown as needed. Both slices are valid only
// during the call.
func (d *Decoder) DecodeStreamingTokens(name string, toks []Token, fn func(raw []byte, toks []Token) error) (Value, error) {
	d.toks = toks[:0]
	defer func() { d.tokens, d.toks = false, nil }()
	return d.decodeStreaming(name, func() error {
		d.tokens, d.toks = true, d.toks[:0]
		raw, err := d.raw()
		d.tokens = false
		if err != nil {
			return err
		}
		return fn(raw, d.toks)
	})
}

// raw validates one value with the limits applied and returns its bytes.
func (d *Decoder) raw() ([]byte, error) {
	d.begin()
	// Pin the value's first byte: fill discards only what precedes it,
	// and moves it to index 0, so token offsets relative to it hold.
	d.pin, d.pinned = d.pos, true
	_, err := d.value(false)
	err = d.finish(err)
	start := d.pin
	d.pinned = false
	if err != nil {
		return nil, err
	}
	return d.buf[start:d.pos], nil
}

func (d *Decoder) decodeStreaming(name string, elem func() error) (Value, error) {
	if err := d.CheckBOM(); err != nil {
		return nil, err
	}
	d.skipWS()
	if d.pos == d.end && !d.fill() {
		return nil, d.readErr("Expecting value", d.pos)
	}
	if d.buf[d.pos] != '{' {
		return loadRest(d)
	}
	obj := NewObject(4)
	d.pos++
	d.depth++
	d.skipWS()
	c, ok := d.peekByte()
	if ok && c == '}' {
		d.pos++
		d.depth--
		return obj, d.End()
	}
	for {
		if !ok || c != '"' {
			return nil, d.syntax("Expecting property name enclosed in double quotes", d.pos)
		}
		d.begin()
		key, err := d.str(true, true)
		if err = d.finish(err); err != nil {
			return nil, err
		}
		d.skipWS()
		if c, ok = d.peekByte(); !ok || c != ':' {
			return nil, d.syntax("Expecting ':' delimiter", d.pos)
		}
		d.pos++
		d.skipWS()
		var v Value
		if c, ok = d.peekByte(); ok && c == '[' && key == name {
			if err := d.streamArray(elem); err != nil {
				return nil, err
			}
			v = []Value{}
		} else if v, err = d.one(); err != nil {
			return nil, err
		}
		obj.Set(key, v)
		d.skipWS()
		c, ok = d.peekByte()
		if ok && c == '}' {
			d.pos++
			d.depth--
			return obj, d.End()
		}
		if !ok || c != ',' {
			return nil, d.syntax("Expecting ',' delimiter", d.pos)
		}
		d.pos++
		d.skipWS()
		c, ok = d.peekByte()
	}
}

func loadRest(d *Decoder) (Value, error) {
	v, err := d.one()
	if err != nil {
		return nil, err
	}
	return v, d.End()
}

// streamArray calls elem for each element of the array at d.pos; elem
// consumes the element.
func (d *Decoder) streamArray(elem func() error) error {
	d.pos++ // '['
	d.depth++
	d.skipWS()
	c, ok := d.peekByte()
	if ok && c == ']' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		d.skipWS()
		c, ok = d.peekByte()
		if ok && c == ']' {
			d.pos++
			d.depth--
			return nil
		}
		if !ok || c != ',' {
			return d.syntax("Expecting ',' delimiter", d.pos)
		}
		d.pos++
		d.skipWS()
	}
}

func (d *Decoder) peekByte() (byte, bool) {
	if d.pos == d.end && !d.fill() {
		return 0, false
	}
	return d.buf[d.pos], true
}

// at returns the byte k positions after d.pos, reading more if needed.
func (d *Decoder) at(k int) (byte, bool) {
	for d.pos+k >= d.end {
		if !d.fill() {
			return 0, false
		}
	}
	return d.buf[d.pos+k], true
}

// value decodes the value at d.pos; with keep false it only validates.
func (d *Decoder) value(keep bool) (Value, error) {
	c, ok := d.peekByte()
	if !ok {
		return nil, d.readErr("Expecting value", d.pos)
	}
	if d.values++; d.values > d.lim.MaxValues {
		return nil, &LimitError{Name: "MaxValues", Limit: int64(d.lim.MaxValues), Offset: d.start}
	}
	if d.tokens {
		return nil, d.token(c)
	}
	return d.dispatch(c, keep)
}

// token checks the value at d.pos, which starts with c, as value(false)
// does, and appends its tokens to d.toks.
func (d *Decoder) token(c byte) error {
	i := len(d.toks)
	d.toks = append(d.toks, Token{Kind: tokenKinds[c], Start: int32(d.pos - d.pin)})
	if _, err := d.dispatch(c, false); err != nil {
		return err
	}
	t := &d.toks[i]
	t.End = int32(d.pos - d.pin)
	if t.Kind == TokenObject || t.Kind == TokenArray {
		t.Next = int32(len(d.toks))
	}
	return nil
}

// dispatch decodes the value at d.pos, which starts with c.
func (d *Decoder) dispatch(c byte, keep bool) (Value, error) {
	switch c {
	case '"':
		s, err := d.str(keep, false)
		if err != nil || !keep {
			return nil, err
		}
		return s, nil
	case '{':
		return d.object(keep)
	case '[':
		return d.array(keep)
	case 'n':
		return d.literal("null", nil)
	case 't':
		return d.literal("true", true)
	case 'f':
		return d.literal("false", false)
	case 'N':
		return d.literal("NaN", Number("NaN"))
	case 'I':
		return d.literal("Infinity", Number("Infinity"))
	case '-':
		if c1, ok := d.at(1); ok && c1 == 'I' {
			return d.literal("-Infinity", Number("-Infinity"))
		}
		return d.number(keep)
	}
	if c >= '0' && c <= '9' {
		return d.number(keep)
	}
	return nil, d.syntax("Expecting value", d.pos)
}

func (d *Decoder) literal(word string, v Value) (Value, error) {
	for d.end-d.pos < len(word) && d.fill() {
	}
	if d.end-d.pos < len(word) || string(d.buf[d.pos:d.pos+len(word)]) != word {
		return nil, d.syntax("Expecting value", d.pos)
	}
	d.pos += len(word)
	return v, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number scans Python's number pattern -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?;
// a fraction or exponent that does not complete is left unconsumed.
func (d *Decoder) number(keep bool) (Value, error) {
	k := 0
	c, _ := d.at(0)
	if c == '-' {
		k++
	}
	c, ok := d.at(k)
	if !ok || !isDigit(c) {
		return nil, d.syntax("Expecting value", d.pos)
	}
	k++
	if c != '0' {
		for {
			c, ok = d.at(k)
			if !ok || !isDigit(c) {
				break
			}
			k++
		}
	}
	if c, ok = d.at(k); ok && c == '.' {
		if c, ok = d.at(k + 1); ok && isDigit(c) {
			k += 2
			for {
				c, ok = d.at(k)
				if !ok || !isDigit(c) {
					break
				}
				k++
			}
		}
	}
	if c, ok = d.at(k); ok && (c == 'e' || c == 'E') {
		j := k + 1
		if c, ok = d.at(j); ok && (c == '+' || c == '-') {
			j++
		}
		if c, ok = d.at(j); ok && isDigit(c) {
			k = j + 1
			for {
				c, ok = d.at(k)
				if !ok || !isDigit(c) {
					break
				}
				k++
			}
		}
	}
	var v Value
	if keep {
		v = Number(d.buf[d.pos : d.pos+k])
	}
	if d.tokens {
		d.toks[len(d.toks)-1].Kind = d.numberKind(k)
	}
	d.pos += k
	return v, nil
}

func (d *Decoder) object(keep bool) (Value, error) {
	if d.depth++; d.depth > d.lim.MaxDepth {
		return nil, &LimitError{Name: "MaxDepth", Limit: int64(d.lim.MaxDepth), Offset: d.start}
	}
	ti := len(d.toks) - 1 // the object's token, when d.tokens
	d.pos++
	var obj *Object
	if keep {
		obj = NewObject(8)
	}
	d.skipWS()
	c, ok := d.peekByte()
	if ok && c == '}' {
		d.pos++
		d.depth--
		return obj, nil
	}
	for {
		if !ok || c != '"' {
			return nil, d.syntax("Expecting property name enclosed in double quotes", d.pos)
		}
		ki := len(d.toks)
		if d.tokens {
			d.toks = append(d.toks, Token{Kind: TokenPlain, Start: int32(d.pos - d.pin)})
		}
		key, err := d.str(keep, true)
		if err != nil {
			return nil, err
		}
		if d.tokens {
			d.toks[ki].End = int32(d.pos - d.pin)
			d.toks[ti].N += 2
		}
		d.skipWS()
		if c, ok = d.peekByte(); !ok || c != ':' {
			return nil, d.syntax("Expecting ':' delimiter", d.pos)
		}
		d.pos++
		d.skipWS()
		v, err := d.value(keep)
		if err != nil {
			return nil, err
		}
		if keep {
			obj.Set(key, v)
		}
		d.skipWS()
		c, ok = d.peekByte()
		if ok && c == '}' {
			d.pos++
			d.depth--
			if !keep {
				return nil, nil
			}
			return obj, nil
		}
		if !ok || c != ',' {
			return nil, d.syntax("Expecting ',' delimiter", d.pos)
		}
		d.pos++
		d.skipWS()
		c, ok = d.peekByte()
	}
}

func (d *Decoder) array(keep bool) (Value, error) {
	if d.depth++; d.depth > d.lim.MaxDepth {
		return nil, &LimitError{Name: "MaxDepth", Limit: int64(d.lim.MaxDepth), Offset: d.start}
	}
	ti := len(d.toks) - 1 // the array's token, when d.tokens
	d.pos++
	var arr []Value
	if keep {
		arr = []Value{}
	}
	d.skipWS()
	c, ok := d.peekByte()
	if ok && c == ']' {
		d.pos++
		d.depth--
		if !keep {
			return nil, nil
		}
		return arr, nil
	}
	for {
		v, err := d.value(keep)
		if err != nil {
			return nil, err
		}
		if keep {
			arr = append(arr, v)
		}
		if d.tokens {
			d.toks[ti].N++
		}
		d.skipWS()
		c, ok = d.peekByte()
		if ok && c == ']' {
			d.pos++
			d.depth--
			if !keep {
				return nil, nil
			}
			return arr, nil
		}
		if !ok || c != ',' {
			return nil, d.syntax("Expecting ',' delimiter", d.pos)
		}
		d.pos++
		d.skipWS()
	}
}

// str decodes the string whose opening quote is at d.pos. d.pos stays on
// the quote until the string is complete, so the whole token stays in the
// window while it is scanned.
func (d *Decoder) str(keep, key bool) (string, error) {
	k := 1
	for {
		i := d.pos + k
		buf := d.buf[:d.end]
		for i < len(buf) && plainByte[buf[i]] {
			i++
		}
		k = i - d.pos
		if i == d.end {
			if !d.fill() {
				return "", d.readErr("Unterminated string starting at", d.pos)
			}
			continue
		}
		if d.buf[i] == '"' {
			var s string
			if keep {
				s = d.makeString(d.buf[d.pos+1:i], key)
			}
			d.pos = i + 1
			return s, nil
		}
		break
	}
	return d.strSlow(k, keep, key)
}

// plainByte marks the bytes a string's fast scan passes over: not '"',
// '\\', a control character, DEL or the start of a multi-byte sequence.
// A string made only of them is a TokenPlain: json.dumps prints it as it
// reads (it escapes DEL).
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (d *Decoder) makeString(b []byte, key bool) string {
	if !key || len(b) > 64 {
		return string(b)
	}
	if s, ok := d.keys[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.keys == nil {
		d.keys = make(map[string]string)
	}
	if len(d.keys) < maxInterned {
		d.keys[s] = s
	}
	return s
}

// strSlow continues a string at offset k from d.pos where an escape, a
// control character or a non-ASCII byte was met.
func (d *Decoder) strSlow(k int, keep, key bool) (string, error) {
	if d.tokens {
		d.toks[len(d.toks)-1].Kind = TokenString // printed as decoded
	}
	out := append(d.scratch[:0], d.buf[d.pos+1:d.pos+k]...)
	for {
		c, ok := d.at(k)
		if !ok {
			return "", d.readErr("Unterminated string starting at", d.pos)
		}
		switch {
		case c == '"':
			var s string
			if keep {
				s = d.makeString(out, key)
			}
			d.scratch = out[:0]
			d.pos += k + 1
			return s, nil
		case c == '\\':
			e, ok := d.at(k + 1)
			if !ok {
				return "", d.readErr("Unterminated string starting at", d.pos)
			}
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := d.hex4(k + 2)
				if !ok {
					return "", d.syntax("Invalid \\uXXXX escape", d.pos+k+1)
				}
				k += 6
				if r >= 0xD800 && r <= 0xDBFF {
					if b0, ok := d.at(k); ok && b0 == '\\' {
						if b1, ok := d.at(k + 1); ok && b1 == 'u' {
							if r2, ok := d.hex4(k + 2); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
								r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
								k += 6
							}
						}
					}
				}
				out = appendWTF8(out, r)
				continue
			default:
				return "", d.syntax("Invalid \\escape", d.pos+k)
			}
			k += 2
		case c < 0x20:
			return "", d.syntax("Invalid control character at", d.pos+k)
		case c < utf8.RuneSelf:
			out = append(out, c)
			k++
		default:
			for j := 1; j < utf8.UTFMax; j++ {
				if _, ok := d.at(k + j); !ok {
					break
				}
			}
			r, size := utf8.DecodeRune(d.buf[d.pos+k : d.end])
			if r == utf8.RuneError && size <= 1 {
				if d.err != nil && d.err != io.EOF {
					return "", d.err
				}
				return "", ErrInvalidUTF8
			}
			out = append(out, d.buf[d.pos+k:d.pos+k+size]...)
			k += size
		}
	}
}

func (d *Decoder) hex4(k int) (rune, bool) {
	var r rune
	for j := 0; j < 4; j++ {
		c, ok := d.at(k + j)
		if !ok {
			return 0, false
		}
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// appendWTF8 appends r as UTF-8, writing a surrogate code point as its
// 3-byte generalised form so that AppendString can re-emit \udXXX.
func appendWTF8(b []byte, r rune) []byte {
	if r >= 0xD800 && r <= 0xDFFF {
		return append(b, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	}
	return utf8.AppendRune(b, r)
}

// UnquoteString returns the value of lit, a JSON string literal quotes
// included, exactly as the Decoder decodes it (lone surrogates kept in
// their WTF-8 form, see AppendString).
func UnquoteString(lit []byte) (string, error) {
	d := NewDecoderBytes(lit)
	if len(lit) == 0 || lit[0] != '"' {
		return "", d.syntax("Expecting value", 0)
	}
	d.begin()
	s, err := d.str(true, false)
	if err != nil {
		return "", err
	}
	if d.pos != len(lit) {
		return "", d.syntax("Extra data", d.pos)
	}
	return s, nil
}
