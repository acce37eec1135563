package service

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/state"
)

// The reference's DDL as SQLite keeps it in sqlite_master.sql
// (services/cloudwatchlogs.py, services/aws_service.py): byte-identical so
// that a file written by either implementation is continued by the other.
const (
	cloudwatchTable = "cloudwatch_logs"
	servicesTable   = "aws_services"

	ind = "                    " // 20 spaces, as in the Python source

	cloudwatchDDL = "CREATE TABLE cloudwatch_logs (\n" +
		ind + "aws_region 'text' NOT NULL,\n" +
		ind + "aws_log_group 'text' NOT NULL,\n" +
		ind + "aws_log_stream 'text' NOT NULL,\n" +
		ind + "next_token 'text',\n" +
		ind + "start_time 'integer',\n" +
		ind + "end_time 'integer',\n" +
		ind + "PRIMARY KEY (aws_region, aws_log_group, aws_log_stream))"

	servicesDDL = "CREATE TABLE aws_services (\n" +
		ind + "service_name 'text' NOT NULL,\n" +
		ind + "aws_account_id 'text' NOT NULL,\n" +
		ind + "aws_region 'text' NOT NULL,\n" +
		ind + "scan_date 'text' NOT NULL,\n" +
		ind + "PRIMARY KEY (service_name, aws_account_id, aws_region, scan_date))"
)

// db is the services database. core/state owns the file: it opens it
// (creating it, checking the version row, taking its lock) and its one
// connection, on which the service tables live beside the metadata table;
// every write is its own transaction unless inTx groups them.
type db struct {
	st   *state.DB
	conn *sql.Conn
}

func openDB(ctx context.Context, path, version string, log logging.Logger) (*db, error) {
	st, err := state.OpenContext(ctx, path, version, log)
	if err != nil {
		return nil, err
	}
	return &db{st: st, conn: st.Conn()}, nil
}

// close runs PRAGMA optimize as the reference does, closes the file and
// releases its lock.
func (d *db) close() error { return d.st.Close() }

// exec runs q without a context: a statement is never abandoned half
// way because the run is being stopped.
func (d *db) exec(q string, args ...any) (sql.Result, error) {
	return d.conn.ExecContext(context.Background(), q, args...)
}

func (d *db) query(q string, args ...any) (*sql.Rows, error) {
	return d.conn.QueryContext(context.Background(), q, args...)
}

// ensureTable creates table name with ddl unless it exists (init_db).
func (d *db) ensureTable(name, ddl string, log logging.Logger) error {
	rows, err := d.query("SELECT tbl_name FROM sqlite_master WHERE type='table'")
	if err != nil {
		return sqlErr(err)
	}
	found := false
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return sqlErr(err)
		}
		found = found || n == name
	}
	if err := rows.Close(); err != nil {
		return sqlErr(err)
	}
	if found {
		return nil
	}
	log.Debug(1, "+++ Table does not exist; create")
	if _, err := d.exec(ddl); err != nil {
		return &state.Error{Kind: state.Create, Msg: "Unable to create SQLite DB: " + pyErr(err), Err: err}
	}
	return nil
}

// inTx runs fn in one IMMEDIATE transaction.
func (d *db) inTx(fn func() error) error {
	if _, err := d.exec("BEGIN IMMEDIATE"); err != nil {
		return sqlErr(err)
	}
	if err := fn(); err != nil {
		d.exec("ROLLBACK")
		return err
	}
	if _, err := d.exec("COMMIT"); err != nil {
		d.exec("ROLLBACK")
		return sqlErr(err)
	}
	return nil
}

// streamState is one cloudwatch_logs row; nil members are NULL (or the
// text "None", which the reference reads back as None too).
type streamState struct {
	token      *string
	start, end *int64
}

func (d *db) stream(region, group, stream string) (streamState, bool, error) {
	var tok, start, end any
	err := d.conn.QueryRowContext(context.Background(),
		"SELECT next_token, start_time, end_time FROM cloudwatch_logs "+
			"WHERE aws_region=:aws_region AND aws_log_group=:aws_log_group AND aws_log_stream=:aws_log_stream",
		sql.Named("aws_region", region), sql.Named("aws_log_group", group), sql.Named("aws_log_stream", stream),
	).Scan(&tok, &start, &end)
	if errors.Is(err, sql.ErrNoRows) {
		return streamState{}, false, nil
	}
	if err != nil {
		return streamState{}, false, sqlErr(err)
	}
	var s streamState
	switch v := tok.(type) {
	case string:
		if v != "None" {
			s.token = &v
		}
	case []byte:
		if t := string(v); t != "None" {
			s.token = &t
		}
	}
	s.start, s.end = intValue(start), intValue(end)
	return s, true, nil
}

