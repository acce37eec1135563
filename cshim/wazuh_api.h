/*
 * wazuh_api.h - the part of Wazuh's API that cshim/wm_aws.c uses, declared
 * for building the shim outside a Wazuh tree (AWS_S3_STANDALONE). Inside a
 * Wazuh tree the real declarations come from "wmodules.h"; the names,
 * types and values here match Wazuh 5.x (src/shared/include,
 * src/wazuh_modules/include/wm_aws.h). The tests define the functions.
 */
#ifndef AWS_S3_WAZUH_API_H
#define AWS_S3_WAZUH_API_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* defs.h, mq_op.h, wmodules.h */
#ifndef ARGV0
#define ARGV0 "wazuh-modulesd"
#endif
#define DEFAULTQUEUE "queue/sockets/queue"
#define WRITE 2
#define INFINITE_OPENQ_ATTEMPTS 0
#define LOCALFILE_MQ '1'
#define WM_IO_WRITE 0
#define WM_IO_READ 1

/* defs.h: the version macro. Wazuh 5.x names it __wazuh_version, 4.x
 * __ossec_version; AWS_S3_API_OSSEC_VERSION builds the shim as against 4.x. */
#ifdef AWS_S3_API_OSSEC_VERSION
#define __ossec_version "v4.14.0"
#else
#define __wazuh_version "v5.1.0"
#endif

/* debug_op.h: the tagged logging macros over their _mt* functions. */
void _mtdebug1(const char *tag, const char *file, int line, const char *func, const char *msg, ...)
    __attribute__((format(printf, 5, 6)));
void _mtdebug2(const char *tag, const char *file, int line, const char *func, const char *msg, ...)
    __attribute__((format(printf, 5, 6)));
void _mtinfo(const char *tag, const char *file, int line, const char *func, const char *msg, ...)
    __attribute__((format(printf, 5, 6)));
void _mtwarn(const char *tag, const char *file, int line, const char *func, const char *msg, ...)
    __attribute__((format(printf, 5, 6)));
void _mterror(const char *tag, const char *file, int line, const char *func, const char *msg, ...)
    __attribute__((format(printf, 5, 6)));
#define mtdebug1(tag, msg, ...) _mtdebug1(tag, __FILE__, __LINE__, __func__, msg, ##__VA_ARGS__)
#define mtdebug2(tag, msg, ...) _mtdebug2(tag, __FILE__, __LINE__, __func__, msg, ##__VA_ARGS__)
#define mtinfo(tag, msg, ...) _mtinfo(tag, __FILE__, __LINE__, __func__, msg, ##__VA_ARGS__)
#define mtwarn(tag, msg, ...) _mtwarn(tag, __FILE__, __LINE__, __func__, msg, ##__VA_ARGS__)
#define mterror(tag, msg, ...) _mterror(tag, __FILE__, __LINE__, __func__, msg, ##__VA_ARGS__)
int isDebug(void);

/* shared.h: a macro in production, a function the unit tests control. */
int FOREVER(void);

/* schedule_scan.h */
typedef struct sched_scan_config {
    int scan_day;
    int scan_wday;
    char *scan_time;
    unsigned int interval;
    bool month_interval;
    time_t next_scheduled_scan_time;
    time_t time_start;
    int daylight;
} sched_scan_config;
#define sched_get_next_scan_time(x) ((x).next_scheduled_scan_time)
time_t sched_scan_get_time_until_next_scan(sched_scan_config *config, const char *MODULE_TAG, const int run_on_start);

/* time_op.h */
char *w_get_timestamp(time_t time);

/* mq_op.h */
int StartMQPredicated(const char *key, short type, short n_attempts, bool (*fn_ptr)());
int MQReconnectPredicated(const char *key, bool (*fn_ptr)());
int SendMSGPredicated(int queue, const char *message, const char *locmsg, char loc, bool (*fn_ptr)());

/* sym_load.h */
void *so_get_module_handle(const char *so);
void *so_get_function_sym(void *handle, const char *function_name);

/* cJSON, only as the type of wm_context.dump. */
typedef struct cJSON cJSON;

/* wmodules_def.h */
typedef void *(*wm_routine)(void *);
typedef struct wm_context {
    const char *name;
    wm_routine start;
    void (*destroy)(void *);
    cJSON *(*dump)(const void *);
    int (*sync)(const char *, size_t);
    void (*stop)(void *);
    size_t (*query)(void *, char *, char **);
} wm_context;

/* wmodules.h */
extern volatile sig_atomic_t wm_shutdown_requested;
extern int wm_max_eps;
void wm_sleep_until_interruptible(time_t abs_time);
int wm_state_io(const char *tag, int op, void *state, size_t size);

/* wm_aws.h */
#define WM_AWS_LOGTAG ARGV0 ":aws-s3"
#define WM_AWS_DEFAULT_INTERVAL 5
#define WM_AWS_SCRIPT_PATH "wodles/aws/aws-s3"

typedef struct wm_aws_state_t {
    time_t next_time;
} wm_aws_state_t;

typedef struct wm_aws_bucket {
    char *bucket;
    char *access_key;
    char *secret_key;
    char *aws_profile;
    char *iam_role_arn;
    char *iam_role_duration;
    char *aws_organization_id;
    char *aws_account_id;
    char *aws_account_alias;
    char *trail_prefix;
    char *trail_suffix;
    char *only_logs_after;
    char *regions;
    char *type;
    char *discard_field;
    char *discard_regex;
    char *sts_endpoint;
    char *service_endpoint;
    unsigned int remove_from_bucket:1;
    struct wm_aws_bucket *next;
} wm_aws_bucket;

typedef struct wm_aws_service {
    char *type;
    char *access_key;
    char *secret_key;
    char *aws_profile;
    char *iam_role_arn;
    char *iam_role_duration;
    char *aws_account_id;
    char *aws_account_alias;
    char *only_logs_after;
    char *regions;
    char *aws_log_groups;
    char *discard_field;
    char *discard_regex;
    unsigned int remove_log_streams:1;
    char *sts_endpoint;
    char *service_endpoint;
    struct wm_aws_service *next;
} wm_aws_service;

typedef struct wm_aws_subscriber {
    char *type;
    char *aws_profile;
    char *sqs_name;
    char *external_id;
    char *iam_role_arn;
    char *iam_role_duration;
    char *discard_field;
    char *discard_regex;
    char *sts_endpoint;
    char *service_endpoint;
    struct wm_aws_subscriber *next;
} wm_aws_subscriber;

typedef struct wm_aws {
    sched_scan_config scan_config;
    char *bucket;
    char *access_key;
    char *secret_key;
    int queue_fd;
    unsigned int enabled:1;
    unsigned int run_on_start:1;
    unsigned int remove_from_bucket:1;
    unsigned int skip_on_error:1;
    wm_aws_state_t state;
    wm_aws_bucket *buckets;
    wm_aws_service *services;
    wm_aws_subscriber *subscribers;
} wm_aws;

extern const wm_context WM_AWS_CONTEXT;

#endif
