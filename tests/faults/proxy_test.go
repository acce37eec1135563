package faults

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wazuh/aws-s3-go/tests/fixture"
)

// fault is what the proxy does to the requests it picks.
type fault int

const (
	passThrough fault = iota
	// status5xx answers every Nth request with Status (500 InternalError
	// or 503 SlowDown) instead of forwarding it.
	status5xx
	// cutBody sends the headers and the first Bytes bytes of every Nth
	// GetObject body, then closes the connection (FIN).
	cutBody
	// reset resets the connection (SO_LINGER 0) of every Nth request:
	// after Bytes bytes of the body for a GetObject, before any answer
	// otherwise.
	reset
	// blackHole accepts every request and never answers.
	blackHole
	// delay holds every GetObject for Delay before forwarding it, so that
	// a run lasts long enough to be killed or overlapped.
	delay
)

func (f fault) String() string {
	return [...]string{"pass", "5xx", "cut body", "reset", "black hole", "delay"}[f]
}

// mode is one configuration of the proxy.
type mode struct {
	Fault  fault
	Every  int // the Nth request (or GetObject) is hit; 0 or 1: every one
	Status int // for status5xx
	Bytes  int // for cutBody and reset
	Delay  time.Duration
}

// proxy is a loopback HTTP proxy in front of the gateway that injects
// faults. The Host header is kept, so the signatures the client made for
// the proxy's address still verify at the gateway. STS GetCallerIdentity
// (which some bucket types call for their account id) is answered here,
// never faulted: versitygw serves only S3.
type proxy struct {
	URL string

	target  string // the gateway's base URL
	mode    atomic.Pointer[mode]
	srv     *http.Server
	rp      *httputil.ReverseProxy
	closing chan struct{}
	once    sync.Once

	requests atomic.Int64 // S3 requests seen
	gets     atomic.Int64 // GetObject requests seen
	hits     atomic.Int64 // requests a fault was applied to
}

func startProxy(target string) (*proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faults: proxy listen on 127.0.0.1: %w", err)
	}
	p := &proxy{URL: "http://" + ln.Addr().String(), target: target, closing: make(chan struct{})}
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.Transport = &http.Transport{ResponseHeaderTimeout: 60 * time.Second, MaxIdleConnsPerHost: 16}
	// The faults make it complain about every cut connection.
	p.rp.ErrorLog = log.New(io.Discard, "", 0)
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	p.set(mode{})
	go p.srv.Serve(ln)
	return p, nil
}

// set switches the mode for the requests that follow and restarts the
// counters.
func (p *proxy) set(m mode) {
	if m.Every < 1 {
		m.Every = 1
	}
	p.requests.Store(0)
	p.gets.Store(0)
	p.hits.Store(0)
	p.mode.Store(&m)
}

// Close stops the proxy and releases the black-holed connections.
func (p *proxy) Close() error {
	p.once.Do(func() { close(p.closing) })
	return p.srv.Close()
}

func isGetObject(r *http.Request) bool {
	// Path style: /bucket/key, with the SDK's ?x-id=GetObject. A listing
	// is GET /bucket?list-type=2.
	if r.Method != http.MethodGet {
		return false
	}
	if r.URL.Query().Get("x-id") == "GetObject" {
		return true
	}
	_, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return key != "" && r.URL.RawQuery == ""
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/" {
		if err := r.ParseForm(); err == nil && r.PostForm.Get("Action") == "GetCallerIdentity" {
			w.Header().Set("Content-Type", "text/xml")
			fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/faults</Arn><UserId>AIDAFAULTS</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, fixture.Account, fixture.Account)
			return
		}
	}
	m := p.mode.Load()
	n := p.requests.Add(1)
	get := isGetObject(r)
	var gn int64
	if get {
		gn = p.gets.Add(1)
	}
	hit := func(i int64) bool { return i%int64(m.Every) == 0 }
	switch m.Fault {
	case status5xx:
		if hit(n) {
			p.hits.Add(1)
			code, name := m.Status, "InternalError"
			if code == http.StatusServiceUnavailable {
				name = "SlowDown"
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(code)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by the fault proxy</Message><RequestId>faults-%d</RequestId></Error>`, name, n)
			return
		}
	case cutBody:
		if get && hit(gn) {
			p.hits.Add(1)
			p.truncate(w, r, m.Bytes, false)
			return
		}
	case reset:
		if hit(n) {
			p.hits.Add(1)
			if get {
				p.truncate(w, r, m.Bytes, true)
			} else {
				p.abort(w, true)
			}
			return
		}
	case blackHole:
		p.hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-p.closing:
		}
		return
	case delay:
		if get {
			select {
			case <-time.After(m.Delay):
			case <-r.Context().Done():
				return
			}
		}
	}
	p.rp.ServeHTTP(w, r)
}

// truncate forwards the gateway's answer with its full Content-Length but
// only the first n bytes of its body, then ends the connection.
func (p *proxy) truncate(w http.ResponseWriter, r *http.Request, n int, rst bool) {
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host = "http", strings.TrimPrefix(p.target, "http://")
	out.RequestURI = ""
	resp, err := p.rp.Transport.RoundTrip(out)
	if err != nil {
		p.abort(w, rst)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	if resp.ContentLength >= 0 && int64(n) >= resp.ContentLength {
		// Too small an object to cut: cut it in the middle.
		n = int(resp.ContentLength / 2)
	}
	io.CopyN(w, resp.Body, int64(n))
	http.NewResponseController(w).Flush()
	p.abort(w, rst)
}

// abort takes the connection from the server and closes it: with a reset
// (SO_LINGER 0) or a plain FIN.
func (p *proxy) abort(w http.ResponseWriter, rst bool) {
	c, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := c.(*net.TCPConn); ok && rst {
		tc.SetLinger(0)
	}
	c.Close()
}
