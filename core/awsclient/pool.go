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

type responseKey struct{}

// WithResponseHook returns a context whose requests call f with the
// status of every response, as soon as its headers arrive: before the
// SDK's retryer waits and tries again after a 503 SlowDown, and before the
// body is read. The engine learns from it both throttling and how much of
// a fetch is spent waiting on the network.
func WithResponseHook(ctx context.Context, f func(status int)) context.Context {
	return context.WithValue(ctx, responseKey{}, f)
}

// IsThrottlingStatus reports a status S3 throttles with.
func IsThrottlingStatus(status int) bool {
	return status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests
}

// hookClient calls the request context's response hook.
type hookClient struct{ next aws.HTTPClient }

func (c hookClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(req)
	if err == nil {
		if f, ok := req.Context().Value(responseKey{}).(func(int)); ok {
			f(resp.StatusCode)
		}
	}
	return resp, err
}
