// Package exit holds the Python script's exit codes and the error that
// ends a run with one: every mode returns the script's code for the same
// outcome, because wazuh-modulesd's status handling (and the warnings
// operators know) is built on them (reference-modulesd.md §1.9).
package exit

import "fmt"

// The script's exit codes.
const (
	OK            = 0
	Unknown       = 1
	Arguments     = 2 // argparse errors, and SIGINT
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
)

// Error ends a run with Code. Msg is the script's text (what followed
// "ERROR: "); when DebugLevel is set the script printed it only as a debug
// line of that level.
type Error struct {
	Code       int
	Msg        string
	Err        error
	DebugLevel int
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// ExitCode is the script's exit status for e.
func (e *Error) ExitCode() int { return e.Code }

// Errorf returns an *Error with a formatted message.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Wrap is Errorf keeping err as the cause.
func Wrap(code int, err error, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...), Err: err}
}
