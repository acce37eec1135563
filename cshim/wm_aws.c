/*
 * wm_aws.c - the "aws-s3" module of wazuh-modulesd on libaws_s3.so.
 *
 * A drop-in replacement for src/wazuh_modules/src/wm_aws.c: same context,
 * same configuration (wm_aws_read is unchanged), same schedule and the same
 * log lines, but each <bucket>, <service> and <subscriber> runs in-process
 * through aws_s3_run instead of spawning wodles/aws/aws-s3. The library
 * reports through callbacks: log lines go to Wazuh's logger, events to the
 * agent queue (location "Wazuh-AWS"), and it stops when modulesd shuts
 * down.
 *
 * Inside a Wazuh tree it includes "wmodules.h"; with AWS_S3_STANDALONE it
 * builds against cshim/wazuh_api.h, the subset of Wazuh's API it uses.
 */

#ifdef AWS_S3_STANDALONE
#include "wazuh_api.h"
#else
#include "wmodules.h"
#include "sym_load.h"
#endif

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws_s3.h"
#include "wm_aws_json.h"
#include "wm_aws_shim.h"

#ifdef WAZUH_UNIT_TESTING
/* Remove static qualifier when testing */
#define static
#endif

/* The library, resolved once: a Go library is never unloaded. */
#define WM_AWS_LIBRARY "aws_s3"

/* Bound of a run's captured output, like wm_exec's WM_STRING_MAX. */
#define WM_AWS_OUTPUT_MAX (64 * 1024 * 1024)

/* Wazuh's version for the state databases' metadata row. 5.x defines
 * __wazuh_version, 4.x __ossec_version; without either the library runs
 * bin/wazuh-control, which an agent may not have. */
#if defined(__wazuh_version)
#define WM_AWS_WAZUH_VERSION __wazuh_version
#elif defined(__ossec_version)
#define WM_AWS_WAZUH_VERSION __ossec_version
#else
#define WM_AWS_WAZUH_VERSION NULL
#endif

/* What the secrets look like in every line and dump the module writes. */
#define WM_AWS_MASK "****"

static void *wm_aws_main(wm_aws *config);
static void wm_aws_destroy(wm_aws *config);
static void wm_aws_stop(wm_aws *config);
#ifndef AWS_S3_STANDALONE
cJSON *wm_aws_dump(const wm_aws *config);
#endif

const wm_context WM_AWS_CONTEXT = {
    .name = "aws-s3",
    .start = (wm_routine)wm_aws_main,
    .destroy = (void (*)(void *))wm_aws_destroy,
#ifndef AWS_S3_STANDALONE
    .dump = (cJSON * (*)(const void *)) wm_aws_dump,
#else
    .dump = NULL,
#endif
    .sync = NULL,
    .stop = (void (*)(void *))wm_aws_stop,
    .query = NULL,
};

static struct {
    bool loaded;
    aws_s3_init_func init;
    aws_s3_run_func run;
    aws_s3_version_func version;
    aws_s3_dump_func dump; /* optional: validation at start-up */
    aws_s3_free_func free;
    aws_s3_set_log_at_func set_log_at; /* optional: lines with their origin */
} wm_aws_lib;

/* Read by the SIGTERM handler (wm_aws_stop): set before the first run. */
static volatile aws_s3_stop_func wm_aws_stop_fn;

/* The agent queue. Several library threads send at once; SendMSG closes
 * the descriptor on socket errors, so reconnection is serialised here. */
static pthread_mutex_t wm_aws_queue_mutex = PTHREAD_MUTEX_INITIALIZER;
static int wm_aws_queue_fd = -1;

/* The current run's output, as the script would have printed it: what
 * the exit-code warnings quote and what is forwarded to the manager. */
static struct {
    pthread_mutex_t mutex;
    char *buf;
    size_t len;
    size_t cap;
    bool capturing;
    bool full;
} wm_aws_output = {.mutex = PTHREAD_MUTEX_INITIALIZER};

/* A growable string for titles and command lines. */
typedef struct {
    char *buf;
    size_t len;
    size_t cap;
} wm_aws_str;

static void wm_aws_str_add(wm_aws_str *s, const char *text, size_t n) {
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 128;
        while (s->len + n + 1 > cap) {
            cap *= 2;
        }
        char *buf = realloc(s->buf, cap);
        if (buf == NULL) {
            return; /* the line is shorter; nothing depends on it */
        }
        s->buf = buf;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, text, n);
    s->len += n;
    s->buf[s->len] = '\0';
}

static void wm_aws_str_cat(wm_aws_str *s, const char *text) {
    if (text != NULL) {
        wm_aws_str_add(s, text, strlen(text));
    }
}

static const char *wm_aws_str_get(const wm_aws_str *s) { return s->buf ? s->buf : ""; }

/* " --flag" and, when value is set, " value"; quoted values keep spaces
 * inside one argument the way wm_aws_add_quoted_arg did. */
static void wm_aws_arg(wm_aws_str *cmd, const char *flag, const char *value, bool quoted) {
    wm_aws_str_cat(cmd, " ");
    wm_aws_str_cat(cmd, flag);
    if (value == NULL) {
        return;
    }
    wm_aws_str_cat(cmd, " ");
    if (!quoted) {
        wm_aws_str_cat(cmd, value);
        return;
    }
    wm_aws_str_cat(cmd, "\"");
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\') {
            wm_aws_str_add(cmd, "\\", 1);
        }
        wm_aws_str_add(cmd, p, 1);
    }
    wm_aws_str_cat(cmd, "\"");
}

