// Package pycsv reads CSV exactly as CPython 3.11's csv.reader does.
//
// encoding/csv differs in too many ways to stand in for it: a quote inside
// an unquoted field, text after a closing quote, a quoted field left open
// at the end of the input, blank lines (an empty row here) and the error
// cases. The reference parses VPC, load balancer, Umbrella and subscriber
// CSV objects with csv.reader, and the events it built are what the Wazuh
// rules expect, so this is a transcription of _csv.c's state machine for
// a dialect without an escape character, not strict, QUOTE_MINIMAL.
package pycsv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// FieldLimit is csv.field_size_limit()'s default, in code points.
const FieldLimit = 131072

// Dialect is the part of a Python csv dialect that matters when reading.
type Dialect struct {
	Delimiter        rune
	Quote            rune // quotechar; 0 means '"'
	DoubleQuote      bool // doublequote: "" inside quotes is one "
	SkipInitialSpace bool // skipinitialspace
}

// Error is a csv.Error; Msg is str(e).
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// LimitError reports a row past one of the Reader's limits, which Python
// does not have: they keep memory bounded.
type LimitError struct {
	Offset int64 // byte offset of the row in the input
	Max    int64 // the limit passed
	Fields bool  // the row had more than Max fields (else more than Max bytes)
}

func (e *LimitError) Error() string {
	if e.Fields {
		return fmt.Sprintf("line at byte %d has more than %d fields (MaxRecordValues)", e.Offset, e.Max)
	}
	return fmt.Sprintf("line at byte %d is longer than %d bytes (MaxLineBytes)", e.Offset, e.Max)
}

var (
	errFieldLimit = &Error{Msg: fmt.Sprintf("field larger than field limit (%d)", FieldLimit)}
	errNewline    = &Error{Msg: "new-line character seen in unquoted field - do you need to open the file with newline=''?"}
)

const (
	startRecord = iota
	startField
	inField
	inQuoted
	quoteInQuoted
	eatCRNL
)

// Reader is csv.reader over an io.Reader of UTF-8 text, split into lines
// at '\n' as Python's text files are iterated.
type Reader struct {
	// MaxLine bounds a row's size in bytes of text; 0 is no bound.
	MaxLine int64
	// MaxFields bounds a row's field count; 0 is no bound. Each field
	// costs some fifty bytes of memory however short it is.
	MaxFields int

	br    *bufio.Reader
	d     Dialect
	ascii bool   // delimiter and quote are ASCII: no rune decoding needed
	carry []byte // start of a character cut by the end of the buffer
	off   int64  // offset of the current row

	state  int
	field  []byte
	nchars int // code points in field
	row    []byte
	ends   []int
	out    []string
	done   bool
	wide   bool // the row has more than MaxFields fields
}

// NewReader returns a Reader of r with dialect d.
func NewReader(r io.Reader, d Dialect) *Reader {
	if d.Quote == 0 {
		d.Quote = '"'
	}
	return &Reader{
		br:    bufio.NewReaderSize(r, 64<<10),
		d:     d,
		ascii: d.Delimiter < utf8.RuneSelf && d.Quote < utf8.RuneSelf,
	}
}

func (c *Reader) save() {
	if c.MaxFields > 0 && len(c.ends) >= c.MaxFields {
		c.wide = true
		c.field = c.field[:0]
		c.nchars = 0
		return
	}
	c.row = append(c.row, c.field...)
	c.ends = append(c.ends, len(c.row))
	c.field = c.field[:0]
	c.nchars = 0
}

// add appends the text of whole characters, or of parts of them: a UTF-8
// continuation byte does not count as a character.
func (c *Reader) add(raw []byte) error {
	for _, b := range raw {
		if b&0xC0 != 0x80 {
			c.nchars++
			if c.nchars > FieldLimit {
				return errFieldLimit
			}
		}
	}
	c.field = append(c.field, raw...)
	return nil
}

