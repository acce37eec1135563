/*
 * The module with real parts: cshim/wm_aws.c drives the real
 * libaws_s3.so, which reads CloudTrail objects from a versitygw S3 server
 * on 127.0.0.1, and sends its events through Wazuh's SendMSGPredicated
 * (tests/c/wazuh_stubs.c, STUBS_REAL_QUEUE) over a real datagram socket to
 * a thread playing agentd. Checked against build/aws-s3 on the same
 * objects, and through a restart of agentd and a SIGTERM.
 *
 * Skips when versitygw is not installed (VERSITYGW, $PATH, $GOPATH/bin).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agentd.h"
#include "fixture.h"
#include "wazuh_stubs.h"

extern char **environ;

/* The bucket: ACCOUNT's CloudTrail in two regions over two days, plus one
 * object older than only_logs_after. */
#define BUCKET "wazuh-trail"
#define ACCOUNT "123456789012"
#define ACCESS "AKIAINTEGRATION01"
#define SECRET "itSecret/0123456789+abcdefghijklmnop"
#define ONLY_LOGS_AFTER "2024-NOV-19"
#define NREGIONS 2
#define NDAYS 2
#define NFILES 10
#define NRECORDS 20
#define NOBJECTS (NREGIONS * NDAYS * NFILES)
#define NEVENTS (NOBJECTS * NRECORDS)
#define OLD_OBJECT NOBJECTS /* eventIDs evt-<NOBJECTS>-<n> must never arrive */
#define VERSION "v5.1.0"
#define HEADER "1:" AWS_S3_LOCATION ":"
#define HEADER_LEN (sizeof(HEADER) - 1)
#define QUEUE_PATH "queue/sockets/queue"

static const char *regions[NREGIONS] = {"eu-west-1", "us-east-1"};
static const int days[NDAYS] = {20, 21};

typedef struct {
    char key[256];
    const char *region;
    char created[9];
} object;

static struct {
    const char *skip; /* why the tests skip, or NULL */
    gateway gw;
    object objects[NOBJECTS]; /* in key order */
    char old_key[256];
    const char *exe;
    const char *db_tool; /* "sqlite3" or "python3" */
    char cwd[PATH_MAX];
} world;

/* Log lines ---------------------------------------------------------------- */

typedef struct {
    stub_level level;
    char *msg;
} log_line;

static struct {
    log_line *lines;
    size_t n, cap;
} logs;

/* Runs under the stubs' log mutex. */
static void keep_line(stub_level level, const char *msg) {
    if (logs.n == logs.cap) {
        size_t cap = logs.cap ? 2 * logs.cap : 1024;
        log_line *l = realloc(logs.lines, cap * sizeof(*l));
        if (l == NULL) {
            return;
        }
        logs.lines = l;
        logs.cap = cap;
    }
    char *copy = strdup(msg);
    if (copy != NULL) {
        logs.lines[logs.n].level = level;
        logs.lines[logs.n].msg = copy;
        logs.n++;
    }
}

static void logs_clear(void) {
    for (size_t i = 0; i < logs.n; i++) {
        free(logs.lines[i].msg);
    }
    logs.n = 0;
}

static size_t logs_count(stub_level level, const char *part) {
    size_t n = 0;
    for (size_t i = 0; i < logs.n; i++) {
        if (logs.lines[i].level == level && strstr(logs.lines[i].msg, part) != NULL) {
            n++;
        }
    }
    return n;
}

static int logs_has(stub_level level, const char *msg) {
    for (size_t i = 0; i < logs.n; i++) {
        if (logs.lines[i].level == level && strcmp(logs.lines[i].msg, msg) == 0) {
            return 1;
        }
    }
    return 0;
}

static void logs_dump(void) {
    static const char *names[] = {"DEBUG1", "DEBUG2", "INFO", "WARN", "ERROR"};
    size_t from = logs.n > 60 ? logs.n - 60 : 0;
    for (size_t i = from; i < logs.n; i++) {
        fprintf(stderr, "  %s: %.300s\n", names[logs.lines[i].level], logs.lines[i].msg);
    }
}