/* An optional argument: present only when value is set. */
static void wm_aws_opt(wm_aws_str *cmd, const char *flag, const char *value, bool quoted) {
    if (value != NULL) {
        wm_aws_arg(cmd, flag, value, quoted);
    }
}

/* The script's --debug level for modulesd's debug level. */
static int wm_aws_debug_level(void) {
    int debug = isDebug();
    return debug > 2 ? 3 : debug > 1 ? 2 : debug > 0 ? 1 : 0;
}

static void wm_aws_common_args(wm_aws_str *cmd, const wm_aws *config) {
    int debug = wm_aws_debug_level();
    if (debug > 0) {
        char level[2] = {(char)('0' + debug), '\0'};
        wm_aws_arg(cmd, "--debug", level, false);
    }
    if (config->skip_on_error) {
        wm_aws_arg(cmd, "--skip_on_error", NULL, false);
    }
}

static bool wm_aws_shutting_down(void) { return wm_shutdown_requested != 0; }

/* Host callbacks ---------------------------------------------------------- */

static void wm_aws_capture(int level, const char *msg) {
    const char *prefix;
    switch (level) {
    case AWS_S3_LOG_DEBUG:
    case AWS_S3_LOG_DEBUG_VERBOSE:
        prefix = "DEBUG: ";
        break;
    case AWS_S3_LOG_INFO:
        prefix = "INFO: ";
        break;
    case AWS_S3_LOG_WARNING:
        /* The script's warnings were plain prints carrying their own
         * "WARNING: " text. */
        prefix = strncmp(msg, "WARNING:", 8) == 0 ? "" : "WARNING: ";
        break;
    default:
        prefix = "ERROR: ";
    }
    size_t plen = strlen(prefix), mlen = strlen(msg), n = plen + mlen + 1;
    bool overflow = false;

    pthread_mutex_lock(&wm_aws_output.mutex);
    if (wm_aws_output.capturing && !wm_aws_output.full) {
        if (wm_aws_output.len + n + 1 > WM_AWS_OUTPUT_MAX) {
            wm_aws_output.full = overflow = true;
        } else {
            if (wm_aws_output.len + n + 1 > wm_aws_output.cap) {
                size_t cap = wm_aws_output.cap ? wm_aws_output.cap : 4096;
                while (wm_aws_output.len + n + 1 > cap) {
                    cap *= 2;
                }
                char *buf = realloc(wm_aws_output.buf, cap);
                if (buf == NULL) {
                    wm_aws_output.full = overflow = true;
                } else {
                    wm_aws_output.buf = buf;
                    wm_aws_output.cap = cap;
                }
            }
            if (!wm_aws_output.full) {
                char *end = wm_aws_output.buf + wm_aws_output.len;
                memcpy(end, prefix, plen);
                memcpy(end + plen, msg, mlen);
                end[plen + mlen] = '\n';
                end[n] = '\0';
                wm_aws_output.len += n;
            }
        }
    }
    pthread_mutex_unlock(&wm_aws_output.mutex);

    if (overflow) {
        mtwarn(WM_AWS_LOGTAG, "String limit reached.");
    }
}

static void wm_aws_log(int level, const char *tag, const char *msg) {
    (void)tag; /* the module's own tag, WM_AWS_LOGTAG, is the same text */
    switch (level) {
    case AWS_S3_LOG_DEBUG:
        mtdebug1(WM_AWS_LOGTAG, "%s", msg);
        break;
    case AWS_S3_LOG_DEBUG_VERBOSE:
        mtdebug2(WM_AWS_LOGTAG, "%s", msg);
        break;
    case AWS_S3_LOG_INFO:
        mtinfo(WM_AWS_LOGTAG, "%s", msg);
        break;
    case AWS_S3_LOG_WARNING:
        mtwarn(WM_AWS_LOGTAG, "%s", msg);
        break;
    default:
        /* Never CRITICAL: Wazuh exits the process on it. */
        mterror(WM_AWS_LOGTAG, "%s", msg);
    }
    wm_aws_capture(level, msg);
}

/* A line with its origin in the library (aws_s3_set_log_at): ossec.log
 * then names the collector's source (core/bucket/object.go:NNN at
 * bucket.(*run).fetch()) instead of this callback. */
static void wm_aws_log_at(int level, const char *tag, const char *file, int line, const char *func, const char *msg) {
    (void)tag;
    switch (level) {
    case AWS_S3_LOG_DEBUG:
        _mtdebug1(WM_AWS_LOGTAG, file, line, func, "%s", msg);
        break;
    case AWS_S3_LOG_DEBUG_VERBOSE:
        _mtdebug2(WM_AWS_LOGTAG, file, line, func, "%s", msg);
        break;
    case AWS_S3_LOG_INFO:
        _mtinfo(WM_AWS_LOGTAG, file, line, func, "%s", msg);
        break;
    case AWS_S3_LOG_WARNING:
        _mtwarn(WM_AWS_LOGTAG, file, line, func, "%s", msg);
        break;
    default:
        _mterror(WM_AWS_LOGTAG, file, line, func, "%s", msg);
    }
    wm_aws_capture(level, msg);
}

/* Sends one message with one reconnection attempt; the caller holds the
 * queue mutex. */
