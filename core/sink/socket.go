//go:build unix

package sink

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wazuh/aws-s3-go/core/logging"
)

// WaitFile is the name of the file agentd creates next to the queue socket
// while producers must pause (Wazuh 5.x, queue/sockets/.wait).
const WaitFile = ".wait"

// sndBuf is the send buffer the agent's own writers ask for (OS_MAXSTR +
// 256); it bounds the largest datagram the kernel accepts.
const sndBuf = 65536 + 256

// Error is a delivery failure that retrying cannot cure. Err is the
// syscall.Errno; errors.Is(err, syscall.EMSGSIZE) identifies an event too
// large for a datagram (the caller trims events first, so it means a bug or
// a system with a tiny socket buffer).
type Error struct {
	Op   string // "socket", "connect" or "send"
	Path string
	Size int // frame length, for "send"
	Err  error
}

func (e *Error) Error() string {
	if e.Op == "send" {
		return fmt.Sprintf("sink: send %d bytes to %s: %v", e.Size, e.Path, e.Err)
	}
	return fmt.Sprintf("sink: %s %s: %v", e.Op, e.Path, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Socket sends events to the agent's queue socket (AF_UNIX, SOCK_DGRAM,
// <home>/queue/sockets/queue), framed as Header+event without a trailing
// NUL, exactly like the reference script. Unlike the script it keeps one
// connected socket, waits while agentd's .wait file exists, and when the
// socket is missing or refuses (agentd stopped or restarting) it warns once
// and reconnects with back-off until the context ends: an event is never
// dropped.
//
// A datagram accepted by the kernel but still queued when agentd exits is
// lost with agentd's socket; that is outside what a sender can see.
type Socket struct {
	// Timing paces retries; set it, if at all, before the first Send.
	Timing Timing

	path     string
	waitPath string
	log      logging.Logger

	lastClear atomic.Int64 // unix ns of the last time .wait was absent
	closing   chan struct{}

	mu     sync.Mutex
	conn   *net.UnixConn // nil when not connected
	raw    syscall.RawConn
	down   bool // an outage was reported and not yet cleared
	paused bool // a .wait pause was reported
	closed bool
	frames frames

	// The send in progress (sendLocked), where attempt, which Go's
	// poller may call several times, finds it and leaves its outcome:
	// fields and functions made once rather than a closure per send.
	pending   [][]byte
	sent      int
	sendErr   error
	attemptFn func(fd uintptr) bool
	controlFn func(fd uintptr)
}

// NewSocket returns a Socket for the queue socket at path. Nothing is
// opened until the first Send.
func NewSocket(path string, log logging.Logger) *Socket {
	if log == nil {
		log = logging.Discard{}
	}
	s := &Socket{
		Timing:   DefaultTiming(),
		path:     path,
		waitPath: filepath.Join(filepath.Dir(path), WaitFile),
		log:      log,
		closing:  make(chan struct{}),
	}
	s.attemptFn = s.attempt
	s.controlFn = func(fd uintptr) { s.attempt(fd) }
	return s
}

// Path returns the socket's path.
func (s *Socket) Path() string { return s.path }

// Send delivers Header+event as one datagram. It returns nil once the
// kernel accepted it, ctx.Err() when ctx ends first, ErrClosed after Close,
// or an *Error that retrying cannot cure.
func (s *Socket) Send(ctx context.Context, event []byte) error {
	_, err := s.SendBatch(ctx, [][]byte{event})
	return err
}

// SendBatch delivers each event as Send does, in order, several datagrams
// per system call where the system allows it. The kernel may accept only
// the first datagrams of a call (the queue filled up, agentd went away, a
// datagram is too large): only those count, and the rest are retried as
// Send retries an event, so none is lost or sent twice. n is how many
// events were accepted.
func (s *Socket) SendBatch(ctx context.Context, events [][]byte) (n int, err error) {
	tm := s.Timing.withDefaults()
	reconnect, busy := tm.Reconnect.start(), tm.Busy.start()
	for n < len(events) {
		if err := s.waitClear(ctx, tm); err != nil {
			return n, err
		}
		k, retry, err := s.try(events[n:], tm.BusyWait)
		if k > 0 {
			// Each event starts its back-off afresh, as with Send.
			n += k
			reconnect, busy = tm.Reconnect.start(), tm.Busy.start()
		}
		switch {
		case err != nil:
			return n, err
		case retry == retryNone:
		case retry == retryAgain:
			if err := ctx.Err(); err != nil {
				return n, err
			}
		case retry == retryBusy:
			if err := busy.wait(ctx, s.closing); err != nil {
				return n, err
			}
		default:
			if err := reconnect.wait(ctx, s.closing); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

type retryKind int

const (
	retryNone  retryKind = iota
	retryAgain           // immediately: the wait was done by sendLocked
	retryBusy
	retryConnect
)

// try makes one attempt: connect if needed, send once. n is how many of
// the first events the kernel accepted; a failure concerns events[n].
func (s *Socket) try(events [][]byte, busyWait time.Duration) (n int, _ retryKind, _ error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, retryNone, ErrClosed
	}
	if s.conn == nil {
		if err := s.connectLocked(); err != nil {
			if !outage(err) {
				return 0, retryNone, err
			}
			if err := notSocket(s.path); err != nil {
				return 0, retryNone, &Error{Op: "connect", Path: s.path, Err: err}
			}
			s.reportDownLocked(err)
			return 0, retryConnect, nil
		}
	}
	n, err := s.sendLocked(events, busyWait)
	if n > 0 && s.down {
		s.down = false
		s.log.Debug(1, "+++ Reconnected to the Wazuh queue "+s.path)
	}
	switch {
	case err == nil:
		return n, retryNone, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, retryAgain, nil // the queue stayed full for busyWait
	case err == syscall.ENOBUFS || err == syscall.EINTR:
		return n, retryBusy, nil
	case outage(err):
		s.closeLocked()
		s.reportDownLocked(err)
		return n, retryConnect, nil
	default:
		return n, retryNone, &Error{Op: "send", Path: s.path, Size: len(Header) + len(events[n]), Err: err}
	}
}

// outage reports whether err means the queue is not there right now
// (agentd stopped or restarting) rather than a permanent problem.
func outage(err error) bool {
	var en syscall.Errno
	if !errors.As(err, &en) {
		return false
	}
	switch en {
	case syscall.ECONNREFUSED, syscall.ENOENT, syscall.ENOTCONN, syscall.ECONNRESET,
		syscall.EPIPE, syscall.EDESTADDRREQ:
		return true
	}
	return false
}

func (s *Socket) reportDownLocked(err error) {
	if s.down {
		return
	}
	s.down = true
	s.log.Warning(fmt.Sprintf("Wazuh must be running. Cannot send to %s: %v; retrying until it is available.", s.path, unwrapErrno(err)))
}

func unwrapErrno(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e.Err
	}
	return err
}

func (s *Socket) connectLocked() error {
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: s.path, Net: "unixgram"})
	if err != nil {
		return &Error{Op: "connect", Path: s.path, Err: errno(err)}
	}
	raw, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return &Error{Op: "socket", Path: s.path, Err: err}
	}
	raw.Control(func(fd uintptr) {
		// Only ever grow it: the system default is often larger.
		if cur, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF); err != nil || cur < sndBuf {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, sndBuf)
		}
	})
	s.conn, s.raw = c, raw
	return nil
}

