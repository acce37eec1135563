package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// FromJSON parses the target that cshim passes to aws_s3_run: one bucket,
// service or subscriber, with the keys wm_aws_dump uses, plus the bucket's
// aws_organization_id and two run options:
//
//	{
//	  "bucket": {                      exactly one of "bucket",
//	    "name": "my-trail",            "service", "subscriber"
//	    "type": "cloudtrail",
//	    "aws_profile": "default",
//	    "iam_role_arn": "arn:aws:iam::123456789012:role/r",
//	    "iam_role_duration": "3600",
//	    "aws_organization_id": "o-abc",
//	    "aws_account_id": "123456789012,210987654321",
//	    "aws_account_alias": "prod",
//	    "path": "prefix", "path_suffix": "suffix",
//	    "only_logs_after": "2024-JAN-31",
//	    "regions": "us-east-1,eu-west-1",
//	    "remove_from_bucket": "no",    "yes" or "no"
//	    "discard_field": "eventSource", "discard_regex": "^kms",
//	    "sts_endpoint": "...", "service_endpoint": "...",
//	    "access_key": "...", "secret_key": "..."   (deprecated)
//	  },
//	  "skip_on_error": "no",           optional, "yes" or "no"
//	  "debug": 2,                      optional integer 0..3
//	  "connect_timeout": 60,           optional seconds, 1..3600
//	  "read_timeout": 60               optional seconds, 1..3600
//	}
//
// Service keys: type (inspector, cloudwatchlogs), access_key, secret_key,
// aws_profile, iam_role_arn, iam_role_duration, aws_account_id,
// aws_account_alias, only_logs_after, regions, aws_log_groups,
// remove_log_streams ("yes"/"no"), discard_field, discard_regex,
// sts_endpoint, service_endpoint.
//
// Subscriber keys: type (security_lake, buckets, security_hub), sqs_name,
// external_id, iam_role_arn, iam_role_duration, aws_profile, sts_endpoint,
// service_endpoint, discard_field, discard_regex.
//
// Every value is a string exactly as written in ossec.conf (an empty
// string is the same as an absent key) and goes through the same
// validation and normalisation as the XML. A bucket without "type" is a
// cloudtrail bucket, as the script's --type default. Unknown keys are
// errors.
func FromJSON(data []byte) (Target, error) {
	var top map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&top); err != nil {
		return Target{}, fmt.Errorf("config: target JSON: %v", err)
	}
	if d.More() {
		return Target{}, fmt.Errorf("config: target JSON: data after the object")
	}
	var (
		kind    Kind
		body    json.RawMessage
		skip    bool
		debug   int
		connect time.Duration
		read    time.Duration
		nkinds  int
		unknown []string
	)
	// Sorted, so that of several bad keys the same one is reported.
	for _, k := range slices.Sorted(maps.Keys(top)) {
		v := top[k]
		switch k {
		case "bucket", "service", "subscriber":
			kind, body = Kind(k), v
			nkinds++
		case "skip_on_error":
			var s string
			if err := json.Unmarshal(v, &s); err != nil || s != "yes" && s != "no" {
				return Target{}, &Error{Elem: k, Msg: "Invalid content for tag 'skip_on_error' at module 'aws-s3'."}
			}
			skip = s == "yes"
		case "debug":
			if err := json.Unmarshal(v, &debug); err != nil || debug < 0 || debug > 3 {
				return Target{}, fmt.Errorf("config: target JSON: \"debug\" must be an integer from 0 to 3, not %s", v)
			}
		case "connect_timeout", "read_timeout":
			var f *float64
			if err := json.Unmarshal(v, &f); err != nil || f == nil {
				return Target{}, fmt.Errorf("config: target JSON: %q must be a number of seconds, not %s", k, v)
			}
			d, err := timeoutSeconds(*f, string(v))
			if err != nil {
				return Target{}, fmt.Errorf("config: target JSON: %q: %v", k, err)
			}
			if k == "connect_timeout" {
				connect = d
			} else {
				read = d
			}
		default:
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Target{}, fmt.Errorf("config: target JSON: unknown key %q", unknown[0])
	}
	if nkinds != 1 {
		return Target{}, fmt.Errorf(`config: target JSON: want exactly one of "bucket", "service" or "subscriber"`)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return Target{}, fmt.Errorf("config: target JSON: %q must be an object", kind)
	}
	r := raw{kind: kind}
	dst := jsonKeys(&r)
	var bad []string
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		v := fields[k]
		p, ok := dst[k]
		if !ok {
			bad = append(bad, k)
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return Target{}, fmt.Errorf("config: target JSON: %s.%s must be a string", kind, k)
		}
		if err := p(s); err != nil {
			return Target{}, err
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return Target{}, fmt.Errorf("config: target JSON: unknown key %q in %q", bad[0], kind)
	}
	if r.discardRegex != "" && r.discardField == "" && kind == KindBucket {
		return Target{}, &Error{Elem: "discard_regex", Msg: missingField}
	}
	if kind == KindSubscriber && r.typ == "security_lake" && r.discardRegex != "" {
		return Target{}, &Error{Elem: "discard_regex", Msg: "The 'discard_regex' parameter is not available for Security Lake."}
	}
	t, err := r.target()
	if err != nil {
		return Target{}, err
	}
	t.SkipOnError, t.Debug = skip, debug
	t.ConnectTimeout, t.ReadTimeout = connect, read
	return t, nil
}