static int wm_aws_queue_send_locked(const char *payload, const char *location) {
    if (wm_aws_queue_fd >= 0 &&
        SendMSGPredicated(wm_aws_queue_fd, payload, location, LOCALFILE_MQ, wm_aws_shutting_down) >= 0) {
        return 0;
    }
    if (wm_aws_shutting_down()) {
        return -1;
    }
    mtdebug1(WM_AWS_LOGTAG, "Unable to send message to '%s'. Attempting to reconnect.", DEFAULTQUEUE);
    wm_aws_queue_fd = MQReconnectPredicated(DEFAULTQUEUE, wm_aws_shutting_down);
    if (wm_aws_queue_fd < 0) {
        mterror(WM_AWS_LOGTAG, "Unable to reconnect to '%s'.", DEFAULTQUEUE);
        return -1;
    }
    mtinfo(WM_AWS_LOGTAG, "Successfully reconnected to '%s'", DEFAULTQUEUE);
    if (SendMSGPredicated(wm_aws_queue_fd, payload, location, LOCALFILE_MQ, wm_aws_shutting_down) < 0) {
        mterror(WM_AWS_LOGTAG, "Unable to send message to '%s' after a successful reconnection.", DEFAULTQUEUE);
        return -1;
    }
    return 0;
}

static int wm_aws_queue_send(const char *payload, const char *location) {
    pthread_mutex_lock(&wm_aws_queue_mutex);
    int rc = wm_aws_queue_send_locked(payload, location);
    pthread_mutex_unlock(&wm_aws_queue_mutex);
    return rc;
}

/* Events are not paced by wazuh_modules.max_eps: the script's were not
 * either, and agentd's own buffer and pause file regulate the flow. */
static int wm_aws_send(const char *location, const char *payload) {
    return wm_aws_queue_send(payload, location);
}

static void wm_aws_stop(wm_aws *config) {
    (void)config;
    aws_s3_stop_func stop = wm_aws_stop_fn;
    if (stop != NULL) {
        stop();
    }
}

/* Set-up ----------------------------------------------------------------- */

static int wm_aws_load(void) {
    if (wm_aws_lib.loaded) {
        return 0;
    }
    void *handle = so_get_module_handle(WM_AWS_LIBRARY);
    if (handle == NULL) {
        const char *why = dlerror();
        mterror(WM_AWS_LOGTAG, "Unable to load the AWS S3 library 'lib%s.so'%s%s. The module cannot run. Exiting...",
                WM_AWS_LIBRARY, why ? ": " : "", why ? why : "");
        return -1;
    }
    aws_s3_init_func init = (aws_s3_init_func)so_get_function_sym(handle, "aws_s3_init");
    aws_s3_run_func run = (aws_s3_run_func)so_get_function_sym(handle, "aws_s3_run");
    aws_s3_stop_func stop = (aws_s3_stop_func)so_get_function_sym(handle, "aws_s3_stop");
    aws_s3_version_func version = (aws_s3_version_func)so_get_function_sym(handle, "aws_s3_version");
    if (init == NULL || run == NULL || stop == NULL || version == NULL) {
        mterror(WM_AWS_LOGTAG, "The AWS S3 library 'lib%s.so' lacks the aws_s3_* functions. The module cannot run. Exiting...",
                WM_AWS_LIBRARY);
        return -1;
    }
    wm_aws_lib.init = init;
    wm_aws_lib.run = run;
    wm_aws_lib.version = version;
    wm_aws_lib.dump = (aws_s3_dump_func)so_get_function_sym(handle, "aws_s3_dump");
    wm_aws_lib.free = (aws_s3_free_func)so_get_function_sym(handle, "aws_s3_free");
    wm_aws_lib.set_log_at = (aws_s3_set_log_at_func)so_get_function_sym(handle, "aws_s3_set_log_at");
    wm_aws_stop_fn = stop;
    wm_aws_lib.loaded = true;
    return 0;
}

static char *wm_aws_bucket_target(const wm_aws *config, const wm_aws_bucket *b);
static char *wm_aws_service_target(const wm_aws *config, const wm_aws_service *s);
static char *wm_aws_subscriber_target(const wm_aws *config, const wm_aws_subscriber *s);

/* Returns 1 when the library rejects target (it logged why), 0 otherwise;
 * frees target. */
static int wm_aws_rejected(char *target) {
    char *normalised = wm_aws_lib.dump(target);
    free(target);
    if (normalised == NULL) {
        return 1;
    }
    if (wm_aws_lib.free != NULL) {
        wm_aws_lib.free(normalised);
    }
    return 0;
}

/* Checks every target with the library's validation when the module starts:
 * the values the script rejected only when it ran (regions, dates, account
 * ids, bucket names, ...) stop the module once, with the script's message,
 * instead of failing every scan with "Error parsing arguments". */
static int wm_aws_validate(const wm_aws *config) {
    if (wm_aws_lib.dump == NULL) {
        return 0;
    }
    int rejected = 0;
    for (const wm_aws_bucket *b = config->buckets; b; b = b->next) {
        rejected += wm_aws_rejected(wm_aws_bucket_target(config, b));
    }
    for (const wm_aws_service *s = config->services; s; s = s->next) {
        rejected += wm_aws_rejected(wm_aws_service_target(config, s));
    }
    for (const wm_aws_subscriber *s = config->subscribers; s; s = s->next) {
        rejected += wm_aws_rejected(wm_aws_subscriber_target(config, s));
    }
    if (rejected > 0) {
        mterror(WM_AWS_LOGTAG, "Invalid AWS configuration (%d rejected). The module cannot run. Exiting...", rejected);
        return -1;
    }
    return 0;
}

