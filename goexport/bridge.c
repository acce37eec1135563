/*
 * The exports that must not enter Go: aws_s3_stop runs in wazuh-modulesd's
 * SIGTERM handler, where calling into the Go runtime can hang
 * (golang/go#35814), so it only stores to a flag that runs poll.
 * aws_s3_set_log_at only stores a pointer, so it needs no Go either.
 */
#include "bridge.h"

volatile sig_atomic_t aws_s3_stop_requested __attribute__((visibility("hidden"))) = 0;

EXPORTED void aws_s3_stop(void) {
    aws_s3_stop_requested = 1;
}

EXPORTED void aws_s3_free(void *ptr) {
    free(ptr);
}

aws_s3_log_at_callback aws_s3_log_at_fn __attribute__((visibility("hidden"))) = NULL;

EXPORTED void aws_s3_set_log_at(aws_s3_log_at_callback fn) {
    __atomic_store_n(&aws_s3_log_at_fn, fn, __ATOMIC_RELEASE);
}