// jsonKeys maps the JSON keys accepted for r.kind to setters.
func jsonKeys(r *raw) map[string]func(string) error {
	str := func(p *string) func(string) error { return func(s string) error { *p = s; return nil } }
	yesNo := func(key string, p *bool) func(string) error {
		return func(s string) error {
			switch s {
			case "yes":
				*p = true
			case "no", "":
				*p = false
			default:
				return &Error{Elem: key, Msg: fmt.Sprintf("Invalid content for tag '%s' at module 'aws-s3'.", key)}
			}
			return nil
		}
	}
	m := map[string]func(string) error{
		"type":              str(&r.typ),
		"aws_profile":       str(&r.profile),
		"iam_role_arn":      str(&r.roleARN),
		"iam_role_duration": str(&r.roleDur),
		"discard_field":     str(&r.discardField),
		"discard_regex":     str(&r.discardRegex),
		"sts_endpoint":      str(&r.stsEndpoint),
		"service_endpoint":  str(&r.serviceEndpoint),
	}
	if r.kind != KindSubscriber {
		for k, p := range map[string]*string{
			"access_key": &r.accessKey, "secret_key": &r.secretKey,
			"aws_account_id": &r.accountID, "aws_account_alias": &r.alias,
			"only_logs_after": &r.onlyAfter, "regions": &r.regions,
		} {
			m[k] = str(p)
		}
	}
	switch r.kind {
	case KindBucket:
		m["name"] = str(&r.name)
		m["aws_organization_id"] = str(&r.orgID)
		m["path"] = str(&r.path)
		m["path_suffix"] = str(&r.suffix)
		m["remove_from_bucket"] = yesNo("remove_from_bucket", &r.remove)
	case KindService:
		m["aws_log_groups"] = str(&r.logGroups)
		m["remove_log_streams"] = yesNo("remove_log_streams", &r.removeLogStreams)
	case KindSubscriber:
		m["sqs_name"] = str(&r.queue)
		m["external_id"] = str(&r.externalID)
	}
	return m
}

// kv is an ordered JSON object.
type kv []struct {
	k string
	v any
}

func (o *kv) add(k string, v any) {
	*o = append(*o, struct {
		k string
		v any
	}{k, v})
}

// addStr adds a non-empty string value, as wm_aws_dump skips unset ones.
func (o *kv) addStr(k, v string) {
	if v != "" {
		o.add(k, v)
	}
}

func (o kv) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func yn(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// targetObject renders t with the keys FromJSON reads, normalised, with
// secrets masked.
func targetObject(t Target) kv {
	var o kv
	switch t.Kind {
	case KindBucket:
		o.addStr("name", t.Bucket)
	case KindService, KindSubscriber:
		o.addStr("type", t.Type)
	}
	if t.Kind == KindSubscriber {
		o.addStr("sqs_name", t.Queue)
		o.addStr("external_id", t.ExternalID)
	} else {
		o.addStr("access_key", t.AccessKey.String())
		o.addStr("secret_key", t.SecretKey.String())
	}
	o.addStr("aws_profile", t.Profile)
	o.addStr("iam_role_arn", t.IAMRoleARN)
	if t.IAMRoleDuration != 0 {
		o.add("iam_role_duration", fmt.Sprint(t.IAMRoleDuration))
	}
	if t.Kind == KindBucket {
		o.addStr("aws_organization_id", t.OrganizationID)
	}
	if t.Kind != KindSubscriber {
		o.addStr("aws_account_id", strings.Join(t.AccountIDs, ","))
		o.addStr("aws_account_alias", t.AccountAlias)
	}
	if t.Kind == KindBucket {
		o.addStr("path", t.Prefix)
		o.addStr("path_suffix", t.Suffix)
	}
	if t.Kind != KindSubscriber {
		if t.OnlyLogsAfter != "" {
			o.add("only_logs_after", FormatDate(t.OnlyLogsAfter))
		}
		o.addStr("regions", strings.Join(t.Regions, ","))
	}
	switch t.Kind {
	case KindBucket:
		o.addStr("type", t.Type)
		o.add("remove_from_bucket", yn(t.Remove))
	case KindService:
		o.addStr("aws_log_groups", strings.Join(t.LogGroups, ","))
		o.add("remove_log_streams", yn(t.RemoveLogStreams))
	}
	o.addStr("discard_field", t.DiscardField)
	o.addStr("discard_regex", t.DiscardRegex)
	o.addStr("sts_endpoint", t.STSEndpoint)
	o.addStr("service_endpoint", t.ServiceEndpoint)
	return o
}

// TargetJSON renders t as the object FromJSON reads (secrets masked), with
// its skip_on_error and debug options.
func TargetJSON(t Target) ([]byte, error) {
	var o kv
	o.add(string(t.Kind), targetObject(t))
	o.add("skip_on_error", yn(t.SkipOnError))
	o.add("debug", t.Debug)
	if t.ConnectTimeout != 0 {
		o.add("connect_timeout", t.ConnectTimeout.Seconds())
	}
	if t.ReadTimeout != 0 {
		o.add("read_timeout", t.ReadTimeout.Seconds())
	}
	return json.Marshal(o)
}
