// Package layout knows where each bucket type keeps its objects: the key
// prefixes per account and region, which listed keys belong to a type, the
// date a key carries, the marker a listing starts after, and the table and
// schema its state lives in (reference-wodle.md §2.3-§3.6).
package layout

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Family groups types that share a key layout.
type Family int

const (
	// AWSLogs: P AWSLogs/ S [O/] <account>/<Service>/<region>/YYYY/MM/DD/...
	AWSLogs Family = iota
	// LoadBalancer: P AWSLogs/ S <account>/elasticloadbalancing/<region>/YYYY/MM/DD/...
	LoadBalancer
	// Custom: P YYYY/MM/DD/... (no accounts, no regions)
	Custom
)

// Schema is the shape of a type's state table.
type Schema int

const (
	SchemaRegion Schema = iota // cloudtrail, config
	SchemaVPC                  // vpcflow
	SchemaCustom               // every custom-family table, no region column
)

// Kind describes one bucket type.
type Kind struct {
	Type    string // --type value
	Table   string
	Schema  Schema
	Family  Family
	Service string // folder after the account (AWSLogs and LB families)

	// DateFormat is the Go layout of dates in keys and markers.
	DateFormat string
	// DateRe, when set, must first match exactly at the end of the full
	// prefix for a key to belong to the type (the reference's check_prefix).
	DateRe *regexp.Regexp
	// LateArrival types rewind their start marker one day, as the
	// reference does (to the day before the first date in the last key).
	LateArrival bool
	// Window types get the same one-day rewind here although the
	// reference started right after the last key: an object delivered
	// with a key that sorts before it (late VPC batches, a second
	// Firehose stream, an hour folder filled late) was never read. The
	// date is looked for after the listing prefix only.
	Window bool
	// MarkerDelimiter replaces "/" after the prefix in markers (server access).
	MarkerDelimiter string
}

// awsLogsBucket reports the reference's AWSLogsBucket types (cloudtrail,
// config, vpcflow): GuardDuty shares their layout but is a custom bucket
// for its table, its bucket_path and its created_date.
func (k *Kind) awsLogsBucket() bool { return k.Family == AWSLogs && k.Type != "guardduty" }

// Iterates reports whether the type iterates accounts and regions.
func (k *Kind) Iterates() bool { return k.Family != Custom }

var (
	slashDate = regexp.MustCompile(`(\d{4}/\d{2}/\d{2})`)
	dashStamp = regexp.MustCompile(`(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})`)
)

const (
	slashFormat = "2006/01/02"
	dashFormat  = "2006-01-02"
)

var kinds = map[string]*Kind{
	"cloudtrail":     {Type: "cloudtrail", Table: "cloudtrail", Schema: SchemaRegion, Family: AWSLogs, Service: "CloudTrail", DateFormat: slashFormat, LateArrival: true},
	"config":         {Type: "config", Table: "config", Schema: SchemaRegion, Family: AWSLogs, Service: "Config", DateFormat: slashFormat},
	"vpcflow":        {Type: "vpcflow", Table: "vpcflow", Schema: SchemaVPC, Family: AWSLogs, Service: "vpcflowlogs", DateFormat: slashFormat, Window: true},
	"guardduty":      {Type: "guardduty", Table: "guardduty", Schema: SchemaCustom, Family: AWSLogs, Service: "GuardDuty", DateFormat: slashFormat, DateRe: slashDate, Window: true},
	"alb":            {Type: "alb", Table: "alb", Schema: SchemaCustom, Family: LoadBalancer, Service: "elasticloadbalancing", DateFormat: slashFormat, DateRe: slashDate, LateArrival: true},
	"clb":            {Type: "clb", Table: "clb", Schema: SchemaCustom, Family: LoadBalancer, Service: "elasticloadbalancing", DateFormat: slashFormat, DateRe: slashDate, LateArrival: true},
	"nlb":            {Type: "nlb", Table: "nlb", Schema: SchemaCustom, Family: LoadBalancer, Service: "elasticloadbalancing", DateFormat: slashFormat, DateRe: slashDate, LateArrival: true},
	"custom":         {Type: "custom", Table: "custom", Schema: SchemaCustom, Family: Custom, DateFormat: slashFormat, DateRe: slashDate, Window: true},
	"waf":            {Type: "waf", Table: "waf", Schema: SchemaCustom, Family: Custom, DateFormat: slashFormat, DateRe: slashDate, Window: true},
	"server_access":  {Type: "server_access", Table: "s3_server_access", Schema: SchemaCustom, Family: Custom, DateFormat: dashFormat, DateRe: dashStamp, MarkerDelimiter: "-", Window: true},
	"cisco_umbrella": {Type: "cisco_umbrella", Table: "cisco_umbrella", Schema: SchemaCustom, Family: Custom, DateFormat: dashFormat, Window: true},
}

