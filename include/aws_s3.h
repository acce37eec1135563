/*
 * aws_s3.h - public C interface of libaws_s3.so, Wazuh's AWS S3 collector
 * (the "aws-s3" wodle) as a shared library loaded in-process by
 * wazuh-modulesd.
 *
 * This header is hand-written and stable; it is not the header that cgo
 * generates. Everything a host needs is here.
 *
 * Lifecycle
 *   1. aws_s3_init(&host)        once before the first run (may be repeated
 *                                while no run is in progress).
 *   2. aws_s3_run(target_json)   once per <bucket>, <service> or
 *                                <subscriber>, as often as the schedule
 *                                says. Blocking.
 *   3. aws_s3_stop()             at shutdown, typically from a SIGTERM
 *                                handler: every run in progress returns
 *                                promptly, and so does every later run
 *                                until the next aws_s3_init.
 *   The library is never unloaded: dlclose() does not unload a Go library,
 *   so init and stop are designed to be repeated in one process instead.
 *
 * Threads
 *   - aws_s3_init: from one thread, while no aws_s3_run is in progress
 *     (otherwise AWS_S3_EBUSY).
 *   - aws_s3_run: from any thread; several runs may proceed at the same
 *     time and are independent (wazuh-modulesd runs them one at a time).
 *   - aws_s3_stop: from any thread and from a signal handler; it is
 *     async-signal-safe (it only stores to a volatile sig_atomic_t and calls
 *     nothing).
 *   - aws_s3_version, aws_s3_dump, aws_s3_free: from any thread.
 *   - The host callbacks are invoked only while aws_s3_init, aws_s3_run or
 *     aws_s3_dump is executing, from threads the library chooses, possibly
 *     several at once: they must be thread-safe.
 *
 * Host rules
 *   - Ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) before loading the library,
 *     as wazuh-modulesd does: the Go runtime otherwise turns a C write on a
 *     closed socket into a fatal signal.
 *   - Never call the library from a child created by fork() without exec().
 *   - No va_list crosses this interface; every string is NUL-terminated
 *     UTF-8.
 */

#ifndef AWS_S3_H
#define AWS_S3_H

#ifndef EXPORTED
#if defined(_WIN32) || defined(__CYGWIN__)
#ifdef WIN_EXPORT
#define EXPORTED __declspec(dllexport)
#else
#define EXPORTED __declspec(dllimport)
#endif
#elif __GNUC__ >= 4
#define EXPORTED __attribute__((visibility("default")))
#else
#define EXPORTED
#endif
#endif

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Log levels passed to the host's log callback: Wazuh's
 * modules_log_level_t / LOGLEVEL_* numbers. The library never uses
 * AWS_S3_LOG_CRITICAL (Wazuh exits the process on it). Debug lines are
 * produced only up to the target's "debug" level: the collector's debug
 * level 1 arrives as AWS_S3_LOG_DEBUG, levels 2 and 3 as
 * AWS_S3_LOG_DEBUG_VERBOSE.
 */
#define AWS_S3_LOG_DEBUG         0
#define AWS_S3_LOG_INFO          1
#define AWS_S3_LOG_WARNING       2
#define AWS_S3_LOG_ERROR         3
#define AWS_S3_LOG_CRITICAL      4
#define AWS_S3_LOG_DEBUG_VERBOSE 5

/* The log tag the library passes to the log callback. */
#define AWS_S3_LOG_TAG "wazuh-modulesd:aws-s3"

/* The queue location of every event the library sends (LOCALFILE_MQ). */
#define AWS_S3_LOCATION "Wazuh-AWS"

/*
 * Return codes of aws_s3_run (and aws_s3_init for the negative ones).
 * Codes >= 0 are the exit codes the Python aws-s3 script returns for the
 * same outcome, so a host that handled the script's exit status handles
 * these unchanged. Negative codes are this interface's own and mean the
 * call itself was wrong or the library failed internally; a log line
 * saying why was sent through the log callback whenever one was set.
 */