/* The bucket ----------------------------------------------------------------- */

static int put_object(const char *key, int index) {
    size_t cap = NRECORDS * 1024 + 64, len = 0;
    char *body = malloc(cap);
    if (body == NULL) {
        return -1;
    }
    len += (size_t)snprintf(body + len, cap - len, "{\"Records\": [");
    for (int r = 0; r < NRECORDS; r++) {
        /* Values that exercise the envelope: nested objects, a null, a
         * non-ASCII string, ':' and '|' (escaped only in the location). */
        len += (size_t)snprintf(
            body + len, cap - len,
            "%s{\"eventVersion\": \"1.08\", \"userIdentity\": {\"type\": \"IAMUser\", \"principalId\": "
            "\"AIDAEXAMPLE%03d\", \"arn\": \"arn:aws:iam::" ACCOUNT ":user/al\\u00efce\", \"accountId\": "
            "\"" ACCOUNT "\"}, \"eventTime\": \"2024-11-%02dT10:%02d:%02dZ\", \"eventSource\": "
            "\"s3.amazonaws.com\", \"eventName\": \"GetObject\", \"awsRegion\": \"%s\", \"sourceIPAddress\": "
            "\"203.0.113.%d\", \"requestParameters\": {\"bucketName\": \"data\", \"key\": \"a:b|c/%d.txt\"}, "
            "\"responseElements\": null, \"additionalEventData\": {\"bytesTransferredOut\": %d}, "
            "\"eventID\": \"evt-%03d-%03d\", \"readOnly\": true, \"eventType\": \"AwsApiCall\", "
            "\"recipientAccountId\": \"" ACCOUNT "\"}",
            r ? ", " : "", index, index < NOBJECTS ? days[(index / NFILES) % NDAYS] : 18, index % 60, r,
            index < NOBJECTS ? world.objects[index].region : "us-east-1", r + 1, r, 100 * r, index, r);
    }
    len += (size_t)snprintf(body + len, cap - len, "]}");
    int rc = gateway_put_gzip(&world.gw, BUCKET, key, body, len);
    free(body);
    return rc;
}

static int seed(void) {
    int o = 0;
    for (int r = 0; r < NREGIONS; r++) {
        for (int d = 0; d < NDAYS; d++) {
            for (int f = 0; f < NFILES; f++, o++) {
                object *obj = &world.objects[o];
                obj->region = regions[r];
                snprintf(obj->created, sizeof(obj->created), "202411%02d", days[d]);
                snprintf(obj->key, sizeof(obj->key),
                         "AWSLogs/" ACCOUNT "/CloudTrail/%s/2024/11/%02d/" ACCOUNT "_CloudTrail_%s_202411%02dT10%02dZ_%016llx.json.gz",
                         regions[r], days[d], regions[r], days[d], 5 * f,
                         (unsigned long long)((uint64_t)(o + 1) * 0x9E3779B97F4A7C15ull));
                if (put_object(obj->key, o) < 0) {
                    return -1;
                }
            }
        }
    }
    snprintf(world.old_key, sizeof(world.old_key),
             "AWSLogs/" ACCOUNT "/CloudTrail/us-east-1/2024/11/18/" ACCOUNT
             "_CloudTrail_us-east-1_20241118T1000Z_00000000000000aa.json.gz");
    return put_object(world.old_key, OLD_OBJECT);
}

/* Frames ---------------------------------------------------------------------- */

/* The record an event carries: object * NRECORDS + record, or -1. */
static int record_of(const char *payload) {
    const char *p = strstr(payload, "\"eventID\": \"evt-");
    int obj, rec;
    if (p == NULL || sscanf(p, "\"eventID\": \"evt-%d-%d\"", &obj, &rec) != 2 || rec < 0 || rec >= NRECORDS) {
        return -1;
    }
    return obj * NRECORDS + rec;
}

/* Counts, per record, the events among frames [from, to) of a; fails on
 * an event that is not one of the bucket's records. */
