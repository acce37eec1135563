// Package decode turns the body of an S3 object into events: it owns
// decompression chosen by key suffix, the text layer (UTF-8, universal
// newlines) and one parser per bucket type, each reproducing what the
// reference Python wodle's load_information_from_file returns, quirks
// included (reference-wodle.md §4.1–4.2).
//
// Use Open to get the object's text and Events to parse it. Failures are
// returned as *Error, classified the way the reference's get_log_file
// classifies Python exceptions (§5.3); the caller picks the exit code.
package decode

import (
	"errors"
	"fmt"

	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// Class is the reference's classification of a per-object failure.
type Class int

const (
	// Unknown: "Unknown error reading/parsing file <key>: <e>" (any other
	// exception).
	Unknown Class = iota
	// Decompress: "Failed to decompress file <key>: <e>" (TypeError,
	// OSError, BadZipFile).
	Decompress
	// Parse: "Failed to parse file <key>: <e>" (ValueError,
	// JSONDecodeError, UnicodeDecodeError, csv.Error).
	Parse
	// Prefix: the configured prefix names none of the log kinds the
	// type knows (Cisco Umbrella); always Fatal.
	Prefix
)

func (c Class) String() string {
	switch c {
	case Decompress:
		return "Failed to decompress file"
	case Parse:
		return "Failed to parse file"
	}
	return "Unknown error reading/parsing file"
}

// typeErrorNone is what the reference reports, with skip_on_error, for an
// object its decompressor rejected: the helper returned None and the
// caller used it in a with statement.
const typeErrorNone = `TypeError("'NoneType' object does not support the context manager protocol")`

// Error is a failure to read or parse one object.
//
// Message() is the reference's text for the per-object handler. Fatal
// marks the failures the reference handles inside the parser with
// sys.exit: it prints "ERROR: "+Log and ends the run. When Skippable is
// set (invalid gzip/zip, snappy) and skip_on_error is on, the reference
// does not exit and the failure goes to the per-object handler as
// Class/Detail instead; otherwise (WAF without skip_on_error, Umbrella's
// prefix check) the exit happens regardless of skip_on_error handling.
// Which exit code ends the run is the caller's choice, from Class.
type Error struct {
	Key       string
	Class     Class
	Detail    string // Python repr of the exception, e.g. JSONDecodeError('...')
	Fatal     bool
	Log       string
	Skippable bool
	Err       error // underlying Go error, if any

	stream bool // raised by the text layer rather than by a parser
	limit  bool // a record past Limits
}

// Message returns e.g. "Failed to parse file <key>: <detail>".
func (e *Error) Message() string {
	return e.Class.String() + " " + e.Key + ": " + e.Detail
}

// Error is the line the reference printed when the failure ended its
// run: Log for a Fatal failure, Message() otherwise.
func (e *Error) Error() string {
	if e.Fatal && e.Log != "" {
		return e.Log
	}
	return e.Message()
}

func (e *Error) Unwrap() error { return e.Err }

// Options tunes Events.
type Options struct {
	// Log receives the parsers' own lines (ALB split failures, WAF errors
	// under skip_on_error). Nil means logging.Discard.
	Log logging.Logger
	// SkipOnError is the script's --skip_on_error; only the WAF parser
	// looks at it (it handles its errors itself, §4.2).
	SkipOnError bool
	// Prefix is the configured path prefix; Cisco Umbrella picks its
	// columns by the substring it contains.
	Prefix string
	// Limits bounds one record, line or value; past a limit the object
	// fails with a Parse error (see Limits).
	Limits Limits
	// Raw, when set, is offered the JSON text of each record of a
	// CloudTrail or Config document (before "source" is added), checked
	// as the parser decodes it. When it reports handled, the record is
	// neither decoded nor emitted; otherwise it takes the usual path. An
	// error from Raw is returned as emit's are. The slice is valid only
	// during the call.
	Raw func(record []byte) (handled bool, err error)
	// RawTokens is Raw for a caller that also needs each record's tokens:
	// the decoder makes them while it checks the record
	// (pyjson.Decoder.DecodeStreamingTokens), starting in the space of
	// Tokens. When set, Raw is not used.
	RawTokens func(record []byte, toks []pyjson.Token) (handled bool, err error)
	Tokens    []pyjson.Token
}

// Default limits. No AWS log comes near them: AWS caps a CloudTrail
// record, a Config item, a GuardDuty finding or an EventBridge event at
// a few hundred kilobytes, and a log line at far less.
const (
	DefaultMaxRecordBytes  = pyjson.DefaultMaxValueBytes
	DefaultMaxRecordValues = pyjson.DefaultMaxValues
	DefaultMaxDepth        = pyjson.DefaultMaxDepth
	DefaultMaxLineBytes    = 8 << 20
)

// Limits bounds what one record may cost, so that memory stays bounded
// whatever an object holds; a zero field means its default. The limits
// are per record, never per object: a CloudTrail file of any size is
// read one element of its Records array at a time.
//
// A record past a limit fails its object with a Parse error ("Failed to
// parse file <key>: LimitError(...)") naming the limit, which
// skip_on_error skips like any other parse error.
type Limits struct {
	// MaxRecordBytes bounds the JSON text of one record: an element of
	// CloudTrail's Records or Config's configurationItems (or another
	// top-level member), one concatenated EventBridge object, one value
	// on a WAF or GuardDuty line. Whitespace between records is skipped
	// without being kept and does not count.
	MaxRecordBytes int64
	// MaxRecordValues bounds the JSON values (scalars, objects, arrays)
	// of one record: memory grows with their number more than with the
	// bytes.
	MaxRecordValues int
	// MaxDepth bounds the nesting of a record.
	MaxDepth int
	// MaxLineBytes bounds one line of the line formats (WAF, GuardDuty
	// .jsonl, server access) and one row of the delimited ones (VPC,
	// ALB, CLB, NLB, Cisco Umbrella, custom rows), newline included.
	MaxLineBytes int64
}

// WithDefaults returns l with each zero field set to its default.
func (l Limits) WithDefaults() Limits {
	j := l.JSON().WithDefaults()
	l.MaxRecordBytes, l.MaxRecordValues, l.MaxDepth = j.MaxValueBytes, j.MaxValues, j.MaxDepth
	l.MaxLineBytes = l.line()
	return l
}

// JSON returns the limits of the JSON decoder for one record.
func (l Limits) JSON() pyjson.Limits {
	return pyjson.Limits{MaxValueBytes: l.MaxRecordBytes, MaxValues: l.MaxRecordValues, MaxDepth: l.MaxDepth}
}

func (l Limits) line() int64 {
	if l.MaxLineBytes <= 0 {
		return DefaultMaxLineBytes
	}
	return l.MaxLineBytes
}

func (o *Options) log() logging.Logger {
	if o.Log == nil {
		return logging.Discard{}
	}
	return o.Log
}

// limitErr is the failure for a record past a limit.
func limitErr(msg string, err error) *Error {
	return &Error{Class: Parse, Detail: "LimitError(" + reprStr(msg) + ")", Err: err, limit: true}
}

// lineLimitErr reports a line (or delimited row) longer than max bytes
// that starts at byte offset off of the text.
func lineLimitErr(off, max int64) *Error {
	return limitErr(fmt.Sprintf("line at byte %d is longer than %d bytes (MaxLineBytes)", off, max), nil)
}

// pyErr builds an error of class c with Python repr detail.
func pyErr(c Class, detail string) *Error {
	return &Error{Class: c, Detail: detail}
}

func withKey(err error, key string) error {
	var e *Error
	if errors.As(err, &e) {
		if e.Key == "" {
			e.Key = key
		}
		return e
	}
	return err
}

// asError converts any error into an *Error for key; errors from the
// pyjson decoder and the text layer keep their class, anything else is
// Unknown.
func asError(err error, key string) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Key == "" {
			e.Key = key
		}
		return e
	}
	return &Error{Key: key, Class: Unknown, Detail: fmt.Sprintf("Exception(%s)", reprStr(err.Error())), Err: err}
}
