package service

import (
	"context"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/exit"
)

type logEvent struct {
	ts  int64
	msg string
}

func motoLogs(url string) *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

func putEvents(t *testing.T, c *cloudwatchlogs.Client, group, stream string, evs []logEvent, create bool) {
	t.Helper()
	ctx := context.Background()
	if create {
		c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}) // may exist
		if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
			t.Fatal(err)
		}
	}
	var in []types.InputLogEvent
	for _, e := range evs {
		in = append(in, types.InputLogEvent{Timestamp: aws.Int64(e.ts), Message: aws.String(e.msg)})
	}
	if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: in}); err != nil {
		t.Fatal(err)
	}
}

func cwTarget(url string, groups ...string) config.Target {
	return config.Target{
		Kind: config.KindService, Type: "cloudwatchlogs",
		AccessKey: "testing", SecretKey: "testing",
		Regions: []string{"us-east-1"}, LogGroups: groups,
		ServiceEndpoint: url,
	}
}

// TestCloudWatchMoto runs the service against moto_server: raw messages,
// the reference's table and rows, a resume that sends nothing again, the
// discard filter on JSON fields and on text, remove_log_streams and a
// missing group.
func TestCloudWatchMoto(t *testing.T) {
	url := startMoto(t)
	hermetic(t, url)
	c := motoLogs(url)
	now := time.Now().UTC()
	base := now.Add(-time.Hour).UnixMilli()
	s1 := []logEvent{
		{base, `{"n": 1, "kind": "keep"}`},
		{base + 10, "plain text line"},
		{base + 20, `{"n": 3, "kind": "drop-me"}`},
		{base + 30, `[{"kind": "drop-too"}]`},
	}
	s2 := []logEvent{{base + 5, `{"n": 5}`}, {base + 15, "another line"}}
	putEvents(t, c, "g1", "s1", s1, true)
	putEvents(t, c, "g1", "s2", s2, true)

	home := t.TempDir()
	tg := cwTarget(url, "g1")
	tg.OnlyLogsAfter = now.Add(-24 * time.Hour).Format("20060102")
	tg.DiscardField, tg.DiscardRegex = "kind", "drop"

	err, got, log := runOnce(t, home, tg, now)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log)
	}
	want := []string{s1[0].msg, s1[1].msg, s2[0].msg, s2[1].msg}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("frames:\n got %q\nwant %q", got, want)
	}
	for _, l := range []string{
		`DEBUG: +++ The "drop" regex found a match in the "kind" field. The event will be skipped.`,
		`DEBUG: +++ Sent 2 events to Analysisd`,
		`DEBUG: +++ There are no new events in the "g1" group`,
		`DEBUG: +++ Table does not exist; create`,
	} {
		if !hasLine(log, l) {
			t.Errorf("log lacks %q:\n%s", l, log)
		}
	}

	db := filepath.Join(home, "wodles", "aws", "aws_services.db")
	if ddl := query(t, db, "SELECT sql FROM sqlite_master WHERE name='cloudwatch_logs'"); len(ddl) != 1 || ddl[0][0] != cloudwatchDDL {
		t.Errorf("DDL: %q", ddl)
	}
	if v := query(t, db, "SELECT value FROM metadata WHERE key='version'"); len(v) != 1 || v[0][0] != "5.1.0" {
		t.Errorf("metadata: %q", v)
	}
	rows := query(t, db, "SELECT aws_region, aws_log_group, aws_log_stream, next_token IS NOT NULL, start_time, end_time FROM cloudwatch_logs ORDER BY aws_log_stream")
	after := strconv.FormatInt(mustDate(t, tg.OnlyLogsAfter), 10)
	wantRows := [][]string{
		// end_time: the last event SENT (discarded ones do not count).
		{"us-east-1", "g1", "s1", "1", after, strconv.FormatInt(base+10, 10)},
		{"us-east-1", "g1", "s2", "1", after, strconv.FormatInt(base+15, 10)},
	}
	if !reflect.DeepEqual(rows, wantRows) {
		t.Errorf("rows:\n got %q\nwant %q", rows, wantRows)
	}

	// A second run resumes: nothing is sent again.
	err, got, log = runOnce(t, home, tg, now)
	if err != nil || len(got) != 0 {
		t.Fatalf("resume: err %v, frames %q\n%s", err, got, log)
	}
	if !hasLine(log, `DEBUG: +++ There are no new events in the "g1" group`) {
		t.Errorf("resume log:\n%s", log)
	}

	// Text messages are matched by the regex alone.
	putEvents(t, c, "g2", "t1", []logEvent{{base, "Test line one"}, {base + 1, "kept line"}}, true)
	tg2 := cwTarget(url, "g2")
	tg2.OnlyLogsAfter = tg.OnlyLogsAfter
	tg2.DiscardRegex = ".*Test.*"
	err, got, log = runOnce(t, home, tg2, now)
	if err != nil || !reflect.DeepEqual(got, []string{"kept line"}) {
		t.Fatalf("text discard: err %v, frames %q\n%s", err, got, log)
	}
	if !hasLine(log, `DEBUG: +++ The ".*Test.*" regex found a match. The event will be skipped.`) {
		t.Errorf("text discard log:\n%s", log)
	}

	// remove_log_streams deletes each stream once read; the purge then
	// drops its row.
	putEvents(t, c, "g3", "r1", []logEvent{{base, "to be removed"}}, true)
	tg3 := cwTarget(url, "g3")
	tg3.OnlyLogsAfter = tg.OnlyLogsAfter
	tg3.RemoveLogStreams = true
	err, got, log = runOnce(t, home, tg3, now)
	if err != nil || !reflect.DeepEqual(got, []string{"to be removed"}) {
		t.Fatalf("remove: err %v, frames %q\n%s", err, got, log)
	}
	out, err := c.DescribeLogStreams(context.Background(), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g3")})
	if err != nil || len(out.LogStreams) != 0 {
		t.Errorf("stream not removed: %v %v", out, err)
	}
	if r := query(t, db, "SELECT * FROM cloudwatch_logs WHERE aws_log_group='g3'"); len(r) != 0 {
		t.Errorf("row of the removed stream kept: %q", r)
	}

	// A group that does not exist: the script's exit 16.
	err, _, log = runOnce(t, home, cwTarget(url, "nope"), now)
	if exitCode(err) != exit.Throttling {
		t.Errorf("missing group: %v (exit %d)\n%s", err, exitCode(err), log)
	}
	const msg = `The "get_log_streams" request failed: An error occurred (ResourceNotFoundException) when calling the DescribeLogStreams operation: The specified log group does not exist.`
	if err == nil || err.Error() != msg {
		t.Errorf("missing group message: %v", err)
	}
}

func mustDate(t *testing.T, d string) int64 {
	t.Helper()
	at, err := time.Parse("20060102", d)
	if err != nil {
		t.Fatal(err)
	}
	return at.UnixMilli()
}