static void count_records(const agentd *a, size_t from, size_t to, int counts[NEVENTS + NRECORDS]) {
    for (size_t i = from; i < to; i++) {
        const agentd_frame *f = &a->frames[i];
        if (f->len < HEADER_LEN || memcmp(f->data, HEADER, HEADER_LEN) != 0) {
            continue;
        }
        int r = record_of(f->data + HEADER_LEN);
        if (r < 0 || r >= NEVENTS + NRECORDS) {
            fail_msg("frame %zu is not one of the bucket's records: %.200s", i, f->data);
        }
        counts[r]++;
    }
}

/* Every frame the module sends is "1:<location>:<payload>\0", one NUL,
 * nothing after it. */
static void check_module_frames(const agentd *a) {
    for (size_t i = 0; i < a->nframes; i++) {
        const agentd_frame *f = &a->frames[i];
        if (f->len < 4 || f->data[f->len - 1] != '\0' || strlen(f->data) != f->len - 1) {
            fail_msg("frame %zu is not one NUL-terminated string (%zu bytes): %.200s", i, f->len, f->data);
        }
        if (strncmp(f->data, HEADER, HEADER_LEN) != 0 && strncmp(f->data, "1:aws-s3:", 9) != 0) {
            fail_msg("frame %zu has an unexpected header: %.200s", i, f->data);
        }
        if (strstr(f->data, SECRET) != NULL) {
            fail_msg("frame %zu carries the secret key", i);
        }
    }
}

/* The state database ---------------------------------------------------------- */

/* Runs sql on <home>/wodles/aws/s3_cloudtrail.db; returns its output
 * (rows as a|b|c lines), malloc'ed. */
static char *db_query(const char *home, const char *sql) {
    char db[PATH_MAX];
    snprintf(db, sizeof(db), "%s/wodles/aws/s3_cloudtrail.db", home);
    char *out = NULL;
    int rc;
    if (strcmp(world.db_tool, "sqlite3") == 0) {
        char *argv[] = {"sqlite3", "-batch", "-noheader", "-cmd", ".timeout 5000", db, (char *)sql, NULL};
        rc = process_run(argv, NULL, NULL, 30, &out);
    } else {
        char *argv[] = {"python3", "-c",
                        "import sqlite3, sys\n"
                        "c = sqlite3.connect(sys.argv[1], timeout=5)\n"
                        "for r in c.execute(sys.argv[2]): print('|'.join(str(v) for v in r))\n",
                        db, (char *)sql, NULL};
        rc = process_run(argv, NULL, NULL, 30, &out);
    }
    if (rc != 0) {
        fail_msg("%s on %s failed (%d): %s", world.db_tool, db, rc, out ? out : "");
    }
    return out;
}

#define ROWS_SQL "SELECT bucket_path, aws_account_id, aws_region, log_key, created_date FROM cloudtrail ORDER BY log_key"

/* The rows of the objects in [0, n) in ROWS_SQL's form. */
static char *expected_rows(int n) {
    size_t cap = (size_t)n * 400 + 1, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = '\0';
    for (int o = 0; o < n; o++) {
        const object *obj = &world.objects[o];
        len += (size_t)snprintf(s + len, cap - len, BUCKET "/|" ACCOUNT "|%s|%s|%s\n", obj->region, obj->key,
                                obj->created);
    }
    return s;
}

