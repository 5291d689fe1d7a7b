/*
 * orphan.c: a process whose parent exits is re-parented.
 *
 * Shows what the kernel does with a process whose parent ends first: it
 * gets a new parent (init, pid 1, unless some ancestor made itself a
 * "subreaper" with prctl, as service managers on Linux desktops do), which
 * reaps it in the end. The program forks a child; the child forks a
 * grandchild and exits at once. The grandchild polls getppid() (sleeping a
 * millisecond between tries, for at most 5 seconds) until its parent is no
 * longer the child, and writes the new parent's pid into a pipe that only
 * it holds open. The program waits for the child, reads the pipe to end of
 * file (the grandchild's exit closes it) and prints
 *
 *   ok: the child exited 0
 *   ok: the grandchild saw its parent change
 *   orphan: re-parented to pid N
 *   orphan: all 2 checks passed
 *
 * (status 0; `FAIL: ...` lines and status 1 otherwise). N is 1 on cubos,
 * and on Linux outside a subreaper.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define POLL_TRIES 5000
#define POLL_NSEC 1000000   /* 1 ms */

/* In the grandchild: wait until the parent is no longer first_parent and
 * report the new one, or 0 if that did not happen in time. */
static void grandchild(pid_t first_parent, int report)
{
    struct timespec pause = { 0, POLL_NSEC };
    pid_t parent = getppid();
    for (int i = 0; i < POLL_TRIES && parent == first_parent; i++) {
        nanosleep(&pause, NULL);
        parent = getppid();
    }
    if (parent == first_parent)
        parent = 0;
    write(report, &parent, sizeof(parent));
    _exit(0);
}

int main(int argc, char **argv)
{
    (void)argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 1) {
        fprintf(stderr, "usage: orphan\n");
        return 2;
    }
    int report[2];
    if (pipe(report) != 0) {
        perror("orphan: pipe");
        return 1;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        pid_t me = getpid();   /* not getppid() in the grandchild: too late */
        close(report[0]);
        if (fork() == 0)
            grandchild(me, report[1]);
        _exit(0);
    }
    close(report[1]);

    int status = -1;
    pid_t got = waitpid(child, &status, 0);
    check(got == child && status == 0, "the child exited 0", "waitpid gave %d, status 0x%x",
          got, status);

    pid_t new_parent = -1;
    ssize_t n = read(report[0], &new_parent, sizeof(new_parent));
    char rest;
    ssize_t end = read(report[0], &rest, 1);
    check(n == sizeof(new_parent) && end == 0 && new_parent > 0 && new_parent != child,
          "the grandchild saw its parent change",
          "read %zd bytes, then %zd; new parent %d (0: unchanged after 5 s), child %d", n, end,
          new_parent, child);
    if (new_parent > 0)
        printf("orphan: re-parented to pid %d\n", new_parent);

    return check_summary("orphan");
}
