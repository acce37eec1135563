package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
	"github.com/wazuh/aws-s3-go/tests/fixture"
)

func statusJSON(t *testing.T, home string) []dbStatus {
	t.Helper()
	code, stdout, stderr := runArgs("--status", "--json", "--wazuh-home", home)
	if code != 0 {
		t.Fatalf("--status --json: exit %d: %s", code, stderr)
	}
	var out struct{ Databases []dbStatus }
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if len(out.Databases) != 2 {
		t.Fatalf("databases: %+v", out.Databases)
	}
	return out.Databases
}

// After a run of the collector against an in-process S3, --status shows
// every bucket, account and region it read, the last key and where the
// next run starts; --json says the same for scripts.
func TestStatusAfterRun(t *testing.T) {
	srv, err := fixture.StartS3()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", fixture.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", fixture.SecretKey)
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("HOME", t.TempDir())
	ctx := context.Background()
	day := time.Date(2024, 11, 20, 9, 0, 0, 0, time.UTC)
	put := func(bucket, key string, body []byte) {
		t.Helper()
		if err := srv.Put(ctx, bucket, key, body); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []string{"trail", "lb-logs", "fh-logs"} {
		if err := srv.CreateBucket(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	a := fixture.Account
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		put("trail", fixture.CloudTrailKey("", a, r, day, "x"), fixture.Gzip(fixture.CloudTrail(a, r, day, 1)))
		var alb bytes.Buffer
		if err := fixture.WriteALB(&alb, a, r, day, 1); err != nil {
			t.Fatal(err)
		}
		put("lb-logs", fixture.ALBKey("", a, r, "app.web.1", day, "x"), fixture.Gzip(alb.Bytes()))
	}
	put("trail", fixture.CloudTrailKey("", a, "us-east-1", day.Add(time.Hour), "y"), fixture.Gzip(fixture.CloudTrail(a, "us-east-1", day, 1)))
	put("fh-logs", fixture.FirehoseKey("fire/", day, "x"), fixture.Firehose(day, 1))

	home := t.TempDir()
	conf := `<ossec_config><wodle name="aws-s3"><disabled>no</disabled>
<bucket type="cloudtrail"><name>trail</name><only_logs_after>2024-NOV-19</only_logs_after><service_endpoint>` + srv.URL + `</service_endpoint></bucket>
<bucket type="alb"><name>lb-logs</name><only_logs_after>2024-NOV-19</only_logs_after><service_endpoint>` + srv.URL + `</service_endpoint></bucket>
<bucket type="custom"><name>fh-logs</name><path>fire/</path><only_logs_after>2024-NOV-19</only_logs_after><service_endpoint>` + srv.URL + `</service_endpoint></bucket>
</wodle></ossec_config>`
	m, err := config.ParseXML(strings.NewReader(conf), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	for _, tg := range m.Targets {
		if code := engine.Run(ctx, tg, engine.Host{Home: home, Version: "test", Log: logging.NewScript(&logs, 0), Sink: sink.NewWriter(&bytes.Buffer{})}); code != 0 {
			t.Fatalf("%s: exit %d\n%s", tg.Bucket, code, logs.String())
		}
	}

	dbs := statusJSON(t, home)
	if !dbs[0].Exists || dbs[1].Exists || dbs[0].Path != filepath.Join(home, "wodles", "aws", "s3_cloudtrail.db") {
		t.Fatalf("databases: %+v", dbs)
	}
	trail := "AWSLogs/" + a + "/CloudTrail/"
	lb := "AWSLogs/" + a + "/elasticloadbalancing/"
	want := []groupStatus{
		{Type: "alb", Table: "alb", BucketPath: "lb-logs/", Account: a, Region: "eu-west-1", Rows: 1,
			LastKey: fixture.ALBKey("", a, "eu-west-1", "app.web.1", day, "x"), NextAfter: lb + "eu-west-1/2024/11/19"},
		{Type: "alb", Table: "alb", BucketPath: "lb-logs/", Account: a, Region: "us-east-1", Rows: 1,
			LastKey: fixture.ALBKey("", a, "us-east-1", "app.web.1", day, "x"), NextAfter: lb + "us-east-1/2024/11/19"},
		{Type: "cloudtrail", Table: "cloudtrail", BucketPath: "trail/", Account: a, Region: "eu-west-1", Rows: 1,
			LastKey: fixture.CloudTrailKey("", a, "eu-west-1", day, "x"), NextAfter: trail + "eu-west-1/2024/11/19"},
		{Type: "cloudtrail", Table: "cloudtrail", BucketPath: "trail/", Account: a, Region: "us-east-1", Rows: 2,
			LastKey: fixture.CloudTrailKey("", a, "us-east-1", day.Add(time.Hour), "y"), NextAfter: trail + "us-east-1/2024/11/19"},
		{Type: "custom", Table: "custom", BucketPath: "fh-logs/fire/", Account: a, Rows: 1,
			LastKey: fixture.FirehoseKey("fire/", day, "x"), NextAfter: "fire/2024/11/19"},
	}
	got := dbs[0].Groups
	if len(got) != len(want) {
		t.Fatalf("groups:\n%+v", got)
	}
	for i := range got {
		if !sqliteTime(got[i].LastProcessed) {
			t.Errorf("%s %s: last processed %q", got[i].Type, got[i].Region, got[i].LastProcessed)
		}
		got[i].LastProcessed = ""
		if got[i] != want[i] {
			t.Errorf("group %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}

	code, stdout, stderr := runArgs("--status", "--wazuh-home", home)
	if code != 0 {
		t.Fatalf("--status: exit %d: %s", code, stderr)
	}
	for _, line := range []string{
		filepath.Join(home, "wodles", "aws", "s3_cloudtrail.db") + ": 5 groups",
		"TYPE SOURCE ACCOUNT REGION ROWS LAST PROCESSED (UTC)",
		"cloudtrail trail/ " + a + " us-east-1 2 ",
		"custom fh-logs/fire/ " + a + " - 1 ",
		" last key: " + fixture.CloudTrailKey("", a, "us-east-1", day.Add(time.Hour), "y"),
		" next after: " + trail + "us-east-1/2024/11/19",
		filepath.Join(home, "wodles", "aws", "aws_services.db") + ": none (no run has written it yet)",
	} {
		if !strings.Contains(squeeze(stdout), line) {
			t.Errorf("--status lacks %q:\n%s", line, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(home, "wodles", "aws", "aws_services.db")); !os.IsNotExist(err) {
		t.Errorf("--status created the services database: %v", err)
	}
}

// squeeze makes every run of spaces one space: the table's widths depend
// on its content.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lead := ""
		if strings.HasPrefix(l, " ") {
			lead = " "
		}
		lines[i] = lead + strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n") + " "
}

func sqliteTime(s string) bool {
	_, err := time.Parse("2006-01-02 15:04:05", s)
	return err == nil
}

// A database the Python wodle wrote (its DDL and statements), with a
// services database beside it, is read the same way.
func TestStatusPythonDatabases(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "wodles", "aws")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	exec := func(path string, stmts ...string) {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range stmts {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	// wazuh_integration.py, aws_bucket.py, vpcflow.py: their strings.
	const vpcKey = "AWSLogs/123456789123/vpcflowlogs/us-east-1/2024/11/20/123456789123_vpcflowlogs_us-east-1_fl-1234_20241120T0950Z_c23ab7.log.gz"
	exec(filepath.Join(dir, "s3_cloudtrail.db"), `
                    CREATE TABLE metadata (
                        key 'text' NOT NULL,
                        value 'text' NOT NULL,
                        PRIMARY KEY (key, value));
                    `, "INSERT INTO metadata (key, value) VALUES ('version', 'v4.9.2');", `
            CREATE TABLE vpcflow (
                bucket_path 'text' NOT NULL,
                aws_account_id 'text' NOT NULL,
                aws_region 'text' NOT NULL,
                flow_log_id 'text' NOT NULL,
                log_key 'text' NOT NULL,
                processed_date 'text' NOT NULL,
                created_date 'integer' NOT NULL,
                PRIMARY KEY (bucket_path, aws_account_id, aws_region, flow_log_id, log_key));`,
		`INSERT INTO vpcflow (
                    bucket_path,
                    aws_account_id,
                    aws_region,
                    flow_log_id,
                    log_key,
                    processed_date,
                    created_date) VALUES (
                    'flows/', '123456789123', 'us-east-1', 'fl-1234', '`+vpcKey+`', '2024-11-20 10:00:00', 20241120);`)
	exec(filepath.Join(dir, "aws_services.db"), `
                CREATE TABLE aws_services (
                    service_name 'text' NOT NULL,
                    aws_account_id 'text' NOT NULL,
                    aws_region 'text' NOT NULL,
                    scan_date 'text' NOT NULL,
                    PRIMARY KEY (service_name, aws_account_id, aws_region, scan_date));`,
		"INSERT INTO aws_services (service_name, aws_account_id, aws_region, scan_date) VALUES ('inspector', '123456789123', 'us-east-1', '2024-11-20 00:00:00.0');", `
                CREATE TABLE cloudwatch_logs (
                    aws_region 'text' NOT NULL,
                    aws_log_group 'text' NOT NULL,
                    aws_log_stream 'text' NOT NULL,
                    next_token 'text',
                    start_time 'integer',
                    end_time 'integer',
                    PRIMARY KEY (aws_region, aws_log_group, aws_log_stream));`,
		"INSERT INTO cloudwatch_logs (aws_region, aws_log_group, aws_log_stream, next_token, start_time, end_time) VALUES ('us-east-1', 'app-logs', 'web-1', 'None', 1732060800000, 1732064400000);")

	dbs := statusJSON(t, home)
	want := []groupStatus{
		{Type: "vpcflow", Table: "vpcflow", BucketPath: "flows/", Account: "123456789123", Region: "us-east-1", FlowLogID: "fl-1234", Rows: 1,
			LastKey: vpcKey, LastProcessed: "2024-11-20 10:00:00", NextAfter: "AWSLogs/123456789123/vpcflowlogs/us-east-1/2024/11/19"},
		{Type: "inspector", Table: "aws_services", Service: "inspector", Account: "123456789123", Region: "us-east-1", Rows: 1,
			LastKey: "2024-11-20 00:00:00.0", LastProcessed: "2024-11-20 00:00:00.0", NextAfter: "2024-11-20 00:00:00.0"},
		{Type: "cloudwatchlogs", Table: "cloudwatch_logs", LogGroup: "app-logs", Region: "us-east-1", Rows: 1,
			LastKey: "web-1", LastProcessed: "2024-11-20 01:00:00.000", NextAfter: "2024-11-20 01:00:00.000"},
	}
	got := append(dbs[0].Groups, dbs[1].Groups...)
	if len(got) != len(want) {
		t.Fatalf("groups: %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("group %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	code, stdout, _ := runArgs("--status", "--wazuh-home", home)
	for _, line := range []string{
		"vpcflow flows/ (fl-1234) 123456789123 us-east-1 1 2024-11-20 10:00:00",
		"inspector - 123456789123 us-east-1 1 2024-11-20 00:00:00.0",
		" next run: findings updated after 2024-11-20 00:00:00.0",
		"cloudwatchlogs log group app-logs - us-east-1 1 2024-11-20 01:00:00.000",
		" next run: each stream after its last event (latest 2024-11-20 01:00:00.000)",
	} {
		if code != 0 || !strings.Contains(squeeze(stdout), line) {
			t.Errorf("exit %d; --status lacks %q:\n%s", code, line, stdout)
		}
	}
}

// A database that is not SQLite is an error, not an empty status.
func TestStatusBadDatabase(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "wodles", "aws")
	os.MkdirAll(dir, 0o750)
	if err := os.WriteFile(filepath.Join(dir, "s3_cloudtrail.db"), bytes.Repeat([]byte("not a database "), 100), 0o640); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runArgs("--status", "--wazuh-home", home)
	if code != 1 || !strings.Contains(stderr, "s3_cloudtrail.db") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
