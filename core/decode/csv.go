package decode

import (
	"errors"
	"io"

	"github.com/wazuh/aws-s3-go/core/pycsv"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// RestKey is the key of a CSV row's extra columns. The reference's
// csv.DictReader keys them by Python None, which json.dumps writes as
// "null"; the corpus expects that key, so it is kept.
const RestKey = "null"

// csvReader is pycsv's reader for the default dialect with a chosen
// delimiter, its errors turned into this package's.
type csvReader struct{ r *pycsv.Reader }

func newCSVReader(r io.Reader, delim byte, lim Limits) *csvReader {
	maxN := lim.MaxRecordValues
	if maxN <= 0 {
		maxN = DefaultMaxRecordValues
	}
	c := pycsv.NewReader(r, pycsv.Dialect{Delimiter: rune(delim), Quote: '"', DoubleQuote: true})
	c.MaxLine, c.MaxFields = lim.line(), maxN
	return &csvReader{r: c}
}

// next returns the next row (an empty row for a blank line) or io.EOF.
func (c *csvReader) next() ([]string, error) {
	row, err := c.r.Read()
	var ce *pycsv.Error
	var le *pycsv.LimitError
	switch {
	case errors.As(err, &ce):
		return nil, pyErr(Parse, "Error("+reprStr(ce.Msg)+")")
	case errors.As(err, &le):
		return nil, limitErr(le.Error(), nil)
	}
	return row, err
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
