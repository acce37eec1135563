package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include "bridge.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"unsafe"

	"github.com/wazuh/aws-s3-go/core/config"
	"github.com/wazuh/aws-s3-go/core/engine"
	"github.com/wazuh/aws-s3-go/core/exit"
	"github.com/wazuh/aws-s3-go/core/logging"
	"github.com/wazuh/aws-s3-go/core/sink"
)

// Return codes of include/aws_s3.h.
const (
	codeNotInit  = C.AWS_S3_ENOTINIT
	codeInvalid  = C.AWS_S3_EINVAL
	codeInternal = C.AWS_S3_EINTERNAL
	codeBusy     = C.AWS_S3_EBUSY
)

// targetCode is the code aws_s3_run returns when target_json is rejected:
// for a value that ossec.conf or the script would reject (*config.Error),
// the script's exit code for it; anything else means the text is not a
// target at all.
func targetCode(err error) C.int {
	if o, ok := exit.Of(err); ok {
		return C.int(o.Code)
	}
	return codeInvalid
}

// report logs a contained panic: a Go panic must never take the host
// process down, but it must not go unnoticed either.
func report(fn string, r any) {
	h := reg.current()
	if h == nil {
		return
	}
	h.log(logging.LevelError, fmt.Sprintf("%s: internal error: %v", fn, r))
	h.log(logging.LevelDebugVerbose, fmt.Sprintf("%s: %s", fn, debug.Stack()))
}

// testHook lets a build with the aws_s3_testhooks tag inject failures; it
// does nothing in the shipped library.
var testHook = func(where string) {}

// process runs one target; a variable so that test builds can stand in for
// core.
var process = func(ctx context.Context, h *host, data []byte) C.int {
	t, err := config.FromJSON(data)
	if err != nil {
		h.log(logging.LevelError, "Invalid target: "+err.Error())
		return targetCode(err)
	}
	log := h.logger(t.Debug)
	events := sink.NewFunc(h.send, log)
	defer events.Close()
	return C.int(engine.Run(ctx, t, engine.Host{
		Home:    h.home,
		Version: h.version,
		Log:     log,
		Sink:    events,
	}))
}

//export aws_s3_init
func aws_s3_init(hp *C.aws_s3_chost) (rc C.int) {
	defer func() {
		if r := recover(); r != nil {
			report("aws_s3_init", r)
			rc = codeInternal
		}
	}()
	if hp == nil || hp.log == nil {
		return codeInvalid
	}
	h := &host{logFn: hp.log, sendFn: hp.send, downFn: hp.is_shutting_down}
	switch {
	case hp.send == nil:
		h.log(logging.LevelError, "aws_s3_init: the host has no send callback")
		return codeInvalid
	case hp.wazuh_home == nil || *hp.wazuh_home == 0:
		h.log(logging.LevelError, "aws_s3_init: the host has no Wazuh home directory")
		return codeInvalid
	}
	h.home = C.GoString((*C.char)(unsafe.Pointer(hp.wazuh_home)))
	if hp.version != nil {
		h.version = C.GoString((*C.char)(unsafe.Pointer(hp.version)))
	}
	testHook("init")
	if !reg.set(h) {
		h.log(logging.LevelError, "aws_s3_init: a run is in progress")
		return codeBusy
	}
	C.bridge_clear_stop()
	return C.AWS_S3_OK
}

//export aws_s3_run
func aws_s3_run(target *C.aws_s3_cchar) (rc C.int) {
	defer func() {
		if r := recover(); r != nil {
			report("aws_s3_run", r)
			rc = codeInternal
		}
	}()
	h, release := reg.acquire()
	if h == nil {
		return codeNotInit
	}
	defer release()
	if target == nil {
		h.log(logging.LevelError, "aws_s3_run: target_json is NULL")
		return codeInvalid
	}
	data := []byte(C.GoString((*C.char)(unsafe.Pointer(target))))

	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		h.watch(ctx, cancel)
	}()
	// The watcher must be gone before returning: no callback may run after
	// aws_s3_run returns.
	defer func() {
		cancel()
		<-watched
	}()
	testHook("run")
	return process(ctx, h, data)
}

//export aws_s3_dump
func aws_s3_dump(target *C.aws_s3_cchar) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			report("aws_s3_dump", r)
			out = nil
		}
	}()
	logErr := func(msg string) {
		if h := reg.current(); h != nil {
			h.log(logging.LevelError, msg)
		}
	}
	if target == nil {
		logErr("aws_s3_dump: target_json is NULL")
		return nil
	}
	testHook("dump")
	t, err := config.FromJSON([]byte(C.GoString((*C.char)(unsafe.Pointer(target)))))
	if err != nil {
		logErr("Invalid target: " + err.Error())
		return nil
	}
	b, err := config.TargetJSON(t) // secrets masked
	if err != nil {
		logErr("aws_s3_dump: " + err.Error())
		return nil
	}
	return C.CString(string(b))
}

var cVersion = sync.OnceValue(func() *C.aws_s3_cchar {
	return (*C.aws_s3_cchar)(unsafe.Pointer(C.CString("aws-s3-go " + version)))
})

//export aws_s3_version
func aws_s3_version() *C.aws_s3_cchar {
	return cVersion()
}