// char processes character r, whose text is raw.
func (c *Reader) char(r rune, raw []byte) error {
	d := &c.d
	switch c.state {
	case startRecord:
		if r == '\n' || r == '\r' {
			c.state = eatCRNL
			return nil
		}
		c.state = startField
		fallthrough
	case startField:
		switch {
		case r == '\n' || r == '\r':
			c.save()
			c.state = eatCRNL
		case r == d.Quote:
			c.state = inQuoted
		case r == ' ' && d.SkipInitialSpace:
		case r == d.Delimiter:
			c.save()
		default:
			c.state = inField
			return c.add(raw)
		}
	case inField:
		switch {
		case r == '\n' || r == '\r':
			c.save()
			c.state = eatCRNL
		case r == d.Delimiter:
			c.save()
			c.state = startField
		default:
			return c.add(raw)
		}
	case inQuoted:
		if r == d.Quote {
			if d.DoubleQuote {
				c.state = quoteInQuoted
			} else {
				c.state = inField
			}
			return nil
		}
		return c.add(raw)
	case quoteInQuoted:
		switch {
		case r == d.Quote:
			c.state = inQuoted
			return c.add(raw)
		case r == d.Delimiter:
			c.save()
			c.state = startField
		case r == '\n' || r == '\r':
			c.save()
			c.state = eatCRNL
		default:
			c.state = inField
			return c.add(raw)
		}
	case eatCRNL:
		if r != '\n' && r != '\r' {
			return errNewline
		}
	}
	return nil
}

// eol is the end-of-line signal _csv.c processes after each line.
func (c *Reader) eol() {
	switch c.state {
	case startField, inField, quoteInQuoted:
		c.save()
		c.state = startRecord
	case eatCRNL:
		c.state = startRecord
	}
}

// line processes a piece of a line; more says another piece of the same
// line follows.
func (c *Reader) line(line []byte, more bool) error {
	if c.ascii {
		delim, quote := byte(c.d.Delimiter), byte(c.d.Quote)
		for i := 0; i < len(line); {
			// Inside a field, copy the run of ordinary bytes at once.
			j := i
			switch c.state {
			case inField:
				for j < len(line) && line[j] != delim && line[j] != '\n' && line[j] != '\r' {
					j++
				}
			case inQuoted:
				for j < len(line) && line[j] != quote {
					j++
				}
			}
			if j > i {
				if err := c.add(line[i:j]); err != nil {
					return err
				}
				i = j
				continue
			}
			if err := c.char(rune(line[i]), line[i:i+1]); err != nil {
				return err
			}
			i++
		}
		return nil
	}
	if len(c.carry) > 0 {
		line = append(c.carry, line...)
		c.carry = nil
	}
	for i := 0; i < len(line); {
		if more && !utf8.FullRune(line[i:]) {
			c.carry = append([]byte(nil), line[i:]...)
			return nil
		}
		r, n := utf8.DecodeRune(line[i:])
		if err := c.char(r, line[i:i+n]); err != nil {
			return err
		}
		i += n
	}
	return nil
}

// Read returns the next row (an empty row for a blank line) or io.EOF.
// The slice and its strings stay valid until the next call; the strings
// share one allocation per row.
func (c *Reader) Read() ([]string, error) {
	if c.done {
		return nil, io.EOF
	}
	c.row, c.ends, c.field, c.nchars, c.wide = c.row[:0], c.ends[:0], c.field[:0], 0, false
	c.state = startRecord
	// Counted on the text, not on the fields: a row of delimiters alone
	// costs memory per field too.
	n := int64(0)
	defer func() { c.off += n }()
	for {
		line, err := c.br.ReadSlice('\n')
		if n += int64(len(line)); c.MaxLine > 0 && n > c.MaxLine {
			return nil, &LimitError{Offset: c.off, Max: c.MaxLine}
		}
		if e := c.line(line, errors.Is(err, bufio.ErrBufferFull)); e != nil {
			return nil, e
		}
		if c.wide {
			return nil, &LimitError{Offset: c.off, Max: int64(c.MaxFields), Fields: true}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			if len(line) > 0 {
				c.eol()
				if c.state == startRecord {
					return c.fields(), nil
				}
			}
			c.done = true
			// Not strict: a quoted field open at the end is kept.
			if c.state == inQuoted {
				c.save()
				return c.fields(), nil
			}
			return nil, io.EOF
		case err != nil:
			return nil, err
		}
		c.eol()
		if c.state == startRecord {
			return c.fields(), nil
		}
	}
}

func (c *Reader) fields() []string {
	all := string(c.row)
	c.out = c.out[:0]
	start := 0
	for _, end := range c.ends {
		c.out = append(c.out, all[start:end])
		start = end
	}
	return c.out
}
