/*
 * httpd.c: the kernel's web server, on lwIP's netconn API: HTTP/1.1 with
 * keep-alive, GET and HEAD, the files under /www of the root file
 * system, and a live page of the machine's numbers at /stats (text) and
 * /stats.json.
 *
 * A listener thread accepts connections and starts a thread for each, up
 * to HTTPD_MAX_CONNS at once (more are answered 503 and closed). A
 * connection's thread reads a request head into a buffer of
 * HTTP_HEAD_MAX bytes, parses it (net/http_parse.c), answers, and reads
 * the next; a connection silent for HTTPD_IDLE_MS is closed, so a client
 * that opens connections and sends nothing (slowloris) holds each only
 * for that long. These threads belong to no shell command, and nothing
 * kills them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/api.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcpip.h"

#include "clock.h"
#include "cpu.h"
#include "errno.h"
#include "format.h"
#include "frame.h"
#include "heap.h"
#include "http_parse.h"
#include "httpd.h"
#include "kprintf.h"
#include "net.h"
#include "netdev.h"
#include "string.h"
#include "thread.h"
#include "vfs.h"

#define HTTPD_MAX_CONNS 256
#define HTTPD_IDLE_MS 5000
#define HTTPD_BACKLOG 64
#define HTTPD_CHUNK 16384           /* bytes of a file sent per write */
#define HTTPD_ROOT "/www"
#define STATS_SIZE 4096

static unsigned open_conns;         /* atomic: connections being served */
static uint64_t requests;           /* atomic: answered, since boot */

/* -- answers ----------------------------------------------------------------- */

/* Write n bytes; false if the connection failed (the client went away). */
static bool send_all(struct netconn *c, const void *data, size_t n)
{
    return n == 0 || netconn_write(c, data, n, NETCONN_COPY) == ERR_OK;
}

static bool send_head(struct netconn *c, int status, const char *type, uint64_t length,
                      bool keep_alive, const char *extra)
{
    char head[512];
    size_t n = ksnprintf(head, sizeof(head),
                         "HTTP/1.1 %d %s\r\nServer: cubos\r\nContent-Type: %s\r\n"
                         "Content-Length: %llu\r\nConnection: %s\r\n%s\r\n",
                         status, http_reason(status), type, (unsigned long long)length,
                         keep_alive ? "keep-alive" : "close", extra);
    __atomic_add_fetch(&requests, 1, __ATOMIC_RELAXED);
    return send_all(c, head, n < sizeof(head) ? n : sizeof(head) - 1);
}

/* A short plain-text answer: "404 Not Found". */
static bool send_status(struct netconn *c, int status, bool keep_alive, bool head_only)
{
    char body[64];
    size_t n = ksnprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));
    const char *extra = status == 405 ? "Allow: GET, HEAD\r\n" : "";
    return send_head(c, status, "text/plain; charset=utf-8", n, keep_alive, extra) &&
           (head_only || send_all(c, body, n));
}

