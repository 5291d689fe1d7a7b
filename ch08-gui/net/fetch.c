/*
 * fetch.c: the shell's `fetch URL`: an HTTP/1.0 GET through lwIP's
 * netconn API, printing the status line and the body, then how many
 * bytes came in how long. http:// only (no TLS), to an address or a name.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/api.h"

#include "clock.h"
#include "console.h"
#include "format.h"
#include "heap.h"
#include "job.h"
#include "kprintf.h"
#include "net.h"
#include "netdev.h"
#include "shell.h"
#include "string.h"
#include "thread.h"

#define FETCH_TIMEOUT_MS 10000      /* for each read: a server that stops talking */
#define FETCH_SHOW_MAX 65536        /* body bytes printed; the rest are counted */
#define URL_HOST_MAX 128

/* The command's connection: a resource of its job, so Ctrl-C closes it. */
struct fetch {
    struct job_resource res;
    struct netconn *conn;
};

static void release(struct job_resource *r)
{
    struct fetch *f = (struct fetch *)r;
    if (f->conn) {
        thread_hold_kills();
        netconn_delete(f->conn);
        thread_release_kills();
    }
    kfree(f);
}

/* "http://host[:port][/path]" into its parts; false with a reason. */
static bool parse_url(const char *url, char host[URL_HOST_MAX], uint16_t *port, const char **path,
                      const char **why)
{
    static const char scheme[] = "http://";
    if (strncmp(url, scheme, sizeof(scheme) - 1) != 0) {
        *why = strncmp(url, "https://", 8) == 0 ? "https is not supported (no TLS): use http://"
                                                 : "not an http:// URL";
        return false;
    }
    const char *h = url + sizeof(scheme) - 1;
    size_t n = 0;
    while (h[n] && h[n] != ':' && h[n] != '/')
        n++;
    if (n == 0 || n >= URL_HOST_MAX) {
        *why = n ? "the host name is too long" : "no host";
        return false;
    }
    memcpy(host, h, n);
    host[n] = '\0';
    const char *p = h + n;
    *port = 80;
    if (*p == ':') {
        unsigned v = 0, digits = 0;
        for (p++; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
            v = v * 10 + (unsigned)(*p - '0');
        if (digits == 0 || v == 0 || v > 65535 || (*p && *p != '/')) {
            *why = "a bad port (1 to 65535)";
            return false;
        }
        *port = (uint16_t)v;
    }
    *path = *p ? p : "/";
    for (const char *c = *path; *c; c++) {
        if ((unsigned char)*c <= ' ' || *c == 0x7F) {
            *why = "a space or control character in the path";
            return false;
        }
    }
    return true;
}

/* Print what the server sent, as text: a CR (of CRLF) dropped, other
 * control bytes, which could drive the terminal, shown as '.'. */
static void show_text(const char *p, size_t n)
{
    char out[256];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\r')
            continue;
        out[k++] = c >= ' ' || c == '\n' || c == '\t' ? (char)(c == 0x7F ? '.' : c) : '.';
        if (k == sizeof(out)) {
            console_write(out, k);
            k = 0;
        }
    }
    console_write(out, k);
}

static const char *why_not(err_t err)
{
    switch (err) {
    case ERR_RST: return "connection refused";
    case ERR_TIMEOUT: return "timed out";
    case ERR_RTE: return "no route to the host";
    case ERR_ABRT: return "connection aborted";
    case ERR_CLSD: return "connection closed";
    case ERR_MEM: return "out of memory";
    default: return lwip_strerr(err);
    }
}

static void cmd_fetch(int argc, char **argv)
{
    if (argc != 2) {
        kprintf("usage: %s\n", fetch_command.usage);
        return;
    }
    char host[URL_HOST_MAX];
    uint16_t port;
    const char *path, *why;
    if (!parse_url(argv[1], host, &port, &path, &why)) {
        kprintf("fetch: '%s': %s\n", argv[1], why);
        return;
    }
    if (netdev_get(0) == NULL) {
        kprintf("fetch: no network interface\n");
        return;
    }
    ip_addr_t addr;
    if (!net_resolve("fetch", host, &addr))
        return;
    struct fetch *f = kmalloc(sizeof(*f));
    if (f == NULL) {
        kprintf("fetch: out of memory\n");
        return;
    }
    f->res.release = release;
    thread_hold_kills();
    f->conn = netconn_new(NETCONN_TCP);
    job_adopt(&f->res);
    thread_release_kills();
    if (f->conn == NULL) {
        kprintf("fetch: out of memory\n");
        return;             /* the job frees f */
    }
    uint64_t start = clock_monotonic_ns();
    thread_hold_kills();
    netconn_set_recvtimeout(f->conn, FETCH_TIMEOUT_MS);
    err_t err = netconn_connect(f->conn, &addr, port);
    thread_release_kills();
    if (err != ERR_OK) {
        kprintf("fetch: cannot connect to %s port %u: %s\n", host, port, why_not(err));
        return;
    }
    char request[512];
    char port_text[8] = "";
    if (port != 80)
        ksnprintf(port_text, sizeof(port_text), ":%u", port);   /* Host names a port not the default */
    size_t n = ksnprintf(request, sizeof(request),
                         "GET %s HTTP/1.0\r\nHost: %s%s\r\nUser-Agent: cubos-fetch\r\n"
                         "Connection: close\r\n\r\n", path, host, port_text);
    if (n >= sizeof(request)) {
        kprintf("fetch: the URL is too long\n");
        return;
    }
    thread_hold_kills();
    err = netconn_write(f->conn, request, n, NETCONN_COPY);
    thread_release_kills();
    if (err != ERR_OK) {
        kprintf("fetch: sending the request failed: %s\n", why_not(err));
        return;
    }
    /* Everything until the server closes: the head, then the body. */
    uint64_t total = 0, shown = 0;
    for (;;) {
        struct netbuf *nb;
        thread_hold_kills();
        err = netconn_recv(f->conn, &nb);
        thread_release_kills();
        if (err != ERR_OK)
            break;
        do {
            void *data;
            u16_t len;
            netbuf_data(nb, &data, &len);
            total += len;
            size_t show = shown + len <= FETCH_SHOW_MAX ? len : (size_t)(FETCH_SHOW_MAX - shown);
            show_text(data, show);
            shown += show;
        } while (netbuf_next(nb) >= 0);
        thread_hold_kills();
        netbuf_delete(nb);
        thread_release_kills();
    }
    uint64_t us = (clock_monotonic_ns() - start) / 1000;
    if (shown && shown == total)
        kprintf("\n");
    if (total > shown)
        kprintf("\n... (%llu more bytes not shown)\n", (unsigned long long)(total - shown));
    if (err != ERR_CLSD)
        kprintf("fetch: the connection failed after %llu bytes: %s\n", (unsigned long long)total,
                why_not(err));
    else
        kprintf("fetch: %llu bytes from %s port %u in %llu.%03llu ms\n", (unsigned long long)total,
                host, port, (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
    job_forget(&f->res);
    release(&f->res);
}

const struct shell_command fetch_command = {
    "fetch", "fetch URL", "get an http:// URL and print the answer (status line, headers, body)",
    cmd_fetch,
};
