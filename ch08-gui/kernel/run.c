/*
 * run.c: starting programs from the kernel: the shell's `run` command and
 * the init= kernel option.
 */
#include <stdbool.h>
#include <stddef.h>

#include "console.h"
#include "heap.h"
#include "job.h"
#include "kprintf.h"
#include "process.h"
#include "qemu_exit.h"
#include "run.h"
#include "session.h"
#include "shell.h"
#include "string.h"
#include "thread.h"
#include "tty.h"

/* The environment every program starts with. */
static char *const default_env[] = { "HOME=/", "PATH=/bin", "TERM=vt100", NULL };

/* Drops the waiter's reference if the job ends first (Ctrl-C, deadlock):
 * the waiting thread then unwinds without reaching process_put. */
struct process_hold {
    struct job_resource res;
    struct process *p;
};

static void release_hold(struct job_resource *r)
{
    struct process_hold *h = (struct process_hold *)r;
    process_put(h->p);
    kfree(h);
}

int run_program(char **argv, bool strace, bool init)
{
    int err;
    struct process_hold *h = kmalloc(sizeof(*h));
    if (h == NULL) {
        kprintf("run: out of memory\n");
        return -1;
    }
    h->p = process_spawn(argv[0], argv, default_env, strace, init, &err);
    if (h->p == NULL) {
        kfree(h);
        return -1;
    }
    h->res.release = release_hold;
    job_adopt(&h->res);
    struct job *job = thread_current()->job;
    bool foreground = job == NULL || !job->background;
    /* In the foreground the program has the console as its controlling
     * terminal: keys go to it, ^C sends its group SIGINT (fs/tty.c). */
    struct session *s = session_current();
    if (foreground && s)
        session_tty_give(s, h->p->sid, h->p->pgid);   /* a remote shell's terminal (ch07) */
    else if (foreground)
        console_tty_give(h->p->sid, h->p->pgid);
    int status = process_wait(h->p);
    if (foreground && s)
        session_tty_give(s, 0, 0);
    else if (foreground)
        console_tty_give(0, 0);
    job_forget(&h->res);
    int pid = h->p->pid;
    process_put(h->p);
    kfree(h);
    if (status & 0x7F)
        kprintf("[%d] %s: killed by %s\n", pid, argv[0], signal_name(status & 0x7F));
    else
        kprintf("[%d] %s: exit status %d\n", pid, argv[0], (status >> 8) & 0xFF);
    return status;
}

static void cmd_run(int argc, char **argv)
{
    int first = 1;
    bool strace = first < argc && strcmp(argv[first], "-s") == 0;
    if (strace)
        first++;
    if (first >= argc) {
        kprintf("usage: %s\n", run_command.usage);
        return;
    }
    /* The program's argv ends with NULL; the shell's words need not. */
    char *args[RUN_INIT_MAX_ARGS + 1];
    int n = 0;
    for (int i = first; i < argc && n < RUN_INIT_MAX_ARGS; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    run_program(args, strace, false);
}

const struct shell_command run_command = {
    "run", "run [-s] PATH [ARG...]",
    "run a static Linux program and wait for it (-s: trace its system calls)", cmd_run,
};

void run_init(const char *line, bool strace)
{
    /* The words after init=, split in place of a copy. */
    size_t n = strlen(line);
    char *copy = kmalloc(n + 1);
    char **argv = kmalloc(sizeof(char *) * (RUN_INIT_MAX_ARGS + 1));
    if (copy == NULL || argv == NULL) {
        kprintf("init: out of memory\n");
        return;
    }
    memcpy(copy, line, n + 1);
    int argc = 0;
    for (char *p = copy; *p && argc < RUN_INIT_MAX_ARGS;) {
        while (*p == ' ')
            *p++ = '\0';
        if (*p == '\0')
            break;
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    argv[argc] = NULL;
    int status = argc > 0 ? run_program(argv, strace, true) : -1;
    if (argc == 0)
        kprintf("init=: no program named\n");
    kfree(copy);
    kfree(argv);
    if (qemu_exit_enabled()) {
        kprintf("cubos: init done, leaving QEMU\n");
        qemu_exit(status == 0 ? QEMU_EXIT_PASS : QEMU_EXIT_FAIL);
    }
}
