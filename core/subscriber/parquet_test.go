package subscriber

import (
	"bytes"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// An OCSF-like schema covering the shapes Security Lake writes: scalars,
// nested structs, optional values, lists (3-level and legacy repeated),
// maps, and the types json.dumps(default=str) renders with str().
type lakeProduct struct {
	Name string `parquet:"name"`
}

type lakeMeta struct {
	Product lakeProduct `parquet:"product"`
	Version *string     `parquet:"version,optional"`
}

type lakeResource struct {
	UID    string   `parquet:"uid"`
	Labels []string `parquet:"labels,list"`
}

type lakeCloud struct {
	Region string `parquet:"region"`
}

type lakeRow struct {
	ClassUID  int32             `parquet:"class_uid"`
	Time      time.Time         `parquet:"time,timestamp(millisecond)"`
	Metadata  lakeMeta          `parquet:"metadata"`
	Severity  string            `parquet:"severity"`
	Types     []string          `parquet:"types,list"`
	Unmapped  map[string]string `parquet:"unmapped"`
	Note      *string           `parquet:"note,optional"`
	Cloud     *lakeCloud        `parquet:"cloud,optional"`
	Score     float64           `parquet:"score"`
	Ratio     float32           `parquet:"ratio"`
	Raw       []byte            `parquet:"raw,bytes"`
	Day       int32             `parquet:"day,date"`
	Amount    int64             `parquet:"amount,decimal(2:18)"`
	Local     int64             `parquet:"local,timestamp(microsecond:local)"`
	Ports     []int32           `parquet:"ports"`
	Resources []lakeResource    `parquet:"resources,list"`
	Count     uint64            `parquet:"count"`
	Active    bool              `parquet:"active"`
}

func writeParquet[T any](t *testing.T, rows []T, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readParquet(t *testing.T, data []byte) ([]string, error) {
	t.Helper()
	var out []string
	err := parquetRows(bytes.NewReader(data), int64(len(data)), func(o *pyjson.Object) error {
		out = append(out, string(pyjson.Marshal(o)))
		return nil
	})
	return out, err
}

func lakeRows() []lakeRow {
	v := "1.1.0"
	return []lakeRow{
		{
			ClassUID: 2001, Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			Metadata: lakeMeta{Product: lakeProduct{Name: "Security Hub"}, Version: &v},
			Severity: "High", Types: []string{"a", "b"}, Unmapped: map[string]string{"k": "v"},
			Cloud: &lakeCloud{Region: "us-east-1"}, Score: 7.5, Ratio: 0.1,
			Raw: []byte("\x00a'b"), Day: 19723, Amount: 12345, Local: 1704067200123456,
			Ports: []int32{80, 443}, Count: 1 << 63, Active: true,
			Resources: []lakeResource{{UID: "r1", Labels: []string{"x"}}, {UID: "r2"}},
		},
		{
			ClassUID: 3002, Time: time.Date(2024, 2, 29, 23, 59, 59, 5e6, time.UTC),
			Metadata: lakeMeta{Product: lakeProduct{Name: "caf\u00e9 \"q\""}},
			Severity: "", Raw: []byte{}, Day: -1, Amount: -5, Local: -1,
		},
	}
}

// The expected texts are what json.dumps(row, default=str) writes for the
// dicts pyarrow's to_pylist returns (see docs/subscribers.md for the rules).
var lakeWant = []string{
	`{"class_uid": 2001, "time": "2024-01-01 00:00:00+00:00", "metadata": {"product": {"name": "Security Hub"}, "version": "1.1.0"}, ` +
		`"severity": "High", "types": ["a", "b"], "unmapped": [["k", "v"]], "note": null, "cloud": {"region": "us-east-1"}, ` +
		`"score": 7.5, "ratio": 0.10000000149011612, "raw": "b\"\\x00a'b\"", "day": "2024-01-01", "amount": "123.45", ` +
		`"local": "2024-01-01 00:00:00.123456", "ports": [80, 443], ` +
		`"resources": [{"uid": "r1", "labels": ["x"]}, {"uid": "r2", "labels": []}], "count": 9223372036854775808, "active": true}`,
	`{"class_uid": 3002, "time": "2024-02-29 23:59:59.005000+00:00", "metadata": {"product": {"name": "caf\u00e9 \"q\""}, "version": null}, ` +
		`"severity": "", "types": [], "unmapped": [], "note": null, "cloud": null, ` +
		`"score": 0.0, "ratio": 0.0, "raw": "b''", "day": "1969-12-31", "amount": "-0.05", ` +
		`"local": "1969-12-31 23:59:59.999999", "ports": [], "resources": [], "count": 0, "active": false}`,
}

func TestParquetRows(t *testing.T) {
	got, err := readParquet(t, writeParquet(t, lakeRows()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(lakeWant) {
		t.Fatalf("got %d rows, want %d:\n%s", len(got), len(lakeWant), strings.Join(got, "\n"))
	}
	for i := range lakeWant {
		if got[i] != lakeWant[i] {
			t.Errorf("row %d:\n got %s\nwant %s", i, got[i], lakeWant[i])
		}
	}
}

// Rows spread over several row groups and pages come out in order.
func TestParquetRowGroups(t *testing.T) {
	type row struct {
		N    int64    `parquet:"n"`
		Tags []string `parquet:"tags,list"`
	}
	var rows []row
	for i := range 1000 {
		rows = append(rows, row{N: int64(i), Tags: make([]string, i%3)})
	}
	data := writeParquet(t, rows, parquet.MaxRowsPerRowGroup(150), parquet.PageBufferSize(256))
	got, err := readParquet(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("got %d rows, want %d", len(got), len(rows))
	}
	for _, i := range []int{0, 1, 2, 149, 150, 151, 999} {
		want := `{"n": ` + big.NewInt(int64(i)).String() + `, "tags": [` + strings.TrimSuffix(strings.Repeat(`"", `, i%3), ", ") + `]}`
		if got[i] != want {
			t.Errorf("row %d: got %s, want %s", i, got[i], want)
		}
	}
}

// Optional lists and structs inside lists: null, empty and present at
// every level.
func TestParquetNesting(t *testing.T) {
	type leafy struct {
		V *int32 `parquet:"v,optional"`
	}
	type row struct {
		L  []leafy           `parquet:"l,list"`
		M  map[string]int64  `parquet:"m"`
		LL [][]int32         `parquet:"ll,list"`
		OL []string          `parquet:"ol,optional,list"`
		PE []*string         `parquet:"pe,list"`
		OM map[string]*int32 `parquet:"om,optional"`
	}
	one, s := int32(1), "s"
	rows := []row{
		{L: []leafy{{V: &one}, {}}, M: map[string]int64{"a": 1}, LL: [][]int32{{1, 2}, {}, {3}},
			OL: []string{"a"}, PE: []*string{nil, &s}, OM: map[string]*int32{"x": nil}},
		{OL: []string{}},
		{},
	}
	got, err := readParquet(t, writeParquet(t, rows))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"l": [{"v": 1}, {"v": null}], "m": [["a", 1]], "ll": [[1, 2], [], [3]], "ol": ["a"], "pe": [null, "s"], "om": [["x", null]]}`,
		`{"l": [], "m": [], "ll": [], "ol": [], "pe": [], "om": null}`,
		`{"l": [], "m": [], "ll": [], "ol": null, "pe": [], "om": null}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// INT96: 8 bytes of nanoseconds of the day, then the Julian day, little
// endian; pyarrow reads it as a naive timestamp[ns].
func TestParquetInt96(t *testing.T) {
	type row struct {
		T deprecated.Int96 `parquet:"t"`
	}
	day := uint32(julianUnixEpoch + 19723) // 2024-01-01
	ns := uint64(13*time.Hour + 1500*time.Nanosecond)
	got, err := readParquet(t, writeParquet(t, []row{
		{T: deprecated.Int96{uint32(ns), uint32(ns >> 32), day}},
		{T: deprecated.Int96{0, 0, day}},
	}))
	want := `{"t": "2024-01-01 13:00:00.000001500"}` + "\n" + `{"t": "2024-01-01 00:00:00"}`
	if err != nil || strings.Join(got, "\n") != want {
		t.Errorf("got %q, %v\nwant %s", got, err, want)
	}
}

func TestParquetCorrupt(t *testing.T) {
	data := writeParquet(t, lakeRows())
	for name, b := range map[string][]byte{
		"not parquet": []byte("this is not a parquet file at all"),
		"empty":       {},
		"truncated":   data[:len(data)/2],
	} {
		if _, err := readParquet(t, b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParquetCallbackError(t *testing.T) {
	data := writeParquet(t, lakeRows())
	stop := errors.New("stop")
	n := 0
	err := parquetRows(bytes.NewReader(data), int64(len(data)), func(*pyjson.Object) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("got %v after %d rows, want the callback's error after 1", err, n)
	}
}

// Expected values from Python's str(decimal.Decimal(...)).
func TestPyDecimal(t *testing.T) {
	for _, c := range []struct {
		unscaled int64
		scale    int32
		want     string
	}{
		{12345, 2, "123.45"}, {5, 2, "0.05"}, {-1, 2, "-0.01"}, {0, 2, "0.00"}, {0, 0, "0"},
		{123, 0, "123"}, {1, 10, "1E-10"}, {1, 6, "0.000001"}, {1, 7, "1E-7"}, {12, 7, "0.0000012"},
		{1, -2, "1E+2"}, {-123, 8, "-0.00000123"}, {123, 9, "1.23E-7"},
	} {
		if got := pyDecimal(big.NewInt(c.unscaled), c.scale); got != c.want {
			t.Errorf("pyDecimal(%d, %d) = %s, want %s", c.unscaled, c.scale, got, c.want)
		}
	}
	if got := pyDecimal(twosComplement([]byte{0xff, 0x85}), 1); got != "-12.3" {
		t.Errorf("two's complement: got %s", got)
	}
}

// Expected values from Python's str(bytes) and str(datetime...).
func TestPyRepr(t *testing.T) {
	for in, want := range map[string]string{
		"":           "b''",
		"abc":        "b'abc'",
		"'":          `b"'"`,
		`'"`:         `b'\'"'`,
		"\x7f\xff\n": `b'\x7f\xff\n'`,
		"\\\t\r\x01": `b'\\\t\r\x01'`,
	} {
		if got := pyjson.ReprBytes([]byte(in)); got != want {
			t.Errorf("pyjson.ReprBytes(%q) = %s, want %s", in, got, want)
		}
	}
	ts := time.Date(2024, 5, 1, 10, 20, 30, 123456789, time.UTC)
	for _, c := range []struct {
		got, want string
	}{
		{pyDatetime(ts, true, true), "2024-05-01 10:20:30.123456789+00:00"},
		{pyDatetime(ts, false, true), "2024-05-01 10:20:30.123456+00:00"},
		{pyDatetime(ts.Truncate(time.Microsecond), true, false), "2024-05-01 10:20:30.123456"},
		{pyDatetime(ts.Truncate(time.Second), true, true), "2024-05-01 10:20:30+00:00"},
		{pyDatetime(unitTime(-1500, time.Millisecond), false, true), "1969-12-31 23:59:58.500000+00:00"},
		{pyDate(0), "1970-01-01"},
		{pyTime(int64(13*time.Hour + 5*time.Second)), "13:00:05"},
		{pyTime(int64(time.Second + 1500*time.Nanosecond)), "00:00:01.000001"},
		{string(pyjson.Marshal(pyjson.FloatNumber(float16(0x3c00)))), "1.0"},
		{string(pyjson.Marshal(pyjson.FloatNumber(float16(0xc100)))), "-2.5"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

// A Parquet file larger than the memory limit is read from a temporary
// file that is removed afterwards.
func TestSpool(t *testing.T) {
	dir := t.TempDir()
	data := writeParquet(t, lakeRows())
	for _, limit := range []int64{int64(len(data)), 100} {
		ra, size, release, err := spool(bytes.NewReader(data), limit, dir)
		if err != nil {
			t.Fatal(err)
		}
		ents, _ := os.ReadDir(dir)
		if spooled := len(ents) == 1; spooled != (limit < int64(len(data))) || size != int64(len(data)) {
			t.Errorf("limit %d: %d files in the temp dir, size %d", limit, len(ents), size)
		}
		var n int
		if err := parquetRows(ra, size, func(*pyjson.Object) error { n++; return nil }); err != nil || n != 2 {
			t.Errorf("limit %d: %d rows, %v", limit, n, err)
		}
		if err := release(); err != nil {
			t.Error(err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("limit %d: %d files left", limit, len(ents))
		}
	}
}