// intValue reads an INTEGER-affinity column; NULL and "None" are nil.
func intValue(v any) *int64 {
	switch n := v.(type) {
	case int64:
		return &n
	case float64:
		i := int64(n)
		return &i
	}
	return nil
}

// saveStream is save_data_db: INSERT, and UPDATE when the row exists.
func (d *db) saveStream(region, group, stream string, s streamState, log logging.Logger) error {
	args := []any{
		sql.Named("aws_region", region), sql.Named("aws_log_group", group), sql.Named("aws_log_stream", stream),
		sql.Named("next_token", ptrValue(s.token)), sql.Named("start_time", ptrValue(s.start)), sql.Named("end_time", ptrValue(s.end)),
	}
	_, err := d.exec("INSERT INTO cloudwatch_logs (aws_region, aws_log_group, aws_log_stream, next_token, start_time, end_time) "+
		"VALUES (:aws_region, :aws_log_group, :aws_log_stream, :next_token, :start_time, :end_time)", args...)
	if err == nil {
		return nil
	}
	if !isConstraint(err) {
		return sqlErr(err)
	}
	if log != nil {
		log.Debug(2, "Some data already exists on DB for that key. Updating their values...")
	}
	if _, err := d.exec("UPDATE cloudwatch_logs SET next_token=:next_token, start_time=:start_time, end_time=:end_time "+
		"WHERE aws_region=:aws_region AND aws_log_group=:aws_log_group AND aws_log_stream=:aws_log_stream", args...); err != nil {
		return sqlErr(err)
	}
	return nil
}

func ptrValue[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func (d *db) streams(region, group string) ([]string, error) {
	rows, err := d.query("SELECT aws_log_stream FROM cloudwatch_logs WHERE aws_region=:aws_region AND aws_log_group=:aws_log_group ORDER BY aws_log_stream",
		sql.Named("aws_region", region), sql.Named("aws_log_group", group))
	if err != nil {
		return nil, sqlErr(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, sqlErr(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, sqlErr(err)
	}
	return out, nil
}

func (d *db) purgeStream(region, group, stream string) error {
	_, err := d.exec("DELETE FROM cloudwatch_logs WHERE aws_region=:aws_region AND aws_log_group=:aws_log_group AND aws_log_stream=:aws_log_stream",
		sql.Named("aws_region", region), sql.Named("aws_log_group", group), sql.Named("aws_log_stream", stream))
	if err != nil {
		return sqlErr(err)
	}
	return nil
}

// lastScan is sql_find_last_scan: the greatest scan_date (as text).
func (d *db) lastScan(service, account, region string) (string, bool, error) {
	var s string
	err := d.conn.QueryRowContext(context.Background(),
		"SELECT scan_date FROM aws_services WHERE service_name=:service_name AND aws_account_id=:aws_account_id AND aws_region=:aws_region "+
			"ORDER BY scan_date DESC LIMIT 1",
		sql.Named("service_name", service), sql.Named("aws_account_id", account), sql.Named("aws_region", region)).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, sqlErr(err)
	}
	return s, true, nil
}

func (d *db) insertScan(service, account, region, date string) error {
	_, err := d.exec("INSERT INTO aws_services (service_name, aws_account_id, aws_region, scan_date) "+
		"VALUES (:service_name, :aws_account_id, :aws_region, :scan_date)",
		sql.Named("service_name", service), sql.Named("aws_account_id", account), sql.Named("aws_region", region), sql.Named("scan_date", date))
	if err != nil {
		return sqlErr(err)
	}
	return nil
}

// trimScans keeps the newest keep rows of (service, account, region).
func (d *db) trimScans(service, account, region string, keep int) error {
	_, err := d.exec("DELETE FROM aws_services WHERE service_name=:service_name AND aws_account_id=:aws_account_id AND aws_region=:aws_region AND "+
		"rowid NOT IN (SELECT ROWID FROM aws_services WHERE service_name=:service_name AND aws_account_id=:aws_account_id AND aws_region=:aws_region "+
		"ORDER BY scan_date DESC LIMIT :retain_db_records)",
		sql.Named("service_name", service), sql.Named("aws_account_id", account), sql.Named("aws_region", region), sql.Named("retain_db_records", keep))
	if err != nil {
		return sqlErr(err)
	}
	return nil
}

// sqlErr is the reference's report of an unexpected SQLite failure.
func sqlErr(err error) error {
	return &state.Error{Kind: state.Query, Msg: "Unexpected error accessing SQLite DB: " + pyErr(err), Err: err}
}

// pyErr renders err as Python's sqlite3 does: the SQLite message alone,
// without the driver's result-code prefix and number.
func pyErr(err error) string {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err.Error()
	}
	msg := se.Error()
	if i := strings.LastIndex(msg, " ("); i >= 0 && strings.HasSuffix(msg, ")") {
		msg = msg[:i]
	}
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}