/* Which objects the database holds. */
static void db_objects(const char *home, int done[NOBJECTS]) {
    memset(done, 0, NOBJECTS * sizeof(int));
    char *rows = db_query(home, "SELECT log_key FROM cloudtrail");
    char *save = NULL;
    for (char *line = strtok_r(rows, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int found = 0;
        for (int o = 0; o < NOBJECTS; o++) {
            if (strcmp(line, world.objects[o].key) == 0) {
                done[o] = 1;
                found = 1;
            }
        }
        if (!found) {
            fail_msg("the database holds an unexpected key: %s", line);
        }
    }
    free(rows);
}

static void check_db_integrity(const char *home) {
    char *ok = db_query(home, "PRAGMA integrity_check");
    if (strcmp(ok, "ok\n") != 0) {
        fail_msg("integrity_check of %s: %s", home, ok);
    }
    free(ok);
}

/* Homes made by the tests, removed at the end even when a test failed. */
static char homes[8][PATH_MAX];
static int nhomes;

static void new_home(char *home, size_t size) {
    assert_int_equal(home_create(home, size, "/tmp/aws-s3-it-", VERSION), 0);
    if (nhomes < 8) {
        snprintf(homes[nhomes++], sizeof(homes[0]), "%s", home);
    }
}

/* The module --------------------------------------------------------------------- */

static char endpoint[64];

static wm_aws *module_config(void) {
    wm_aws *c = calloc(1, sizeof(*c));
    wm_aws_bucket *b = calloc(1, sizeof(*b));
    assert_non_null(c);
    assert_non_null(b);
    c->enabled = 1;
    c->run_on_start = 1;
    b->bucket = BUCKET;
    b->type = "cloudtrail";
    b->access_key = ACCESS;
    b->secret_key = SECRET;
    b->only_logs_after = ONLY_LOGS_AFTER;
    b->service_endpoint = endpoint;
    c->buckets = b;
    return c;
}

static void module_free(wm_aws *c) {
    free(c->buckets);
    free(c);
}

/* One wm_aws_main, as modulesd starts it: from the installation
 * directory, at modulesd's debug level. */
static void module_run(wm_aws *c, const char *home, int debug) {
    stubs_reset();
    stubs.debug = debug;
    stubs_discarded = 0;
    logs_clear();
    if (chdir(home) < 0) {
        fail_msg("chdir %s: %s", home, strerror(errno));
    }
    WM_AWS_CONTEXT.start(c);
    if (chdir(world.cwd) < 0) {
        fail_msg("chdir %s: %s", world.cwd, strerror(errno));
    }
}

/* SIGTERM, as modulesd handles it: the shutdown flag and the module's
 * stop. */
static volatile sig_atomic_t sigterm_seen;
static struct timespec sigterm_at;

static void on_sigterm(int sig) {
    (void)sig;
    clock_gettime(CLOCK_MONOTONIC, &sigterm_at);
    sigterm_seen = 1;
    wm_shutdown_requested = 1;
    if (WM_AWS_CONTEXT.stop != NULL) {
        WM_AWS_CONTEXT.stop(NULL);
    }
}

static void raise_sigterm(agentd *a, void *arg) {
    (void)a;
    (void)arg;
    raise(SIGTERM);
}

/* Fixtures ---------------------------------------------------------------------- */

static int on_path(const char *name) {
    const char *path = getenv("PATH");
    char buf[PATH_MAX];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name);
        if (access(buf, X_OK) == 0) {
            return 1;
        }
        path += n + (path[n] == ':');
    }
    return 0;
}

static int group_setup(void **state) {
    (void)state;
    if (getcwd(world.cwd, sizeof(world.cwd)) == NULL) {
        return -1;
    }
    stubs_log_hook = keep_line;
    const char *lib = getenv("AWS_S3_LIBRARY");
    if (lib == NULL || access(lib, R_OK) != 0) {
        fprintf(stderr, "AWS_S3_LIBRARY must name the built libaws_s3.so (got '%s')\n", lib ? lib : "");
        return -1;
    }
    world.db_tool = on_path("sqlite3") ? "sqlite3" : on_path("python3") ? "python3" : NULL;
    if (world.db_tool == NULL) {
        world.skip = "neither sqlite3 nor python3 is installed to read the state database";
        return 0;
    }
    const char *bin = gateway_find();
    if (bin == NULL) {
        world.skip = "versitygw not found (VERSITYGW, $PATH, $GOPATH/bin): "
                     "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0";
        return 0;
    }
    char why[512];
    if (gateway_start(&world.gw, bin, ACCESS, SECRET, why, sizeof(why)) < 0) {
        fprintf(stderr, "cannot start %s: %s\n", bin, why);
        return -1;
    }
    snprintf(endpoint, sizeof(endpoint), "%s", world.gw.url);
    if (seed() < 0) {
        fprintf(stderr, "cannot write the objects under %s: %s\n", world.gw.data, strerror(errno));
        gateway_stop(&world.gw);
        return -1;
    }
    world.exe = getenv("AWS_S3_EXECUTABLE");
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    gateway_stop(&world.gw);
    for (int i = 0; i < nhomes; i++) {
        tree_remove(homes[i]);
    }
    logs_clear();
    free(logs.lines);
    return 0;
}

