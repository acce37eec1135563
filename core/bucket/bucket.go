// Package bucket runs one bucket target the way one invocation of the
// Python script did: list, fetch, decode, filter/reformat, send, record —
// concurrently, returning errors that say what failed (core/exit picks the
// script's exit code for them).
//
// Objects are fetched and decoded concurrently (a limit that grows while
// S3's latency dominates and halves when S3 throttles, aimd.go) while a
// single sender delivers them in listing order; an object's row is written
// only after every one of its events was accepted by the sink, and rows are
// committed in key order, so the marker the next run starts after never
// passes an object that was not delivered.
package bucket

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/wazuh/aws-s3-go/core/awsclient"
	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/event"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/kind"
	"github.com/wazuh/aws-s3-go/core/layout"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/send"
	"github.com/wazuh/aws-s3-go/core/state"
)

// Retention is how many rows per unit the maintenance keeps at least (the
// reference's MAX_RECORD_RETENTION); rows the next listing still needs are
// kept beyond it.
const Retention = 500

// run is the state of one bucket target's run.
type run struct {
	t       config.Target
	env     host.Env
	log     logging.Logger
	opts    host.Options
	lay     layout.Layout
	s3      *s3.Client
	clients *awsclient.Clients
	db      *state.DB
	table   *state.Table
	builder *event.Builder
	discard *event.Discard
	out     *send.Path
	today   time.Time
	after   time.Time // only_logs_after, zero if unset
	stats   *host.Stats
}

// unit is one iterated listing: an account and region (and flow log), or
// the single listing of a custom-family bucket.
type unit struct {
	account, region, flowLog string
	full                     string // listing prefix
	group                    state.Group
}

// Run processes bucket target t once. env must have its defaults set
// (host.Env.Defaults). A nil error means success; otherwise the error says
// what failed (*host.Error, *awsclient.Error, *state.Error, *decode.Error,
// *send.Error); a cancelled ctx returns ctx's error with the progress made
// so far saved.
func Run(ctx context.Context, t config.Target, env host.Env) error {
	k, ok := kind.Lookup(strings.ToLower(t.Type))
	if !ok {
		return errors.New("Invalid type of bucket")
	}
	if err := checkRegions(t.Regions); err != nil {
		return err
	}
	r := &run{
		t: t, env: env, log: env.Log, opts: env.Options,
		lay:   layout.Layout{Kind: k, Bucket: t.Bucket, Prefix: t.Prefix, Suffix: t.Suffix, Org: t.OrganizationID},
		out:   send.New(env.Sink, env.Log, nil),
		today: env.Now().UTC().Truncate(24 * time.Hour),
		stats: env.Stats,
	}
	if t.OnlyLogsAfter != "" {
		d, err := time.Parse("20060102", t.OnlyLogsAfter)
		if err != nil {
			return fmt.Errorf("invalid only_logs_after %q: %w", t.OnlyLogsAfter, err)
		}
		r.after = d
	}
	if t.DiscardField != "" {
		d, err := event.CompileDiscard(t.DiscardField, t.DiscardRegex)
		if err != nil {
			return err
		}
		r.discard = d
	}
	r.builder = &event.Builder{Type: k.Name, Bucket: t.Bucket, Alias: t.AccountAlias, Log: env.Log}
	if err := r.connect(ctx); err != nil {
		return err
	}
	if err := r.openState(ctx); err != nil {
		return err
	}
	defer r.db.Close()
	if err := r.preflight(ctx); err != nil {
		return err
	}
	events := r.stats.Events.Load()
	err := r.iterate(ctx)
	if ferr := r.db.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	if err == nil {
		r.log.Debug(1, fmt.Sprintf("+++ Sent %d events to Analysisd", r.stats.Events.Load()-events))
	}
	return err
}

// connect builds the AWS clients (the script's constructor).
func (r *run) connect(ctx context.Context) error {
	if !hasAWSConfig() {
		r.log.Debug(2, "Generating default configuration for retries: mode standard - max_attempts 10")
	}
	if r.t.AccessKey != "" && r.t.SecretKey != "" {
		r.log.Print("The access_key and secret_key authentication parameter was deprecated in 4.4. Please use another authentication method instead. Check https://documentation.wazuh.com/current/amazon/services/prerequisites/credentials.html for more information.")
	}
	c, err := awsclient.New(ctx, r.t)
	if err != nil {
		return awsclient.AccessError(err)
	}
	r.clients = c
	r.s3 = c.S3ForBucket(ctx, r.t.Bucket)
	return nil
}

