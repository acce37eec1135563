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
