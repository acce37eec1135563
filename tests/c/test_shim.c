/*
 * Drives cshim/wm_aws.c, the modulesd side, against the Wazuh API stubs
 * and a scripted fake library: what it logs for each exit code, the
 * target JSON it builds, how events and output lines reach the queue.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wazuh_stubs.h"
#include "wm_aws_shim.h"

static wm_aws *new_config(void) {
    wm_aws *c = calloc(1, sizeof(*c));
    c->enabled = 1;
    c->run_on_start = 1;
    c->scan_config.interval = 600;
    return c;
}

static wm_aws_bucket *new_bucket(const char *name, const char *type) {
    wm_aws_bucket *b = calloc(1, sizeof(*b));
    b->bucket = (char *)name;
    b->type = (char *)type;
    return b;
}

static void run_module(wm_aws *c) { WM_AWS_CONTEXT.start(c); }

static void script_line(int level, const char *line) {
    fake.script.levels[fake.script.nlines] = level;
    fake.script.lines[fake.script.nlines++] = line;
}

static int setup(void **state) {
    (void)state;
    stubs_reset();
    return 0;
}

/* Must run first: the shim resolves the library once per process. */
static void test_missing_library_stops_the_module(void **state) {
    (void)state;
    stubs.library_missing = true;
    wm_aws *c = new_config();
    c->buckets = new_bucket("b", "cloudtrail");

    run_module(c);

    assert_true(stubs_find_part(STUB_ERROR, "Unable to load the AWS S3 library 'libaws_s3.so'") >= 0);
    assert_true(stubs_find_part(STUB_ERROR, "The module cannot run. Exiting...") >= 0);
    assert_int_equal(stubs.startmq_calls, 0);
    assert_int_equal(stubs_find(STUB_INFO, "Module AWS started"), -1);
    free(c->buckets);
    free(c);
}

static void test_disabled_and_empty(void **state) {
    (void)state;
    wm_aws *c = new_config();
    c->enabled = 0;
    c->buckets = new_bucket("b", "cloudtrail");
    run_module(c);
    assert_true(stubs_find(STUB_INFO, "Module AWS is disabled. Exiting...") >= 0);

    c->enabled = 1;
    free(c->buckets);
    c->buckets = NULL;
    run_module(c);
    assert_true(stubs_find(STUB_WARN, "No AWS buckets, services or subscribers defined. Exiting...") >= 0);
    assert_int_equal(fake.runs, 0);
    free(c);
}

/* The databases' metadata version is the one Wazuh compiled in (defs.h:
 * __wazuh_version in 5.x, __ossec_version in 4.x), never NULL: with NULL
 * the library runs bin/wazuh-control, which an agent may lack. */
static void test_version_from_wazuh_macro(void **state) {
    (void)state;
    wm_aws *c = new_config();
    c->buckets = new_bucket("b", "cloudtrail");
    run_module(c);
    assert_int_equal(fake.inits, 1);
    assert_non_null(fake.host.version);
#ifdef AWS_S3_API_OSSEC_VERSION
    assert_string_equal(fake.host.version, "v4.14.0");
#else
    assert_string_equal(fake.host.version, "v5.1.0");
#endif
    free(c->buckets);
    free(c);
}