func (r *run) openState(ctx context.Context) error {
	version := r.env.Version
	if version == "" {
		v, err := state.WazuhVersion(ctx, r.env.Home)
		if err != nil {
			return &host.Error{Kind: host.Failed, Msg: err.Error(), Err: err}
		}
		version = v
	}
	db, err := state.OpenScope(ctx, DBPath(r.env.Home), "bucket "+r.t.Bucket, version, r.log)
	if err != nil {
		return err
	}
	r.db = db
	return nil
}

// preflight runs the checks the script made before iterating.
func (r *run) preflight(ctx context.Context) error {
	if r.lay.Kind.CheckAWSLogs {
		out, err := r.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: aws.String(r.t.Bucket), Prefix: aws.String(r.t.Prefix + "AWSLogs"),
			Delimiter: aws.String("/"), MaxKeys: aws.Int32(1),
		})
		if err != nil {
			r.log.Debug(2, "+++ Unexpected error: "+awsclient.ClientError(err))
			return awsclient.Errorf(awsclient.Query, err, "Unexpected error querying/working with objects in S3: %s", awsclient.ClientError(err))
		}
		if len(out.CommonPrefixes) == 0 {
			return host.Errorf(host.InvalidType, "Invalid type of bucket")
		}
	}
	if err := r.checkBucket(ctx); err != nil {
		return err
	}
	// EnsureTable logs the reference's "+++ Table does not exist; create".
	tbl, _, err := r.db.EnsureTable(r.lay.Kind.Table, r.lay.Kind.Schema)
	if err != nil {
		return err
	}
	r.table = tbl
	return nil
}

// checkBucket: the bucket must hold at least one folder under the prefix
// (server access: anything at all).
func (r *run) checkBucket(ctx context.Context) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(r.t.Bucket), Prefix: aws.String(r.t.Prefix), Delimiter: aws.String("/")}
	p := s3.NewListObjectsV2Paginator(r.s3, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return r.checkBucketErr(err)
		}
		if len(out.CommonPrefixes) > 0 {
			return nil
		}
		if r.lay.Kind.Flat {
			if len(out.Contents) > 0 {
				return nil
			}
			break
		}
	}
	return host.Errorf(host.EmptyBucket, "No files were found in '%s'. No logs will be processed.", r.lay.BucketPath())
}

func (r *run) checkBucketErr(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case awsclient.IsThrottling(err):
		return awsclient.Errorf(awsclient.Throttling, err, throttlingText, "check_bucket", awsclient.ClientError(err))
	case awsclient.ErrorCode(err) == "SignatureDoesNotMatch" || awsclient.ErrorCode(err) == "InvalidAccessKeyId":
		return awsclient.Errorf(awsclient.Credentials, err, "Invalid credentials to access S3 Bucket")
	case awsclient.ErrorCode(err) == "RequestTimeTooSkewed":
		return awsclient.Errorf(awsclient.ClockSkew, err, "The server datetime and datetime of the AWS environment differ")
	case awsclient.ErrorCode(err) != "":
		return awsclient.Errorf(awsclient.Failed, err, "Unexpected error: '%s'.", awsclient.ClientError(err))
	case awsclient.IsConnection(err):
		return awsclient.Errorf(awsclient.Endpoint, err, "%s", err)
	}
	return err
}

// listErr classifies listing failures inside the iteration.
func (r *run) listErr(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case awsclient.IsThrottling(err):
		return awsclient.Errorf(awsclient.Throttling, err, throttlingText, "iter_files_in_bucket", awsclient.ClientError(err))
	case awsclient.ErrorCode(err) != "":
		return awsclient.Errorf(awsclient.Failed, err, "ERROR: The \"iter_files_in_bucket\" request failed: %s", awsclient.ClientError(err))
	}
	r.log.Debug(2, "+++ Unexpected error: "+err.Error())
	return awsclient.Errorf(awsclient.Query, err, "Unexpected error querying/working with objects in S3: %s", err)
}