// notSocket returns a *NotSocketError when path exists but is not a
// socket. The kernel answers ECONNREFUSED for a regular file or a directory
// as it does for a socket nobody listens on, but no restart of agentd cures
// a file in the socket's place, so it must not be retried like an outage.
func notSocket(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	m := fi.Mode()
	what := "a file of mode " + m.String()
	switch {
	case m.Type() == os.ModeSocket:
		return nil
	case m.IsRegular():
		what = "a regular file"
	case m.IsDir():
		what = "a directory"
	case m&os.ModeNamedPipe != 0:
		what = "a named pipe"
	}
	return &NotSocketError{Path: path, What: what}
}

// NotSocketError reports a queue path taken by something other than a
// socket: an installation error that waiting cannot cure.
type NotSocketError struct {
	Path string
	What string // "a regular file", "a directory", ...
}

func (e *NotSocketError) Error() string { return "is " + e.What + ", not a socket" }

// errno digs the syscall.Errno out of a net error, so that outage can
// classify it.
func errno(err error) error {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return err
}

// sendLocked sends the first datagrams of events with sendFlags, in one
// system call. It returns how many the kernel accepted, at least one, or
// the error of the first. When agentd's receive queue is full (EAGAIN) it
// waits for the socket to become writable through Go's poller, at most
// busyWait, so that the caller can look at its context and the .wait file
// again.
func (s *Socket) sendLocked(events [][]byte, busyWait time.Duration) (int, error) {
	s.pending, s.sent, s.sendErr = events, 0, nil
	defer s.clearPending()
	if err := s.raw.Control(s.controlFn); err != nil {
		return 0, err
	}
	if s.sendErr != syscall.EAGAIN {
		return s.sent, s.sendErr
	}
	s.conn.SetWriteDeadline(time.Now().Add(busyWait))
	if err := s.raw.Write(s.attemptFn); err != nil {
		return 0, err
	}
	return s.sent, s.sendErr
}

// attempt makes one system call for s.pending; it reports false, to Go's
// poller, when the queue is full.
func (s *Socket) attempt(fd uintptr) bool {
	s.sent, s.sendErr = s.frames.send(int(fd), s.pending)
	return s.sendErr != syscall.EAGAIN
}

// clearPending drops the events, which the Socket must not keep alive.
func (s *Socket) clearPending() { s.pending = nil }

func (s *Socket) closeLocked() {
	if s.conn != nil {
		s.conn.Close()
		s.conn, s.raw = nil, nil
	}
}

// waitClear returns once agentd's .wait file is absent. It looks at most
// every tm.WaitCheckGap so that a busy sender does not stat per event.
func (s *Socket) waitClear(ctx context.Context, tm Timing) error {
	now := time.Now().UnixNano()
	if now-s.lastClear.Load() < int64(tm.WaitCheckGap) {
		return nil
	}
	for {
		_, err := os.Stat(s.waitPath)
		if err != nil {
			s.lastClear.Store(time.Now().UnixNano())
			s.mu.Lock()
			if s.paused {
				s.paused = false
				s.log.Debug(1, "+++ Wazuh queue resumed ("+s.waitPath+" removed)")
			}
			s.mu.Unlock()
			return nil
		}
		s.mu.Lock()
		if !s.paused {
			s.paused = true
			s.log.Debug(1, "+++ Wazuh queue paused by the agent ("+s.waitPath+" exists); waiting")
		}
		s.mu.Unlock()
		if err := sleep(ctx, s.closing, tm.WaitPoll); err != nil {
			return err
		}
	}
}

// Close closes the socket; Sends waiting for the queue return ErrClosed.
func (s *Socket) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.closing)
	s.closeLocked()
	return nil
}
