/*
 * webserver.c: a small event-driven HTTP/1.1 file server, one thread and
 * one epoll set for every connection (the shape of nginx's worker).
 *
 *   webserver [-p PORT] [-r ROOT] [-n MAX_REQUESTS]
 *
 * Serves the files under ROOT (default /www; a directory's index.html)
 * with GET and HEAD, keeps connections alive (HTTP/1.1, or 1.0 with
 * "Connection: keep-alive"), answers 400, 404, 405, 414 and 431 to bad
 * requests, and closes a connection idle for IDLE_SECONDS. With -n it
 * exits 0 after that many requests. Each socket is non-blocking: a read
 * takes what has come, an answer is written as far as the connection
 * takes it and the rest waits for EPOLLOUT.
 *
 * An ordinary static Linux program: the same binary runs on Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define REQUEST_MAX 8192            /* a request's line and headers */
#define FILE_MAX (64 << 20)         /* the largest file served */
#define IDLE_SECONDS 60            /* as nginx's client_header_timeout */

struct conn {
    int fd;
    char req[REQUEST_MAX];
    size_t req_len;
    char *out;                      /* the answer being sent */
    size_t out_len, out_done;
    int close_after;                /* close once the answer is out */
    time_t last;
};

static struct conn *conns[MAX_CONNS];
static const char *root = "/www";
static long requests, max_requests = -1;

static void drop(int ep, struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i] == c)
            conns[i] = NULL;
    free(c->out);
    free(c);
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    }
    return "Error";
}

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (dot && (strcmp(dot, ".txt") == 0 || strcmp(dot, ".js") == 0))
        return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

/* Put an answer in c->out: a head, and body (len bytes, taken) unless HEAD. */
static void answer(struct conn *c, int status, const char *type, char *body, size_t len, int head_only)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nServer: cubos-webserver\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\nConnection: %s\r\n\r\n",
                     status, reason(status), type, len, c->close_after ? "close" : "keep-alive");
    size_t body_len = head_only ? 0 : len;
    c->out = malloc((size_t)n + body_len);
    if (c->out == NULL) {
        free(body);
        c->close_after = 1;
        c->out_len = c->out_done = 0;
        return;
    }
    memcpy(c->out, head, (size_t)n);
    if (body_len)
        memcpy(c->out + n, body, body_len);
    free(body);
    c->out_len = (size_t)n + body_len;
    c->out_done = 0;
    requests++;
}

static void error_answer(struct conn *c, int status, int head_only)
{
    char *body = malloc(64);
    int n = body ? snprintf(body, 64, "%d %s\n", status, reason(status)) : 0;
    answer(c, status, "text/plain; charset=utf-8", body, (size_t)n, head_only);
}