// iterate walks accounts, regions and flow logs (or the single custom
// listing) through the pipeline.
func (r *run) iterate(ctx context.Context) error {
	p := newPipeline(ctx, r)
	return p.run(func(p *pipeline) error {
		if !r.lay.Kind.Iterates() {
			account, err := r.clients.CallerAccount(p.ctx)
			if err != nil {
				return fmt.Errorf("%s", awsclient.ClientError(err))
			}
			u := &unit{account: account, full: r.lay.Full("", "")}
			u.group = state.Group{BucketPath: r.lay.BucketPath(), Account: account}
			return r.listUnit(p, u)
		}
		accounts := r.t.AccountIDs
		if len(accounts) == 0 {
			var err error
			if accounts, err = r.findAccounts(p.ctx); err != nil {
				return err
			}
		}
		for _, a := range accounts {
			regions := r.t.Regions
			if len(regions) == 0 {
				// The reference reuses the first account's regions for
				// every account, so an account with a region of its own
				// was never read; each account is asked here.
				var err error
				if regions, err = r.findRegions(p.ctx, a); err != nil {
					return err
				}
				if len(regions) == 0 {
					r.log.Debug(1, "+++ No regions found for AWS Account "+a)
					continue
				}
			}
			for _, reg := range regions {
				r.log.Debug(1, fmt.Sprintf("+++ Working on %s - %s", a, reg))
				if r.lay.Kind.Schema == kind.SchemaVPC {
					if err := r.listFlowLogs(p, a, reg); err != nil {
						return err
					}
					continue
				}
				u := &unit{account: a, region: reg, full: r.lay.Full(a, reg)}
				u.group = state.Group{BucketPath: r.lay.BucketPath(), Account: a, Region: reg}
				if err := r.listUnit(p, u); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

var twelveDigits = regexp.MustCompile(`^\d{12}$`)

func (r *run) findAccounts(ctx context.Context) ([]string, error) {
	base := r.lay.Base()
	out, err := r.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(r.t.Bucket), Prefix: aws.String(base), Delimiter: aws.String("/")})
	if err != nil {
		return nil, r.discoveryErr("find_account_ids", err)
	}
	if len(out.CommonPrefixes) == 0 {
		return nil, host.Errorf(host.InvalidPrefix, "No logs found in '%s'. Check the provided prefix and the location of the logs for the bucket type '%s'", base, r.lay.Kind.Name)
	}
	var accounts []string
	for _, cp := range out.CommonPrefixes {
		parts := strings.Split(aws.ToString(cp.Prefix), "/")
		if len(parts) >= 2 && twelveDigits.MatchString(parts[len(parts)-2]) {
			accounts = append(accounts, parts[len(parts)-2])
		}
	}
	return accounts, nil
}

func (r *run) findRegions(ctx context.Context, account string) ([]string, error) {
	var regions []string
	p := s3.NewListObjectsV2Paginator(r.s3, &s3.ListObjectsV2Input{Bucket: aws.String(r.t.Bucket), Prefix: aws.String(r.lay.ServicePrefix(account)), Delimiter: aws.String("/")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, r.discoveryErr("find_regions", err)
		}
		for _, cp := range out.CommonPrefixes {
			parts := strings.Split(strings.TrimSuffix(aws.ToString(cp.Prefix), "/"), "/")
			regions = append(regions, parts[len(parts)-1])
		}
	}
	return regions, nil
}

func (r *run) discoveryErr(op string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	if awsclient.IsThrottling(err) {
		r.log.Debug(2, fmt.Sprintf("ERROR: The '%s' request was denied due to request throttling. ", op))
		return &awsclient.Error{Kind: awsclient.Throttling, Err: err}
	}
	if awsclient.ErrorCode(err) != "" {
		return &host.Quiet{Level: 1, Err: awsclient.Errorf(awsclient.Failed, err, "ERROR: The \"%s\" request failed: %s", op, awsclient.ClientError(err))}
	}
	return r.listErr(err)
}

func (r *run) listFlowLogs(p *pipeline, account, region string) error {
	ids, err := r.flowLogIDs(p.ctx, region)
	if err != nil {
		return err
	}
	for _, id := range ids {
		u := &unit{account: account, region: region, flowLog: id, full: r.lay.Full(account, region)}
		u.group = state.Group{BucketPath: r.lay.BucketPath(), Account: account, Region: region, FlowLogID: id}
		if err := r.listUnit(p, u); err != nil {
			return err
		}
	}
	return nil
}

// flowLogIDs lists the flow logs of region. Unlike the reference it
// follows NextToken, so accounts with many flow logs lose none.
func (r *run) flowLogIDs(ctx context.Context, region string) ([]string, error) {
	// A loop rather than ec2's paginator: the paginator takes the client
	// as an interface, and a client held in an interface keeps all its
	// methods in the executable once anything in it calls methods through
	// reflection (protobuf, linked for parquet, does): for EC2 that is 19
	// MB of code, and a peak RSS 13-16 MB larger (tests/bench, bench A).
	var ids []string
	client := r.clients.EC2(region)
	in := &ec2.DescribeFlowLogsInput{}
	for {
		out, err := client.DescribeFlowLogs(ctx, in)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil, err
			}
			return nil, fmt.Errorf("%s", awsclient.ClientError(err))
		}
		for _, fl := range out.FlowLogs {
			ids = append(ids, aws.ToString(fl.FlowLogId))
		}
		next := aws.ToString(out.NextToken)
		if next == "" || next == aws.ToString(in.NextToken) {
			return ids, nil
		}
		in = &ec2.DescribeFlowLogsInput{NextToken: aws.String(next)}
	}
}

// noLogs prints the reference's "nothing to process" line of a unit.
func (r *run) noLogs(u *unit) {
	switch {
	case u.flowLog != "":
		r.log.Debug(1, fmt.Sprintf("+++ No logs to process for %s flow log ID in bucket: %s/%s", u.flowLog, u.account, u.region))
	case u.region != "":
		r.log.Debug(1, fmt.Sprintf("+++ No logs to process in bucket: %s/%s", u.account, u.region))
	default:
		r.log.Debug(1, "+++ No logs to process in bucket: "+r.t.Bucket)
	}
}

// startAfter is the StartAfter of u's listing (and the first key the
// maintenance must keep).
func (r *run) startAfter(u *unit) (layout.Start, error) {
	last := ""
	if !r.t.Reparse {
		k, ok, err := r.table.LastKey(u.group, r.lay.LikePrefix(u.full))
		if err != nil {
			return layout.Start{}, err
		}
		if ok {
			last = k
		}
	}
	st, err := r.lay.StartAfter(u.full, last, r.after, r.today, r.t.Reparse)
	if err != nil {
		return st, &host.Error{Kind: host.BadMarker, Msg: err.Error(), Err: err}
	}
	if last == "" || r.lay.Kind.UnpaddedDates {
		// Config keys do not sort by date (days are not zero-padded), so
		// a key is no floor for its listing.
		return st, nil
	}
	// The Python wodle keeps only the Retention greatest keys of a group:
	// in a group that full, keys before the oldest row may have been
	// delivered and trimmed, so the late-arrival window must not reach
	// back past it (objects there would be sent again).
	rows, oldest, err := r.table.Extent(u.group, r.lay.LikePrefix(u.full))
	if err != nil {
		return st, err
	}
	if rows >= Retention && oldest > st.After {
		st.After, st.Shown = oldest, oldest
	}
	return st, nil
}

// listUnit lists one unit and queues its new objects, then its maintenance.
func (r *run) listUnit(p *pipeline, u *unit) error {
	st, err := r.startAfter(u)
	if err != nil {
		return err
	}
	r.log.Debug(2, "+++ Marker: "+st.Shown)
	if st.Shown != st.After && r.lay.Kind.DayFolder != nil {
		r.log.Debug(2, "+++ GuardDuty: Rewound marker to day folder: "+st.After)
	}
	if r.t.Reparse {
		r.log.Debug(2, "++ Reparse mode enabled")
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(r.t.Bucket), Prefix: aws.String(u.full), MaxKeys: aws.Int32(1000), StartAfter: aws.String(st.After)}
	// The next page is fetched while this one is queued: at most one
	// request in flight, none left behind.
	ctx, cancel := context.WithCancel(p.ctx)
	next := r.listPage(ctx, in)
	defer func() {
		cancel()
		if next != nil {
			<-next
		}
	}()
	for next != nil {
		pg := <-next
		next = nil
		if pg.err != nil {
			return r.listErr(pg.err)
		}
		out := pg.out
		if len(out.Contents) == 0 {
			r.noLogs(u)
			break
		}
		if aws.ToBool(out.IsTruncated) {
			next = r.listPage(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(r.t.Bucket), Prefix: aws.String(u.full), MaxKeys: aws.Int32(1000), ContinuationToken: out.NextContinuationToken})
		}
		contents := out.Contents
		if r.lay.Kind.UnpaddedDates {
			var err error
			if contents, err = r.configPage(contents); err != nil {
				return err
			}
		}
		done, err := r.processed(u, contents)
		if err != nil {
			return err
		}
		queued := 0
		for _, c := range contents {
			if !r.wanted(u, c, done) {
				continue
			}
			o := &object{unit: u, key: aws.ToString(c.Key), lastModified: aws.ToTime(c.LastModified)}
			if err := p.enqueue(o); err != nil {
				return err
			}
			queued++
		}
		if queued == 0 {
			r.noLogs(u)
		}
	}
	return p.enqueue(&object{unit: u, endOfUnit: true})
}

