//go:build unix

package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wazuh/aws-s3-go/core/logging"
)

// queueDir returns a short directory: sun_path holds 108 bytes.
func queueDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "q")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// listener is agentd's end of the queue: a bound datagram socket whose
// datagrams are collected in order.
type listener struct {
	conn *net.UnixConn
	mu   sync.Mutex
	got  [][]byte
	more chan struct{}
	done chan struct{}
}

func listen(t testing.TB, path string) *listener {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadBuffer(4 << 20)
	l := &listener{conn: conn, more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		buf := make([]byte, 1<<20)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			l.mu.Lock()
			l.got = append(l.got, append([]byte(nil), buf[:n]...))
			l.mu.Unlock()
			select {
			case l.more <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(l.close)
	return l
}

// close stops the listener and removes its file, as agentd exiting does.
func (l *listener) close() {
	l.conn.Close()
	<-l.done
}

func (l *listener) frames() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][]byte(nil), l.got...)
}

// waitFor waits until n datagrams arrived.
func (l *listener) waitFor(t testing.TB, n int) [][]byte {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if f := l.frames(); len(f) >= n {
			return f
		}
		select {
		case <-l.more:
		case <-deadline:
			t.Fatalf("received %d datagrams, want %d", len(l.frames()), n)
		}
	}
}

