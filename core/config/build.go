package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wazuh/aws-s3-go/core/pyre"

	"github.com/wazuh/aws-s3-go/core/kind"
)

// LogTag is the tag of the messages the reference logs with mterror/mtwarn;
// ProcessTag the tag of its untagged merror/mwarn (the process name).
const (
	LogTag     = "wazuh-modulesd:aws-s3"
	ProcessTag = "wazuh-modulesd"
)

// Level is a configuration message's severity.
type Level int

const (
	LevelWarning Level = iota + 1
	LevelError
)

func (l Level) String() string {
	if l == LevelError {
		return "ERROR"
	}
	return "WARNING"
}

// Message is one line the configuration reader logs.
type Message struct {
	Level  Level
	Tagged bool // logged with LogTag rather than ProcessTag
	Text   string
}

// Tag returns the tag the reference logs the message with.
func (m Message) Tag() string {
	if m.Tagged {
		return LogTag
	}
	return ProcessTag
}

// Error is an invalid configuration. Error() is exactly the message the
// reference logs (or, for checks the script made at run time, the script's
// message); Elem names the element, JSON key or option the value came from.
type Error struct {
	Tagged  bool
	Elem    string
	Msg     string
	Problem Problem
}

func (e *Error) Error() string { return e.Msg }

// Problem is what is wrong with a value. The script met some values only
// at run time, past argparse, and ended differently for each of them.
type Problem int

const (
	// BadValue: a value ossec.conf or argparse rejects.
	BadValue Problem = iota
	// BadType: the bucket, service or subscriber type is not one the
	// script knows.
	BadType
	// BadRegion: a region the script does not know, or one the service
	// is not offered in.
	BadRegion
	// MissingSubscriberArg: a subscriber without its queue (or, for
	// Security Lake, its role or external ID).
	MissingSubscriberArg
)

func withProblem(e *Error, p Problem) *Error {
	e.Problem = p
	return e
}

// raw is one <bucket>, <service> or <subscriber> as the C structures keep
// it: strings as configured, "" for absent.
type raw struct {
	kind                                                  Kind
	typ                                                   string
	name, accessKey, secretKey, profile, roleARN, roleDur string
	orgID, accountID, alias, path, suffix, onlyAfter      string
	regions, discardField, discardRegex                   string
	stsEndpoint, serviceEndpoint                          string
	remove                                                bool
	logGroups                                             string
	removeLogStreams                                      bool
	queue, externalID                                     string
}

func terr(elem, format string, args ...any) *Error {
	return &Error{Tagged: true, Elem: elem, Msg: fmt.Sprintf(format, args...)}
}

func wrapErr(elem string, err error) *Error {
	return &Error{Tagged: true, Elem: elem, Msg: err.Error()}
}

func invalidBucketType(t string) *Error {
	return withProblem(terr("bucket", "Invalid bucket type '%s'. Valid ones are 'cloudtrail', 'config', 'guardduty', 'vpcflow', 'waf', 'cisco_umbrella', custom', alb', clb', nlb' or 'server_access'", t), BadType)
}

func invalidServiceType(t string) *Error {
	return withProblem(terr("service", "Invalid service type '%s'. Valid ones are 'inspector' or 'cloudwatchlogs'", t), BadType)
}

func invalidSubscriberType(t string) *Error {
	return withProblem(terr("subscriber", "Invalid subscriber type '%s'. Valid ones are 'security_lake', 'buckets' or 'security_hub'", t), BadType)
}