// listed is one ListObjectsV2 answer.
type listed struct {
	out *s3.ListObjectsV2Output
	err error
}

// listPage requests one page of a listing in the background; the channel
// yields it. A listing runs at most one page ahead of its queueing.
func (r *run) listPage(ctx context.Context, in *s3.ListObjectsV2Input) <-chan listed {
	c := make(chan listed, 1) // never blocks: an abandoned page is dropped
	go func() {
		var pg listed
		defer func() {
			if v := recover(); v != nil {
				pg = listed{err: host.PanicError(v)}
			}
			c <- pg
		}()
		pg.out, pg.err = r.s3.ListObjectsV2(ctx, in)
	}()
	return c
}

// configPage sorts a Config page by the date in its keys and keeps only
// dates from only_logs_after on, as the reference does.
func (r *run) configPage(contents []s3types.Object) ([]s3types.Object, error) {
	type dated struct {
		o s3types.Object
		d time.Time
	}
	var ds []dated
	for _, c := range contents {
		d, ok := layout.KeyDate(aws.ToString(c.Key))
		if !ok {
			if strings.HasSuffix(aws.ToString(c.Key), "/") {
				continue
			}
			return nil, awsclient.Errorf(awsclient.Query, nil, "Unexpected error querying/working with objects in S3: no date in key %s", aws.ToString(c.Key))
		}
		if !r.after.IsZero() && d.Before(r.after) {
			continue
		}
		ds = append(ds, dated{c, d})
	}
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].d.Before(ds[j].d) })
	out := make([]s3types.Object, len(ds))
	for i, d := range ds {
		out[i] = d.o
	}
	return out, nil
}

