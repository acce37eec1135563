package decode

import (
	"bufio"
	"fmt"
	"io"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// RestKey is the key of a CSV row's extra columns. The reference's
// csv.DictReader keys them by Python None, which json.dumps writes as
// "null"; the corpus expects that key, so it is kept.
const RestKey = "null"

// fieldLimit is csv.field_size_limit()'s default.
const fieldLimit = 131072

const (
	stStartRecord = iota
	stStartField
	stInField
	stInQuoted
	stQuoteInQuoted
	stEatCRNL
)

// csvReader reproduces CPython's csv.reader for the default dialect with
// a chosen delimiter (quotechar '"', doublequote, no escapechar, not
// strict, no skipinitialspace) over text whose newlines are already \n.
// encoding/csv differs in too many ways (quotes inside unquoted fields,
// text after a closing quote, error cases) to be used here.
type csvReader struct {
	br    *bufio.Reader
	delim byte
	max   int64 // longest row accepted, in bytes of text
	maxN  int   // most fields accepted in a row
	off   int64 // offset of the current row

	state  int
	field  []byte
	nchars int // code points in field
	row    []byte
	ends   []int
	out    []string
	done   bool
	wide   bool // the row has more than maxN fields
}

func newCSVReader(r io.Reader, delim byte, lim Limits) *csvReader {
	maxN := lim.MaxRecordValues
	if maxN <= 0 {
		maxN = DefaultMaxRecordValues
	}
	return &csvReader{br: bufio.NewReaderSize(r, 64<<10), delim: delim, max: lim.line(), maxN: maxN}
}

// save ends a field. Past maxN fields it only marks the row too wide:
// each field costs some fifty bytes of memory however short it is.
func (c *csvReader) save() {
	if len(c.ends) >= c.maxN {
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

func (c *csvReader) add(b byte) error {
	if b&0xC0 != 0x80 {
		c.nchars++
		if c.nchars > fieldLimit {
			return pyErr(Parse, "Error('field larger than field limit (131072)')")
		}
	}
	c.field = append(c.field, b)
	return nil
}

func (c *csvReader) char(b byte) error {
	switch c.state {
	case stStartRecord:
		if b == '\n' || b == '\r' {
			c.state = stEatCRNL
			return nil
		}
		c.state = stStartField
		fallthrough
	case stStartField:
		switch {
		case b == '\n' || b == '\r':
			c.save()
			c.state = stEatCRNL
		case b == '"':
			c.state = stInQuoted
		case b == c.delim:
			c.save()
		default:
			c.state = stInField
			return c.add(b)
		}
	case stInField:
		switch {
		case b == '\n' || b == '\r':
			c.save()
			c.state = stEatCRNL
		case b == c.delim:
			c.save()
			c.state = stStartField
		default:
			return c.add(b)
		}
	case stInQuoted:
		if b == '"' {
			c.state = stQuoteInQuoted
			return nil
		}
		return c.add(b)
	case stQuoteInQuoted:
		switch {
		case b == '"':
			c.state = stInQuoted
			return c.add('"')
		case b == c.delim:
			c.save()
			c.state = stStartField
		case b == '\n' || b == '\r':
			c.save()
			c.state = stEatCRNL
		default:
			c.state = stInField
			return c.add(b)
		}
	case stEatCRNL:
		if b != '\n' && b != '\r' {
			return pyErr(Parse, `Error("new-line character seen in unquoted field - do you need to open the file with newline=''?")`)
		}
	}
	return nil
}

func (c *csvReader) eol() {
	switch c.state {
	case stStartField, stInField, stQuoteInQuoted:
		c.save()
		c.state = stStartRecord
	case stEatCRNL:
		c.state = stStartRecord
	}
}

// next returns the next row (an empty row for a blank line) or io.EOF.
// The slice and its strings stay valid until the next call; the strings
// share one allocation per row.
func (c *csvReader) next() ([]string, error) {
	if c.done {
		return nil, io.EOF
	}
	c.row, c.ends, c.field, c.nchars, c.wide = c.row[:0], c.ends[:0], c.field[:0], 0, false
	c.state = stStartRecord
	// Counted on the text, not on the fields: a row of delimiters alone
	// costs memory per field too.
	n := int64(0)
	defer func() { c.off += n }()
	for {
		line, err := c.br.ReadSlice('\n')
		if n += int64(len(line)); n > c.max {
			return nil, lineLimitErr(c.off, c.max)
		}
		for _, b := range line {
			if e := c.char(b); e != nil {
				return nil, e
			}
		}
		if c.wide {
			return nil, limitErr(fmt.Sprintf("line at byte %d has more than %d fields (MaxRecordValues)", c.off, c.maxN), nil)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			if len(line) > 0 {
				c.eol()
				if c.state == stStartRecord {
					return c.fields(), nil
				}
			}
			c.done = true
			if c.state == stInQuoted {
				c.save()
				return c.fields(), nil
			}
			return nil, io.EOF
		case err != nil:
			return nil, err
		}
		c.eol()
		if c.state == stStartRecord {
			return c.fields(), nil
		}
	}
}

func (c *csvReader) fields() []string {
	all := string(c.row)
	c.out = c.out[:0]
	start := 0
	for _, end := range c.ends {
		c.out = append(c.out, all[start:end])
		start = end
	}
	return c.out
}

// dictReader is csv.DictReader with fixed fieldnames, restkey None and
// restval None: blank rows are skipped, missing columns are nil, extra
// columns go, as a list, under RestKey after the named fields.
type dictReader struct {
	csv    *csvReader
	fields []string
}

func newDictReader(r io.Reader, delim byte, lim Limits, fields []string) *dictReader {
	return &dictReader{csv: newCSVReader(r, delim, lim), fields: fields}
}

func (d *dictReader) next() (*pyjson.Object, error) {
	for {
		row, err := d.csv.next()
		if err != nil {
			return nil, err
		}
		if len(row) == 0 {
			continue
		}
		o := pyjson.NewObject(len(d.fields) + 4)
		for i, f := range d.fields {
			if i < len(row) {
				o.Set(f, row[i])
			} else {
				o.Set(f, nil)
			}
		}
		if len(row) > len(d.fields) {
			extra := make([]pyjson.Value, 0, len(row)-len(d.fields))
			for _, v := range row[len(d.fields):] {
				extra = append(extra, v)
			}
			o.Set(RestKey, extra)
		}
		return o, nil
	}
}
