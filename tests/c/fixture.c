#define _GNU_SOURCE /* nftw, environ */
#include "fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

extern char **environ;

double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int executable(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* dir/versitygw for each ':'-separated dir of list. */
static const char *search(const char *list, char *buf, size_t size) {
    if (list == NULL) {
        return NULL;
    }
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ":");
        if (n > 0 && snprintf(buf, size, "%.*s/versitygw", (int)n, p) < (int)size && executable(buf)) {
            return buf;
        }
        p += n;
        if (*p == ':') {
            p++;
        }
    }
    return NULL;
}

const char *gateway_find(void) {
    static char path[PATH_MAX];
    const char *env = getenv("VERSITYGW");
    if (env != NULL && *env != '\0') {
        return executable(env) ? env : NULL;
    }
    if (search(getenv("PATH"), path, sizeof(path)) || search(getenv("GOBIN"), path, sizeof(path))) {
        return path;
    }
    const char *gopath = getenv("GOPATH");
    if (gopath != NULL) {
        char dirs[PATH_MAX];
        /* each GOPATH entry's bin */
        size_t j = 0;
        for (const char *p = gopath; *p && j + 5 < sizeof(dirs); p++) {
            if (*p == ':') {
                j += (size_t)snprintf(dirs + j, sizeof(dirs) - j, "/bin:");
            } else {
                dirs[j++] = *p;
            }
        }
        snprintf(dirs + j, sizeof(dirs) - j, "/bin");
        if (search(dirs, path, sizeof(path))) {
            return path;
        }
    }
    const char *home = getenv("HOME");
    if (home != NULL && snprintf(path, sizeof(path), "%s/go/bin/versitygw", home) < (int)sizeof(path) &&
        executable(path)) {
        return path;
    }
    return NULL;
}

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
}

static int accepts(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return 0;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    close(fd);
    return ok;
}

/* The environment plus the gateway's root keys. */
static char **gateway_env(const char *access, const char *secret) {
    size_t n = 0;
    while (environ[n] != NULL) {
        n++;
    }
    char **env = calloc(n + 3, sizeof(char *));
    if (env == NULL) {
        return NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "ROOT_", 5) != 0) {
            env[j++] = environ[i];
        }
    }
    if (asprintf(&env[j++], "ROOT_ACCESS_KEY_ID=%s", access) < 0 ||
        asprintf(&env[j++], "ROOT_SECRET_ACCESS_KEY=%s", secret) < 0) {
        free(env);
        return NULL;
    }
    return env;
}

static void free_env(char **env) {
    size_t n = 0;
    while (env[n] != NULL) {
        n++;
    }
    free(env[n - 1]);
    free(env[n - 2]);
    free(env);
}

static int launch(gateway *g, const char *bin, char **env, char *why, size_t whylen) {
    g->port = free_port();
    if (g->port < 0) {
        snprintf(why, whylen, "no free port: %s", strerror(errno));
        return -1;
    }
    snprintf(g->url, sizeof(g->url), "http://127.0.0.1:%d", g->port);
    char addr[32], log[PATH_MAX];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", g->port);
    snprintf(log, sizeof(log), "%s/gw.log", g->root);
    int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (logfd < 0) {
        snprintf(why, whylen, "%s: %s", log, strerror(errno));
        return -1;
    }
    char *argv[] = {(char *)"versitygw", (char *)"--port", addr, (char *)"--quiet", (char *)"posix", g->data, NULL};
    pid_t pid = fork();
    if (pid < 0) {
        close(logfd);
        snprintf(why, whylen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* Its own process group, so that stopping reaches all of it; and
         * killed with us if we die first. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(logfd, STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        execve(bin, argv, env);
        _exit(127);
    }
    close(logfd);
    setpgid(pid, pid);
    g->pid = pid;
    double deadline = now_s() + 15;
    while (now_s() < deadline) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            g->pid = 0;
            snprintf(why, whylen, "versitygw exited at start-up (status %d); see %s", status, log);
            return -1;
        }
        if (accepts(g->port)) {
            return 0;
        }
        usleep(20000);
    }
    snprintf(why, whylen, "versitygw did not listen on %s within 15 s", addr);
    gateway_stop(g);
    return -1;
}

