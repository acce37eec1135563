#include "library.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

host_record recorded = {.mutex = PTHREAD_MUTEX_INITIALIZER};

/* Called before cmocka runs anything: a missing library ends the test
 * program with a message. */
static void *sym(void *handle, const char *name) {
    void *p = dlsym(handle, name);
    if (p == NULL) {
        fprintf(stderr, "symbol %s missing: %s\n", name, dlerror());
        exit(1);
    }
    return p;
}

void library_load(library *lib) {
    const char *path = getenv("AWS_S3_LIBRARY");
    if (path == NULL || *path == '\0') {
        fprintf(stderr, "AWS_S3_LIBRARY is not set\n");
        exit(1);
    }
    void *handle = dlopen(path, RTLD_LAZY);
    if (handle == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(1);
    }
    lib->init = (aws_s3_init_func)sym(handle, "aws_s3_init");
    lib->run = (aws_s3_run_func)sym(handle, "aws_s3_run");
    lib->stop = (aws_s3_stop_func)sym(handle, "aws_s3_stop");
    lib->version = (aws_s3_version_func)sym(handle, "aws_s3_version");
    lib->dump = (aws_s3_dump_func)sym(handle, "aws_s3_dump");
    lib->free = (aws_s3_free_func)sym(handle, "aws_s3_free");
}

static void host_log(int level, const char *tag, const char *msg) {
    pthread_mutex_lock(&recorded.mutex);
    if (recorded.nlines < HOST_MAX_LINES) {
        int i = recorded.nlines++;
        recorded.levels[i] = level;
        snprintf(recorded.tags[i], sizeof(recorded.tags[i]), "%s", tag);
        snprintf(recorded.lines[i], sizeof(recorded.lines[i]), "%s", msg);
    }
    pthread_mutex_unlock(&recorded.mutex);
}

static int host_send(const char *location, const char *payload) {
    (void)location;
    (void)payload;
    pthread_mutex_lock(&recorded.mutex);
    recorded.nsent++;
    pthread_mutex_unlock(&recorded.mutex);
    return 0;
}

static bool host_is_shutting_down(void) { return recorded.shutting_down != 0; }

void host_reset(void) {
    pthread_mutex_lock(&recorded.mutex);
    recorded.nlines = 0;
    recorded.nsent = 0;
    recorded.shutting_down = 0;
    pthread_mutex_unlock(&recorded.mutex);
}

aws_s3_host host_new(const char *home) {
    aws_s3_host h = {
        .wazuh_home = home,
        .log = host_log,
        .send = host_send,
        .is_shutting_down = host_is_shutting_down,
        .version = "v5.1.0",
    };
    return h;
}

int host_find(int level, const char *part) {
    int found = -1;
    pthread_mutex_lock(&recorded.mutex);
    for (int i = 0; i < recorded.nlines && found < 0; i++) {
        if (recorded.levels[i] == level && strstr(recorded.lines[i], part) != NULL) {
            found = i;
        }
    }
    pthread_mutex_unlock(&recorded.mutex);
    return found;
}
