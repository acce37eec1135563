/*
 * Runs against the test variant of the library (-tags aws_s3_testhooks):
 * panics in every export are contained, and aws_s3_stop called from a
 * SIGTERM handler, or the host's shutdown predicate, ends a run that is
 * waiting.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "library.h"

static library lib;

/* Read by the SIGTERM handler. */
static volatile aws_s3_stop_func stop_fn;

static void on_sigterm(int sig) {
    (void)sig;
    if (stop_fn != NULL) {
        stop_fn();
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void init_host(void) {
    aws_s3_host h = host_new("/var/ossec");
    assert_int_equal(lib.init(&h), AWS_S3_OK);
}

static int reset(void **state) {
    (void)state;
    unsetenv("AWS_S3_TEST_PANIC");
    unsetenv("AWS_S3_TEST_BLOCK");
    host_reset();
    return 0;
}

static void test_panic_in_run(void **state) {
    (void)state;
    init_host();
    setenv("AWS_S3_TEST_PANIC", "run", 1);
    assert_int_equal(lib.run("{\"bucket\":{\"name\":\"b\"}}"), AWS_S3_EINTERNAL);
    int at = host_find(AWS_S3_LOG_ERROR, "aws_s3_run: internal error: test panic in run");
    assert_true(at >= 0);
    assert_string_equal(recorded.tags[at], AWS_S3_LOG_TAG);
    /* The stack goes to the verbose debug level only. */
    assert_true(host_find(AWS_S3_LOG_DEBUG_VERBOSE, "goroutine") >= 0);

    /* The library still works. */
    unsetenv("AWS_S3_TEST_PANIC");
    assert_int_equal(lib.run("not json"), AWS_S3_EINVAL);
}

static void test_panic_in_init(void **state) {
    (void)state;
    init_host();
    setenv("AWS_S3_TEST_PANIC", "init", 1);
    aws_s3_host h = host_new("/var/ossec");
    assert_int_equal(lib.init(&h), AWS_S3_EINTERNAL);
    assert_true(host_find(AWS_S3_LOG_ERROR, "aws_s3_init: internal error: test panic in init") >= 0);
    unsetenv("AWS_S3_TEST_PANIC");
    assert_int_equal(lib.init(&h), AWS_S3_OK);
}

static void test_panic_in_dump(void **state) {
    (void)state;
    init_host();
    setenv("AWS_S3_TEST_PANIC", "dump", 1);
    assert_null(lib.dump("{\"bucket\":{\"name\":\"my-bucket\"}}"));
    assert_true(host_find(AWS_S3_LOG_ERROR, "aws_s3_dump: internal error: test panic in dump") >= 0);
}

typedef struct {
    int rc;
    double seconds;
} run_result;

static void *blocked_run(void *arg) {
    run_result *r = arg;
    double start = now();
    r->rc = lib.run("{\"bucket\":{\"name\":\"my-bucket\"}}");
    r->seconds = now() - start;
    return NULL;
}

static void *raise_sigterm_later(void *arg) {
    (void)arg;
    sleep_ms(300);
    kill(getpid(), SIGTERM);
    return NULL;
}

static void *shut_down_later(void *arg) {
    (void)arg;
    sleep_ms(300);
    recorded.shutting_down = 1;
    return NULL;
}

static void test_stop_from_signal_handler(void **state) {
    (void)state;
    init_host();
    setenv("AWS_S3_TEST_BLOCK", "1", 1);
    pthread_t killer;
    run_result r;
    assert_int_equal(pthread_create(&killer, NULL, raise_sigterm_later, NULL), 0);
    blocked_run(&r);
    pthread_join(killer, NULL);
    assert_int_equal(r.rc, AWS_S3_EXIT_ARGUMENTS);
    assert_true(r.seconds >= 0.25); /* it did wait for the signal */
    assert_true(r.seconds < 2.0);

    /* The stop holds for later runs until the next init... */
    blocked_run(&r);
    assert_int_equal(r.rc, AWS_S3_EXIT_ARGUMENTS);
    assert_true(r.seconds < 0.5);

    /* ...which re-arms the library: the host's predicate ends this one. */
    init_host();
    pthread_t shutter;
    assert_int_equal(pthread_create(&shutter, NULL, shut_down_later, NULL), 0);
    blocked_run(&r);
    pthread_join(shutter, NULL);
    assert_int_equal(r.rc, AWS_S3_EXIT_ARGUMENTS);
    assert_true(r.seconds >= 0.25);
    assert_true(r.seconds < 2.0);
}

static void test_init_while_running_and_concurrent_runs(void **state) {
    (void)state;
    init_host();
    setenv("AWS_S3_TEST_BLOCK", "1", 1);
    pthread_t t[2];
    run_result r[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, blocked_run, &r[i]), 0);
    }
    sleep_ms(300);

    aws_s3_host h = host_new("/var/ossec");
    assert_int_equal(lib.init(&h), AWS_S3_EBUSY);
    assert_true(host_find(AWS_S3_LOG_ERROR, "a run is in progress") >= 0);

    double start = now();
    lib.stop();
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].rc, AWS_S3_EXIT_ARGUMENTS);
    }
    assert_true(now() - start < 2.0);

    /* Nothing runs any more: init works again. */
    assert_int_equal(lib.init(&h), AWS_S3_OK);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    /* As in modulesd: the handler exists before the library is loaded. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigterm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);

    library_load(&lib);
    stop_fn = lib.stop;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_panic_in_run, reset),
        cmocka_unit_test_setup(test_panic_in_init, reset),
        cmocka_unit_test_setup(test_panic_in_dump, reset),
        cmocka_unit_test_setup(test_stop_from_signal_handler, reset),
        cmocka_unit_test_setup(test_init_while_running_and_concurrent_runs, reset),
    };
    return cmocka_run_group_tests_name("hooks", tests, NULL, NULL);
}
