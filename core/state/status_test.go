package state

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var sqliteNow = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)

// The reference's own test fixtures (its DDL and rows): one group per
// bucket path, account, region and flow log, the greatest key, the date.
func TestStatusReferenceFixtures(t *testing.T) {
	path := fixture(t, "schema_metadata_test", "schema_cloudtrail_test", "schema_vpcflow_test", "schema_guardduty_test", "schema_custom_test")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := ReadStatus(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []GroupStatus{
		{Table: "cloudtrail", BucketPath: "test-bucket/", Account: "123456789123", Region: "us-east-1", Rows: 8,
			LastKey: "AWSLogs/123456789/CloudTrail/us-east-1/2019/04/01/123456789_CloudTrail-us-east-1_20190401T0030Z_aaaa.json.gz"},
		{Table: "custom", BucketPath: "test-bucket/", Account: "123456789123", Rows: 8,
			LastKey: "custom/2019/04/15/07/firehose_custom-1-2019-04-15-13-19-03.zip"},
		{Table: "guardduty", BucketPath: "test-bucket/", Account: "123456789123", Rows: 8,
			LastKey: "guardduty/2019/04/15/07/firehose_guardduty-1-2019-04-15-13-19-03.zip"},
		{Table: "vpcflow", BucketPath: "test-bucket/", Account: "123456789123", Region: "us-east-1", FlowLogID: "fl-1234", Rows: 8,
			LastKey: "vpc/AWSLogs/123456789/vpcflowlogs/us-east-1/2019/04/15/123456789_vpcflowlogs_us-east-1_fl-1234_20190415T115Z_c23ab7.log.gz"},
	}
	if len(groups) != len(want) {
		t.Fatalf("got %d groups, want %d: %+v", len(groups), len(want), groups)
	}
	for i, g := range groups {
		if !sqliteNow.MatchString(g.LastProcessed) {
			t.Errorf("%s: last processed %q", g.Table, g.LastProcessed)
		}
		g.LastProcessed = ""
		if g != want[i] {
			t.Errorf("group %d:\n got %+v\nwant %+v", i, g, want[i])
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("reading the status changed the database file")
	}
}

// A database Python's sqlite3 wrote with the reference's statements.
func TestStatusPythonWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	python(t, "create", path)
	groups, err := ReadStatus(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 {
		t.Fatalf("groups %+v", groups)
	}
	g := groups[0]
	if g.Table != "cloudtrail" || g.BucketPath != "b/" || g.Account != "1" || g.Region != "us-east-1" || g.Rows != 2 || g.LastKey != "py/2" || !sqliteNow.MatchString(g.LastProcessed) {
		t.Errorf("group %+v", g)
	}
}

// Region-less tables are split by the region regionOf finds in each key.
func TestStatusSplitsByRegion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	d := open(t, path, nil)
	alb := table(t, d, "alb")
	g := Group{BucketPath: "lb/", Account: "111111111111"}
	for _, k := range []string{
		"AWSLogs/111111111111/elasticloadbalancing/us-east-1/2024/11/20/a.log.gz",
		"AWSLogs/111111111111/elasticloadbalancing/us-east-1/2024/11/21/b.log.gz",
		"AWSLogs/111111111111/elasticloadbalancing/eu-west-1/2024/11/19/c.log.gz",
	} {
		if _, err := alb.Record(g, k, 20241120); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	regionOf := func(table, key string) string { return strings.Split(key, "/")[3] }
	groups, err := ReadStatus(context.Background(), path, regionOf)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 {
		t.Fatalf("groups %+v", groups)
	}
	if groups[0].Region != "eu-west-1" || groups[0].Rows != 1 || !strings.HasSuffix(groups[0].LastKey, "/c.log.gz") ||
		groups[1].Region != "us-east-1" || groups[1].Rows != 2 || !strings.HasSuffix(groups[1].LastKey, "/b.log.gz") {
		t.Errorf("groups %+v", groups)
	}
}

// The services database: Inspector scans per account and region, and
// CloudWatch streams per log group, with the reference's "None" text for
// a missing time.
func TestStatusServices(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws_services.db")
	db := rawDB(t, path)
	for _, q := range []string{
		`CREATE TABLE aws_services (
                    service_name 'text' NOT NULL,
                    aws_account_id 'text' NOT NULL,
                    aws_region 'text' NOT NULL,
                    scan_date 'text' NOT NULL,
                    PRIMARY KEY (service_name, aws_account_id, aws_region, scan_date))`,
		`CREATE TABLE cloudwatch_logs (
                    aws_region 'text' NOT NULL,
                    aws_log_group 'text' NOT NULL,
                    aws_log_stream 'text' NOT NULL,
                    next_token 'text',
                    start_time 'integer',
                    end_time 'integer',
                    PRIMARY KEY (aws_region, aws_log_group, aws_log_stream))`,
		`INSERT INTO aws_services VALUES ('inspector', '123456789123', 'us-east-1', '2022-01-26 00:00:00.0'),
			('inspector', '123456789123', 'us-east-1', '2022-08-26 00:00:00.0'),
			('inspector', '123456789123', 'us-east-1', '2022-02-06 18:58:32.504472')`,
		`INSERT INTO cloudwatch_logs VALUES ('us-east-1', 'app', 's1', 'f/1/s', 1640996200000, 1659355591835),
			('us-east-1', 'app', 's2', 'None', 1640996200000, 1640996300000),
			('us-east-1', 'app', 's3', 'None', 'None', 'None')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	groups, err := ReadStatus(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []GroupStatus{
		{Table: "aws_services", Service: "inspector", Account: "123456789123", Region: "us-east-1", Rows: 3, LastKey: "2022-08-26 00:00:00.0", LastProcessed: "2022-08-26 00:00:00.0"},
		{Table: "cloudwatch_logs", Region: "us-east-1", LogGroup: "app", Rows: 3, LastKey: "s1", LastProcessed: "2022-08-01 12:06:31.835"},
	}
	if len(groups) != 2 || groups[0] != want[0] || groups[1] != want[1] {
		t.Errorf("groups\n%+v\nwant\n%+v", groups, want)
	}
}

// A missing database is reported, not created.
func TestStatusMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wodles", "aws", "s3_cloudtrail.db")
	_, err := ReadStatus(context.Background(), path, nil)
	if !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the status created %s: %v", filepath.Dir(path), err)
	}
}

// The status reads while another process holds the write lock in the
// middle of a transaction, and sees only what was committed.
func TestStatusWhileWriting(t *testing.T) {
	path := fixture(t, "schema_cloudtrail_test")
	w := rawDB(t, path)
	ctx := context.Background()
	conn, err := w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO cloudtrail VALUES ('test-bucket/', '123456789123', 'us-east-1', 'AWSLogs/zzz', DATETIME('now'), 0)"); err != nil {
		t.Fatal(err)
	}
	groups, err := ReadStatus(ctx, path, nil)
	if err != nil {
		t.Fatalf("status while a writer holds the lock: %v", err)
	}
	if len(groups) != 1 || groups[0].Rows != 8 || groups[0].LastKey == "AWSLogs/zzz" {
		t.Errorf("groups %+v", groups)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatalf("the writer could not commit after the status: %v", err)
	}
	if groups, err = ReadStatus(ctx, path, nil); err != nil || groups[0].Rows != 9 || groups[0].LastKey != "AWSLogs/zzz" {
		t.Errorf("after commit: %+v, %v", groups, err)
	}
}
