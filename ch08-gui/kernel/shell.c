/*
 * shell.c: a small command interpreter on the console.
 *
 * Each command is a function taking argc/argv, listed in one table with its
 * help text; later chapters add rows. A command runs under a recovery point
 * (recover.h), so a command that faults is reported and stopped, and the
 * shell, like the kernel, goes on. A line ending in '&' runs its command
 * in a thread of its own, so the shell reads the next line at once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "cpu.h"
#include "frame.h"
#include "heap.h"
#include "job.h"
#include "kprintf.h"
#include "panic.h"
#include "process.h"
#include "recover.h"
#include "session.h"
#include "shell.h"
#include "smp.h"
#include "string.h"
#include "thread.h"
#include "thread_stack.h"
#include "timer.h"
#include "x86.h"

#define LINE_SIZE 256
#define MAX_ARGS 16
#define SPAWN_MAX 8
#define SPAWN_STEPS 5
#define SPAWN_WORK_MS 5
#define KBD_CONTROLLER 0x64
#define KBD_PULSE_RESET 0xFE    /* 8042 command: pulse the CPU reset line */

static void cmd_help(int argc, char **argv);

/* For a command that takes no arguments: true if it was given none, else
 * say so (rather than ignore them) and return false. */
static bool no_arguments(int argc, char **argv)
{
    if (argc == 1)
        return true;
    kprintf("usage: %s (no arguments)\n", argv[0]);
    return false;
}

static void cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        kprintf("%s%s", argv[i], i + 1 < argc ? " " : "");
    kprintf("\n");
}

static void cmd_uptime(int argc, char **argv)
{
    if (!no_arguments(argc, argv))
        return;
    uint64_t ms = timer_uptime_ms();
    kprintf("up %llu.%03llu s (%llu ticks at %d Hz)\n", (unsigned long long)(ms / 1000),
            (unsigned long long)(ms % 1000), (unsigned long long)timer_ticks(), TIMER_HZ);
}

static void cmd_mem(int argc, char **argv)
{
    if (!no_arguments(argc, argv))
        return;
    struct heap_stats h = heap_stats();
    kprintf("frames: %zu free (%zu MiB), %zu in use\n", frame_free_count(),
            frame_free_count() * PAGE_SIZE >> 20, frame_used_count());
    kprintf("heap: %zu bytes in %zu objects, %zu pages, %zu errors caught\n",
            h.bytes_in_use, h.objects_in_use, h.pages, h.errors);
    kprintf("stacks: %u pages of ended threads kept mapped for reuse\n", thread_stack_cached_pages());
}

static void cmd_reboot(int argc, char **argv)
{
    if (!no_arguments(argc, argv))
        return;
    kprintf("rebooting\n");
    irq_disable();
    outb(KBD_CONTROLLER, KBD_PULSE_RESET);
    /* No 8042 (some UEFI machines): an empty IDT makes the next exception a triple fault. */
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty = { 0, 0 };
    __asm__ volatile("lidt %0; int3" : : "m"(empty));
    cpu_halt_forever();
}

static void cmd_halt(int argc, char **argv)
{
    if (!no_arguments(argc, argv))
        return;
    kernel_finish();
}

static void cmd_ps(int argc, char **argv)
{
    if (!no_arguments(argc, argv))
        return;
    sched_print_threads();
    process_print_all();
}

static void cmd_cpus(int argc, char **argv)
{
    if (!no_arguments(argc, argv))
        return;
    smp_print_cpus();
}

/* Each spawned thread works a little (spins SPAWN_WORK_MS), prints a
 * numbered step and sleeps, a few times over, so the threads' lines
 * interleave on the console and, with several CPUs, their work overlaps
 * and spreads over the CPUs. */
static void spawn_worker(void *arg)
{
    int n = (int)(uintptr_t)arg;
    for (int step = 1; step <= SPAWN_STEPS; step++) {
        uint64_t end = rdtsc() + timer_tsc_rate() / 1000 * SPAWN_WORK_MS;
        while (rdtsc() < end)
            __asm__ volatile("pause");
        kprintf("worker %d: step %d of %d on CPU %u\n", n, step, SPAWN_STEPS, this_cpu()->id);
        thread_sleep_ms(20 + 10 * (uint64_t)n);
    }
}

