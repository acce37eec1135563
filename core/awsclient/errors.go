package awsclient

import (
	"errors"
	"fmt"
	"net"

	"github.com/aws/smithy-go"
)

// ErrorCode returns the AWS error code of err, "" when the service did not
// answer with an error (botocore's ClientError).
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// IsThrottling reports an error the reference treated as throttling.
func IsThrottling(err error) bool {
	switch ErrorCode(err) {
	case "ThrottlingException", "Throttling", "SlowDown", "TooManyRequestsException", "RequestLimitExceeded":
		return true
	}
	return false
}

// IsConnection reports a failure where no answer came back from the
// endpoint (botocore's EndpointConnectionError).
func IsConnection(err error) bool {
	if ErrorCode(err) != "" {
		return false
	}
	var oe *net.OpError
	var ne net.Error
	return errors.As(err, &oe) || errors.As(err, &ne)
}

// ClientError renders err the way botocore renders a ClientError, the text
// the reference's messages quote: "An error occurred (Code) when calling
// the Op operation: message". Other errors render as themselves.
func ClientError(err error) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return err.Error()
	}
	op := "unknown"
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		op = oe.OperationName
	}
	return fmt.Sprintf("An error occurred (%s) when calling the %s operation: %s", ae.ErrorCode(), op, ae.ErrorMessage())
}

// Error is a failed AWS call or client setup, in the category the script
// told apart. Msg is the script's text for it, "" when the script printed
// nothing more (the detail went to a debug line already).
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Kind is the category of an AWS failure.
type Kind int

const (
	// Failed: AWS answered with an error the script did not single out.
	Failed Kind = iota
	// Credentials: no usable credentials, or AWS rejected them.
	Credentials
	// Profile: the configured profile is not in the shared files.
	Profile
	// Query: listing or reading S3 objects failed, an answer included
	// (cut body, reset, timeout, 5xx after the retries).
	Query
	// Endpoint: no answer came back from the endpoint.
	Endpoint
	// Throttling: AWS kept refusing for request rate.
	Throttling
	// ClockSkew: AWS refused the request's time.
	ClockSkew
	// QueueNotFound: the SQS queue does not exist.
	QueueNotFound
	// Queue: receiving or deleting SQS messages failed, or reading the
	// object a message named.
	Queue
)

// Errorf returns an *Error of kind k with a formatted message and cause.
func Errorf(k Kind, cause error, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// AccessError classifies a failure of New the way the script did: a
// missing profile, else "Access error: <err>".
func AccessError(err error) *Error {
	var pe *ProfileError
	if errors.As(err, &pe) {
		return &Error{Kind: Profile, Msg: pe.Error(), Err: err}
	}
	return Errorf(Credentials, err, "Access error: %s", err)
}