// fast makes s retry quickly, to keep the tests short.
func fast(s *Socket) {
	s.Timing.Reconnect = Backoff{Min: 5 * time.Millisecond, Max: 40 * time.Millisecond}
	s.Timing.WaitPoll = 10 * time.Millisecond
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestSocketFrames(t *testing.T) {
	path := filepath.Join(queueDir(t), "queue")
	l := listen(t, path)
	s := NewSocket(path, nil)
	defer s.Close()
	events := [][]byte{
		[]byte(`{"integration": "aws", "aws": {"source": "cloudtrail"}}`),
		[]byte(""),
		[]byte("with\x00nul and : colons"),
		bytes.Repeat([]byte("x"), 65535),
	}
	for _, e := range events {
		if err := s.Send(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	got := l.waitFor(t, len(events))
	for i, e := range events {
		want := "1:Wazuh-AWS:" + string(e)
		if string(got[i]) != want {
			t.Errorf("datagram %d = %.60q (len %d), want %.60q (len %d)", i, got[i], len(got[i]), want, len(want))
		}
	}
}

func TestSocketAbsentThenBound(t *testing.T) {
	path := filepath.Join(queueDir(t), "queue")
	logs := &logBuf{}
	s := NewSocket(path, logging.NewScript(logs, 1))
	fast(s)
	defer s.Close()
	errc := make(chan error, 3)
	go func() {
		for i := 0; i < 3; i++ {
			errc <- s.Send(context.Background(), []byte(fmt.Sprint(i)))
		}
	}()
	select {
	case err := <-errc:
		t.Fatalf("Send returned %v with no socket", err)
	case <-time.After(200 * time.Millisecond):
	}
	l := listen(t, path)
	for i := 0; i < 3; i++ {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	got := l.waitFor(t, 3)
	for i := range 3 {
		if string(got[i]) != Header+fmt.Sprint(i) {
			t.Errorf("datagram %d = %q", i, got[i])
		}
	}
	if n := strings.Count(logs.String(), "Wazuh must be running."); n != 1 {
		t.Errorf("outage warned %d times:\n%s", n, logs)
	}
}

func TestSocketRebound(t *testing.T) {
	path := filepath.Join(queueDir(t), "queue")
	l1 := listen(t, path)
	logs := &logBuf{}
	s := NewSocket(path, logging.NewScript(logs, 1))
	fast(s)
	defer s.Close()
	const n = 200
	for i := 0; i < n/2; i++ {
		if err := s.Send(context.Background(), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	first := l1.waitFor(t, n/2)
	// agentd restarts: its socket goes away and comes back later.
	l1.close()
	os.Remove(path)
	errc := make(chan error, 1)
	go func() {
		for i := n / 2; i < n; i++ {
			if err := s.Send(context.Background(), []byte(fmt.Sprint(i))); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	time.Sleep(150 * time.Millisecond)
	l2 := listen(t, path)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	all := append(first, l2.waitFor(t, n/2)...)
	for i := 0; i < n; i++ {
		if string(all[i]) != Header+fmt.Sprint(i) {
			t.Fatalf("datagram %d = %q", i, all[i])
		}
	}
	if n := strings.Count(logs.String(), "Wazuh must be running."); n != 1 {
		t.Errorf("outage warned %d times:\n%s", n, logs)
	}
}

func TestSocketWaitFile(t *testing.T) {
	dir := queueDir(t)
	path := filepath.Join(dir, "queue")
	l := listen(t, path)
	wait := filepath.Join(dir, WaitFile)
	if err := os.WriteFile(wait, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := NewSocket(path, nil)
	fast(s)
	defer s.Close()
	errc := make(chan error, 1)
	go func() { errc <- s.Send(context.Background(), []byte("held")) }()
	time.Sleep(200 * time.Millisecond)
	if f := l.frames(); len(f) != 0 {
		t.Fatalf("sent while %s existed: %q", WaitFile, f)
	}
	select {
	case err := <-errc:
		t.Fatalf("Send returned %v while paused", err)
	default:
	}
	os.Remove(wait)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got := l.waitFor(t, 1); string(got[0]) != Header+"held" {
		t.Errorf("got %q", got[0])
	}

	// A cancelled context ends the pause.
	time.Sleep(2 * DefaultTiming().WaitCheckGap)
	os.WriteFile(wait, nil, 0o600)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Send(ctx, []byte("never")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send during pause with expired ctx = %v", err)
	}
}

func TestSocketCancel(t *testing.T) {
	path := filepath.Join(queueDir(t), "queue") // nothing bound: outage
	s := NewSocket(path, nil)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Send(ctx, []byte("x")) }()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Send = %v, want context.Canceled", err)
		}
		if el := time.Since(start); el > 100*time.Millisecond {
			t.Errorf("returned %v after cancel", el)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Send did not return after cancel")
	}

	// Close ends a Send that waits for the queue as well.
	go func() { errc <- s.Send(context.Background(), []byte("x")) }()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Send after Close = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Send did not return after Close")
	}
}

func TestSocketTooLarge(t *testing.T) {
	path := filepath.Join(queueDir(t), "queue")
	listen(t, path)
	s := NewSocket(path, nil)
	defer s.Close()
	done := make(chan error, 1)
	go func() { done <- s.Send(context.Background(), make([]byte, 4<<20)) }()
	select {
	case err := <-done:
		var e *Error
		if !errors.Is(err, syscall.EMSGSIZE) || !errors.As(err, &e) || e.Size != len(Header)+4<<20 {
			t.Errorf("Send of 4 MiB = %v, want EMSGSIZE *Error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("oversize Send loops")
	}
	// The socket is still usable.
	if err := s.Send(context.Background(), []byte("ok")); err != nil {
		t.Fatal(err)
	}
}

func TestSocketPermanentErrors(t *testing.T) {
	dir := queueDir(t)
	stream := filepath.Join(dir, "stream")
	ln, err := net.Listen("unix", stream) // wrong socket type: EPROTOTYPE
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	long := filepath.Join(dir, strings.Repeat("l", 120), "queue") // beyond sun_path
	for _, path := range []string{stream, long} {
		s := NewSocket(path, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := s.Send(ctx, []byte("x"))
		cancel()
		s.Close()
		var e *Error
		if !errors.As(err, &e) || e.Op != "connect" || e.Path != path {
			t.Errorf("Send to %.30s... = %v, want a connect *Error", path, err)
		}
	}
}

func TestSocketConcurrent(t *testing.T) {
	path := filepath.Join(queueDir(t), "queue")
	l := listen(t, path)
	s := NewSocket(path, nil)
	defer s.Close()
	c := NewCounting(s)
	const senders, per = 8, 500
	var wg sync.WaitGroup
	for w := 0; w < senders; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if err := c.Send(context.Background(), []byte(fmt.Sprintf("%d/%d", w, i))); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	got := l.waitFor(t, senders*per)
	seen := map[string]bool{}
	next := make([]int, senders)
	for _, f := range got {
		var w, i int
		if _, err := fmt.Sscanf(strings.TrimPrefix(string(f), Header), "%d/%d", &w, &i); err != nil {
			t.Fatalf("bad datagram %q", f)
		}
		if seen[string(f)] {
			t.Errorf("duplicate %q", f)
		}
		seen[string(f)] = true
		if i != next[w] {
			t.Errorf("sender %d: got %d after %d", w, i, next[w]-1)
		}
		next[w] = i + 1
	}
	if len(seen) != senders*per || c.Events() != senders*per {
		t.Errorf("received %d distinct, counted %d, want %d", len(seen), c.Events(), senders*per)
	}
}

// BenchmarkSocketSend sends 1 KiB events one Send each ("one") and 64
// per SendBatch ("batch").
func BenchmarkSocketSend(b *testing.B) {
	path := filepath.Join(queueDir(b), "queue")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	go func() {
		buf := make([]byte, 1<<17)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
		}
	}()
	s := NewSocket(path, nil)
	defer s.Close()
	ev := bytes.Repeat([]byte("a"), 1024)
	b.Run("one", func(b *testing.B) {
		b.SetBytes(int64(len(ev)))
		for i := 0; i < b.N; i++ {
			if err := s.Send(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("batch", func(b *testing.B) {
		batch := make([][]byte, 64)
		for i := range batch {
			batch[i] = ev
		}
		b.SetBytes(int64(len(ev)))
		for i := 0; i < b.N; i += len(batch) {
			k := min(len(batch), b.N-i)
			if n, err := s.SendBatch(context.Background(), batch[:k]); err != nil || n != k {
				b.Fatal(n, err)
			}
		}
	})
}

// TestSocketBatchFullQueue sends batches larger than the queue holds while
// agentd reads slowly: every datagram arrives once, in order, and the
// count is exact.
func TestSocketBatchFullQueue(t *testing.T) {
	path := filepath.Join(queueDir(t), "queue")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s := NewSocket(path, nil)
	defer s.Close()
	c := NewCounting(s)
	const n = 1000
	events := make([][]byte, n)
	for i := range events {
		events[i] = []byte(fmt.Sprintf("%d %s", i, bytes.Repeat([]byte("x"), i%700)))
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		sent := 0
		for sent < n {
			k, err := c.SendBatch(context.Background(), events[sent:min(n, sent+150)])
			sent += k
			if err != nil {
				done <- result{sent, err}
				return
			}
		}
		done <- result{sent, nil}
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("all %d sends returned (%v) while nobody read; the queue cannot hold them", r.n, r.err)
	default:
	}
	buf := make([]byte, 4096)
	for i := 0; i < n; i++ {
		if i%100 == 0 {
			time.Sleep(5 * time.Millisecond) // a slow reader
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		k, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("after %d datagrams: %v", i, err)
		}
		if want := Header + string(events[i]); string(buf[:k]) != want {
			t.Fatalf("datagram %d = %.20q, want %.20q", i, buf[:k], want)
		}
	}
	if r := <-done; r.err != nil || r.n != n {
		t.Fatalf("SendBatch accepted %d, %v; want %d", r.n, r.err, n)
	}
	conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if k, err := conn.Read(buf); err == nil {
		t.Fatalf("extra datagram %.20q", buf[:k])
	}
	if c.Events() != n {
		t.Errorf("counted %d events, want %d", c.Events(), n)
	}
}

// TestSocketBatchTooLarge: a datagram the kernel refuses in the middle of
// a batch stops it there; those before it are delivered and counted, none
// after it is sent.
func TestSocketBatchTooLarge(t *testing.T) {
	path := filepath.Join(queueDir(t), "queue")
	l := listen(t, path)
	s := NewSocket(path, nil)
	defer s.Close()
	events := [][]byte{[]byte("a"), []byte("b"), make([]byte, 4<<20), []byte("d")}
	n, err := s.SendBatch(context.Background(), events)
	var e *Error
	if n != 2 || !errors.Is(err, syscall.EMSGSIZE) || !errors.As(err, &e) || e.Size != len(Header)+4<<20 {
		t.Fatalf("SendBatch = %d, %v; want 2, EMSGSIZE *Error", n, err)
	}
	if n, err := s.SendBatch(context.Background(), events[3:]); n != 1 || err != nil {
		t.Fatalf("SendBatch after = %d, %v", n, err)
	}
	got := l.waitFor(t, 3)
	time.Sleep(20 * time.Millisecond)
	got = l.frames()
	want := []string{Header + "a", Header + "b", Header + "d"}
	if len(got) != len(want) {
		t.Fatalf("received %d datagrams, want %d", len(got), len(want))
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("datagram %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// TestSocketBatchRebound: agentd restarts in the middle of a batch; the
// batch waits for the new socket and delivers the rest once each.
func TestSocketBatchRebound(t *testing.T) {
	path := filepath.Join(queueDir(t), "queue")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSocket(path, nil)
	fast(s)
	defer s.Close()
	// Fill agentd's queue so that the batch stops part way.
	const n = 2000
	events := make([][]byte, n)
	for i := range events {
		events[i] = []byte(fmt.Sprintf("%d %s", i, bytes.Repeat([]byte("y"), 500)))
	}
	done := make(chan error, 1)
	var sent atomic.Int64
	go func() {
		k, err := s.SendBatch(context.Background(), events)
		sent.Store(int64(k))
		done <- err
	}()
	// Read some, then "restart" agentd: the unread datagrams are lost with
	// its socket, as they are in Wazuh.
	buf := make([]byte, 4096)
	read := 0
	for ; read < 50; read++ {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		k, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if want := Header + string(events[read]); string(buf[:k]) != want {
			t.Fatalf("datagram %d = %.20q", read, buf[:k])
		}
	}
	time.Sleep(50 * time.Millisecond)
	conn.Close()
	os.Remove(path)
	time.Sleep(50 * time.Millisecond)
	l := listen(t, path)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The first datagram the new socket gets follows, without a gap or a
	// repeat, the last one the kernel accepted for the old socket.
	got := l.waitFor(t, 1)
	var first int
	fmt.Sscanf(strings.TrimPrefix(string(got[0]), Header), "%d", &first)
	if first <= read-1 || first >= n {
		t.Fatalf("first datagram after the restart is %d (read %d before)", first, read)
	}
	got = l.waitFor(t, n-first)
	for i, f := range got {
		if want := Header + string(events[first+i]); string(f) != want {
			t.Fatalf("datagram %d after the restart = %.20q, want %.20q", i, f, want)
		}
	}
	if sent.Load() != n {
		t.Errorf("SendBatch accepted %d, want %d", sent.Load(), n)
	}
}

func TestSocketFullQueue(t *testing.T) {
	path := filepath.Join(queueDir(t), "queue")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s := NewSocket(path, nil)
	defer s.Close()
	const n = 300
	var sent atomic.Int32
	errc := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			if err := s.Send(context.Background(), []byte(fmt.Sprint(i))); err != nil {
				errc <- err
				return
			}
			sent.Add(1)
		}
		errc <- nil
	}()
	time.Sleep(200 * time.Millisecond)
	if k := sent.Load(); k >= n {
		t.Fatalf("all %d sends returned while nobody read; the queue cannot hold them", k)
	}
	// A full queue still honours the context.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	start := time.Now()
	s2 := NewSocket(path, nil)
	if err := s2.Send(ctx, []byte("extra")); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("Send on a full queue = %v after %v", err, time.Since(start))
	}
	cancel()
	s2.Close()
	buf := make([]byte, 1024)
	for i := 0; i < n; i++ {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		k, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("after %d datagrams: %v", i, err)
		}
		if string(buf[:k]) != Header+fmt.Sprint(i) {
			t.Fatalf("datagram %d = %q", i, buf[:k])
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestSocketPathNotSocket(t *testing.T) {
	dir := queueDir(t)
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	for path, what := range map[string]string{file: "a regular file", sub: "a directory"} {
		logs := &logBuf{}
		s := NewSocket(path, logging.NewScript(logs, 1))
		fast(s)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := s.Send(ctx, []byte("x"))
		cancel()
		s.Close()
		var ns *NotSocketError
		if !errors.As(err, &ns) || ns.What != what {
			t.Fatalf("Send to %s = %v, want a *NotSocketError for %s", path, err, what)
		}
		want := "sink: connect " + path + ": is " + what + ", not a socket"
		if err.Error() != want {
			t.Errorf("error = %q, want %q", err, want)
		}
		if strings.Contains(logs.String(), "Wazuh must be running") {
			t.Errorf("%s reported as an outage:\n%s", what, logs)
		}
	}
}

// A socket file that nobody listens on (agentd died without removing it)
// is an outage, not a wrong path: Send waits.
func TestSocketStaleSocketWaits(t *testing.T) {
	path := filepath.Join(queueDir(t), "queue")
	l := listen(t, path)
	l.close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	s := NewSocket(path, nil)
	fast(s)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.Send(ctx, []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send to a stale socket = %v, want it to wait until the context ends", err)
	}
}
