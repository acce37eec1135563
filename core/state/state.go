// Package state owns the collector's record of processed S3 objects: the
// SQLite file the Python wodle keeps (<home>/wodles/aws/s3_cloudtrail.db),
// with the same metadata table, the same tables, DDL text and rows, so a
// database written by either implementation is continued by the other
// (reference-wodle.md §2).
//
// Unlike the reference, which commits once at the end of a run, rows are
// committed in small batches while the run goes on, and a row becomes
// durable only after the caller recorded it: an interrupted run keeps what
// it finished. All access goes through one SQLite connection, so many
// goroutines may share a DB and reads see rows not yet committed.
//
// Failures are *Error, whose Kind says which step failed (query, create,
// lock, cleanup); core/exit picks the exit code.
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/wazuh/aws-s3-go/core/logging"
)

// Commit batching: an open transaction is committed at the latest
// CommitInterval after its first write, or by the Record that brings it to
// CommitRows recorded rows, whichever comes first. At any moment at most
// CommitRows-1 recorded rows are not yet durable.
const (
	CommitInterval = 100 * time.Millisecond
	CommitRows     = 256
)

// busyTimeout is how long a statement waits for another process's lock;
// it is the default of Python's sqlite3.connect.
const busyTimeout = "5000"

// busyCommitTries bounds how often a COMMIT that found the file locked by
// another process is retried (each try waits busyTimeout).
const busyCommitTries = 6

// deprecatedTables are dropped when the metadata table is first created
// (wazuh_integration.py DEPRECATED_TABLES).
var deprecatedTables = []string{"log_progress", "trail_progress"}

// ErrClosed is returned by operations on a closed DB.
var ErrClosed = errors.New("state: database is closed")

// Error is a failure of the state database. Msg is the reference's text
// for it, without the "ERROR: " prefix; Kind says which step failed, which
// decides how the run ends.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

// Kind is the step of a state database failure.
type Kind int

const (
	// Query: opening the database, its lock file or its metadata table,
	// or a statement on it failed; the reference exits 5.
	Query Kind = iota
	// Create: a table could not be created; the reference exits 6.
	Create
	// Locked: another run held the database's lock past LockWait (no
	// reference equivalent: it had no lock).
	Locked
	// Cleanup: trimming old rows failed; the reference prints it and
	// carries on.
	Cleanup
)

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Seq identifies one Record call; rows are durable in Seq order.
type Seq uint64

// Group selects the rows of one iterated unit. Region is ignored by schema
// Custom, FlowLogID is used by schema VPC only.
type Group struct {
	BucketPath string
	Account    string
	Region     string
	FlowLogID  string
}

// DB is an open state database.
type DB struct {
	path  string
	log   logging.Logger
	sqldb *sql.DB
	conn  *sql.Conn // the only connection; every statement runs on it

	mu        sync.Mutex
	closed    bool
	inTx      bool
	pending   int           // rows recorded in the open transaction
	seq       uint64        // last Seq handed out
	durable   uint64        // last Seq committed
	committed chan struct{} // closed and replaced at every commit
	err       error         // sticky: a failed commit lost recorded rows
	tables    map[string]*Table
	lock      *Lock // lock.go; held until Close

	begun chan struct{} // a transaction was opened
	quit  chan struct{}
	done  chan struct{}
}