// Lookup returns the kind of a bucket type (lower-case).
func Lookup(typ string) (*Kind, bool) {
	k, ok := kinds[typ]
	return k, ok
}

// Layout is one configured bucket of a kind.
type Layout struct {
	Kind   *Kind
	Bucket string
	Prefix string // normalised <path>
	Suffix string // normalised <path_suffix>
	Org    string // aws_organization_id
}

// Base is the prefix whose sub-folders are account ids.
func (l Layout) Base() string {
	switch l.Kind.Family {
	case AWSLogs:
		b := l.Prefix + "AWSLogs/" + l.Suffix
		if l.Org != "" {
			b += l.Org + "/"
		}
		return b
	case LoadBalancer:
		return l.Prefix + "AWSLogs/" + l.Suffix
	default:
		return l.Prefix
	}
}

// ServicePrefix is the prefix whose sub-folders are regions.
func (l Layout) ServicePrefix(account string) string {
	return l.Base() + account + "/" + l.Kind.Service + "/"
}

// Full is the listing prefix of one account and region (custom family: P).
func (l Layout) Full(account, region string) string {
	if l.Kind.Family == Custom {
		return l.Prefix
	}
	return l.ServicePrefix(account) + region + "/"
}

// BucketPath is the bucket_path column value.
func (l Layout) BucketPath() string {
	if l.Kind.awsLogsBucket() {
		return l.Bucket + "/" + l.Prefix + l.Suffix
	}
	return l.Bucket + "/" + l.Prefix
}

// LikePrefix is the prefix of the "last processed key" lookup for the
// listing of full. The reference restricts it to the listing prefix only
// for late-arrival tables; GuardDuty gets the same treatment here because
// its account-wide lookup made every region but the last one stop being
// read (a documented fix). Schema C tables have no region column, so the
// prefix is what keeps regions apart.
func (l Layout) LikePrefix(full string) string {
	if l.Kind.LateArrival || l.Kind.Type == "guardduty" {
		return full
	}
	return l.Prefix
}

// BelongsTo reports whether key is one of the type's objects under full.
func (l Layout) BelongsTo(key, full string) bool {
	if l.Kind.DateRe == nil {
		return true
	}
	loc := l.Kind.DateRe.FindStringIndex(key)
	return loc != nil && loc[0] == len(full)
}

var (
	customDate = regexp.MustCompile(`.*(\d\d\d\d[/\-]\d\d[/\-]\d\d).*`)
)

// CreatedDate is the created_date column value of key.
func (l Layout) CreatedDate(key string, lastModified time.Time) (int64, error) {
	if l.Kind.awsLogsBucket() {
		parts := strings.Split(path.Base(key), "_")
		if len(parts) < 2 {
			return 0, fmt.Errorf("list index out of range")
		}
		day, _, _ := strings.Cut(parts[len(parts)-2], "T")
		n, err := strconv.ParseInt(day, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid literal for int() with base 10: '%s'", day)
		}
		return n, nil
	}
	if m := customDate.FindStringSubmatch(key); m != nil {
		d := strings.NewReplacer("/", "", "-", "").Replace(m[1])
		n, _ := strconv.ParseInt(d, 10, 64)
		return n, nil
	}
	n, _ := strconv.ParseInt(lastModified.UTC().Format("20060102"), 10, 64)
	return n, nil
}

