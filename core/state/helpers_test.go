package state

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/wazuh/aws-s3-go/core/kind"
	"github.com/wazuh/aws-s3-go/core/logging"
)

// logBuf collects log lines at debug level 3, like the script's stdout.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newLog() (*logBuf, logging.Logger) {
	b := &logBuf{}
	return b, logging.NewScript(b, 3)
}

// rawDB opens path with a plain connection, bypassing the package.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// fixture creates a DB file from testdata/<names>.sql, as Python's tests
// build theirs, and returns its path.
func fixture(t *testing.T, names ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s3_cloudtrail.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, n := range names {
		text, err := os.ReadFile(filepath.Join("testdata", n+".sql"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(text)); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
	}
	return path
}

func open(t *testing.T, path string, log logging.Logger) *DB {
	t.Helper()
	if log == nil {
		log = logging.Discard{}
	}
	d, err := Open(path, "v5.1.0", log)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func table(t *testing.T, d *DB, name string) *Table {
	t.Helper()
	var k *kind.Kind
	for _, n := range kind.Names() {
		if c, _ := kind.Lookup(n); c.Table == name {
			k = c
		}
	}
	if k == nil {
		t.Fatalf("no bucket type has table %s", name)
	}
	tb, _, err := d.EnsureTable(name, k.Schema)
	if err != nil {
		t.Fatalf("EnsureTable(%s): %v", name, err)
	}
	return tb
}

// keys returns the log_key values of table name in path, sorted.
func keys(t *testing.T, path, name, where string, args ...any) []string {
	t.Helper()
	db := rawDB(t, path)
	q := "SELECT log_key FROM " + name
	if where != "" {
		q += " WHERE " + where
	}
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ks []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	sort.Strings(ks)
	return ks
}
