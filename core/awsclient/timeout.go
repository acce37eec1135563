package awsclient

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// DefaultTimeout is botocore's connect and read timeout, used when the
// target sets none.
const DefaultTimeout = 60 * time.Second

// timeouts returns connect and read with botocore's defaults for zeros.
func timeouts(connect, read time.Duration) (time.Duration, time.Duration) {
	if connect <= 0 {
		connect = DefaultTimeout
	}
	if read <= 0 {
		read = DefaultTimeout
	}
	return connect, read
}

// httpClient returns the HTTP client of every AWS call of a target.
// connect bounds the TCP connect and the TLS handshake; read bounds the
// wait for the response headers. It stays a *BuildableClient until the
// configuration is loaded, which adds AWS_CA_BUNDLE to it; withIdle then
// adds the body's idle timeout.
func httpClient(connect, read time.Duration) *awshttp.BuildableClient {
	connect, read = timeouts(connect, read)
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = connect }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = connect
			tr.ResponseHeaderTimeout = read
		})
}

// withIdle makes every read of a response body that makes no progress for
// read fail (botocore's read timeout is a socket timeout, which is that).
// There is no bound on a whole call: a large object that keeps flowing
// takes the time it takes. Cancelling the request's context still ends
// any wait at once.
func withIdle(next aws.HTTPClient, read time.Duration) aws.HTTPClient {
	_, read = timeouts(0, read)
	return &idleClient{next: next, idle: read}
}

// idleClient gives every response body an idle timeout.
type idleClient struct {
	next aws.HTTPClient
	idle time.Duration
}

func (c *idleClient) Do(req *http.Request) (*http.Response, error) {
	// The body is abandoned by cancelling its request: unlike Close, that
	// interrupts a Read blocked on the connection, for HTTP/1 and HTTP/2.
	ctx, cancel := context.WithCancelCause(req.Context())
	resp, err := c.next.Do(req.WithContext(ctx))
	if err != nil || resp.Body == nil {
		cancel(nil)
		return resp, err
	}
	b := &idleBody{body: resp.Body, ctx: ctx, cancel: cancel,
		timeout: &TimeoutError{Host: req.URL.Host, After: c.idle}}
	b.timer = time.AfterFunc(c.idle, func() { cancel(b.timeout) })
	b.timer.Stop()
	resp.Body = b
	return resp, nil
}

// idleBody fails a Read that returns nothing for the idle time. Only the
// time spent inside Read counts: a caller that is slow to ask for more
// (a full Wazuh queue) is not a stalled server.
type idleBody struct {
	body    io.ReadCloser
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timeout *TimeoutError
	timer   *time.Timer
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.timeout.After)
	n, err := b.body.Read(p)
	b.timer.Stop()
	if err != nil && err != io.EOF && context.Cause(b.ctx) == error(b.timeout) {
		// Not the transport's context.Canceled: the run was not stopped.
		err = b.timeout
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.body.Close()
	b.cancel(nil)
	return err
}

// TimeoutError is a response body that stopped flowing: a transport
// failure, never bad content. It is a net.Error whose Timeout is true, so
// that the SDK's retryer and IsConnection treat it as a connection error.
type TimeoutError struct {
	Host  string
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("reading the response of %s: no data for %v (read timeout)", e.Host, e.After)
}

func (e *TimeoutError) Timeout() bool   { return true }
func (e *TimeoutError) Temporary() bool { return true }

var _ net.Error = (*TimeoutError)(nil)
