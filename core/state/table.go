package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Table is one bucket-type table of an open DB.
type Table struct {
	db        *DB
	name      string
	schema    Schema
	processed *sql.Stmt
	last      *sql.Stmt
	first     *sql.Stmt
	count     *sql.Stmt
	insert    *sql.Stmt
	trim      *sql.Stmt
}

// EnsureTable returns table name with schema s, creating it with the
// reference's DDL when it does not exist (and logging the reference's
// "+++ Table does not exist; create" at debug level 1, as its create_table
// does). created reports whether it was created. An existing table is used
// as it is, whatever DDL text created it (Python's test fixtures quote the
// name), as the reference does. Failures are *Error: Kind Query when the
// tables cannot be listed or the table cannot be used, Create when it
// cannot be created.
func (d *DB) EnsureTable(name string, s Schema) (t *Table, created bool, err error) {
	if !isIdent(name) {
		return nil, false, fmt.Errorf("state: invalid table name %q", name)
	}
	if s != Region && s != VPC && s != Custom {
		return nil, false, fmt.Errorf("state: table %s: invalid %v", name, s)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, false, ErrClosed
	}
	if t := d.tables[name]; t != nil {
		if t.schema != s {
			return nil, false, fmt.Errorf("state: table %s already opened with %v schema, not %v", name, t.schema, s)
		}
		return t, false, nil
	}
	names, err := d.tableNames()
	if err != nil {
		return nil, false, sqlErr(err)
	}
	if !names[name] {
		d.log.Debug(1, "+++ Table does not exist; create")
		if _, err := d.exec(DDL(name, s)); err != nil {
			// A run of another bucket sharing the file may have created
			// it since the look.
			if names, nerr := d.tableNames(); nerr != nil || !names[name] {
				return nil, false, &Error{Kind: Create, Msg: "Unable to create SQLite DB: " + pyErr(err), Err: err}
			}
		} else {
			created = true
		}
	}
	t = &Table{db: d, name: name, schema: s}
	if err := t.prepare(); err != nil {
		t.close()
		return nil, created, sqlErr(err)
	}
	d.tables[name] = t
	return t, created, nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// prepare builds the reference's queries (reference-wodle.md §2.5) for
// this table. The trim statement generalises the reference's maintenance
// DELETE with a key range, see TrimRange.
func (t *Table) prepare() error {
	w := where(t.schema)
	n := t.name
	q := map[**sql.Stmt]string{
		&t.processed: "SELECT count(*) FROM " + n + " WHERE " + w + " AND log_key=:k",
		&t.last:      "SELECT log_key FROM " + n + " WHERE " + w + " AND log_key LIKE :p ORDER BY log_key DESC LIMIT 1",
		&t.first:     "SELECT log_key FROM " + n + " WHERE " + w + " AND log_key LIKE :p ORDER BY log_key ASC LIMIT 1",
		&t.count:     "SELECT count(*) FROM " + n + " WHERE " + w,
		&t.insert:    insert(t.schema, n),
		&t.trim: "DELETE FROM " + n + " WHERE " + w + " AND log_key >= :from AND log_key < :until AND " +
			"log_key <= (SELECT log_key FROM " + n + " WHERE " + w + " AND log_key >= :from " +
			"ORDER BY log_key DESC LIMIT 1 OFFSET :keep)",
	}
	for p, text := range q {
		st, err := t.db.conn.PrepareContext(context.Background(), text)
		if err != nil {
			return err
		}
		*p = st
	}
	return nil
}

func (t *Table) close() {
	for _, st := range []*sql.Stmt{t.processed, t.last, t.first, t.count, t.insert, t.trim} {
		if st != nil {
			st.Close()
		}
	}
}

// Name returns the table's name.
func (t *Table) Name() string { return t.name }

// Schema returns the table's schema.
func (t *Table) Schema() Schema { return t.schema }

func (t *Table) args(g Group, more ...any) []any {
	a := []any{sql.Named("b", g.BucketPath), sql.Named("a", g.Account)}
	switch t.schema {
	case Region:
		a = append(a, sql.Named("r", g.Region))
	case VPC:
		a = append(a, sql.Named("r", g.Region), sql.Named("f", g.FlowLogID))
	}
	return append(a, more...)
}

// Processed reports whether key is recorded in group g, committed or not.
func (t *Table) Processed(g Group, key string) (bool, error) {
	d := t.db
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false, ErrClosed
	}
	var n int64
	if err := t.processed.QueryRow(t.args(g, sql.Named("k", key))...).Scan(&n); err != nil {
		return false, sqlErr(err)
	}
	return n > 0, nil
}

// processedChunk is how many keys one ProcessedKeys query binds: well
// under SQLite's limit on variables (999 before 3.32).
const processedChunk = 500

// ProcessedKeys reports which of keys are recorded in group g, committed
// or not: for each key, what Processed reports, in one query per 500 keys
// rather than one per key. A key is in the returned set when it is
// recorded.
func (t *Table) ProcessedKeys(g Group, keys []string) (map[string]bool, error) {
	d := t.db
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	// Positional parameters: SQLite resolves hundreds of named ones in
	// quadratic time, a third of the query's cost.
	w, group := where(t.schema), t.args(g)
	for i, a := range group {
		na := a.(sql.NamedArg)
		w = strings.Replace(w, ":"+na.Name, "?"+strconv.Itoa(i+1), 1)
		group[i] = na.Value
	}
	done := make(map[string]bool)
	var q strings.Builder
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), processedChunk)]
		keys = keys[len(chunk):]
		q.Reset()
		q.WriteString("SELECT log_key FROM " + t.name + " WHERE " + w + " AND log_key IN (?")
		q.WriteString(strings.Repeat(",?", len(chunk)-1))
		q.WriteByte(')')
		args := append(make([]any, 0, len(group)+len(chunk)), group...)
		for _, k := range chunk {
			args = append(args, k)
		}
		if err := t.scanKeys(q.String(), args, done); err != nil {
			return nil, sqlErr(err)
		}
	}
	return done, nil
}