static void test_bucket_success(void **state) {
    (void)state;
    wm_aws *c = new_config();
    wm_aws_bucket *b = new_bucket("my-trail", "cloudtrail");
    b->access_key = "AKIAEXAMPLEKEY";
    b->secret_key = "s3cr3tValue";
    b->aws_profile = "my \"profile\"";
    b->aws_organization_id = "o-abc";
    b->aws_account_id = "123456789012";
    b->aws_account_alias = "prod";
    b->trail_prefix = "logs/";
    b->regions = "us-east-1,us-east-2";
    b->discard_regex = "a\\b\n";
    b->discard_field = "eventName";
    b->remove_from_bucket = 1;
    c->buckets = b;
    c->skip_on_error = 1;
    stubs.debug = 2;
    script_line(AWS_S3_LOG_DEBUG, "+++ Debug mode on - Level: 2");
    script_line(AWS_S3_LOG_DEBUG_VERBOSE, "+++ Marker: AWSLogs/x");

    run_module(c);

    assert_int_equal(fake.inits, 1);
    assert_int_equal(fake.runs, 1);
    assert_string_equal(
        fake.targets[0],
        "{\"bucket\":{\"type\":\"cloudtrail\",\"name\":\"my-trail\",\"access_key\":\"AKIAEXAMPLEKEY\","
        "\"secret_key\":\"s3cr3tValue\",\"aws_profile\":\"my \\\"profile\\\"\",\"aws_organization_id\":\"o-abc\","
        "\"aws_account_id\":\"123456789012\",\"aws_account_alias\":\"prod\",\"path\":\"logs/\","
        "\"regions\":\"us-east-1,us-east-2\",\"remove_from_bucket\":\"yes\",\"discard_field\":\"eventName\","
        "\"discard_regex\":\"a\\\\b\\n\"},\"skip_on_error\":\"yes\",\"debug\":2}");

    assert_true(stubs_find(STUB_INFO, "Module AWS started") >= 0);
    assert_true(stubs_find(STUB_INFO, "Starting fetching of logs.") >= 0);
    assert_true(stubs_find(STUB_INFO,
                           "Executing Bucket Analysis: (Bucket: my-trail, Path: logs/, Type: cloudtrail, "
                           "Account ID: 123456789012, Account Alias: prod, Organization ID: o-abc, "
                           "Profile: my \"profile\")") >= 0);
    assert_true(stubs_find(STUB_INFO, "Fetching logs finished.") >= 0);
    assert_true(stubs_find(STUB_DEBUG1,
                           "Launching S3 Command: wodles/aws/aws-s3 --bucket my-trail --remove --access_key **** "
                           "--secret_key **** --aws_profile \"my \\\"profile\\\"\" --aws_organization_id o-abc "
                           "--aws_account_id 123456789012 --aws_account_alias \"prod\" --trail_prefix \"logs/\" "
                           "--regions us-east-1,us-east-2 --discard-field \"eventName\" --discard-regex \"a\\\\b\n\" "
                           "--type cloudtrail --debug 2 --skip_on_error") >= 0);
    /* The library's lines, live, at the mapped levels. */
    assert_true(stubs_find(STUB_DEBUG1, "+++ Debug mode on - Level: 2") >= 0);
    assert_true(stubs_find(STUB_DEBUG2, "+++ Marker: AWSLogs/x") >= 0);
    assert_int_equal(stubs_find_part(STUB_WARN, "Returned exit code"), -1);
    assert_int_equal(stubs.state_writes, 1);

    /* Secrets appear in no log line. */
    for (int i = 0; i < stubs.nlogs; i++) {
        assert_null(strstr(stubs.logs[i].msg, "AKIAEXAMPLEKEY"));
        assert_null(strstr(stubs.logs[i].msg, "s3cr3tValue"));
        assert_string_equal(stubs.logs[i].tag, "wazuh-modulesd:aws-s3");
    }

    /* Debug lines stay in the log; only warnings and errors reach the
     * manager as "aws-s3" events (see test_output_forwarding). */
    assert_int_equal(stubs.nsent, 0);
    free(b);
    free(c);
}

typedef struct {
    int code;
    const char *line;   /* one ERROR line the library logs, or NULL */
    const char *expect; /* the warning after "Returned exit code" */
} exit_case;

/* Warnings and errors of a run reach the manager as "aws-s3" events, as the
 * script's output did; debug and info lines do not. */
static void test_output_forwarding(void **state) {
    (void)state;
    wm_aws *c = new_config();
    c->buckets = new_bucket("b", "cloudtrail");
    stubs.debug = 2;
    script_line(AWS_S3_LOG_DEBUG, "++ Found new log: k");
    script_line(AWS_S3_LOG_INFO, "informational");
    script_line(AWS_S3_LOG_WARNING, "WARNING: Could not reformat event {}");
    script_line(AWS_S3_LOG_ERROR, "Failed to parse file k: x");

    run_module(c);

    assert_int_equal(stubs.nsent, 2);
    assert_string_equal(stubs.sent[0].message, "WARNING: Could not reformat event {}");
    assert_string_equal(stubs.sent[0].location, "aws-s3");
    assert_int_equal(stubs.sent[0].loc, '1');
    assert_string_equal(stubs.sent[1].message, "ERROR: Failed to parse file k: x");
    assert_true(stubs_find(STUB_DEBUG1, "++ Found new log: k") >= 0);
    free(c->buckets);
    free(c);
}

