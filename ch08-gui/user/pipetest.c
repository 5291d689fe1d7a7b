/*
 * pipetest.c: pipes between processes, and waiting on them.
 *
 * Shows pipe2(2) across fork: data and end of file, EPIPE and SIGPIPE for a
 * writer without readers, O_NONBLOCK (EAGAIN on an empty or a full pipe;
 * the capacity is printed), the atomicity of writes of PIPE_BUF bytes when
 * four processes write into one pipe at once, dup2 of a pipe onto a child's
 * stdout, the access modes fcntl reports, and poll, select and epoll on
 * pipe ends. Each check prints `ok: WHAT` or `FAIL: WHAT: DETAILS`, and the
 * last line is
 *
 *   pipetest: all N checks passed          (status 0)
 *   pipetest: K of N checks failed         (status 1)
 *
 * The same binary passes on Linux, where each expectation comes from.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define WRITERS 4
#define RECORDS_PER_WRITER 2000
#define MIN_CAPACITY 4096

static void must_pipe(int fds[2], int flags)
{
    if (pipe2(fds, flags) != 0) {
        perror("pipetest: pipe2");
        exit(1);
    }
}

/* Read exactly n bytes unless end of file or an error comes first. */
static ssize_t read_full(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0)
            return got > 0 ? (ssize_t)got : r;
        got += r;
    }
    return got;
}

static void check_data_and_eof(void)
{
    static const char message[] = "through the pipe";
    int p[2];
    must_pipe(p, O_CLOEXEC);
    pid_t pid = must_fork();
    if (pid == 0) {
        char buf[64];
        close(p[1]);
        ssize_t n = read_full(p[0], buf, sizeof(message));
        ssize_t end = read(p[0], buf, 1);
        _exit((n == sizeof(message) && memcmp(buf, message, n) == 0 ? 0 : 1) | (end == 0 ? 0 : 2));
    }
    close(p[0]);
    write(p[1], message, sizeof(message));
    close(p[1]);
    int status = reap(pid);
    check(status == 0, "a child reads the parent's data, then end of file",
          "status 0x%x (bit 1 data, bit 2 no EOF)", status);
}

static void check_no_readers(void)
{
    int p[2];
    must_pipe(p, 0);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    ssize_t n = write(p[1], "x", 1);
    check(n == -1 && errno == EPIPE, "a write without readers fails EPIPE (SIGPIPE ignored)",
          "write gave %zd (%s)", n, strerror(errno));
    signal(SIGPIPE, SIG_DFL);

    pid_t pid = must_fork();
    if (pid == 0) {
        write(p[1], "x", 1);
        _exit(0);
    }
    close(p[1]);
    int status = reap(pid);
    check(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE,
          "a write without readers kills by SIGPIPE by default", "status 0x%x", status);
}

