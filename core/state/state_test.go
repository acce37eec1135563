package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/kind"
)

// The stored DDL texts as reference-wodle.md §2.2/§2.3 quotes them.
const (
	wantMetadata = `CREATE TABLE metadata (
                        key 'text' NOT NULL,
                        value 'text' NOT NULL,
                        PRIMARY KEY (key, value))`
	wantCloudtrail = `CREATE TABLE cloudtrail (
                bucket_path 'text' NOT NULL,
                aws_account_id 'text' NOT NULL,
                aws_region 'text' NOT NULL,
                log_key 'text' NOT NULL,
                processed_date 'text' NOT NULL,
                created_date 'integer' NOT NULL,
                PRIMARY KEY (bucket_path, aws_account_id, aws_region, log_key))`
	wantVpcflow = `CREATE TABLE vpcflow (
                bucket_path 'text' NOT NULL,
                aws_account_id 'text' NOT NULL,
                aws_region 'text' NOT NULL,
                flow_log_id 'text' NOT NULL,
                log_key 'text' NOT NULL,
                processed_date 'text' NOT NULL,
                created_date 'integer' NOT NULL,
                PRIMARY KEY (bucket_path, aws_account_id, aws_region, flow_log_id, log_key))`
	wantCustom = `CREATE TABLE custom (
                bucket_path 'text' NOT NULL,
                aws_account_id 'text' NOT NULL,
                log_key 'text' NOT NULL,
                processed_date 'text' NOT NULL,
                created_date 'integer' NOT NULL,
                PRIMARY KEY (bucket_path, aws_account_id, log_key))`
)

func storedSQL(t *testing.T, path, name string) string {
	t.Helper()
	db := rawDB(t, path)
	var s string
	if err := db.QueryRow("SELECT sql FROM sqlite_master WHERE type='table' AND name=?", name).Scan(&s); err != nil {
		t.Fatalf("sqlite_master %s: %v", name, err)
	}
	db.Close()
	return s
}

func TestDDLStored(t *testing.T) {
	want := map[string]string{"cloudtrail": wantCloudtrail, "vpcflow": wantVpcflow, "custom": wantCustom}
	for _, n := range kind.Names() {
		k, _ := kind.Lookup(n)
		name, s := k.Table, k.Schema
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
			d := open(t, path, nil)
			_, created, err := d.EnsureTable(name, s)
			if err != nil || !created {
				t.Fatalf("EnsureTable = %v, %v", created, err)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			got := storedSQL(t, path, name)
			// Every table of a schema has the same text but for the name.
			var ref string
			switch s {
			case Region:
				ref = wantCloudtrail
			case VPC:
				ref = wantVpcflow
			case Custom:
				ref = wantCustom
			}
			ref = strings.Replace(ref, "CREATE TABLE "+map[Schema]string{Region: "cloudtrail", VPC: "vpcflow", Custom: "custom"}[s], "CREATE TABLE "+name, 1)
			if got != ref {
				t.Errorf("stored DDL:\n%s\nwant:\n%s", got, ref)
			}
			if w, ok := want[name]; ok && got != w {
				t.Errorf("stored DDL differs from the spec text")
			}
			if m := storedSQL(t, path, "metadata"); m != wantMetadata {
				t.Errorf("metadata DDL:\n%s\nwant:\n%s", m, wantMetadata)
			}
		})
	}
}

func TestEnsureTableExisting(t *testing.T) {
	path := fixture(t, "schema_cloudtrail_test")
	logs, log := newLog()
	d := open(t, path, log)
	_, created, err := d.EnsureTable("cloudtrail", Region)
	if err != nil || created {
		t.Fatalf("EnsureTable on fixture = %v, %v; want existing table", created, err)
	}
	if strings.Contains(logs.String(), "Table does not exist") {
		t.Errorf("logged creation of an existing table:\n%s", logs)
	}
	_, created, err = d.EnsureTable("waf", Custom)
	if err != nil || !created {
		t.Fatalf("EnsureTable(waf) = %v, %v", created, err)
	}
	if !strings.Contains(logs.String(), "DEBUG: +++ Table does not exist; create\n") {
		t.Errorf("missing creation line:\n%s", logs)
	}
	if !strings.HasPrefix(storedSQL(t, path, "cloudtrail"), "CREATE TABLE 'cloudtrail'") {
		t.Error("fixture table was replaced")
	}
	if _, _, err := d.EnsureTable("cloudtrail; DROP TABLE x", Region); err == nil {
		t.Error("accepted a table name that is not an identifier")
	}
}

