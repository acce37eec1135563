package service

import (
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/exit"
)

// TestCloudWatchResume: progress is saved per delivered page, so a run
// that fails mid-stream is continued without repeats and without loss,
// and events appended later are read by the next run.
func TestCloudWatchResume(t *testing.T) {
	fake, url := newFake(t)
	hermetic(t, url)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	base := now.Add(-time.Hour).UnixMilli()
	var evs []logEvent
	for i := range 5 {
		evs = append(evs, logEvent{base + int64(i), "event " + strconv.Itoa(i)})
	}
	fake.add("grp", "st", evs...)
	fake.failAt = 3 // two pages of two events, then a refusal

	home := t.TempDir()
	tg := cwTarget(url, "grp")
	err, got, log := runOnce(t, home, tg, now)
	if exitCode(err) != exit.Throttling {
		t.Fatalf("want exit 16, got %v\n%s", err, log)
	}
	if want := []string{"event 0", "event 1", "event 2", "event 3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("frames before the failure: %q", got)
	}
	db := filepath.Join(home, "wodles", "aws", "aws_services.db")
	today := strconv.FormatInt(now.Truncate(24*time.Hour).UnixMilli(), 10)
	row := query(t, db, "SELECT next_token, start_time, end_time FROM cloudwatch_logs")
	if want := [][]string{{"f/4", today, strconv.FormatInt(base+3, 10)}}; !reflect.DeepEqual(row, want) {
		t.Fatalf("row after the failure: %q, want %q", row, want)
	}

	// The rerun sends the one event not delivered.
	err, got, log = runOnce(t, home, tg, now)
	if err != nil || !reflect.DeepEqual(got, []string{"event 4"}) {
		t.Fatalf("rerun: %v %q\n%s", err, got, log)
	}

	// Events appended after a resume are read, once.
	fake.add("grp", "st", logEvent{base + 100, "late 1"}, logEvent{base + 101, "late 2"})
	err, got, log = runOnce(t, home, tg, now)
	if err != nil || !reflect.DeepEqual(got, []string{"late 1", "late 2"}) {
		t.Fatalf("new events: %v %q\n%s", err, got, log)
	}
	err, got, _ = runOnce(t, home, tg, now)
	if err != nil || len(got) != 0 {
		t.Fatalf("repeat: %v %q", err, got)
	}
	row = query(t, db, "SELECT next_token, start_time, end_time FROM cloudwatch_logs")
	// An idle run moves end_time one past the last event, as the
	// reference's does (its empty range ends at its start).
	if want := [][]string{{"f/7", today, strconv.FormatInt(base+102, 10)}}; !reflect.DeepEqual(row, want) {
		t.Fatalf("final row: %q, want %q", row, want)
	}

	// A stream that vanished from the group loses its row.
	fake.mu.Lock()
	delete(fake.streams, "grp/st")
	fake.mu.Unlock()
	fake.add("grp", "other")
	if err, _, log = runOnce(t, home, tg, now); err != nil {
		t.Fatalf("purge run: %v\n%s", err, log)
	}
	if r := query(t, db, "SELECT aws_log_stream FROM cloudwatch_logs"); !reflect.DeepEqual(r, [][]string{{"other"}}) {
		t.Fatalf("rows after purge: %q", r)
	}
}

// TestCloudWatchEarlierStart: a stored row whose start_time is after the
// configured start makes the run read the range before it first (the
// script's result_before), then continue from the token.
func TestCloudWatchEarlierStart(t *testing.T) {
	fake, url := newFake(t)
	hermetic(t, url)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	day := now.Truncate(24 * time.Hour).UnixMilli()
	fake.add("grp", "st", logEvent{day - 3600_000, "old"}, logEvent{day + 10, "a"}, logEvent{day + 20, "b"})
	home := t.TempDir()
	tg := cwTarget(url, "grp")
	if err, got, _ := runOnce(t, home, tg, now); err != nil || !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("first run: %v %q", err, got)
	}
	tg.OnlyLogsAfter = now.Add(-24 * time.Hour).Format("20060102")
	err, got, log := runOnce(t, home, tg, now)
	if err != nil || !reflect.DeepEqual(got, []string{"old"}) {
		t.Fatalf("earlier start: %v %q\n%s", err, got, log)
	}
	db := filepath.Join(home, "wodles", "aws", "aws_services.db")
	row := query(t, db, "SELECT start_time, end_time FROM cloudwatch_logs")
	// end_time: the empty range after the token starts at end+1.
	if want := [][]string{{strconv.FormatInt(day-86400_000, 10), strconv.FormatInt(day+21, 10)}}; !reflect.DeepEqual(row, want) {
		t.Fatalf("row: %q, want %q", row, want)
	}
}
