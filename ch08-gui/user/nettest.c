/*
 * nettest.c: TCP and UDP sockets over the loopback interface (127.0.0.1).
 *
 * Shows a listening socket and its port (bind to port 0, getsockname),
 * connect and accept with the peer's address, a megabyte through a
 * connection from another process and its end (shutdown, then read 0),
 * non-blocking accept, read and connect (EAGAIN, EINPROGRESS, then
 * SO_ERROR), a refused connection, a port in use, poll, select and
 * edge-triggered epoll on sockets, SO_RCVTIMEO, TCP_NODELAY, FIONREAD,
 * EPIPE after the peer has gone, and UDP datagrams with their sender,
 * MSG_PEEK and MSG_TRUNC. Each check prints `ok: WHAT` or `FAIL: WHAT:
 * DETAILS`, and the last line is
 *
 *   nettest: all N checks passed          (status 0)
 *   nettest: K of N checks failed         (status 1)
 *
 * The same binary passes on Linux, where each expectation comes from.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define BULK (1024 * 1024)

static int must(int r, const char *what)
{
    if (r < 0) {
        perror(what);
        exit(1);
    }
    return r;
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int port_of(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    must(getsockname(fd, (struct sockaddr *)&a, &len), "getsockname");
    return ntohs(a.sin_port);
}

/* A socket listening on 127.0.0.1 at a port the kernel picks. */
static int listener(int flags)
{
    int fd = must(socket(AF_INET, SOCK_STREAM | flags, 0), "socket");
    struct sockaddr_in a = loopback(0);
    must(bind(fd, (struct sockaddr *)&a, sizeof(a)), "bind");
    must(listen(fd, 8), "listen");
    return fd;
}

static int connect_to(int port)
{
    int fd = must(socket(AF_INET, SOCK_STREAM, 0), "socket");
    struct sockaddr_in a = loopback(port);
    must(connect(fd, (struct sockaddr *)&a, sizeof(a)), "connect");
    return fd;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void check_listen_connect_accept(void)
{
    int l = listener(0);
    int port = port_of(l);
    check(port > 0, "a socket bound to port 0 gets a port", "port %d", port);
    int c = connect_to(port);
    struct sockaddr_in peer;
    socklen_t len = sizeof(peer);
    int s = accept(l, (struct sockaddr *)&peer, &len);
    check(s >= 0, "accept gives the connection", "%s", strerror(errno));
    check(len == sizeof(peer) && peer.sin_family == AF_INET &&
          peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ntohs(peer.sin_port) == port_of(c),
          "accept names the peer: 127.0.0.1 and the client's port", "len %u port %d vs %d",
          (unsigned)len, ntohs(peer.sin_port), port_of(c));
    struct sockaddr_in there;
    len = sizeof(there);
    int r = getpeername(c, (struct sockaddr *)&there, &len);
    check(r == 0 && ntohs(there.sin_port) == port, "getpeername of the client is the server",
          "r %d port %d", r, ntohs(there.sin_port));
    check(write(c, "hello", 5) == 5, "write to a connection", "%s", strerror(errno));
    char buf[16] = { 0 };
    check(read(s, buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0, "read what the peer wrote",
          "'%s'", buf);
    int one = 1, v = 0;
    len = sizeof(v);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len);
    check(v != 0, "TCP_NODELAY set reads back", "%d", v);
    len = sizeof(v);
    getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len);
    check(v == SOCK_STREAM && len == sizeof(int), "SO_TYPE is SOCK_STREAM", "%d", v);
    close(c);
    check(read(s, buf, sizeof(buf)) == 0, "read after the peer closed is end of file", "%s",
          strerror(errno));
    close(s);
    close(l);
}

static void check_bulk_from_another_process(void)
{
    int l = listener(0);
    int port = port_of(l);
    pid_t pid = must_fork();
    if (pid == 0) {
        int c = connect_to(port);
        static unsigned char out[BULK];
        for (int i = 0; i < BULK; i++)
            out[i] = (unsigned char)(i * 7 + i / 4096);
        size_t done = 0;
        while (done < BULK) {
            ssize_t w = write(c, out + done, BULK - done);
            if (w <= 0)
                _exit(2);
            done += (size_t)w;
        }
        shutdown(c, SHUT_WR);
        char b;
        _exit(read(c, &b, 1) == 0 ? 0 : 3);     /* the server closes after reading */
    }
    int s = must(accept(l, NULL, NULL), "accept");
    static unsigned char in[BULK + 1];
    size_t got = 0;
    ssize_t r;
    while (got <= BULK && (r = read(s, in + got, BULK + 1 - got)) > 0)
        got += (size_t)r;
    int same = got == BULK;
    for (int i = 0; same && i < BULK; i++)
        same = in[i] == (unsigned char)(i * 7 + i / 4096);
    check(same, "a megabyte comes through whole and in order, then end of file", "got %zu bytes", got);
    close(s);
    int status = reap(pid);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer saw the server close",
          "status %#x", status);
    close(l);
}

