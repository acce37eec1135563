// Package event turns parsed events into the messages the reference script
// sent to the Wazuh queue: the discard filter, the envelope, the per-type
// reformatting (reference-wodle.md §4.3-§4.7, §5.1) and the size policy.
//
// The reformatting reproduces the script's Python behaviour on odd input
// too: where the script raised an exception (and exited 7) Messages returns
// a *PyError carrying Python's text; where it printed "WARNING: Could not
// reformat event ..." the Builder's logger gets the same line.
//
// # Oversize events
//
// A queue datagram holds at most 65,536 bytes, counting the "1:Wazuh-AWS:"
// header and the NUL that Wazuh's SendMSG appends, so the JSON may take
// MaxEvent = 65,523 bytes. The script sent larger events anyway and the
// kernel or the agent dropped or cut them. Encode instead returns valid JSON
// of at most MaxEvent bytes, trimmed deterministically:
//
//  1. the longest string values are shortened to a common length, never
//     below 1 KiB, and end in TruncatedSuffix;
//  2. if that is not enough (many small values, deep nesting), the largest
//     members are removed, largest first: members of "aws", and inside
//     the ancestors of a protected path (requestParameters for
//     requestParameters.bucketName) their own members, so that a large
//     nested member goes before small fields. They are listed by path in
//     "aws.wazuh_dropped_fields" (the list itself is capped; the count is
//     in "aws.wazuh_dropped_count");
//  3. if still too large, the remaining strings are shortened down to a
//     few bytes, then the protected ones as well, and as a last resort
//     only "integration" and "aws.log_info" are kept.
//
// Steps 1 and 2 never touch "integration", the markers, or the protected
// paths of "aws" (protectedPaths): the fields that identify the event and
// those the Wazuh AWS rules match on (eventName, eventSource, errorCode,
// sourceIPAddress, userIdentity, requestParameters.bucketName, ...).
//
// A trimmed event carries "aws.wazuh_truncated": true and
// "aws.wazuh_original_size": <bytes of the untrimmed JSON>. Events that
// fit are encoded once and returned untouched.
//
// # Fast path
//
// RawEncoder produces the same bytes as Messages followed by AppendEncode
// for a CloudTrail record, straight from the record's JSON text and with
// no allocation per value. It declines the records it cannot prove
// identical (repeated keys, members the envelope replaces, values the
// reformatting rewrites as text or warns about, events to trim), and
// those take the tree path. FuzzRawEncoder compares the two byte for byte.
package event

import (
	"fmt"
	"strings"
	"time"

	"github.com/wazuh/aws-s3-go/core/kind"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// Builder builds the messages of one bucket target.
type Builder struct {
	Type   string         // bucket type as given to --type, lower-case
	Bucket string         // S3 bucket name (log_info.s3bucket)
	Alias  string         // account alias (log_info.aws_account_alias)
	Log    logging.Logger // nil discards
	// Loc is the zone Config's createdTime strings are read in. The script
	// used the host's local zone (time.mktime); nil means time.Local.
	Loc *time.Location
}

func (b *Builder) log() logging.Logger {
	if b.Log == nil {
		return logging.Discard{}
	}
	return b.Log
}

// Messages wraps ev (a parsed event of the object key, listed under
// account) in the envelope and reformats it for the Builder's type. It
// returns one message, or several for a GuardDuty port-probe finding.
// Messages takes ownership of ev. Apply the Discard filter before calling
// it: the script filtered the raw event.
func (b *Builder) Messages(key, account string, ev *pyjson.Object) ([]*pyjson.Object, error) {
	k, ok := kind.Lookup(b.Type)
	if !ok {
		return nil, fmt.Errorf("event: unknown bucket type %q (known: %s)", b.Type, strings.Join(kind.Names(), ", "))
	}
	msg := b.envelope(key, account, ev, k.AWSLogsBucket)
	var err error
	switch k.Reformat {
	case kind.ReformatBase:
		err = b.reformatBase(msg)
	case kind.ReformatCloudTrail:
		err = b.reformatCloudTrail(msg)
	case kind.ReformatConfig:
		err = b.reformatConfig(msg)
	case kind.ReformatCustom:
		err = b.reformatCustom(msg)
	case kind.ReformatGuardDuty:
		return b.reformatGuardDuty(msg, k.Source)
	default:
		return nil, fmt.Errorf("event: bucket type %q has no reformatting %d", b.Type, k.Reformat)
	}
	if err != nil {
		return nil, err
	}
	return []*pyjson.Object{msg}, nil
}

// ErrorMessage is the message sent for an object that failed to download or
// parse under skip_on_error: the envelope without event fields and a
// top-level "error_msg" (omitted, as by the script, when text is empty).
func (b *Builder) ErrorMessage(key, account, text string) *pyjson.Object {
	k, _ := kind.Lookup(b.Type)
	msg := b.envelope(key, account, nil, false)
	if text != "" {
		msg.Set("error_msg", text)
	}
	if k != nil && k.AWSLogsBucket {
		aws, _ := msg.Get("aws")
		aws.(*pyjson.Object).Set("aws_account_id", account)
	}
	return msg
}

// logInfo is the envelope's "log_info" for the object key.
func (b *Builder) logInfo(key string) *pyjson.Object {
	info := pyjson.NewObject(3)
	info.Set("aws_account_alias", b.Alias)
	info.Set("log_file", key)
	info.Set("s3bucket", b.Bucket)
	return info
}

func (b *Builder) envelope(key, account string, ev *pyjson.Object, awsLogs bool) *pyjson.Object {
	info := b.logInfo(key)
	n := 2
	if ev != nil {
		n += ev.Len()
	}
	aws := pyjson.NewObject(n)
	aws.Set("log_info", info)
	if ev != nil {
		for _, k := range ev.Keys() {
			v, _ := ev.Get(k)
			if v == nil {
				continue
			}
			if o, ok := isDict(v); ok {
				v = pruneNone(o)
			}
			aws.Set(k, v)
		}
	}
	if awsLogs {
		aws.Set("aws_account_id", account)
	}
	msg := pyjson.NewObject(3)
	msg.Set("integration", "aws")
	msg.Set("aws", aws)
	return msg
}

// pruneNone removes null members through nested objects, not inside
// arrays. Objects holding a null are rebuilt rather than edited key by key,
// which would be quadratic.
func pruneNone(o *pyjson.Object) *pyjson.Object {
	hasNone := false
	for _, k := range o.Keys() {
		v, _ := o.Get(k)
		if v == nil {
			hasNone = true
		} else if c, ok := isDict(v); ok {
			if p := pruneNone(c); p != c {
				o.Set(k, p)
			}
		}
	}
	if !hasNone {
		return o
	}
	out := pyjson.NewObject(o.Len())
	for _, k := range o.Keys() {
		if v, _ := o.Get(k); v != nil {
			out.Set(k, v)
		}
	}
	return out
}
