package config

import "time"

// Kind says which of the script's three modes a target runs.
type Kind string

const (
	KindBucket     Kind = "bucket"
	KindService    Kind = "service"
	KindSubscriber Kind = "subscriber"
)

// Secret is a credential. It formats and marshals masked so that it never
// reaches a log line, a dump or an error message by accident; Reveal is the
// only way to read it.
type Secret string

const mask = "****"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String masks the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return mask
}

// GoString masks the value for %#v.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// MarshalText masks the value (encoding/json uses it for strings).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Target is one <bucket>, <service> or <subscriber> (one run of the Python
// script), fully validated and normalised. Every source (ossec.conf XML,
// the script's argv, the JSON passed to aws_s3_run) produces this type.
type Target struct {
	Kind Kind
	// Type is the bucket type (cloudtrail, config, ...), the service type
	// (cloudwatchlogs, inspector) or the subscriber type, lower-cased.
	Type string

	Bucket          string // bucket mode: S3 bucket name
	AccessKey       Secret
	SecretKey       Secret
	Profile         string
	IAMRoleARN      string
	IAMRoleDuration int // seconds, 0 = not set
	OrganizationID  string
	AccountIDs      []string // as given (12 digits each); nil = discover
	AccountAlias    string
	Prefix          string   // <path>, "" or ending in "/"
	Suffix          string   // <path_suffix>, "" or ending in "/"
	OnlyLogsAfter   string   // YYYYMMDD, "" = not set
	Regions         []string // sorted, unique; nil = discover
	DiscardField    string
	DiscardRegex    string // Python re syntax as configured
	STSEndpoint     string
	ServiceEndpoint string
	Remove          bool // remove_from_bucket / --remove
	SkipOnError     bool
	Reparse         bool
	Debug           int // the script's --debug level (0..3)

	// Timeouts of every AWS call; 0 = the default (botocore's 60 s).
	// ConnectTimeout bounds the TCP connect and the TLS handshake,
	// ReadTimeout the wait for the response headers and any read of
	// the body that makes no progress.
	ConnectTimeout time.Duration
	ReadTimeout    time.Duration

	// Service mode.
	LogGroups        []string
	RemoveLogStreams bool

	// Subscriber mode.
	Queue      string
	ExternalID string
}
