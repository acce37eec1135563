/*
 * wazuh_stubs.h - test doubles for the Wazuh API declared in
 * cshim/wazuh_api.h: they record what the shim logs and sends, and let a
 * test script the library the shim loads.
 */
#ifndef AWS_S3_TEST_WAZUH_STUBS_H
#define AWS_S3_TEST_WAZUH_STUBS_H

#include <stdbool.h>

#include "aws_s3.h"
#include "wazuh_api.h"

#define STUB_MAX 256

typedef enum { STUB_DEBUG1, STUB_DEBUG2, STUB_INFO, STUB_WARN, STUB_ERROR } stub_level;

typedef struct {
    stub_level level;
    char tag[64];
    char file[128]; /* the source location the line names */
    char func[128];
    char msg[4096];
} stub_log;

typedef struct {
    int queue;
    char message[4096];
    char location[64];
    char loc;
} stub_msg;

/* What the stubs recorded and what they will answer. */
typedef struct {
    stub_log logs[STUB_MAX];
    int nlogs;
    stub_msg sent[STUB_MAX];
    int nsent;
    int send_failures;   /* SendMSGPredicated fails this many times first */
    int reconnects;      /* MQReconnectPredicated calls */
    int startmq_calls;
    int debug;           /* isDebug() */
    bool library_missing;
    int state_writes;
} stub_state;

extern stub_state stubs;

/* Clears everything recorded and every scripted answer. */
void stubs_reset(void);

/* Called with every log line, also past STUB_MAX, under the stubs' log
 * mutex (lines may come from several threads). NULL: none. Not cleared by
 * stubs_reset. */
extern void (*stubs_log_hook)(stub_level level, const char *msg);

#ifdef STUBS_REAL_QUEUE
/* With STUBS_REAL_QUEUE, StartMQPredicated, MQReconnectPredicated and
 * SendMSGPredicated are Wazuh's, on a real datagram socket at the path
 * they are given (relative to the working directory, as in modulesd). */
#include <pthread.h>

/* Held by SendMSGPredicated around send(): a reader that takes it knows no
 * datagram is on its way while it holds it. */
extern pthread_mutex_t stubs_queue_gate;
/* The pause between connection attempts (Wazuh: 5 s, 10 s, ...). */
extern int stubs_reconnect_sleep_ms;
/* Messages SendMSGPredicated dropped because the socket was busy. */
extern volatile int stubs_discarded;
#endif

/* Index of the first log line at level equal to msg, or -1. */
int stubs_find(stub_level level, const char *msg);
/* Index of the first log line at level containing part, or -1. */
int stubs_find_part(stub_level level, const char *part);

/* The fake library ------------------------------------------------------- */

#define FAKE_MAX_LINES 8

/* What the fake aws_s3_run does: log these lines, send these events,
 * optionally see modulesd's shutdown start, then return code. */
typedef struct {
    int code;
    bool shutdown;
    int nlines;
    int levels[FAKE_MAX_LINES];
    const char *lines[FAKE_MAX_LINES];
    int nevents;
    const char *events[FAKE_MAX_LINES];
} fake_script;

typedef struct {
    fake_script script;
    aws_s3_host host;
    char home[4096];
    int inits;
    int runs;
    int stops;
    int send_results[FAKE_MAX_LINES];
    char targets[4][4096]; /* the target_json of the first runs */
    /* With the real library (STUBS_REAL_LIBRARY): answer aws_s3_run with
     * aws_s3_dump of the target instead of running it, keeping the dump. */
    bool dump_instead;
    char dumps[4][4096];
} fake_library;

extern fake_library fake;

#endif
