/*
 * ps.c: `ps`, the table of threads: what each is doing, where it runs,
 * how much CPU it used, and what a blocked one waits for.
 */
#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "kprintf.h"
#include "sched.h"
#include "string.h"
#include "thread.h"
#include "timer.h"

#define PS_MAX_SHOWN 64

static const char *state_name(enum thread_state s)
{
    switch (s) {
    case THREAD_READY: return "ready";
    case THREAD_RUNNING: return "running";
    case THREAD_BLOCKED: return "blocked";
    case THREAD_SLEEPING: return "sleeping";
    case THREAD_ZOMBIE: return "zombie";
    }
    return "?";
}

void sched_print_threads(void)
{
    /* Copy under the lock, print after: printing may take the console's
     * lock. The copy is the caller's own, so two `ps` may run at once. */
    struct ps_row {
        int id;
        char name[THREAD_NAME_SIZE];
        enum thread_state state;
        unsigned cpu;
        uint64_t ticks;
        char waiting[WAIT_DESCRIPTION_SIZE];
    } *rows = kmalloc(PS_MAX_SHOWN * sizeof(*rows));
    if (rows == NULL) {
        kprintf("ps: no memory\n");
        return;
    }
    int n = 0, total = 0;
    spin_lock(&sched_lock);
    for (struct thread *t = all_threads; t; t = t->all_next, total++) {
        if (n < PS_MAX_SHOWN) {
            rows[n].id = t->id;
            memcpy(rows[n].name, t->name, THREAD_NAME_SIZE);
            rows[n].state = t->state;
            rows[n].cpu = t->cpu;
            rows[n].ticks = t->cpu_ticks;
            rows[n].waiting[0] = '\0';
            if (t->state == THREAD_BLOCKED)
                sched_describe_wait(t, rows[n].waiting, sizeof(rows[n].waiting));
            n++;
        }
    }
    spin_unlock(&sched_lock);

    /* CPU: where it runs, or where it last ran; TIME: CPU time it used. */
    kprintf("  ID  NAME             STATE     CPU  TIME (ms)  WAITING FOR\n");
    for (int i = n - 1; i >= 0; i--)
        kprintf("%4d  %-16s %-9s %3u  %9llu  %s\n", rows[i].id, rows[i].name, state_name(rows[i].state),
                rows[i].cpu, (unsigned long long)(rows[i].ticks * 1000 / TIMER_HZ), rows[i].waiting);
    if (total > n)
        kprintf("  ... and %d more threads\n", total - n);
    kfree(rows);
}