// candidate reports whether key passes the listing's filters that do not
// depend on the database; otherPrefix, that it failed only the last one.
func (r *run) candidate(u *unit, key string) (ok, otherPrefix bool) {
	if key == "" || strings.HasSuffix(key, "/") {
		return false, false
	}
	if u.flowLog != "" && !strings.Contains(key, u.flowLog) {
		return false, false
	}
	if !r.lay.BelongsTo(key, u.full) {
		return false, true
	}
	return true, false
}

// processed looks up, in one query, which of a page's candidate objects
// are recorded already.
func (r *run) processed(u *unit, contents []s3types.Object) (map[string]bool, error) {
	keys := make([]string, 0, len(contents))
	for _, c := range contents {
		k := aws.ToString(c.Key)
		if ok, _ := r.candidate(u, k); ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	done, err := r.table.ProcessedKeys(u.group, keys)
	if err != nil {
		return nil, err
	}
	return done, nil
}

// wanted applies the per-object filters of the listing loop; done holds
// the page's keys already recorded (processed).
func (r *run) wanted(u *unit, c s3types.Object, done map[string]bool) bool {
	key := aws.ToString(c.Key)
	if ok, otherPrefix := r.candidate(u, key); !ok {
		if otherPrefix {
			r.log.Debug(3, "++ Skipping file with another prefix: "+key)
		}
		return false
	}
	if done[key] {
		if r.t.Reparse {
			r.log.Debug(1, "++ File previously processed, but reparse flag set: "+key)
		} else {
			lvl := 1
			if r.lay.Kind.Flat {
				lvl = 2
			}
			r.log.Debug(lvl, "++ Skipping previously processed file: "+key)
			return false
		}
	}
	r.log.Debug(2, "++ Found new log: "+key)
	return true
}

// maintain trims u's rows once all its objects were recorded.
func (r *run) maintain(u *unit) error {
	st, err := r.startAfter(u)
	if err != nil {
		return err
	}
	from := ""
	if r.lay.Kind.Schema == kind.SchemaCustom && r.lay.Kind.Iterates() {
		from = u.full
	}
	if _, err := r.table.TrimRange(u.group, Retention, from, st.After); err != nil {
		var se *state.Error
		if errors.As(err, &se) && se.Kind == state.Cleanup {
			r.log.Error(se.Msg)
			return nil
		}
		return err
	}
	return nil
}

// DBPath is where the state database of bucket targets lives.
func DBPath(home string) string { return filepath.Join(home, "wodles", "aws", "s3_cloudtrail.db") }

// checkRegions is the script's run-time membership check (the message
// only in debug mode).
func checkRegions(regions []string) error {
	for _, r := range regions {
		if !config.KnownRegion(r) {
			return &host.Quiet{Level: 1, Err: host.Errorf(host.InvalidRegion, "+++ ERROR: Invalid region '%s'", r)}
		}
	}
	return nil
}

// hasAWSConfig reports whether the user's ~/.aws/config exists (only for
// the reference's debug line about retries).
func hasAWSConfig() bool {
	home, err := os.UserHomeDir()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(home, ".aws", "config"))
	return err == nil
}