// OpenScope opens (creating it and its directory when missing) the state
// database at path and brings its metadata table to version, as the
// reference's check_metadata_version does (reference-wodle.md §2.2).
// Failures are *Error of Kind Query. It first takes the lock of
// scope in the database (lock.go; "" locks every scope), waiting up to
// LockWait or until ctx ends for another run.
func OpenScope(ctx context.Context, path, scope, version string, log logging.Logger) (*DB, error) {
	if log == nil {
		log = logging.Discard{}
	}
	operr := func(err error) error {
		return &Error{Kind: Query, Msg: fmt.Sprintf("Error attempting to operate with the %s database: %s", path, pyErr(err)), Err: err}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, operr(err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, operr(err)
	}
	lock, err := lockDB(ctx, abs, scope, LockWait, log)
	if err != nil {
		return nil, err
	}
	opened := false
	defer func() {
		if !opened {
			lock.Release()
		}
	}()
	// A file: URI so that '?' or '#' in the path cannot be taken for
	// parameters; the journal mode is left alone (rollback journal unless
	// the file says otherwise) so the Python script can share the file.
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?_pragma=busy_timeout(" + busyTimeout + ")"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, operr(err)
	}
	sqldb.SetMaxOpenConns(1)
	conn, err := sqldb.Conn(context.Background())
	if err != nil {
		sqldb.Close()
		return nil, operr(err)
	}
	d := &DB{
		path:      path,
		log:       log,
		sqldb:     sqldb,
		conn:      conn,
		committed: make(chan struct{}),
		tables:    make(map[string]*Table),
		begun:     make(chan struct{}, 1),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	if err := d.checkMetadata(version, operr); err != nil {
		conn.Close()
		sqldb.Close()
		return nil, err
	}
	d.lock, opened = lock, true
	go d.committer()
	return d, nil
}

// Conn returns the DB's one connection, for a caller that keeps tables of
// its own in the file (the services' cloudwatch_logs and aws_services):
// the file, its lock and its connection stay with the DB, and Close
// closes them. Such a caller does not use Record and friends on the same
// DB, whose transactions would interleave with its own.
func (d *DB) Conn() *sql.Conn { return d.conn }

func (d *DB) exec(q string, args ...any) (sql.Result, error) {
	return d.conn.ExecContext(context.Background(), q, args...)
}

// checkMetadata is the reference's check_metadata_version, in one
// transaction so that a crash cannot leave a metadata table without its
// version row.
func (d *DB) checkMetadata(version string, operr func(error) error) error {
	exists, hasRow, cur, err := d.readMetadata(operr)
	if err != nil {
		return err
	}
	if exists && hasRow && cur == version {
		return nil // nothing to write: the file may even be read-only
	}
	if _, err := d.exec("BEGIN IMMEDIATE"); err != nil {
		return operr(err)
	}
	// Another run on the file (a run of another bucket) may have written
	// the table between the look and the write lock: look again.
	if exists, hasRow, cur, err = d.readMetadata(operr); err != nil {
		d.exec("ROLLBACK")
		return err
	}
	if exists && hasRow && cur == version {
		if _, err := d.exec("COMMIT"); err != nil {
			return operr(err)
		}
		return nil
	}
	switch {
	case !exists:
		err = d.createMetadata(version)
	case hasRow:
		if _, err = d.exec("UPDATE metadata SET value=:v WHERE key='version'", sql.Named("v", version)); err != nil {
			err = updateErr(err)
		}
	default:
		// The reference dies here with a TypeError (exit 12 via main);
		// the row is informational only, so restore it instead.
		d.log.Debug(2, "+++ metadata table has no version row; inserting it")
		if _, err = d.exec("INSERT INTO metadata (key, value) VALUES ('version', :v)", sql.Named("v", version)); err != nil {
			err = updateErr(err)
		}
	}
	if err != nil {
		d.exec("ROLLBACK")
		return err
	}
	if _, err := d.exec("COMMIT"); err != nil {
		d.exec("ROLLBACK")
		return operr(err)
	}
	return nil
}

// readMetadata reports whether the metadata table exists, whether it has
// its version row, and that row's value.
func (d *DB) readMetadata(operr func(error) error) (exists, hasRow bool, cur string, err error) {
	var name string
	err = d.conn.QueryRowContext(context.Background(),
		"SELECT tbl_name FROM sqlite_master WHERE type='table' AND name=:name", sql.Named("name", "metadata")).Scan(&name)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, false, "", operr(err)
	}
	if err != nil {
		return false, false, "", nil
	}
	switch err := d.conn.QueryRowContext(context.Background(), "SELECT value FROM metadata WHERE key='version'").Scan(&cur); {
	case err == nil:
		return true, true, cur, nil
	case errors.Is(err, sql.ErrNoRows):
		return true, false, "", nil
	default:
		return true, false, "", updateErr(err)
	}
}

func updateErr(err error) error {
	return &Error{Kind: Query, Msg: "Error attempting to update the metadata table: " + pyErr(err), Err: err}
}

func (d *DB) createMetadata(version string) error {
	fail := func(err error) error {
		return &Error{Kind: Query, Msg: "Error attempting to create the metadata table: " + pyErr(err), Err: err}
	}
	if _, err := d.exec(metadataDDL); err != nil {
		return fail(err)
	}
	if _, err := d.exec("INSERT INTO metadata (key, value) VALUES ('version', :v)", sql.Named("v", version)); err != nil {
		return fail(err)
	}
	names, err := d.tableNames()
	if err != nil {
		return fail(err)
	}
	for _, t := range deprecatedTables {
		if !names[t] {
			continue
		}
		d.log.Debug(2, fmt.Sprintf("Removing deprecated '%s 'table from %s", t, d.path))
		if _, err := d.exec("DROP TABLE " + t); err != nil {
			return fail(err)
		}
	}
	return nil
}

func (d *DB) tableNames() (map[string]bool, error) {
	rows, err := d.conn.QueryContext(context.Background(), "SELECT tbl_name FROM sqlite_master WHERE type='table'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := make(map[string]bool)
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names[n] = true
	}
	return names, rows.Err()
}