// DateMarker is full followed by day in the type's marker format.
func (l Layout) DateMarker(full string, day time.Time) string {
	m := full + day.Format(l.Kind.DateFormat)
	if l.Kind.Type == "config" {
		m = stripConfigZeros(m)
	}
	return m
}

var (
	configDate   = regexp.MustCompile(`\d{4}/\d{1,2}/\d{1,2}`)
	configZero   = regexp.MustCompile(`/0(\d)`)
	markerDate   = regexp.MustCompile(`\d{4}/\d{2}/\d{2}`)
	dashDate     = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	configYear   = regexp.MustCompile(`^(.*?/\d{4}/)`)
	guarddutyDay = regexp.MustCompile(`^(.*?/GuardDuty/[^/]+/\d{4}/\d{2}/\d{2}/)`)
)

// stripConfigZeros removes the leading zeros of month and day in the first
// date of m: Config folders are not zero-padded.
func stripConfigZeros(m string) string {
	loc := configDate.FindStringIndex(m)
	if loc == nil {
		return m
	}
	return m[:loc[0]] + configZero.ReplaceAllString(m[loc[0]:loc[1]], "/$1") + m[loc[1]:]
}

// Start is where a listing begins.
type Start struct {
	After string // ListObjectsV2 StartAfter
	Shown string // what the "+++ Marker:" line prints
}

// StartAfter computes the first-page StartAfter of the listing of full
// (reference-wodle.md §2.8). lastKey is the greatest recorded key for the
// listing ("" if none); onlyAfter is the configured lower date bound (zero
// if none); today is the run's start date (UTC midnight).
func (l Layout) StartAfter(full, lastKey string, onlyAfter, today time.Time, reparse bool) (Start, error) {
	var marker string
	switch {
	case reparse || lastKey == "":
		d := today
		if !onlyAfter.IsZero() {
			d = onlyAfter
		}
		marker = l.DateMarker(full, d)
	default:
		marker = lastKey
		switch {
		case l.Kind.LateArrival:
			marker = l.rewind(full, marker, marker)
		case l.Kind.Window && strings.HasPrefix(marker, full):
			marker = l.rewind(full, marker, marker[len(full):])
		}
	}
	if l.Kind.Type == "config" {
		m := configYear.FindStringSubmatch(marker)
		if m == nil {
			return Start{}, fmt.Errorf("There was an error while trying to extract a date from the marker '%s'", marker)
		}
		return Start{After: m[1], Shown: marker}, nil
	}
	after := marker
	if !onlyAfter.IsZero() {
		if floor := l.DateMarker(full, onlyAfter); floor > after {
			after = floor
		}
	}
	if d := l.Kind.MarkerDelimiter; d != "" && len(after) > len(full) {
		after = after[:len(full)] + strings.ReplaceAll(after[len(full):], "/", d)
	}
	if l.Kind.Type == "guardduty" {
		if m := guarddutyDay.FindStringSubmatch(after); m != nil {
			return Start{After: m[1], Shown: after}, nil
		}
	}
	return Start{After: after, Shown: after}, nil
}

// rewind turns the last processed key into the start of the day before
// the first date found in where, so that objects delivered late into that
// day or the last key's are still seen; without a date it is unchanged.
func (l Layout) rewind(full, marker, where string) string {
	re := markerDate
	if l.Kind.DateFormat == dashFormat {
		re = dashDate
	}
	d := re.FindString(where)
	if d == "" {
		return marker
	}
	day, err := time.Parse(l.Kind.DateFormat, d)
	if err != nil {
		return marker
	}
	return l.DateMarker(full, day.AddDate(0, 0, -1))
}

// KeyDate returns the date in a Config key (/YYYY/M/D/), for sorting and
// the only_logs_after filter.
func KeyDate(key string) (time.Time, bool) {
	m := configKeyDate.FindStringSubmatch(key)
	if m == nil {
		return time.Time{}, false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Month() != time.Month(mo) || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

var configKeyDate = regexp.MustCompile(`/(\d{4})/(\d{1,2})/(\d{1,2})/`)
