/*
 * exectest.c: execve(2), close-on-exec and posix_spawn(3).
 *
 * Shows that execve replaces the program image in the same process (same
 * pid, new argv and environment), closes the descriptors marked FD_CLOEXEC
 * and keeps the others, ends every other thread of the process, and fails
 * cleanly (the old image goes on) for a missing file (ENOENT), a text file
 * without `#!` (ENOEXEC, mode 0755; EACCES, mode 0644) and a 200 KiB
 * argument (E2BIG: Linux's limit on one string is MAX_ARG_STRLEN, 32 pages).
 * posix_spawn (musl: clone with CLONE_VM|CLONE_VFORK, then execve) starts
 * the program again with its stdout opened on a file by a file action and
 * its stderr dup2'd onto it.
 *
 * The first stage does its checks, starts two threads that never end (one
 * spinning, one blocked in read), and execs itself as
 * `exectest stage2 PID CHECKS FAILURES FD FD FD` with EXECTEST=stage2 in the
 * environment; stage2 does the rest and prints the total. Each check prints
 * `ok: WHAT` or `FAIL: WHAT: DETAILS`, and the last line is
 *
 *   exectest: all N checks passed          (status 0)
 *   exectest: K of N checks failed         (status 1)
 *
 * The program finds its own file from argv[0] (a path, or a name looked up
 * in PATH, /bin:/usr/bin if unset). `exectest child` is what posix_spawn
 * runs. It writes /tmp/exectest.PID.txt and /tmp/exectest.PID.out, and
 * removes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define BIG_ARG_BYTES (200 * 1024)
#define TOKEN "exectest-token-42"
#define CHILD_OUTPUT "child stdout\nchild stderr\n"

/* This program's file: argv[0] if it has a slash, else its first match in
 * PATH (as a shell found it). */
static const char *find_self(const char *argv0)
{
    static char path[4096];
    if (strchr(argv0, '/') != NULL)
        return argv0;
    const char *dirs = getenv("PATH");
    if (dirs == NULL)
        dirs = "/bin:/usr/bin";
    while (dirs != NULL && *dirs != '\0') {
        size_t len = strcspn(dirs, ":");
        snprintf(path, sizeof(path), "%.*s/%s", (int)len, dirs, argv0);
        if (access(path, X_OK) == 0)
            return path;
        dirs += len + (dirs[len] == ':');
    }
    fprintf(stderr, "exectest: cannot find %s in PATH\n", argv0);
    exit(1);
}

/* execve(path) with argv {path, arg, NULL}; it returns only on failure. */
static int exec_fails(const char *path, char *arg)
{
    char *argv[] = { (char *)path, arg, NULL };
    errno = 0;
    execve(path, argv, environ);
    return errno;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0) {
        perror(path);
        exit(1);
    }
}

static void check_exec_errors(const char *self)
{
    char text_file[64];
    snprintf(text_file, sizeof(text_file), "/tmp/exectest.%d.txt", getpid());
    int err = exec_fails("/nonexistent/exectest", NULL);
    check(err == ENOENT, "execve of a missing file fails ENOENT", "%s", strerror(err));

    write_file(text_file, "this is text, not a program\n", 0755);
    err = exec_fails(text_file, NULL);
    check(err == ENOEXEC, "execve of a 0755 text file fails ENOEXEC", "%s", strerror(err));

    chmod(text_file, 0644);
    err = exec_fails(text_file, NULL);
    check(err == EACCES, "execve of a 0644 file fails EACCES", "%s", strerror(err));
    unlink(text_file);

    char *big = malloc(BIG_ARG_BYTES + 1);
    if (big == NULL)
        exit(1);
    memset(big, 'x', BIG_ARG_BYTES);
    big[BIG_ARG_BYTES] = '\0';
    err = exec_fails(self, big);
    check(err == E2BIG, "execve with a 200 KiB argument fails E2BIG", "%s", strerror(err));
    free(big);
}