static void cmd_spawn(int argc, char **argv)
{
    int count = 3;
    if (argc == 2) {
        count = 0;
        for (const char *p = argv[1]; *p; p++) {
            if (*p < '0' || *p > '9' || count > SPAWN_MAX) {
                count = -1;
                break;
            }
            count = count * 10 + (*p - '0');
        }
    }
    if (argc > 2 || count < 1 || count > SPAWN_MAX) {
        kprintf("usage: spawn [1-%d]\n", SPAWN_MAX);
        return;
    }
    struct thread *workers[SPAWN_MAX];
    for (int i = 0; i < count; i++) {
        char name[THREAD_NAME_SIZE] = "worker ";
        name[7] = (char)('1' + i);
        workers[i] = thread_create(name, spawn_worker, (void *)(uintptr_t)(i + 1));
        if (workers[i] == NULL) {
            kprintf("spawn: no memory for thread %d\n", i + 1);
            count = i;
            break;
        }
    }
    for (int i = 0; i < count; i++)
        thread_join(workers[i]);
    kprintf("spawn: %d thread%s finished\n", count, count == 1 ? "" : "s");
}

static const struct shell_command commands[] = {
    { "help", "help", "list the commands", cmd_help },
    { "echo", "echo [word...]", "print the words", cmd_echo },
    { "uptime", "uptime", "time since the timer started", cmd_uptime },
    { "mem", "mem", "free frames and heap use", cmd_mem },
    { "ps", "ps", "list the threads, then the processes", cmd_ps },
    { "cpus", "cpus", "list the CPUs", cmd_cpus },
    { "spawn", "spawn [n]", "start n threads that print as they run (default 3)", cmd_spawn },
    { "reboot", "reboot", "restart the machine", cmd_reboot },
    { "halt", "halt", "stop the kernel", cmd_halt },
    { NULL, NULL, NULL, NULL },
};

/* Commands that start user programs (kernel/run.c). */
static const struct shell_command *const program_commands[] = {
    &run_command,
    NULL,
};

/* Commands for devices and the network (kernel/lspci.c, net/). */
static const struct shell_command *const net_commands[] = {
    &lspci_command,
    &ifconfig_command,
    &arping_command,
    &ping_command,
    &nslookup_command,
    &netstat_command,
    &fetch_command,
    &exit_command,
    NULL,
};

/* Commands that exist to show how the kernel reacts to faults and bugs,
 * each in its own file (kernel/demo_*.c), apart from the real ones. */
static const struct shell_command *const demos[] = {
    &demo_fault_command,
    &demo_bug_command,
    &demo_primes_command,
    &demo_pingpong_command,
    &demo_prodcons_command,
    &demo_deadlock_command,
    &demo_misuse_command,
    NULL,
};

static const struct shell_command *find_command(const char *name)
{
    for (const struct shell_command *c = commands; c->name; c++) {
        if (strcmp(name, c->name) == 0)
            return c;
    }
    for (int i = 0; program_commands[i]; i++) {
        if (strcmp(name, program_commands[i]->name) == 0)
            return program_commands[i];
    }
    for (int i = 0; net_commands[i]; i++) {
        if (strcmp(name, net_commands[i]->name) == 0)
            return net_commands[i];
    }
    for (int i = 0; demos[i]; i++) {
        if (strcmp(name, demos[i]->name) == 0)
            return demos[i];
    }
    return NULL;
}

static void cmd_help(int argc, char **argv)
{
    if (!no_arguments(argc, argv))
        return;
    for (const struct shell_command *c = commands; c->name; c++)
        kprintf("  %-24s %s\n", c->usage, c->help);
    kprintf("Programs:\n");
    for (int i = 0; program_commands[i]; i++)
        kprintf("  %-24s %s\n", program_commands[i]->usage, program_commands[i]->help);
    kprintf("Devices and network:\n");
    for (int i = 0; net_commands[i]; i++)
        kprintf("  %-24s %s\n", net_commands[i]->usage, net_commands[i]->help);
    kprintf("Demos:\n");
    for (int i = 0; demos[i]; i++)
        kprintf("  %-24s %s\n", demos[i]->usage, demos[i]->help);
    kprintf("End a command with '&' to run it in the background (a thread of its own).\n");
    kprintf("Keys: Left/Right, Home/End (Ctrl-A/Ctrl-E), Up/Down history, "
            "Ctrl-U clears the line, Ctrl-C drops it.\n");
}

static bool is_separator(char c)
{
    return c == ' ' || c == '\t';
}

/* Split line in place at spaces and tabs; returns the number of words, or
 * -1 if there are more than max. */
static int split_words(char *line, char **argv, int max)
{
    int argc = 0;
    char *p = line;
    while (*p) {
        while (is_separator(*p))
            *p++ = '\0';
        if (*p == '\0')
            break;
        if (argc == max)
            return -1;
        argv[argc++] = p;
        while (*p && !is_separator(*p))
            p++;
    }
    return argc;
}

