/*
 * shell.c: a small command interpreter on the console.
 *
 * Each command is a function taking argc/argv, listed in one table with its
 * help text; later chapters add rows. A command runs under a recovery point
 * (recover.h), so a command that faults is reported and stopped, and the
 * shell, like the kernel, goes on.
 */
#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "frame.h"
#include "heap.h"
#include "kprintf.h"
#include "panic.h"
#include "recover.h"
#include "shell.h"
#include "string.h"
#include "thread.h"
#include "timer.h"
#include "x86.h"

#define LINE_SIZE 256
#define MAX_ARGS 16
#define SPAWN_MAX 8
#define SPAWN_STEPS 5
#define KBD_CONTROLLER 0x64
#define KBD_PULSE_RESET 0xFE    /* 8042 command: pulse the CPU reset line */

struct command {
    const char *name;
    const char *usage;
    const char *help;
    void (*run)(int argc, char **argv);
};

static void cmd_help(int argc, char **argv);

static void cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        kprintf("%s%s", argv[i], i + 1 < argc ? " " : "");
    kprintf("\n");
}

static void cmd_uptime(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uint64_t ms = timer_uptime_ms();
    kprintf("up %llu.%03llu s (%llu ticks at %d Hz)\n", (unsigned long long)(ms / 1000),
            (unsigned long long)(ms % 1000), (unsigned long long)timer_ticks(), TIMER_HZ);
}

static void cmd_mem(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct heap_stats h = heap_stats();
    kprintf("frames: %zu free (%zu MiB), %zu in use\n", frame_free_count(),
            frame_free_count() * PAGE_SIZE >> 20, frame_used_count());
    kprintf("heap: %zu bytes in %zu objects, %zu pages, %zu errors caught\n",
            h.bytes_in_use, h.objects_in_use, h.pages, h.errors);
}

static void cmd_reboot(int argc, char **argv)
{
    (void)argc;
    (void)argv;
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
    (void)argc;
    (void)argv;
    kernel_finish();
}

/* Recurse with 512 bytes of stack per call until the guard page stops it. */
static int overflow_stack(int depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    if (depth == __INT_MAX__)      /* never reached: 16 KiB of stack runs out first */
        return 0;
    return overflow_stack(depth + 1) + pad[0];
}

static const uint8_t not_code[] = { 0xC3 };     /* RET, but in .rodata: not executable */

static void overflow_thread(void *arg)
{
    (void)arg;
    kprintf("%d\n", overflow_stack(0));
}

static void cmd_fault(int argc, char **argv)
{
    const char *kind = argc == 2 ? argv[1] : "";
    volatile int zero = 0;
    if (strcmp(kind, "divide") == 0) {
        kprintf("fault: dividing by zero (#DE)\n");
        /* In asm: for 1 / x in C, gcc may compute the answer without dividing. */
        uint32_t quotient = 1, remainder = 0;
        __asm__ volatile("divl %2" : "+a"(quotient), "+d"(remainder) : "r"((uint32_t)zero));
    } else if (strcmp(kind, "breakpoint") == 0) {
        kprintf("fault: int3 (#BP), a trap the kernel continues after\n");
        __asm__ volatile("int3");
        kprintf("fault: back from the breakpoint\n");
    } else if (strcmp(kind, "opcode") == 0) {
        kprintf("fault: executing ud2 (#UD)\n");
        __asm__ volatile("ud2");
    } else if (strcmp(kind, "gp") == 0) {
        kprintf("fault: reading a non-canonical address (#GP)\n");
        (void)*(volatile uint64_t *)(uintptr_t)0x8000000000000000ull;
    } else if (strcmp(kind, "pagefault") == 0) {
        kprintf("fault: reading unmapped address 0xdead0000 (#PF)\n");
        (void)*(volatile uint64_t *)(uintptr_t)0xdead0000ull;
    } else if (strcmp(kind, "wx") == 0) {
        kprintf("fault: writing to the kernel's code (#PF, W^X)\n");
        *(volatile uint8_t *)(uintptr_t)&cmd_fault = 0xCC;
    } else if (strcmp(kind, "nx") == 0) {
        kprintf("fault: jumping into read-only data (#PF, NX)\n");
        ((void (*)(void))(uintptr_t)not_code)();
        kprintf("fault: not reached\n");   /* keeps the call from becoming a jump */
    } else if (strcmp(kind, "stack") == 0) {
        kprintf("fault: recursing until the kernel stack overflows (#DF)\n");
        kprintf("%d\n", overflow_stack(0));
    } else if (strcmp(kind, "thread") == 0) {
        kprintf("fault: a new thread overflows its stack; the fault stops it, not the shell\n");
        struct thread *t = thread_create("overflow", overflow_thread, NULL);
        if (t == NULL) {
            kprintf("fault: no memory for a thread\n");
            return;
        }
        thread_join(t);
        kprintf("fault: thread 'overflow' has ended\n");
    } else {
        kprintf("usage: fault divide|breakpoint|opcode|gp|pagefault|wx|nx|stack|thread\n");
    }
}

