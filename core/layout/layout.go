// Package layout knows where each bucket type keeps its objects: the key
// prefixes per account and region, which listed keys belong to a type, the
// date a key carries and the marker a listing starts after
// (reference-wodle.md §2.3-§3.6). What differs between types is read from
// their entry in package kind.
package layout

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wazuh/aws-s3-go/core/kind"
)

// Layout is one configured bucket of a kind.
type Layout struct {
	Kind   *kind.Kind
	Bucket string
	Prefix string // normalised <path>
	Suffix string // normalised <path_suffix>
	Org    string // aws_organization_id
}

// Base is the prefix whose sub-folders are account ids.
func (l Layout) Base() string {
	switch l.Kind.Family {
	case kind.AWSLogs:
		b := l.Prefix + "AWSLogs/" + l.Suffix
		if l.Org != "" {
			b += l.Org + "/"
		}
		return b
	case kind.LoadBalancer:
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
	if l.Kind.Family == kind.Custom {
		return l.Prefix
	}
	return l.ServicePrefix(account) + region + "/"
}

// BucketPath is the bucket_path column value.
func (l Layout) BucketPath() string {
	if l.Kind.AWSLogsBucket {
		return l.Bucket + "/" + l.Prefix + l.Suffix
	}
	return l.Bucket + "/" + l.Prefix
}

// LikePrefix is the prefix of the "last processed key" lookup for the
// listing of full. The reference restricts it to the listing prefix only
// for late-arrival tables; day-folder types (GuardDuty) get the same
// treatment here because its account-wide lookup made every region but
// the last one stop being read (a documented fix). Schema C tables have
// no region column, so the prefix is what keeps regions apart.
func (l Layout) LikePrefix(full string) string {
	if l.Kind.LateArrival || l.Kind.DayFolder != nil {
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
	if l.Kind.AWSLogsBucket {
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
	if l.Kind.UnpaddedDates {
		m = stripConfigZeros(m)
	}
	return m
}

var (
	configDate = regexp.MustCompile(`\d{4}/\d{1,2}/\d{1,2}`)
	configZero = regexp.MustCompile(`/0(\d)`)
	markerDate = regexp.MustCompile(`\d{4}/\d{2}/\d{2}`)
	dashDate   = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	configYear = regexp.MustCompile(`^(.*?/\d{4}/)`)
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
	if l.Kind.UnpaddedDates {
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
	if re := l.Kind.DayFolder; re != nil {
		if m := re.FindStringSubmatch(after); m != nil {
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
	if l.Kind.DateFormat == kind.DashDate {
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
