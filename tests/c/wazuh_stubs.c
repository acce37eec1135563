#include "wazuh_stubs.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

stub_state stubs;
fake_library fake;
void (*stubs_log_hook)(stub_level level, const char *msg);

/* The real library logs from several threads at once. */
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;

volatile sig_atomic_t wm_shutdown_requested;
int wm_max_eps = 100000;

void stubs_reset(void) {
    memset(&stubs, 0, sizeof(stubs));
    memset(&fake, 0, sizeof(fake));
    wm_shutdown_requested = 0;
}

static void record(stub_level level, const char *tag, const char *file, const char *func, const char *fmt,
                   va_list args) {
    pthread_mutex_lock(&log_mutex);
    if (stubs.nlogs < STUB_MAX) {
        stub_log *l = &stubs.logs[stubs.nlogs++];
        l->level = level;
        snprintf(l->tag, sizeof(l->tag), "%s", tag);
        snprintf(l->file, sizeof(l->file), "%s", file);
        snprintf(l->func, sizeof(l->func), "%s", func);
        vsnprintf(l->msg, sizeof(l->msg), fmt, args);
        if (stubs_log_hook != NULL) {
            stubs_log_hook(level, l->msg);
        }
    } else if (stubs_log_hook != NULL) {
        char msg[sizeof(stubs.logs[0].msg)];
        vsnprintf(msg, sizeof(msg), fmt, args);
        stubs_log_hook(level, msg);
    }
    pthread_mutex_unlock(&log_mutex);
}

#define STUB_LOGGER(name, level)                                                                   \
    void name(const char *tag, const char *file, int line, const char *func, const char *msg, ...) { \
        (void)line;                                                                                \
        va_list args;                                                                              \
        va_start(args, msg);                                                                       \
        record(level, tag, file, func, msg, args);                                                             \
        va_end(args);                                                                              \
    }

STUB_LOGGER(_mtdebug1, STUB_DEBUG1)
STUB_LOGGER(_mtdebug2, STUB_DEBUG2)
STUB_LOGGER(_mtinfo, STUB_INFO)
STUB_LOGGER(_mtwarn, STUB_WARN)
STUB_LOGGER(_mterror, STUB_ERROR)

int stubs_find(stub_level level, const char *msg) {
    for (int i = 0; i < stubs.nlogs; i++) {
        if (stubs.logs[i].level == level && strcmp(stubs.logs[i].msg, msg) == 0) {
            return i;
        }
    }
    return -1;
}

int stubs_find_part(stub_level level, const char *part) {
    for (int i = 0; i < stubs.nlogs; i++) {
        if (stubs.logs[i].level == level && strstr(stubs.logs[i].msg, part) != NULL) {
            return i;
        }
    }
    return -1;
}

int isDebug(void) { return stubs.debug; }

/* One loop iteration per wm_aws_main call. */
int FOREVER(void) { return 0; }

time_t sched_scan_get_time_until_next_scan(sched_scan_config *config, const char *tag, const int run_on_start) {
    (void)tag;
    (void)run_on_start;
    config->next_scheduled_scan_time = time(NULL);
    return 0;
}

char *w_get_timestamp(time_t t) {
    (void)t;
    return strdup("2024/01/01 00:00:00");
}

void wm_sleep_until_interruptible(time_t abs_time) { (void)abs_time; }

int wm_state_io(const char *tag, int op, void *state, size_t size) {
    (void)tag;
    (void)state;
    (void)size;
    if (op == WM_IO_WRITE) {
        stubs.state_writes++;
    }
    return 0;
}

#ifndef STUBS_REAL_QUEUE
int StartMQPredicated(const char *key, short type, short n_attempts, bool (*fn_ptr)()) {
    (void)key;
    (void)type;
    (void)n_attempts;
    (void)fn_ptr;
    stubs.startmq_calls++;
    return 3;
}

