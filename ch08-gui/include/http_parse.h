/*
 * http_parse.h: reading an HTTP/1.x request's head (RFC 9112), for the
 * kernel's web server (net/httpd.c). Pure code: no allocation, no I/O,
 * tested on the host (tests/ch07-net/unit/test_http_parse.c).
 */
#ifndef CUBOS_HTTP_PARSE_H
#define CUBOS_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 8192          /* request line and headers, with the blank line */
#define HTTP_PATH_MAX 256           /* the decoded path, with its NUL */

enum http_method { HTTP_GET, HTTP_HEAD };

struct http_request {
    enum http_method method;
    char path[HTTP_PATH_MAX];   /* decoded and normalised: "/", "/a/b.txt" */
    int minor;                  /* HTTP/1.minor */
    bool keep_alive;            /* the connection stays open after the answer */
    uint64_t content_length;    /* body bytes after the head (to be skipped) */
    size_t head_len;            /* bytes of the head, through its blank line */
};

/* A head not complete yet: read more, unless HTTP_HEAD_MAX bytes are in. */
#define HTTP_INCOMPLETE 0

/*
 * Parse the request head at the start of buf (len bytes so far).
 * HTTP_INCOMPLETE if its blank line has not come yet; 200 with *req
 * filled when the head is whole and good; otherwise the status to
 * answer with before closing: 400 (malformed: a bad request line or
 * header, a missing Host in HTTP/1.1, a bad or escaping path), 405 (a
 * method other than GET and HEAD), 414 (a path too long), 431 (a head
 * longer than HTTP_HEAD_MAX), 501 (a transfer coding), 505 (not
 * HTTP/1.0 or 1.1).
 */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

/* The reason phrase of a status code this server sends ("Not Found"). */
const char *http_reason(int status);

#endif
