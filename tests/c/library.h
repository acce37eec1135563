/*
 * library.h - loads libaws_s3.so for the tests the way modulesd does
 * (dlopen, one symbol per *_func typedef) and records what the library
 * hands to the host callbacks.
 */
#ifndef AWS_S3_TEST_LIBRARY_H
#define AWS_S3_TEST_LIBRARY_H

#include <pthread.h>
#include <stdbool.h>

#include "aws_s3.h"

typedef struct {
    aws_s3_init_func init;
    aws_s3_run_func run;
    aws_s3_stop_func stop;
    aws_s3_version_func version;
    aws_s3_dump_func dump;
    aws_s3_free_func free;
} library;

/* Loads the library named by the AWS_S3_LIBRARY environment variable;
 * exits the program when it cannot. */
void library_load(library *lib);

#define HOST_MAX_LINES 64

/* Everything the callbacks received, guarded by mutex. */
typedef struct {
    pthread_mutex_t mutex;
    int nlines;
    int levels[HOST_MAX_LINES];
    char tags[HOST_MAX_LINES][64];
    char lines[HOST_MAX_LINES][1024];
    int nsent;
    volatile int shutting_down;
} host_record;

extern host_record recorded;

void host_reset(void);
/* A host whose callbacks fill `recorded`. */
aws_s3_host host_new(const char *home);
/* Index of the first line at level containing part, or -1. */
int host_find(int level, const char *part);

#endif