static void check_nonblocking(void)
{
    int p[2];
    char c, chunk[1024];
    must_pipe(p, 0);
    check((fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY, "the read end is O_RDONLY",
          "F_GETFL 0x%x", fcntl(p[0], F_GETFL));
    check((fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY, "the write end is O_WRONLY",
          "F_GETFL 0x%x", fcntl(p[1], F_GETFL));
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
    check(fcntl(p[0], F_GETFL) & O_NONBLOCK, "F_GETFL shows O_NONBLOCK after F_SETFL",
          "F_GETFL 0x%x", fcntl(p[0], F_GETFL));

    errno = 0;
    ssize_t n = read(p[0], &c, 1);
    check(n == -1 && errno == EAGAIN, "O_NONBLOCK read of an empty pipe fails EAGAIN",
          "read gave %zd (%s)", n, strerror(errno));

    long capacity = 0;
    memset(chunk, 'f', sizeof(chunk));
    while ((n = write(p[1], chunk, 1)) == 1 && capacity < (1L << 24))
        capacity++;
    int err = errno;
    printf("pipetest: the pipe holds %ld bytes\n", capacity);
    check(n == -1 && err == EAGAIN && capacity >= MIN_CAPACITY,
          "O_NONBLOCK write to a full pipe fails EAGAIN, after at least 4096 bytes",
          "%ld bytes, then %zd (%s)", capacity, n, strerror(err));
    close(p[0]);
    close(p[1]);
}

/* WRITERS children each write RECORDS_PER_WRITER records of PIPE_BUF bytes,
 * all their own letter; no record may come out mixed. */
static void check_atomic_writes(void)
{
    static char record[PIPE_BUF];
    int p[2];
    pid_t pids[WRITERS];
    must_pipe(p, 0);
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = must_fork();
        if (pids[w] == 0) {
            close(p[0]);
            memset(record, 'a' + w, sizeof(record));
            for (int i = 0; i < RECORDS_PER_WRITER; i++)
                if (write(p[1], record, sizeof(record)) != sizeof(record))
                    _exit(1);
            _exit(0);
        }
    }
    close(p[1]);
    long count[WRITERS] = { 0 }, mixed = 0;
    while (read_full(p[0], record, sizeof(record)) == sizeof(record)) {
        int w = record[0] - 'a';
        size_t same = 1;
        while (same < sizeof(record) && record[same] == record[0])
            same++;
        if (w < 0 || w >= WRITERS || same != sizeof(record))
            mixed++;
        else
            count[w]++;
    }
    close(p[0]);
    int bad_status = 0;
    for (int w = 0; w < WRITERS; w++)
        bad_status |= reap(pids[w]) != 0;
    check(mixed == 0 && !bad_status && count[0] == RECORDS_PER_WRITER
              && count[1] == RECORDS_PER_WRITER && count[2] == RECORDS_PER_WRITER
              && count[3] == RECORDS_PER_WRITER,
          "4 writers x 2000 writes of PIPE_BUF bytes arrive whole",
          "%ld mixed; per writer %ld %ld %ld %ld; a writer failed: %d", mixed, count[0], count[1],
          count[2], count[3], bad_status);
}

static void check_dup2_stdout(void)
{
    static const char line[] = "child on stdout\n";
    int p[2];
    char buf[64];
    must_pipe(p, 0);
    pid_t pid = must_fork();
    if (pid == 0) {
        close(p[0]);
        if (dup2(p[1], 1) != 1)
            _exit(1);
        close(p[1]);
        _exit(write(1, line, strlen(line)) == (ssize_t)strlen(line) ? 0 : 1);
    }
    close(p[1]);
    ssize_t n = read_full(p[0], buf, sizeof(buf));
    close(p[0]);
    check(reap(pid) == 0 && n == (ssize_t)strlen(line) && memcmp(buf, line, n) == 0,
          "a child's stdout dup2'd onto a pipe reaches the parent", "read %zd bytes", n);
}

/* The revents of one poll on fd for events, without waiting. */
static int poll_now(int fd, short events)
{
    struct pollfd pfd = { .fd = fd, .events = events };
    return poll(&pfd, 1, 0) < 0 ? -1 : pfd.revents;
}

static void check_poll_and_select(void)
{
    int p[2];
    must_pipe(p, 0);
    int r = poll_now(p[1], POLLOUT);
    check(r == POLLOUT, "poll: POLLOUT on the write end of an empty pipe", "revents 0x%x", r);
    r = poll_now(p[0], POLLIN);
    check(r == 0, "poll: nothing on the read end of an empty pipe", "revents 0x%x", r);

    fd_set readable;
    struct timeval zero = { 0, 0 };
    FD_ZERO(&readable);
    FD_SET(p[0], &readable);
    r = select(p[0] + 1, &readable, NULL, NULL, &zero);
    check(r == 0, "select with timeout 0: an empty pipe is not ready", "select gave %d", r);

    write(p[1], "x", 1);
    r = poll_now(p[0], POLLIN);
    check(r == POLLIN, "poll: POLLIN when the pipe has data", "revents 0x%x", r);
    FD_ZERO(&readable);
    FD_SET(p[0], &readable);
    zero.tv_sec = zero.tv_usec = 0;
    r = select(p[0] + 1, &readable, NULL, NULL, &zero);
    check(r == 1 && FD_ISSET(p[0], &readable), "select: ready after a write", "select gave %d", r);

    char c;
    read(p[0], &c, 1);
    close(p[1]);
    r = poll_now(p[0], POLLIN);
    check(r & POLLHUP, "poll: POLLHUP on the read end when the writer closed", "revents 0x%x", r);
    close(p[0]);

    must_pipe(p, 0);
    close(p[0]);
    r = poll_now(p[1], POLLOUT);
    check(r & POLLERR, "poll: POLLERR on the write end when the reader closed", "revents 0x%x", r);
    close(p[1]);
}

static void check_epoll(void)
{
    int p[2], epfd = epoll_create1(EPOLL_CLOEXEC);
    must_pipe(p, 0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 }, got[2];
    int r = epoll_ctl(epfd, EPOLL_CTL_ADD, p[0], &ev);
    check(epfd >= 0 && r == 0, "epoll_create1 and EPOLL_CTL_ADD of a pipe", "%s", strerror(errno));
    r = epoll_wait(epfd, got, 2, 0);
    check(r == 0, "epoll_wait with timeout 0 on an empty pipe returns 0", "gave %d", r);

    pid_t pid = must_fork();
    if (pid == 0) {
        _exit(write(p[1], "e", 1) == 1 ? 0 : 1);
    }
    r = epoll_wait(epfd, got, 2, -1);
    check(r == 1 && got[0].events == EPOLLIN && got[0].data.u64 == 42,
          "epoll_wait blocks until a child writes, then EPOLLIN",
          "gave %d, events 0x%x data %llu", r, r > 0 ? got[0].events : 0,
          r > 0 ? (unsigned long long)got[0].data.u64 : 0);
    reap(pid);
    close(epfd);
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv)
{
    (void)argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 1) {
        fprintf(stderr, "usage: pipetest\n");
        return 2;
    }
    check_data_and_eof();
    check_no_readers();
    check_nonblocking();
    check_atomic_writes();
    check_dup2_stdout();
    check_poll_and_select();
    check_epoll();
    return check_summary("pipetest");
}
