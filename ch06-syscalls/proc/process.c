/*
 * process.c: a process's life: started by the kernel with its first
 * thread, ended when its last thread leaves, freed with its last reference.
 */
#include <stdbool.h>
#include <stdint.h>

#include "errno.h"
#include "exec.h"
#include "fd.h"
#include "heap.h"
#include "kprintf.h"
#include "panic.h"
#include "process.h"
#include "sched.h"
#include "string.h"
#include "thread.h"
#include "timer.h"
#include "uthread.h"
#include "vfs.h"
#include "vm.h"

static struct spinlock processes_lock = SPINLOCK_INIT("processes");
static struct process *processes;

struct process *process_current(void)
{
    struct uthread *u = uthread_current();
    return u ? u->proc : NULL;
}

static void copy_name(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n > size - 1)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

struct process *process_spawn(const char *path, char *const argv[], char *const envp[],
                              bool strace, int *err)
{
    struct process *p = kmalloc(sizeof(*p));
    if (p == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    memset(p, 0, sizeof(*p));
    p->lock = (struct spinlock)SPINLOCK_INIT("process");
    p->refs = 1;                /* the caller's */
    p->umask = 022;
    p->strace = strace;
    p->start_clock = timer_clock();
    const char *base = path;
    for (const char *c = path; *c; c++)
        if (*c == '/')
            base = c + 1;
    copy_name(p->name, sizeof(p->name), base);
    copy_name(p->exe, sizeof(p->exe), path);

    struct exec_image img;
    *err = exec_load(path, argv, envp, &img);
    if (*err == 0) {
        p->mm = img.mm;
        p->files = fd_table_create_console();
        p->cwd = vfs_root();
        if (p->files == NULL)
            *err = -ENOMEM;
    }
    if (*err == 0) {
        struct trap_frame tf;
        memset(&tf, 0, sizeof(tf));
        tf.rip = img.entry;
        tf.rsp = img.stack_pointer;
        /* The first thread is the process, for ps and kill: its id is the pid. */
        spin_lock(&processes_lock);
        p->all_next = processes;
        processes = p;
        spin_unlock(&processes_lock);
        int tid = uthread_start(p, &tf, 0, p->name, 0, 0, 0);
        if (tid >= 0) {
            p->pid = tid;
            return p;
        }
        *err = tid;
    }
    process_put(p);
    return NULL;
}

int process_wait(struct process *p)
{
    static const struct wait_reason why = { WAIT_DEVICE, "wait", "process", "exit", NULL };
    spin_lock(&p->lock);
    while (!p->done)
        wait_sleep(&p->done_wait, &p->lock, &why);
    int status = p->status;
    spin_unlock(&p->lock);
    return status;
}

void process_get(struct process *p)
{
    spin_lock(&p->lock);
    p->refs++;
    spin_unlock(&p->lock);
}

void process_put(struct process *p)
{
    spin_lock(&p->lock);
    bool last = --p->refs == 0;
    spin_unlock(&p->lock);
    if (!last)
        return;
    spin_lock(&processes_lock);
    for (struct process **pp = &processes; *pp; pp = &(*pp)->all_next) {
        if (*pp == p) {
            *pp = p->all_next;
            break;
        }
    }
    spin_unlock(&processes_lock);
    if (p->files)
        fd_table_put(p->files);
    if (p->cwd)
        inode_put(p->cwd);
    if (p->mm)
        vm_destroy(p->mm);
    kfree(p);
}

/* The last thread has left: the address space goes now (its pages are
 * the bulk of what the process holds), the files too, so that a program
 * that exits gives its memory back before anyone waits for it. */
static void finish(struct process *p)
{
    fd_table_put(p->files);
    p->files = NULL;
    vm_destroy(p->mm);
    p->mm = NULL;
    spin_lock(&p->lock);
    p->done = true;
    wait_wake_all(&p->done_wait);
    spin_unlock(&p->lock);
}

void process_thread_left(struct process *p)
{
    spin_lock(&p->lock);
    bool last = --p->threads == 0;
    spin_unlock(&p->lock);
    if (last)
        finish(p);
    process_put(p);
}

/* Set p's status (the first one set stays) and kill its threads but skip. */
static void kill_threads(struct process *p, int status, struct thread *skip)
{
    spin_lock(&p->lock);
    if (!p->exiting) {
        p->exiting = true;
        p->status = status;
    }
    spin_unlock(&p->lock);
    /* Its threads unwind at their next wait, or at the next interrupt
     * that finds them running (in user mode, interrupts are on). */
    spin_lock(&sched_lock);
    for (struct thread *t = all_threads; t; t = t->all_next)
        if (t != skip && t->user && t->user->proc == p && t->state != THREAD_ZOMBIE)
            sched_kill(t);
    spin_unlock(&sched_lock);
}

void process_kill(struct process *p, int status)
{
    /* Every thread, the interrupted one too when an interrupt handler
     * calls this (Ctrl-C may land on the CPU the program runs on). */
    kill_threads(p, status, NULL);
}

void process_exit(int status)
{
    /* Not the caller: it leaves on its own, and a killed thread would
     * unwind at the first wait on its way out. */
    kill_threads(process_current(), status, thread_current());
    thread_exit();
}

struct fd_table *process_files(void)
{
    return process_current()->files;
}

void process_each(void (*visit)(struct process *p, void *ctx), void *ctx)
{
    spin_lock(&processes_lock);
    for (struct process *p = processes; p; p = p->all_next)
        visit(p, ctx);
    spin_unlock(&processes_lock);
}

const char *signal_name(int sig)
{
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGSEGV: return "SIGSEGV";
    default: return "signal";
    }
}
