/*
 * test_http_parse.c: the kernel web server's request parser
 * (net/http_parse.c): whole and partial heads, keep-alive by version and
 * Connection header, paths decoded and normalised, and every refusal
 * with its status: a bad request line, bad headers, a missing Host, a
 * path that leaves the root, a head too long, a transfer coding, other
 * versions and methods.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

#include "check.h"

/* Parse text (a C string) as a whole buffer. */
static int parse(const char *text, struct http_request *req)
{
    /* A copy of exactly its length, so ASan sees any read past the end. */
    size_t n = strlen(text);
    char *buf = malloc(n ? n : 1);
    memcpy(buf, text, n);
    int status = http_parse_request(buf, n, req);
    free(buf);
    return status;
}

static void check_path(const char *target, const char *want)
{
    char text[600];
    snprintf(text, sizeof(text), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
    struct http_request req;
    int status = parse(text, &req);
    if (status != 200 || strcmp(req.path, want) != 0) {
        fprintf(stderr, "path %s: got %d '%s', want '%s'\n", target, status,
                status == 200 ? req.path : "", want);
        failures++;
    }
}

static void check_status(const char *text, int want)
{
    struct http_request req;
    int status = parse(text, &req);
    if (status != want) {
        fprintf(stderr, "request %.40s...: got %d, want %d\n", text, status, want);
        failures++;
    }
}

static void whole_requests(void)
{
    struct http_request req;
    const char *get = "GET /index.html HTTP/1.1\r\nHost: 10.0.2.15\r\nUser-Agent: t\r\n\r\n";
    CHECK(parse(get, &req) == 200);
    CHECK(req.method == HTTP_GET && req.minor == 1 && req.keep_alive);
    CHECK(strcmp(req.path, "/index.html") == 0);
    CHECK(req.head_len == strlen(get) && req.content_length == 0);

    CHECK(parse("HEAD / HTTP/1.0\r\n\r\n", &req) == 200);
    CHECK(req.method == HTTP_HEAD && req.minor == 0 && !req.keep_alive);
    CHECK(strcmp(req.path, "/") == 0);

    /* Keep-alive: HTTP/1.1 by default, 1.0 when asked; close wins, any case, in a list. */
    CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req) == 200 && req.keep_alive);
    CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &req) == 200 && !req.keep_alive);
    CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nconnection: foo, CLOSE\r\n\r\n", &req) == 200 &&
          !req.keep_alive);
    CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n", &req) == 200 && req.keep_alive);

    /* Bare LF line ends, empty lines before the request, spaces around values. */
    CHECK(parse("GET /a HTTP/1.1\nHost: x\n\n", &req) == 200 && strcmp(req.path, "/a") == 0);
    const char *early = "\r\n\r\nGET /b HTTP/1.1\r\nHost:   x  \r\n\r\n";
    CHECK(parse(early, &req) == 200 && req.head_len == strlen(early));

    /* A body's length, to be skipped; what follows the head is not read. */
    CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nhello world!", &req) == 200);
    CHECK(req.content_length == 12 && req.head_len == strlen("GET / HTTP/1.1\r\nHost: x\r\n"
                                                             "Content-Length: 12\r\n\r\n"));
}

static void partial_heads(void)
{
    const char *get = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
    size_t n = strlen(get);
    struct http_request req;
    for (size_t len = 0; len < n; len++) {
        char *buf = malloc(len ? len : 1);
        memcpy(buf, get, len);
        int status = http_parse_request(buf, len, &req);
        free(buf);
        if (status != HTTP_INCOMPLETE) {
            fprintf(stderr, "the first %zu bytes: got %d, want incomplete\n", len, status);
            failures++;
        }
    }
    /* No end after HTTP_HEAD_MAX bytes: too large, not a wait for ever. */
    char *big = malloc(HTTP_HEAD_MAX + 100);
    memset(big, 'a', HTTP_HEAD_MAX + 100);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    CHECK(http_parse_request(big, HTTP_HEAD_MAX - 1, &req) == HTTP_INCOMPLETE);
    CHECK(http_parse_request(big, HTTP_HEAD_MAX, &req) == 431);
    CHECK(http_parse_request(big, HTTP_HEAD_MAX + 100, &req) == 431);
    /* A whole head, but longer than the limit. */
    memcpy(big + HTTP_HEAD_MAX + 96, "\r\n\r\n", 4);
    CHECK(http_parse_request(big, HTTP_HEAD_MAX + 100, &req) == 431);
    free(big);
}

static void paths(void)
{
    check_path("/", "/");
    check_path("/a/b.txt", "/a/b.txt");
    check_path("/a//b", "/a/b");
    check_path("/./a/./b/.", "/a/b");
    check_path("/dir/", "/dir/");
    check_path("/a?x=1", "/a");
    check_path("/a/?x=/../..", "/a/");
    check_path("/a#frag", "/a");
    check_path("/%41%62c", "/Abc");
    check_path("/a%20b", "/a b");
    check_path("/%2e", "/");
    check_path("/..a/b..", "/..a/b..");
    check_path("//", "/");
    /* 255 bytes of path fit with the NUL; 256 do not. */
    char target[400];
    target[0] = '/';
    memset(target + 1, 'x', 254);
    target[255] = '\0';
    check_path(target, target);
    memset(target + 1, 'x', 255);
    target[256] = '\0';
    char text[600];
    snprintf(text, sizeof(text), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
    check_status(text, 414);
}

static void refusals(void)
{
    /* The request line. */
    check_status("GET\r\n\r\n", 400);
    check_status("GET / \r\n\r\n", 400);
    check_status("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400);
    check_status("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET / HTTP/1.1x\r\nHost: x\r\n\r\n", 400);
    check_status("GET / http/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET / HTTP/2.0\r\n\r\n", 505);
    check_status("GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505);
    check_status("GET / HTTP/0.9\r\n\r\n", 505);
    check_status("POST / HTTP/1.1\r\nHost: x\r\n\r\n", 405);
    check_status("get / HTTP/1.1\r\nHost: x\r\n\r\n", 405);
    check_status("BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 405);
    /* The target. */
    check_status("GET index.html HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET /a/../../b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET /%2e%2e/x HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET /a%2f..%2fb HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET /a%4 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET /a% HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    check_status("GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    /* The headers. */
    check_status("GET / HTTP/1.1\r\n\r\n", 400);                       /* no Host */
    check_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    check_status("GET / HTTP/1.1\r\nHost: x\r\nNo colon\r\n\r\n", 400);
    check_status("GET / HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n", 400);
    check_status("GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400);
    check_status("GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n folded\r\n\r\n", 400);
    check_status("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400);
    check_status("GET / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400);
    check_status("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400);
    check_status("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400);
    check_status("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501);
    /* A NUL in a value. */
    struct http_request req;
    static const char nul[] = "GET / HTTP/1.1\r\nHost: x\r\nA: b\0c\r\n\r\n";
    CHECK(http_parse_request(nul, sizeof(nul) - 1, &req) == 400);
}

static void reasons(void)
{
    int codes[] = { 200, 301, 400, 403, 404, 405, 408, 414, 431, 500, 501, 503, 505 };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        CHECK(strcmp(http_reason(codes[i]), "Unknown") != 0);
    CHECK(strcmp(http_reason(404), "Not Found") == 0);
    CHECK(strcmp(http_reason(299), "Unknown") == 0);
}

int main(void)
{
    whole_requests();
    partial_heads();
    paths();
    refusals();
    reasons();
    if (failures == 0)
        printf("test_http_parse: all passed\n");
    return failures != 0;
}