int MQReconnectPredicated(const char *key, bool (*fn_ptr)()) {
    (void)key;
    (void)fn_ptr;
    stubs.reconnects++;
    return 4;
}

int SendMSGPredicated(int queue, const char *message, const char *locmsg, char loc, bool (*fn_ptr)()) {
    (void)fn_ptr;
    if (stubs.send_failures > 0) {
        stubs.send_failures--;
        return -1;
    }
    if (stubs.nsent < STUB_MAX) {
        stub_msg *m = &stubs.sent[stubs.nsent++];
        m->queue = queue;
        snprintf(m->message, sizeof(m->message), "%s", message);
        snprintf(m->location, sizeof(m->location), "%s", locmsg);
        m->loc = loc;
    }
    return 0;
}

#else
/* Wazuh's mq_op.c and os_net.c over a real AF_UNIX datagram socket, so
 * that frames reach a reader bound at <cwd>/queue/sockets/queue the way
 * they reach agentd. Only the retry delays differ (see
 * stubs_reconnect_sleep_ms). */
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define OS_MAXSTR 65536
#define WAIT_FILE "queue/sockets/.wait"

pthread_mutex_t stubs_queue_gate = PTHREAD_MUTEX_INITIALIZER;
int stubs_reconnect_sleep_ms = 5000;
volatile int stubs_discarded;

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* OS_ConnectUnixDomain(path, SOCK_DGRAM, OS_MAXSTR + 256) */
static int connect_unix(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    int size = OS_MAXSTR + 256;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    return fd;
}

int StartMQPredicated(const char *key, short type, short n_attempts, bool (*fn_ptr)()) {
    (void)type; /* WRITE: the module only writes */
    stubs.startmq_calls++;
    int fd, attempt = 0;
    while ((fd = connect_unix(key)) < 0) {
        if (fn_ptr()) {
            return -1;
        }
        if (n_attempts != INFINITE_OPENQ_ATTEMPTS && ++attempt == n_attempts) {
            return -1;
        }
        sleep_ms(stubs_reconnect_sleep_ms);
    }
    return fd;
}

int MQReconnectPredicated(const char *key, bool (*fn_ptr)()) {
    stubs.reconnects++;
    int fd;
    while ((fd = connect_unix(key)) < 0) {
        if (fn_ptr()) {
            return -1;
        }
        sleep_ms(stubs_reconnect_sleep_ms);
    }
    return fd;
}

/* wstr_escape(dst, size, str, '|', ':'): ':' -> "|:", '|' -> "||". */
static int escape_location(char *dst, size_t size, const char *src) {
    size_t j = 0;
    for (const char *p = src; *p; p++) {
        if (*p == ':' || *p == '|') {
            if (j + 1 >= size) {
                return -1;
            }
            dst[j++] = '|';
        }
        if (j + 1 >= size) {
            return -1;
        }
        dst[j++] = *p;
    }
    dst[j] = '\0';
    return 0;
}

int SendMSGPredicated(int queue, const char *message, const char *locmsg, char loc, bool (*fn_ptr)()) {
    /* os_wait_predicate: agentd's producer lock. */
    while (access(WAIT_FILE, F_OK) == 0 && !fn_ptr()) {
        sleep_ms(100);
    }
    char location[8193];
    if (escape_location(location, sizeof(location), locmsg) < 0) {
        return 0; /* FORMAT_ERROR: dropped, as SendMSGAction does */
    }
    char *frame = malloc(OS_MAXSTR + 1);
    if (frame == NULL) {
        return -1;
    }
    snprintf(frame, OS_MAXSTR, "%c:%s:%s", loc, location, message);
    if (queue < 0) {
        free(frame);
        return -1;
    }
    /* OS_SendUnix(queue, frame, 0): the NUL is part of the datagram. */
    ssize_t size = (ssize_t)strlen(frame) + 1;
    pthread_mutex_lock(&stubs_queue_gate);
    ssize_t n = send(queue, frame, (size_t)size, 0);
    int e = errno;
    if (n == size) {
        stubs.nsent++;
    }
    pthread_mutex_unlock(&stubs_queue_gate);
    free(frame);
    if (n < size) {
        if (e != ENOBUFS) {
            close(queue); /* OS_SOCKTERR: the caller reconnects */
            return -1;
        }
        stubs_discarded++; /* OS_SOCKBUSY: "Socket busy, discarding message." */
    }
    return 0;
}
#endif

