/*
 * ptytest.c: a shell on a pseudo-terminal, driven as a terminal emulator
 * drives it.
 *
 * Shows the pty(7) calls a terminal emulator or a remote shell makes:
 * posix_openpt, grantpt, unlockpt and ptsname give the master and the
 * slave's name; the window size set on the master (TIOCSWINSZ) is what
 * TIOCGWINSZ reads back, on the master and on the slave. A child makes
 * itself a session leader (setsid), opens the slave, which becomes its
 * controlling terminal (its session's, with the child's group in the
 * foreground), puts it on stdin, stdout and stderr and execs a shell. The
 * parent types `echo pty-$((6*7))` into the master and reads what the
 * terminal shows: the typed line (the terminal's echo) and the shell's
 * `pty-42`; then it types `exit 5` and reads to the end, which for a
 * master is EIO once no slave file is open (as on Linux). The child must
 * end with status 5, and the master must read EIO after it is reaped.
 *
 * Usage: ptytest [SHELL], SHELL being /bin/sh unless named (on cubos,
 * busybox's ash; on a Linux host whatever /bin/sh is). Each check prints
 * `ok: WHAT` or `FAIL: WHAT: DETAILS`, and the last line is
 *
 *   ptytest: all N checks passed          (status 0)
 *   ptytest: K of N checks failed         (status 1)
 *
 * The same binary passes on Linux, where each expectation comes from.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define ROWS 33                 /* an odd size, not anyone's default */
#define COLS 101
#define OUTPUT_MAX 8192
#define WAIT_MS 20000           /* for each thing the shell must show */

static const char typed_line[] = "echo pty-$((6*7))";
static const char shell_says[] = "pty-42";

/* What the child learns about its terminal before it execs the shell,
 * sent to the parent through a pipe (only the parent reports). */
struct child_report {
    int setsid_ok, open_errno;
    pid_t pid, sid, fg_pgid;    /* its own pid; tcgetsid and tcgetpgrp of the slave */
    int tty_errno;              /* opening /dev/tty: 0, or why not */
    struct winsize size;
};

/* Everything the master has read so far. */
static char output[OUTPUT_MAX];
static size_t output_len;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Read the master into output until it holds want (if not NULL), the
 * master reads end of file or fails (returns that errno, or -1 for end of
 * file), or WAIT_MS pass (returns ETIMEDOUT). 0: want was seen. */