static void check_nonblocking(void)
{
    int l = listener(SOCK_NONBLOCK);
    int port = port_of(l);
    int s = accept(l, NULL, NULL);
    check(s < 0 && errno == EAGAIN, "accept on a non-blocking socket with no one waiting: EAGAIN",
          "%d %s", s, strerror(errno));
    struct pollfd p = { l, POLLIN, 0 };
    check(poll(&p, 1, 0) == 0, "poll: a listener with no connection is not readable", "revents %#x",
          p.revents);
    int c = must(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), "socket");
    struct sockaddr_in a = loopback(port);
    int r = connect(c, (struct sockaddr *)&a, sizeof(a));
    check(r == 0 || errno == EINPROGRESS, "a non-blocking connect: 0 or EINPROGRESS", "%s",
          strerror(errno));
    struct pollfd w = { c, POLLOUT, 0 };
    poll(&w, 1, 2000);
    int err = -1;
    socklen_t len = sizeof(err);
    getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
    check((w.revents & POLLOUT) && err == 0, "it becomes writable, SO_ERROR 0", "revents %#x err %d",
          w.revents, err);
    p.revents = 0;
    check(poll(&p, 1, 2000) == 1 && (p.revents & POLLIN), "the listener is readable with a connection",
          "revents %#x", p.revents);
    s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    check(s >= 0 && (fcntl(s, F_GETFL) & O_NONBLOCK), "accept4 SOCK_NONBLOCK", "%s", strerror(errno));
    char buf[8];
    r = read(s, buf, sizeof(buf));
    check(r < 0 && errno == EAGAIN, "read with nothing come: EAGAIN", "%d %s", r, strerror(errno));

    /* Edge-triggered epoll: one event per arrival, none while nothing new. */
    int ep = must(epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = s };
    must(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), "epoll_ctl");
    write(c, "abc", 3);
    struct epoll_event got[2];
    int n = epoll_wait(ep, got, 2, 2000);
    check(n == 1 && (got[0].events & EPOLLIN) && got[0].data.fd == s, "epoll reports the data",
          "n %d", n);
    n = epoll_wait(ep, got, 2, 100);
    check(n == 0, "edge-triggered: nothing more until more comes", "n %d", n);
    write(c, "de", 2);
    n = epoll_wait(ep, got, 2, 2000);
    check(n == 1, "more data: reported again", "n %d", n);
    usleep(50000);
    int avail = -1;
    ioctl(s, FIONREAD, &avail);
    check(avail == 5, "FIONREAD counts the bytes waiting", "%d", avail);
    r = read(s, buf, sizeof(buf));
    check(r == 5 && memcmp(buf, "abcde", 5) == 0, "both writes read at once", "%d", r);

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    struct timeval tv = { 0, 100000 };
    check(select(s + 1, &rd, NULL, NULL, &tv) == 0, "select: not readable after the read", "");
    write(c, "f", 1);
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    tv = (struct timeval){ 2, 0 };
    check(select(s + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(s, &rd), "select: readable again", "");
    close(ep);
    close(c);
    close(s);
    close(l);
}

