/*
 * http_parse.c: an HTTP/1.x request head, checked and taken apart (see
 * http_parse.h). The grammar is RFC 9112's, read strictly where a
 * mistake would matter (the request line, header names, the path) and
 * leniently where servers usually are (a bare LF for CRLF, spaces
 * around a header's value).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"

/* Where the head ends: the index after its blank line, or 0. */
static size_t head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* RFC 9110's tchar: what a method or a header name is made of. */
static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    for (const char *p = "!#$%&'*+-.^_`|~"; *p; p++) {
        if (c == *p)
            return true;
    }
    return false;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* s[0..n) equals word, ignoring case. */
static bool same_word(const char *s, size_t n, const char *word)
{
    size_t i = 0;
    for (; i < n && word[i]; i++) {
        if (lower(s[i]) != lower(word[i]))
            return false;
    }
    return i == n && word[i] == '\0';
}

/* Does the comma-separated list s[0..n) hold token (any case)? */
static bool list_has(const char *s, size_t n, const char *token)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
            i++;
        size_t start = i;
        while (i < n && s[i] != ',' && s[i] != ' ' && s[i] != '\t')
            i++;
        if (i > start && same_word(s + start, i - start, token))
            return true;
    }
    return false;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/*
 * The request target (origin form, "/a/b?query") into out: percent
 * escapes decoded, the query and fragment dropped, empty and "."
 * segments dropped, a trailing slash kept. 200, or 400 (not a path, a
 * bad escape, an escaped NUL or slash, a control character, a ".."
 * segment: a path may not leave the server's root) or 414 (too long).
 */
static int take_path(const char *s, size_t n, char out[HTTP_PATH_MAX])
{
    if (n == 0 || s[0] != '/')
        return 400;
    size_t stop = 0;
    while (stop < n && s[stop] != '?' && s[stop] != '#')
        stop++;
    bool dir = stop > 1 && s[stop - 1] == '/';
    size_t o = 0;               /* out[0..o): the path so far, no trailing slash */
    size_t i = 1;
    while (i <= stop) {
        size_t start = o + 1;   /* this segment's first byte, after its slash */
        if (start >= HTTP_PATH_MAX)
            return 414;
        out[o] = '/';
        size_t w = start;
        while (i < stop && s[i] != '/') {
            char c = s[i];
            if (c == '%') {
                int hi = i + 2 < stop ? hex_value(s[i + 1]) : -1;
                int lo = i + 2 < stop ? hex_value(s[i + 2]) : -1;
                if (hi < 0 || lo < 0)
                    return 400;
                c = (char)(hi * 16 + lo);
                if (c == '\0' || c == '/')
                    return 400; /* an escaped slash would hide a segment from these checks */
                i += 3;
            } else {
                if ((unsigned char)c <= ' ' || c == 0x7F)
                    return 400;
                i++;
            }
            if (w + 1 >= HTTP_PATH_MAX)
                return 414;
            out[w++] = c;
        }
        i++;                    /* past the slash, or past the end */
        size_t len = w - start;
        if (len == 0 || (len == 1 && out[start] == '.'))
            continue;           /* "//" and "/./" add nothing */
        if (len == 2 && out[start] == '.' && out[start + 1] == '.')
            return 400;
        o = w;
    }
    if (o == 0 || dir) {
        if (o + 2 > HTTP_PATH_MAX)
            return 414;
        out[o++] = '/';
    }
    out[o] = '\0';
    return 200;
}

