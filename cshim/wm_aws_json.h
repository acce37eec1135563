/*
 * wm_aws_json.h - the few JSON objects the shim builds (a target for
 * aws_s3_run, the module dump), without depending on cJSON so that the
 * shim also builds outside a Wazuh tree.
 */
#ifndef WM_AWS_JSON_H
#define WM_AWS_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wm_aws_json {
    char *buf;
    size_t len;
    size_t cap;
    bool failed; /* an allocation failed: finish returns NULL */
} wm_aws_json;

/* Starts the text with "{". */
void wm_aws_json_init(wm_aws_json *j);
/* "key": { */
void wm_aws_json_open(wm_aws_json *j, const char *key);
/* "key": [ */
void wm_aws_json_open_array(wm_aws_json *j, const char *key);
/* { as an array element */
void wm_aws_json_open_element(wm_aws_json *j);
/* } or ] */
void wm_aws_json_close(wm_aws_json *j, char closer);
/* "key": "value", nothing when value is NULL. */
void wm_aws_json_string(wm_aws_json *j, const char *key, const char *value);
/* "key": n */
void wm_aws_json_int(wm_aws_json *j, const char *key, int n);
/* Closes the outer object and returns the malloc'd text (NULL when an
 * allocation failed); the builder is left empty. */
char *wm_aws_json_finish(wm_aws_json *j);

#endif
