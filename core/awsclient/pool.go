package awsclient

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// MaxConnsPerHost is how many requests to one endpoint may be open at
// once: the engine fetches up to that many objects concurrently, and the
// pool keeps as many connections idle, so that a run at full concurrency
// does not open (and TLS-handshake) a connection per request. The SDK's
// default keeps 10.
const MaxConnsPerHost = 128

// sizePool sizes the transport's pool of idle connections.
func sizePool(tr *http.Transport) {
	tr.MaxIdleConnsPerHost = MaxConnsPerHost
	if tr.MaxIdleConns < 2*MaxConnsPerHost {
		tr.MaxIdleConns = 2 * MaxConnsPerHost
	}
}

type throttleKey struct{}

// WithThrottleHook returns a context whose requests call f each time S3
// answers 503 (SlowDown) or 429, before the SDK's retryer waits and tries
// again: the caller learns of throttling even when a retry then succeeds.
func WithThrottleHook(ctx context.Context, f func()) context.Context {
	return context.WithValue(ctx, throttleKey{}, f)
}

// throttleClient calls the request context's throttle hook.
type throttleClient struct{ next aws.HTTPClient }

func (c throttleClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(req)
	if err == nil && (resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests) {
		if f, ok := req.Context().Value(throttleKey{}).(func()); ok {
			f()
		}
	}
	return resp, err
}
