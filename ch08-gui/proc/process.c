/*
 * process.c: a process's life: started by the kernel or forked, ended
 * when its last thread leaves, a zombie until its parent waits for it,
 * freed with its last reference (process.h).
 */
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "errno.h"
#include "exec.h"
#include "fd.h"
#include "fs.h"
#include "heap.h"
#include "kprintf.h"
#include "panic.h"
#include "process.h"
#include "sched.h"
#include "string.h"
#include "thread.h"
#include "timer.h"
#include "trap.h"
#include "uaccess.h"
#include "uthread.h"
#include "vfs.h"
#include "vm.h"

#define ORPHAN_CHECKS 16        /* children's groups an ending process looks at */

struct spinlock proc_lock = SPINLOCK_INIT("processes");
static struct process *processes;
static int process_count;               /* on the list, zombies too */

/* -- ids ---------------------------------------------------------------- */

static struct spinlock pid_lock = SPINLOCK_INIT("pids");
static uint64_t pid_used[PID_MAX / 64];
static int pid_next = PID_INIT + 1;

/* Take id pid_lock held; false if taken. */
static bool pid_take(int pid)
{
    uint64_t bit = 1ull << (pid % 64);
    if (pid_used[pid / 64] & bit)
        return false;
    pid_used[pid / 64] |= bit;
    return true;
}

int pid_alloc(void)
{
    /* Ids go up and wrap, as on Linux, so a pid just freed is not handed
     * out again at once (a parent may still be about to kill it). */
    spin_lock(&pid_lock);
    for (int tries = 0; tries < PID_MAX; tries++) {
        int pid = pid_next;
        pid_next = pid_next + 1 < PID_MAX ? pid_next + 1 : PID_INIT + 1;
        if (pid_take(pid)) {
            spin_unlock(&pid_lock);
            return pid;
        }
    }
    spin_unlock(&pid_lock);
    return -EAGAIN;
}

void pid_free(int pid)
{
    spin_lock(&pid_lock);
    pid_used[pid / 64] &= ~(1ull << (pid % 64));
    spin_unlock(&pid_lock);
}

/* -- finding ------------------------------------------------------------ */

struct process *process_current(void)
{
    struct uthread *u = uthread_current();
    return u ? u->proc : NULL;
}

struct inode *process_cwd(void)
{
    struct process *p = process_current();
    spin_lock(&p->lock);        /* chdir swaps it under the lock, then lets the old one go */
    struct inode *cwd = p->cwd;
    inode_get(cwd);
    spin_unlock(&p->lock);
    return cwd;
}

struct fd_table *process_files(void)
{
    return process_current()->files;
}

struct process *process_find(int pid)
{
    struct process *found = NULL;
    spin_lock(&proc_lock);
    for (struct process *p = processes; p; p = p->all_next) {
        if (p->pid == pid) {
            found = p;
            process_get(p);
            break;
        }
    }
    spin_unlock(&proc_lock);
    return found;
}

int process_count_all(void)
{
    spin_lock(&proc_lock);
    int n = process_count;
    spin_unlock(&proc_lock);
    return n;
}

struct process *processes_first(void)
{
    return processes;
}

void process_each(void (*visit)(struct process *p, void *ctx), void *ctx)
{
    spin_lock(&proc_lock);
    for (struct process *p = processes; p; p = p->all_next)
        visit(p, ctx);
    spin_unlock(&proc_lock);
}

/* -- references ------------------------------------------------------------ */

void process_get(struct process *p)
{
    spin_lock(&p->lock);
    p->refs++;
    spin_unlock(&p->lock);
}

void process_unlist(struct process *p)
{
    for (struct process **pp = &processes; *pp; pp = &(*pp)->all_next) {
        if (*pp == p) {
            *pp = p->all_next;
            process_count--;
            return;
        }
    }
}

void process_put(struct process *p)
{
    spin_lock(&p->lock);
    bool last = --p->refs == 0;
    spin_unlock(&p->lock);
    if (!last)
        return;
    spin_lock(&proc_lock);
    process_unlist(p);
    spin_unlock(&proc_lock);
    if (p->files)
        fd_table_put(p->files);
    if (p->cwd)
        inode_put(p->cwd);
    if (p->mm)
        vm_put(p->mm);
    if (p->pid > 0) {
        procfs_remove_process(p->pid);
        pid_free(p->pid);
    }
    kfree(p);
}

/* -- birth ----------------------------------------------------------------- */

