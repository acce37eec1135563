#include "wm_aws_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(wm_aws_json *j, const char *s, size_t n) {
    if (j->failed) {
        return;
    }
    if (j->len + n + 1 > j->cap) {
        size_t cap = j->cap ? j->cap : 256;
        while (j->len + n + 1 > cap) {
            cap *= 2;
        }
        char *buf = realloc(j->buf, cap);
        if (buf == NULL) {
            j->failed = true;
            return;
        }
        j->buf = buf;
        j->cap = cap;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static void puts_(wm_aws_json *j, const char *s) { put(j, s, strlen(s)); }

/* A member or element after another one needs a comma. */
static void separate(wm_aws_json *j) {
    if (j->len > 0 && j->buf != NULL) {
        char last = j->buf[j->len - 1];
        if (last != '{' && last != '[') {
            put(j, ",", 1);
        }
    }
}

/* JSON string escaping: the shim's values are UTF-8 text from ossec.conf;
 * only quotes, backslashes and control characters need escapes. */
static void quoted(wm_aws_json *j, const char *s) {
    put(j, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': puts_(j, "\\\""); break;
        case '\\': puts_(j, "\\\\"); break;
        case '\b': puts_(j, "\\b"); break;
        case '\f': puts_(j, "\\f"); break;
        case '\n': puts_(j, "\\n"); break;
        case '\r': puts_(j, "\\r"); break;
        case '\t': puts_(j, "\\t"); break;
        default:
            if (*p < 0x20) {
                snprintf(esc, sizeof(esc), "\\u%04x", *p);
                puts_(j, esc);
            } else {
                put(j, (const char *)p, 1);
            }
        }
    }
    put(j, "\"", 1);
}

static void key(wm_aws_json *j, const char *k) {
    separate(j);
    quoted(j, k);
    put(j, ":", 1);
}

void wm_aws_json_init(wm_aws_json *j) {
    memset(j, 0, sizeof(*j));
    put(j, "{", 1);
}

void wm_aws_json_open(wm_aws_json *j, const char *k) {
    key(j, k);
    put(j, "{", 1);
}

void wm_aws_json_open_array(wm_aws_json *j, const char *k) {
    key(j, k);
    put(j, "[", 1);
}

void wm_aws_json_open_element(wm_aws_json *j) {
    separate(j);
    put(j, "{", 1);
}

void wm_aws_json_close(wm_aws_json *j, char closer) { put(j, &closer, 1); }

void wm_aws_json_string(wm_aws_json *j, const char *k, const char *value) {
    if (value == NULL) {
        return;
    }
    key(j, k);
    quoted(j, value);
}

void wm_aws_json_int(wm_aws_json *j, const char *k, int n) {
    char num[16];
    snprintf(num, sizeof(num), "%d", n);
    key(j, k);
    puts_(j, num);
}

char *wm_aws_json_finish(wm_aws_json *j) {
    put(j, "}", 1);
    char *out = j->failed ? NULL : j->buf;
    if (out == NULL) {
        free(j->buf);
    }
    memset(j, 0, sizeof(*j));
    return out;
}