/* One command to run: the shell's own, or a background job's. */
struct command_run {
    const struct shell_command *command;
    int argc;
    char *argv[MAX_ARGS];
    char words[LINE_SIZE];      /* a background job's copy of its words... */
    char line[LINE_SIZE];       /* ...and of them joined by spaces, for messages */
};

/* Run r's command; if it faults, the report has been printed and
 * recover_save returns a second time, with 1. As with setjmp, only what is
 * not changed after recover_save is sure to be intact then: r is not. */
static void run_recoverable(struct command_run *r)
{
    struct recover_point point;
    if (recover_save(&point) != 0)
        return;
    recover_arm(&point);
    r->command->run(r->argc, r->argv);
    recover_disarm();
}

/* Run r's command as a job (job.h): what its threads are still doing
 * when it returns is ended, and what it made is freed. */
static void run_job(struct command_run *r, bool background)
{
    struct job *j = job_begin(r->line);
    if (j == NULL) {
        kprintf("shell: no memory for a job\n");
        return;
    }
    j->background = background;
    run_recoverable(r);
    job_end(j);
}

/* A background job's thread: the command, then its words are freed. */
static void job_thread(void *arg)
{
    struct command_run *job = arg;
    run_job(job, true);
    kprintf("shell: background '%s' done\n", job->line);
    kfree(job);
}

/* argv's words joined by spaces, into line (LINE_SIZE bytes). */
static void join_words(char *line, int argc, char **argv)
{
    size_t used = 0;
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);
        memcpy(line + used, argv[i], n);
        used += n;
        if (i + 1 < argc)
            line[used++] = ' ';
    }
    line[used] = '\0';
}

/* "command args... &": run it in a thread of its own, detached, so the
 * shell reads the next line at once (and `ps` can watch the job run). */
static void run_in_background(const struct shell_command *c, int argc, char **argv)
{
    struct command_run *job = kmalloc(sizeof(*job));
    if (job == NULL) {
        kprintf("shell: no memory for a background job\n");
        return;
    }
    job->command = c;
    job->argc = argc;
    size_t used = 0;
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]) + 1;
        memcpy(job->words + used, argv[i], n);
        job->argv[i] = job->words + used;
        used += n;
    }
    join_words(job->line, argc, argv);
    /* Say it before the thread starts: it may run and end at once on another CPU. */
    kprintf("shell: '%s' runs in the background\n", job->line);
    struct thread *t = thread_create(c->name, job_thread, job);
    if (t == NULL) {
        kprintf("shell: no memory for a background thread\n");
        kfree(job);
        return;
    }
    thread_detach(t);
}

/* Run one line; foreground is the shell's own (kept for the whole loop:
 * see run_recoverable). */
static void run_line(char *line, struct command_run *fg)
{
    struct command_run *const foreground = fg;
    char **argv = foreground->argv;
    int argc = split_words(line, argv, MAX_ARGS);
    if (argc < 0) {
        kprintf("shell: too many words (at most %d)\n", MAX_ARGS);
        return;
    }
    bool background = argc > 0 && strcmp(argv[argc - 1], "&") == 0;
    if (background)
        argc--;
    if (argc == 0) {
        if (background)
            kprintf("shell: '&' needs a command before it\n");
        return;
    }
    const struct shell_command *c = find_command(argv[0]);
    if (c == NULL) {
        kprintf("shell: unknown command '%s'; type 'help' for the list\n", argv[0]);
        return;
    }
    if (background) {
        run_in_background(c, argc, argv);
        return;
    }
    foreground->command = c;
    foreground->argc = argc;
    join_words(foreground->line, argc, argv);
    run_job(foreground, false);
}

/* Read lines from the calling thread's terminal and run them, until it
 * closes (a remote session's, -2). */
static void shell_loop(struct command_run *foreground)
{
    char line[LINE_SIZE];
    int n;
    while ((n = console_readline("cubos> ", line, sizeof(line))) != -2) {
        if (n > 0)
            run_line(line, foreground);
    }
}

void shell_thread(void *arg)
{
    (void)arg;
    static struct command_run foreground;
    kprintf("cubos shell: type 'help' for the commands\n");
    shell_loop(&foreground);
}

void shell_session(void)
{
    struct command_run *foreground = kmalloc(sizeof(*foreground));
    if (foreground == NULL) {
        kprintf("shell: no memory for a session\n");
        return;
    }
    shell_loop(foreground);
    kfree(foreground);
}
