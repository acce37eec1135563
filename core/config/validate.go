package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wazuh/aws-s3-go/core/kind"
)

// AllRegions is the script's ALL_REGIONS (aws_tools.py): the regions a
// bucket or a cloudwatchlogs service may name.
var AllRegions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
	"ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
	"ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ca-central-1",
	"ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
	"eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1",
	"me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1",
	"us-east-2", "us-west-1", "us-west-2",
}

// InspectorRegions is the script's INSPECTOR_V2_REGIONS
// (services/inspector.py), sorted.
var InspectorRegions = []string{
	"af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ca-central-1", "ca-west-1",
	"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
	"mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// KnownRegion reports whether r is in AllRegions (the script's membership
// check, exit 22 when it fails).
func KnownRegion(r string) bool { return slices.Contains(AllRegions, r) }

// Valid service and subscriber types, in the order the reference lists
// them. Bucket types are the entries of package kind (validBucketType).
var (
	ServiceTypes    = []string{"inspector", "cloudwatchlogs"}
	SubscriberTypes = []string{"security_lake", "buckets", "security_hub"}
)

// validBucketType reports whether t names a bucket type, as spelt (the
// caller lower-cases where the script did).
func validBucketType(t string) bool {
	_, ok := kind.Lookup(t)
	return ok
}

// The validators below are the script's argparse type functions
// (aws_tools.py); each error's text is the script's message.

var months = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// ValidDate parses s as strptime(s, "%Y-%b-%d") does (four-digit year,
// English month abbreviation in any case, day of one or two digits or a
// space and a digit) and returns it as YYYYMMDD.
func ValidDate(s string) (string, error) {
	bad := fmt.Errorf("Argument not a valid date in format YYYY-MMM-DD: '%s'.", s)
	if len(s) < 10 || s[4] != '-' || s[8] != '-' {
		return "", bad
	}
	year, err := strconv.Atoi(s[:4])
	if err != nil || strings.ContainsAny(s[:4], "+-") {
		return "", bad
	}
	month := slices.Index(months, strings.ToLower(s[5:8])) + 1
	if month == 0 {
		return "", bad
	}
	day := 0
	switch d := s[9:]; {
	case len(d) == 2 && d[0] == '3' && (d[1] == '0' || d[1] == '1'),
		len(d) == 2 && (d[0] == '1' || d[0] == '2') && isDigit(d[1]),
		len(d) == 2 && d[0] == '0' && d[1] >= '1' && d[1] <= '9':
		day = int(d[0]-'0')*10 + int(d[1]-'0')
	case len(d) == 1 && d[0] >= '1' && d[0] <= '9':
		day = int(d[0] - '0')
	case len(d) == 2 && d[0] == ' ' && d[1] >= '1' && d[1] <= '9':
		day = int(d[1] - '0')
	default:
		return "", bad
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if year < 1 || t.Day() != day {
		return "", bad
	}
	// strftime('%Y') does not pad years below 1000.
	return fmt.Sprintf("%d%02d%02d", year, month, day), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// FormatDate renders a YYYYMMDD date back in the configuration's
// YYYY-MMM-DD form ("20230131" → "2023-JAN-31").
func FormatDate(yyyymmdd string) string {
	if len(yyyymmdd) < 5 {
		return yyyymmdd
	}
	n := len(yyyymmdd)
	m, err := strconv.Atoi(yyyymmdd[n-4 : n-2])
	if err != nil || m < 1 || m > 12 {
		return yyyymmdd
	}
	y := yyyymmdd[:n-4]
	for len(y) < 4 {
		y = "0" + y
	}
	return y + "-" + strings.ToUpper(months[m-1]) + "-" + yyyymmdd[n-2:]
}

const keyAvoid = "\\{}^%`[]'\"<>~#|"

var keyXML = []string{"&apos;", "&quot;", "&amp;", "&lt;", "&gt;", "&#13;", "&#10;"}

// ValidKey is arg_valid_key: it rejects S3-unsafe characters and, when
// appendSlash is set, returns a non-empty s with a trailing "/".
func ValidKey(s string, appendSlash bool) (string, error) {
	bad := strings.ContainsAny(s, keyAvoid)
	for _, x := range keyXML {
		bad = bad || strings.Contains(s, x)
	}
	if bad {
		return "", fmt.Errorf("'%s' has an invalid character. Avoid to use '%s' or '%s'.", s, keyAvoid, strings.Join(keyXML, ""))
	}
	if appendSlash && s != "" && !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s, nil
}

// ValidAccountIDs is arg_valid_accountid: a comma list whose elements are
// 12 characters long and digits once stripped; returned unstripped.
func ValidAccountIDs(s string) ([]string, error) {
	ids := strings.Split(s, ",")
	for _, id := range ids {
		t := strings.TrimSpace(id)
		if len(id) != 12 || t == "" || strings.Trim(t, "0123456789") != "" {
			return nil, fmt.Errorf("Not valid AWS account ID (numeric digits only): '%s'.", s)
		}
	}
	return ids, nil
}

// Python's re.match with '$' accepts one trailing newline; the patterns
// below spell that out.
var regionRE = regexp.MustCompile(`^([a-z]{2}(-gov)?)-([a-z]+)-[0-9]\n?$`)

// ValidRegions is arg_valid_regions: a comma list of region-shaped names,
// returned unique and sorted; "" gives nil.
func ValidRegions(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	for _, r := range strings.Split(s, ",") {
		if !regionRE.MatchString(r) {
			return nil, fmt.Errorf("WARNING: The region '%s' has not a valid format.'", r)
		}
		out = append(out, strings.TrimSpace(r))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// ValidDuration is arg_valid_iam_role_duration.
func ValidDuration(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, errors.New("Invalid session duration specified. Value must be a valid number.")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 900 || n > 3600 {
		return 0, errors.New("Invalid session duration specified. Value must be between 900 and 3600.")
	}
	return n, nil
}

var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\n?$`)

// ValidBucketName is arg_valid_bucket_name.
func ValidBucketName(s string) error {
	core := strings.TrimSuffix(s, "\n")
	if !bucketRE.MatchString(s) || strings.HasPrefix(s, "xn--") ||
		len(core) > len("-s3alias") && strings.HasSuffix(core, "-s3alias") ||
		len(core) > len("--ol-s3") && strings.HasSuffix(core, "--ol-s3") {
		return fmt.Errorf("'%s' isn't a valid bucket name.", s)
	}
	return nil
}

var arnRE = regexp.MustCompile(`^arn:[^:\n]*:[^:\n]*:[^:\n]*:[^:\n]*:[^\n]*\n?$`)

// ValidRoleARN is args_valid_iam_role_arn.
func ValidRoleARN(s string) error {
	if !arnRE.MatchString(s) {
		return errors.New("Invalid ARN Role specified. Value must be a valid ARN Role.")
	}
	return nil
}

var sqsRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,80}\n?$`)

// ValidSQSName is args_valid_sqs_name.
func ValidSQSName(s string) error {
	if !sqsRE.MatchString(s) {
		return errors.New("Invalid SQS Name specified. Value must be up to 80 characters and the valid values are alphanumeric characters, hyphens (-), and underscores (_)")
	}
	return nil
}

// Bounds of the connect and read timeouts, in seconds.
const (
	MinTimeout = 1
	MaxTimeout = 3600
)

// ValidTimeout parses a timeout in seconds (a decimal number, fractions
// allowed) from MinTimeout to MaxTimeout.
func ValidTimeout(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("Invalid timeout: '%s'. Value must be a number of seconds.", s)
	}
	return timeoutSeconds(f, s)
}

func timeoutSeconds(f float64, text string) (time.Duration, error) {
	if !(f >= MinTimeout && f <= MaxTimeout) {
		return 0, fmt.Errorf("Invalid timeout: '%s'. Value must be between %d and %d seconds.", text, MinTimeout, MaxTimeout)
	}
	return time.Duration(f * float64(time.Second)), nil
}