/* "1.1" etc. after "HTTP/": the minor version, or -1 if not 1.x, -2 if malformed. */
static int take_version(const char *s, size_t n)
{
    if (n != 8 || s[0] != 'H' || s[1] != 'T' || s[2] != 'T' || s[3] != 'P' || s[4] != '/' ||
        s[6] != '.' || s[5] < '0' || s[5] > '9' || s[7] < '0' || s[7] > '9')
        return -2;
    if (s[5] != '1' || s[7] > '1')
        return -1;
    return s[7] - '0';
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
    /* RFC 9112 2.2: empty lines before the request line are ignored. */
    size_t i = 0;
    while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
        i++;
    size_t end = head_end(buf + i, len - i);
    if (end == 0)
        return len >= HTTP_HEAD_MAX ? 431 : HTTP_INCOMPLETE;
    end += i;
    if (end > HTTP_HEAD_MAX)
        return 431;

    /* The request line: METHOD SP TARGET SP VERSION. */
    size_t line_end = i;
    while (buf[line_end] != '\n')
        line_end++;
    size_t line_len = line_end - i - (line_end > i && buf[line_end - 1] == '\r');
    const char *line = buf + i;
    size_t sp1 = 0;
    while (sp1 < line_len && line[sp1] != ' ')
        sp1++;
    size_t sp2 = sp1 + 1;
    while (sp2 < line_len && line[sp2] != ' ')
        sp2++;
    if (sp1 == 0 || sp1 >= line_len || sp2 >= line_len || sp2 == sp1 + 1)
        return 400;
    for (size_t k = 0; k < sp1; k++) {
        if (!is_tchar(line[k]))
            return 400;
    }
    int minor = take_version(line + sp2 + 1, line_len - sp2 - 1);
    if (minor == -2)
        return 400;
    if (minor == -1)
        return 505;
    if (same_word(line, sp1, "GET") && line[0] == 'G')
        req->method = HTTP_GET;
    else if (same_word(line, sp1, "HEAD") && line[0] == 'H')
        req->method = HTTP_HEAD;
    else
        return 405;             /* methods are case-sensitive: "get" is another method */
    int status = take_path(line + sp1 + 1, sp2 - sp1 - 1, req->path);
    if (status != 200)
        return status;
    req->minor = minor;
    req->keep_alive = minor == 1;
    req->content_length = 0;
    req->head_len = end;

    /* The headers, each "Name: value", until the blank line. */
    bool host = false, length_seen = false;
    i = line_end + 1;
    while (i < end) {
        size_t e = i;
        while (buf[e] != '\n')
            e++;
        size_t n = e - i - (e > i && buf[e - 1] == '\r');
        const char *h = buf + i;
        i = e + 1;
        if (n == 0)
            break;              /* the blank line */
        if (h[0] == ' ' || h[0] == '\t')
            return 400;         /* obsolete line folding */
        size_t colon = 0;
        while (colon < n && h[colon] != ':') {
            if (!is_tchar(h[colon]))
                return 400;
            colon++;
        }
        if (colon == 0 || colon == n)
            return 400;
        size_t v = colon + 1, ve = n;
        while (v < ve && (h[v] == ' ' || h[v] == '\t'))
            v++;
        while (ve > v && (h[ve - 1] == ' ' || h[ve - 1] == '\t'))
            ve--;
        for (size_t k = v; k < ve; k++) {
            if (h[k] == '\0' || h[k] == '\r')
                return 400;
        }
        if (same_word(h, colon, "host")) {
            if (host)
                return 400;     /* two Host headers */
            host = true;
        } else if (same_word(h, colon, "connection")) {
            if (list_has(h + v, ve - v, "close"))
                req->keep_alive = false;
            else if (list_has(h + v, ve - v, "keep-alive"))
                req->keep_alive = true;
        } else if (same_word(h, colon, "transfer-encoding")) {
            return 501;
        } else if (same_word(h, colon, "content-length")) {
            uint64_t value = 0;
            if (ve == v || length_seen)
                return 400;
            for (size_t k = v; k < ve; k++) {
                if (h[k] < '0' || h[k] > '9' || value > (UINT64_MAX - 9) / 10)
                    return 400;
                value = value * 10 + (uint64_t)(h[k] - '0');
            }
            req->content_length = value;
            length_seen = true;
        }
    }
    if (minor == 1 && !host)
        return 400;
    return 200;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}
