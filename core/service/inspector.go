package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/inspector2"
	"github.com/aws/aws-sdk-go-v2/service/inspector2/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/wazuh/aws-s3-go/core/awsclient"
	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/event"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
	"github.com/wazuh/aws-s3-go/core/send"
)

// Inspector rows (services/inspector.py).
const (
	inspectorService = "inspector"
	retainScans      = 5
	scanDateLayout   = "2006-01-02 15:04:05.000000" // %Y-%m-%d %H:%M:%S.%f
)

type inspectorRun struct {
	t       config.Target
	env     Env
	log     logging.Logger
	db      *db
	account string
	discard *event.Discard
	// A concrete client, as cwRun.client is, to keep the executable small.
	newAPI func(region string) *inspector2.Client
}

func runInspector(ctx context.Context, t config.Target, env Env, clients *awsclient.Clients, d *db, regions []string) error {
	account, err := clients.CallerAccount(ctx)
	if err != nil {
		if cerr := cancelled(ctx, err); cerr != nil {
			return cerr
		}
		if isCredentials(err) {
			return awsclient.Errorf(awsclient.Credentials, err, "Access error: %s", err)
		}
		// Uncaught in the script (exit 12, or 1 in debug mode).
		return errors.New(awsclient.ClientError(err))
	}
	r := &inspectorRun{t: t, env: env, log: env.Log, db: d, account: account,
		newAPI: func(region string) *inspector2.Client { return clients.Inspector2(region) }}
	if t.DiscardField != "" {
		d, err := event.CompileDiscard(t.DiscardField, t.DiscardRegex)
		if err != nil {
			return err
		}
		r.discard = d
	}
	for _, region := range regions {
		env.Log.Debug(1, fmt.Sprintf("+++ Getting alerts from \"%s\" region.", region))
		if err := r.run(ctx, region); err != nil {
			return err
		}
	}
	return nil
}

// run is get_alerts for one region. The scan row is written only once
// every finding of the window was accepted, so a failed run is repeated
// whole by the next one (no loss; the findings already sent come again).
func (r *inspectorRun) run(ctx context.Context, region string) error {
	if err := r.db.ensureTable(servicesTable, servicesDDL, r.log); err != nil {
		return err
	}
	now := r.env.Now().UTC()
	date := r.t.OnlyLogsAfter
	if date == "" {
		date = now.Format("20060102")
	}
	initial := date[0:4] + "-" + date[4:6] + "-" + date[6:8] + " 00:00:00.0"
	last, insertInitial := initial, false
	if !r.t.Reparse {
		s, found, err := r.db.lastScan(inspectorService, r.account, region)
		if err != nil {
			return err
		}
		if found {
			last = s
		} else {
			insertInitial = true
		}
	}
	from, err := time.Parse("2006-01-02 15:04:05", last)
	if err != nil {
		return fmt.Errorf("time data %s does not match format '%%Y-%%m-%%d %%H:%%M:%%S.%%f'", pyjson.ReprString(last))
	}
	if r.t.OnlyLogsAfter != "" {
		if after, err := time.Parse("20060102", r.t.OnlyLogsAfter); err == nil && after.After(from) {
			from = after
		}
	}
	r.log.Debug(2, "+++ Attempting to fetch Inspector V2 findings from "+pyDatetime(from))
	sent, err := r.findings(ctx, region, from, now)
	if err != nil {
		return err
	}
	if sent > 0 {
		r.log.Debug(1, fmt.Sprintf("+++ [InspectorV2] %d events collected and processed", sent))
		r.log.Debug(1, fmt.Sprintf("+++ Total: %d events collected and processed in %s", sent, region))
	} else {
		r.log.Debug(1, "+++ [InspectorV2] No findings with recent updates in the specified time range")
		r.log.Debug(1, fmt.Sprintf("+++ There are no new events in the \"%s\" region", region))
	}
	return r.db.inTx(func() error {
		if insertInitial {
			if err := r.db.insertScan(inspectorService, r.account, region, initial); err != nil {
				return err
			}
		}
		if err := r.db.insertScan(inspectorService, r.account, region, now.Format(scanDateLayout)); err != nil {
			return err
		}
		return r.db.trimScans(inspectorService, r.account, region, retainScans)
	})
}