static void test_exit_codes(void **state) {
    (void)state;
    const exit_case cases[] = {
        {14, "No files were found in 'b/logs/'. No logs will be processed.",
         "Bucket:  -  No files were found in 'b/logs/'. No logs will be processed."},
        {1, "Unknown error: boom", "Bucket:  -  Unknown error: boom"},
        {1, NULL, "Bucket:  -  Unknown error."},
        {2, "argument -b/--bucket: 'Bad_Name' isn't a valid bucket name.", "Bucket:  -  Error parsing arguments."},
        /* A debug line in the script; its "ERROR: " is what is quoted. */
        {22, "+++ ERROR: Invalid region 'us-fake-1'", "Bucket:  -  Invalid region 'us-fake-1'"},
        {7, NULL, "Bucket:  -  "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        stubs_reset();
        wm_aws *c = new_config();
        c->buckets = new_bucket("b", "cloudtrail");
        fake.script.code = cases[i].code;
        if (cases[i].line) {
            script_line(cases[i].code == 22 ? AWS_S3_LOG_DEBUG : AWS_S3_LOG_ERROR, cases[i].line);
        }

        run_module(c);

        char returned[64];
        snprintf(returned, sizeof(returned), "Bucket:  -  Returned exit code %d", cases[i].code);
        int at = stubs_find(STUB_WARN, returned);
        assert_true(at >= 0);
        assert_true(stubs_find(STUB_WARN, cases[i].expect) > at);
        free(c->buckets);
        free(c);
    }
}

static void test_internal_error(void **state) {
    (void)state;
    wm_aws *c = new_config();
    c->buckets = new_bucket("b", "cloudtrail");
    c->buckets->next = new_bucket("c", "config");
    fake.script.code = AWS_S3_EINTERNAL;

    run_module(c);

    assert_true(stubs_find(STUB_ERROR, "Bucket:  -  Internal error: library internal error (-3).") >= 0);
    /* The module goes on with the next target. */
    assert_int_equal(fake.runs, 2);
    assert_true(stubs_find(STUB_INFO, "Fetching logs finished.") >= 0);
    free(c->buckets->next);
    free(c->buckets);
    free(c);
}

static void test_service_and_subscriber(void **state) {
    (void)state;
    wm_aws *c = new_config();
    wm_aws_service *s = calloc(1, sizeof(*s));
    s->type = "cloudwatchlogs";
    s->aws_account_id = "123456789012";
    s->aws_account_alias = "prod";
    s->aws_log_groups = "g1,g2";
    s->regions = "us-east-1";
    s->remove_log_streams = 1;
    wm_aws_subscriber *sub = calloc(1, sizeof(*sub));
    sub->type = "buckets";
    sub->sqs_name = "my-queue";
    sub->external_id = "ext";
    c->services = s;
    c->subscribers = sub;
    fake.script.code = 3;
    script_line(AWS_S3_LOG_ERROR, "Invalid credentials to access S3 Bucket");

    run_module(c);

    assert_int_equal(fake.runs, 2);
    assert_string_equal(fake.targets[0],
                        "{\"service\":{\"type\":\"cloudwatchlogs\",\"aws_account_id\":\"123456789012\","
                        "\"aws_account_alias\":\"prod\",\"regions\":\"us-east-1\",\"aws_log_groups\":\"g1,g2\","
                        "\"remove_log_streams\":\"yes\"},\"skip_on_error\":\"no\",\"debug\":0}");
    assert_string_equal(fake.targets[1],
                        "{\"subscriber\":{\"type\":\"buckets\",\"sqs_name\":\"my-queue\",\"external_id\":\"ext\"},"
                        "\"skip_on_error\":\"no\",\"debug\":0}");
    assert_true(stubs_find(STUB_INFO,
                           "Executing Service Analysis: (Service: cloudwatchlogs, Account ID: 123456789012, "
                           "Account Alias: prod)") >= 0);
    assert_true(stubs_find(STUB_INFO, "Executing Subscriber fetch: (Type and SQS: buckets my-queue)") >= 0);
    assert_true(stubs_find(STUB_WARN, "Service: cloudwatchlogs 123456789012(prod)  -  Returned exit code 3") >= 0);
    assert_true(stubs_find(STUB_WARN,
                           "Service: cloudwatchlogs 123456789012(prod)  -  Invalid credentials to access S3 Bucket") >=
                0);
    assert_true(stubs_find(STUB_WARN, "Subscriber: buckets my-queue  -  Returned exit code 3") >= 0);
    assert_true(stubs_find(STUB_DEBUG1,
                           "Launching S3 Command: wodles/aws/aws-s3 --service cloudwatchlogs "
                           "--aws_account_id 123456789012 --aws_account_alias \"prod\" --regions us-east-1 "
                           "--aws_log_groups g1,g2 --remove-log-streams") >= 0);
    assert_true(stubs_find(STUB_DEBUG1,
                           "Launching S3 Subscriber Command: wodles/aws/aws-s3 --subscriber buckets "
                           "--queue my-queue --external_id ext") >= 0);
    free(s);
    free(sub);
    free(c);
}

static void test_events_and_reconnect(void **state) {
    (void)state;
    wm_aws *c = new_config();
    c->buckets = new_bucket("b", "cloudtrail");
    fake.script.events[fake.script.nevents++] = "{\"integration\": \"aws\", \"n\": 1}";
    fake.script.events[fake.script.nevents++] = "{\"integration\": \"aws\", \"n\": 2}";
    /* The second event's first attempt fails: the shim reconnects once. */
    run_module(c);
    assert_int_equal(stubs.nsent, 2);
    assert_string_equal(stubs.sent[0].message, "{\"integration\": \"aws\", \"n\": 1}");
    assert_string_equal(stubs.sent[0].location, "Wazuh-AWS");
    assert_int_equal(stubs.sent[0].loc, '1');
    assert_int_equal(stubs.sent[0].queue, 3);
    assert_int_equal(fake.send_results[0], 0);
    assert_int_equal(stubs.reconnects, 0);

    stubs_reset();
    fake.script.events[fake.script.nevents++] = "{\"n\": 3}";
    stubs.send_failures = 1;
    run_module(c);
    assert_int_equal(stubs.reconnects, 1);
    assert_int_equal(fake.send_results[0], 0);
    assert_int_equal(stubs.nsent, 1);
    assert_int_equal(stubs.sent[0].queue, 4);
    assert_true(stubs_find(STUB_INFO, "Successfully reconnected to 'queue/sockets/queue'") >= 0);

    /* Failing after reconnecting: the library is told. */
    stubs_reset();
    fake.script.events[fake.script.nevents++] = "{\"n\": 4}";
    stubs.send_failures = 2;
    run_module(c);
    assert_int_not_equal(fake.send_results[0], 0);
    assert_true(stubs_find_part(STUB_ERROR, "after a successful reconnection") >= 0);
    free(c->buckets);
    free(c);
}

static void test_stop_and_shutdown(void **state) {
    (void)state;
    wm_aws *c = new_config();
    c->buckets = new_bucket("b", "cloudtrail");
    c->buckets->next = new_bucket("c", "cloudtrail");
    run_module(c); /* loads the library */
    assert_non_null(WM_AWS_CONTEXT.stop);
    WM_AWS_CONTEXT.stop(c);
    assert_int_equal(fake.stops, 1);

    /* The host's predicate is modulesd's shutdown flag. */
    assert_false(fake.host.is_shutting_down());
    wm_shutdown_requested = 1;
    assert_true(fake.host.is_shutting_down());

    /* Once shutting down, no further target starts. */
    int runs = fake.runs;
    run_module(c);
    assert_int_equal(fake.runs, runs);
    free(c->buckets->next);
    free(c->buckets);
    free(c);
}

/* A run cut short by modulesd's shutdown returns the script's SIGINT code:
 * the module says so instead of "Error parsing arguments". */
static void test_run_stopped_by_shutdown(void **state) {
    (void)state;
    wm_aws *c = new_config();
    c->buckets = new_bucket("b", "cloudtrail");
    fake.script.code = AWS_S3_EXIT_ARGUMENTS;
    fake.script.shutdown = true;

    run_module(c);

    assert_int_equal(fake.runs, 1);
    assert_true(stubs_find(STUB_INFO, "Bucket:  -  Stopped by the shutdown; what was delivered is recorded.") >= 0);
    assert_int_equal(stubs_find_part(STUB_WARN, "Returned exit code"), -1);
    assert_int_equal(stubs_find_part(STUB_WARN, "Error parsing arguments"), -1);
    free(c->buckets);
    free(c);
}

static void test_dump_masks_secrets(void **state) {
    (void)state;
    wm_aws *c = new_config();
    wm_aws_bucket *b = new_bucket("b", "cloudtrail");
    b->access_key = "AKIAEXAMPLEKEY";
    b->secret_key = "s3cr3tValue";
    b->aws_organization_id = "o-abc";
    c->buckets = b;
    char *dump = wm_aws_dump_json(c);
    assert_non_null(dump);
    assert_string_equal(dump,
                        "{\"aws-s3\":{\"disabled\":\"no\",\"run_on_start\":\"yes\",\"skip_on_error\":\"no\","
                        "\"buckets\":[{\"name\":\"b\",\"access_key\":\"****\",\"secret_key\":\"****\","
                        "\"aws_organization_id\":\"o-abc\",\"type\":\"cloudtrail\","
                        "\"remove_from_bucket\":\"no\"}]}}");
    free(dump);
    free(b);
    free(c);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_missing_library_stops_the_module, setup),
        cmocka_unit_test_setup(test_disabled_and_empty, setup),
        cmocka_unit_test_setup(test_version_from_wazuh_macro, setup),
        cmocka_unit_test_setup(test_bucket_success, setup),
        cmocka_unit_test_setup(test_output_forwarding, setup),
        cmocka_unit_test_setup(test_exit_codes, setup),
        cmocka_unit_test_setup(test_internal_error, setup),
        cmocka_unit_test_setup(test_service_and_subscriber, setup),
        cmocka_unit_test_setup(test_events_and_reconnect, setup),
        cmocka_unit_test_setup(test_stop_and_shutdown, setup),
        cmocka_unit_test_setup(test_run_stopped_by_shutdown, setup),
        cmocka_unit_test_setup(test_dump_masks_secrets, setup),
    };
    return cmocka_run_group_tests_name("shim", tests, NULL, NULL);
}
