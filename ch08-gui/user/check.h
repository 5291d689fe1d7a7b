/*
 * check.h: how the process and signal test programs (forktest, exectest,
 * pipetest, sigtest, sigproc, orphan) report, one line per check:
 *
 *   ok: WHAT                  it held
 *   FAIL: WHAT: DETAILS       it did not, and what was seen
 *
 * then `NAME: all N checks passed` (status 0) or `NAME: K of N checks
 * failed` (status 1): what a grader, or a person, reads. Only the parent
 * process reports: children tell it through exit statuses and pipes, so
 * the two helpers for children are here too.
 */
#ifndef CUBOS_USER_CHECK_H
#define CUBOS_USER_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int checks, failures;

/* Count one check; details is a printf format for the FAIL line. */
static void check(int held, const char *what, const char *details, ...)
{
    checks++;
    if (held) {
        printf("ok: %s\n", what);
        return;
    }
    failures++;
    printf("FAIL: %s: ", what);
    va_list ap;
    va_start(ap, details);
    vprintf(details, ap);
    va_end(ap);
    printf("\n");
}

/* The last line, and the exit status to end with. */
static int check_summary(const char *name)
{
    if (failures == 0)
        printf("%s: all %d checks passed\n", name, checks);
    else
        printf("%s: %d of %d checks failed\n", name, failures, checks);
    return failures != 0;
}

/* fork, or end the program: a test cannot go on without its child. What
 * is buffered is written first, or both processes would print it. */
__attribute__((unused)) static pid_t must_fork(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    return pid;
}

/* Wait for pid; its wait status (-1 if there was none to wait for). */
__attribute__((unused)) static int reap(pid_t pid)
{
    int status = -1;
    waitpid(pid, &status, 0);
    return status;
}

#endif
