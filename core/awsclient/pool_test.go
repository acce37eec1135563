package awsclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestResponseHook(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, "<Error><Code>SlowDown</Code></Error>", http.StatusServiceUnavailable)
			return
		}
	}))
	defer srv.Close()
	c := hookClient{srv.Client()}
	var hooked atomic.Int32
	ctx := WithResponseHook(context.Background(), func(status int) {
		if IsThrottlingStatus(status) {
			hooked.Add(1)
		}
	})
	for i, want := range []int32{1, 1} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := hooked.Load(); got != want {
			t.Fatalf("after request %d (status %d) the hook ran %d times, want %d", i+1, resp.StatusCode, got, want)
		}
	}
	// A context without a hook is fine.
	n.Store(0)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestPoolSized(t *testing.T) {
	tr := &http.Transport{}
	sizePool(tr)
	if tr.MaxIdleConnsPerHost != MaxConnsPerHost || tr.MaxIdleConns < MaxConnsPerHost {
		t.Fatalf("pool: %d idle per host, %d in all; want %d per host", tr.MaxIdleConnsPerHost, tr.MaxIdleConns, MaxConnsPerHost)
	}
}
