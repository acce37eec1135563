#include "agentd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* agentd's receive size and buffer: OS_MAXSTR, OS_MAXSTR + 512. */
#define MAXSTR 65536

static int bind_queue(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr.sun_path, path);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    int size = MAXSTR + 512;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    chmod(path, 0660);
    return fd;
}

static void restart(agentd *a, char *buf);

/* Reads one queued datagram without waiting. Returns 1 when one was read,
 * 0 when none was queued, -1 on error. */
static int read_one(agentd *a, char *buf) {
    ssize_t n = recv(a->fd, buf, MAXSTR, MSG_DONTWAIT);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return 0;
        }
        a->error = errno;
        return -1;
    }
    char *copy = malloc((size_t)n + 1);
    if (copy == NULL) {
        a->error = ENOMEM;
        return -1;
    }
    memcpy(copy, buf, (size_t)n);
    copy[n] = '\0';

    pthread_mutex_lock(&a->mutex);
    if (a->nframes == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 1024;
        agentd_frame *frames = realloc(a->frames, cap * sizeof(*frames));
        if (frames == NULL) {
            pthread_mutex_unlock(&a->mutex);
            free(copy);
            a->error = ENOMEM;
            return -1;
        }
        a->frames = frames;
        a->cap = cap;
    }
    a->frames[a->nframes].len = (size_t)n;
    a->frames[a->nframes].data = copy;
    size_t count = ++a->nframes;
    pthread_mutex_unlock(&a->mutex);

    if (a->trigger_at != 0 && count == a->trigger_at && a->on_trigger != NULL) {
        a->on_trigger(a, a->trigger_arg);
    }
    if (a->restart_at != 0 && count >= a->restart_at && !a->restarted) {
        restart(a, buf);
    }
    if (a->delay_us != 0) {
        usleep(a->delay_us);
    }
    return 1;
}

/* agentd going away and coming back. With the gate held no sender is
 * between building a frame and send(), so after the last read nothing is
 * left in the old socket: every frame a sender saw accepted was read. */
static void restart(agentd *a, char *buf) {
    a->restarted = 1;
    /* agentd's producer lock first, so that senders pause before their
     * next frame; one blocked on a full queue holds the gate until a
     * frame is read. */
    char wait[PATH_MAX + 8];
    snprintf(wait, sizeof(wait), "%s/.wait", a->dir);
    int wfd = open(wait, O_WRONLY | O_CREAT | O_CLOEXEC, 0660);
    if (wfd >= 0) {
        close(wfd);
    }
    while (a->gate != NULL && pthread_mutex_trylock(a->gate) != 0) {
        if (read_one(a, buf) == 0) {
            usleep(100);
        }
    }
    while (read_one(a, buf) > 0) {
    }
    close(a->fd);
    unlink(a->path);
    a->fd = -1;
    unlink(wait);
    if (a->gate != NULL) {
        pthread_mutex_unlock(a->gate);
    }
    a->before_gap = agentd_count(a);
    if (a->on_gap != NULL) {
        a->on_gap(a, a->gap_arg);
    }
    usleep(a->gap_ms * 1000);
    a->fd = bind_queue(a->path);
    if (a->fd < 0) {
        a->error = errno;
    }
}

static void *reader(void *arg) {
    agentd *a = arg;
    char *buf = malloc(MAXSTR);
    if (buf == NULL) {
        a->error = ENOMEM;
        return NULL;
    }
    while (a->fd >= 0) {
        int done = a->done;
        struct pollfd p = {.fd = a->fd, .events = POLLIN};
        int r = poll(&p, 1, 20);
        if (r < 0 && errno != EINTR) {
            a->error = errno;
            break;
        }
        if (r > 0 && read_one(a, buf) < 0) {
            break;
        }
        /* Stopped and nothing queued when the stop was seen: every sender
         * had returned, so nothing more can come. */
        if (done && r == 0) {
            break;
        }
    }
    free(buf);
    return NULL;
}

int agentd_start(agentd *a, const char *home) {
    pthread_mutex_init(&a->mutex, NULL);
    a->frames = NULL;
    a->nframes = a->cap = 0;
    a->done = 0;
    a->restarted = 0;
    a->before_gap = 0;
    a->error = 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/queue", home);
    mkdir(dir, 0750);
    snprintf(dir, sizeof(dir), "%s/queue/sockets", home);
    mkdir(dir, 0750);
    snprintf(a->dir, sizeof(a->dir), "%s", dir);
    snprintf(a->path, sizeof(a->path), "%s/queue", dir);
    a->fd = bind_queue(a->path);
    if (a->fd < 0) {
        a->error = errno;
        return -1;
    }
    if (pthread_create(&a->thread, NULL, reader, a) != 0) {
        close(a->fd);
        a->fd = -1;
        return -1;
    }
    return 0;
}

void agentd_stop(agentd *a) {
    a->done = 1;
    pthread_join(a->thread, NULL);
    if (a->fd >= 0) {
        close(a->fd);
        a->fd = -1;
    }
    unlink(a->path);
}

size_t agentd_count(agentd *a) {
    pthread_mutex_lock(&a->mutex);
    size_t n = a->nframes;
    pthread_mutex_unlock(&a->mutex);
    return n;
}

void agentd_free(agentd *a) {
    for (size_t i = 0; i < a->nframes; i++) {
        free(a->frames[i].data);
    }
    free(a->frames);
    a->frames = NULL;
    a->nframes = a->cap = 0;
    pthread_mutex_destroy(&a->mutex);
}