// findings lists the findings updated in [from, to] and sends them.
func (r *inspectorRun) findings(ctx context.Context, region string, from, to time.Time) (int, error) {
	api := r.newAPI(region)
	in := &inspector2.ListFindingsInput{
		MaxResults: aws.Int32(100),
		FilterCriteria: &types.FilterCriteria{UpdatedAt: []types.DateFilter{{
			StartInclusive: aws.Time(from), EndInclusive: aws.Time(to),
		}}},
	}
	path := send.New(r.env.Sink, r.log, &r.env.Stats.Events)
	sent := 0
	for {
		var body []byte
		out, err := api.ListFindings(ctx, in, func(o *inspector2.Options) {
			o.APIOptions = append(o.APIOptions, captureBody(&body))
		})
		if err != nil {
			if cerr := cancelled(ctx, err); cerr != nil {
				return sent, cerr
			}
			if isCredentials(err) {
				return sent, awsclient.Errorf(awsclient.Credentials, err, "Access error: %s", err)
			}
			return sent, errors.New(awsclient.ClientError(err))
		}
		findings, err := rawFindings(body)
		if err != nil {
			return sent, err
		}
		r.log.Debug(3, fmt.Sprintf("+++ [InspectorV2] Processing %d events", len(findings)))
		for _, f := range findings {
			if r.discard != nil && r.discard.Skip(f, logging.Discard{}) {
				r.log.Debug(2, fmt.Sprintf("+++ [InspectorV2] The \"%s\" regex found a match in the \"%s\" field. The event will be skipped.", r.patternText(), r.t.DiscardField))
				continue
			}
			if err := path.Message(ctx, findingMessage(f, r.env.Loc), "the finding "+findingArn(f)); err != nil {
				return sent, err
			}
			sent++
		}
		if aws.ToString(out.NextToken) == "" {
			return sent, nil
		}
		in.NextToken = out.NextToken
	}
}

func (r *inspectorRun) patternText() string {
	if r.t.DiscardRegex == "" {
		return "None"
	}
	return r.t.DiscardRegex
}

func findingArn(f *pyjson.Object) string {
	if v, ok := f.Get("findingArn"); ok {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return "(no findingArn)"
}

// captureBody keeps a copy of the raw body of a successful response. The
// findings are taken from it rather than from the SDK's structs so that
// they keep the service's key order and number text, and fields newer
// than this SDK.
func captureBody(dst *[]byte) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		// After: innermost in the step, so it sees the body before the
		// SDK's deserializer reads it.
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("wazuhCaptureBody",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if err != nil {
					return out, md, err
				}
				resp, ok := out.RawResponse.(*smithyhttp.Response)
				if !ok || resp.StatusCode < 200 || resp.StatusCode > 299 || resp.Body == nil {
					return out, md, nil
				}
				b, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				if rerr != nil {
					return out, md, rerr
				}
				*dst = b
				resp.Body = io.NopCloser(bytes.NewReader(b))
				return out, md, nil
			}), middleware.After)
	}
}

// rawFindings returns the "findings" of a ListFindings response body.
func rawFindings(body []byte) ([]*pyjson.Object, error) {
	v, err := pyjson.Unmarshal(body)
	if err != nil {
		return nil, fmt.Errorf("ListFindings: unreadable response: %w", err)
	}
	o, ok := v.(*pyjson.Object)
	if !ok {
		return nil, errors.New("ListFindings: response is not an object")
	}
	fv, _ := o.Get("findings")
	list, _ := fv.([]pyjson.Value)
	out := make([]*pyjson.Object, 0, len(list))
	for _, e := range list {
		if f, ok := e.(*pyjson.Object); ok {
			out = append(out, f)
		}
	}
	return out, nil
}

