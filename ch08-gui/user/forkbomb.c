/*
 * forkbomb.c: fork until the kernel says no, then clean up.
 *
 * Shows that fork fails with EAGAIN when a process may not have more
 * children, that the kernel stays usable, and that all the children end and
 * are reaped. Every child blocks reading a pipe; once fork fails the
 * program closes the pipe's write end, so each child reads end of file and
 * exits, and waits for them all. Usage:
 *
 *   forkbomb        lowers its own RLIMIT_NPROC to 64 first, so the limit
 *                   is reached quickly and the same way everywhere
 *   forkbomb max    leaves the limits alone: forks until the kernel runs
 *                   out (its process table, or memory), at most 100000
 *
 * RLIMIT_NPROC counts every process of the user, so with other processes
 * running under that user fewer than 64 children fit. Linux does not
 * enforce RLIMIT_NPROC for root (in the initial user namespace) nor for a
 * process with CAP_SYS_ADMIN or CAP_SYS_RESOURCE: on a Linux host run it as
 * another user, e.g. `setpriv --reuid=nobody --regid=nogroup
 * --clear-groups forkbomb`. If more children than the limit allows are
 * made, the program stops there and reports that the limit is not
 * enforced. It prints
 *
 *   forkbomb: fork failed with EAGAIN after N children
 *   forkbomb: all N children reaped
 *
 * and exits 0; on anything else it prints `FAIL: ...` and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define NPROC_LIMIT 64
#define MAX_CHILDREN 100000

int main(int argc, char **argv)
{
    int lower = argc == 1;
    if (!lower && !(argc == 2 && strcmp(argv[1], "max") == 0)) {
        fprintf(stderr, "usage: forkbomb [max]\n");
        return 2;
    }
    long cap = MAX_CHILDREN;
    if (lower) {
        struct rlimit limit = { NPROC_LIMIT, NPROC_LIMIT };
        if (setrlimit(RLIMIT_NPROC, &limit) != 0) {
            printf("FAIL: setrlimit(RLIMIT_NPROC, %d): %s\n", NPROC_LIMIT, strerror(errno));
            return 1;
        }
        cap = NPROC_LIMIT;   /* this process counts too: one more is too many */
    }

    int hold[2];
    if (pipe(hold) != 0) {
        perror("forkbomb: pipe");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    fflush(stdout);
    long children = 0;
    int err = 0;
    while (children < cap) {
        pid_t pid = fork();
        if (pid < 0) {
            err = errno;
            break;
        }
        if (pid == 0) {
            char c;
            close(hold[1]);
            read(hold[0], &c, 1);
            _exit(0);
        }
        children++;
    }
    close(hold[1]);

    long reaped = 0, bad = 0;
    int status;
    while (wait(&status) > 0) {
        reaped++;
        bad += status != 0;
    }
    int wait_err = errno;

    int failed = 0;
    if (err == EAGAIN) {
        printf("forkbomb: fork failed with EAGAIN after %ld children\n", children);
    } else if (err != 0) {
        printf("FAIL: fork failed after %ld children with %s, expected EAGAIN\n", children,
               strerror(err));
        failed = 1;
    } else {
        printf("FAIL: %ld children and fork still works: %s\n", children,
               lower ? "RLIMIT_NPROC is not enforced (root on Linux?)" : "no limit reached");
        failed = 1;
    }
    if (reaped == children && bad == 0 && wait_err == ECHILD) {
        printf("forkbomb: all %ld children reaped\n", reaped);
    } else {
        printf("FAIL: %ld of %ld children reaped, %ld not with status 0, wait ended with %s\n",
               reaped, children, bad, strerror(wait_err));
        failed = 1;
    }
    return failed;
}