/* Returns 0 when the module can run; otherwise it logged why. */
static int wm_aws_setup(wm_aws *config) {
    if (!config->enabled) {
        mtinfo(WM_AWS_LOGTAG, "Module AWS is disabled. Exiting...");
        return -1;
    }
    if (!config->buckets && !config->services && !config->subscribers) {
        mtwarn(WM_AWS_LOGTAG, "No AWS buckets, services or subscribers defined. Exiting...");
        return -1;
    }
    if (!config->scan_config.interval) {
        config->scan_config.interval = WM_AWS_DEFAULT_INTERVAL;
    }

    if (wm_state_io(WM_AWS_CONTEXT.name, WM_IO_READ, &config->state, sizeof(config->state)) < 0) {
        memset(&config->state, 0, sizeof(config->state));
    }

    if (wm_aws_load() < 0) {
        return -1;
    }

    int fd = StartMQPredicated(DEFAULTQUEUE, WRITE, INFINITE_OPENQ_ATTEMPTS, wm_aws_shutting_down);
    if (fd < 0) {
        mterror(WM_AWS_LOGTAG, "Can't connect to queue.");
        return -1;
    }
    pthread_mutex_lock(&wm_aws_queue_mutex);
    if (wm_aws_queue_fd >= 0 && wm_aws_queue_fd != fd) {
        close(wm_aws_queue_fd); /* a previous start of the module's */
    }
    wm_aws_queue_fd = fd;
    config->queue_fd = fd;
    pthread_mutex_unlock(&wm_aws_queue_mutex);

    /* modulesd runs from its installation directory. */
    char home[4096];
    if (getcwd(home, sizeof(home)) == NULL) {
        mterror(WM_AWS_LOGTAG, "Can't get the installation directory: %s (%d). Exiting...", strerror(errno), errno);
        return -1;
    }
    aws_s3_host host = {
        .wazuh_home = home,
        .log = wm_aws_log,
        .send = wm_aws_send,
        .is_shutting_down = wm_aws_shutting_down,
        .version = WM_AWS_WAZUH_VERSION,
    };
    if (wm_aws_lib.set_log_at != NULL) {
        wm_aws_lib.set_log_at(wm_aws_log_at);
    }
    int rc = wm_aws_lib.init(&host);
    if (rc != AWS_S3_OK) {
        mterror(WM_AWS_LOGTAG, "Can't initialize the AWS S3 library (code %d). Exiting...", rc);
        return -1;
    }
    mtdebug1(WM_AWS_LOGTAG, "Using %s", wm_aws_lib.version());
    return wm_aws_validate(config);
}

/* One run ---------------------------------------------------------------- */

static const char *wm_aws_code_text(int rc) {
    switch (rc) {
    case AWS_S3_ENOTINIT: return "library not initialized";
    case AWS_S3_EINVAL: return "invalid target";
    case AWS_S3_EINTERNAL: return "library internal error";
    case AWS_S3_EBUSY: return "library busy";
    default: return "unexpected return code";
    }
}

/* Forwards the run's WARNING and ERROR lines to the manager as the
 * script's stdout was: one "aws-s3" event per line, paced by
 * wazuh_modules.max_eps. Debug and info lines stay in the log: the
 * script's output carried them only because it could not tell them apart,
 * and at debug level 2 they outnumber the events. */