int gateway_start(gateway *g, const char *bin, const char *access, const char *secret, char *why, size_t whylen) {
    memset(g, 0, sizeof(*g));
    snprintf(g->root, sizeof(g->root), "/tmp/aws-s3-gw-XXXXXX");
    if (mkdtemp(g->root) == NULL) {
        snprintf(why, whylen, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    snprintf(g->data, sizeof(g->data), "%s/data", g->root);
    if (mkdir(g->data, 0700) < 0) {
        snprintf(why, whylen, "%s: %s", g->data, strerror(errno));
        tree_remove(g->root);
        return -1;
    }
    char **env = gateway_env(access, secret);
    if (env == NULL) {
        snprintf(why, whylen, "out of memory");
        tree_remove(g->root);
        return -1;
    }
    /* The free port may be taken before the gateway binds it: retry. */
    int rc = -1;
    for (int attempt = 0; attempt < 3 && rc < 0; attempt++) {
        rc = launch(g, bin, env, why, whylen);
    }
    free_env(env);
    if (rc < 0) {
        tree_remove(g->root);
    }
    return rc;
}

void gateway_stop(gateway *g) {
    if (g->pid > 0) {
        kill(-g->pid, SIGTERM);
        double deadline = now_s() + 5;
        int status;
        while (waitpid(g->pid, &status, WNOHANG) == 0) {
            if (now_s() > deadline) {
                kill(-g->pid, SIGKILL);
                waitpid(g->pid, &status, 0);
                break;
            }
            usleep(10000);
        }
        /* Anything it started. */
        kill(-g->pid, SIGKILL);
        g->pid = 0;
    }
    if (g->root[0] != '\0') {
        tree_remove(g->root);
        g->root[0] = '\0';
    }
}

static int mkdirs(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            int rc = mkdir(path, 0755);
            *p = '/';
            if (rc < 0 && errno != EEXIST) {
                return -1;
            }
        }
    }
    return 0;
}

int gateway_put_gzip(const gateway *g, const char *bucket, const char *key, const char *body, size_t len) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s/%s", g->data, bucket, key) >= (int)sizeof(path) || mkdirs(path) < 0) {
        return -1;
    }
    gzFile f = gzopen(path, "wb6");
    if (f == NULL) {
        return -1;
    }
    int ok = gzwrite(f, body, (unsigned)len) == (int)len;
    return gzclose(f) == Z_OK && ok ? 0 : -1;
}

int home_create(char *home, size_t size, const char *prefix, const char *version) {
    if (snprintf(home, size, "%sXXXXXX", prefix) >= (int)size || mkdtemp(home) == NULL) {
        return -1;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/bin", home);
    if (mkdir(path, 0750) < 0) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/bin/wazuh-control", home);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    fprintf(f, "#!/bin/sh\n[ \"$1\" = info ] && echo 'WAZUH_VERSION=\"%s\"'\nexit 0\n", version);
    fclose(f);
    return chmod(path, 0750);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void tree_remove(const char *path) { nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

int process_run(char *const argv[], char *const envp[], const char *errpath, double timeout_s, char **out) {
    *out = NULL;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, errpath ? errpath : "/dev/null",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        errno = rc;
        return -1;
    }

    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    double deadline = now_s() + timeout_s;
    int timed_out = 0;
    for (;;) {
        int left = (int)((deadline - now_s()) * 1000);
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        if (poll(&p, 1, left) <= 0) {
            continue;
        }
        if (buf != NULL && len + 4096 > cap) {
            char *b = realloc(buf, cap * 2);
            if (b == NULL) {
                free(buf);
                buf = NULL;
            } else {
                buf = b;
                cap *= 2;
            }
        }
        char sink[4096];
        ssize_t n = buf ? read(fds[0], buf + len, cap - len - 1) : read(fds[0], sink, sizeof(sink));
        if (n <= 0) {
            break;
        }
        if (buf) {
            len += (size_t)n;
        }
    }
    close(fds[0]);
    if (timed_out) {
        kill(pid, SIGKILL);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (buf == NULL) {
        return -1;
    }
    buf[len] = '\0';
    *out = buf;
    if (timed_out || !WIFEXITED(status)) {
        return -1;
    }
    return WEXITSTATUS(status);
}