// target validates and normalises r with the script's checks, in the order
// the script's argparse would meet them on the command line wm_aws.c
// builds, then the checks the script made after parsing.
func (r *raw) target() (Target, error) {
	t := Target{
		Kind:             r.kind,
		Type:             strings.ToLower(r.typ),
		AccessKey:        Secret(r.accessKey),
		SecretKey:        Secret(r.secretKey),
		Profile:          r.profile,
		OrganizationID:   r.orgID,
		AccountAlias:     r.alias,
		DiscardField:     r.discardField,
		DiscardRegex:     r.discardRegex,
		STSEndpoint:      r.stsEndpoint,
		ServiceEndpoint:  r.serviceEndpoint,
		Remove:           r.remove,
		RemoveLogStreams: r.removeLogStreams,
		ExternalID:       r.externalID,
	}
	var err error
	switch r.kind {
	case KindBucket:
		if t.Type == "" {
			t.Type = kind.Default
		}
		if !validBucketType(t.Type) {
			return Target{}, invalidBucketType(r.typ)
		}
		if r.name == "" {
			return Target{}, &Error{Elem: "name", Msg: "Empty content for tag 'name' at module 'aws-s3'."}
		}
		if err := ValidBucketName(r.name); err != nil {
			return Target{}, wrapErr("name", err)
		}
		t.Bucket = r.name
	case KindService:
		if !slices.Contains(ServiceTypes, t.Type) {
			if r.typ == "" {
				return Target{}, terr("service", "Undefined type for service.")
			}
			return Target{}, invalidServiceType(r.typ)
		}
	case KindSubscriber:
		if !slices.Contains(SubscriberTypes, t.Type) {
			if r.typ == "" {
				return Target{}, terr("subscriber", "Undefined type for subscriber.")
			}
			return Target{}, invalidSubscriberType(r.typ)
		}
		if r.queue != "" {
			if err := ValidSQSName(r.queue); err != nil {
				return Target{}, wrapErr("sqs_name", err)
			}
		}
		t.Queue = r.queue
	}
	if r.roleARN != "" {
		if err := ValidRoleARN(r.roleARN); err != nil {
			return Target{}, wrapErr("iam_role_arn", err)
		}
		t.IAMRoleARN = r.roleARN
	}
	if r.roleDur != "" {
		if t.IAMRoleDuration, err = ValidDuration(r.roleDur); err != nil {
			return Target{}, wrapErr("iam_role_duration", err)
		}
	}
	if r.accountID != "" {
		if t.AccountIDs, err = ValidAccountIDs(r.accountID); err != nil {
			return Target{}, wrapErr("aws_account_id", err)
		}
	}
	if t.Prefix, err = ValidKey(r.path, true); err != nil {
		return Target{}, wrapErr("path", err)
	}
	if t.Suffix, err = ValidKey(r.suffix, true); err != nil {
		return Target{}, wrapErr("path_suffix", err)
	}
	if r.onlyAfter != "" {
		if t.OnlyLogsAfter, err = ValidDate(r.onlyAfter); err != nil {
			return Target{}, wrapErr("only_logs_after", err)
		}
	}
	if t.Regions, err = ValidRegions(r.regions); err != nil {
		return Target{}, wrapErr("regions", err)
	}
	if r.logGroups != "" {
		if _, err := ValidKey(r.logGroups, false); err != nil {
			return Target{}, wrapErr("aws_log_groups", err)
		}
		t.LogGroups = strings.Split(r.logGroups, ",")
	}
	if t.IAMRoleDuration != 0 && t.IAMRoleARN == "" {
		return Target{}, terr("iam_role_duration", "Used --iam_role_duration argument but no --iam_role_arn provided.")
	}
	if err := checkRegions(t); err != nil {
		return Target{}, err
	}
	if t.Kind == KindSubscriber {
		if t.Type == "security_lake" {
			if t.IAMRoleARN == "" {
				return Target{}, withProblem(terr("iam_role_arn", "Used a subscriber but no --iam_role_arn provided."), MissingSubscriberArg)
			}
			if t.Queue == "" {
				return Target{}, withProblem(terr("sqs_name", "Used a subscriber but no --queue provided."), MissingSubscriberArg)
			}
			if t.ExternalID == "" {
				return Target{}, withProblem(terr("external_id", "Used a subscriber but no --external_id provided."), MissingSubscriberArg)
			}
		} else if t.Queue == "" {
			return Target{}, withProblem(terr("sqs_name", "Used a subscriber but no --queue provided."), MissingSubscriberArg)
		}
	}
	if err := checkDiscardRegex(t.DiscardRegex); err != nil {
		return Target{}, err
	}
	return t, nil
}

// checkRegions is the membership check the script made after parsing
// (exit 22 at run time).
func checkRegions(t Target) error {
	for _, r := range t.Regions {
		switch {
		case t.Kind == KindService && t.Type == "inspector":
			if !slices.Contains(InspectorRegions, r) {
				return withProblem(terr("regions", "Unsupported region '%s'", r), BadRegion)
			}
		case !KnownRegion(r):
			return withProblem(terr("regions", "Invalid region '%s'", r), BadRegion)
		}
	}
	return nil
}

// checkDiscardRegex compiles the regex the way the engine will, so that a
// Python construct Go cannot run fails when the configuration is read.
func checkDiscardRegex(re string) error {
	if re == "" {
		return nil
	}
	if _, err := pyre.Compile(re); err != nil {
		reason := err.Error()
		var pe *pyre.Error
		if errors.As(err, &pe) {
			reason = pe.Reason
		}
		return terr("discard_regex", "Invalid discard_regex '%s': %s", re, reason)
	}
	return nil
}