static const char *content_type(const char *path)
{
    static const struct { const char *ext, *type; } types[] = {
        { ".html", "text/html; charset=utf-8" }, { ".htm", "text/html; charset=utf-8" },
        { ".txt", "text/plain; charset=utf-8" }, { ".css", "text/css" },
        { ".js", "text/javascript" }, { ".json", "application/json" },
        { ".png", "image/png" }, { ".jpg", "image/jpeg" }, { ".svg", "image/svg+xml" },
        { ".ppm", "image/x-portable-pixmap" },
    };
    size_t len = strlen(path);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t e = strlen(types[i].ext);
        if (len > e && strcmp(path + len - e, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

/* The machine's numbers, as text or JSON, into buf; its length. */
static size_t stats(char *buf, size_t size, bool json)
{
    uint64_t ms = clock_monotonic_ns() / 1000000;
    struct heap_stats h = heap_stats();
    size_t tcp = 0, time_wait = 0;
    LOCK_TCPIP_CORE();
    for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
        tcp++;
    for (struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next)
        time_wait++;
    UNLOCK_TCPIP_CORE();
    unsigned conns = __atomic_load_n(&open_conns, __ATOMIC_RELAXED);
    uint64_t served = __atomic_load_n(&requests, __ATOMIC_RELAXED);
    size_t n;
    if (json)
        n = ksnprintf(buf, size,
                      "{\"uptime_ms\": %llu, \"cpus\": %u, \"threads\": %u, "
                      "\"memory\": {\"frames_free\": %zu, \"frames_used\": %zu, \"heap_bytes\": %zu, "
                      "\"heap_objects\": %zu}, \"http\": {\"connections\": %u, \"requests\": %llu}, "
                      "\"tcp_connections\": %zu, \"tcp_time_wait\": %zu, \"interfaces\": [",
                      (unsigned long long)ms, cpu_count, sched_thread_count(), frame_free_count(),
                      frame_used_count(), h.bytes_in_use, h.objects_in_use, conns,
                      (unsigned long long)served, tcp, time_wait);
    else
        n = ksnprintf(buf, size,
                      "cubos %s\nuptime: %llu.%03llu s\ncpus: %u\nthreads: %u\n"
                      "memory: %zu frames free, %zu used; heap %zu bytes in %zu objects\n"
                      "http: %u connections open, %llu requests answered\n"
                      "tcp connections: %zu, and %zu in TIME-WAIT\n",
                      CHAPTER, (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000), cpu_count,
                      sched_thread_count(), frame_free_count(), frame_used_count(), h.bytes_in_use,
                      h.objects_in_use, conns, (unsigned long long)served, tcp, time_wait);
    struct netdev *dev;
    for (unsigned i = 0; (dev = netdev_get(i)) != NULL && n < size; i++) {
        const struct netdev_stats *s = &dev->stats;
        if (json)
            n += ksnprintf(buf + n, size - n,
                           "%s{\"name\": \"%s\", \"driver\": \"%s\", \"rx_packets\": %llu, "
                           "\"tx_packets\": %llu, \"rx_dropped\": %llu, \"tx_dropped\": %llu}",
                           i ? ", " : "", dev->name, dev->driver, (unsigned long long)s->rx_packets,
                           (unsigned long long)s->tx_packets, (unsigned long long)s->rx_dropped,
                           (unsigned long long)s->tx_dropped);
        else
            n += ksnprintf(buf + n, size - n,
                           "%s (%s): rx %llu packets, tx %llu packets, dropped %llu in, %llu out\n",
                           dev->name, dev->driver, (unsigned long long)s->rx_packets,
                           (unsigned long long)s->tx_packets, (unsigned long long)s->rx_dropped,
                           (unsigned long long)s->tx_dropped);
    }
    if (json && n < size)
        n += ksnprintf(buf + n, size - n, "]}\n");
    return n < size ? n : size - 1;
}

static bool send_stats(struct netconn *c, const struct http_request *req, bool json)
{
    char *buf = kmalloc(STATS_SIZE);
    if (buf == NULL) {
        send_status(c, 503, false, req->method == HTTP_HEAD);
        return false;
    }
    size_t n = stats(buf, STATS_SIZE, json);
    bool ok = send_head(c, 200, json ? "application/json" : "text/plain; charset=utf-8", n,
                        req->keep_alive, "Cache-Control: no-store\r\n") &&
              (req->method == HTTP_HEAD || send_all(c, buf, n));
    kfree(buf);
    return ok;
}

/* A file under HTTPD_ROOT, in chunks: each copied out under the file's
 * lock, sent without it. */
static bool send_file(struct netconn *c, const struct http_request *req)
{
    bool head_only = req->method == HTTP_HEAD;
    char *path = path_buf_alloc();
    if (path == NULL) {
        send_status(c, 503, false, head_only);
        return false;
    }
    size_t len = strlen(req->path);
    ksnprintf(path, PATH_MAX, "%s%s%s", HTTPD_ROOT, req->path,
              req->path[len - 1] == '/' ? "index.html" : "");
    struct inode *ino;
    int err = vfs_lookup(vfs_root(), path, true, &ino);
    const char *type = content_type(path);
    path_buf_free(path);
    if (err)
        return send_status(c, 404, req->keep_alive, head_only);
    if (S_ISDIR(ino->mode)) {
        /* A folder named without its slash: where its index.html is. */
        inode_put(ino);
        char location[HTTP_PATH_MAX + 16];
        ksnprintf(location, sizeof(location), "Location: %s/\r\n", req->path);
        return send_head(c, 301, "text/plain; charset=utf-8", 0, req->keep_alive, location);
    }
    if (!S_ISREG(ino->mode) || ino->fops) {
        inode_put(ino);
        return send_status(c, 403, req->keep_alive, head_only);
    }
    mutex_lock(&ino->lock);
    uint64_t size = ino->size;
    mutex_unlock(&ino->lock);
    bool ok = send_head(c, 200, type, size, req->keep_alive, "");
    /* A small file's buffer its own size: a slab object, where a chunk's
     * 16 KiB would be pages mapped and unmapped (and a TLB shootdown to
     * every CPU) per request: the profile under load showed it first. */
    size_t chunk_size = size < HTTPD_CHUNK ? (size_t)size : HTTPD_CHUNK;
    char *chunk = ok && !head_only && size ? kmalloc(chunk_size) : NULL;
    if (ok && !head_only && size && chunk == NULL)
        ok = false;             /* the length is promised: close instead */
    for (uint64_t off = 0; ok && !head_only && off < size;) {
        size_t n = size - off < HTTPD_CHUNK ? (size_t)(size - off) : HTTPD_CHUNK;
        mutex_lock(&ino->lock);
        bool whole = off + n <= ino->size;
        if (whole)
            memcpy(chunk, ino->data + off, n);
        mutex_unlock(&ino->lock);
        ok = whole && send_all(c, chunk, n);    /* a file cut short meanwhile: close */
        off += n;
    }
    kfree(chunk);
    inode_put(ino);
    return ok;
}

/* Answer req; false if the connection must close (an error, or a failed write). */
static bool answer(struct netconn *c, const struct http_request *req)
{
    if (strcmp(req->path, "/stats") == 0)
        return send_stats(c, req, false);
    if (strcmp(req->path, "/stats.json") == 0)
        return send_stats(c, req, true);
    return send_file(c, req);
}

/* -- connections --------------------------------------------------------------- */

struct reader {
    char *buf;                  /* HTTP_HEAD_MAX bytes */
    size_t have;
    uint64_t skip;              /* body bytes still to drop */
};

/* Take a received netbuf's bytes: the rest of a body to skip first, then
 * into the buffer, as much as fits (a head that does not fit is too
 * large, which the parser says once the buffer is full). */
static void take(struct reader *r, struct netbuf *nb)
{
    do {
        void *data;
        u16_t n;
        netbuf_data(nb, &data, &n);
        const char *p = data;
        size_t drop = r->skip < n ? (size_t)r->skip : n;
        r->skip -= drop;
        p += drop;
        n = (u16_t)(n - drop);
        size_t room = HTTP_HEAD_MAX - r->have;
        size_t k = n < room ? n : room;
        memcpy(r->buf + r->have, p, k);
        r->have += k;
    } while (netbuf_next(nb) >= 0);
}

static void serve(void *arg)
{
    struct netconn *c = arg;
    struct reader r = { kmalloc(HTTP_HEAD_MAX), 0, 0 };
    netconn_set_recvtimeout(c, HTTPD_IDLE_MS);
    while (r.buf) {
        struct http_request req;
        int status = r.skip ? HTTP_INCOMPLETE : http_parse_request(r.buf, r.have, &req);
        if (status == HTTP_INCOMPLETE) {
            struct netbuf *nb;
            err_t err = netconn_recv(c, &nb);
            if (err == ERR_TIMEOUT && r.have > 0)
                send_status(c, 408, false, false);      /* a head begun and never ended */
            if (err != ERR_OK)
                break;
            take(&r, nb);
            netbuf_delete(nb);
            continue;
        }
        if (status != 200) {
            send_status(c, status, false, false);
            break;
        }
        if (!answer(c, &req) || !req.keep_alive)
            break;
        /* Past this request's head, and its body (which nothing here reads). */
        size_t used = req.head_len;
        uint64_t body = req.content_length;
        size_t in_buf = r.have - used < body ? r.have - used : (size_t)body;
        used += in_buf;
        r.skip = body - in_buf;
        memmove(r.buf, r.buf + used, r.have - used);
        r.have -= used;
    }
    kfree(r.buf);
    netconn_close(c);
    netconn_delete(c);
    __atomic_sub_fetch(&open_conns, 1, __ATOMIC_RELAXED);
}

static void listener(void *arg)
{
    struct netconn *l = arg;
    for (;;) {
        struct netconn *c;
        if (netconn_accept(l, &c) != ERR_OK) {
            thread_sleep_ms(10);    /* no memory for it: a moment, then the next */
            continue;
        }
        /* An answer is a head and a body, two writes: with Nagle's
         * algorithm the body would wait for the head's acknowledgement. */
        LOCK_TCPIP_CORE();
        if (c->pcb.tcp)
            tcp_nagle_disable(c->pcb.tcp);
        UNLOCK_TCPIP_CORE();
        unsigned open = __atomic_add_fetch(&open_conns, 1, __ATOMIC_RELAXED);
        struct thread *t = open <= HTTPD_MAX_CONNS ? thread_create("httpd conn", serve, c) : NULL;
        if (t == NULL) {
            /* Too many at once, or no memory for a thread: say so and close. */
            send_status(c, 503, false, false);
            netconn_close(c);
            netconn_delete(c);
            __atomic_sub_fetch(&open_conns, 1, __ATOMIC_RELAXED);
            continue;
        }
        thread_detach(t);
    }
}

void httpd_start(uint16_t port)
{
    struct netconn *l = netconn_new(NETCONN_TCP);
    err_t err = l ? netconn_bind(l, IP_ADDR_ANY, port) : ERR_MEM;
    if (err == ERR_OK)
        err = netconn_listen_with_backlog(l, HTTPD_BACKLOG);
    struct thread *t = err == ERR_OK ? thread_create("httpd", listener, l) : NULL;
    if (t == NULL) {
        kprintf("httpd: cannot listen on port %u (%s); no web server\n", port,
                err == ERR_OK ? "out of memory" : lwip_strerr(err));
        if (l)
            netconn_delete(l);
        return;
    }
    thread_detach(t);
    kprintf("httpd: serving %s and /stats on port %u\n", HTTPD_ROOT, port);
}
