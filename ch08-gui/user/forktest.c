/*
 * forktest.c: fork(2), copy-on-write, wait4/waitid and process groups.
 *
 * Shows that fork gives the child a copy of the parent's memory that each
 * side may write without the other seeing it (a 1 MiB static array, a 1 MiB
 * malloc'd buffer and a stack variable), that the parent learns how each
 * child ended (exit status, killed by SIGKILL, SIGABRT, SIGSEGV), that an
 * exit status is kept until the parent waits for it, and the basics of
 * process groups and sessions. Children report through pipes and exit
 * statuses; only the parent prints. Each check prints `ok: WHAT` or
 * `FAIL: WHAT: DETAILS`, and the last line is
 *
 *   forktest: all N checks passed          (status 0)
 *   forktest: K of N checks failed         (status 1)
 *
 * Two other modes, for tests that count memory after many processes:
 *
 *   forktest cycles N       N times fork, child exits, parent waits; prints
 *                           `forktest: N cycles`
 *   forktest exec N PATH    N times fork, child execs PATH (a program that
 *                           exits 0, e.g. /bin/true) with stdout on
 *                           /dev/null, parent waits; prints
 *                           `forktest: N exec cycles`
 *
 * The same binary passes on Linux, where each expectation comes from.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define BIG_BYTES (1 << 20)

/* How a wait status reads, for FAIL lines. */
static const char *status_text(int status)
{
    static char text[64];
    if (WIFEXITED(status))
        snprintf(text, sizeof(text), "exited with %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(text, sizeof(text), "killed by signal %d", WTERMSIG(status));
    else
        snprintf(text, sizeof(text), "status 0x%x", status);
    return text;
}

static char static_big[BIG_BYTES];

/* 1 if all n bytes at p are c. */
static int all_bytes(const char *p, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

/* The child is told apart by its getpid, not by fork's value, so that a
 * wrong value in the child shows. */
static void check_fork_ids(void)
{
    int ids[2];
    pid_t parent = getpid();
    if (pipe(ids) != 0)
        exit(1);
    pid_t pid = must_fork();
    if (getpid() != parent) {
        pid_t mine[3] = { pid, getpid(), getppid() };
        write(ids[1], mine, sizeof(mine));
        _exit(0);
    }
    pid_t seen[3] = { -1, 0, 0 };
    close(ids[1]);
    read(ids[0], seen, sizeof(seen));
    close(ids[0]);
    int status;
    pid_t got = wait4(pid, &status, 0, NULL);
    check(seen[0] == 0, "fork returns 0 in the child", "the child got %d", seen[0]);
    check(pid > 0 && seen[1] == pid, "fork returns the child's pid in the parent",
          "fork gave %d, the child's getpid is %d", pid, seen[1]);
    check(seen[2] == parent, "getppid in the child is the parent",
          "%d, parent is %d", seen[2], parent);
    check(got == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "wait4 returns the child's pid and status", "gave %d, %s", got, status_text(status));
}

/* The child writes 'C' over its copies, then (after the parent wrote 'Q'
 * over its own) checks it still sees 'C'. Status bits: 1 static, 2 heap,
 * 4 stack wrong after the parent's writes; 8 a buffer was not 'P' at fork. */
static void check_copy_on_write(void)
{
    char *heap_big = malloc(BIG_BYTES);
    volatile char stack_var = 'P';
    int child_wrote[2], parent_wrote[2];
    if (heap_big == NULL || pipe(child_wrote) != 0 || pipe(parent_wrote) != 0)
        exit(1);
    memset(static_big, 'P', BIG_BYTES);
    memset(heap_big, 'P', BIG_BYTES);

    pid_t pid = must_fork();
    if (pid == 0) {
        int bad = 0;
        char go;
        if (!all_bytes(static_big, BIG_BYTES, 'P') || !all_bytes(heap_big, BIG_BYTES, 'P')
            || stack_var != 'P')
            bad |= 8;
        memset(static_big, 'C', BIG_BYTES);
        memset(heap_big, 'C', BIG_BYTES);
        stack_var = 'C';
        write(child_wrote[1], "w", 1);
        read(parent_wrote[0], &go, 1);
        bad |= !all_bytes(static_big, BIG_BYTES, 'C') << 0;
        bad |= !all_bytes(heap_big, BIG_BYTES, 'C') << 1;
        bad |= (stack_var != 'C') << 2;
        _exit(bad);
    }
    char done;
    read(child_wrote[0], &done, 1);
    check(all_bytes(static_big, BIG_BYTES, 'P'), "child's writes to a static array are not seen",
          "parent's copy changed");
    check(all_bytes(heap_big, BIG_BYTES, 'P'), "child's writes to a malloc'd buffer are not seen",
          "parent's copy changed");
    check(stack_var == 'P', "child's write to a stack variable is not seen",
          "parent's copy is '%c'", stack_var);
    memset(static_big, 'Q', BIG_BYTES);
    memset(heap_big, 'Q', BIG_BYTES);
    stack_var = 'Q';
    write(parent_wrote[1], "w", 1);
    int status = reap(pid);
    check(status == 0, "parent's writes after fork are not seen by the child",
          "%s (1 static, 2 heap, 4 stack, 8 not inherited)", status_text(status));
    close(child_wrote[0]), close(child_wrote[1]);
    close(parent_wrote[0]), close(parent_wrote[1]);
    free(heap_big);
}

/* A child that does what how says: 0 exit(3), 1 abort(), 2 write at NULL. */
static pid_t start_ending(int how)
{
    pid_t pid = must_fork();
    if (pid != 0)
        return pid;
    struct rlimit no_core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &no_core);
    if (how == 0)
        exit(3);
    if (how == 1)
        abort();
    volatile int *volatile null_pointer = NULL;
    *null_pointer = 1;
    _exit(0);
}

static void check_endings(void)
{
    int status = reap(start_ending(0));
    check(WIFEXITED(status) && WEXITSTATUS(status) == 3, "WIFEXITED/WEXITSTATUS of exit(3)",
          "%s", status_text(status));
    status = reap(start_ending(1));
    check(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "abort() ends a child by SIGABRT",
          "%s", status_text(status));
    status = reap(start_ending(2));
    check(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
          "a write at NULL ends a child by SIGSEGV",
          "%s", status_text(status));

    /* A child that waits on a pipe until it is killed, or the pipe closes. */
    int hold[2];
    if (pipe(hold) != 0)
        exit(1);
    pid_t pid = must_fork();
    if (pid == 0) {
        char c;
        close(hold[1]);
        read(hold[0], &c, 1);
        _exit(0);
    }
    close(hold[0]);
    int r = waitpid(pid, &status, WNOHANG);
    check(r == 0, "WNOHANG returns 0 while the child runs", "waitpid gave %d", r);
    kill(pid, SIGKILL);
    status = reap(pid);
    check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "kill(SIGKILL) ends a child by SIGKILL",
          "%s", status_text(status));
    close(hold[1]);

    r = waitpid(pid, &status, 0);
    check(r == -1 && errno == ECHILD, "waitpid of a reaped child fails ECHILD",
          "gave %d (%s)", r, strerror(errno));
    r = waitpid(-1, &status, 0);
    check(r == -1 && errno == ECHILD, "waitpid(-1) with no children fails ECHILD",
          "gave %d (%s)", r, strerror(errno));
}

