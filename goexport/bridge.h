/*
 * bridge.h - C side of the Go/C boundary, included by the cgo preamble.
 *
 * Go cannot call a C function pointer, so each host callback is called
 * through a static inline trampoline here. Everything is static or hidden
 * so that the library exports nothing but the aws_s3_* symbols.
 */
#ifndef AWS_S3_BRIDGE_H
#define AWS_S3_BRIDGE_H

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "aws_s3.h"

/*
 * cgo writes the prototypes of the Go exports without const. These aliases
 * let the Go signatures name the const types of aws_s3.h, so the generated
 * prototypes are compatible with the public ones and the compiler checks
 * that the two agree.
 */
typedef const char aws_s3_cchar;
typedef const aws_s3_host aws_s3_chost;

/* Set by aws_s3_stop (possibly in a signal handler), cleared by init. */
extern volatile sig_atomic_t aws_s3_stop_requested __attribute__((visibility("hidden")));

/* Set by aws_s3_set_log_at; NULL: lines go to the host's log callback. */
extern aws_s3_log_at_callback aws_s3_log_at_fn __attribute__((visibility("hidden")));

static inline int bridge_has_log_at(void) {
    return __atomic_load_n(&aws_s3_log_at_fn, __ATOMIC_ACQUIRE) != NULL;
}

static inline int bridge_log_at(int level, const char *tag, const char *file, int line, const char *func,
                                const char *msg) {
    aws_s3_log_at_callback fn = __atomic_load_n(&aws_s3_log_at_fn, __ATOMIC_ACQUIRE);
    if (fn == NULL) {
        return 0;
    }
    fn(level, tag, file, line, func, msg);
    return 1;
}

static inline int bridge_stop_requested(void) { return aws_s3_stop_requested != 0; }
static inline void bridge_clear_stop(void) { aws_s3_stop_requested = 0; }

static inline void bridge_log(aws_s3_log_callback fn, int level, const char *tag, const char *msg) {
    fn(level, tag, msg);
}

static inline int bridge_send(aws_s3_send_callback fn, const char *location, const char *payload) {
    return fn(location, payload);
}

static inline int bridge_is_shutting_down(aws_s3_is_shutting_down_callback fn) {
    return fn != NULL && fn();
}

#endif
