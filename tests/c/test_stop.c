/*
 * aws_s3_stop from a SIGTERM handler ends a real run that is waiting on an
 * S3 endpoint which accepts connections and never answers (a listener on
 * 127.0.0.1). Needs core/engine to reach the endpoint: registered with
 * -DAWS_S3_ENGINE_TESTS=ON.
 */
#define _GNU_SOURCE /* nftw */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ftw.h>

#include "library.h"

static library lib;
static volatile aws_s3_stop_func stop_fn;

static void on_sigterm(int sig) {
    (void)sig;
    if (stop_fn != NULL) {
        stop_fn();
    }
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A listener that accepts and then says nothing. */
typedef struct {
    int fd;
    int port;
    volatile int accepted;
    volatile int done;
    int clients[64];
} silent_server;

static void *serve(void *arg) {
    silent_server *s = arg;
    while (!s->done) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) {
            break;
        }
        if (s->accepted < 64) {
            s->clients[s->accepted] = c;
        } else {
            close(c);
        }
        s->accepted++;
    }
    return NULL;
}

static void server_start(silent_server *s, pthread_t *t) {
    memset(s, 0, sizeof(*s));
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    socklen_t len = sizeof(addr);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&addr, &len), 0);
    s->port = ntohs(addr.sin_port);
    assert_int_equal(pthread_create(t, NULL, serve, s), 0);
}

static void server_stop(silent_server *s, pthread_t t) {
    s->done = 1;
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(t, NULL);
    for (int i = 0; i < s->accepted && i < 64; i++) {
        close(s->clients[i]);
    }
}

typedef struct {
    const char *target;
    int rc;
    volatile int finished;
    double end;
} run_args;

static void *run_thread(void *arg) {
    run_args *r = arg;
    r->rc = lib.run(r->target);
    r->end = now();
    r->finished = 1;
    return NULL;
}

static void test_sigterm_ends_waiting_run(void **state) {
    (void)state;
    char home[] = "/tmp/aws_s3_stop_XXXXXX";
    assert_non_null(mkdtemp(home));
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/wodles", home);
    mkdir(dir, 0700);
    snprintf(dir, sizeof(dir), "%s/wodles/aws", home);
    mkdir(dir, 0700);

    silent_server srv;
    pthread_t st;
    server_start(&srv, &st);

    aws_s3_host h = host_new(home);
    assert_int_equal(lib.init(&h), AWS_S3_OK);

    char target[1024];
    snprintf(target, sizeof(target),
             "{\"bucket\":{\"name\":\"silent-bucket\",\"type\":\"cloudtrail\",\"regions\":\"us-east-1\","
             "\"access_key\":\"AKIAEXAMPLEKEY\",\"secret_key\":\"s3cr3tValue\","
             "\"service_endpoint\":\"http://127.0.0.1:%d\"},\"debug\":2}",
             srv.port);
    run_args r = {.target = target};
    pthread_t rt;
    assert_int_equal(pthread_create(&rt, NULL, run_thread, &r), 0);

    /* Wait until the run is talking to the silent endpoint. */
    double deadline = now() + 10;
    while (srv.accepted == 0 && !r.finished && now() < deadline) {
        usleep(10000);
    }
    if (srv.accepted == 0) {
        fail_msg("the run never connected to the endpoint (finished=%d rc=%d)", r.finished, r.rc);
    }
    usleep(200000);
    assert_false(r.finished);

    double signalled = now();
    kill(getpid(), SIGTERM);
    pthread_join(rt, NULL);
    if (r.end - signalled >= 2.0) {
        fail_msg("aws_s3_run returned %.2f s after SIGTERM", r.end - signalled);
    }
    assert_int_not_equal(r.rc, AWS_S3_OK);

    server_stop(&srv, st);
    for (int i = 0; i < recorded.nlines; i++) {
        assert_null(strstr(recorded.lines[i], "s3cr3tValue"));
    }
    nftw(home, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigterm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    /* Nothing but the listener: no instance metadata, no shared config.
     * Set before loading: the Go runtime copies the environment then. */
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);

    library_load(&lib);
    stop_fn = lib.stop;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigterm_ends_waiting_run),
    };
    return cmocka_run_group_tests_name("stop", tests, NULL, NULL);
}