/* The file at ROOT/path (a directory: its index.html) into memory. */
static int load(const char *path, char **data, size_t *len, char *real, size_t real_size)
{
    if (path[0] != '/' || strstr(path, "/..") || strchr(path, '?'))
        return path[0] != '/' ? 400 : 404;
    snprintf(real, real_size, "%s%s", root, path);
    struct stat st;
    if (stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
        size_t k = strlen(real);
        snprintf(real + k, real_size - k, "%sindex.html", k && real[k - 1] == '/' ? "" : "/");
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 404;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
        close(fd);
        return 404;
    }
    *len = (size_t)st.st_size;
    *data = malloc(*len ? *len : 1);
    size_t got = 0;
    while (*data && got < *len) {
        ssize_t r = read(fd, *data + got, *len - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (*data == NULL || got != *len) {
        free(*data);
        return 500;
    }
    return 200;
}

/* A whole request is in c->req (len bytes up to the blank line): answer it. */
static void serve(struct conn *c, size_t len)
{
    c->req[len - 1] = 0;
    char method[16], target[2048], version[16];
    int fields = sscanf(c->req, "%15s %2047s %15s", method, target, version);
    char *eol = strstr(c->req, "\r\n");
    if (fields != 3 || eol == NULL || strncmp(version, "HTTP/1.", 7) != 0) {
        c->close_after = 1;
        error_answer(c, 400, 0);
        return;
    }
    /* HTTP/1.1 keeps the connection unless told; 1.0 closes unless told. */
    int keep = strcmp(version, "HTTP/1.1") == 0;
    for (char *h = eol + 2; *h; h = strstr(h, "\r\n") ? strstr(h, "\r\n") + 2 : h + strlen(h)) {
        if (strncasecmp(h, "Connection:", 11) == 0) {
            const char *v = h + 11 + strspn(h + 11, " \t");
            if (strncasecmp(v, "close", 5) == 0)
                keep = 0;
            else if (strncasecmp(v, "keep-alive", 10) == 0)
                keep = 1;
        }
    }
    c->close_after = !keep;
    int head_only = strcmp(method, "HEAD") == 0;
    if (!head_only && strcmp(method, "GET") != 0) {
        error_answer(c, 405, 0);
        return;
    }
    char *data = NULL, real[4096];
    size_t n = 0;
    int status = load(target, &data, &n, real, sizeof(real));
    if (status != 200)
        error_answer(c, status, head_only);
    else
        answer(c, 200, type_of(real), data, n, head_only);
}

/* Write what the connection takes; 0 to go on, -1 when it is to be closed. */
static int flush(struct conn *c)
{
    while (c->out_done < c->out_len) {
        ssize_t w = write(c->fd, c->out + c->out_done, c->out_len - c->out_done);
        if (w < 0)
            return errno == EAGAIN ? 0 : -1;
        c->out_done += (size_t)w;
        c->last = time(NULL);
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_done = 0;
    return c->close_after ? -1 : 0;
}

/* Take what has come on c and answer each whole request; -1: close. */
static int on_readable(struct conn *c)
{
    for (;;) {
        if (c->out)
            return 0;           /* one answer at a time: the rest waits */
        char *end = memmem(c->req, c->req_len, "\r\n\r\n", 4);
        if (end) {
            size_t len = (size_t)(end - c->req) + 4;
            serve(c, len);
            memmove(c->req, c->req + len, c->req_len - len);
            c->req_len -= len;
            if (flush(c) < 0)
                return -1;
            continue;
        }
        if (c->req_len == sizeof(c->req)) {
            int long_line = memchr(c->req, '\n', c->req_len) == NULL;
            c->close_after = 1;
            error_answer(c, long_line ? 414 : 431, 0);
            c->req_len = 0;
            return flush(c);
        }
        ssize_t r = read(c->fd, c->req + c->req_len, sizeof(c->req) - c->req_len);
        if (r == 0 || (r < 0 && errno != EAGAIN))
            return -1;
        if (r < 0)
            return 0;
        c->req_len += (size_t)r;
        c->last = time(NULL);
    }
}

static void accept_all(int ep, int l)
{
    for (;;) {
        int fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;             /* EAGAIN: all taken */
        int slot = 0;
        while (slot < MAX_CONNS && conns[slot])
            slot++;
        struct conn *c = slot < MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
        if (c == NULL) {
            close(fd);          /* full: the client sees the connection close */
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->fd = fd;
        c->last = time(NULL);
        conns[slot] = c;
        /* Edge-triggered: told once per change, so each handler goes on
         * until EAGAIN; an idle connection costs no wake-ups. */
        struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            drop(ep, c);
    }
}

int main(int argc, char **argv)
{
    int port = 8000, opt;
    while ((opt = getopt(argc, argv, "p:r:n:")) != -1) {
        if (opt == 'p')
            port = atoi(optarg);
        else if (opt == 'r')
            root = optarg;
        else if (opt == 'n')
            max_requests = atol(optarg);
        else {
            fprintf(stderr, "usage: webserver [-p PORT] [-r ROOT] [-n MAX_REQUESTS]\n");
            return 2;
        }
    }
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "webserver: -p %d: not a TCP port (1-65535)\n", port);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 128) != 0) {
        fprintf(stderr, "webserver: port %d: %s\n", port, strerror(errno));
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
    printf("webserver: listening on port %d, serving %s\n", port, root);
    fflush(stdout);
    while (max_requests < 0 || requests < max_requests) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 1000);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c == NULL) {
                accept_all(ep, l);
                continue;
            }
            int bad = (evs[i].events & EPOLLERR) != 0;
            if (!bad && (evs[i].events & EPOLLOUT) && c->out)
                bad = flush(c) < 0;
            if (!bad)           /* requests that waited for the answer before */
                bad = on_readable(c) < 0;
            if (bad)
                drop(ep, c);
        }
        time_t now = time(NULL);
        for (int i = 0; i < MAX_CONNS; i++)
            if (conns[i] && now - conns[i]->last > IDLE_SECONDS)
                drop(ep, conns[i]);
    }
    printf("webserver: %ld requests served, exiting\n", requests);
    return 0;
}
