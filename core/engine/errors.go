package engine

import (
	"fmt"
)

// exitError ends a run with the reference's exit code. msg is logged as an
// ERROR line unless debugOnly is set, in which case it is a level-1 debug
// line (the reference prints some messages only in debug mode).
type exitError struct {
	code      int
	msg       string
	debugOnly int
}

func (e *exitError) Error() string { return e.msg }

func exitf(code int, format string, args ...any) *exitError {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

// Exit codes of the reference script (reference-modulesd.md §1.9).
const (
	exitOK           = 0
	exitUnknown      = 1
	exitCredentials  = 3
	exitSQLite       = 5
	exitCreateDB     = 6
	exitS3Query      = 7
	exitDecompress   = 8
	exitParse        = 9
	exitInvalidType  = 12
	exitSend         = 13
	exitEmptyBucket  = 14
	exitEndpoint     = 15
	exitThrottling   = 16
	exitInvalidKey   = 17
	exitInvalidPref  = 18
	exitClockSkew    = 19
	exitInvalidRegn  = 22
	exitProfile      = 23
	exitNotSupported = 1
)

const throttlingText = "The '%s' request was denied due to request throttling. If the problem persists check the following link to learn how to use the Retry configuration to avoid it: 'https://documentation.wazuh.com/current/amazon/services/prerequisites/considerations.html#Connection-configuration-for-retries': %s"
