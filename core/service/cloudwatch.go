package service

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/wazuh/aws-s3-go/core/awsclient"
	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/event"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
	"github.com/wazuh/aws-s3-go/core/pyre"
	"github.com/wazuh/aws-s3-go/core/send"
)

// connectionRetries bounds how often a GetLogEvents call that got no
// answer at all is made again after the SDK's own retries (the script
// retried forever).
const connectionRetries = 5

// cwRun is one cloudwatchlogs target's run; region changes per pass.
type cwRun struct {
	t   config.Target
	env Env
	log logging.Logger
	db  *db
	// The SDK's client itself, not an interface of the calls a run makes:
	// protobuf (linked for Parquet) looks methods up by name, so the linker
	// keeps every method of a type stored in an interface, here all the
	// client's operations (4.7 MB for this one and Inspector's).
	client    *cloudwatchlogs.Client
	region    string
	groups    []string
	onlyAfter int64 // only_logs_after in ms, 0 if unset
	today     int64 // midnight UTC today in ms
	filter    filter
	out       *send.Path
}

// filter is the script's discard check for CloudWatch messages: JSON
// messages by field, other text by the regex alone.
type filter struct {
	field   string
	pattern string         // as configured, "None" if not
	re      *regexp.Regexp // nil if no discard_regex
	json    *event.Discard // on {"": <message>}, field "." + field
}

func newFilter(field, regex string) (filter, error) {
	f := filter{field: field, pattern: regex}
	if regex != "" {
		re, err := pyre.Compile(regex)
		if err != nil {
			return f, err
		}
		f.re = re
	} else {
		f.pattern = "None"
	}
	if field != "" {
		// The message is wrapped so that a top-level array is searched
		// as the script does (element by element, first path component).
		f.json = event.NewDiscard("."+field, f.pattern, f.re)
	}
	return f, nil
}

// skip reports whether message must be dropped, logging the script's lines.
func (f *filter) skip(message string, log logging.Logger) bool {
	fieldName := f.field
	if fieldName == "" {
		fieldName = "None"
	}
	if v, err := pyjson.Unmarshal([]byte(message)); err == nil {
		if f.json != nil {
			w := pyjson.NewObject(1)
			w.Set("", v)
			if f.json.Skip(w, logging.Discard{}) {
				log.Debug(2, `+++ The "`+f.pattern+`" regex found a match in the "`+fieldName+`" field. The event will be skipped.`)
				return true
			}
		}
		log.Debug(3, `+++ The "`+f.pattern+`" regex did not find a match in the "`+fieldName+`" field. The event will be processed.`)
		return false
	}
	log.Debug(3, "+++ Retrieved log event is not a JSON object.")
	// Deliberately no match without a discard_regex: the script matched
	// the text "None" then, dropping every message starting with it.
	if f.re != nil && f.re.MatchString(message) {
		log.Debug(2, `+++ The "`+f.pattern+`" regex found a match. The event will be skipped.`)
		return true
	}
	log.Debug(3, `+++ The "`+f.pattern+`" regex did not find a match. The event will be processed.`)
	return false
}

func runCloudWatch(ctx context.Context, t config.Target, env Env, clients *awsclient.Clients, d *db, regions []string) error {
	f, err := newFilter(t.DiscardField, t.DiscardRegex)
	if err != nil {
		return err
	}
	r := &cwRun{t: t, env: env, log: env.Log, db: d, filter: f, out: send.New(env.Sink, env.Log, &env.Stats.Events)}
	for _, g := range t.LogGroups {
		if g != "" {
			r.groups = append(r.groups, g)
		}
	}
	if t.OnlyLogsAfter != "" {
		at, err := time.Parse("20060102", t.OnlyLogsAfter)
		if err != nil {
			return fmt.Errorf("invalid only_logs_after %q: %w", t.OnlyLogsAfter, err)
		}
		r.onlyAfter = at.UnixMilli()
	}
	r.today = env.Now().UTC().Truncate(24 * time.Hour).UnixMilli()
	for _, region := range regions {
		env.Log.Debug(1, fmt.Sprintf("+++ Getting alerts from \"%s\" region.", region))
		r.region = region
		r.client = clients.Logs(region)
		if err := r.run(ctx); err != nil {
			return err
		}
	}
	return nil
}