static void check_posix_spawn(const char *self)
{
    char spawn_out[64];
    snprintf(spawn_out, sizeof(spawn_out), "/tmp/exectest.%d.out", getpid());
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, spawn_out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    char *argv[] = { "exectest", "child", NULL };
    pid_t pid = -1;
    fflush(stdout);
    int err = posix_spawn(&pid, self, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    int status = -1;
    pid_t got = err == 0 ? waitpid(pid, &status, 0) : -1;
    check(err == 0 && got == pid && status == 0, "posix_spawn runs the program, waitpid reaps it",
          "error %d, waitpid %d for %d, status 0x%x", err, got, pid, status);

    char text[128] = "";
    int fd = open(spawn_out, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
    text[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(spawn_out);
    check(strcmp(text, CHILD_OUTPUT) == 0, "posix_spawn's addopen and adddup2 redirect the output",
          "the file holds \"%s\"", text);

    err = posix_spawn(&pid, "/nonexistent/exectest", NULL, NULL, argv, environ);
    check(err == ENOENT, "posix_spawn of a missing file returns ENOENT", "returned %d", err);
}

static void *spin_forever(void *arg)
{
    (void)arg;
    for (volatile unsigned long n = 0;; n++)
        ;
    return NULL;
}

static void *block_forever(void *arg)
{
    char c;
    read(*(int *)arg, &c, 1);   /* the write end stays open: never returns */
    return NULL;
}

static int stage1(const char *self)
{
    int cloexec_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int plain_fd = open("/dev/null", O_RDONLY);
    int dup_fd = fcntl(plain_fd, F_DUPFD_CLOEXEC, 0);
    int cloexec_flags = fcntl(cloexec_fd, F_GETFD);
    int plain_flags = fcntl(plain_fd, F_GETFD);
    int dup_flags = fcntl(dup_fd, F_GETFD);
    check(cloexec_fd >= 0 && cloexec_flags == FD_CLOEXEC, "O_CLOEXEC sets FD_CLOEXEC",
          "fd %d flags %d", cloexec_fd, cloexec_flags);
    check(plain_fd >= 0 && plain_flags == 0, "a plain open leaves FD_CLOEXEC clear",
          "fd %d flags %d", plain_fd, plain_flags);
    check(dup_fd > plain_fd && dup_flags == FD_CLOEXEC, "F_DUPFD_CLOEXEC sets FD_CLOEXEC",
          "fd %d flags %d", dup_fd, dup_flags);

    check_exec_errors(self);
    check_posix_spawn(self);

    static int never[2];
    pthread_t spinner, blocker;
    int err = pipe(never);
    if (err == 0)
        err = pthread_create(&spinner, NULL, spin_forever, NULL);
    if (err == 0)
        err = pthread_create(&blocker, NULL, block_forever, &never[0]);
    check(err == 0, "two threads started before execve", "error %d", err);

    char args[6][16];
    snprintf(args[0], sizeof(args[0]), "%d", getpid());
    snprintf(args[1], sizeof(args[1]), "%d", checks);
    snprintf(args[2], sizeof(args[2]), "%d", failures);
    snprintf(args[3], sizeof(args[3]), "%d", cloexec_fd);
    snprintf(args[4], sizeof(args[4]), "%d", plain_fd);
    snprintf(args[5], sizeof(args[5]), "%d", dup_fd);
    char *argv[] = { "exectest", "stage2", args[0], args[1], args[2],
                     args[3], args[4], args[5], NULL };
    char *envp[] = { "EXECTEST=stage2", "TOKEN=" TOKEN, NULL };
    fflush(stdout);
    execve(self, argv, envp);
    check(0, "execve of the program itself", "%s", strerror(errno));
    return 1;
}

/* After the exec: argv[2..7] as stage1 passed them. */
static int stage2(int argc, char **argv)
{
    if (argc != 8) {
        printf("FAIL: stage2 got %d arguments, expected 8\n", argc);
        return 1;
    }
    checks = atoi(argv[3]);
    failures = atoi(argv[4]);
    check(1, "the exec'd image runs (the other threads did not stop it)", "");
    check(atoi(argv[2]) == getpid(), "execve keeps the pid", "%d before, %d after",
          atoi(argv[2]), getpid());
    check(gettid() == getpid(), "the new image has one thread, the leader",
          "tid %d, pid %d", gettid(), getpid());
    check(strcmp(argv[0], "exectest") == 0 && strcmp(argv[1], "stage2") == 0,
          "argv arrives in the new image", "argv[0] %s argv[1] %s", argv[0], argv[1]);
    const char *token = getenv("TOKEN");
    check(token != NULL && strcmp(token, TOKEN) == 0 && environ[2] == NULL,
          "the new environment replaces the old", "TOKEN=%s", token ? token : "(unset)");

    errno = 0;
    int flags = fcntl(atoi(argv[5]), F_GETFD);
    check(flags == -1 && errno == EBADF, "an O_CLOEXEC descriptor is closed by execve",
          "F_GETFD gave %d (%s)", flags, strerror(errno));
    flags = fcntl(atoi(argv[6]), F_GETFD);
    check(flags == 0, "a plain descriptor stays open across execve", "F_GETFD gave %d (%s)",
          flags, strerror(errno));
    errno = 0;
    flags = fcntl(atoi(argv[7]), F_GETFD);
    check(flags == -1 && errno == EBADF, "an F_DUPFD_CLOEXEC descriptor is closed by execve",
          "F_GETFD gave %d (%s)", flags, strerror(errno));

    return check_summary("exectest");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "child") == 0) {
        fputs("child stdout\n", stdout);
        fflush(stdout);
        fputs("child stderr\n", stderr);
        return 0;
    }
    if (argc == 2 && strlen(argv[1]) == BIG_ARG_BYTES) {
        printf("FAIL: execve with a 200 KiB argument fails E2BIG: it ran\n");
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "stage2") == 0)
        return stage2(argc, argv);
    if (argc != 1) {
        fprintf(stderr, "usage: exectest\n");
        return 2;
    }
    return stage1(find_self(argv[0]));
}