static int read_master(int master, const char *want)
{
    long deadline = now_ms() + WAIT_MS;
    for (;;) {
        if (want && memmem(output, output_len, want, strlen(want)))
            return 0;
        long left = deadline - now_ms();
        if (left <= 0)
            return ETIMEDOUT;
        struct pollfd pfd = { master, POLLIN, 0 };
        if (poll(&pfd, 1, (int)left) == 0)
            continue;
        char buf[512];
        ssize_t n = read(master, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? -1 : errno;
        size_t keep = OUTPUT_MAX - 1 - output_len;
        if ((size_t)n < keep)
            keep = (size_t)n;
        memcpy(output + output_len, buf, keep);
        output_len += keep;
    }
}

/* The master's output so far, with control characters escaped, for a FAIL line. */
static const char *shown(void)
{
    static char text[OUTPUT_MAX * 4];
    size_t k = 0;
    for (size_t i = 0; i < output_len && k + 5 < sizeof(text); i++) {
        unsigned char c = (unsigned char)output[i];
        if (c == '\n')
            k += (size_t)snprintf(text + k, sizeof(text) - k, "\\n");
        else if (c < 0x20 || c >= 0x7F)
            k += (size_t)snprintf(text + k, sizeof(text) - k, "\\x%02x", c);
        else
            text[k++] = (char)c;
    }
    text[k] = '\0';
    return text;
}

static const char *ended(int err)
{
    return err == -1 ? "end of file" : err == 0 ? "data" : strerror(err);
}

/* In the child: become a session leader, take the slave as the controlling
 * terminal, report, run the shell on it. */
static void child(const char *slave_name, const char *shell, int report)
{
    struct child_report r = { 0 };
    r.pid = getpid();
    r.setsid_ok = setsid() == getpid();
    int fd = open(slave_name, O_RDWR);
    r.open_errno = fd < 0 ? errno : 0;
    if (fd >= 0) {
        r.sid = tcgetsid(fd);
        r.fg_pgid = tcgetpgrp(fd);
        ioctl(fd, TIOCGWINSZ, &r.size);
        int tty = open("/dev/tty", O_RDWR);
        r.tty_errno = tty < 0 ? errno : 0;
        if (tty >= 0)
            close(tty);
    }
    write(report, &r, sizeof(r));
    close(report);
    if (fd < 0)
        _exit(126);
    for (int i = 0; i < 3; i++)
        dup2(fd, i);
    if (fd > 2)
        close(fd);
    execl(shell, "sh", (char *)NULL);
    _exit(127);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 2) {
        fprintf(stderr, "usage: ptytest [SHELL]\n");
        return 2;
    }
    const char *shell = argc == 2 ? argv[1] : "/bin/sh";

    int master = posix_openpt(O_RDWR | O_NOCTTY);
    const char *name = master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 ?
                       ptsname(master) : NULL;
    check(name && strncmp(name, "/dev/pts/", 9) == 0,
          "posix_openpt, grantpt, unlockpt and ptsname give a master and /dev/pts/N",
          "master %d, name %s: %s", master, name ? name : "(none)", strerror(errno));
    if (!name)
        return check_summary("ptytest");
    char slave_name[64];
    snprintf(slave_name, sizeof(slave_name), "%s", name);   /* ptsname's buffer is static */

    struct winsize set = { .ws_row = ROWS, .ws_col = COLS }, got = { 0 };
    int set_ok = ioctl(master, TIOCSWINSZ, &set) == 0;
    int get_ok = ioctl(master, TIOCGWINSZ, &got) == 0;
    check(set_ok && get_ok && got.ws_row == ROWS && got.ws_col == COLS,
          "TIOCSWINSZ then TIOCGWINSZ on the master give the same size",
          "set %s, get %s: %u rows, %u columns (set %u, %u)", set_ok ? "ok" : "failed",
          get_ok ? "ok" : "failed", got.ws_row, got.ws_col, ROWS, COLS);

    int report[2];
    if (pipe(report) != 0) {
        perror("ptytest: pipe");
        return 1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("ptytest: fork");
        return 1;
    }
    if (pid == 0) {
        close(master);
        close(report[0]);
        child(slave_name, shell, report[1]);
    }
    close(report[1]);

    struct child_report r;
    ssize_t n = read(report[0], &r, sizeof(r));
    close(report[0]);
    if (n != (ssize_t)sizeof(r)) {
        check(0, "the child reports on its terminal", "read %zd bytes of %zu", n, sizeof(r));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return check_summary("ptytest");
    }
    check(r.setsid_ok && r.open_errno == 0, "the child makes a session and opens the slave",
          "setsid %s, open %s: %s", r.setsid_ok ? "ok" : "failed", slave_name,
          r.open_errno ? strerror(r.open_errno) : "ok");
    check(r.sid == r.pid && r.fg_pgid == r.pid && r.tty_errno == 0,
          "the slave is the child's controlling terminal, its group in the foreground",
          "child %d: tcgetsid %d, tcgetpgrp %d, /dev/tty %s", r.pid, r.sid, r.fg_pgid,
          r.tty_errno ? strerror(r.tty_errno) : "opens");
    check(r.size.ws_row == ROWS && r.size.ws_col == COLS,
          "the slave has the size set on the master", "%u rows, %u columns", r.size.ws_row,
          r.size.ws_col);

    char line[64];
    snprintf(line, sizeof(line), "%s\n", typed_line);
    write(master, line, strlen(line));
    int err = read_master(master, shell_says);
    check(err == 0, "the shell's output comes through the master (pty-42)",
          "after %s, the master read \"%s\"", ended(err), shown());
    check(memmem(output, output_len, typed_line, strlen(typed_line)) != NULL,
          "the typed line is echoed", "the master read \"%s\"", shown());

    snprintf(line, sizeof(line), "exit 5\n");
    write(master, line, strlen(line));
    err = read_master(master, NULL);
    check(err == EIO, "the master reads EIO once the shell has exited",
          "reading ended with %s; the master read \"%s\"", ended(err), shown());
    if (err == ETIMEDOUT)
        kill(pid, SIGKILL);

    int status = 0;
    pid_t waited = waitpid(pid, &status, 0);
    check(waited == pid && WIFEXITED(status) && WEXITSTATUS(status) == 5,
          "the shell's exit status is 5", "waitpid %d, status 0x%x", waited, status);

    char c;
    n = read(master, &c, 1);
    err = n < 0 ? errno : 0;
    check(n < 0 && err == EIO, "the master reads EIO after the child is reaped",
          "read returned %zd (%s)", n, n < 0 ? strerror(err) : "no error");
    close(master);
    return check_summary("ptytest");
}
