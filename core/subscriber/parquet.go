package subscriber

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// DefaultParquetMemory is how much of the Parquet objects a run processes
// at once is kept in memory, shared between its workers; a larger object
// is spooled to a temporary file (Parquet is read from its footer, so it
// needs random access).
const DefaultParquetMemory = 64 << 20

// parquetBatch is how many rows are decoded at a time.
const parquetBatch = 64

// spool copies body into memory, or into a temporary file in dir once it
// exceeds limit bytes, and returns it for random access. close releases
// the copy (it removes the file).
func spool(body io.Reader, limit int64, dir string) (ra io.ReaderAt, size int64, close func() error, err error) {
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, 0, nil, err
	}
	if int64(len(data)) <= limit {
		return bytes.NewReader(data), int64(len(data)), func() error { return nil }, nil
	}
	f, err := os.CreateTemp(dir, "aws-s3-object-*")
	if err != nil {
		return nil, 0, nil, err
	}
	close = func() error {
		err := f.Close()
		if rerr := os.Remove(f.Name()); err == nil {
			err = rerr
		}
		return err
	}
	n, err := io.Copy(f, io.MultiReader(bytes.NewReader(data), body))
	if err != nil {
		close()
		return nil, 0, nil, err
	}
	return f, n, close, nil
}

// parquetRows calls fn with each row of the Parquet file in ra as the
// dict pyarrow's to_pylist gives for it, rendered the way
// json.dumps(row, default=str) writes it (see pyValue). Row groups are
// decoded a batch of rows at a time; an error from fn stops the reading
// and is returned.
func parquetRows(ra io.ReaderAt, size int64, fn func(*pyjson.Object) error) (err error) {
	// parquet-go panics on some malformed metadata; a corrupt object must
	// not end the process.
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("malformed Parquet file: %v", v)
		}
	}()
	f, err := parquet.OpenFile(ra, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return err
	}
	var leaves int
	root := buildNode(f.Root(), &leaves)
	a := &assembler{cols: make([][]parquet.Value, leaves), pos: make([]int, leaves)}
	buf := make([]parquet.Row, parquetBatch)
	for _, rg := range f.RowGroups() {
		if err := a.rowGroup(rg, root, buf, fn); err != nil {
			return err
		}
	}
	return nil
}