static void copy_name(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n > size - 1)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void process_set_program(struct process *p, const char *path, char *const argv[])
{
    const char *base = path;
    for (const char *c = path; *c; c++)
        if (*c == '/')
            base = c + 1;
    copy_name(p->name, sizeof(p->name), base);
    copy_name(p->exe, sizeof(p->exe), path);
    size_t at = 0;
    for (int i = 0; argv && argv[i] && at < sizeof(p->cmdline); i++) {
        size_t n = strlen(argv[i]) + 1;
        if (n > sizeof(p->cmdline) - at)
            n = sizeof(p->cmdline) - at;
        memcpy(p->cmdline + at, argv[i], n);
        at += n;
    }
    p->cmdline_len = at;
}

/* A new process with one reference (the caller's) and its pid, on the
 * list; NULL with *err if limit processes (at most PROCESS_MAX) are there
 * (-EAGAIN) or memory is short. */
static struct process *process_alloc(int pid, int limit, int *err)
{
    struct process *p = kmalloc(sizeof(*p));
    if (p == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    memset(p, 0, sizeof(*p));
    p->lock = (struct spinlock)SPINLOCK_INIT("process");
    p->alarm_lock = (struct mutex)MUTEX_INIT("alarm");
    ktimer_init(&p->alarm, signal_alarm_fire);
    p->refs = 1;
    p->umask = 022;
    p->nproc_limit = limit;
    p->exit_signal = SIGCHLD;
    p->start_ns = clock_monotonic_ns();
    spin_lock(&proc_lock);
    bool room = process_count < limit;
    if (room) {
        process_count++;
        p->all_next = processes;
        processes = p;
    }
    spin_unlock(&proc_lock);
    if (!room) {
        kfree(p);
        *err = -EAGAIN;
        return NULL;
    }
    p->pid = pid > 0 ? pid : pid_alloc();
    if (p->pid < 0) {
        *err = p->pid;
        p->pid = 0;
        process_put(p);
        return NULL;
    }
    p->pgid = p->sid = p->pid;
    *err = procfs_add_process(p->pid);
    if (*err) {
        process_put(p);
        return NULL;
    }
    return p;
}

struct process *process_spawn(const char *path, char *const argv[], char *const envp[],
                              bool strace, bool init, int *err)
{
    int pid = 0;
    if (init) {
        spin_lock(&pid_lock);
        pid = pid_take(PID_INIT) ? PID_INIT : 0;
        spin_unlock(&pid_lock);
    }
    struct process *p = process_alloc(pid, PROCESS_MAX, err);
    if (p == NULL) {
        if (pid == PID_INIT)
            pid_free(pid);
        kprintf("run: %s: %s\n", path, *err == -EAGAIN ? "too many processes" : "out of memory");
        return NULL;
    }
    p->strace = strace;
    process_set_program(p, path, argv);

    struct exec_image img;
    *err = exec_load(NULL, path, argv, envp, true, &img);
    if (*err == 0) {
        p->mm = img.mm;
        p->files = fd_table_create_console();
        p->cwd = vfs_root();
        if (p->files == NULL) {
            *err = -ENOMEM;
            kprintf("run: %s: out of memory\n", path);
        }
    }
    if (*err == 0) {
        struct trap_frame tf;
        memset(&tf, 0, sizeof(tf));
        tf.rip = img.entry;
        tf.rsp = img.stack_pointer;
        struct uthread_init init = { .tid = p->pid };
        int tid = uthread_start(p, &tf, &init);
        if (tid >= 0)
            return p;
        *err = tid;
        kprintf("run: %s: %s\n", path, tid == -EAGAIN ? "too many processes" : "out of memory");
    }
    process_put(p);
    return NULL;
}

long process_fork(const struct trap_frame *frame, const struct clone_request *req)
{
    struct process *parent = process_current();
    struct uthread *u = uthread_current();
    int err;
    struct process *p = process_alloc(0, parent->nproc_limit, &err);
    if (p == NULL)
        return err;
    p->strace = parent->strace;
    p->umask = parent->umask;
    memcpy(p->name, parent->name, sizeof(p->name));
    memcpy(p->exe, parent->exe, sizeof(p->exe));
    memcpy(p->cmdline, parent->cmdline, sizeof(p->cmdline));
    p->cmdline_len = parent->cmdline_len;
    p->exit_signal = (int)(req->flags & CLONE_SIGNAL_MASK);
    spin_lock(&parent->lock);
    memcpy(p->sig.actions, parent->sig.actions, sizeof(p->sig.actions));
    spin_unlock(&parent->lock);
    p->cwd = process_cwd();
    p->files = fd_table_copy(parent->files);
    if (req->flags & CLONE_VM) {
        vm_get(parent->mm);
        p->mm = parent->mm;
    } else {
        p->mm = vm_fork(parent->mm, &err);
    }
    if (p->files == NULL || p->mm == NULL) {
        err = p->files == NULL ? -ENOMEM : err;
        process_put(p);
        return err;
    }

    /* Into the family before its thread runs: it may end at once. */
    spin_lock(&proc_lock);
    p->parent = parent;
    p->linked = true;
    p->refs++;                  /* the parent's link */
    p->pgid = parent->pgid;
    p->sid = parent->sid;
    p->sibling = parent->children;
    parent->children = p;
    p->vfork_pending = req->flags & CLONE_VFORK;
    spin_unlock(&proc_lock);

    struct trap_frame tf = *frame;
    tf.rax = 0;                 /* the child's fork returns 0 */
    if (req->stack)
        tf.rsp = req->stack;
    int pid = p->pid;
    struct uthread_init init = {
        .tid = pid,
        .fs_base = req->flags & CLONE_SETTLS ? req->tls : u->fs_base,
        .sigmask = u->sig.mask,
        .set_tid = req->flags & CLONE_CHILD_SETTID ? req->child_tid : 0,
        .clear_tid = req->flags & CLONE_CHILD_CLEARTID ? req->child_tid : 0,
        .altstack_sp = u->sig.altstack_sp, .altstack_size = u->sig.altstack_size,
        .altstack_flags = u->sig.altstack_flags,
    };
    int tid = uthread_start(p, &tf, &init);
    if (tid < 0) {
        /* It never ran: take it out of the family again and let it go. */
        spin_lock(&proc_lock);
        for (struct process **pp = &parent->children; *pp; pp = &(*pp)->sibling) {
            if (*pp == p) {
                *pp = p->sibling;
                break;
            }
        }
        p->linked = false;
        p->vfork_pending = false;
        spin_unlock(&proc_lock);
        process_put(p);         /* the link's */
        process_put(p);         /* ours */
        return tid;
    }
    if (req->flags & CLONE_PARENT_SETTID)
        (void)copy_to_user((void *)req->parent_tid, &pid, sizeof(pid));
    if (req->flags & CLONE_VFORK) {
        static const struct wait_reason why = { WAIT_DEVICE, "vfork", "child", "exec or exit", NULL };
        /* Until the child execs or ends it runs on our memory: we wait,
         * not to be interrupted (Linux lets only a fatal signal in). */
        spin_lock(&proc_lock);
        while (p->vfork_pending && wait_sleep_killable(&p->vfork_wait, &proc_lock, &why) == 0)
            ;
        spin_unlock(&proc_lock);
    }
    process_put(p);
    return pid;
}

void process_vfork_release(struct process *p)
{
    spin_lock(&proc_lock);
    if (p->vfork_pending) {
        p->vfork_pending = false;
        wait_wake_all(&p->vfork_wait);
    }
    spin_unlock(&proc_lock);
}

int process_wait(struct process *p)
{
    static const struct wait_reason why = { WAIT_DEVICE, "wait", "process", "exit", NULL };
    spin_lock(&proc_lock);
    while (!p->done)
        wait_sleep(&p->done_wait, &proc_lock, &why);
    int status = p->status;
    spin_unlock(&proc_lock);
    return status;
}

/* -- death ----------------------------------------------------------------- */

void process_notify_parent(struct process *child, int why)
{
    struct process *parent = child->parent;
    if (parent == NULL)
        return;
    wait_wake_all(&parent->child_wait);
    signal_child_changed(parent, child, why);
}

/* p's children go to init, or to the kernel when init is not running
 * (or is p); the zombies among those the kernel takes it frees. A list
 * of processes whose link reference to drop comes back (proc_lock held). */
static struct process *reparent_children(struct process *p)
{
    struct process *init = NULL, *drop = NULL;
    for (struct process *q = processes; q; q = q->all_next)
        if (q->pid == PID_INIT && q != p && !q->done)
            init = q;
    while (p->children) {
        struct process *c = p->children;
        p->children = c->sibling;
        c->parent = init;
        if (init) {
            c->sibling = init->children;
            init->children = c;
            if (c->done)
                process_notify_parent(c, CLD_EXITED);
        } else {
            c->sibling = NULL;
            if (c->done && c->linked) {
                c->linked = false;
                c->sibling = drop;
                drop = c;
            }
        }
    }
    return drop;
}

/* Does group pgid have a stopped member? */
static bool group_has_stopped(int pgid)
{
    bool stopped = false;
    spin_lock(&proc_lock);
    for (struct process *q = processes; q && !stopped; q = q->all_next)
        stopped = q->pgid == pgid && !q->done && q->sig.stopped;
    spin_unlock(&proc_lock);
    return stopped;
}

/* A process has ended that kept each of groups from being orphaned. One
 * that is orphaned now, with a stopped member, could never be continued
 * by a shell: POSIX has it sent SIGHUP, then SIGCONT, so that it ends or
 * goes on (a job stopped with ^Z when its shell exits). A group that was
 * orphaned already (a program the kernel's shell ran) is left alone. */
static void hang_up_orphaned_groups(const int *groups, int n)
{
    for (int i = 0; i < n; i++) {
        int pgid = groups[i];
        if (group_has_stopped(pgid) && signal_group_orphaned(pgid)) {
            signal_send_group(pgid, SIGHUP);
            signal_send_group(pgid, SIGCONT);
        }
    }
}

/* The last thread has left: the address space and the files go now (the
 * bulk of what the process holds), then it is a zombie for its parent to
 * reap, or freed at once if it has none. */
static void finish(struct process *p)
{
    ktimer_stop(&p->alarm);
    fd_table_put(p->files);
    p->files = NULL;
    spin_lock(&p->lock);
    struct mm *mm = p->mm;
    p->mm = NULL;
    spin_unlock(&p->lock);
    vm_put(mm);
    process_vfork_release(p);
    spin_lock(&proc_lock);
    p->done = true;
    /* The groups p kept from being orphaned, which its end may orphan
     * (see hang_up_orphaned_groups): its own, if its parent is in another
     * group of its session; its children's in other groups of it. */
    int groups[ORPHAN_CHECKS], ngroups = 0;
    struct process *pp = p->parent;
    if (pp && pp->pgid != p->pgid && pp->sid == p->sid)
        groups[ngroups++] = p->pgid;
    for (struct process *c = p->children; c && ngroups < ORPHAN_CHECKS; c = c->sibling)
        if (c->pgid != p->pgid && c->sid == p->sid)
            groups[ngroups++] = c->pgid;
    struct process *drop = reparent_children(p);
    bool reap_now = false;
    if (p->parent == NULL && p->linked) {
        p->linked = false;      /* an orphan without init: nobody will wait */
        reap_now = true;
    } else if (p->parent && signal_parent_ignores_children(p->parent)) {
        /* SIGCHLD ignored (or SA_NOCLDWAIT): no zombie, as POSIX says;
         * a wait4 that slept for it finds no child left (ECHILD). */
        struct process **pp = &p->parent->children;
        while (*pp && *pp != p)
            pp = &(*pp)->sibling;
        if (*pp)
            *pp = p->sibling;
        wait_wake_all(&p->parent->child_wait);
        p->parent = NULL;
        p->linked = false;
        reap_now = true;
    } else {
        process_notify_parent(p, (p->status & 0x7F) ? CLD_KILLED : CLD_EXITED);
    }
    wait_wake_all(&p->done_wait);
    spin_unlock(&proc_lock);
    hang_up_orphaned_groups(groups, ngroups);
    while (drop) {
        struct process *next = drop->sibling;
        process_put(drop);
        drop = next;
    }
    if (reap_now)
        process_put(p);
}

void process_thread_left(struct process *p)
{
    spin_lock(&p->lock);
    bool last = --p->threads == 0;
    wait_wake_all(&p->threads_gone);
    spin_unlock(&p->lock);
    if (last)
        finish(p);
    process_put(p);
}

/* Kill p's threads but skip: they end at the end of the system call they
 * are in (an interruptible wait in it returns at once), or at the next
 * interrupt that finds them in user mode (interrupts are on there). */
static void kill_others(struct process *p, struct thread *skip)
{
    spin_lock(&sched_lock);
    for (struct thread *t = all_threads; t; t = t->all_next)
        if (t != skip && t->user && t->user->proc == p && t->state != THREAD_ZOMBIE)
            sched_kill(t);
    spin_unlock(&sched_lock);
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
    kill_others(p, skip);
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

int process_single_thread(void)
{
    static const struct wait_reason why = { WAIT_DEVICE, "execve", "threads", "leave", NULL };
    struct process *p = process_current();
    struct thread *me = thread_current();
    spin_lock(&p->lock);
    if (p->exiting || p->execing) {
        spin_unlock(&p->lock);
        return -EINTR;          /* another thread's exec or exit_group won */
    }
    p->execing = true;          /* no other thread may exec now; new ones leave at once */
    spin_unlock(&p->lock);
    kill_others(p, me);
    spin_lock(&p->lock);
    while (p->threads > 1 && wait_sleep_killable(&p->threads_gone, &p->lock, &why) == 0)
        ;
    p->execing = false;
    spin_unlock(&p->lock);
    return thread_killed() ? -EINTR : 0;    /* killed meanwhile: no new image */
}
