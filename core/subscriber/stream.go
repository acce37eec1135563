package subscriber

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/wazuh/aws-s3-go/core/decode"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pycsv"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// A notified object is processed in two steps, so that memory is bounded
// by the limits and the workers, never by the object:
//
//  1. The body is copied once (spool: in memory up to the worker's share
//     of ParquetMemory, else to a temporary file). Every transport failure
//     happens here, before any parsing, so it is never mistaken for bad
//     content and never lets the message be deleted.
//  2. The copy is parsed as a stream with the per-record limits of
//     core/decode, as many times as needed: the reference's fallbacks
//     (JSON, then CSV or plain lines) restart from the beginning, and an
//     object whose events do not fit in the held budget is validated
//     first, then parsed again to send (the copy cannot change between
//     the two).

// DefaultHeldMemory is how much of the encoded events of the objects a
// run processes at once is held before sending, shared between its
// workers. An object whose events do not fit its worker's share is
// validated whole, then parsed again from its local copy to send.
const DefaultHeldMemory = 32 << 20

// opener returns the text of the object's local copy from its start.
type opener func() (io.ReadCloser, error)

// limits returns the run's decode limits with their defaults filled in.
func (r *run) limits() decode.Limits { return r.env.Limits.WithDefaults() }

// limitError is a record, line or row past one of decode.Limits: a
// content error of its object, never a reason to try another format.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

// lineLimit reports a line (or CSV row) of more than max bytes starting
// at byte off of the text.
func lineLimit(off, max int64) error {
	return &limitError{fmt.Sprintf("line at byte %d is longer than %d bytes (MaxLineBytes)", off, max)}
}

// jsonError sorts an error of the JSON decoder: a limit, the JSON text
// being wrong (the fallbacks apply), or a failure of the text layer
// (decompression, UTF-8), which is returned as it is.
func jsonError(err error) error {
	var le *pyjson.LimitError
	var se *pyjson.SyntaxError
	switch {
	case errors.As(err, &le):
		// Worded as core/decode words it for bucket objects.
		switch le.Name {
		case "MaxValueBytes":
			return &limitError{fmt.Sprintf("record at byte %d is larger than %d bytes (MaxRecordBytes)", le.Offset, le.Limit)}
		case "MaxValues":
			return &limitError{fmt.Sprintf("record at byte %d holds more than %d JSON values (MaxRecordValues)", le.Offset, le.Limit)}
		}
		return &limitError{fmt.Sprintf("record at byte %d is nested deeper than %d levels (MaxDepth)", le.Offset, le.Limit)}
	case errors.As(err, &se), errors.Is(err, pyjson.ErrInvalidUTF8):
		return &notJSON{err}
	}
	return err
}

// withText calls fn with the text of a fresh pass over the object.
func withText(open opener, fn func(io.Reader) error) error {
	t, err := open()
	if err != nil {
		return err
	}
	defer t.Close()
	return fn(t)
}

// ctxReader stops a pass over a large local copy when the run stops.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := context.Cause(c.ctx); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// eachLine calls fn with every line of r and its offset, "\n" included
// (the last line may lack it); the slice is valid only during the call.
// A line longer than max bytes is a limitError, reported before it is
// read whole.
func eachLine(r io.Reader, max int64, fn func(off int64, line []byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	var off int64
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			buf = append(buf[:0], line...)
			for err == bufio.ErrBufferFull {
				if int64(len(buf)) > max {
					return lineLimit(off, max)
				}
				line, err = br.ReadSlice('\n')
				if len(buf)+len(line) > cap(buf) {
					// Doubling: append grows large slices by a quarter,
					// which leaves many copies of a long line behind.
					nb := make([]byte, len(buf), 2*cap(buf)+len(line))
					copy(nb, buf)
					buf = nb
				}
				buf = append(buf, line...)
			}
			line = buf
		}
		if err != nil && err != io.EOF {
			return err
		}
		if len(line) > 0 {
			if int64(len(line)) > max {
				return lineLimit(off, max)
			}
			if ferr := fn(off, line); ferr != nil {
				return ferr
			}
			off += int64(len(line))
		}
		if err == io.EOF {
			return nil
		}
	}
}

// firstLine returns the text up to its first "\n" (excluded) and whether
// more text follows; a first line longer than max is a limitError.
func firstLine(open opener, max int64) (first string, more bool, err error) {
	stop := errors.New("first line read")
	err = withText(open, func(t io.Reader) error {
		return eachLine(t, max, func(_ int64, line []byte) error {
			first = string(line)
			return stop
		})
	})
	if err == stop {
		err = nil
	}
	if strings.HasSuffix(first, "\n") {
		first, more = strings.TrimSuffix(first, "\n"), true
	}
	return first, more, err
}

// Formats of a notified object's text, chosen by the first pass.
const (
	jsonLinesFormat = iota
	concatenatedFormat
	csvFormat
	linesFormat
	securityHubFormat
)

// plan is how an object's text is read: the format the reference ends up
// using for it, found by the first pass and replayed by later ones.
type plan struct {
	format  int
	dialect pycsv.Dialect // csvFormat
	lim     decode.Limits
}

