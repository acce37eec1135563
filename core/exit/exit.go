// Package exit maps how a run ended to the Python script's exit code and
// the line it printed. Every mode returns the script's code for the same
// outcome, because wazuh-modulesd's status handling (and the warnings
// operators know) is built on them (reference-modulesd.md §1.9).
//
// The packages that do the work return errors that say what failed
// (*decode.Error, *state.Error, *awsclient.Error, *config.Error,
// *send.Error, and the runners' *host.Error); this package alone knows the
// codes. Only the edges import it: the engine, the executable and the C
// API.
package exit

import (
	"errors"

	"github.com/wazuh/aws-s3-go/core/awsclient"
	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/decode"
	"github.com/wazuh/aws-s3-go/core/host"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/send"
	"github.com/wazuh/aws-s3-go/core/state"
)

// The script's exit codes, and Locked, ours.
const (
	OK            = 0
	Unknown       = 1
	Arguments     = 2 // argparse errors, and SIGINT (also a run stopped by shutdown)
	Credentials   = 3
	SQLite        = 5
	CreateDB      = 6
	S3Query       = 7
	Decompress    = 8
	Parse         = 9
	Queue         = 11 // the Wazuh queue refused the connection
	InvalidType   = 12
	Send          = 13
	EmptyBucket   = 14
	Endpoint      = 15
	Throttling    = 16
	InvalidKey    = 17
	InvalidPrefix = 18
	ClockSkew     = 19
	SQSNotFound   = 20
	SQSFailure    = 21 // receive/delete failed, or subscriber arguments missing
	InvalidRegion = 22
	Profile       = 23
	// Locked: a run gave up waiting for the state database's lock (the
	// script had no lock, so no code of its own).
	Locked = 24
)

// Outcome is how the script ended a run: its exit code and the line it
// printed, "ERROR: "+Msg, or a debug line of level Debug when Debug > 0.
// An empty Msg prints nothing.
type Outcome struct {
	Code  int
	Msg   string
	Debug int
}

// Of returns the outcome of a run that ended with err, and false when err
// is none of the failures the script told apart (see Unexpected). Msg is
// err's text; the code is that of the first typed error in err's chain,
// and a *host.Quiet above it makes the line a debug line.
func Of(err error) (Outcome, bool) {
	var o Outcome
	for e := err; e != nil; e = errors.Unwrap(e) {
		if q, ok := e.(*host.Quiet); ok {
			o.Debug = q.Level
			continue
		}
		if code, ok := codeOf(e); ok {
			o.Code, o.Msg = code, err.Error()
			return o, true
		}
	}
	return Outcome{}, false
}

// codeOf is the whole table: the script's exit code for each failure.
func codeOf(err error) (int, bool) {
	switch e := err.(type) {
	case *host.Error:
		switch e.Kind {
		case host.InvalidType:
			return InvalidType, true
		case host.InvalidRegion:
			return InvalidRegion, true
		case host.EmptyBucket:
			return EmptyBucket, true
		case host.InvalidPrefix:
			return InvalidPrefix, true
		case host.MissingArgument:
			return SQSFailure, true
		case host.BadMarker:
			// The script's code for a marker without a date.
			return Throttling, true
		}
		return Unknown, true
	case *awsclient.Error:
		switch e.Kind {
		case awsclient.Credentials:
			return Credentials, true
		case awsclient.Profile:
			return Profile, true
		case awsclient.Query:
			return S3Query, true
		case awsclient.Endpoint:
			return Endpoint, true
		case awsclient.Throttling:
			return Throttling, true
		case awsclient.ClockSkew:
			return ClockSkew, true
		case awsclient.QueueNotFound:
			return SQSNotFound, true
		case awsclient.Queue:
			return SQSFailure, true
		}
		return Unknown, true
	case *state.Error:
		switch e.Kind {
		case state.Query:
			return SQLite, true
		case state.Create:
			return CreateDB, true
		case state.Locked:
			return Locked, true
		}
		// A failed cleanup is printed and the run goes on; one that
		// ends a run is unexpected.
		return 0, false
	case *decode.Error:
		switch e.Class {
		case decode.Decompress:
			return Decompress, true
		case decode.Parse:
			return Parse, true
		case decode.Prefix:
			return InvalidType, true
		}
		return Unknown, true
	case *send.Error:
		return Send, true
	case *config.Error:
		switch e.Problem {
		case config.BadType:
			return InvalidType, true
		case config.BadRegion:
			return InvalidRegion, true
		case config.MissingSubscriberArg:
			return SQSFailure, true
		}
		return Arguments, true
	case *config.ArgvError:
		switch e.Kind {
		case config.ArgvHelp:
			return OK, true
		case config.ArgvInvalid:
			return Unknown, true
		}
		return Arguments, true
	}
	return 0, false
}

// Log prints o's line.
func (o Outcome) Log(log logging.Logger) {
	switch {
	case o.Msg == "":
	case o.Debug > 0:
		log.Debug(o.Debug, o.Msg)
	default:
		log.Error(o.Msg)
	}
}

// Unexpected logs a failure the script did not expect, as its main()
// handler did ("+++ Error: <e>" at debug level 2, then the error), and
// returns its code: 12, or 1 when debugging (debug is the run's --debug).
func Unexpected(log logging.Logger, err error, debug int) int {
	log.Debug(2, "+++ Error: "+err.Error())
	if debug > 0 {
		log.Error("Unknown error: " + err.Error())
		return Unknown
	}
	log.Error(err.Error())
	return InvalidType
}
