package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wazuh/aws-s3-go/core/kind"
)

// The tables of the services database (aws_services.db) that Status reads;
// core/service owns their DDL.
const (
	ServicesTable   = "aws_services"
	CloudWatchTable = "cloudwatch_logs"
)

// ErrNoDatabase is returned by ReadStatus for a database file that does
// not exist (no run has written it yet).
var ErrNoDatabase = errors.New("no state database")

// GroupStatus is what a state database keeps for one unit a run iterates:
// a bucket path, account and region (and flow log), an Inspector account
// and region, or a CloudWatch log group.
type GroupStatus struct {
	Table      string // the type's table, ServicesTable or CloudWatchTable
	BucketPath string `json:",omitempty"`
	Account    string `json:",omitempty"`
	Region     string `json:",omitempty"`
	FlowLogID  string `json:",omitempty"`
	Service    string `json:",omitempty"` // aws_services.service_name
	LogGroup   string `json:",omitempty"` // cloudwatch_logs.aws_log_group

	// Rows is how many rows the group keeps (log streams for CloudWatch).
	Rows int64
	// LastKey is the greatest log_key of a bucket group, the newest scan
	// date of a service, the stream read last of a log group.
	LastKey string
	// LastProcessed is the latest processed_date of a bucket group (UTC,
	// "YYYY-MM-DD HH:MM:SS"), the newest scan date of a service, the
	// latest end_time of a log group.
	LastProcessed string
}

// ReadStatus summarises the state database at path per group, without
// changing anything: the file is opened read-only and query-only, so it
// can be read while a run holds it, and a missing file is not created
// (ErrNoDatabase). Bucket tables are recognised by name; regionOf, when
// not nil, splits the groups of region-less tables (schema Custom) by the
// region it finds in each key ("" keeps them whole).
func ReadStatus(ctx context.Context, path string, regionOf func(table, key string) string) ([]GroupStatus, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoDatabase)
	}
	// mode=ro never creates the file nor a journal; query_only refuses
	// any write a bug could attempt; the busy timeout rides out a
	// writer's commit.
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?mode=ro&_pragma=busy_timeout(" + busyTimeout + ")&_pragma=query_only(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// One read transaction: every table is seen at the same moment.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer tx.Rollback()
	names, err := tableList(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var out []GroupStatus
	for _, name := range names {
		var groups []GroupStatus
		if k, ok := kind.ByTable(name); ok {
			groups, err = bucketStatus(ctx, tx, name, k.Schema, regionOf)
		} else if name == ServicesTable {
			groups, err = servicesStatus(ctx, tx)
		} else if name == CloudWatchTable {
			groups, err = cloudWatchStatus(ctx, tx)
		} else {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading table %s of %s: %w", name, path, err)
		}
		out = append(out, groups...)
	}
	return out, nil
}

func tableList(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// groupKey orders and identifies groups.
type groupKey struct{ a, b, c, d, e string }

// folder accumulates groups in the order of their keys.
type folder struct {
	m map[groupKey]*GroupStatus
}

func (f *folder) get(k groupKey, mk func() GroupStatus) *GroupStatus {
	if f.m == nil {
		f.m = map[groupKey]*GroupStatus{}
	}
	g, ok := f.m[k]
	if !ok {
		v := mk()
		g = &v
		f.m[k] = g
	}
	return g
}

func (f *folder) sorted() []GroupStatus {
	keys := make([]groupKey, 0, len(f.m))
	for k := range f.m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y groupKey) int {
		return strings.Compare(x.a+"\x00"+x.b+"\x00"+x.c+"\x00"+x.d+"\x00"+x.e, y.a+"\x00"+y.b+"\x00"+y.c+"\x00"+y.d+"\x00"+y.e)
	})
	out := make([]GroupStatus, 0, len(keys))
	for _, k := range keys {
		out = append(out, *f.m[k])
	}
	return out
}

// bucketStatus reads every row of a bucket table: the tables are kept
// small by the maintenance (retain_db_records per group), and reading them
// whole lets region-less tables be split by the keys' regions.
func bucketStatus(ctx context.Context, tx *sql.Tx, table string, s Schema, regionOf func(table, key string) string) ([]GroupStatus, error) {
	cols := "bucket_path, aws_account_id, '', '', log_key, processed_date"
	switch s {
	case Region:
		cols = "bucket_path, aws_account_id, aws_region, '', log_key, processed_date"
	case VPC:
		cols = "bucket_path, aws_account_id, aws_region, flow_log_id, log_key, processed_date"
	}
	// The table name comes from sqlite_master and matched a known one.
	rows, err := tx.QueryContext(ctx, "SELECT "+cols+" FROM "+table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var f folder
	for rows.Next() {
		var path, account, region, flow, key, processed sql.NullString
		if err := rows.Scan(&path, &account, &region, &flow, &key, &processed); err != nil {
			return nil, err
		}
		if s == Custom && regionOf != nil {
			region.String = regionOf(table, key.String)
		}
		g := f.get(groupKey{path.String, account.String, region.String, flow.String, ""}, func() GroupStatus {
			return GroupStatus{Table: table, BucketPath: path.String, Account: account.String, Region: region.String, FlowLogID: flow.String}
		})
		g.Rows++
		g.LastKey = max(g.LastKey, key.String)
		g.LastProcessed = max(g.LastProcessed, processed.String)
	}
	return f.sorted(), rows.Err()
}

func servicesStatus(ctx context.Context, tx *sql.Tx) ([]GroupStatus, error) {
	rows, err := tx.QueryContext(ctx, "SELECT service_name, aws_account_id, aws_region, count(*), max(scan_date) FROM "+ServicesTable+
		" GROUP BY service_name, aws_account_id, aws_region ORDER BY service_name, aws_account_id, aws_region")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GroupStatus
	for rows.Next() {
		g := GroupStatus{Table: ServicesTable}
		var last sql.NullString
		if err := rows.Scan(&g.Service, &g.Account, &g.Region, &g.Rows, &last); err != nil {
			return nil, err
		}
		g.LastKey, g.LastProcessed = last.String, last.String
		out = append(out, g)
	}
	return out, rows.Err()
}

// cloudWatchStatus reads the log streams of every log group. The
// reference may store the text "None" for a missing time; such a stream
// counts but has no end.
func cloudWatchStatus(ctx context.Context, tx *sql.Tx) ([]GroupStatus, error) {
	rows, err := tx.QueryContext(ctx, "SELECT aws_region, aws_log_group, aws_log_stream, CAST(end_time AS TEXT) FROM "+CloudWatchTable)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var f folder
	latest := map[groupKey]int64{}
	for rows.Next() {
		var region, group, stream, end sql.NullString
		if err := rows.Scan(&region, &group, &stream, &end); err != nil {
			return nil, err
		}
		k := groupKey{group.String, region.String, "", "", ""}
		g := f.get(k, func() GroupStatus {
			return GroupStatus{Table: CloudWatchTable, Region: region.String, LogGroup: group.String}
		})
		g.Rows++
		ms, err := strconv.ParseInt(end.String, 10, 64)
		if err != nil {
			continue
		}
		if cur, seen := latest[k]; !seen || ms > cur || (ms == cur && stream.String > g.LastKey) {
			latest[k] = ms
			g.LastKey = stream.String
			g.LastProcessed = time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000")
		}
	}
	return f.sorted(), rows.Err()
}