static void wm_aws_forward_output(char *output) {
    long usec = wm_max_eps > 0 ? 1000000L / wm_max_eps : 0;
    char *save = NULL;
    for (char *line = strtok_r(output, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (wm_aws_shutting_down()) {
            return;
        }
        if (strncmp(line, "DEBUG: ", 7) == 0 || strncmp(line, "INFO: ", 6) == 0) {
            continue;
        }
        if (usec > 0 && usec < 1000000L) {
            struct timespec pause = {0, usec * 1000L};
            nanosleep(&pause, NULL);
        }
        if (wm_aws_queue_send(line, WM_AWS_CONTEXT.name) < 0) {
            mtdebug1(WM_AWS_LOGTAG, "Unable to send message to queue.");
        }
    }
}

/* Runs one target and reports its outcome the way wm_aws.c reported the
 * script's exit status. */
static void wm_aws_run_target(const char *title, const char *launch, const char *command, char *target) {
    if (target == NULL) {
        mterror(WM_AWS_LOGTAG, "%s Can't build the target: out of memory.", title);
        return;
    }
    mtdebug1(WM_AWS_LOGTAG, "%s: %s", launch, command);

    pthread_mutex_lock(&wm_aws_output.mutex);
    wm_aws_output.len = 0;
    wm_aws_output.full = false;
    wm_aws_output.capturing = true;
    if (wm_aws_output.buf != NULL) {
        wm_aws_output.buf[0] = '\0';
    }
    pthread_mutex_unlock(&wm_aws_output.mutex);

    int status = wm_aws_lib.run(target);

    pthread_mutex_lock(&wm_aws_output.mutex);
    wm_aws_output.capturing = false;
    char *output = strdup(wm_aws_output.buf ? wm_aws_output.buf : "");
    pthread_mutex_unlock(&wm_aws_output.mutex);
    if (output == NULL) {
        mterror(WM_AWS_LOGTAG, "%s Returned exit code %d (out of memory reading its output).", title, status);
        return;
    }
    size_t len = strlen(output);
    while (len > 0 && output[len - 1] == '\n') {
        output[--len] = '\0';
    }

    if (status == AWS_S3_EXIT_ARGUMENTS && wm_aws_shutting_down()) {
        /* The code of a run stopped by a signal, as the script's SIGINT. */
        mtinfo(WM_AWS_LOGTAG, "%s Stopped by the shutdown; what was delivered is recorded.", title);
    } else if (status < 0) {
        mterror(WM_AWS_LOGTAG, "%s Internal error: %s (%d).", title, wm_aws_code_text(status), status);
    } else if (status > 0) {
        mtwarn(WM_AWS_LOGTAG, "%s Returned exit code %d", title, status);
        const char *text;
        if (status == AWS_S3_EXIT_UNKNOWN) {
            if ((text = strstr(output, "Unknown error")) != NULL) {
                mtwarn(WM_AWS_LOGTAG, "%s %s", title, text);
            } else {
                mtwarn(WM_AWS_LOGTAG, "%s Unknown error.", title);
            }
        } else if (status == AWS_S3_EXIT_ARGUMENTS) {
            mtwarn(WM_AWS_LOGTAG, "%s Error parsing arguments.", title);
        } else if ((text = strstr(output, "ERROR: ")) != NULL) {
            mtwarn(WM_AWS_LOGTAG, "%s %s", title, text + 7);
        } else {
            mtwarn(WM_AWS_LOGTAG, "%s %s", title, output);
        }
    }

    wm_aws_forward_output(output);
    free(output);
}

/* The target JSON of aws_s3_run (include/aws_s3.h) ------------------------ */

/* Closes the target object and adds the module-level keys. */
static char *wm_aws_target_finish(const wm_aws *config, wm_aws_json *j) {
    wm_aws_json_close(j, '}');
    wm_aws_json_string(j, "skip_on_error", config->skip_on_error ? "yes" : "no");
    wm_aws_json_int(j, "debug", wm_aws_debug_level());
    return wm_aws_json_finish(j);
}

static char *wm_aws_bucket_target(const wm_aws *config, const wm_aws_bucket *b) {
    wm_aws_json j;
    wm_aws_json_init(&j);
    wm_aws_json_open(&j, "bucket");
    wm_aws_json_string(&j, "type", b->type);
    wm_aws_json_string(&j, "name", b->bucket);
    wm_aws_json_string(&j, "access_key", b->access_key);
    wm_aws_json_string(&j, "secret_key", b->secret_key);
    wm_aws_json_string(&j, "aws_profile", b->aws_profile);
    wm_aws_json_string(&j, "iam_role_arn", b->iam_role_arn);
    wm_aws_json_string(&j, "iam_role_duration", b->iam_role_duration);
    wm_aws_json_string(&j, "aws_organization_id", b->aws_organization_id);
    wm_aws_json_string(&j, "aws_account_id", b->aws_account_id);
    wm_aws_json_string(&j, "aws_account_alias", b->aws_account_alias);
    wm_aws_json_string(&j, "path", b->trail_prefix);
    wm_aws_json_string(&j, "path_suffix", b->trail_suffix);
    wm_aws_json_string(&j, "only_logs_after", b->only_logs_after);
    wm_aws_json_string(&j, "regions", b->regions);
    wm_aws_json_string(&j, "remove_from_bucket", b->remove_from_bucket ? "yes" : "no");
    wm_aws_json_string(&j, "discard_field", b->discard_field);
    wm_aws_json_string(&j, "discard_regex", b->discard_regex);
    wm_aws_json_string(&j, "sts_endpoint", b->sts_endpoint);
    wm_aws_json_string(&j, "service_endpoint", b->service_endpoint);
    return wm_aws_target_finish(config, &j);
}

static char *wm_aws_service_target(const wm_aws *config, const wm_aws_service *s) {
    wm_aws_json j;
    wm_aws_json_init(&j);
    wm_aws_json_open(&j, "service");
    wm_aws_json_string(&j, "type", s->type);
    wm_aws_json_string(&j, "access_key", s->access_key);
    wm_aws_json_string(&j, "secret_key", s->secret_key);
    wm_aws_json_string(&j, "aws_profile", s->aws_profile);
    wm_aws_json_string(&j, "iam_role_arn", s->iam_role_arn);
    wm_aws_json_string(&j, "iam_role_duration", s->iam_role_duration);
    wm_aws_json_string(&j, "aws_account_id", s->aws_account_id);
    wm_aws_json_string(&j, "aws_account_alias", s->aws_account_alias);
    wm_aws_json_string(&j, "only_logs_after", s->only_logs_after);
    wm_aws_json_string(&j, "regions", s->regions);
    wm_aws_json_string(&j, "aws_log_groups", s->aws_log_groups);
    wm_aws_json_string(&j, "remove_log_streams", s->remove_log_streams ? "yes" : "no");
    wm_aws_json_string(&j, "discard_field", s->discard_field);
    wm_aws_json_string(&j, "discard_regex", s->discard_regex);
    wm_aws_json_string(&j, "sts_endpoint", s->sts_endpoint);
    wm_aws_json_string(&j, "service_endpoint", s->service_endpoint);
    return wm_aws_target_finish(config, &j);
}

static char *wm_aws_subscriber_target(const wm_aws *config, const wm_aws_subscriber *s) {
    wm_aws_json j;
    wm_aws_json_init(&j);
    wm_aws_json_open(&j, "subscriber");
    wm_aws_json_string(&j, "type", s->type);
    wm_aws_json_string(&j, "sqs_name", s->sqs_name);
    wm_aws_json_string(&j, "external_id", s->external_id);
    wm_aws_json_string(&j, "iam_role_arn", s->iam_role_arn);
    wm_aws_json_string(&j, "iam_role_duration", s->iam_role_duration);
    wm_aws_json_string(&j, "aws_profile", s->aws_profile);
    wm_aws_json_string(&j, "discard_field", s->discard_field);
    wm_aws_json_string(&j, "discard_regex", s->discard_regex);
    wm_aws_json_string(&j, "sts_endpoint", s->sts_endpoint);
    wm_aws_json_string(&j, "service_endpoint", s->service_endpoint);
    return wm_aws_target_finish(config, &j);
}

/* Appends " <value>" (or "(<value>)" when parens) to a warning title. */
static void wm_aws_title_part(wm_aws_str *title, const char *value, bool parens) {
    if (value != NULL) {
        wm_aws_str_cat(title, parens ? "(" : " ");
        wm_aws_str_cat(title, value);
        if (parens) {
            wm_aws_str_cat(title, ")");
        }
    }
}

/* Runs target and frees what the caller built. */
static void wm_aws_finish_run(char *target, wm_aws_str *cmd, wm_aws_str *title, const char *launch) {
    wm_aws_str_cat(title, "  - ");
    wm_aws_run_target(wm_aws_str_get(title), launch, wm_aws_str_get(cmd), target);
    free(target);
    free(cmd->buf);
    free(title->buf);
}

/* Weak under unit testing so that Wazuh's test_wm_aws.c can replace it,
 * as it does with the original. */
#ifdef WAZUH_UNIT_TESTING
__attribute__((weak))
#endif
static void wm_aws_run_s3(wm_aws *config, wm_aws_bucket *b) {
    wm_aws_str cmd = {0}, title = {0};
    wm_aws_str_cat(&cmd, WM_AWS_SCRIPT_PATH);
    wm_aws_opt(&cmd, "--bucket", b->bucket, false);
    if (b->remove_from_bucket) {
        wm_aws_arg(&cmd, "--remove", NULL, false);
    }
    wm_aws_opt(&cmd, "--access_key", b->access_key ? WM_AWS_MASK : NULL, false);
    wm_aws_opt(&cmd, "--secret_key", b->secret_key ? WM_AWS_MASK : NULL, false);
    wm_aws_opt(&cmd, "--aws_profile", b->aws_profile, true);
    wm_aws_opt(&cmd, "--iam_role_arn", b->iam_role_arn, false);
    wm_aws_opt(&cmd, "--iam_role_duration", b->iam_role_duration, false);
    wm_aws_opt(&cmd, "--aws_organization_id", b->aws_organization_id, false);
    wm_aws_opt(&cmd, "--aws_account_id", b->aws_account_id, false);
    wm_aws_opt(&cmd, "--aws_account_alias", b->aws_account_alias, true);
    wm_aws_opt(&cmd, "--trail_prefix", b->trail_prefix, true);
    wm_aws_opt(&cmd, "--trail_suffix", b->trail_suffix, true);
    wm_aws_opt(&cmd, "--only_logs_after", b->only_logs_after, false);
    wm_aws_opt(&cmd, "--regions", b->regions, false);
    wm_aws_opt(&cmd, "--discard-field", b->discard_field, true);
    wm_aws_opt(&cmd, "--discard-regex", b->discard_regex, true);
    wm_aws_opt(&cmd, "--sts_endpoint", b->sts_endpoint, false);
    wm_aws_opt(&cmd, "--service_endpoint", b->service_endpoint, false);
    wm_aws_opt(&cmd, "--type", b->type, false);
    wm_aws_common_args(&cmd, config);


    /* "Bucket:[ <id>][(<alias>)]  - ", as the script's warnings were titled. */
    wm_aws_str_cat(&title, "Bucket:");
    wm_aws_title_part(&title, b->aws_account_id, false);
    wm_aws_title_part(&title, b->aws_account_alias, true);
    wm_aws_finish_run(wm_aws_bucket_target(config, b), &cmd, &title, "Launching S3 Command");
}

static void wm_aws_run_service(wm_aws *config, wm_aws_service *s) {
    wm_aws_str cmd = {0}, title = {0};
    wm_aws_str_cat(&cmd, WM_AWS_SCRIPT_PATH);
    wm_aws_opt(&cmd, "--service", s->type, false);
    wm_aws_opt(&cmd, "--access_key", s->access_key ? WM_AWS_MASK : NULL, false);
    wm_aws_opt(&cmd, "--secret_key", s->secret_key ? WM_AWS_MASK : NULL, false);
    wm_aws_opt(&cmd, "--aws_profile", s->aws_profile, true);
    wm_aws_opt(&cmd, "--iam_role_arn", s->iam_role_arn, false);
    wm_aws_opt(&cmd, "--iam_role_duration", s->iam_role_duration, false);
    wm_aws_opt(&cmd, "--aws_account_id", s->aws_account_id, false);
    wm_aws_opt(&cmd, "--aws_account_alias", s->aws_account_alias, true);
    wm_aws_opt(&cmd, "--only_logs_after", s->only_logs_after, false);
    wm_aws_opt(&cmd, "--regions", s->regions, false);
    wm_aws_opt(&cmd, "--aws_log_groups", s->aws_log_groups, false);
    if (s->remove_log_streams) {
        wm_aws_arg(&cmd, "--remove-log-streams", NULL, false);
    }
    wm_aws_opt(&cmd, "--discard-field", s->discard_field, true);
    wm_aws_opt(&cmd, "--discard-regex", s->discard_regex, true);
    wm_aws_opt(&cmd, "--sts_endpoint", s->sts_endpoint, false);
    wm_aws_opt(&cmd, "--service_endpoint", s->service_endpoint, false);
    wm_aws_common_args(&cmd, config);


    /* "Service: <type>[ <id>][(<alias>)]  - " */
    wm_aws_str_cat(&title, "Service:");
    wm_aws_title_part(&title, s->type, false);
    wm_aws_title_part(&title, s->aws_account_id, false);
    wm_aws_title_part(&title, s->aws_account_alias, true);
    wm_aws_finish_run(wm_aws_service_target(config, s), &cmd, &title, "Launching S3 Command");
}

static void wm_aws_run_subscriber(wm_aws *config, wm_aws_subscriber *s) {
    wm_aws_str cmd = {0}, title = {0};
    wm_aws_str_cat(&cmd, WM_AWS_SCRIPT_PATH);
    wm_aws_opt(&cmd, "--subscriber", s->type, false);
    wm_aws_opt(&cmd, "--queue", s->sqs_name, false);
    wm_aws_opt(&cmd, "--external_id", s->external_id, false);
    wm_aws_opt(&cmd, "--iam_role_arn", s->iam_role_arn, false);
    wm_aws_opt(&cmd, "--iam_role_duration", s->iam_role_duration, false);
    wm_aws_opt(&cmd, "--aws_profile", s->aws_profile, true);
    wm_aws_opt(&cmd, "--sts_endpoint", s->sts_endpoint, false);
    wm_aws_opt(&cmd, "--service_endpoint", s->service_endpoint, false);
    wm_aws_opt(&cmd, "--discard-field", s->discard_field, true);
    wm_aws_opt(&cmd, "--discard-regex", s->discard_regex, true);
    wm_aws_common_args(&cmd, config);


    /* "Subscriber: <type> <sqs>  - " */
    wm_aws_str_cat(&title, "Subscriber:");
    wm_aws_title_part(&title, s->type, false);
    wm_aws_title_part(&title, s->sqs_name, false);
    wm_aws_finish_run(wm_aws_subscriber_target(config, s), &cmd, &title, "Launching S3 Subscriber Command");
}

/* Main loop ---------------------------------------------------------------- */

/* " <label> <value>" pieces of the "Executing ..." lines. */
static void wm_aws_info_part(wm_aws_str *s, const char *label, const char *value) {
    if (value != NULL) {
        wm_aws_str_cat(s, label);
        wm_aws_str_cat(s, " ");
        wm_aws_str_cat(s, value);
    }
}

static void wm_aws_run_all(wm_aws *config) {
    for (wm_aws_bucket *b = config->buckets; b && !wm_shutdown_requested; b = b->next) {
        wm_aws_str info = {0};
        wm_aws_str_cat(&info, "Executing Bucket Analysis: (Bucket: ");
        wm_aws_str_cat(&info, b->bucket ? b->bucket : "unknown_bucket");
        wm_aws_info_part(&info, ", Path:", b->trail_prefix);
        wm_aws_info_part(&info, ", Path suffix:", b->trail_suffix);
        wm_aws_info_part(&info, ", Type:", b->type);
        wm_aws_info_part(&info, ", Account ID:", b->aws_account_id);
        wm_aws_info_part(&info, ", Account Alias:", b->aws_account_alias);
        wm_aws_info_part(&info, ", Organization ID:", b->aws_organization_id);
        wm_aws_info_part(&info, ", Profile:", b->aws_profile);
        wm_aws_str_cat(&info, ")");
        mtinfo(WM_AWS_LOGTAG, "%s", wm_aws_str_get(&info));
        free(info.buf);
        wm_aws_run_s3(config, b);
    }

    for (wm_aws_service *s = config->services; s && !wm_shutdown_requested; s = s->next) {
        wm_aws_str info = {0};
        wm_aws_str_cat(&info, "Executing Service Analysis: (Service: ");
        wm_aws_str_cat(&info, s->type ? s->type : "unknown_type");
        wm_aws_info_part(&info, ", Account ID:", s->aws_account_id);
        wm_aws_info_part(&info, ", Account Alias:", s->aws_account_alias);
        wm_aws_info_part(&info, ", Profile:", s->aws_profile);
        wm_aws_str_cat(&info, ")");
        mtinfo(WM_AWS_LOGTAG, "%s", wm_aws_str_get(&info));
        free(info.buf);
        wm_aws_run_service(config, s);
    }

    for (wm_aws_subscriber *s = config->subscribers; s && !wm_shutdown_requested; s = s->next) {
        wm_aws_str info = {0};
        wm_aws_str_cat(&info, "Executing Subscriber fetch: (Type and SQS: ");
        wm_aws_str_cat(&info, s->type ? s->type : "unknown_type");
        wm_aws_str_cat(&info, " ");
        wm_aws_str_cat(&info, s->sqs_name ? s->sqs_name : "unknown_queue");
        wm_aws_str_cat(&info, ")");
        mtinfo(WM_AWS_LOGTAG, "%s", wm_aws_str_get(&info));
        free(info.buf);
        wm_aws_run_subscriber(config, s);
    }
}

/* The module thread: returns (ending the thread, not the daemon) when the
 * module cannot run or modulesd shuts down. */
static void *wm_aws_main(wm_aws *config) {
    if (wm_aws_setup(config) < 0) {
        return NULL;
    }
    mtinfo(WM_AWS_LOGTAG, "Module AWS started");

    do {
        const time_t time_sleep =
            sched_scan_get_time_until_next_scan(&config->scan_config, WM_AWS_LOGTAG, config->run_on_start);

        if (config->state.next_time == 0) {
            config->state.next_time = config->scan_config.time_start + time_sleep;
        }
        if (wm_state_io(WM_AWS_CONTEXT.name, WM_IO_WRITE, &config->state, sizeof(config->state)) < 0) {
            mterror(WM_AWS_LOGTAG, "Couldn't save running state.");
        }

        if (time_sleep) {
            const time_t next = sched_get_next_scan_time(config->scan_config);
            char *timestamp = w_get_timestamp(next);
            mtdebug2(WM_AWS_LOGTAG, "Sleeping until: %s", timestamp ? timestamp : "");
            free(timestamp);
            wm_sleep_until_interruptible(next);
        }
        if (wm_shutdown_requested) {
            break;
        }

        mtinfo(WM_AWS_LOGTAG, "Starting fetching of logs.");
        wm_aws_run_all(config);
        mtinfo(WM_AWS_LOGTAG, "Fetching logs finished.");
    } while (FOREVER() && !wm_shutdown_requested);

    return NULL;
}

/* Dump ------------------------------------------------------------------- */

/* The module's configuration as wm_aws_dump reported it, plus the
 * buckets' aws_organization_id, and with access and secret keys masked:
 * the dump is served to the API. Schedule keys are added by wm_aws_dump. */
char *wm_aws_dump_json(const wm_aws *config) {
    wm_aws_json j;
    wm_aws_json_init(&j);
    wm_aws_json_open(&j, "aws-s3");
    wm_aws_json_string(&j, "disabled", config->enabled ? "no" : "yes");
    wm_aws_json_string(&j, "run_on_start", config->run_on_start ? "yes" : "no");
    wm_aws_json_string(&j, "skip_on_error", config->skip_on_error ? "yes" : "no");
    if (config->buckets) {
        wm_aws_json_open_array(&j, "buckets");
        for (const wm_aws_bucket *b = config->buckets; b; b = b->next) {
            wm_aws_json_open_element(&j);
            wm_aws_json_string(&j, "name", b->bucket);
            wm_aws_json_string(&j, "access_key", b->access_key ? WM_AWS_MASK : NULL);
            wm_aws_json_string(&j, "secret_key", b->secret_key ? WM_AWS_MASK : NULL);
            wm_aws_json_string(&j, "aws_profile", b->aws_profile);
            wm_aws_json_string(&j, "iam_role_arn", b->iam_role_arn);
            wm_aws_json_string(&j, "iam_role_duration", b->iam_role_duration);
            wm_aws_json_string(&j, "aws_organization_id", b->aws_organization_id);
            wm_aws_json_string(&j, "aws_account_id", b->aws_account_id);
            wm_aws_json_string(&j, "aws_account_alias", b->aws_account_alias);
            wm_aws_json_string(&j, "path", b->trail_prefix);
            wm_aws_json_string(&j, "path_suffix", b->trail_suffix);
            wm_aws_json_string(&j, "only_logs_after", b->only_logs_after);
            wm_aws_json_string(&j, "regions", b->regions);
            wm_aws_json_string(&j, "type", b->type);
            wm_aws_json_string(&j, "remove_from_bucket", b->remove_from_bucket ? "yes" : "no");
            wm_aws_json_string(&j, "discard_field", b->discard_field);
            wm_aws_json_string(&j, "discard_regex", b->discard_regex);
            wm_aws_json_string(&j, "sts_endpoint", b->sts_endpoint);
            wm_aws_json_string(&j, "service_endpoint", b->service_endpoint);
            wm_aws_json_close(&j, '}');
        }
        wm_aws_json_close(&j, ']');
    }
    if (config->services) {
        wm_aws_json_open_array(&j, "services");
        for (const wm_aws_service *s = config->services; s; s = s->next) {
            wm_aws_json_open_element(&j);
            wm_aws_json_string(&j, "type", s->type);
            wm_aws_json_string(&j, "access_key", s->access_key ? WM_AWS_MASK : NULL);
            wm_aws_json_string(&j, "secret_key", s->secret_key ? WM_AWS_MASK : NULL);
            wm_aws_json_string(&j, "aws_profile", s->aws_profile);
            wm_aws_json_string(&j, "iam_role_arn", s->iam_role_arn);
            wm_aws_json_string(&j, "iam_role_duration", s->iam_role_duration);
            wm_aws_json_string(&j, "aws_account_id", s->aws_account_id);
            wm_aws_json_string(&j, "aws_account_alias", s->aws_account_alias);
            wm_aws_json_string(&j, "only_logs_after", s->only_logs_after);
            wm_aws_json_string(&j, "regions", s->regions);
            wm_aws_json_string(&j, "aws_log_groups", s->aws_log_groups);
            wm_aws_json_string(&j, "remove_log_streams", s->remove_log_streams ? "yes" : "no");
            wm_aws_json_string(&j, "discard_field", s->discard_field);
            wm_aws_json_string(&j, "discard_regex", s->discard_regex);
            wm_aws_json_string(&j, "sts_endpoint", s->sts_endpoint);
            wm_aws_json_string(&j, "service_endpoint", s->service_endpoint);
            wm_aws_json_close(&j, '}');
        }
        wm_aws_json_close(&j, ']');
    }
    if (config->subscribers) {
        wm_aws_json_open_array(&j, "subscribers");
        for (const wm_aws_subscriber *s = config->subscribers; s; s = s->next) {
            wm_aws_json_open_element(&j);
            wm_aws_json_string(&j, "type", s->type);
            wm_aws_json_string(&j, "sqs_name", s->sqs_name);
            wm_aws_json_string(&j, "external_id", s->external_id);
            wm_aws_json_string(&j, "iam_role_arn", s->iam_role_arn);
            wm_aws_json_string(&j, "iam_role_duration", s->iam_role_duration);
            wm_aws_json_string(&j, "aws_profile", s->aws_profile);
            wm_aws_json_string(&j, "sts_endpoint", s->sts_endpoint);
            wm_aws_json_string(&j, "service_endpoint", s->service_endpoint);
            wm_aws_json_string(&j, "discard_field", s->discard_field);
            wm_aws_json_string(&j, "discard_regex", s->discard_regex);
            wm_aws_json_close(&j, '}');
        }
        wm_aws_json_close(&j, ']');
    }
    wm_aws_json_close(&j, '}');
    return wm_aws_json_finish(&j);
}

#ifndef AWS_S3_STANDALONE
cJSON *wm_aws_dump(const wm_aws *config) {
    char *text = wm_aws_dump_json(config);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (root == NULL) {
        return cJSON_CreateObject();
    }
    sched_scan_dump(&config->scan_config, cJSON_GetObjectItem(root, "aws-s3"));
    return root;
}
#endif

static void wm_aws_destroy(wm_aws *config) { free(config); }