#define SKIP_WITHOUT_WORLD()                                   \
    do {                                                       \
        if (world.skip != NULL) {                              \
            print_message("[  SKIPPED ] %s\n", world.skip);    \
            skip();                                            \
        }                                                      \
    } while (0)

/* 1-3. Frames, database and log lines, against the executable ---------------- */

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The executable's argv, environment and home, for the same bucket. */
static int run_executable(const char *home, char **out) {
    char log[PATH_MAX];
    snprintf(log, sizeof(log), "%s/stderr.log", home);
    char *argv[] = {(char *)world.exe, "--bucket", BUCKET, "--only_logs_after", ONLY_LOGS_AFTER,
                    "--service_endpoint", endpoint, "--type", "cloudtrail", "--debug", "2",
                    "--wazuh-home", (char *)home, NULL};
    size_t n = 0;
    while (environ[n] != NULL) {
        n++;
    }
    char **env = calloc(n + 8, sizeof(char *));
    assert_non_null(env);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "AWS_", 4) != 0) {
            env[j++] = environ[i];
        }
    }
    env[j++] = "AWS_ACCESS_KEY_ID=" ACCESS;
    env[j++] = "AWS_SECRET_ACCESS_KEY=" SECRET;
    env[j++] = "AWS_DEFAULT_REGION=us-east-1";
    env[j++] = "AWS_EC2_METADATA_DISABLED=true";
    env[j++] = "AWS_CONFIG_FILE=/dev/null";
    env[j++] = "AWS_SHARED_CREDENTIALS_FILE=/dev/null";
    int rc = process_run(argv, env, log, 60, out);
    free(env);
    return rc;
}