static void check_waitid_and_zombie(void)
{
    pid_t pid = must_fork();
    if (pid == 0)
        _exit(7);
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    int r = waitid(P_PID, pid, &info, WEXITED);
    check(r == 0 && info.si_pid == pid && info.si_status == 7 && info.si_code == CLD_EXITED
              && info.si_signo == SIGCHLD,
          "waitid fills si_pid, si_status, si_code CLD_EXITED",
          "r %d si_pid %d (child %d) si_status %d si_code %d si_signo %d", r, info.si_pid, pid,
          info.si_status, info.si_code, info.si_signo);

    /* The child's exit closes the pipe's only write end: once read sees
     * EOF the child has ended, and its status must wait for the parent. */
    int gone[2];
    if (pipe(gone) != 0)
        exit(1);
    pid = must_fork();
    if (pid == 0) {
        close(gone[0]);
        _exit(5);
    }
    close(gone[1]);
    char c;
    while (read(gone[0], &c, 1) > 0)
        ;
    close(gone[0]);
    int status = reap(pid);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 5, "an exit status is kept until waited for",
          "%s", status_text(status));
}

/* Child's status bits: 1 setpgid(0,0) failed or getpgrp is not its pid,
 * 2 setsid did not return its pid, 4 getsid/getpgrp after setsid wrong. */