// beginLocked opens the write transaction if none is open. IMMEDIATE takes
// the write lock up front: a deferred transaction that read first could
// not wait for another writer (SQLite returns BUSY at once to avoid a
// deadlock).
func (d *DB) beginLocked() error {
	if d.closed {
		return ErrClosed
	}
	if d.err != nil {
		return d.err
	}
	if d.inTx {
		return nil
	}
	if _, err := d.exec("BEGIN IMMEDIATE"); err != nil {
		return sqlErr(err)
	}
	d.inTx = true
	select {
	case d.begun <- struct{}{}:
	default:
	}
	return nil
}

// commitLocked commits the open transaction, if any. A failure loses the
// rows recorded since the last commit; it is kept and returned by every
// later write, since callers may believe those rows were kept.
func (d *DB) commitLocked() error {
	if !d.inTx {
		return d.err
	}
	var err error
	for try := 0; try < busyCommitTries; try++ {
		// A COMMIT that finds the file locked leaves the transaction open,
		// so it can simply be retried.
		if _, err = d.exec("COMMIT"); err == nil || !isBusy(err) {
			break
		}
	}
	d.inTx = false
	d.pending = 0
	if err != nil {
		d.exec("ROLLBACK")
		d.err = sqlErr(err)
	} else {
		d.durable = d.seq
	}
	close(d.committed)
	d.committed = make(chan struct{})
	return d.err
}

// committer commits every open transaction CommitInterval after it began
// (Record commits a full one itself).
func (d *DB) committer() {
	defer close(d.done)
	for {
		select {
		case <-d.quit:
			return
		case <-d.begun:
		}
		t := time.NewTimer(CommitInterval)
		select {
		case <-t.C:
		case <-d.quit:
			t.Stop()
			return
		}
		d.mu.Lock()
		d.commitLocked()
		d.mu.Unlock()
	}
}

// Flush commits every row recorded so far and returns once they are on
// disk, or with the error that lost them. Such an error is sticky: every
// later Record, Trim, Flush and WaitDurable returns it, since rows the
// caller believes recorded are gone (the engine should end the run, exit 5).
func (d *DB) Flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	return d.commitLocked()
}

// Durable reports the last Seq known to be committed.
func (d *DB) Durable() Seq {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Seq(d.durable)
}

// WaitDurable blocks until the row of Record call s is committed (at most
// about CommitInterval after it was recorded), the commit failed, or ctx
// ends. It does not force a commit; Flush does.
func (d *DB) WaitDurable(ctx context.Context, s Seq) error {
	for {
		d.mu.Lock()
		if uint64(s) <= d.durable {
			d.mu.Unlock()
			return nil
		}
		if d.err != nil {
			err := d.err
			d.mu.Unlock()
			return err
		}
		if d.closed {
			d.mu.Unlock()
			return ErrClosed
		}
		ch := d.committed
		d.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close commits what was recorded, runs PRAGMA optimize as the reference
// does, and closes the file.
func (d *DB) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	err := d.commitLocked()
	d.closed = true
	d.mu.Unlock()
	close(d.quit)
	<-d.done

	for _, t := range d.tables {
		t.close()
	}
	if _, e := d.exec("PRAGMA optimize"); e != nil && err == nil {
		err = sqlErr(e)
	}
	if e := d.conn.Close(); e != nil && err == nil {
		err = sqlErr(e)
	}
	if e := d.sqldb.Close(); e != nil && err == nil {
		err = sqlErr(e)
	}
	d.lock.Release()
	return err
}

// sqlErr wraps an unexpected SQLite failure the way the reference reports
// it (wazuh_integration.py init_db).
func sqlErr(err error) error {
	return &Error{Kind: Query, Msg: "Unexpected error accessing SQLite DB: " + pyErr(err), Err: err}
}

var rcSuffix = regexp.MustCompile(` \(\d+\)( \(SQLITE_BUSY\))?$`)

// pyErr renders err as Python's sqlite3 exceptions do: sqlite3_errmsg
// alone, whereas the driver prefixes the result code's description and
// appends its number ("constraint failed: UNIQUE constraint failed: t.k
// (2067)" → "UNIQUE constraint failed: t.k").
func pyErr(err error) string {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err.Error()
	}
	msg := rcSuffix.ReplaceAllString(se.Error(), "")
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

func code(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return -1
}

func isBusy(err error) bool       { return code(err) == sqlite3.SQLITE_BUSY }
func isConstraint(err error) bool { return code(err) == sqlite3.SQLITE_CONSTRAINT }