var findingType = reflect.TypeOf(types.Finding{})

// findingMessage is format_message: the finding as botocore returns it
// (timestamps as datetimes, rendered by json.dumps(default=str)), with
// "service" renamed "source" or, for Inspector v2, source "inspector2",
// createdAt/updatedAt as %Y-%m-%dT%H:%M:%SZ, inside {"integration":
// "aws", "aws": ...}.
func findingMessage(f *pyjson.Object, loc *time.Location) *pyjson.Object {
	f = f.Clone()
	convertTimes(f, findingType, loc, true)
	if v, ok := f.Get("service"); ok {
		if s, ok := v.(string); ok {
			v = strings.ToLower(s)
		}
		f.Set("source", v)
		f.Delete("service")
	} else if f.Has("findingArn") {
		f.Set("source", "inspector2")
	}
	msg := pyjson.NewObject(2)
	msg.Set("integration", "aws")
	msg.Set("aws", f)
	return msg
}

var timeType = reflect.TypeOf(time.Time{})

// convertTimes replaces, in v, every member the SDK models as a timestamp
// (found by walking typ alongside the JSON) with the text Python gives
// that datetime. top selects the object whose createdAt/updatedAt get
// format_message's strftime instead of str().
func convertTimes(v pyjson.Value, typ reflect.Type, loc *time.Location, top bool) pyjson.Value {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ == timeType {
		t, ok := toTime(v, loc)
		if !ok {
			return v
		}
		return pyDatetimeTZ(t)
	}
	switch typ.Kind() {
	case reflect.Struct:
		o, ok := v.(*pyjson.Object)
		if !ok {
			return v
		}
		for _, k := range o.Keys() {
			sf, ok := typ.FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, k) })
			if !ok || !sf.IsExported() {
				continue
			}
			val, _ := o.Get(k)
			ft := sf.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if top && ft == timeType && (k == "createdAt" || k == "updatedAt") {
				if t, ok := toTime(val, loc); ok {
					o.Set(k, t.Format("2006-01-02T15:04:05Z"))
				}
				continue
			}
			o.Set(k, convertTimes(val, sf.Type, loc, false))
		}
	case reflect.Slice:
		if list, ok := v.([]pyjson.Value); ok {
			for i, e := range list {
				list[i] = convertTimes(e, typ.Elem(), loc, false)
			}
		}
	case reflect.Map:
		if o, ok := v.(*pyjson.Object); ok {
			for _, k := range o.Keys() {
				val, _ := o.Get(k)
				o.Set(k, convertTimes(val, typ.Elem(), loc, false))
			}
		}
	}
	return v
}

// toTime reads a timestamp as botocore does: epoch seconds (the JSON
// protocols' default) or an ISO 8601 text, in zone loc (tzlocal).
func toTime(v pyjson.Value, loc *time.Location) (time.Time, bool) {
	switch x := v.(type) {
	case pyjson.Number:
		f := x.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return time.Time{}, false
		}
		// datetime.fromtimestamp: whole seconds, then the fraction
		// rounded half-even to microseconds.
		sec, frac := math.Modf(f)
		us := int64(math.RoundToEven(frac * 1e6))
		s := int64(sec)
		if us >= 1e6 {
			s, us = s+1, us-1e6
		} else if us < 0 {
			s, us = s-1, us+1e6
		}
		return time.Unix(s, us*1000).In(loc), true
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.In(loc), true
		}
	}
	return time.Time{}, false
}

// pyDatetimeTZ is str() of an aware datetime:
// "YYYY-MM-DD HH:MM:SS[.ffffff]+HH:MM".
func pyDatetimeTZ(t time.Time) string {
	return pyDatetime(t) + t.Format("-07:00")
}

// pyDatetime is str() of a naive datetime.
func pyDatetime(t time.Time) string {
	s := t.Format("2006-01-02 15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s
}