static void test_frames_match_executable(void **state) {
    (void)state;
    SKIP_WITHOUT_WORLD();
    if (world.exe == NULL || access(world.exe, X_OK) != 0) {
        print_message("[  SKIPPED ] the aws-s3 executable (AWS_S3_EXECUTABLE=%s) is missing: `make exe`\n",
                      world.exe ? world.exe : "");
        skip();
    }

    /* The module. */
    char home[PATH_MAX];
    new_home(home, sizeof(home));
    agentd a = {0};
    assert_int_equal(agentd_start(&a, home), 0);
    wm_aws *c = module_config();
    module_run(c, home, 2);
    agentd_stop(&a);
    assert_int_equal(a.error, 0);
    check_module_frames(&a);

    /* The executable, on a home of its own. */
    char home2[PATH_MAX];
    new_home(home2, sizeof(home2));
    agentd b = {0};
    assert_int_equal(agentd_start(&b, home2), 0);
    char *out = NULL;
    int rc = run_executable(home2, &out);
    agentd_stop(&b);
    if (rc != 0) {
        fail_msg("%s exited with %d:\n%s", world.exe, rc, out ? out : "");
    }
    assert_int_equal(b.error, 0);

    /* 1. The same events: the module's frames end in the NUL SendMSG
     * sends, the executable's in none. */
    char **mine = calloc(a.nframes + 1, sizeof(char *));
    char **theirs = calloc(b.nframes + 1, sizeof(char *));
    assert_non_null(mine);
    assert_non_null(theirs);
    size_t nmine = 0, ntheirs = 0, forwarded = 0;
    for (size_t i = 0; i < a.nframes; i++) {
        if (strncmp(a.frames[i].data, HEADER, HEADER_LEN) == 0) {
            mine[nmine++] = a.frames[i].data + HEADER_LEN;
        } else {
            forwarded++;
        }
    }
    for (size_t i = 0; i < b.nframes; i++) {
        agentd_frame *f = &b.frames[i];
        if (f->len < HEADER_LEN || memcmp(f->data, HEADER, HEADER_LEN) != 0) {
            fail_msg("the executable sent a frame without \"" HEADER "\": %.200s", f->data);
        }
        if (memchr(f->data, '\0', f->len) != NULL) {
            fail_msg("the executable sent a NUL in frame %zu: %.200s", i, f->data);
        }
        theirs[ntheirs++] = f->data + HEADER_LEN; /* agentd_frame keeps a NUL after len */
    }
    assert_int_equal(nmine, NEVENTS);
    assert_int_equal(ntheirs, NEVENTS);
    qsort(mine, nmine, sizeof(char *), compare_strings);
    qsort(theirs, ntheirs, sizeof(char *), compare_strings);
    for (size_t i = 0; i < nmine; i++) {
        if (strcmp(mine[i], theirs[i]) != 0) {
            fail_msg("the events differ:\n module:     %.400s\n executable: %.400s", mine[i], theirs[i]);
        }
    }
    int counts[NEVENTS + NRECORDS] = {0};
    count_records(&a, 0, a.nframes, counts);
    for (int r = 0; r < NEVENTS + NRECORDS; r++) {
        if (counts[r] != (r < NEVENTS ? 1 : 0)) {
            fail_msg("record evt-%03d-%03d arrived %d times", r / NRECORDS, r % NRECORDS, counts[r]);
        }
    }
    /* The module's output went to the manager after the run, as the
     * script's did. */
    assert_true(forwarded > 0);
    free(mine);
    free(theirs);

    /* 2. The same rows, in both databases. */
    char *want = expected_rows(NOBJECTS);
    char *rows = db_query(home, ROWS_SQL);
    char *rows2 = db_query(home2, ROWS_SQL);
    assert_string_equal(rows, want);
    assert_string_equal(rows2, want);
    free(rows);
    free(rows2);
    free(want);
    char *version = db_query(home, "SELECT value FROM metadata WHERE key = 'version'");
    assert_string_equal(version, VERSION "\n");
    free(version);
    check_db_integrity(home);

    /* 3. The log lines, through the logger at the mapped levels. */
    if (!logs_has(STUB_INFO, "Executing Bucket Analysis: (Bucket: " BUCKET ", Type: cloudtrail)")) {
        logs_dump();
        fail_msg("no \"Executing Bucket Analysis\" line");
    }
    assert_true(logs_has(STUB_INFO, "Module AWS started"));
    assert_true(logs_has(STUB_INFO, "Starting fetching of logs."));
    assert_true(logs_has(STUB_INFO, "Fetching logs finished."));
    assert_int_equal(logs_count(STUB_DEBUG1, "Launching S3 Command: wodles/aws/aws-s3 --bucket " BUCKET
                                             " --access_key **** --secret_key ****"),
                     1);
    for (int r = 0; r < NREGIONS; r++) {
        char line[256];
        snprintf(line, sizeof(line), "+++ Marker: AWSLogs/" ACCOUNT "/CloudTrail/%s/2024/11/19", regions[r]);
        if (!logs_has(STUB_DEBUG2, line)) {
            logs_dump();
            fail_msg("no DEBUG2 line \"%s\"", line);
        }
        snprintf(line, sizeof(line), "+++ Working on " ACCOUNT " - %s", regions[r]);
        assert_true(logs_has(STUB_DEBUG1, line));
    }
    for (int o = 0; o < NOBJECTS; o++) {
        char line[512];
        snprintf(line, sizeof(line), "++ Found new log: %s", world.objects[o].key);
        if (!logs_has(STUB_DEBUG2, line)) {
            fail_msg("no DEBUG2 line \"%s\"", line);
        }
        /* The executable printed the same line. */
        char printed[600];
        snprintf(printed, sizeof(printed), "DEBUG: %s\n", line);
        assert_non_null(strstr(out, printed));
    }
    assert_int_equal(logs_count(STUB_DEBUG2, "++ Found new log: "), NOBJECTS);
    assert_int_equal(logs_count(STUB_DEBUG2, world.old_key), 0);
    char sent[64];
    snprintf(sent, sizeof(sent), "+++ Sent %d events to Analysisd", NEVENTS);
    assert_true(logs_has(STUB_DEBUG1, sent));
    assert_non_null(strstr(out, sent));
    /* The one warning: the keys came from the configuration, as the
     * script warned for --access_key/--secret_key. */
    if (logs_count(STUB_WARN, "") != 1 || logs_count(STUB_WARN, "authentication parameter was deprecated") != 1 ||
        logs_count(STUB_ERROR, "") != 0) {
        logs_dump();
        fail_msg("the module warned or failed");
    }
    for (size_t i = 0; i < logs.n; i++) {
        assert_null(strstr(logs.lines[i].msg, SECRET));
    }

    free(out);
    module_free(c);
    agentd_free(&a);
    agentd_free(&b);
    tree_remove(home);
    tree_remove(home2);
}