// run is get_alerts for the current region.
func (r *cwRun) run(ctx context.Context) error {
	if r.onlyAfter != 0 {
		r.log.Debug(1, fmt.Sprintf("only logs: %d", r.onlyAfter))
	} else {
		r.log.Debug(1, "only logs: None")
	}
	if err := r.db.ensureTable(cloudwatchTable, cloudwatchDDL, r.log); err != nil {
		return err
	}
	if r.t.Reparse {
		r.log.Debug(1, "Reparse mode ON")
	}
	defer r.log.Debug(1, "committing changes and closing the DB")
	for _, group := range r.groups {
		streams, ok, err := r.logStreams(ctx, group)
		if err != nil {
			return err
		}
		for _, stream := range streams {
			if err := r.stream(ctx, group, stream); err != nil {
				return err
			}
		}
		if ok {
			if err := r.purge(ctx, group); err != nil {
				return err
			}
		}
	}
	return nil
}

// logStreams lists the streams of group (get_log_streams). ok is false
// when the endpoint could not be reached: the list is then empty but must
// not be taken for "no streams".
func (r *cwRun) logStreams(ctx context.Context, group string) (names []string, ok bool, err error) {
	r.log.Debug(1, fmt.Sprintf("Getting log streams for \"%s\" log group", group))
	in := &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(group)}
	for {
		out, err := r.client.DescribeLogStreams(ctx, in)
		if err != nil {
			if cerr := cancelled(ctx, err); cerr != nil {
				return nil, false, cerr
			}
			if isCredentials(err) {
				return nil, false, awsclient.Errorf(awsclient.Credentials, err, "Access error: %s", err)
			}
			if awsclient.ErrorCode(err) != "" {
				return nil, false, awsclient.Errorf(awsclient.Throttling, err, "The \"get_log_streams\" request failed: %s", awsclient.ClientError(err))
			}
			if awsclient.IsConnection(err) {
				r.log.Error(err.Error())
				return nil, false, nil
			}
			r.log.Print(fmt.Sprintf("DEBUG: ++++ The specified \"%s\" log group does not exist or insufficient privileges to access it.", group))
			return nil, false, nil
		}
		for _, s := range out.LogStreams {
			names = append(names, aws.ToString(s.LogStreamName))
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	for _, n := range names {
		r.log.Debug(2, fmt.Sprintf("Found \"%s\" log stream in %s", n, group))
	}
	if len(names) == 0 {
		r.log.Debug(1, fmt.Sprintf("No log streams were found for log group \"%s\"", group))
	}
	return names, true, nil
}

// rangeResult is what get_alerts_within_range returns; nil members are None.
type rangeResult struct {
	token      *string
	start, end *int64
}

// stream reads one log stream from where the database says it stopped.
func (r *cwRun) stream(ctx context.Context, group, stream string) error {
	r.log.Debug(1, fmt.Sprintf("Getting data from DB for log stream \"%s\" in log group \"%s\"", stream, group))
	stored, found, err := r.db.stream(r.region, group, stream)
	if err != nil {
		return err
	}
	var prev *streamState
	if found {
		prev = &stored
	}
	r.log.Debug(2, fmt.Sprintf("Token: \"%s\", start_time: \"%s\", end_time: \"%s\"", pyStr(stored.token), pyInt(stored.start), pyInt(stored.end)))

	start := r.today
	if r.onlyAfter != 0 {
		start = r.onlyAfter
	}
	var token *string
	var before *rangeResult
	if prev != nil {
		switch {
		case r.t.Reparse:
			if before, err = r.fetch(ctx, group, stream, nil, start, nil, nil); err != nil {
				return err
			}
		case truthy(prev.start) && *prev.start > start:
			if before, err = r.fetch(ctx, group, stream, nil, start, prev.start, nil); err != nil {
				return err
			}
		}
		if truthy(prev.end) && (r.onlyAfter == 0 || *prev.end > r.onlyAfter) {
			start = *prev.end + 1
			token = prev.token
		}
	}
	// Progress is saved after every page the sink accepted, as the final
	// save would have recorded it had the run stopped there.
	save := func(after *rangeResult) error {
		return r.db.saveStream(r.region, group, stream, update(prev, before, after), nil)
	}
	after, err := r.fetch(ctx, group, stream, token, start, nil, save)
	if err != nil {
		return err
	}
	values := update(prev, before, after)
	r.log.Debug(1, fmt.Sprintf("Saving data for log group \"%s\" and log stream \"%s\".", group, stream))
	r.log.Debug(2, fmt.Sprintf("The saved values are \"{'token': %s, 'start_time': %s, 'end_time': %s}\"", pyRepr(values.token), pyInt(values.start), pyInt(values.end)))
	if err := r.db.saveStream(r.region, group, stream, values, r.log); err != nil {
		return err
	}
	if r.t.RemoveLogStreams {
		return r.remove(ctx, group, stream)
	}
	return nil
}

// fetch is get_alerts_within_range: GetLogEvents from the head of the
// range until a page comes back empty, sending every message. page, if
// not nil, is called with the result so far after each page was sent.
func (r *cwRun) fetch(ctx context.Context, group, stream string, token *string, start int64, end *int64, page func(*rangeResult) error) (*rangeResult, error) {
	res := &rangeResult{token: token}
	minStart, maxEnd := start, start
	if end != nil {
		maxEnd = *end
	}
	res.start, res.end = &minStart, &maxEnd
	in := &cloudwatchlogs.GetLogEventsInput{
		LogGroupName:  aws.String(group),
		LogStreamName: aws.String(stream),
		NextToken:     token,
		StartTime:     aws.Int64(start),
		EndTime:       end,
		StartFromHead: aws.Bool(true),
	}
	for {
		r.log.Debug(1, fmt.Sprintf("Getting CloudWatch logs from log stream \"%s\" in log group \"%s\" using token \"%s\", start_time \"%d\" and end_time \"%s\"",
			stream, group, pyStr(res.token), start, pyInt(end)))
		out, err := r.getLogEvents(ctx, in)
		if err != nil {
			return nil, err
		}
		res.token = out.NextForwardToken
		in.NextToken = out.NextForwardToken
		sent := 0
		if len(out.Events) > 0 {
			r.log.Debug(1, "+++ Sending events to Analysisd...")
		}
		for _, ev := range out.Events {
			msg := aws.ToString(ev.Message)
			if r.filter.skip(msg, r.log) {
				continue
			}
			ts := aws.ToInt64(ev.Timestamp)
			r.log.Debug(2, fmt.Sprintf("The message is \"%s\"", msg))
			r.log.Debug(3, fmt.Sprintf("The message's timestamp is %d", ts))
			if err := r.out.Text(ctx, msg, "the log stream "+stream); err != nil {
				return nil, err
			}
			sent++
			minStart, maxEnd = min(minStart, ts), max(maxEnd, ts)
		}
		if sent > 0 {
			r.log.Debug(1, fmt.Sprintf("+++ Sent %d events to Analysisd", sent))
		} else {
			r.log.Debug(1, fmt.Sprintf("+++ There are no new events in the \"%s\" group", group))
		}
		if page != nil && len(out.Events) > 0 {
			if err := page(res); err != nil {
				return nil, err
			}
		}
		if len(out.Events) == 0 {
			return res, nil
		}
		if err := ctx.Err(); err != nil {
			// A stop between pages: what was sent is saved.
			return nil, err
		}
	}
}

func (r *cwRun) getLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput) (*cloudwatchlogs.GetLogEventsOutput, error) {
	wait := time.Second
	for try := 0; ; try++ {
		out, err := r.client.GetLogEvents(ctx, in)
		if err == nil {
			return out, nil
		}
		if cerr := cancelled(ctx, err); cerr != nil {
			return nil, cerr
		}
		if isCredentials(err) {
			return nil, awsclient.Errorf(awsclient.Credentials, err, "Access error: %s", err)
		}
		if !awsclient.IsConnection(err) {
			return nil, awsclient.Errorf(awsclient.Throttling, err, "The \"get_log_events\" request failed: %s", awsclient.ClientError(err))
		}
		if try == connectionRetries {
			return nil, awsclient.Errorf(awsclient.Endpoint, err, "%s", err)
		}
		r.log.Debug(1, "WARNING: The \"get_log_events\" request was denied because the endpoint URL was not available. Attempting again.")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (r *cwRun) remove(ctx context.Context, group, stream string) error {
	// The script's line names the group as the stream and vice versa;
	// this one says what it does.
	r.log.Debug(1, fmt.Sprintf("Removing log stream \"%s\" from log group \"%s\"", stream, group))
	_, err := r.client.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
	if err == nil {
		return nil
	}
	if cerr := cancelled(ctx, err); cerr != nil {
		return cerr
	}
	if awsclient.ErrorCode(err) != "" {
		return awsclient.Errorf(awsclient.Throttling, err, "The \"remove_aws_log_stream\" request failed: %s", awsclient.ClientError(err))
	}
	r.log.Print(fmt.Sprintf("DEBUG: ERROR: Error trying to remove \"%s\" log stream from \"%s\" log group.", stream, group))
	return nil
}

// purge drops the rows of streams the group no longer has (purge_db).
func (r *cwRun) purge(ctx context.Context, group string) error {
	r.log.Debug(1, "Purging the BD")
	stored, err := r.db.streams(r.region, group)
	if err != nil {
		return err
	}
	current, ok, err := r.logStreams(ctx, group)
	if err != nil {
		return err
	}
	if !ok {
		// Deliberately unlike the script, which purged every row when the
		// listing failed: the streams are unknown, not gone.
		return nil
	}
	have := make(map[string]bool, len(current))
	for _, s := range current {
		have[s] = true
	}
	var gone []string
	for _, s := range stored {
		if !have[s] {
			gone = append(gone, s)
		}
	}
	if len(gone) > 0 {
		r.log.Debug(2, fmt.Sprintf("Data for the following log streams will be removed from %s: \"%s\"", cloudwatchTable, pySet(gone)))
	}
	for _, s := range gone {
		if err := r.db.purgeStream(r.region, group, s); err != nil {
			return err
		}
	}
	return nil
}

// update is update_values: the token of the last range read, the earliest
// start and latest end seen, merged with the stored row.
func update(values *streamState, before, after *rangeResult) streamState {
	var minStart, maxEnd *int64
	if before != nil {
		minStart, maxEnd = before.start, before.end
	}
	if after != nil {
		if minStart == nil {
			minStart = after.start
		} else if after.start != nil && *after.start < *minStart {
			minStart = after.start
		}
		if maxEnd == nil {
			maxEnd = after.end
		} else if after.end != nil && *after.end > *maxEnd {
			maxEnd = after.end
		}
	}
	var token *string
	if before != nil {
		token = before.token
	}
	if after != nil {
		token = after.token
	}
	if values == nil {
		return streamState{token: token, start: copyInt(minStart), end: copyInt(maxEnd)}
	}
	res := streamState{token: token}
	if values.start != nil {
		if minStart != nil && *minStart < *values.start {
			res.start = copyInt(minStart)
		} else {
			res.start = copyInt(values.start)
		}
	} else {
		res.start = copyInt(maxEnd)
	}
	if values.end != nil {
		if maxEnd != nil && *maxEnd > *values.end {
			res.end = copyInt(maxEnd)
		} else {
			res.end = copyInt(values.end)
		}
	} else {
		res.end = copyInt(maxEnd)
	}
	return res
}

func copyInt(p *int64) *int64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func truthy(p *int64) bool { return p != nil && *p != 0 }

// pyStr is Python's str() of an optional string.
func pyStr(p *string) string {
	if p == nil {
		return "None"
	}
	return *p
}

// pyRepr is Python's repr() of an optional string.
func pyRepr(p *string) string {
	if p == nil {
		return "None"
	}
	return pyjson.ReprString(*p)
}

func pyInt(p *int64) string {
	if p == nil {
		return "None"
	}
	return strconv.FormatInt(*p, 10)
}

// pySet renders names as a Python set literal (in sorted order; Python's
// own order is arbitrary).
func pySet(names []string) string {
	s := "{"
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += pyjson.ReprString(n)
	}
	return s + "}"
}
