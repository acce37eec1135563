//go:build linux

package bench

import (
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// ec2Proxy stands in front of the gateway for vpcflow targets. The engine
// sends EC2 calls to service_endpoint too (as the reference does), and
// versitygw serves only S3, so this proxy answers EC2 DescribeFlowLogs
// itself and forwards everything else to the gateway untouched. The Host
// header is kept, so the S3 signatures made for the proxy's address still
// verify at the gateway.
type ec2Proxy struct {
	URL string
	srv *http.Server
}

// describeFlowLogsResponse is the EC2 query-protocol answer.
type describeFlowLogsResponse struct {
	XMLName   xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeFlowLogsResponse"`
	RequestID string   `xml:"requestId"`
	FlowLogs  []struct {
		ID     string `xml:"flowLogId"`
		Status string `xml:"flowLogStatus"`
		Type   string `xml:"logDestinationType"`
	} `xml:"flowLogSet>item"`
}

// startEC2Proxy serves on a free 127.0.0.1 port, answering
// DescribeFlowLogs with flowLogIDs (in every region) and proxying the rest
// to target.
func startEC2Proxy(target string, flowLogIDs []string) (*ec2Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	var answer describeFlowLogsResponse
	answer.RequestID = "bench"
	for _, id := range flowLogIDs {
		answer.FlowLogs = append(answer.FlowLogs, struct {
			ID     string `xml:"flowLogId"`
			Status string `xml:"flowLogStatus"`
			Type   string `xml:"logDestinationType"`
		}{id, "ACTIVE", "s3"})
	}
	body, err := xml.Marshal(answer)
	if err != nil {
		return nil, err
	}
	// NewSingleHostReverseProxy rewrites only the URL, not req.Host.
	rp := httputil.NewSingleHostReverseProxy(u)
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// S3 path-style requests never POST to "/", EC2 query calls do.
		if r.Method == http.MethodPost && r.URL.Path == "/" {
			if err := r.ParseForm(); err == nil && r.PostForm.Get("Action") == "DescribeFlowLogs" {
				w.Header().Set("Content-Type", "text/xml")
				w.Write(body)
				return
			}
			http.Error(w, "bench proxy: only EC2 DescribeFlowLogs is served", http.StatusBadRequest)
			return
		}
		rp.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: proxy listen on 127.0.0.1: %w", err)
	}
	p := &ec2Proxy{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go p.srv.Serve(ln)
	return p, nil
}

// Close stops the proxy.
func (p *ec2Proxy) Close() error { return p.srv.Close() }
