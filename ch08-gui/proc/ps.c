/*
 * ps.c: the processes table of the shell's `ps`, under its threads table:
 * each process with its parent, group, state, command line and the ids
 * of its threads.
 */
#include <stdbool.h>
#include <stdint.h>

#include "format.h"
#include "heap.h"
#include "kprintf.h"
#include "process.h"
#include "sched.h"
#include "string.h"
#include "thread.h"
#include "uthread.h"

#define PS_THREADS_SHOWN 6      /* thread ids listed per process; more are counted */

struct ps_process_row {
    int pid, ppid, pgid;
    const char *state;
    char cmdline[PROC_CMDLINE_SIZE];
    int tids[PS_THREADS_SHOWN];
    int nthreads;
};

/* A process's state for ps: zombie, stopped, running (a thread runs or
 * is ready), or sleeping. proc_lock and sched_lock held. */
static const char *state_of(struct process *p, bool any_running)
{
    if (p->done)
        return "zombie";
    if (p->sig.stopped)
        return "stopped";
    return any_running ? "running" : "sleeping";
}

void process_print_all(void)
{
    struct ps_process_row *rows = kmalloc(PROCESS_MAX * sizeof(*rows));
    if (rows == NULL) {
        kprintf("ps: no memory\n");
        return;
    }
    int n = 0;
    spin_lock(&proc_lock);
    spin_lock(&sched_lock);
    for (struct process *p = processes_first(); p && n < PROCESS_MAX; p = p->all_next) {
        struct ps_process_row *r = &rows[n++];
        r->pid = p->pid;
        r->ppid = p->parent ? p->parent->pid : PID_INIT;
        r->pgid = p->pgid;
        /* Its arguments, spaces for the NULs between them. */
        size_t n = p->cmdline_len ? p->cmdline_len - 1 : 0;
        for (size_t i = 0; i < n; i++)
            r->cmdline[i] = p->cmdline[i] ? p->cmdline[i] : ' ';
        r->cmdline[n] = '\0';
        r->nthreads = 0;
        bool running = false;
        for (struct thread *t = all_threads; t; t = t->all_next) {
            if (!t->user || t->user->proc != p || t->state == THREAD_ZOMBIE)
                continue;
            if (r->nthreads < PS_THREADS_SHOWN)
                r->tids[r->nthreads] = t->user->tid;
            r->nthreads++;
            running |= t->state == THREAD_RUNNING || t->state == THREAD_READY;
        }
        r->state = state_of(p, running);
    }
    spin_unlock(&sched_lock);
    spin_unlock(&proc_lock);

    if (n > 0)
        kprintf("  PID  PPID  PGID  STATE     THREADS          COMMAND\n");
    /* The list is newest first: print oldest first, as the threads are. */
    for (int i = n - 1; i >= 0; i--) {
        struct ps_process_row *r = &rows[i];
        char tids[64];
        size_t at = 0;
        tids[0] = '\0';
        for (int k = 0; k < r->nthreads && k < PS_THREADS_SHOWN; k++)
            at += (size_t)ksnprintf(tids + at, sizeof(tids) - at, "%s%d", k ? "," : "", r->tids[k]);
        if (r->nthreads > PS_THREADS_SHOWN)
            ksnprintf(tids + at, sizeof(tids) - at, ",+%d", r->nthreads - PS_THREADS_SHOWN);
        if (r->nthreads == 0)
            ksnprintf(tids, sizeof(tids), "-");
        kprintf("%5d %5d %5d  %-9s %-16s %s\n", r->pid, r->ppid, r->pgid, r->state, tids, r->cmdline);
    }
    kfree(rows);
}
