package e2e

import (
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// The reference's statements, as wazuh_integration.py and aws_bucket.py
// execute them (reference-wodle.md §2.2, §2.3, §2.5).
const (
	pyMetadataDDL = `
                    CREATE TABLE metadata (
                        key 'text' NOT NULL,
                        value 'text' NOT NULL,
                        PRIMARY KEY (key, value));
                    `
	pyCloudTrailDDL = `
            CREATE TABLE cloudtrail (
                bucket_path 'text' NOT NULL,
                aws_account_id 'text' NOT NULL,
                aws_region 'text' NOT NULL,
                log_key 'text' NOT NULL,
                processed_date 'text' NOT NULL,
                created_date 'integer' NOT NULL,
                PRIMARY KEY (bucket_path, aws_account_id, aws_region, log_key));`
	pyMarkComplete = `
                INSERT INTO cloudtrail (
                    bucket_path,
                    aws_account_id,
                    aws_region,
                    log_key,
                    processed_date,
                    created_date) VALUES (
                    :bucket_path,
                    :aws_account_id,
                    :aws_region,
                    :log_key,
                    DATETIME('now'),
                    :created_date);`
)

// pyMarker runs the reference's queries with Python's sqlite3: for each
// [region, key] it prints the last processed key of the region's prefix
// and whether key is recorded.
const pyMarker = `
import json, sqlite3, sys
path, bucket_path, account, checks = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
conn = sqlite3.connect(path)
cur = conn.cursor()
out = []
for region, key in checks:
    g = {'bucket_path': bucket_path, 'aws_account_id': account, 'aws_region': region}
    last = cur.execute("""
            SELECT
                log_key
            FROM
                cloudtrail
            WHERE
                bucket_path=:bucket_path AND
                aws_account_id=:aws_account_id AND
                aws_region = :aws_region AND
                log_key LIKE :prefix
            ORDER BY
                log_key DESC
            LIMIT 1;""", dict(g, prefix='AWSLogs/%s/CloudTrail/%s/%%' % (account, region))).fetchone()
    n = cur.execute("""
            SELECT
                count(*)
            FROM
                cloudtrail
            WHERE
                bucket_path=:bucket_path AND
                aws_account_id=:aws_account_id AND
                aws_region=:aws_region AND
                log_key=:log_name;""", dict(g, log_name=key)).fetchone()[0]
    out.append([last[0] if last else None, n])
print(json.dumps(out))
conn.close()
`

// TestPythonDatabase continues a database the Python script wrote: what
// it recorded is not sent again and its marker still decides where each
// region resumes; then the reference's own queries, run by Python, find
// the rows this run wrote and the right last key.
func TestPythonDatabase(t *testing.T) {
	t.Parallel()
	const bucket, account = "py-trail", "111111111111"
	e := newEnv(t, true, bucket)
	l := newLedger(cloudtrail)
	east, west := "us-east-1", "eu-west-1"
	put := func(region string, d, hh, mm int, id string) string {
		key := cloudtrail.key(account, region, day(d, hh, mm), id)
		e.put(bucket, key, cloudtrail.body(account, region, day(d, hh, mm), 2))
		return key
	}
	// Recorded by Python.
	pyKeys := map[string]string{
		put(east, 20, 1, 0, "py1"):  east,
		put(east, 20, 12, 0, "py2"): east,
		put(east, 21, 1, 0, "py3"):  east,
		put(west, 21, 5, 0, "py4"):  west,
	}
	// Before the window Python's marker opens (the day before its last
	// key): Python had passed it, so it is not read.
	old := put(east, 19, 23, 0, "old")
	// New objects, one of them sorting before Python's last key.
	newKeys := map[string]string{
		l.upload(e, bucket, account, east, day(21, 0, 30), "late", 2): east,
		l.upload(e, bucket, account, east, day(21, 18, 0), "new1", 2): east,
		l.upload(e, bucket, account, east, day(22, 1, 0), "new2", 2):  east,
		l.upload(e, bucket, account, west, day(21, 6, 0), "new3", 2):  west,
	}

	if err := os.MkdirAll(filepath.Dir(e.dbPath()), 0o750); err != nil {
		t.Fatal(err)
	}
	db := openDBCreate(t, e.dbPath())
	for _, q := range []string{pyMetadataDDL, "INSERT INTO metadata (key, value) VALUES ('version', 'v4.9.2');", pyCloudTrailDDL} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for key, region := range pyKeys {
		_, err := db.Exec(pyMarkComplete,
			sql.Named("bucket_path", bucket+"/"), sql.Named("aws_account_id", account), sql.Named("aws_region", region),
			sql.Named("log_key", key), sql.Named("created_date", createdOf(key)))
		if err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	r := e.mustRun(e.argv(bucket, "cloudtrail", "--only_logs_after", "2024-NOV-19"), day(22, 12, 0), 0)
	l.add(t, r.frames)
	l.checkExactlyOnce(t)
	checkVersion(t, e.dbPath())
	var want []string
	for k := range pyKeys {
		want = append(want, k)
	}
	for k := range newKeys {
		want = append(want, k)
	}
	sort.Strings(want)
	var got []string
	for _, r := range rows(t, e.dbPath(), "cloudtrail", true) {
		if r.BucketPath != bucket+"/" || r.Account != account {
			t.Errorf("row %+v: wrong group", r)
		}
		got = append(got, r.Key)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
	if keysOf(rows(t, e.dbPath(), "cloudtrail", true))[old] {
		t.Errorf("%s was recorded although it is before the window", old)
	}

	py, err := exec.LookPath("python3")
	if err != nil || exec.Command(py, "-c", "import sqlite3").Run() != nil {
		t.Skip("python3 with sqlite3 not available")
	}
	var checks [][2]string
	var wantOut [][2]any
	lastKey := map[string]string{}
	for k, region := range newKeys {
		if k > lastKey[region] {
			lastKey[region] = k
		}
	}
	for k, region := range newKeys {
		checks = append(checks, [2]string{region, k})
	}
	sort.Slice(checks, func(i, j int) bool { return checks[i][1] < checks[j][1] })
	for _, c := range checks {
		wantOut = append(wantOut, [2]any{lastKey[c[0]], float64(1)})
	}
	arg, _ := json.Marshal(checks)
	out, err := exec.Command(py, "-c", pyMarker, e.dbPath(), bucket+"/", account, string(arg)).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	var gotOut [][2]any
	if err := json.Unmarshal(out, &gotOut); err != nil {
		t.Fatalf("python printed %q: %v", out, err)
	}
	if !reflect.DeepEqual(gotOut, wantOut) {
		t.Errorf("Python's marker and processed queries: got %v, want %v", gotOut, wantOut)
	}
}