#define AWS_S3_OK                    0  /* success */
#define AWS_S3_EXIT_UNKNOWN          1  /* unknown error */
#define AWS_S3_EXIT_ARGUMENTS        2  /* invalid argument / interrupted (the script's argparse and SIGINT code) */
#define AWS_S3_EXIT_CREDENTIALS      3  /* invalid credentials */
#define AWS_S3_EXIT_SQLITE           5  /* unexpected SQLite error */
#define AWS_S3_EXIT_SQLITE_CREATE    6  /* cannot create the SQLite database */
#define AWS_S3_EXIT_S3_QUERY         7  /* S3 query error */
#define AWS_S3_EXIT_DECOMPRESS       8  /* cannot decompress a log file */
#define AWS_S3_EXIT_PARSE            9  /* cannot parse a log file */
#define AWS_S3_EXIT_QUEUE           11  /* cannot connect to Wazuh's queue */
#define AWS_S3_EXIT_INVALID_TYPE    12  /* invalid bucket/service/subscriber type, or an unexpected error */
#define AWS_S3_EXIT_SEND            13  /* error sending an event to Wazuh */
#define AWS_S3_EXIT_EMPTY_BUCKET    14  /* no files found in the bucket/prefix */
#define AWS_S3_EXIT_ENDPOINT        15  /* invalid endpoint / endpoint unreachable */
#define AWS_S3_EXIT_THROTTLING      16  /* AWS throttled the requests */
#define AWS_S3_EXIT_KEY_FORMAT      17  /* invalid key format */
#define AWS_S3_EXIT_PREFIX          18  /* invalid prefix (no logs where the bucket type expects them) */
#define AWS_S3_EXIT_CLOCK_SKEW      19  /* clock skew between this host and AWS */
#define AWS_S3_EXIT_SQS_NOT_FOUND   20  /* SQS queue not found */
#define AWS_S3_EXIT_SQS             21  /* SQS fetch/delete failure or missing subscriber arguments */
#define AWS_S3_EXIT_REGION          22  /* invalid region */
#define AWS_S3_EXIT_PROFILE         23  /* AWS profile not found */
#define AWS_S3_EXIT_LOCKED          24  /* another run held the state database for 30 s (not a script code) */

#define AWS_S3_ENOTINIT  (-1) /* aws_s3_run before a successful aws_s3_init */
#define AWS_S3_EINVAL    (-2) /* NULL or malformed argument: host without
                                 log/send callbacks or home, target_json not
                                 JSON or not one bucket/service/subscriber
                                 object */
#define AWS_S3_EINTERNAL (-3) /* internal failure (a contained Go panic) */
#define AWS_S3_EBUSY     (-4) /* aws_s3_init while a run is in progress */

/*
 * Log callback: one complete line, without trailing newline. level is one
 * of AWS_S3_LOG_*, tag is AWS_S3_LOG_TAG. Both strings are valid only
 * during the call.
 */
typedef void (*aws_s3_log_callback)(int level, const char *tag, const char *msg);

/*
 * Send callback: deliver one event (a JSON object, at most 65535 bytes) to
 * the agent's queue at location (AWS_S3_LOCATION) as a LOCALFILE_MQ ('1')
 * message. Return 0 once the event was accepted, non-zero when it could
 * not be delivered (the library then retries or fails the run; the host
 * does not need to retry). The callback may block (queue paused, socket
 * reconnecting) but should give up when the host is shutting down. Both
 * strings are valid only during the call.
 */
typedef int (*aws_s3_send_callback)(const char *location, const char *payload);

/*
 * Log callback with the line's origin in the library: file relative to the
 * project ("core/bucket/object.go"), line, and function
 * ("bucket.(*run).fetch"), for hosts whose log lines name a source
 * location (Wazuh's _mtinfo(tag, file, line, func, ...)). level and tag
 * as for aws_s3_log_callback; every string is valid only during the call.
 */
typedef void (*aws_s3_log_at_callback)(int level, const char *tag, const char *file, int line,
                                       const char *func, const char *msg);

/* Shutdown predicate: true once the host wants every run to end. */
typedef bool (*aws_s3_is_shutting_down_callback)(void);

/*
 * What the library needs from its host. aws_s3_init copies the strings and
 * the pointers: the struct and its strings may be freed once it returns.
 */
typedef struct aws_s3_host {
    /* Wazuh installation directory (e.g. "/var/ossec"); required. The
     * state databases live under <wazuh_home>/wodles/aws/. */
    const char *wazuh_home;
    /* Required. */
    aws_s3_log_callback log;
    /* Required. */
    aws_s3_send_callback send;
    /* Optional (NULL: only aws_s3_stop ends runs early). Polled about
     * every 100 ms during a run. */
    aws_s3_is_shutting_down_callback is_shutting_down;
    /* Wazuh version for the databases' metadata row (e.g. "v5.1.0");
     * optional: NULL or "" runs <wazuh_home>/bin/wazuh-control info as the
     * Python script did. */
    const char *version;
} aws_s3_host;

/*
 * Registers the host and re-arms the library after an aws_s3_stop.
 * Returns AWS_S3_OK, AWS_S3_EINVAL (host NULL, log/send NULL, wazuh_home
 * NULL or empty), AWS_S3_EBUSY (a run is in progress) or AWS_S3_EINTERNAL.
 * May be called again to replace the host.
 */
EXPORTED int aws_s3_init(const aws_s3_host *host);

