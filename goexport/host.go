package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include "bridge.h"
*/
import "C"

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
)

// logTag is the tag of every line handed to the log callback.
const logTag = "wazuh-modulesd:aws-s3"

// pollInterval bounds how late a run notices aws_s3_stop or the host's
// shutdown predicate.
const pollInterval = 100 * time.Millisecond

// C copies of constant strings, made once: the library is never unloaded.
var (
	cLogTag   = C.CString(logTag)
	cLocation = C.CString(sink.Location)
)

// host is what aws_s3_init registered: Go copies of the strings, the C
// callbacks as they were given.
type host struct {
	home    string
	version string
	logFn   C.aws_s3_log_callback
	sendFn  C.aws_s3_send_callback
	downFn  C.aws_s3_is_shutting_down_callback
	bufs    cbufs // C copies of the events for sendFn
}

// log hands one line to the host at a Wazuh level (logging.Level*): to
// the callback of aws_s3_set_log_at with the line's origin when the host
// set one, otherwise to its log callback.
func (h *host) log(level int, msg string) {
	cmsg := C.CString(msg)
	defer C.free(unsafe.Pointer(cmsg))
	if C.bridge_has_log_at() != 0 {
		file, line, fn := origin()
		cfile, cfn := C.CString(file), C.CString(fn)
		defer C.free(unsafe.Pointer(cfile))
		defer C.free(unsafe.Pointer(cfn))
		if C.bridge_log_at(C.int(level), cLogTag, cfile, C.int(line), cfn, cmsg) != 0 {
			return
		}
	}
	C.bridge_log(h.logFn, C.int(level), cLogTag, cmsg)
}

// modulePath is the prefix origin strips from file and function names.
const modulePath = "github.com/wazuh/aws-s3-go/"

// origin is the code that logged the current line: the first caller
// outside this method and the logging package, as a file relative to the
// module ("core/bucket/bucket.go"), its line and function
// ("bucket.(*run).preflight"), so an operator reading ossec.log sees which
// part of the collector spoke rather than the shim's callback.
func origin() (file string, line int, function string) {
	var pcs [16]uintptr
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs[:])])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, modulePath+"core/logging.") && f.Function != "main.(*host).log" {
			file = f.File
			if i := strings.Index(file, modulePath); i >= 0 {
				file = file[i+len(modulePath):]
			}
			function = strings.TrimPrefix(f.Function, modulePath+"core/")
			function = strings.TrimPrefix(function, modulePath)
			return file, f.Line, function
		}
		if !more {
			return "goexport", 0, "aws_s3"
		}
	}
}

// stopping reports whether the run should end: aws_s3_stop was called or
// the host is shutting down.
func (h *host) stopping() bool {
	return C.bridge_stop_requested() != 0 || C.bridge_is_shutting_down(h.downFn) != 0
}

// watch cancels ctx once the host wants the run to end, and returns when
// ctx is done.
func (h *host) watch(ctx context.Context, cancel context.CancelFunc) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		if h.stopping() {
			cancel()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// logger returns the collector's Logger for a run at debug level debug.
func (h *host) logger(debug int) logging.Logger {
	return logging.NewFunc(h.log, debug)
}

// send hands one event to the host's send callback and returns its code
// (0 delivered). The callback takes a NUL-terminated string and may not
// keep the pointer, so the event is copied into a C buffer that is reused
// once the call returns: no C allocation per event.
func (h *host) send(location string, payload []byte) int {
	loc := cLocation
	if location != sink.Location {
		loc = C.CString(location)
		defer C.free(unsafe.Pointer(loc))
	}
	b := h.bufs.get(len(payload) + 1)
	defer h.bufs.put(b)
	buf := unsafe.Slice((*byte)(b.p), len(payload)+1)
	copy(buf, payload)
	buf[len(payload)] = 0
	return int(C.bridge_send(h.sendFn, loc, (*C.char)(b.p)))
}

// cbuf is a block of C memory.
type cbuf struct {
	p    unsafe.Pointer
	size int
}

// cbufs keeps the C buffers of finished sends for the next ones. A run
// sends one event at a time, so it reuses one buffer; runs sending at
// once (a host may run targets in parallel) take one each.
type cbufs struct {
	mu     sync.Mutex
	free   []cbuf
	closed bool // the host was replaced: buffers given back are freed
}

const (
	// keepBufs is how many idle buffers are kept: more runs than that
	// sending at once allocate for the extra ones.
	keepBufs = 8
	// keepSize is the largest buffer kept; it holds any event the queue
	// takes (event.MaxEvent), so only an unusual payload allocates.
	keepSize = 128 << 10
	minSize  = 4 << 10
)

// get returns a buffer of at least n bytes.
func (c *cbufs) get(n int) cbuf {
	var b cbuf
	c.mu.Lock()
	if k := len(c.free); k > 0 {
		b = c.free[k-1]
		c.free = c.free[:k-1]
	}
	c.mu.Unlock()
	if b.size >= n {
		return b
	}
	C.free(b.p)
	size := minSize
	for size < n {
		size *= 2
	}
	return cbuf{p: C.malloc(C.size_t(size)), size: size}
}

// put gives b back for reuse, or frees it.
func (c *cbufs) put(b cbuf) {
	c.mu.Lock()
	if !c.closed && len(c.free) < keepBufs && b.size <= keepSize {
		c.free = append(c.free, b)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	C.free(b.p)
}

// release frees the idle buffers, and makes put free those in use.
func (c *cbufs) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, b := range c.free {
		C.free(b.p)
	}
	c.free = nil
}

// registry is the host registered by aws_s3_init and the runs using it.
// It is process-wide because the C interface is: one library per process,
// initialised by the host, never unloaded.
type registry struct {
	mu   sync.Mutex
	host *host
	runs int
}

var reg registry

// set registers h unless a run is in progress.
func (r *registry) set(h *host) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runs > 0 {
		return false
	}
	if r.host != nil {
		r.host.bufs.release()
	}
	r.host = h
	return true
}

// acquire returns the registered host (nil before aws_s3_init) and counts
// a run until release is called.
func (r *registry) acquire() (h *host, release func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.host == nil {
		return nil, func() {}
	}
	r.runs++
	return r.host, func() {
		r.mu.Lock()
		r.runs--
		r.mu.Unlock()
	}
}

// current returns the registered host, or nil.
func (r *registry) current() *host {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.host
}
