//go:build aws_s3_testhooks

package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include <stdlib.h>
#include "aws_s3.h"
*/
import "C"

import (
	"context"
	"unsafe"
)

// getenv reads the C environment: the tests set variables after the Go
// runtime copied its own at load time.
func getenv(name string) string {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if v := C.getenv(cname); v != nil {
		return C.GoString(v)
	}
	return ""
}

// A library built with -tags aws_s3_testhooks lets the C tests reach paths
// that core cannot produce on demand:
//   - AWS_S3_TEST_PANIC=<init|run|dump> panics inside that export;
//   - AWS_S3_TEST_BLOCK=1 makes aws_s3_run wait for its context instead of
//     processing the target, and return AWS_S3_EXIT_ARGUMENTS once it is
//     cancelled (the script's code for an interrupted run).
func init() {
	testHook = func(where string) {
		if getenv("AWS_S3_TEST_PANIC") == where {
			panic("test panic in " + where)
		}
	}
	real := process
	process = func(ctx context.Context, h *host, data []byte) C.int {
		if getenv("AWS_S3_TEST_BLOCK") == "" {
			return real(ctx, h, data)
		}
		<-ctx.Done()
		return C.AWS_S3_EXIT_ARGUMENTS
	}
}
