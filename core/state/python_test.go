package state

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// pythonScript plays the reference: it creates or continues the DB with
// the statements of wazuh_integration.py / aws_bucket.py (reference-wodle.md
// §2.2, §2.3, §2.5), through Python's own sqlite3 module.
const pythonScript = `
import sqlite3, sys
mode, path = sys.argv[1], sys.argv[2]
ddl = """
            CREATE TABLE cloudtrail (
                bucket_path 'text' NOT NULL,
                aws_account_id 'text' NOT NULL,
                aws_region 'text' NOT NULL,
                log_key 'text' NOT NULL,
                processed_date 'text' NOT NULL,
                created_date 'integer' NOT NULL,
                PRIMARY KEY (bucket_path, aws_account_id, aws_region, log_key));"""
meta = """
                    CREATE TABLE metadata (
                        key 'text' NOT NULL,
                        value 'text' NOT NULL,
                        PRIMARY KEY (key, value));
                    """
insert = """INSERT INTO cloudtrail (bucket_path, aws_account_id, aws_region, log_key, processed_date, created_date)
VALUES (:bucket_path, :aws_account_id, :aws_region, :log_key, DATETIME('now'), :created_date);"""
conn = sqlite3.connect(path)
cur = conn.cursor()
g = {'bucket_path': 'b/', 'aws_account_id': '1', 'aws_region': 'us-east-1', 'created_date': 20241120}
if mode == 'create':
    cur.execute(meta)
    cur.execute("INSERT INTO metadata (key, value) VALUES ('version', :v);", {'v': 'v5.1.0'})
    cur.execute(ddl)
    for k in ('py/1', 'py/2'):
        cur.execute(insert, dict(g, log_key=k))
elif mode == 'continue':
    n = cur.execute("SELECT count(*) FROM cloudtrail WHERE bucket_path=:bucket_path AND aws_account_id=:aws_account_id AND aws_region=:aws_region AND log_key=:log_name;",
                    dict(g, log_name='go/1')).fetchone()[0]
    assert n == 1, n
    last = cur.execute("SELECT log_key FROM cloudtrail WHERE bucket_path=:bucket_path AND aws_account_id=:aws_account_id AND aws_region = :aws_region AND log_key LIKE :prefix ORDER BY log_key DESC LIMIT 1;",
                       dict(g, prefix='go/%')).fetchone()[0]
    assert last == 'go/2', last
    cur.execute(insert, dict(g, log_key='py/3'))
    # The text Python's SQLite stores for the reference DDL.
    mem = sqlite3.connect(':memory:')
    mem.execute(ddl)
    mem.execute(meta)
    for name in ('cloudtrail', 'metadata'):
        want = mem.execute("SELECT sql FROM sqlite_master WHERE name=?", (name,)).fetchone()[0]
        got = cur.execute("SELECT sql FROM sqlite_master WHERE name=?", (name,)).fetchone()[0]
        assert got == want, (name, got, want)
    print(cur.execute("PRAGMA journal_mode").fetchone()[0])
conn.commit()
cur.execute("PRAGMA optimize;")
conn.close()
`

func python(t *testing.T, args ...string) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	if exec.Command(py, "-c", "import sqlite3").Run() != nil {
		t.Skip("python3 has no sqlite3")
	}
	out, err := exec.Command(py, append([]string{"-c", pythonScript}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestPythonInterop(t *testing.T) {
	g := Group{BucketPath: "b/", Account: "1", Region: "us-east-1"}

	t.Run("python continues ours", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
		d := open(t, path, nil)
		tb := table(t, d, "cloudtrail")
		tb.Record(g, "go/1", 20241120)
		tb.Record(g, "go/2", 20241120)
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if mode := strings.TrimSpace(python(t, "continue", path)); mode != "delete" {
			t.Errorf("journal_mode = %q, want delete", mode)
		}
		if got := keys(t, path, "cloudtrail", ""); !reflect.DeepEqual(got, []string{"go/1", "go/2", "py/3"}) {
			t.Errorf("rows = %q", got)
		}
	})

	t.Run("we continue python's", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
		python(t, "create", path)
		d := open(t, path, nil)
		tb, created, err := d.EnsureTable("cloudtrail", Region)
		if err != nil || created {
			t.Fatalf("EnsureTable = %v, %v", created, err)
		}
		for _, k := range []string{"py/1", "py/2"} {
			if ok, err := tb.Processed(g, k); !ok || err != nil {
				t.Errorf("Processed(%s) = %v, %v", k, ok, err)
			}
		}
		if k, _, _ := tb.LastKey(g, "py/"); k != "py/2" {
			t.Errorf("LastKey = %q", k)
		}
		tb.Record(g, "go/1", 1)
		d.Close()
		if got := storedSQL(t, path, "cloudtrail"); got != DDL("cloudtrail", Region) {
			t.Errorf("python stored\n%s\nwe create\n%s", got, DDL("cloudtrail", Region))
		}
		if got := keys(t, path, "cloudtrail", ""); !reflect.DeepEqual(got, []string{"go/1", "py/1", "py/2"}) {
			t.Errorf("rows = %q", got)
		}
	})
}