static void cmd_ps(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    sched_print_threads();
}

/* Each spawned thread prints a few numbered steps, sleeping in between,
 * so the threads' lines interleave on the console. */
static void spawn_worker(void *arg)
{
    int n = (int)(uintptr_t)arg;
    for (int step = 1; step <= SPAWN_STEPS; step++) {
        kprintf("worker %d: step %d of %d\n", n, step, SPAWN_STEPS);
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
    kprintf("spawn: %d threads finished\n", count);
}

static const struct command commands[] = {
    { "help", "help", "list the commands", cmd_help },
    { "echo", "echo [word...]", "print the words", cmd_echo },
    { "uptime", "uptime", "time since the timer started", cmd_uptime },
    { "mem", "mem", "free frames and heap use", cmd_mem },
    { "ps", "ps", "list the threads", cmd_ps },
    { "spawn", "spawn [n]", "start n threads that print as they run (default 3)", cmd_spawn },
    { "fault", "fault <kind>", "raise an exception to see its report (no kind: list)", cmd_fault },
    { "reboot", "reboot", "restart the machine", cmd_reboot },
    { "halt", "halt", "stop the kernel", cmd_halt },
    { NULL, NULL, NULL, NULL },
};

static void cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (const struct command *c = commands; c->name; c++)
        kprintf("  %-24s %s\n", c->usage, c->help);
    kprintf("Keys: Left/Right, Home/End (Ctrl-A/Ctrl-E), Up/Down history, "
            "Ctrl-U clears the line, Ctrl-C drops it.\n");
}

/* Split line in place at spaces; returns the number of words (at most max). */
static int split_words(char *line, char **argv, int max)
{
    int argc = 0;
    char *p = line;
    while (*p) {
        while (*p == ' ')
            *p++ = '\0';
        if (*p == '\0')
            break;
        if (argc == max)
            return -1;
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    return argc;
}

/* The command being run. Static, not local: after a fault, execution comes
 * back through recover_save, and locals kept in registers would not survive. */
static struct {
    const struct command *command;
    int argc;
    char **argv;
} running;

/* Run the command in `running`; if it faults, the report has been printed
 * and recover_save returns a second time, with 1. */
static void run_recoverable(void)
{
    struct recover_point point;
    if (recover_save(&point) != 0)
        return;
    recover_arm(&point);
    running.command->run(running.argc, running.argv);
    recover_disarm();
}

static void run_line(char *line)
{
    char *argv[MAX_ARGS];
    int argc = split_words(line, argv, MAX_ARGS);
    if (argc < 0) {
        kprintf("shell: too many words (at most %d)\n", MAX_ARGS);
        return;
    }
    if (argc == 0)
        return;
    for (const struct command *c = commands; c->name; c++) {
        if (strcmp(argv[0], c->name) != 0)
            continue;
        running.command = c;
        running.argc = argc;
        running.argv = argv;
        run_recoverable();
        return;
    }
    kprintf("shell: unknown command '%s'; type 'help' for the list\n", argv[0]);
}

void shell_thread(void *arg)
{
    (void)arg;
    char line[LINE_SIZE];
    kprintf("cubos shell: type 'help' for the commands\n");
    for (;;) {
        if (console_readline("cubos> ", line, sizeof(line)) > 0)
            run_line(line);
    }
}
