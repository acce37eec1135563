//go:build linux

package bench

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/wazuh/aws-s3-go/core/sink"
)

// queue stands in for agentd: an AF_UNIX datagram socket at
// <home>/queue/sockets/queue drained by one goroutine, which checks each
// frame's header and counts events and payload bytes.
type queue struct {
	Path   string
	conn   *net.UnixConn
	events atomic.Int64
	bytes  atomic.Int64 // event bytes, headers excluded
	bad    atomic.Int64 // frames without sink.Header
	done   chan struct{}

	// foreign: frames without sink.Header are not events (the reference
	// sends its own log lines, 1:aws-s3:..., to the queue) rather than
	// errors.
	foreign bool
	// frame, when set, is given every event frame as it arrives.
	frame func([]byte)
}

func listenQueue(home string) (*queue, error) { return listen(home, &queue{}) }

// listen binds q to home's queue socket and starts reading it.
func listen(home string, q *queue) (*queue, error) {
	path := filepath.Join(home, "queue", "sockets", "queue")
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("bench: queue directory: %w", err)
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("bench: bind %s: %w", path, err)
	}
	// A generous receive buffer, like agentd's; the kernel's
	// net.unix.max_dgram_qlen still bounds the queue in datagrams.
	conn.SetReadBuffer(8 << 20)
	q.Path, q.conn, q.done = path, conn, make(chan struct{})
	go q.drain()
	return q, nil
}

func (q *queue) drain() {
	defer close(q.done)
	buf := make([]byte, 1<<17)
	header := []byte(sink.Header)
	for {
		n, err := q.conn.Read(buf)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(buf[:n], header) {
			if !q.foreign {
				q.bad.Add(1)
			}
			continue
		}
		if q.frame != nil {
			q.frame(buf[:n])
		}
		q.bytes.Add(int64(n - len(header)))
		q.events.Add(1)
	}
}

// waitFor waits until n events arrived (the kernel may still hold the last
// ones when the engine returns) and fails after limit.
func (q *queue) waitFor(n int64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for q.events.Load() < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: the queue received %d of %d events", q.events.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	if b := q.bad.Load(); b > 0 {
		return fmt.Errorf("bench: %d frames without the %q header", b, sink.Header)
	}
	return nil
}

// reset zeroes the counters between runs.
func (q *queue) reset() {
	q.events.Store(0)
	q.bytes.Store(0)
	q.bad.Store(0)
}

// Close closes the socket and waits for the reader.
func (q *queue) Close() error {
	err := q.conn.Close()
	<-q.done
	os.Remove(q.Path)
	return err
}
