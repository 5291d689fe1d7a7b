/*
 * sigproc.c: signals between processes, and timer signals.
 *
 * Shows sigsuspend waking with EINTR when a child signals its parent, a
 * SIGCHLD handler with the child's pid and status in its siginfo, SIGCHLD's
 * default action (ignored: the parent lives on), a blocking read
 * interrupted by SIGALRM (EINTR without SA_RESTART; with SA_RESTART the
 * read goes on and returns the byte the handler wrote into the pipe),
 * alarm(2), setitimer(2) with an interval, kill(2) to a process group,
 * kill(pid, 0) as an existence test (ESRCH once the child is reaped), and
 * SIGSTOP/SIGCONT reported by waitpid with WUNTRACED/WCONTINUED.
 * sigtest.c has the handler mechanics in one process. Each check prints
 * `ok: WHAT` or `FAIL: WHAT: DETAILS`, and the last line is
 *
 *   sigproc: all N checks passed          (status 0)
 *   sigproc: K of N checks failed         (status 1)
 *
 * It takes about two seconds (two timers of one second). The same binary
 * passes on Linux, where each expectation comes from.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define TICK_USEC 20000    /* the interval timer's period: 20 ms */
#define TICKS 3
#define GROUP_EXIT 42

static volatile sig_atomic_t handled;
static siginfo_t last_info;
static int alarm_pipe = -1;   /* where the SIGALRM handler writes, if >= 0 */

static void info_handler(int sig, siginfo_t *info, void *context)
{
    (void)context;
    last_info = *info;
    if (sig == SIGALRM && alarm_pipe >= 0)
        write(alarm_pipe, "A", 1);
    handled++;
}

/* Install info_handler for sig with SA_SIGINFO | flags. */
static void install(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

/* Block sig; *unblocked becomes the mask without it, for sigsuspend. */
static void block(int sig, sigset_t *unblocked)
{
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_BLOCK, &one, unblocked);
    sigdelset(unblocked, sig);
}

static void unblock(int sig)
{
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
}

/* The signal is blocked before the child exists, so it cannot come before
 * sigsuspend waits for it. */
static void check_sigsuspend_and_sigchld(void)
{
    sigset_t unblocked, now;
    install(SIGUSR1, 0);
    block(SIGUSR1, &unblocked);
    int before = handled;
    pid_t pid = must_fork();
    if (pid == 0)
        _exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
    errno = 0;
    int r = sigsuspend(&unblocked);
    check(r == -1 && errno == EINTR && handled == before + 1 && last_info.si_pid == pid,
          "sigsuspend returns -1 EINTR after the handler for the child's kill ran",
          "gave %d (%s), handler ran %d times, si_pid %d (child %d)", r, strerror(errno),
          handled - before, last_info.si_pid, pid);
    sigprocmask(SIG_BLOCK, NULL, &now);
    check(sigismember(&now, SIGUSR1), "sigsuspend restores the mask", "SIGUSR1 unblocked");
    unblock(SIGUSR1);
    reap(pid);

    install(SIGCHLD, 0);
    block(SIGCHLD, &unblocked);
    before = handled;
    pid = must_fork();
    if (pid == 0)
        _exit(9);
    while (handled == before)
        sigsuspend(&unblocked);
    int status = reap(pid);
    check(last_info.si_signo == SIGCHLD && last_info.si_code == CLD_EXITED
              && last_info.si_pid == pid && last_info.si_status == 9 && WEXITSTATUS(status) == 9,
          "a SIGCHLD handler runs when a child exits: CLD_EXITED, si_pid, si_status",
          "si_signo %d si_code %d si_pid %d (child %d) si_status %d, status 0x%x",
          last_info.si_signo, last_info.si_code, last_info.si_pid, pid, last_info.si_status,
          status);
    signal(SIGCHLD, SIG_DFL);
    unblock(SIGCHLD);

    pid = must_fork();
    if (pid == 0)
        _exit(0);
    status = reap(pid);
    check(WIFEXITED(status), "SIGCHLD's default action is to ignore it", "status 0x%x", status);
}