func metadataRows(t *testing.T, path string) []string {
	t.Helper()
	db := rawDB(t, path)
	rows, err := db.Query("SELECT key || '=' || value FROM metadata ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

func tableSet(t *testing.T, path string) map[string]bool {
	t.Helper()
	db := rawDB(t, path)
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type='table'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]bool{}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		m[s] = true
	}
	return m
}

func TestMetadata(t *testing.T) {
	t.Run("create", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sub", "dir", "s3_cloudtrail.db")
		d, err := Open(path, "v5.1.0", nil)
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		if got := metadataRows(t, path); !reflect.DeepEqual(got, []string{"version=v5.1.0"}) {
			t.Errorf("metadata = %q", got)
		}
		d, err = Open(path, "v5.2.0", nil)
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		if got := metadataRows(t, path); !reflect.DeepEqual(got, []string{"version=v5.2.0"}) {
			t.Errorf("after upgrade metadata = %q", got)
		}
	})
	t.Run("python fixture update", func(t *testing.T) {
		path := fixture(t, "schema_metadata_test")
		open(t, path, nil).Close()
		if got := metadataRows(t, path); !reflect.DeepEqual(got, []string{"version=v5.1.0"}) {
			t.Errorf("metadata = %q", got)
		}
	})
	t.Run("deprecated tables dropped on creation", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
		db := rawDB(t, path)
		for _, n := range []string{"log_progress", "trail_progress", "cloudtrail"} {
			if _, err := db.Exec("CREATE TABLE " + n + " (key 'text' NOT NULL, value 'text' NOT NULL, PRIMARY KEY (key, value))"); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		logs, log := newLog()
		open(t, path, log).Close()
		got := tableSet(t, path)
		if got["log_progress"] || got["trail_progress"] || !got["cloudtrail"] || !got["metadata"] {
			t.Errorf("tables after open: %v", got)
		}
		for _, n := range []string{"log_progress", "trail_progress"} {
			line := fmt.Sprintf("DEBUG: Removing deprecated '%s 'table from %s\n", n, path)
			if !strings.Contains(logs.String(), line) {
				t.Errorf("missing %q in\n%s", line, logs)
			}
		}
	})
	t.Run("fixture with empty metadata keeps deprecated tables", func(t *testing.T) {
		// The reference only drops them when it creates metadata.
		path := fixture(t, "schema_metadata_deprecated_tables_test")
		open(t, path, nil).Close()
		got := tableSet(t, path)
		if !got["log_progress"] || !got["trail_progress"] {
			t.Errorf("tables after open: %v", got)
		}
		if rows := metadataRows(t, path); !reflect.DeepEqual(rows, []string{"version=v5.1.0"}) {
			t.Errorf("metadata = %q", rows)
		}
	})
	t.Run("update failure is exit 5", func(t *testing.T) {
		path := fixture(t, "schema_metadata_test")
		db := rawDB(t, path)
		if _, err := db.Exec("CREATE TRIGGER no_update BEFORE UPDATE ON metadata BEGIN SELECT RAISE(ABORT, 'frozen'); END"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err := Open(path, "v5.1.0", nil)
		var e *Error
		if !errors.As(err, &e) || e.Kind != Query || e.Msg != "Error attempting to update the metadata table: frozen" {
			t.Fatalf("Open = %#v", err)
		}
	})
	t.Run("unopenable path is exit 5", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "file")
		os.WriteFile(file, nil, 0o600)
		path := filepath.Join(file, "s3_cloudtrail.db")
		_, err := Open(path, "v5.1.0", nil)
		var e *Error
		if !errors.As(err, &e) || e.Kind != Query || !strings.HasPrefix(e.Msg, "Error attempting to operate with the "+path+" database: ") {
			t.Fatalf("Open = %v", err)
		}
	})
}

