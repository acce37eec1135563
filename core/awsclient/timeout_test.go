package awsclient

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wazuh/aws-s3-go/core/config"
)

// server is a loopback TCP endpoint whose every connection is handed to
// serve once its request has been read (serve nil: never answer).
type server struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newServer(t *testing.T, serve func(net.Conn)) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			if serve == nil {
				continue
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				if readRequest(c) == nil {
					serve(c)
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *server) url(scheme string) string { return scheme + "://" + s.ln.Addr().String() }

// readRequest consumes one bodiless request's headers.
func readRequest(c net.Conn) error {
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(got, []byte("\r\n\r\n")) {
		n, err := c.Read(buf)
		if err != nil {
			return err
		}
		got = append(got, buf[:n]...)
	}
	return nil
}

// client returns an S3 client of a target at endpoint with the given
// timeouts and a single attempt, so that one timeout is one failure.
func client(t *testing.T, endpoint string, connect, read time.Duration) *s3.Client {
	t.Helper()
	c, err := New(context.Background(), config.Target{
		Kind: config.KindBucket, AccessKey: "AKIDEXAMPLE", SecretKey: "secret",
		ServiceEndpoint: endpoint, ConnectTimeout: connect, ReadTimeout: read,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
	})
}

// within fails unless d is about want: not before it, not long after.
func within(t *testing.T, what string, d, want time.Duration) {
	t.Helper()
	if d < want-50*time.Millisecond || d > want+3*time.Second {
		t.Errorf("%s failed after %v, want about %v", what, d, want)
	}
}

func TestNoAnswerTimesOut(t *testing.T) {
	srv := newServer(t, func(net.Conn) {}) // reads the request, never answers
	cl := client(t, srv.url("http"), time.Second, time.Second)
	start := time.Now()
	_, err := cl.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("b")})
	within(t, "ListObjectsV2", time.Since(start), time.Second)
	if err == nil || !IsConnection(err) {
		t.Errorf("err = %v, want a connection error", err)
	}
}

func TestTLSHandshakeTimesOut(t *testing.T) {
	srv := newServer(t, nil) // accepts TCP, never says a word
	cl := client(t, srv.url("https"), time.Second, 30*time.Second)
	start := time.Now()
	_, err := cl.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("b")})
	within(t, "TLS handshake", time.Since(start), time.Second)
	if err == nil || !IsConnection(err) {
		t.Errorf("err = %v, want a connection error", err)
	}
}

const stallHeader = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n"

func TestStalledBodyTimesOut(t *testing.T) {
	srv := newServer(t, func(c net.Conn) {
		io.WriteString(c, stallHeader+strings.Repeat("x", 100)) // then nothing
	})
	cl := client(t, srv.url("http"), time.Second, time.Second)
	out, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	start := time.Now()
	n, err := io.Copy(io.Discard, out.Body)
	within(t, "body read", time.Since(start), time.Second)
	var te *TimeoutError
	if n != 100 || !errors.As(err, &te) || te.After != time.Second {
		t.Fatalf("read %d bytes, err %v; want 100 and a *TimeoutError", n, err)
	}
	if !IsConnection(err) || errors.Is(err, context.Canceled) {
		t.Errorf("%v: want a connection error, not a cancellation", err)
	}
}

// The SDK reads ListObjectsV2's body itself: the stall fails the call.
func TestStalledListTimesOut(t *testing.T) {
	srv := newServer(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 1000\r\n\r\n<?xml version")
	})
	cl := client(t, srv.url("http"), time.Second, time.Second)
	start := time.Now()
	_, err := cl.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("b")})
	within(t, "ListObjectsV2", time.Since(start), time.Second)
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Errorf("err = %v, want a *TimeoutError inside", err)
	}
}

// A body that keeps flowing takes as long as it takes, and a reader that
// is slow to ask for more is not a stalled server.
func TestSlowBodyIsNotIdle(t *testing.T) {
	srv := newServer(t, func(c net.Conn) {
		io.WriteString(c, stallHeader)
		for range 4 {
			time.Sleep(600 * time.Millisecond)
			io.WriteString(c, strings.Repeat("y", 250))
		}
	})
	cl := client(t, srv.url("http"), time.Second, time.Second)
	out, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	buf := make([]byte, 250)
	total := 0
	for {
		n, err := out.Body.Read(buf)
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", total, err)
		}
		time.Sleep(1200 * time.Millisecond / 4) // the consumer dawdles too
	}
	if total != 1000 {
		t.Errorf("read %d bytes, want 1000", total)
	}
}

// Cancelling the run ends a stalled read at once, as a cancellation.
func TestCancelStalledBody(t *testing.T) {
	srv := newServer(t, func(c net.Conn) { io.WriteString(c, stallHeader) })
	cl := client(t, srv.url("http"), 0, 0) // the 60 s defaults
	ctx, cancel := context.WithCancel(context.Background())
	out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err = io.Copy(io.Discard, out.Body)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancelled read returned after %v", d)
	}
	var te *TimeoutError
	if err == nil || errors.As(err, &te) {
		t.Errorf("err = %v, want the cancellation", err)
	}
}
