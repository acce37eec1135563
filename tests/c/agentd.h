/*
 * agentd.h - the reading end of an agent's queue for the integration
 * tests: a datagram socket bound at <home>/queue/sockets/queue, as
 * wazuh-agentd binds it, read by a thread that keeps every frame.
 */
#ifndef AWS_S3_TEST_AGENTD_H
#define AWS_S3_TEST_AGENTD_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>

/* One datagram, byte for byte (len counts a trailing NUL if one came). */
typedef struct {
    size_t len;
    char *data;
} agentd_frame;

typedef struct agentd agentd;

/* Called by the reader thread. */
typedef void (*agentd_hook)(agentd *a, void *arg);

struct agentd {
    char dir[PATH_MAX]; /* <home>/queue/sockets */
    char path[PATH_MAX + 8];

    /* Set before agentd_start. ------------------------------------------ */
    /* Pause after each frame: a slow agentd. */
    unsigned delay_us;
    /* Once restart_at frames were read (0: never), agentd goes away and
     * comes back: it creates queue/sockets/.wait (producers pause), takes
     * gate (when set) so that no datagram is in flight, reads what is
     * queued, closes and removes its socket, removes .wait, calls on_gap,
     * waits gap_ms and binds a new socket at the same path. */
    size_t restart_at;
    pthread_mutex_t *gate;
    unsigned gap_ms;
    agentd_hook on_gap;
    void *gap_arg;
    /* Called once when trigger_at frames were read (0: never). */
    size_t trigger_at;
    agentd_hook on_trigger;
    void *trigger_arg;

    /* Results. ----------------------------------------------------------- */
    size_t before_gap; /* frames read before the restart */
    int restarted;
    int error; /* errno of a failed bind or recv, 0 if none */

    /* Internal. ---------------------------------------------------------- */
    int fd;
    pthread_t thread;
    volatile int done;
    pthread_mutex_t mutex;
    agentd_frame *frames;
    size_t nframes;
    size_t cap;
};

/* Binds <home>/queue/sockets/queue (creating the directories) and starts
 * the reader. The hook fields must be set first. Returns 0 or -1. */
int agentd_start(agentd *a, const char *home);

/* Reads what is still queued, stops the reader and closes the socket.
 * The frames stay until agentd_free. */
void agentd_stop(agentd *a);

/* Frames read so far (thread-safe). */
size_t agentd_count(agentd *a);

/* Frees the frames. */
void agentd_free(agentd *a);

#endif