/*
 * Runs one target to completion, like one invocation of the Python script,
 * and returns its exit code (AWS_S3_OK or AWS_S3_EXIT_*), or
 * AWS_S3_ENOTINIT, AWS_S3_EINVAL, AWS_S3_EINTERNAL. Returns early (with
 * the code of an interrupted run, leaving the state database consistent)
 * after aws_s3_stop or once host->is_shutting_down returns true.
 *
 * target_json (read only, owned by the caller) is one JSON object with
 * exactly one of the keys "bucket", "service" or "subscriber", and
 * optionally "skip_on_error" ("yes"/"no", default "no"), "debug"
 * (0..3, the script's --debug level; default 0), and "connect_timeout"
 * and "read_timeout" (numbers of seconds, 1..3600, default 60: TCP+TLS
 * connect, and response headers or a body read making no progress, of
 * every AWS call). Values in the kind's object are strings as
 * wazuh-modulesd keeps them (the keys of wm_aws_dump), absent = not set:
 *
 *   "bucket": { "type", "name", "access_key", "secret_key", "aws_profile",
 *       "iam_role_arn", "iam_role_duration", "aws_organization_id",
 *       "aws_account_id", "aws_account_alias", "path", "path_suffix",
 *       "only_logs_after", "regions", "remove_from_bucket" ("yes"/"no"),
 *       "discard_field", "discard_regex", "sts_endpoint",
 *       "service_endpoint" }
 *   "service": { "type", "access_key", "secret_key", "aws_profile",
 *       "iam_role_arn", "iam_role_duration", "aws_account_id",
 *       "aws_account_alias", "only_logs_after", "regions",
 *       "aws_log_groups", "remove_log_streams" ("yes"/"no"),
 *       "discard_field", "discard_regex", "sts_endpoint",
 *       "service_endpoint" }
 *   "subscriber": { "type", "sqs_name", "external_id", "iam_role_arn",
 *       "iam_role_duration", "aws_profile", "discard_field",
 *       "discard_regex", "sts_endpoint", "service_endpoint" }
 *
 * e.g. {"bucket":{"type":"cloudtrail","name":"my-trail","regions":
 * "us-east-1"},"skip_on_error":"no","debug":1}
 *
 * Values are validated as ossec.conf and the Python script validated
 * them. A value either would reject (an invalid type, region, date,
 * bucket name, ...) returns the script's exit code for it, after an
 * AWS_S3_LOG_ERROR line with the reason: AWS_S3_EXIT_ARGUMENTS (its code
 * for a bad command line) unless the validation names a more specific one
 * (AWS_S3_EXIT_INVALID_TYPE, AWS_S3_EXIT_REGION, AWS_S3_EXIT_SQS, ...).
 * Text that is not such an object (not JSON, no or several kinds, unknown
 * keys, non-string values) returns AWS_S3_EINVAL.
 */
EXPORTED int aws_s3_run(const char *target_json);

/*
 * Asks every run in progress, and every run started before the next
 * aws_s3_init, to return promptly. Async-signal-safe; idempotent; safe
 * before aws_s3_init.
 */
EXPORTED void aws_s3_stop(void);

/*
 * The library's version, e.g. "aws-s3-go v1.0.0". Static storage: never
 * NULL, never free it.
 */
EXPORTED const char *aws_s3_version(void);

/*
 * The target as the library understands it after validation and
 * normalisation, as a JSON object, with access and secret keys masked as
 * "****". Returns NULL when target_json is NULL or invalid (with a log
 * line when a host is registered). The caller frees the result with
 * aws_s3_free. Does not need aws_s3_init.
 */
EXPORTED char *aws_s3_dump(const char *target_json);

/* Frees memory returned by the library (aws_s3_dump). NULL is a no-op. */
EXPORTED void aws_s3_free(void *ptr);

/*
 * Optional (added after the first six exports; a host resolves it with
 * dlsym and may do without): once fn is set, every line goes to fn with
 * its origin instead of to aws_s3_host.log; NULL goes back to
 * aws_s3_host.log. Call it from one thread while no run is in progress,
 * typically just before aws_s3_init. Only stores a pointer.
 */
EXPORTED void aws_s3_set_log_at(aws_s3_log_at_callback fn);

#ifdef __cplusplus
}
#endif

/* One function-pointer type per export: wazuh-modulesd loads the library
 * with dlopen and resolves each symbol with so_get_function_sym. */
typedef int (*aws_s3_init_func)(const aws_s3_host *host);
typedef int (*aws_s3_run_func)(const char *target_json);
typedef void (*aws_s3_stop_func)(void);
typedef const char *(*aws_s3_version_func)(void);
typedef char *(*aws_s3_dump_func)(const char *target_json);
typedef void (*aws_s3_free_func)(void *ptr);
typedef void (*aws_s3_set_log_at_func)(aws_s3_log_at_callback fn);

#endif /* AWS_S3_H */