/* 4. agentd restarts mid-run ----------------------------------------------------- */

typedef struct {
    const char *home;
    int done[NOBJECTS];
    unsigned pause_ms;
} gap_state;

/* While agentd is away, the module is stuck sending: what the database
 * holds by then must have reached agentd. */
static void at_gap(agentd *a, void *arg) {
    (void)a;
    gap_state *g = arg;
    usleep(g->pause_ms * 1000);
    db_objects(g->home, g->done);
}

static void test_agentd_restart_loses_nothing(void **state) {
    (void)state;
    SKIP_WITHOUT_WORLD();
    char home[PATH_MAX];
    new_home(home, sizeof(home));

    gap_state g = {.home = home, .pause_ms = 400};
    agentd a = {0};
    a.delay_us = 400; /* slow enough for commits before the restart */
    a.restart_at = NEVENTS / 2;
    a.gate = &stubs_queue_gate;
    a.on_gap = at_gap;
    a.gap_arg = &g;
    assert_int_equal(agentd_start(&a, home), 0);
    stubs_reconnect_sleep_ms = 100;
    wm_aws *c = module_config();
    module_run(c, home, 1);
    agentd_stop(&a);
    stubs_reconnect_sleep_ms = 5000;
    assert_int_equal(a.error, 0);
    assert_true(a.restarted);
    check_module_frames(&a);

    /* The module noticed and reconnected; the run went on. */
    if (!logs_has(STUB_DEBUG1, "Unable to send message to '" QUEUE_PATH "'. Attempting to reconnect.") ||
        !logs_has(STUB_INFO, "Successfully reconnected to '" QUEUE_PATH "'")) {
        logs_dump();
        fail_msg("no reconnection in the module's log");
    }
    assert_true(stubs.reconnects >= 1);
    assert_int_equal(stubs_discarded, 0);
    assert_int_equal(logs_count(STUB_WARN, "Returned exit code"), 0);

    /* No event lost, none twice. */
    int counts[NEVENTS + NRECORDS] = {0};
    count_records(&a, 0, a.nframes, counts);
    for (int r = 0; r < NEVENTS + NRECORDS; r++) {
        if (counts[r] != (r < NEVENTS ? 1 : 0)) {
            fail_msg("record evt-%03d-%03d arrived %d times", r / NRECORDS, r % NRECORDS, counts[r]);
        }
    }

    /* No object was recorded before all its events were accepted. */
    int before[NEVENTS + NRECORDS] = {0};
    count_records(&a, 0, a.before_gap, before);
    int recorded = 0;
    for (int o = 0; o < NOBJECTS; o++) {
        if (!g.done[o]) {
            continue;
        }
        recorded++;
        for (int r = 0; r < NRECORDS; r++) {
            if (before[o * NRECORDS + r] != 1) {
                fail_msg("%s was in the database while agentd was away, but its record %d had not arrived",
                         world.objects[o].key, r);
            }
        }
    }
    print_message("agentd was away after %zu frames; the database held %d objects then\n", a.before_gap, recorded);
    if (recorded == 0) {
        fail_msg("the database held no object while agentd was away (%zu frames before): nothing was checked",
                 a.before_gap);
    }
    int done[NOBJECTS];
    db_objects(home, done);
    for (int o = 0; o < NOBJECTS; o++) {
        assert_true(done[o]);
    }
    check_db_integrity(home);

    module_free(c);
    agentd_free(&a);
    tree_remove(home);
}

/* 5. SIGTERM mid-run, then a restarted run ------------------------------------- */