func (t *Table) scanKeys(query string, args []any, into map[string]bool) error {
	rows, err := t.db.conn.QueryContext(context.Background(), query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		into[k] = true
	}
	return rows.Err()
}

// LastKey returns the greatest key (byte order) of group g matching
// SQLite's LIKE likePrefix+"%", as the reference's marker query does: the
// prefix is not escaped, so '%' and '_' in it are wildcards and ASCII
// letters match either case. ok is false when no row matches.
func (t *Table) LastKey(g Group, likePrefix string) (key string, ok bool, err error) {
	d := t.db
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return "", false, ErrClosed
	}
	err = t.last.QueryRow(t.args(g, sql.Named("p", likePrefix+"%"))...).Scan(&key)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, sqlErr(err)
	}
	return key, true, nil
}

// Extent returns how many rows group g holds and the smallest key of g
// matching likePrefix (LIKE as in LastKey; "" when none matches). A group
// holding at least the reference's retention count may have been trimmed
// by the Python wodle, which counts rows per group as this does.
func (t *Table) Extent(g Group, likePrefix string) (rows int64, oldest string, err error) {
	d := t.db
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, "", ErrClosed
	}
	if err := t.count.QueryRow(t.args(g)...).Scan(&rows); err != nil {
		return 0, "", sqlErr(err)
	}
	err = t.first.QueryRow(t.args(g, sql.Named("p", likePrefix+"%"))...).Scan(&oldest)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return rows, "", nil
	case err != nil:
		return 0, "", sqlErr(err)
	}
	return rows, oldest, nil
}

// Record marks key of group g completed, with created_date created and
// processed_date now (UTC), like the reference's mark_complete. The row is
// visible at once to Processed and LastKey and committed with the next
// batch; Seq tells WaitDurable which row to wait for. A key already
// recorded is not an error: the reference swallows the UNIQUE violation
// and logs "+++ Error marking log <key> as completed: <err>" at debug level
// 2, and so does Record.
func (t *Table) Record(g Group, key string, created int64) (Seq, error) {
	d := t.db
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.beginLocked(); err != nil {
		return 0, err
	}
	if _, err := t.insert.Exec(t.args(g, sql.Named("k", key), sql.Named("c", created))...); err != nil {
		if !isConstraint(err) {
			return 0, sqlErr(err)
		}
		d.log.Debug(2, "+++ Error marking log "+key+" as completed: "+pyErr(err))
	}
	d.seq++
	d.pending++
	if d.pending >= CommitRows {
		// Committed here rather than signalled to the committer, so that
		// no more than CommitRows-1 recorded rows are ever at risk: that
		// bounds what a kill -9 makes the next run send again.
		if err := d.commitLocked(); err != nil {
			return 0, err
		}
	}
	return Seq(d.seq), nil
}

// Trim is the DB maintenance of the reference (reference-wodle.md §2.7)
// made safe: it deletes the rows of group g outside its keep greatest keys,
// but only those before keepFrom. keepFrom is the first key the next run
// will list again (its StartAfter marker, i.e. the start of the late-arrival
// window); rows from there on decide what that run skips, so deleting them
// would make it re-send their events, which is what the reference's plain
// 500-row trim does to busy trails. keepFrom "" protects every row.
//
// Trim logs the reference's "+++ DB Maintenance" (debug level 1). A failed
// DELETE is an *Error of Kind Cleanup carrying the reference's message ("Failed
// to execute DB cleanup - ..."): the reference prints it and carries on.
// ErrClosed, or the *Error of an earlier failed commit, is returned as is.
//
// For schema Custom the group has no region, as in the reference, so the
// keep count spans all regions of the account; callers iterating regions
// of one account (guardduty, alb, clb, nlb) should use TrimRange with the
// region's prefix, so that one region's trim cannot reach into another
// region's window (every key of a region sorting before the current one is
// below keepFrom).
func (t *Table) Trim(g Group, keep int, keepFrom string) (deleted int64, err error) {
	return t.TrimRange(g, keep, "", keepFrom)
}

// TrimRange is Trim restricted to the keys k with from <= k: only they are
// counted for keep and only they may be deleted (byte order, so from is
// a plain prefix such as "AWSLogs/<account>/elasticloadbalancing/<region>/").
func (t *Table) TrimRange(g Group, keep int, from, keepFrom string) (deleted int64, err error) {
	d := t.db
	d.log.Debug(1, "+++ DB Maintenance")
	fail := func(err error) error {
		var msg string
		if t.schema == Custom {
			msg = fmt.Sprintf("ERROR: Failed to execute DB cleanup - Path: %s: %s", g.BucketPath, pyErr(err))
		} else {
			msg = fmt.Sprintf("Failed to execute DB cleanup - AWS Account ID: %s  Region: %s: %s", g.Account, g.Region, pyErr(err))
		}
		return &Error{Kind: Cleanup, Msg: msg, Err: err}
	}
	if keep < 0 {
		return 0, fail(fmt.Errorf("negative retention %d", keep))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.beginLocked(); err != nil {
		return 0, err // closed, or a lost commit: not the cleanup's failure
	}
	res, err := t.trim.Exec(t.args(g, sql.Named("from", from), sql.Named("until", keepFrom), sql.Named("keep", int64(keep)))...)
	if err != nil {
		return 0, fail(err)
	}
	return res.RowsAffected()
}