func TestCreateFailureIsExit6(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	db := rawDB(t, path)
	if _, err := db.Exec("CREATE VIEW cloudtrail AS SELECT 1"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	d := open(t, path, nil)
	_, _, err := d.EnsureTable("cloudtrail", Region)
	var e *Error
	if !errors.As(err, &e) || e.Kind != Create || !strings.HasPrefix(e.Msg, "Unable to create SQLite DB: ") ||
		strings.Contains(e.Msg, "(1)") {
		t.Fatalf("EnsureTable = %v", err)
	}
}

// fixtureCase describes one Python fixture of §2.10.
type fixtureCase struct {
	file, table string
	group       Group
	prefix      string // listing prefix of the keys
	newKey      string
}

var fixtureCases = []fixtureCase{
	{"schema_cloudtrail_test", "cloudtrail",
		Group{BucketPath: "test-bucket/", Account: "123456789123", Region: "us-east-1"},
		"AWSLogs/123456789/CloudTrail/us-east-1/",
		"AWSLogs/123456789/CloudTrail/us-east-1/2019/04/02/123456789_CloudTrail-us-east-1_20190402T0000Z_aaaa.json.gz"},
	{"schema_config_test", "config",
		Group{BucketPath: "test-bucket/", Account: "123456789123", Region: "us-east-1"},
		"config/AWSLogs/123456789/Config/us-east-1/",
		"config/AWSLogs/123456789/Config/us-east-1/2019/4/16/ConfigHistory/123456789_Config_us-east-1_ConfigHistory_20190416T020500Z.json.gz"},
	{"schema_custom_test", "custom",
		Group{BucketPath: "test-bucket/", Account: "123456789123", Region: "ignored"},
		"custom/",
		"custom/2019/04/15/07/firehose_custom-1-2019-04-15-14-00-03.zip"},
	{"schema_guardduty_test", "guardduty",
		Group{BucketPath: "test-bucket/", Account: "123456789123"},
		"guardduty/",
		"guardduty/2019/04/15/07/firehose_guardduty-1-2019-04-15-14-00-03.zip"},
	{"schema_vpcflow_test", "vpcflow",
		Group{BucketPath: "test-bucket/", Account: "123456789123", Region: "us-east-1", FlowLogID: "fl-1234"},
		"vpc/AWSLogs/123456789/vpcflowlogs/us-east-1/",
		"vpc/AWSLogs/123456789/vpcflowlogs/us-east-1/2019/04/16/123456789_vpcflowlogs_us-east-1_fl-1234_20190416T0000Z_c23ab7.log.gz"},
}

func TestContinuePythonFixtures(t *testing.T) {
	for _, c := range fixtureCases {
		t.Run(c.table, func(t *testing.T) {
			path := fixture(t, c.file)
			before := keys(t, path, c.table, "")
			if len(before) != 8 {
				t.Fatalf("fixture has %d rows", len(before))
			}
			d := open(t, path, nil)
			tb := table(t, d, c.table)

			for _, k := range before {
				if ok, err := tb.Processed(c.group, k); err != nil || !ok {
					t.Errorf("Processed(%s) = %v, %v", k, ok, err)
				}
			}
			other := c.group
			other.Account = "000000000000"
			if ok, _ := tb.Processed(other, before[0]); ok {
				t.Error("Processed ignores the account")
			}
			if ok, _ := tb.Processed(c.group, c.newKey); ok {
				t.Error("new key reported processed")
			}

			last, ok, err := tb.LastKey(c.group, c.prefix)
			if err != nil || !ok || last != before[len(before)-1] {
				t.Errorf("LastKey = %q, %v, %v; want %q", last, ok, err, before[len(before)-1])
			}
			// LIKE as SQLite has it: ASCII case-insensitive, '_' a wildcard.
			for _, p := range []string{strings.ToUpper(c.prefix), strings.Replace(c.prefix, "/", "_", 1)} {
				if l, ok, _ := tb.LastKey(c.group, p); !ok || l != last {
					t.Errorf("LastKey(%q) = %q, %v", p, l, ok)
				}
			}
			if _, ok, _ := tb.LastKey(c.group, "nothing/"); ok {
				t.Error("LastKey matched an unrelated prefix")
			}

			if _, err := tb.Record(c.group, c.newKey, 20190416); err != nil {
				t.Fatal(err)
			}
			if ok, _ := tb.Processed(c.group, c.newKey); !ok {
				t.Error("recorded key not visible before commit")
			}
			if l, _, _ := tb.LastKey(c.group, c.prefix); l != c.newKey {
				t.Errorf("LastKey after Record = %q", l)
			}
			// Keep 4 of the 9, everything before the new key may go.
			n, err := tb.Trim(c.group, 4, c.newKey)
			if err != nil || n != 5 {
				t.Errorf("Trim = %d, %v; want 5", n, err)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			after := keys(t, path, c.table, "")
			want := append(append([]string{}, before[5:]...), c.newKey)
			sort.Strings(want)
			if !reflect.DeepEqual(after, want) {
				t.Errorf("rows after trim:\n%q\nwant\n%q", after, want)
			}
		})
	}
}

func TestRecordRow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	logs, log := newLog()
	d := open(t, path, log)
	tb := table(t, d, "vpcflow")
	g := Group{BucketPath: "b/", Account: "1", Region: "r", FlowLogID: "fl"}
	if _, err := tb.Record(g, "k", 20241120); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Record(g, "k", 20241120); err != nil {
		t.Fatalf("duplicate Record = %v; want it swallowed", err)
	}
	want := "DEBUG: +++ Error marking log k as completed: UNIQUE constraint failed: vpcflow.bucket_path, vpcflow.aws_account_id, vpcflow.aws_region, vpcflow.flow_log_id, vpcflow.log_key\n"
	if !strings.Contains(logs.String(), want) {
		t.Errorf("missing %q in\n%s", want, logs)
	}
	d.Close()
	db := rawDB(t, path)
	var b, a, r, f, k, pd, typ string
	var c int64
	err := db.QueryRow("SELECT bucket_path, aws_account_id, aws_region, flow_log_id, log_key, processed_date, created_date, typeof(created_date) FROM vpcflow").
		Scan(&b, &a, &r, &f, &k, &pd, &c, &typ)
	if err != nil {
		t.Fatal(err)
	}
	if b != "b/" || a != "1" || r != "r" || f != "fl" || k != "k" || c != 20241120 || typ != "integer" {
		t.Errorf("row = %q %q %q %q %q %d %s", b, a, r, f, k, c, typ)
	}
	if ts, err := time.Parse(time.DateTime, pd); err != nil || time.Since(ts) > time.Hour || time.Since(ts) < -time.Minute {
		t.Errorf("processed_date %q is not DATETIME('now'): %v", pd, err)
	}
}

func TestConcurrentRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	d := open(t, path, nil)
	tb := table(t, d, "cloudtrail")
	const workers, per = 16, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			g := Group{BucketPath: "b/", Account: "1", Region: fmt.Sprintf("r%d", w%4)}
			for i := 0; i < per; i++ {
				k := fmt.Sprintf("w%02d/%04d", w, i)
				if ok, err := tb.Processed(g, k); err != nil || ok {
					errs <- fmt.Errorf("Processed(%s) = %v, %v", k, ok, err)
					return
				}
				s, err := tb.Record(g, k, 1)
				if err != nil {
					errs <- err
					return
				}
				if ok, _ := tb.Processed(g, k); !ok {
					errs <- fmt.Errorf("%s not visible", k)
					return
				}
				if i%50 == 0 {
					if err := d.WaitDurable(context.Background(), s); err != nil {
						errs <- err
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := len(keys(t, path, "cloudtrail", "")); got != workers*per {
		t.Errorf("%d rows durable, want %d", got, workers*per)
	}
}

func TestWaitDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	d := open(t, path, nil)
	tb := table(t, d, "custom")
	g := Group{BucketPath: "b/", Account: "1"}
	s, err := tb.Record(g, "k1", 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := d.WaitDurable(ctx, s); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("commit took %v", el)
	}
	if d.Durable() < s {
		t.Errorf("Durable() = %d < %d", d.Durable(), s)
	}
	// Visible to another connection without Flush or Close.
	if got := keys(t, path, "custom", ""); !reflect.DeepEqual(got, []string{"k1"}) {
		t.Errorf("rows seen by another connection: %q", got)
	}
	// A full batch is committed by the Record that fills it: never more
	// than CommitRows-1 recorded rows wait for a commit.
	var last Seq
	for i := 0; i < 2*CommitRows; i++ {
		if last, err = tb.Record(g, fmt.Sprintf("b%04d", i), 1); err != nil {
			t.Fatal(err)
		}
		if last-d.Durable() >= CommitRows {
			t.Fatalf("after %d rows, %d of them not durable", i+1, last-d.Durable())
		}
	}
	if err := d.WaitDurable(ctx, last); err != nil {
		t.Fatal(err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	d.Close()
	if err := d.WaitDurable(cctx, last+1); err == nil {
		t.Error("WaitDurable for an unrecorded Seq on a closed DB returned nil")
	}
	if _, err := tb.Record(g, "late", 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Record after Close = %v", err)
	}
}

func TestTrim(t *testing.T) {
	g := Group{BucketPath: "b/", Account: "1", Region: "r"}
	mk := func(n int) []string {
		var ks []string
		for i := 0; i < n; i++ {
			ks = append(ks, fmt.Sprintf("k%02d", i))
		}
		return ks
	}
	cases := []struct {
		name     string
		keep     int
		keepFrom string
		want     []string // remaining
	}{
		{"reference rule when nothing is protected", 3, "\xff", mk(10)[7:]},
		{"window protects rows below the retention", 3, "k05", mk(10)[5:]},
		{"window start above retention", 3, "k08", mk(10)[7:]},
		{"empty keepFrom protects all", 3, "", mk(10)},
		{"fewer rows than keep", 20, "\xff", mk(10)},
		{"keep zero", 0, "k02", mk(10)[2:]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
			logs, log := newLog()
			d := open(t, path, log)
			tb := table(t, d, "cloudtrail")
			other := g
			other.Region = "r2"
			for _, k := range mk(10) {
				tb.Record(g, k, 1)
				tb.Record(other, k, 1)
			}
			n, err := tb.Trim(g, c.keep, c.keepFrom)
			if err != nil {
				t.Fatal(err)
			}
			if int(n) != 10-len(c.want) {
				t.Errorf("deleted %d, want %d", n, 10-len(c.want))
			}
			if !strings.Contains(logs.String(), "DEBUG: +++ DB Maintenance\n") {
				t.Error("no maintenance line")
			}
			d.Close()
			if got := keys(t, path, "cloudtrail", "aws_region='r'"); !reflect.DeepEqual(got, c.want) {
				t.Errorf("remaining %q, want %q", got, c.want)
			}
			if got := keys(t, path, "cloudtrail", "aws_region='r2'"); len(got) != 10 {
				t.Errorf("other group lost rows: %q", got)
			}
		})
	}
	t.Run("same as the reference DELETE", func(t *testing.T) {
		// With no window, Trim must delete exactly what the reference's
		// maintenance statement deletes.
		ref := filepath.Join(t.TempDir(), "ref.db")
		ours := filepath.Join(t.TempDir(), "ours.db")
		var all []string
		for i := 0; i < 40; i++ {
			all = append(all, fmt.Sprintf("AWSLogs/1/x/%03d", (i*37)%100))
		}
		for _, p := range []string{ref, ours} {
			d := open(t, p, nil)
			tb := table(t, d, "custom")
			for _, k := range all {
				tb.Record(Group{BucketPath: "b/", Account: "1"}, k, 1)
			}
			if p == ours {
				tb.Trim(Group{BucketPath: "b/", Account: "1"}, 25, "\xff")
			}
			d.Close()
		}
		db := rawDB(t, ref)
		_, err := db.Exec(`DELETE FROM custom WHERE bucket_path=:bucket_path AND aws_account_id=:aws_account_id AND
  log_key <= (SELECT log_key FROM custom WHERE bucket_path=:bucket_path AND aws_account_id=:aws_account_id
              ORDER BY log_key DESC LIMIT 1 OFFSET :retain_db_records)`,
			sql.Named("bucket_path", "b/"), sql.Named("aws_account_id", "1"), sql.Named("retain_db_records", 25))
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		want, got := keys(t, ref, "custom", ""), keys(t, ours, "custom", "")
		if !reflect.DeepEqual(got, want) || len(got) != 25 {
			t.Errorf("got %d rows %q\nwant %d rows %q", len(got), got, len(want), want)
		}
	})
	t.Run("TrimRange keeps other regions of a custom group", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
		d := open(t, path, nil)
		tb := table(t, d, "alb")
		cg := Group{BucketPath: "b/", Account: "1"}
		pre := func(r string) string { return "AWSLogs/1/elasticloadbalancing/" + r + "/" }
		for _, r := range []string{"eu-west-1", "us-east-1"} {
			for day := 10; day < 20; day++ {
				tb.Record(cg, fmt.Sprintf("%s2024/11/%d/x", pre(r), day), 1)
			}
		}
		// us-east-1's next run lists from 2024/11/18: Trim alone would
		// delete all of eu-west-1 (it sorts below that marker).
		n, err := tb.TrimRange(cg, 3, pre("us-east-1"), pre("us-east-1")+"2024/11/18")
		if err != nil || n != 7 {
			t.Errorf("TrimRange = %d, %v; want 7", n, err)
		}
		d.Close()
		if got := keys(t, path, "alb", "log_key LIKE ?", pre("eu-west-1")+"%"); len(got) != 10 {
			t.Errorf("eu-west-1 rows = %d", len(got))
		}
		want := []string{pre("us-east-1") + "2024/11/17/x", pre("us-east-1") + "2024/11/18/x", pre("us-east-1") + "2024/11/19/x"}
		if got := keys(t, path, "alb", "log_key LIKE ?", pre("us-east-1")+"%"); !reflect.DeepEqual(got, want) {
			t.Errorf("us-east-1 rows %q", got)
		}
	})
	t.Run("failure message", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
		d := open(t, path, nil)
		for _, c := range []struct{ table, want string }{
			{"cloudtrail", "Failed to execute DB cleanup - AWS Account ID: 1  Region: r: "},
			{"waf", "ERROR: Failed to execute DB cleanup - Path: b/: "},
		} {
			tb := table(t, d, c.table)
			_, err := tb.Trim(g, -1, "x")
			var e *Error
			if !errors.As(err, &e) || e.Kind != Cleanup || !strings.HasPrefix(e.Msg, c.want) {
				t.Errorf("%s: Trim error = %v", c.table, err)
			}
		}
	})
}

// TestCrashKeepsFlushedRows kills a process that recorded rows and flushed
// them without closing the DB, then reads them from a fresh process state.
func TestCrashKeepsFlushedRows(t *testing.T) {
	if path := os.Getenv("STATE_CRASH_CHILD"); path != "" {
		d, err := Open(path, "v5.1.0", nil)
		if err != nil {
			fmt.Println("open:", err)
			os.Exit(1)
		}
		tb, _, err := d.EnsureTable("cloudtrail", Region)
		if err != nil {
			fmt.Println("table:", err)
			os.Exit(1)
		}
		g := Group{BucketPath: "b/", Account: "1", Region: "r"}
		for i := 0; i < 100; i++ {
			tb.Record(g, fmt.Sprintf("flushed/%03d", i), 1)
		}
		if err := d.Flush(); err != nil {
			fmt.Println("flush:", err)
			os.Exit(1)
		}
		// Rows recorded after the flush are in an open transaction when the
		// process dies; they must vanish, not corrupt the file.
		for i := 0; i < 10; i++ {
			tb.Record(g, fmt.Sprintf("open/%03d", i), 1)
		}
		fmt.Println("ready")
		// Die at once: waiting for the parent to kill us let the committer
		// commit them first on a loaded machine.
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsFlushedRows$")
	cmd.Env = append(os.Environ(), "STATE_CRASH_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "ready") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q", buf[:n])
	}
	cmd.Wait()

	d := open(t, path, nil)
	tb := table(t, d, "cloudtrail")
	g := Group{BucketPath: "b/", Account: "1", Region: "r"}
	for i := 0; i < 100; i++ {
		if ok, err := tb.Processed(g, fmt.Sprintf("flushed/%03d", i)); err != nil || !ok {
			t.Fatalf("flushed row %d lost: %v", i, err)
		}
	}
	if ok, _ := tb.Processed(g, "open/000"); ok {
		t.Error("row of an uncommitted transaction survived the kill")
	}
	if _, err := tb.Record(g, "after", 1); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestFlushVisibleToSecondOpen is the in-process variant: a second
// connection to the file (not a second DB: the lock forbids it) sees
// flushed rows while the first is still open.
func TestFlushVisibleToSecondOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	d1 := open(t, path, nil)
	t1 := table(t, d1, "guardduty")
	g := Group{BucketPath: "b/", Account: "1"}
	for i := 0; i < 10; i++ {
		t1.Record(g, fmt.Sprint(i), 1)
	}
	if err := d1.Flush(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rawDB(t, path).QueryRow("SELECT count(*) FROM guardduty").Scan(&n); err != nil || n != 10 {
		t.Errorf("another connection sees %d rows (%v), want 10", n, err)
	}
}

// TestProcessedKeys: for every key, ProcessedKeys agrees with Processed,
// across schemas, groups, uncommitted rows and more keys than one query
// binds.
func TestProcessedKeys(t *testing.T) {
	for _, c := range fixtureCases {
		t.Run(c.table, func(t *testing.T) {
			path := fixture(t, c.file)
			before := keys(t, path, c.table, "")
			d := open(t, path, nil)
			tb := table(t, d, c.table)
			// Recorded, not yet committed.
			if _, err := tb.Record(c.group, c.newKey, 20190416); err != nil {
				t.Fatal(err)
			}
			var extra []string
			for i := 0; i < 1200; i++ {
				k := fmt.Sprintf("%sx/%04d'%%_.gz", c.prefix, i)
				extra = append(extra, k)
				if i%3 == 0 {
					if _, err := tb.Record(c.group, k, 20190416); err != nil {
						t.Fatal(err)
					}
				}
			}
			query := append(append([]string{c.newKey, strings.ToUpper(before[0]), before[0] + " ", ""}, before...), extra...)
			query = append(query, before[0]) // twice
			other := c.group
			other.Account = "000000000000"
			for _, g := range []Group{c.group, other} {
				got, err := tb.ProcessedKeys(g, query)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, k := range query {
					want, err := tb.Processed(g, k)
					if err != nil {
						t.Fatal(err)
					}
					if got[k] != want {
						t.Errorf("group %v: ProcessedKeys says %v for %q, Processed %v", g, got[k], k, want)
					}
					if want {
						n++
					}
				}
				if g == c.group && n != 1+len(before)+1+400 {
					t.Errorf("%d of the keys processed, want %d", n, 1+len(before)+1+400)
				}
				if g == other && len(got) != 0 {
					t.Errorf("another account's keys reported processed: %d", len(got))
				}
			}
			if got, err := tb.ProcessedKeys(c.group, nil); err != nil || len(got) != 0 {
				t.Errorf("ProcessedKeys(nil) = %v, %v", got, err)
			}
		})
	}
}

// BenchmarkProcessed looks up a listing page of 1,000 keys, half of them
// recorded, in a group of 10,000 rows: one query per key ("each") or per
// page ("page").
func BenchmarkProcessed(b *testing.B) {
	d, err := Open(filepath.Join(b.TempDir(), "s3_cloudtrail.db"), "v5.1.0", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	tb, _, err := d.EnsureTable("cloudtrail", Region)
	if err != nil {
		b.Fatal(err)
	}
	g := Group{BucketPath: "b/", Account: "123456789012", Region: "us-east-1"}
	key := func(i int) string {
		return fmt.Sprintf("AWSLogs/123456789012/CloudTrail/us-east-1/2024/11/20/123456789012_CloudTrail_us-east-1_20241120T1000Z_%06d.json.gz", i)
	}
	for i := 0; i < 20000; i += 2 {
		if _, err := tb.Record(g, key(i), 20241120); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		b.Fatal(err)
	}
	page := make([]string, 1000)
	for i := range page {
		page[i] = key(9000 + i)
	}
	b.Run("each", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, k := range page {
				if _, err := tb.Processed(g, k); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("page", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if done, err := tb.ProcessedKeys(g, page); err != nil || len(done) != 500 {
				b.Fatal(len(done), err)
			}
		}
	})
}
