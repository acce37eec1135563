/*
 * fixture.h - real parts for the integration tests: a versitygw S3 server
 * on 127.0.0.1 over a temporary directory, gzip objects written into its
 * buckets, Wazuh homes, and child processes whose output is kept.
 */
#ifndef AWS_S3_TEST_FIXTURE_H
#define AWS_S3_TEST_FIXTURE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/* The versitygw binary: $VERSITYGW, then $PATH, $GOBIN, $GOPATH/bin and
 * ~/go/bin. NULL when there is none. */
const char *gateway_find(void);

typedef struct {
    pid_t pid; /* also the process group */
    int port;
    char root[64]; /* temporary directory: data/ is the backend */
    char data[80];
    char url[64];
} gateway;

/* Starts bin serving a fresh temporary directory on a free port of
 * 127.0.0.1 with the given root keys (passed in its environment, never on
 * its command line) and waits until it accepts connections. Returns 0, or
 * -1 with a reason in why. */
int gateway_start(gateway *g, const char *bin, const char *access, const char *secret, char *why, size_t whylen);

/* Ends the gateway's process group and removes its directory. */
void gateway_stop(gateway *g);

/* Writes body, gzip-compressed, as object key of bucket (a directory of
 * the posix backend). Returns 0 or -1. */
int gateway_put_gzip(const gateway *g, const char *bucket, const char *key, const char *body, size_t len);

/* Creates a temporary Wazuh home "<prefix>XXXXXX" with bin/wazuh-control
 * answering `info` with WAZUH_VERSION="version". Returns 0 or -1. */
int home_create(char *home, size_t size, const char *prefix, const char *version);

/* Removes a directory tree. */
void tree_remove(const char *path);

/* Runs argv (argv[0] searched in $PATH) with envp (NULL: this process's
 * environment), stdout into *out (malloc'ed, NUL-terminated; the caller
 * frees it) and stderr into the file errpath (NULL: /dev/null). Gives up
 * and kills the child after timeout_s. Returns the exit status, or -1. */
int process_run(char *const argv[], char *const envp[], const char *errpath, double timeout_s, char **out);

/* Monotonic seconds. */
double now_s(void);

#endif