static void check_groups_and_sessions(void)
{
    int ready[2], hold[2];
    if (pipe(ready) != 0 || pipe(hold) != 0)
        exit(1);
    pid_t pid = must_fork();
    if (pid == 0) {
        char c;
        int bad = setpgid(0, 0) != 0 || getpgrp() != getpid();
        write(ready[1], "r", 1);
        close(hold[1]);
        read(hold[0], &c, 1);
        _exit(bad);
    }
    char c;
    close(hold[0]);
    read(ready[0], &c, 1);
    pid_t pgid = getpgid(pid);
    close(hold[1]);
    int status = reap(pid);
    check(status == 0 && pgid == pid, "setpgid(0,0) makes a child its own group leader",
          "getpgid %d for child %d, %s", pgid, pid, status_text(status));

    pid = must_fork();
    if (pid == 0) {
        int bad = 0;
        if (getsid(0) != getsid(getppid()))
            bad |= 1;
        if (setsid() != getpid())
            bad |= 2;
        if (getsid(0) != getpid() || getpgrp() != getpid())
            bad |= 4;
        _exit(bad);
    }
    status = reap(pid);
    check(status == 0, "setsid in a child makes it a session leader, getsid == pid",
          "%s (1 not in parent's session, 2 setsid, 4 getsid/getpgrp)", status_text(status));

    pid = must_fork();
    if (pid == 0) {
        if (setpgid(0, 0) != 0)
            _exit(1);
        _exit(setsid() == -1 && errno == EPERM ? 0 : 2);
    }
    status = reap(pid);
    check(status == 0, "setsid in a process group leader fails EPERM",
          "%s (1 setpgid failed, 2 setsid did not fail EPERM)", status_text(status));
    close(ready[0]), close(ready[1]);
}

/* `forktest cycles N` and `forktest exec N PATH`: quiet loops; 1 on a
 * child that did not exit 0. */
static int cycles(long n, const char *path)
{
    for (long i = 0; i < n; i++) {
        pid_t pid = must_fork();
        if (pid == 0) {
            if (path == NULL)
                _exit(0);
            int null = open("/dev/null", O_WRONLY);
            if (null < 0 || dup2(null, 1) != 1)
                _exit(126);
            char *argv[] = { (char *)path, NULL };
            execve(path, argv, environ);
            _exit(127);
        }
        int status = reap(pid);
        if (status != 0) {
            printf("FAIL: cycle %ld: %s\n", i, status_text(status));
            return 1;
        }
    }
    printf("forktest: %ld %s\n", n, path ? "exec cycles" : "cycles");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1) {
        long n = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
        if (argc == 3 && strcmp(argv[1], "cycles") == 0 && n > 0)
            return cycles(n, NULL);
        if (argc == 4 && strcmp(argv[1], "exec") == 0 && n > 0)
            return cycles(n, argv[3]);
        fprintf(stderr, "usage: forktest [cycles N | exec N PATH]\n");
        return 2;
    }
    check_fork_ids();
    check_copy_on_write();
    check_endings();
    check_waitid_and_zombie();
    check_groups_and_sessions();
    return check_summary("forktest");
}