func (a *assembler) rowGroup(rg parquet.RowGroup, root *pqNode, buf []parquet.Row, fn func(*pyjson.Object) error) error {
	rows := rg.Rows()
	defer rows.Close()
	for {
		n, err := rows.ReadRows(buf)
		for _, row := range buf[:n] {
			o, err := a.row(root, row)
			if err != nil {
				return err
			}
			// Values may point into page buffers that the next ReadRows
			// reuses: each row is consumed before reading on.
			if err := fn(o); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// nodeKind is how pyarrow turns a schema node into a Python value.
type nodeKind int

const (
	kindLeaf   nodeKind = iota
	kindStruct          // dict of the fields
	kindList            // LIST annotation: list of the elements
	kindMap             // MAP annotation: list of (key, value) tuples
)

// pqNode is a schema node prepared for assembling rows.
type pqNode struct {
	name             string
	kind             nodeKind
	optional         bool
	repeated         bool
	maxDef, maxRep   int
	first            int // index of the first leaf column under the node
	leaves           int // how many leaf columns are under it
	children         []*pqNode
	elem             *pqNode // list: the element field (nil: the repeated node itself)
	conv             func(parquet.Value) pyjson.Value
	threeLevelRepeat bool // list: the repeated child wraps a single element field
}

// buildNode prepares c and its subtree; counter counts the leaf columns
// seen so far (in schema order, the order of a row's values).
func buildNode(c *parquet.Column, counter *int) *pqNode {
	n := &pqNode{
		name:     c.Name(),
		optional: c.Optional(),
		repeated: c.Repeated(),
		maxDef:   c.MaxDefinitionLevel(),
		maxRep:   c.MaxRepetitionLevel(),
		first:    *counter,
	}
	if c.Leaf() {
		n.kind = kindLeaf
		n.conv = converter(c.Type())
		*counter++
		n.leaves = 1
		return n
	}
	for _, ch := range c.Columns() {
		n.children = append(n.children, buildNode(ch, counter))
	}
	n.leaves = *counter - n.first
	n.kind = kindStruct
	var lt format.LogicalTypeValue
	if l := c.Type().LogicalType(); l != nil {
		lt = l.Value
	}
	if len(n.children) == 1 && n.children[0].repeated {
		rep := n.children[0]
		switch lt.(type) {
		case *format.ListType:
			n.kind = kindList
			// The backward-compatibility rules of the Parquet spec: a
			// repeated group with one field wraps the element, unless it
			// is named "array" or "<list>_tuple" (2-level lists).
			if rep.kind != kindLeaf && len(rep.children) == 1 && rep.name != "array" && rep.name != n.name+"_tuple" {
				n.elem = rep.children[0]
				n.threeLevelRepeat = true
			}
		case *format.MapType:
			if rep.kind != kindLeaf && len(rep.children) == 2 {
				n.kind = kindMap
			}
		}
	}
	return n
}

// assembler rebuilds nested values from the flat values of one row
// (Dremel record assembly): cols[i] holds leaf column i's values of the
// row, pos[i] the next one to take.
type assembler struct {
	cols [][]parquet.Value
	pos  []int
	err  error
}

var errMalformedRow = errors.New("malformed Parquet row: repetition or definition levels do not match the schema")

func (a *assembler) row(root *pqNode, row parquet.Row) (*pyjson.Object, error) {
	for i := range a.cols {
		a.cols[i] = a.cols[i][:0]
		a.pos[i] = 0
	}
	for _, v := range row {
		c := v.Column()
		if c < 0 || c >= len(a.cols) {
			return nil, errMalformedRow
		}
		a.cols[c] = append(a.cols[c], v)
	}
	a.err = nil
	o := pyjson.NewObject(len(root.children))
	for _, ch := range root.children {
		o.Set(ch.name, a.field(ch))
	}
	if a.err != nil {
		return nil, a.err
	}
	return o, nil
}

// peek returns the next value of the node's first leaf column; ok is
// false when the row has no more.
func (a *assembler) peek(n *pqNode) (v parquet.Value, ok bool) {
	if n.leaves == 0 || a.pos[n.first] >= len(a.cols[n.first]) {
		return v, false
	}
	return a.cols[n.first][a.pos[n.first]], true
}

// skip consumes the single value each leaf under n holds for an absent
// (null or empty) n.
func (a *assembler) skip(n *pqNode) {
	for i := n.first; i < n.first+n.leaves; i++ {
		if a.pos[i] >= len(a.cols[i]) {
			a.err = errMalformedRow
			continue
		}
		a.pos[i]++
	}
}

// field is the value of field n in an instance of its parent.
func (a *assembler) field(n *pqNode) pyjson.Value {
	if n.repeated {
		return a.list(n, func() pyjson.Value { return a.instance(n) })
	}
	if n.optional {
		v, ok := a.peek(n)
		if !ok {
			a.err = errMalformedRow
			return nil
		}
		if v.DefinitionLevel() < n.maxDef {
			a.skip(n)
			return nil
		}
	}
	return a.instance(n)
}

// list collects the instances of the repeated node rep (elem builds one)
// until the repetition level says the enclosing value goes on.
func (a *assembler) list(rep *pqNode, elem func() pyjson.Value) pyjson.Value {
	out := []pyjson.Value{}
	v, ok := a.peek(rep)
	if !ok {
		a.err = errMalformedRow
		return out
	}
	if v.DefinitionLevel() < rep.maxDef {
		a.skip(rep)
		return out
	}
	for a.err == nil {
		out = append(out, elem())
		v, ok := a.peek(rep)
		if !ok || v.RepetitionLevel() != rep.maxRep {
			break
		}
	}
	return out
}

// instance is the value of a present n.
func (a *assembler) instance(n *pqNode) pyjson.Value {
	switch n.kind {
	case kindLeaf:
		i := n.first
		if a.pos[i] >= len(a.cols[i]) {
			a.err = errMalformedRow
			return nil
		}
		v := a.cols[i][a.pos[i]]
		a.pos[i]++
		if v.IsNull() {
			return nil
		}
		return n.conv(v)
	case kindList:
		rep := n.children[0]
		if n.threeLevelRepeat {
			return a.list(rep, func() pyjson.Value { return a.field(n.elem) })
		}
		return a.list(rep, func() pyjson.Value { return a.instance(rep) })
	case kindMap:
		rep := n.children[0]
		return a.list(rep, func() pyjson.Value {
			// pyarrow gives a map as a list of (key, value) tuples,
			// which json.dumps writes as arrays.
			return []pyjson.Value{a.field(rep.children[0]), a.field(rep.children[1])}
		})
	}
	o := pyjson.NewObject(len(n.children))
	for _, ch := range n.children {
		o.Set(ch.name, a.field(ch))
	}
	return o
}

// converter returns how pyarrow's to_pylist and then json.dumps(...,
// default=str) render a value of a leaf of type t: JSON numbers, booleans
// and strings as themselves, anything else (datetime, date, time,
// Decimal, bytes) as its Python str().
func converter(t parquet.Type) func(parquet.Value) pyjson.Value {
	var lt format.LogicalTypeValue
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	switch t.Kind() {
	case parquet.Boolean:
		return func(v parquet.Value) pyjson.Value { return v.Boolean() }
	case parquet.Int32:
		switch l := lt.(type) {
		case *format.IntType:
			if !l.IsSigned {
				return func(v parquet.Value) pyjson.Value { return intNumber(int64(v.Uint32())) }
			}
		case *format.DateType:
			return func(v parquet.Value) pyjson.Value { return pyDate(int64(v.Int32())) }
		case *format.TimeType:
			unit := timeUnit(l.Unit)
			return func(v parquet.Value) pyjson.Value { return pyTime(int64(v.Int32()) * int64(unit)) }
		case *format.DecimalType:
			scale := l.Scale
			return func(v parquet.Value) pyjson.Value { return pyDecimal(big.NewInt(int64(v.Int32())), scale) }
		case *format.NullType:
			return func(parquet.Value) pyjson.Value { return nil }
		}
		return func(v parquet.Value) pyjson.Value { return intNumber(int64(v.Int32())) }
	case parquet.Int64:
		switch l := lt.(type) {
		case *format.IntType:
			if !l.IsSigned {
				return func(v parquet.Value) pyjson.Value {
					return pyjson.Number(strconv.FormatUint(v.Uint64(), 10))
				}
			}
		case *format.TimestampType:
			unit, utc := timeUnit(l.Unit), l.IsAdjustedToUTC
			return func(v parquet.Value) pyjson.Value {
				return pyDatetime(unitTime(v.Int64(), unit), unit == time.Nanosecond, utc)
			}
		case *format.TimeType:
			unit := timeUnit(l.Unit)
			return func(v parquet.Value) pyjson.Value { return pyTime(v.Int64() * int64(unit)) }
		case *format.DecimalType:
			scale := l.Scale
			return func(v parquet.Value) pyjson.Value { return pyDecimal(big.NewInt(v.Int64()), scale) }
		case *format.NullType:
			return func(parquet.Value) pyjson.Value { return nil }
		}
		return func(v parquet.Value) pyjson.Value { return intNumber(v.Int64()) }
	case parquet.Int96:
		// Legacy timestamps: pyarrow reads them as naive timestamp[ns].
		return func(v parquet.Value) pyjson.Value {
			i := v.Int96()
			nanos := int64(uint64(i[1])<<32 | uint64(i[0]))
			days := int64(i[2]) - julianUnixEpoch
			return pyDatetime(time.Unix(days*86400, 0).Add(time.Duration(nanos)).UTC(), true, false)
		}
	case parquet.Float:
		return func(v parquet.Value) pyjson.Value { return pyjson.FloatNumber(float64(v.Float())) }
	case parquet.Double:
		return func(v parquet.Value) pyjson.Value { return pyjson.FloatNumber(v.Double()) }
	case parquet.ByteArray, parquet.FixedLenByteArray:
		switch l := lt.(type) {
		case *format.StringType, *format.JsonType:
			return func(v parquet.Value) pyjson.Value { return pyText(v.ByteArray()) }
		case *format.DecimalType:
			scale := l.Scale
			return func(v parquet.Value) pyjson.Value { return pyDecimal(twosComplement(v.ByteArray()), scale) }
		case *format.Float16Type:
			return func(v parquet.Value) pyjson.Value {
				b := v.ByteArray()
				if len(b) != 2 {
					return pyjson.ReprBytes(b)
				}
				return pyjson.FloatNumber(float16(binary.LittleEndian.Uint16(b)))
			}
		case *format.NullType:
			return func(parquet.Value) pyjson.Value { return nil }
		}
		// Plain binary, ENUM, BSON, UUID and INTERVAL are bytes in pyarrow.
		return func(v parquet.Value) pyjson.Value { return pyjson.ReprBytes(v.ByteArray()) }
	}
	return func(parquet.Value) pyjson.Value { return nil }
}

// julianUnixEpoch is the Julian day number of 1970-01-01.
const julianUnixEpoch = 2440588

func timeUnit(u format.TimeUnit) time.Duration {
	switch u.Value.(type) {
	case *format.MilliSeconds:
		return time.Millisecond
	case *format.NanoSeconds:
		return time.Nanosecond
	}
	return time.Microsecond
}

// unitTime is the instant n units after the Unix epoch, in UTC.
func unitTime(n int64, unit time.Duration) time.Time {
	per := int64(time.Second / unit)
	sec, frac := n/per, n%per
	if frac < 0 {
		sec, frac = sec-1, frac+per
	}
	return time.Unix(sec, frac*int64(unit)).UTC()
}

func intNumber(n int64) pyjson.Number { return pyjson.Number(strconv.FormatInt(n, 10)) }

// pyDatetime is str() of the datetime pyarrow makes of a timestamp: "YYYY-MM-DD
// HH:MM:SS", then ".ffffff" when there are microseconds, then "+00:00"
// for a UTC-adjusted column. Nanoseconds (ns columns, with pandas'
// Timestamp) show as nine digits.
func pyDatetime(t time.Time, nanos, utc bool) string {
	b := t.AppendFormat(make([]byte, 0, 35), "2006-01-02 15:04:05")
	b = appendFraction(b, t.Nanosecond(), nanos)
	if utc {
		b = append(b, "+00:00"...)
	}
	return string(b)
}

func appendFraction(b []byte, ns int, nanos bool) []byte {
	switch {
	case nanos && ns%1000 != 0:
		return fmt.Appendf(b, ".%09d", ns)
	case ns/1000 != 0:
		return fmt.Appendf(b, ".%06d", ns/1000)
	}
	return b
}

// pyDate is str() of a date, days after the epoch.
func pyDate(days int64) string {
	return time.Unix(days*86400, 0).UTC().Format("2006-01-02")
}

// pyTime is str() of a time of day, ns after midnight (datetime.time
// holds microseconds: nanoseconds are dropped).
func pyTime(ns int64) string {
	t := time.Unix(0, ns).UTC()
	return string(appendFraction(t.AppendFormat(nil, "15:04:05"), t.Nanosecond(), false))
}

// pyDecimal is str() of decimal.Decimal(unscaled * 10**-scale), with the
// exponent kept: Python's to-scientific-string rules.
func pyDecimal(unscaled *big.Int, scale int32) string {
	sign := ""
	if unscaled.Sign() < 0 {
		sign = "-"
		unscaled = new(big.Int).Neg(unscaled)
	}
	coef := unscaled.String()
	exp := -int(scale)
	left := exp + len(coef) // digits left of the point
	dot := 1
	if exp <= 0 && left > -6 {
		dot = left
	}
	var b strings.Builder
	b.WriteString(sign)
	switch {
	case dot <= 0:
		b.WriteString("0." + strings.Repeat("0", -dot) + coef)
	case dot >= len(coef):
		b.WriteString(coef + strings.Repeat("0", dot-len(coef)))
	default:
		b.WriteString(coef[:dot] + "." + coef[dot:])
	}
	if left != dot {
		fmt.Fprintf(&b, "E%+d", left-dot)
	}
	return b.String()
}

// twosComplement reads a big-endian two's-complement integer.
func twosComplement(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

// float16 decodes an IEEE 754 half-precision value.
func float16(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, frac := int(h>>10&0x1f), float64(h&0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * math.Ldexp(1+frac/1024, exp-15)
}

// pyText decodes a UTF-8 string column; invalid bytes (pyarrow would
// fail on them) become U+FFFD.
func pyText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
