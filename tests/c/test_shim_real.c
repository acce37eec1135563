/*
 * cshim/wm_aws.c with the real libaws_s3.so: the targets the shim builds
 * are what the library parses, and the library's verdicts stop the module
 * when it starts.
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

static int setup(void **state) {
    (void)state;
    stubs_reset();
    return 0;
}

/* A value the script rejected only when it ran is rejected when the module
 * starts: the library's reason, then the module stops, nothing runs. */
static void test_invalid_target_stops_the_module(void **state) {
    (void)state;
    wm_aws *c = calloc(1, sizeof(*c));
    c->enabled = 1;
    wm_aws_bucket *good = calloc(1, sizeof(*good));
    good->bucket = "good-bucket";
    good->type = "cloudtrail";
    wm_aws_bucket *b = calloc(1, sizeof(*b));
    b->bucket = "Bad_Name";
    b->type = "cloudtrail";
    b->aws_account_id = "123456789012";
    good->next = b;
    c->buckets = good;

    WM_AWS_CONTEXT.start(c);

    assert_int_equal(fake.runs, 0);
    int reason = stubs_find(STUB_ERROR, "Invalid target: 'Bad_Name' isn't a valid bucket name.");
    assert_true(reason >= 0);
    /* The library's line names its origin in the collector, not the
     * shim's callback; the shim's own lines keep theirs. */
    assert_true(strncmp(stubs.logs[reason].file, "core/", 5) == 0 || strncmp(stubs.logs[reason].file, "goexport", 8) == 0);
    assert_true(strstr(stubs.logs[reason].file, ".go") != NULL);
    assert_string_not_equal(stubs.logs[reason].func, "wm_aws_log");
    int verdict = stubs_find(STUB_ERROR, "Invalid AWS configuration (1 rejected). The module cannot run. Exiting...");
    assert_true(verdict > reason);
    assert_non_null(strstr(stubs.logs[verdict].file, "wm_aws.c"));
    assert_int_equal(stubs_find_part(STUB_INFO, "Executing Bucket Analysis"), -1);
    free(b);
    free(good);
    free(c);
}

static void test_library_accepts_the_shims_targets(void **state) {
    (void)state;
    fake.dump_instead = true;
    wm_aws *c = calloc(1, sizeof(*c));
    c->enabled = 1;
    c->skip_on_error = 1;
    stubs.debug = 1;

    wm_aws_bucket *b = calloc(1, sizeof(*b));
    b->bucket = "my-trail-bucket";
    b->type = "cloudtrail";
    b->access_key = "AKIAEXAMPLEKEY";
    b->secret_key = "s3cr3tValue";
    b->aws_profile = "default";
    b->iam_role_arn = "arn:aws:iam::123456789012:role/reader";
    b->iam_role_duration = "3600";
    b->aws_organization_id = "o-abc1234567";
    b->aws_account_id = "123456789012";
    b->aws_account_alias = "prod";
    b->trail_prefix = "logs";
    b->trail_suffix = "suffix";
    b->only_logs_after = "2024-JAN-31";
    b->regions = "us-east-1,eu-west-1";
    b->discard_field = "eventSource";
    b->discard_regex = "^kms";
    b->sts_endpoint = "sts.example.com";
    b->service_endpoint = "https://s3.example.com";
    b->remove_from_bucket = 1;
    c->buckets = b;

    wm_aws_service *s = calloc(1, sizeof(*s));
    s->type = "cloudwatchlogs";
    s->aws_log_groups = "group-a,group-b";
    s->regions = "us-east-1";
    s->remove_log_streams = 1;
    s->only_logs_after = "2024-JAN-31";
    c->services = s;

    wm_aws_subscriber *sub = calloc(1, sizeof(*sub));
    sub->type = "buckets";
    sub->sqs_name = "my-queue";
    sub->iam_role_arn = "arn:aws:iam::123456789012:role/reader";
    sub->discard_field = "action";
    sub->discard_regex = "REJECT";
    c->subscribers = sub;

    WM_AWS_CONTEXT.start(c);

    assert_int_equal(fake.runs, 3);
    for (int i = 0; i < 3; i++) {
        if (fake.dumps[i][0] == '\0') {
            fail_msg("the library rejected the shim's target %s", fake.targets[i]);
        }
        assert_null(strstr(fake.dumps[i], "AKIAEXAMPLEKEY"));
        assert_null(strstr(fake.dumps[i], "s3cr3tValue"));
        assert_non_null(strstr(fake.dumps[i], "\"skip_on_error\":\"yes\""));
        assert_non_null(strstr(fake.dumps[i], "\"debug\":1"));
    }
    /* Every bucket key arrived. */
    const char *bucket_parts[] = {
        "\"name\":\"my-trail-bucket\"", "\"access_key\":\"****\"", "\"secret_key\":\"****\"",
        "\"aws_profile\":\"default\"", "\"iam_role_duration\":\"3600\"", "\"aws_organization_id\":\"o-abc1234567\"",
        "\"aws_account_id\":\"123456789012\"", "\"aws_account_alias\":\"prod\"", "\"path\":\"logs/\"",
        "\"path_suffix\":\"suffix/\"", "\"only_logs_after\":\"2024-JAN-31\"", "\"regions\":\"eu-west-1,us-east-1\"",
        "\"type\":\"cloudtrail\"", "\"remove_from_bucket\":\"yes\"", "\"discard_field\":\"eventSource\"",
        "\"discard_regex\":\"^kms\"", "\"sts_endpoint\":\"sts.example.com\"",
        "\"service_endpoint\":\"https://s3.example.com\"",
    };
    for (size_t i = 0; i < sizeof(bucket_parts) / sizeof(bucket_parts[0]); i++) {
        if (strstr(fake.dumps[0], bucket_parts[i]) == NULL) {
            fail_msg("%s missing from %s", bucket_parts[i], fake.dumps[0]);
        }
    }
    assert_non_null(strstr(fake.dumps[1], "\"aws_log_groups\":\"group-a,group-b\""));
    assert_non_null(strstr(fake.dumps[1], "\"remove_log_streams\":\"yes\""));
    assert_non_null(strstr(fake.dumps[2], "\"sqs_name\":\"my-queue\""));
    assert_non_null(strstr(fake.dumps[2], "\"discard_regex\":\"REJECT\""));
    assert_int_equal(stubs_find_part(STUB_WARN, "Returned exit code"), -1);
    free(b);
    free(s);
    free(sub);
    free(c);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_invalid_target_stops_the_module, setup),
        cmocka_unit_test_setup(test_library_accepts_the_shims_targets, setup),
    };
    return cmocka_run_group_tests_name("shim with the library", tests, NULL, NULL);
}