static void check_interrupted_read(void)
{
    int p[2];
    char c = 0;
    if (pipe(p) != 0)
        exit(1);
    /* A repeating timer: should the first expiry come before read blocks,
     * the next one interrupts it. */
    install(SIGALRM, 0);
    struct itimerval every_second = { { 1, 0 }, { 1, 0 } }, off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &every_second, NULL);
    errno = 0;
    ssize_t n = read(p[0], &c, 1);
    int err = errno;
    setitimer(ITIMER_REAL, &off, NULL);
    check(n == -1 && err == EINTR, "SIGALRM without SA_RESTART: a blocked read fails EINTR",
          "read gave %zd (%s)", n, strerror(err));

    install(SIGALRM, SA_RESTART);
    alarm_pipe = p[1];
    alarm(1);
    n = read(p[0], &c, 1);
    alarm_pipe = -1;
    check(n == 1 && c == 'A',
          "alarm(1) with SA_RESTART: the read restarts, gets the handler's byte",
          "read gave %zd '%c' (%s)", n, c, strerror(errno));
    close(p[0]);
    close(p[1]);

    sigset_t unblocked;
    install(SIGALRM, 0);
    block(SIGALRM, &unblocked);
    int before = handled;
    struct itimerval ticking = { { 0, TICK_USEC }, { 0, TICK_USEC } }, left;
    setitimer(ITIMER_REAL, &ticking, NULL);
    while (handled < before + TICKS)
        sigsuspend(&unblocked);
    setitimer(ITIMER_REAL, &off, NULL);
    getitimer(ITIMER_REAL, &left);
    check(handled == before + TICKS && left.it_value.tv_sec == 0 && left.it_value.tv_usec == 0,
          "setitimer with an interval delivers SIGALRM 3 times, then is disarmed",
          "%d deliveries, %ld.%06ld s left", handled - before, (long)left.it_value.tv_sec,
          (long)left.it_value.tv_usec);
    signal(SIGALRM, SIG_IGN);   /* drops a tick still pending */
    unblock(SIGALRM);
    signal(SIGALRM, SIG_DFL);
}

/* Two children in a new process group each wait for SIGUSR2 and exit 42. */
static void check_group_kill(void)
{
    int ready[2];
    sigset_t unblocked;
    pid_t pids[2];
    if (pipe(ready) != 0)
        exit(1);
    install(SIGUSR2, 0);
    block(SIGUSR2, &unblocked);
    for (int i = 0; i < 2; i++) {
        pids[i] = must_fork();
        if (pids[i] == 0) {
            int was = handled;
            write(ready[1], "r", 1);
            while (handled == was)
                sigsuspend(&unblocked);
            _exit(last_info.si_signo == SIGUSR2 ? GROUP_EXIT : 1);
        }
        setpgid(pids[i], pids[0]);
    }
    char c;
    for (int i = 0; i < 2; i++)
        read(ready[0], &c, 1);
    int r = kill(-pids[0], SIGUSR2);
    int s0 = reap(pids[0]), s1 = reap(pids[1]);
    check(r == 0 && WIFEXITED(s0) && WEXITSTATUS(s0) == GROUP_EXIT && WIFEXITED(s1)
              && WEXITSTATUS(s1) == GROUP_EXIT,
          "kill(-pgid, SIGUSR2) reaches both children of the group",
          "kill gave %d, statuses 0x%x 0x%x", r, s0, s1);
    unblock(SIGUSR2);
    signal(SIGUSR2, SIG_DFL);
    close(ready[0]);
    close(ready[1]);
}

/* A child blocked in read until the pipe closes; stopped and continued on
 * the way, it still ends by itself with status 0. */
static void check_existence_and_stop(void)
{
    int hold[2];
    if (pipe(hold) != 0)
        exit(1);
    pid_t pid = must_fork();
    if (pid == 0) {
        char c;
        close(hold[1]);
        _exit(read(hold[0], &c, 1) == 0 ? 0 : 1);
    }
    close(hold[0]);
    int r = kill(pid, 0);
    check(r == 0, "kill(pid, 0) of a live child succeeds", "gave %d (%s)", r, strerror(errno));

    int status = -1;
    kill(pid, SIGSTOP);
    pid_t got = waitpid(pid, &status, WUNTRACED);
    check(got == pid && WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP,
          "waitpid(WUNTRACED): WIFSTOPPED, WSTOPSIG == SIGSTOP", "gave %d, status 0x%x", got,
          status);
    kill(pid, SIGCONT);
    status = -1;
    got = waitpid(pid, &status, WCONTINUED);
    check(got == pid && WIFCONTINUED(status), "waitpid(WCONTINUED) after SIGCONT: WIFCONTINUED",
          "gave %d, status 0x%x", got, status);

    close(hold[1]);
    status = reap(pid);
    check(status == 0, "the stopped and continued child's read goes on to end of file",
          "status 0x%x", status);
    errno = 0;
    r = kill(pid, 0);
    check(r == -1 && errno == ESRCH, "kill(pid, 0) of a reaped child fails ESRCH",
          "gave %d (%s)", r, strerror(errno));
}

int main(int argc, char **argv)
{
    (void)argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 1) {
        fprintf(stderr, "usage: sigproc\n");
        return 2;
    }
    check_sigsuspend_and_sigchld();
    check_interrupted_read();
    check_group_kill();
    check_existence_and_stop();
    return check_summary("sigproc");
}