static void check_errors(void)
{
    int l = listener(0);
    int port = port_of(l);
    int b = must(socket(AF_INET, SOCK_STREAM, 0), "socket");
    struct sockaddr_in a = loopback(port);
    int r = bind(b, (struct sockaddr *)&a, sizeof(a));
    check(r < 0 && errno == EADDRINUSE, "bind to a port in use: EADDRINUSE", "%d %s", r, strerror(errno));
    close(b);
    close(l);

    int c = must(socket(AF_INET, SOCK_STREAM, 0), "socket");
    r = connect(c, (struct sockaddr *)&a, sizeof(a));
    check(r < 0 && errno == ECONNREFUSED, "connect to a port nobody listens on: ECONNREFUSED", "%d %s",
          r, strerror(errno));
    close(c);
    c = must(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), "socket");
    r = connect(c, (struct sockaddr *)&a, sizeof(a));
    struct pollfd p = { c, POLLOUT, 0 };
    poll(&p, 1, 2000);
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
    check((r == 0 || errno == EINPROGRESS) && err == ECONNREFUSED,
          "the same, non-blocking: SO_ERROR says ECONNREFUSED", "err %d", err);
    close(c);

    c = must(socket(AF_INET, SOCK_STREAM, 0), "socket");
    struct sockaddr_in there;
    len = sizeof(there);
    r = getpeername(c, (struct sockaddr *)&there, &len);
    check(r < 0 && errno == ENOTCONN, "getpeername before connecting: ENOTCONN", "%s", strerror(errno));
    r = connect(c, (struct sockaddr *)&a, 4);
    check(r < 0 && errno == EINVAL, "an address too short: EINVAL", "%s", strerror(errno));
    r = connect(c, (struct sockaddr *)8, sizeof(a));
    check(r < 0 && errno == EFAULT, "an address at a bad pointer: EFAULT", "%s", strerror(errno));
    close(c);
    int fds[2];
    must(pipe(fds), "pipe");
    r = bind(fds[0], (struct sockaddr *)&a, sizeof(a));
    check(r < 0 && errno == ENOTSOCK, "bind on a pipe: ENOTSOCK", "%s", strerror(errno));
    close(fds[0]);
    close(fds[1]);
    r = socket(AF_INET, 77, 0);
    check(r < 0 && errno == EINVAL, "an unknown socket type: EINVAL", "%d %s", r, strerror(errno));

    /* SO_RCVTIMEO: a read that waits that long, then EAGAIN. */
    l = listener(0);
    c = connect_to(port_of(l));
    int s = must(accept(l, NULL, NULL), "accept");
    struct timeval tv = { 0, 200000 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    double t0 = now();
    char buf[4];
    r = read(s, buf, sizeof(buf));
    double waited = now() - t0;
    check(r < 0 && errno == EAGAIN && waited > 0.15 && waited < 2, "SO_RCVTIMEO of 0.2 s: EAGAIN after it",
          "%d %s after %.3f s", r, strerror(errno), waited);

    /* Writing to a connection the peer has closed: EPIPE (SIGPIPE ignored). */
    signal(SIGPIPE, SIG_IGN);
    close(c);
    r = 0;
    for (int i = 0; i < 20 && r >= 0; i++) {
        r = write(s, "x", 1);
        usleep(20000);
    }
    check(r < 0 && (errno == EPIPE || errno == ECONNRESET), "write after the peer closed: EPIPE",
          "%d %s", r, strerror(errno));
    signal(SIGPIPE, SIG_DFL);
    close(s);
    close(l);
}

static void check_udp(void)
{
    int a = must(socket(AF_INET, SOCK_DGRAM, 0), "socket");
    int b = must(socket(AF_INET, SOCK_DGRAM, 0), "socket");
    struct sockaddr_in any = loopback(0);
    must(bind(a, (struct sockaddr *)&any, sizeof(any)), "bind");
    must(bind(b, (struct sockaddr *)&any, sizeof(any)), "bind");
    struct sockaddr_in to = loopback(port_of(b));
    int r = (int)sendto(a, "datagram one", 12, 0, (struct sockaddr *)&to, sizeof(to));
    check(r == 12, "sendto a UDP port", "%d %s", r, strerror(errno));
    char buf[32] = { 0 };
    r = (int)recv(b, buf, sizeof(buf), MSG_PEEK);
    check(r == 12, "MSG_PEEK sees the datagram", "%d", r);
    struct sockaddr_in from;
    socklen_t len = sizeof(from);
    memset(buf, 0, sizeof(buf));
    r = (int)recvfrom(b, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
    check(r == 12 && strcmp(buf, "datagram one") == 0 && ntohs(from.sin_port) == port_of(a),
          "recvfrom takes it, with the sender's port", "%d '%s' port %d", r, buf, ntohs(from.sin_port));
    sendto(a, "a longer datagram", 17, 0, (struct sockaddr *)&to, sizeof(to));
    char small[4];
    struct iovec iov = { small, sizeof(small) };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    r = (int)recvmsg(b, &m, 0);
    check(r == 4 && (m.msg_flags & MSG_TRUNC), "a datagram longer than the buffer: cut, MSG_TRUNC",
          "%d flags %#x", r, m.msg_flags);
    r = (int)recv(b, buf, sizeof(buf), MSG_DONTWAIT);
    check(r < 0 && errno == EAGAIN, "the rest of a cut datagram is gone: EAGAIN", "%d", r);
    r = (int)send(a, "x", 1, 0);
    check(r < 0 && errno == EDESTADDRREQ, "send on an unconnected UDP socket: EDESTADDRREQ", "%d %s", r,
          strerror(errno));
    must(connect(a, (struct sockaddr *)&to, sizeof(to)), "connect");
    r = (int)send(a, "connected", 9, 0);
    memset(buf, 0, sizeof(buf));
    check(r == 9 && recv(b, buf, sizeof(buf), 0) == 9 && strcmp(buf, "connected") == 0,
          "send on a connected UDP socket", "%d '%s'", r, buf);
    close(a);
    close(b);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    check_listen_connect_accept();
    check_bulk_from_another_process();
    check_nonblocking();
    check_errors();
    check_udp();
    return check_summary("nettest");
}
