package decode

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/wazuh/aws-s3-go/core/kind"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// emitError carries the caller's own error through the parsers untouched.
type emitError struct{ err error }

func (e *emitError) Error() string { return e.err.Error() }

// Events parses text, the output of Open for the object key, as bucket
// type typ and calls emit for each event in order, as the reference's
// load_information_from_file would return them (source added, before the
// envelope). Events stops at emit's first error and returns it
// unchanged; every other failure is an *Error.
//
// Events streams: events are emitted before the whole object has been
// read, so an object that fails late has already emitted its first events.
// The reference parses the whole object first and sends nothing for a
// failed object; callers that need that must hold the events back.
//
// One deliberate difference (documented in docs/compatibility.md): the
// custom parser accepts whitespace and newlines between and after the
// concatenated JSON objects, which the reference rejects.
func Events(typ, key string, text io.Reader, opt Options, emit func(*pyjson.Object) error) error {
	wrapped := func(o *pyjson.Object) error {
		if err := emit(o); err != nil {
			return &emitError{err}
		}
		return nil
	}
	k, ok := kind.Lookup(typ)
	if !ok {
		return fmt.Errorf("decode: unknown bucket type %q (known: %s)", typ, strings.Join(kind.Names(), ", "))
	}
	// wholeRead: the reference reads the whole text before parsing, so a
	// broken stream is reported even when the text breaks earlier.
	var err error
	wholeRead := strings.HasSuffix(key, ".gz")
	switch k.Parser {
	case kind.ParseRecords:
		wholeRead = true
		var raw *rawHook
		switch {
		case opt.RawTokens != nil:
			raw = &rawHook{tokens: true, toks: opt.Tokens, fn: func(rec []byte, toks []pyjson.Token) (bool, error) {
				handled, err := opt.RawTokens(rec, toks)
				if err != nil {
					return false, &emitError{err}
				}
				return handled, nil
			}}
		case opt.Raw != nil:
			raw = &rawHook{fn: func(rec []byte, _ []pyjson.Token) (bool, error) {
				handled, err := opt.Raw(rec)
				if err != nil {
					return false, &emitError{err}
				}
				return handled, nil
			}}
		}
		err = parseAWSLogs(text, k.Records, k.Source, opt.Limits, raw, wrapped)
	case kind.ParseVPC:
		err = parseVPC(text, k.Source, opt.Limits, wrapped)
	case kind.ParseCustom:
		err = parseCustom(text, opt.Limits, wrapped, &wholeRead)
	case kind.ParseGuardDuty:
		if strings.HasSuffix(key, ".jsonl.gz") {
			err = parseGuardDuty(text, opt.Limits, wrapped)
		} else {
			err = parseCustom(text, opt.Limits, wrapped, &wholeRead)
		}
	case kind.ParseWAF:
		wholeRead = true
		err = parseWAF(text, k.Source, key, opt, wrapped)
	case kind.ParseALB:
		err = parseALB(text, k.Source, opt, wrapped)
	case kind.ParseCLB:
		err = parseCLB(text, k.Source, opt.Limits, wrapped)
	case kind.ParseNLB:
		err = parseNLB(text, k.Source, opt.Limits, wrapped)
	case kind.ParseServerAccess:
		err = parseServerAccess(text, k.Source, opt.Limits, wrapped)
	case kind.ParseUmbrella:
		err = parseUmbrella(text, k.Source, opt.Prefix, opt.Limits, wrapped)
	default:
		return fmt.Errorf("decode: bucket type %q has no parser %d", typ, k.Parser)
	}
	if err == nil {
		return nil
	}
	var ee *emitError
	if errors.As(err, &ee) {
		return ee.err
	}
	e := asError(err, key)
	// Not after a limit: the rest of a hostile object can be gigabytes.
	if !e.stream && !e.limit && wholeRead {
		if _, derr := io.Copy(io.Discard, text); derr != nil {
			var se *Error
			if errors.As(derr, &se) && se.stream {
				return withKey(se, key)
			}
		}
	}
	return e
}

// jsonErr turns a pyjson error into the reference's classification.
func jsonErr(err error) error {
	var se *pyjson.SyntaxError
	var le *pyjson.LimitError
	switch {
	case errors.As(err, &le):
		return limitErr(recordLimitMsg(le), err)
	case errors.As(err, &se):
		return &Error{Class: Parse, Detail: se.Repr(), Err: err}
	case errors.Is(err, pyjson.ErrInvalidUTF8):
		// Unreachable behind Open (the text is validated there).
		return &Error{Class: Parse, Detail: "UnicodeDecodeError('utf-8')", Err: err}
	}
	return err
}

// recordLimitMsg words a pyjson limit in terms of records and Limits.
func recordLimitMsg(le *pyjson.LimitError) string {
	switch le.Name {
	case "MaxValueBytes":
		return fmt.Sprintf("record at byte %d is larger than %d bytes (MaxRecordBytes)", le.Offset, le.Limit)
	case "MaxValues":
		return fmt.Sprintf("record at byte %d holds more than %d JSON values (MaxRecordValues)", le.Offset, le.Limit)
	}
	return fmt.Sprintf("record at byte %d is nested deeper than %d levels (MaxDepth)", le.Offset, le.Limit)
}