#ifdef STUBS_REAL_LIBRARY
/* The real libaws_s3.so, named by AWS_S3_LIBRARY, with aws_s3_run wrapped
 * so that tests can see the targets the shim builds. */
#include <dlfcn.h>

static aws_s3_run_func real_run;
static aws_s3_dump_func real_dump;
static aws_s3_free_func real_free;

static int recording_run(const char *target_json) {
    int n = fake.runs++;
    if (n < 4) {
        snprintf(fake.targets[n], sizeof(fake.targets[0]), "%s", target_json);
    }
    if (!fake.dump_instead) {
        return real_run(target_json);
    }
    char *dump = real_dump(target_json);
    if (dump == NULL) {
        return AWS_S3_EINVAL;
    }
    if (n < 4) {
        snprintf(fake.dumps[n], sizeof(fake.dumps[0]), "%s", dump);
    }
    real_free(dump);
    return AWS_S3_OK;
}

void *so_get_module_handle(const char *so) {
    if (stubs.library_missing || strcmp(so, "aws_s3") != 0) {
        return NULL;
    }
    return dlopen(getenv("AWS_S3_LIBRARY"), RTLD_LAZY);
}

void *so_get_function_sym(void *handle, const char *name) {
    real_run = (aws_s3_run_func)dlsym(handle, "aws_s3_run");
    real_dump = (aws_s3_dump_func)dlsym(handle, "aws_s3_dump");
    real_free = (aws_s3_free_func)dlsym(handle, "aws_s3_free");
    if (strcmp(name, "aws_s3_run") == 0) {
        return real_run ? (void *)recording_run : NULL;
    }
    return dlsym(handle, name);
}

#else
/* The fake libaws_s3.so -------------------------------------------------- */

static int fake_init(const aws_s3_host *host) {
    fake.inits++;
    fake.host = *host;
    snprintf(fake.home, sizeof(fake.home), "%s", host->wazuh_home);
    fake.host.wazuh_home = fake.home;
    return AWS_S3_OK;
}

static int fake_run(const char *target_json) {
    if (fake.runs < 4) {
        snprintf(fake.targets[fake.runs], sizeof(fake.targets[0]), "%s", target_json);
    }
    fake.runs++;
    for (int i = 0; i < fake.script.nlines; i++) {
        fake.host.log(fake.script.levels[i], AWS_S3_LOG_TAG, fake.script.lines[i]);
    }
    for (int i = 0; i < fake.script.nevents; i++) {
        fake.send_results[i] = fake.host.send(AWS_S3_LOCATION, fake.script.events[i]);
    }
    if (fake.script.shutdown) {
        wm_shutdown_requested = 1;
    }
    return fake.script.code;
}

static void fake_stop(void) { fake.stops++; }

static const char *fake_version(void) { return "aws-s3-go fake"; }

static int fake_handle;

void *so_get_module_handle(const char *so) {
    if (stubs.library_missing || strcmp(so, "aws_s3") != 0) {
        return NULL;
    }
    return &fake_handle;
}

void *so_get_function_sym(void *handle, const char *name) {
    if (handle != &fake_handle) {
        return NULL;
    }
    if (strcmp(name, "aws_s3_init") == 0) return (void *)fake_init;
    if (strcmp(name, "aws_s3_run") == 0) return (void *)fake_run;
    if (strcmp(name, "aws_s3_stop") == 0) return (void *)fake_stop;
    if (strcmp(name, "aws_s3_version") == 0) return (void *)fake_version;
    return NULL;
}
#endif
