/*
 * The library's C interface as a host sees it: loading, init, argument
 * errors and their codes, log lines through the callback, the dump.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "library.h"

static library lib;

static int reset(void **state) {
    (void)state;
    host_reset();
    return 0;
}

/* Must run before any init: the registration is process-wide. */
static void test_run_before_init(void **state) {
    (void)state;
    assert_int_equal(lib.run("{\"bucket\":{\"name\":\"b\"}}"), AWS_S3_ENOTINIT);
    assert_int_equal(recorded.nlines, 0);
}

static void test_version(void **state) {
    (void)state;
    const char *v = lib.version();
    assert_non_null(v);
    assert_true(strncmp(v, "aws-s3-go ", 10) == 0);
    assert_true(strlen(v) > 10);
    /* Static storage: the same pointer every time. */
    assert_ptr_equal(v, lib.version());
}

static void test_init_rejects_incomplete_hosts(void **state) {
    (void)state;
    assert_int_equal(lib.init(NULL), AWS_S3_EINVAL);

    aws_s3_host h = host_new("/var/ossec");
    h.log = NULL;
    assert_int_equal(lib.init(&h), AWS_S3_EINVAL);

    h = host_new("/var/ossec");
    h.send = NULL;
    assert_int_equal(lib.init(&h), AWS_S3_EINVAL);
    assert_true(host_find(AWS_S3_LOG_ERROR, "no send callback") >= 0);

    h = host_new("");
    assert_int_equal(lib.init(&h), AWS_S3_EINVAL);
    assert_true(host_find(AWS_S3_LOG_ERROR, "no Wazuh home directory") >= 0);

    /* None of them registered a host. */
    assert_int_equal(lib.run("{}"), AWS_S3_ENOTINIT);
}

static void test_init(void **state) {
    (void)state;
    /* The library copies the host: it may live on the stack. */
    char home[64];
    snprintf(home, sizeof(home), "%s", "/var/ossec");
    aws_s3_host h = host_new(home);
    assert_int_equal(lib.init(&h), AWS_S3_OK);
    memset(home, 'x', sizeof(home) - 1);
    /* Repeatable. */
    h = host_new("/var/ossec");
    assert_int_equal(lib.init(&h), AWS_S3_OK);
}

typedef struct {
    const char *name;
    const char *json; /* NULL: pass NULL */
    int code;
    const char *log;  /* part of the ERROR line expected through the callback */
} run_case;

static void test_run_rejects_bad_targets(void **state) {
    (void)state;
    const run_case cases[] = {
        {"null", NULL, AWS_S3_EINVAL, "target_json is NULL"},
        {"not json", "this is not json", AWS_S3_EINVAL, "Invalid target"},
        {"truncated", "{\"bucket\":", AWS_S3_EINVAL, "Invalid target"},
        {"no kind", "{\"skip_on_error\":\"no\"}", AWS_S3_EINVAL, "exactly one of"},
        {"two kinds", "{\"bucket\":{\"name\":\"b\"},\"service\":{\"type\":\"inspector\"}}", AWS_S3_EINVAL,
         "exactly one of"},
        {"unknown key", "{\"bucket\":{\"name\":\"b\",\"colour\":\"red\"}}", AWS_S3_EINVAL, "colour"},
        /* Values ossec.conf or the script would reject: the script's code. */
        {"invalid name", "{\"bucket\":{\"name\":\"Bad_Name\"}}", AWS_S3_EXIT_ARGUMENTS, "Bad_Name"},
        {"invalid skip", "{\"bucket\":{\"name\":\"my-bucket\"},\"skip_on_error\":\"maybe\"}", AWS_S3_EXIT_ARGUMENTS,
         "skip_on_error"},
    };
    aws_s3_host h = host_new("/var/ossec");
    assert_int_equal(lib.init(&h), AWS_S3_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        host_reset();
        int rc = lib.run(cases[i].json);
        if (rc != cases[i].code) {
            fail_msg("%s: aws_s3_run returned %d, want %d", cases[i].name, rc, cases[i].code);
        }
        int at = host_find(AWS_S3_LOG_ERROR, cases[i].log);
        if (at < 0) {
            fail_msg("%s: no ERROR line containing '%s' (%d lines)", cases[i].name, cases[i].log, recorded.nlines);
        }
        assert_string_equal(recorded.tags[at], AWS_S3_LOG_TAG);
    }
}

/* The script exits 12 for an unknown --type; until the validation reports
 * that code, a bad type is an argument error like any other bad value. */
static void test_run_rejects_invalid_type(void **state) {
    (void)state;
    aws_s3_host h = host_new("/var/ossec");
    assert_int_equal(lib.init(&h), AWS_S3_OK);
    int rc = lib.run("{\"bucket\":{\"name\":\"my-bucket\",\"type\":\"nope\"}}");
    if (rc != AWS_S3_EXIT_INVALID_TYPE && rc != AWS_S3_EXIT_ARGUMENTS) {
        fail_msg("aws_s3_run returned %d for an invalid type", rc);
    }
    assert_true(host_find(AWS_S3_LOG_ERROR, "Invalid bucket type 'nope'") >= 0);
}

static void test_dump_masks_secrets(void **state) {
    (void)state;
    char *out = lib.dump("{\"bucket\":{\"name\":\"my-bucket\",\"type\":\"cloudtrail\","
                         "\"access_key\":\"AKIAEXAMPLEKEY\",\"secret_key\":\"s3cr3tValue\","
                         "\"aws_organization_id\":\"o-abc\",\"path\":\"logs\"},\"debug\":2}");
    assert_non_null(out);
    assert_null(strstr(out, "AKIAEXAMPLEKEY"));
    assert_null(strstr(out, "s3cr3tValue"));
    assert_non_null(strstr(out, "\"access_key\":\"****\""));
    assert_non_null(strstr(out, "\"secret_key\":\"****\""));
    assert_non_null(strstr(out, "\"name\":\"my-bucket\""));
    assert_non_null(strstr(out, "\"aws_organization_id\":\"o-abc\""));
    /* Normalised: the prefix gains its slash. */
    assert_non_null(strstr(out, "\"path\":\"logs/\""));
    assert_non_null(strstr(out, "\"debug\":2"));
    lib.free(out);
}

static void test_dump_invalid(void **state) {
    (void)state;
    aws_s3_host h = host_new("/var/ossec");
    assert_int_equal(lib.init(&h), AWS_S3_OK);
    host_reset();
    assert_null(lib.dump(NULL));
    assert_null(lib.dump("[1, 2]"));
    assert_true(host_find(AWS_S3_LOG_ERROR, "Invalid target") >= 0);
    lib.free(NULL);
}

static void test_stop_is_harmless_without_runs(void **state) {
    (void)state;
    lib.stop();
    lib.stop();
    aws_s3_host h = host_new("/var/ossec");
    assert_int_equal(lib.init(&h), AWS_S3_OK);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    library_load(&lib);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_run_before_init, reset),
        cmocka_unit_test_setup(test_version, reset),
        cmocka_unit_test_setup(test_init_rejects_incomplete_hosts, reset),
        cmocka_unit_test_setup(test_init, reset),
        cmocka_unit_test_setup(test_run_rejects_bad_targets, reset),
        cmocka_unit_test_setup(test_run_rejects_invalid_type, reset),
        cmocka_unit_test_setup(test_dump_masks_secrets, reset),
        cmocka_unit_test_setup(test_dump_invalid, reset),
        cmocka_unit_test_setup(test_stop_is_harmless_without_runs, reset),
    };
    return cmocka_run_group_tests_name("smoke", tests, NULL, NULL);
}