func typeError(msg string) *Error { return pyErr(Decompress, "TypeError("+reprStr(msg)+")") }

// index is Python's v[key] for a str key.
func index(v pyjson.Value, key string) (pyjson.Value, *Error) {
	switch t := v.(type) {
	case *pyjson.Object:
		if x, ok := t.Get(key); ok {
			return x, nil
		}
		return nil, pyErr(Unknown, "KeyError("+reprStr(key)+")")
	case []pyjson.Value:
		return nil, typeError("list indices must be integers or slices, not str")
	case string:
		return nil, typeError("string indices must be integers, not 'str'")
	}
	return nil, typeError(fmt.Sprintf("'%s' object is not subscriptable", pyjson.TypeName(v)))
}

// contains is Python's `key in v`.
func contains(v pyjson.Value, key string) (bool, *Error) {
	switch t := v.(type) {
	case *pyjson.Object:
		return t.Has(key), nil
	case []pyjson.Value:
		for _, e := range t {
			if s, ok := e.(string); ok && s == key {
				return true, nil
			}
		}
		return false, nil
	case string:
		return strings.Contains(t, key), nil
	}
	return false, typeError(fmt.Sprintf("argument of type '%s' is not iterable", pyjson.TypeName(v)))
}

// toDict is Python's dict(v) for a decoded JSON value. Objects are used in
// place (the caller owns them).
func toDict(v pyjson.Value) (*pyjson.Object, *Error) {
	switch t := v.(type) {
	case *pyjson.Object:
		return t, nil
	case string:
		if t == "" {
			return pyjson.NewObject(1), nil
		}
		return nil, pyErr(Parse, "ValueError('dictionary update sequence element #0 has length 1; 2 is required')")
	case []pyjson.Value:
		o := pyjson.NewObject(len(t) + 1)
		for i, e := range t {
			var k, val pyjson.Value
			switch p := e.(type) {
			case []pyjson.Value:
				if len(p) != 2 {
					return nil, pyErr(Parse, fmt.Sprintf("ValueError('dictionary update sequence element #%d has length %d; 2 is required')", i, len(p)))
				}
				k, val = p[0], p[1]
			case string:
				r := []rune(p)
				if len(r) != 2 {
					return nil, pyErr(Parse, fmt.Sprintf("ValueError('dictionary update sequence element #%d has length %d; 2 is required')", i, len(r)))
				}
				k, val = string(r[0]), string(r[1])
			default:
				return nil, typeError(fmt.Sprintf("cannot convert dictionary update sequence element #%d to a sequence", i))
			}
			ks, ok := k.(string)
			if !ok {
				// json.dumps turns the other hashable keys into text.
				switch kk := k.(type) {
				case nil:
					ks = "null"
				case bool:
					ks = "false"
					if kk {
						ks = "true"
					}
				case pyjson.Number:
					ks = kk.Repr()
				default:
					return nil, typeError(fmt.Sprintf("unhashable type: '%s'", pyjson.TypeName(k)))
				}
			}
			o.Set(ks, val)
		}
		return o, nil
	}
	return nil, typeError(fmt.Sprintf("'%s' object is not iterable", pyjson.TypeName(v)))
}

// lineReader yields lines with their '\n' as Python's file iteration does.
type lineReader struct {
	br  *bufio.Reader
	buf []byte
	max int64 // longest line accepted
	off int64 // offset of the next line
}

// eachLine calls fn with every line of r, "\n" included (the last line may
// lack it); the slice is valid only during the call. A line longer than
// max bytes is an error.
func eachLine(r io.Reader, max int64, fn func(line []byte) error) error {
	lr := newLineReader(r, max)
	for {
		line, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(line); err != nil {
			return err
		}
	}
}

func newLineReader(r io.Reader, max int64) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line, valid until the next call, or io.EOF.
func (l *lineReader) next() ([]byte, error) {
	line, err := l.br.ReadSlice('\n')
	if err == nil {
		return l.take(line)
	}
	if err == bufio.ErrBufferFull {
		l.buf = append(l.buf[:0], line...)
		for err == bufio.ErrBufferFull {
			if int64(len(l.buf)) > l.max {
				return nil, lineLimitErr(l.off, l.max)
			}
			line, err = l.br.ReadSlice('\n')
			if len(l.buf)+len(line) > cap(l.buf) {
				// Doubling: append grows large slices by a quarter,
				// which copies a long line many times over.
				nb := make([]byte, len(l.buf), 2*cap(l.buf)+len(line))
				copy(nb, l.buf)
				l.buf = nb
			}
			l.buf = append(l.buf, line...)
		}
		line = l.buf
	}
	if err == io.EOF {
		if len(line) > 0 {
			return l.take(line)
		}
		return nil, io.EOF
	}
	if err != nil {
		return nil, err
	}
	return l.take(line)
}

func (l *lineReader) take(line []byte) ([]byte, error) {
	if int64(len(line)) > l.max {
		return nil, lineLimitErr(l.off, l.max)
	}
	l.off += int64(len(line))
	return line, nil
}