// bucketPlan is AWSSubscriberBucket.obtain_logs: JSON lines for
// .jsonl.gz keys, else concatenated JSON objects; when the text is not
// JSON, CSV if its first line holds no digit, else one event per line.
// It makes the first pass, emitting the events as they come; reset is
// called when the JSON attempt failed and its events must be forgotten.
func bucketPlan(key string, open opener, lim decode.Limits, log logging.Logger, emit func(*pyjson.Object) error, reset func()) (plan, error) {
	p := plan{format: concatenatedFormat, lim: lim}
	if strings.HasSuffix(key, ".jsonl.gz") {
		p.format = jsonLinesFormat
	}
	err := p.run(open, emit)
	var nj *notJSON
	if !errors.As(err, &nj) {
		return p, err
	}
	reset()
	log.Debug(2, "+++ Log file does not contain JSON objects. Trying with other formats.")
	first, more, err := firstLine(open, lim.MaxLineBytes)
	if err != nil {
		return p, err
	}
	if strings.ContainsFunc(strings.TrimFunc(first, isPySpace), unicode.IsDigit) {
		log.Debug(2, "+++ Data in the file does not seem to be CSV. Trying with plain text.")
		p.format = linesFormat
		return p, p.run(open, emit)
	}
	log.Debug(2, "+++ Log file is CSV formatted.")
	sample := first
	if more {
		sample += "\n"
	}
	d, err := sniff(sample)
	if err != nil {
		return p, &parseError{"Error(" + pyjson.ReprString(err.Error()) + ")"}
	}
	p.format, p.dialect = csvFormat, d
	return p, p.run(open, emit)
}

// run makes one pass over the text in p's format.
func (p plan) run(open opener, emit func(*pyjson.Object) error) error {
	return withText(open, func(t io.Reader) error {
		switch p.format {
		case jsonLinesFormat:
			return jsonLines(t, p.lim, emit)
		case concatenatedFormat:
			return concatenated(t, p.lim, emit)
		case csvFormat:
			return csvRows(t, p.dialect, p.lim.MaxLineBytes, emit)
		case securityHubFormat:
			return securityHubEvents(t, p.lim, emit)
		}
		return textLines(t, p.lim.MaxLineBytes, emit)
	})
}

// textLines is the plain-text fallback: each line (str.splitlines) an
// event {"full_log": line, "source": source}.
func textLines(t io.Reader, max int64, emit func(*pyjson.Object) error) error {
	return eachLine(t, max, func(_ int64, line []byte) error {
		// Only '\n' ends a line of the text; splitlines also splits at
		// the other separators, within it.
		for _, s := range splitLines(string(line)) {
			o := pyjson.NewObject(2)
			o.Set("full_log", s)
			o.Set("source", source)
			if err := emit(o); err != nil {
				return err
			}
		}
		return nil
	})
}

// csvChunk is how much CSV text is parsed at a time.
const csvChunk = 1 << 20

// csvRows is csv.DictReader over the text, streamed: csvEvents reads
// whole chunks of complete rows, each after the header row's text. A row
// (which may span lines inside quotes) longer than max is a limitError.
func csvRows(t io.Reader, d pycsv.Dialect, max int64, emit func(*pyjson.Object) error) error {
	var (
		header  string          // the first row's text
		chunk   strings.Builder // complete rows after it
		row     strings.Builder // the row being read
		rowOff  int64
		quoted  bool
		started bool
	)
	flush := func() error {
		if chunk.Len() == 0 {
			return nil
		}
		evs, err := csvEvents(header+chunk.String(), d)
		chunk.Reset()
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if err := emit(ev); err != nil {
				return err
			}
		}
		return nil
	}
	err := eachLine(t, max, func(off int64, line []byte) error {
		if row.Len() == 0 {
			rowOff = off
		}
		row.Write(line)
		if int64(row.Len()) > max {
			return lineLimit(rowOff, max)
		}
		if quoted = csvQuoteOpen(line, d, quoted); quoted {
			return nil // the row goes on with the next line
		}
		if !started {
			header, started = row.String(), true
		} else {
			chunk.WriteString(row.String())
		}
		row.Reset()
		if chunk.Len() >= csvChunk {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !started {
		header = row.String()
	} else {
		chunk.WriteString(row.String()) // a quoted field open at the end
	}
	if chunk.Len() == 0 {
		return nil
	}
	return flush()
}

// csvQuoteOpen reports whether a row is still inside a quoted field after
// line, following the quote states of csvRecords' reader: only a row that
// ends inside quotes continues on the next line.
func csvQuoteOpen(line []byte, d pycsv.Dialect, quoted bool) bool {
	const (
		startField = iota
		inField
		inQuoted
		quoteInQuoted
	)
	if d.Quote == 0 {
		d.Quote = '"'
	}
	state := startField
	if quoted {
		state = inQuoted
	}
	for _, c := range string(line) {
		switch state {
		case startField:
			switch {
			case c == '\n':
				return false
			case c == d.Quote:
				state = inQuoted
			case c == d.Delimiter, c == ' ' && d.SkipInitialSpace:
			default:
				state = inField
			}
		case inField:
			switch c {
			case '\n':
				return false
			case d.Delimiter:
				state = startField
			}
		case inQuoted:
			if c == d.Quote {
				state = inField
				if d.DoubleQuote {
					state = quoteInQuoted
				}
			}
		case quoteInQuoted:
			switch {
			case c == d.Quote:
				state = inQuoted
			case c == d.Delimiter:
				state = startField
			case c == '\n':
				return false
			default:
				state = inField
			}
		}
	}
	return state == inQuoted
}
