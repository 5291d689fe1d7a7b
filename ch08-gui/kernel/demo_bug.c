/*
 * demo_bug.c: the shell's `bug` command, which commits on purpose each of
 * the kernel bugs that ch04's checks catch, so their reports can be seen:
 * blocking where no thread may sleep (thread.h, might_sleep), faulting with
 * a spinlock held (trap/fault.c), joining a thread twice, locking a mutex
 * twice. Every one of them stops the kernel with a panic that names the
 * culprit: each is a bug in kernel code, which no recovery can undo.
 */
#include <stddef.h>
#include <stdint.h>

#include "kprintf.h"
#include "shell.h"
#include "spinlock.h"
#include "string.h"
#include "thread.h"
#include "trap.h"
#include "wait.h"

static struct spinlock demo_lock = SPINLOCK_INIT("demo");
static struct mutex demo_mutex = MUTEX_INIT("demo");

/* An interrupt handler that sleeps: VEC_BENCH is a vector no device
 * uses, raised below with INT, so this handler runs as a device's would. */
static void sleeping_handler(struct trap_frame *tf)
{
    (void)tf;
    thread_sleep_ms(10);
    kprintf("bug: the handler woke up\n");
}

static void read_unmapped(void)
{
    (void)*(volatile uint64_t *)(uintptr_t)0xdead0000ull;
}

static void fault_holding_lock(void *arg)
{
    (void)arg;
    spin_lock(&demo_lock);
    read_unmapped();
    spin_unlock(&demo_lock);
}

static void sleep_a_while(void *arg)
{
    (void)arg;
    thread_sleep_ms(200);
}

static void join_arg(void *arg)
{
    thread_join(arg);
}

static void cmd_bug(int argc, char **argv)
{
    const char *kind = argc == 2 ? argv[1] : "";
    if (strcmp(kind, "sleep-in-irq") == 0) {
        kprintf("bug: an interrupt handler sleeps\n");
        trap_set_handler(VEC_BENCH, sleeping_handler);
        __asm__ volatile("int %0" : : "i"(VEC_BENCH));
    } else if (strcmp(kind, "sleep-locked") == 0) {
        kprintf("bug: sleeping with a spinlock held\n");
        spin_lock(&demo_lock);
        thread_sleep_ms(10);
        spin_unlock(&demo_lock);
    } else if (strcmp(kind, "fault-locked") == 0) {
        kprintf("bug: a shell command faults holding a spinlock\n");
        spin_lock(&demo_lock);
        read_unmapped();
        spin_unlock(&demo_lock);
    } else if (strcmp(kind, "kill-locked") == 0) {
        kprintf("bug: a thread faults holding a spinlock\n");
        struct thread *t = thread_create("locked", fault_holding_lock, NULL);
        if (t != NULL)
            thread_join(t);
    } else if (strcmp(kind, "join-twice") == 0) {
        kprintf("bug: two threads join the same thread\n");
        struct thread *target = thread_create("target", sleep_a_while, NULL);
        struct thread *joiner = target ? thread_create("joiner", join_arg, target) : NULL;
        if (joiner != NULL) {
            thread_yield();             /* the joiner goes first */
            thread_join(target);
        }
    } else if (strcmp(kind, "mutex-twice") == 0) {
        kprintf("bug: a thread locks a mutex it holds\n");
        mutex_lock(&demo_mutex);
        mutex_lock(&demo_mutex);
    } else {
        kprintf("usage: bug sleep-in-irq|sleep-locked|fault-locked|kill-locked|join-twice|mutex-twice\n");
        return;
    }
    kprintf("bug: not caught\n");
}

const struct shell_command demo_bug_command = {
    "bug", "bug <kind>", "commit a kernel bug to see it caught (stops the kernel)", cmd_bug,
};