static void test_sigterm_then_resume(void **state) {
    (void)state;
    SKIP_WITHOUT_WORLD();
    char home[PATH_MAX];
    new_home(home, sizeof(home));
    wm_aws *c = module_config();

    /* A slow agentd; SIGTERM once a few objects went through. */
    agentd a = {0};
    a.delay_us = 2000;
    a.trigger_at = NEVENTS / 8;
    a.on_trigger = raise_sigterm;
    assert_int_equal(agentd_start(&a, home), 0);
    sigterm_seen = 0;
    module_run(c, home, 1);
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    agentd_stop(&a);
    assert_int_equal(a.error, 0);
    assert_true(sigterm_seen);
    double took = (double)(end.tv_sec - sigterm_at.tv_sec) + (double)(end.tv_nsec - sigterm_at.tv_nsec) / 1e9;
    if (took >= 2.0) {
        fail_msg("the module returned %.2f s after SIGTERM", took);
    }
    check_module_frames(&a);
    check_db_integrity(home);

    int first[NEVENTS + NRECORDS] = {0};
    count_records(&a, 0, a.nframes, first);
    int done[NOBJECTS];
    db_objects(home, done);
    int ndone = 0;
    for (int o = 0; o < NOBJECTS; o++) {
        ndone += done[o];
        for (int r = 0; r < NRECORDS; r++) {
            int n = first[o * NRECORDS + r];
            if (n > 1 || (done[o] && n != 1)) {
                fail_msg("first run: record %d of %s arrived %d times (object %s)", r, world.objects[o].key, n,
                         done[o] ? "recorded" : "not recorded");
            }
        }
    }
    print_message("SIGTERM: returned after %.3f s, %zu frames, %d objects recorded\n", took, a.nframes, ndone);
    if (ndone == NOBJECTS) {
        fail_msg("the first run finished before SIGTERM took effect: nothing was interrupted");
    }

    /* Modulesd started again. */
    wm_shutdown_requested = 0;
    agentd b = {0};
    assert_int_equal(agentd_start(&b, home), 0);
    module_run(c, home, 1);
    agentd_stop(&b);
    assert_int_equal(b.error, 0);
    check_module_frames(&b);
    assert_true(logs_has(STUB_INFO, "Fetching logs finished."));
    assert_int_equal(logs_count(STUB_WARN, "Returned exit code"), 0);

    /* Together, every record; the objects recorded by the first run are
     * not sent again, the others are sent whole. */
    int second[NEVENTS + NRECORDS] = {0};
    count_records(&b, 0, b.nframes, second);
    for (int o = 0; o < NOBJECTS; o++) {
        for (int r = 0; r < NRECORDS; r++) {
            int n = second[o * NRECORDS + r];
            if (n != (done[o] ? 0 : 1)) {
                fail_msg("second run: record %d of %s arrived %d times (recorded by the first run: %s)", r,
                         world.objects[o].key, n, done[o] ? "yes" : "no");
            }
        }
    }
    for (int r = NEVENTS; r < NEVENTS + NRECORDS; r++) {
        assert_int_equal(first[r] + second[r], 0);
    }
    char *want = expected_rows(NOBJECTS);
    char *rows = db_query(home, ROWS_SQL);
    assert_string_equal(rows, want);
    free(rows);
    free(want);
    check_db_integrity(home);

    module_free(c);
    agentd_free(&a);
    agentd_free(&b);
    tree_remove(home);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigterm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    /* Only the gateway: no instance metadata, no shared configuration.
     * Set before the library loads: the Go runtime copies the environment
     * then. */
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    setenv("AWS_DEFAULT_REGION", "us-east-1", 1);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_match_executable),
        cmocka_unit_test(test_agentd_restart_loses_nothing),
        cmocka_unit_test(test_sigterm_then_resume),
    };
    int failed = cmocka_run_group_tests_name("integration", tests, group_setup, group_teardown);
    /* ctest's SKIP_RETURN_CODE: a missing dependency is a skip, not a pass. */
    if (failed == 0 && world.skip != NULL) {
        return 77;
    }
    return failed;
}
