/*
 * sys_proc.c: the process and thread system calls: new threads and
 * processes (clone, fork, vfork), exit, futexes, thread pointers,
 * identity, groups and sessions, limits. execve is in sys_exec.c, wait4
 * in sys_wait.c, the signal calls in sys_signal.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "cpu.h"
#include "errno.h"
#include "frame.h"
#include "fd.h"
#include "futex.h"
#include "memlayout.h"
#include "process.h"
#include "random.h"
#include "string.h"
#include "sched.h"
#include "sys.h"
#include "thread.h"
#include "timer.h"
#include "uaccess.h"
#include "uthread.h"
#include "x86.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

#define CLONE_THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define CLONE_THREAD_EXTRAS (CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | \
                             CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_CHILD_SETTID)

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_ANY 0xFFFFFFFFu

#define RLIMIT_STACK 3
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY UINT64_MAX
#define RLIMIT_COUNT 16

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4
#define GETRANDOM_MAX (32 << 20)

struct rlimit_k {
    uint64_t cur, max;
};

struct utsname_k {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

struct sysinfo_k {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char reserved[4];
};


SYS(exit)
{
    SYS_UNUSED;
    struct process *p = process_current();
    spin_lock(&p->lock);
    /* The last thread's exit sets the process's status (Linux: the main
     * thread's, or exit_group's); a thread that exits while others run
     * leaves it alone. */
    if (!p->exiting && p->threads == 1)
        p->status = (int)((a0 & 0xFF) << 8);
    spin_unlock(&p->lock);
    thread_exit();
}

SYS(exit_group)
{
    SYS_UNUSED;
    process_exit((int)((a0 & 0xFF) << 8));
}

SYS(arch_prctl)
{
    SYS_UNUSED;
    struct uthread *u = uthread_current();
    switch (a0) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
        if (a1 >= USER_TOP)
            return -EPERM;      /* a kernel address as a base: refused, as on Linux */
        irq_disable();          /* the base and the register change together */
        if (a0 == ARCH_SET_FS) {
            u->fs_base = a1;
            wrmsr(MSR_FS_BASE, a1);
        } else {
            u->gs_base = a1;
            wrmsr(MSR_KERNEL_GS_BASE, a1);  /* SWAPGS brings it back on the way out */
        }
        irq_enable();
        return 0;
    case ARCH_GET_FS:
        return copy_to_user((void *)a1, &u->fs_base, sizeof(u->fs_base));
    case ARCH_GET_GS:
        return copy_to_user((void *)a1, &u->gs_base, sizeof(u->gs_base));
    default:
        return -EINVAL;
    }
}

SYS(set_tid_address)
{
    SYS_UNUSED;
    struct uthread *u = uthread_current();
    u->clear_child_tid = a0;
    return u->tid;
}

/* The robust futex list matters only when a thread dies holding a robust
 * mutex; accepted and not walked (a documented limit of part 1). */
SYS(set_robust_list)
{
    SYS_UNUSED;
    return a1 == 24 ? 0 : -EINVAL;  /* sizeof(struct robust_list_head) */
}

/* clone: a new thread of this process (CLONE_THREAD, with the address
 * space, files and handlers shared), or a new process (fork's kind). */
SYS(clone)
{
    SYS_UNUSED;
    uint64_t flags = a0, stack = a1, parent_tid = a2, child_tid = a3, tls = a4;
    if (!(flags & CLONE_THREAD)) {
        /* A process: CLONE_VM (with CLONE_VFORK, as posix_spawn asks) may
         * share memory; sharing files or handlers is not supported. */
        if (flags & (CLONE_FS | CLONE_FILES | CLONE_SIGHAND))
            return -EINVAL;
        struct clone_request req = { flags, stack, parent_tid, child_tid, tls };
        return process_fork(uthread_frame(), &req);
    }
    if ((flags & CLONE_THREAD_FLAGS) != CLONE_THREAD_FLAGS)
        return -EINVAL;
    if (flags & ~(uint64_t)(CLONE_THREAD_FLAGS | CLONE_THREAD_EXTRAS | CLONE_SIGNAL_MASK))
        return -EINVAL;
    struct trap_frame tf = *uthread_frame();
    tf.rax = 0;                 /* the child's clone returns 0 */
    if (stack)
        tf.rsp = stack;
    struct uthread *u = uthread_current();
    struct uthread_init init = {
        .fs_base = flags & CLONE_SETTLS ? tls : u->fs_base,
        .sigmask = u->sig.mask,
        .set_tid = flags & CLONE_PARENT_SETTID ? parent_tid : 0,
        .set_tid2 = flags & CLONE_CHILD_SETTID ? child_tid : 0,
        .clear_tid = flags & CLONE_CHILD_CLEARTID ? child_tid : 0,
    };
    return uthread_start(u->proc, &tf, &init);
}

SYS(fork)
{
    SYS_UNUSED;
    struct clone_request req = { SIGCHLD, 0, 0, 0, 0 };
    return process_fork(uthread_frame(), &req);
}

SYS(vfork)
{
    SYS_UNUSED;
    struct clone_request req = { CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0 };
    return process_fork(uthread_frame(), &req);
}

SYS(futex)
{
    SYS_UNUSED;
    uint64_t uaddr = a0, op = a1 & ~(uint64_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    struct process *p = process_current();
    switch (op) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        uint64_t timeout_ms = UINT64_MAX;
        if (a3) {
            uint64_t ns;
            int err = timespec_from_user((const void *)a3, &ns);
            if (err)
                return err;
            /* FUTEX_WAIT's timeout is relative; the BITSET form's absolute. */
            if (op == FUTEX_WAIT_BITSET) {
                uint64_t now = (a1 & FUTEX_CLOCK_REALTIME) ? clock_realtime_ns() : clock_monotonic_ns();
                ns = ns > now ? ns - now : 0;
            }
            timeout_ms = (ns + NSEC_PER_MS - 1) / NSEC_PER_MS;
        }
        return futex_wait(p, uaddr, (uint32_t)a2, timeout_ms,
                          op == FUTEX_WAIT ? FUTEX_BITSET_ANY : (uint32_t)a5);
    }
    case FUTEX_WAKE:
        return futex_wake(p, uaddr, (int)a2 < 0 ? 0 : (int)a2);
    case FUTEX_WAKE_BITSET:
        return futex_wake_bitset(p, uaddr, (int)a2 < 0 ? 0 : (int)a2, (uint32_t)a5);
    default:
        return -ENOSYS;
    }
}

SYS(getpid)
{
    SYS_UNUSED;
    return process_current()->pid;
}

SYS(gettid)
{
    SYS_UNUSED;
    return uthread_current()->tid;
}

SYS(getppid)
{
    SYS_UNUSED;
    spin_lock(&proc_lock);
    struct process *parent = process_current()->parent;
    /* A process the kernel started or adopted has init's pid as parent. */
    int ppid = parent ? parent->pid : PID_INIT;
    spin_unlock(&proc_lock);
    return ppid;
}

/* One user: root. */
SYS(getuid) { SYS_UNUSED; return 0; }
SYS(geteuid) { SYS_UNUSED; return 0; }
SYS(getgid) { SYS_UNUSED; return 0; }
SYS(getegid) { SYS_UNUSED; return 0; }

static long three_zeros(uint64_t a, uint64_t b, uint64_t c)
{
    uint32_t zero = 0;
    if (copy_to_user((void *)a, &zero, 4) || copy_to_user((void *)b, &zero, 4) ||
        copy_to_user((void *)c, &zero, 4))
        return -EFAULT;
    return 0;
}

SYS(getresuid) { SYS_UNUSED; return three_zeros(a0, a1, a2); }

/* Root belongs to group 0 only; setting groups is root's right, and a no-op. */
SYS(getgroups)
{
    SYS_UNUSED;
    uint32_t zero = 0;
    if ((int)a0 < 0)
        return -EINVAL;
    if (a0 == 0)
        return 1;
    return copy_to_user((void *)a1, &zero, sizeof(zero)) ? -EFAULT : 1;
}

SYS(setgroups) { SYS_UNUSED; return 0; }
SYS(getresgid) { SYS_UNUSED; return three_zeros(a0, a1, a2); }

/* Groups and sessions, for job control (POSIX setpgid, setsid). */
static long pgid_of(int pid, bool session)
{
    struct process *p = pid == 0 ? process_current() : process_find(pid);
    if (p == NULL)
        return -ESRCH;
    spin_lock(&proc_lock);
    long id = session ? p->sid : p->pgid;
    spin_unlock(&proc_lock);
    if (pid != 0)
        process_put(p);         /* process_find's reference */
    return id;
}

SYS(getpgrp) { SYS_UNUSED; return pgid_of(0, false); }
SYS(getpgid) { SYS_UNUSED; return pgid_of((int)a0, false); }
SYS(getsid) { SYS_UNUSED; return pgid_of((int)a0, true); }

SYS(setpgid)
{
    SYS_UNUSED;
    int pid = (int)a0, pgid = (int)a1;
    if (pgid < 0)
        return -EINVAL;
    struct process *me = process_current();
    long err = 0;
    spin_lock(&proc_lock);
    struct process *p = NULL;
    if (pid == 0 || pid == me->pid)
        p = me;
    else
        for (struct process *c = me->children; c; c = c->sibling)
            if (c->pid == pid)
                p = c;
    if (pgid == 0)
        pgid = p ? p->pid : 0;
    if (p == NULL)
        err = -ESRCH;           /* only itself or a child of its */
    else if (p->sid != me->sid || p->sid == p->pid)
        err = -EPERM;           /* another session, or a session leader */
    else if (pgid != p->pid) {
        /* Joining a group: one that exists in the same session (a zombie
         * not yet waited for still counts: a pipeline's first command may
         * have ended before the last one joins its group). */
        bool found = false;
        for (struct process *q = processes_first(); q; q = q->all_next)
            if (q->pgid == pgid && q->sid == me->sid)
                found = true;
        if (!found)
            err = -EPERM;
    }
    if (err == 0)
        p->pgid = pgid;
    spin_unlock(&proc_lock);
    return err;
}

SYS(setsid)
{
    SYS_UNUSED;
    struct process *me = process_current();
    long ret;
    spin_lock(&proc_lock);
    /* A group leader may not: its group would straddle two sessions. */
    bool leader = false;
    for (struct process *q = processes_first(); q; q = q->all_next)
        if (q->pgid == me->pid)
            leader = true;
    if (leader) {
        ret = -EPERM;
    } else {
        me->pgid = me->sid = me->pid;
        ret = me->pid;
    }
    spin_unlock(&proc_lock);
    return ret;
}

SYS(uname)
{
    SYS_UNUSED;
    struct utsname_k u;
    memset(&u, 0, sizeof(u));
    memcpy(u.sysname, "Linux", 6);      /* programs test for it; cubos speaks its ABI */
    memcpy(u.nodename, "cubos", 6);
    memcpy(u.release, "6.1.0-cubos", 12);
    memcpy(u.version, "cubos " CHAPTER, sizeof("cubos " CHAPTER));
    memcpy(u.machine, "x86_64", 7);
    memcpy(u.domainname, "(none)", 7);
    return copy_to_user((void *)a0, &u, sizeof(u));
}

SYS(getrandom)
{
    SYS_UNUSED;
    if (a2 & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    size_t n = a1 < GETRANDOM_MAX ? a1 : GETRANDOM_MAX;
    uint8_t chunk[256];
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
        random_bytes(chunk, k);
        if (copy_to_user((uint8_t *)a0 + done, chunk, k))
            return done ? (long)done : -EFAULT;
        done += k;
    }
    return (long)n;
}

SYS(sched_yield)
{
    SYS_UNUSED;
    thread_yield();
    return 0;
}

/* Every online CPU: the mask's bytes written, as Linux returns. */
SYS(sched_getaffinity)
{
    SYS_UNUSED;
    uint64_t mask = 0;
    for (unsigned i = 0; i < MAX_CPUS; i++)
        if (cpus[i].state == CPU_ONLINE)
            mask |= 1ull << i;
    if (a1 < sizeof(mask) || a1 % sizeof(mask))
        return -EINVAL;
    if (copy_to_user((void *)a2, &mask, sizeof(mask)))
        return -EFAULT;
    return sizeof(mask);
}

static struct rlimit_k limit_of(uint64_t resource)
{
    if (resource == RLIMIT_STACK)
        return (struct rlimit_k){ USER_STACK_MAX, RLIM_INFINITY };
    if (resource == RLIMIT_NOFILE)
        return (struct rlimit_k){ FD_MAX, FD_MAX };
    if (resource == RLIMIT_NPROC) {
        struct process *p = process_current();
        return (struct rlimit_k){ p->nproc_limit, PROCESS_MAX };
    }
    return (struct rlimit_k){ RLIM_INFINITY, RLIM_INFINITY };
}

SYS(getrlimit)
{
    SYS_UNUSED;
    if (a0 >= RLIMIT_COUNT)
        return -EINVAL;
    struct rlimit_k r = limit_of(a0);
    return copy_to_user((void *)a1, &r, sizeof(r));
}

/* prlimit64 on itself (pid 0 or its own). Of the new limits only
 * RLIMIT_NPROC is kept (fork's EAGAIN past it: every process is root's,
 * and unlike Linux root is held to it); the others are the kernel's and
 * a new value is accepted and ignored. */
SYS(prlimit64)
{
    SYS_UNUSED;
    if (a1 >= RLIMIT_COUNT)
        return -EINVAL;
    struct process *p = process_current();
    if (a0 != 0 && (int)a0 != p->pid)
        return -ESRCH;
    struct rlimit_k old = limit_of(a1), now;
    if (a2) {
        if (copy_from_user(&now, (const void *)a2, sizeof(now)))
            return -EFAULT;
        if (now.cur > now.max)
            return -EINVAL;
        if (a1 == RLIMIT_NPROC)
            p->nproc_limit = now.cur < PROCESS_MAX ? (int)now.cur : PROCESS_MAX;
    }
    if (a3 && copy_to_user((void *)a3, &old, sizeof(old)))
        return -EFAULT;
    return 0;
}

SYS(sysinfo)
{
    SYS_UNUSED;
    struct sysinfo_k si;
    memset(&si, 0, sizeof(si));
    si.uptime = (int64_t)(clock_monotonic_ns() / NSEC_PER_SEC);
    si.totalram = (frame_free_count() + frame_used_count()) * PAGE_SIZE;
    si.freeram = frame_free_count() * PAGE_SIZE;
    si.procs = (uint16_t)process_count_all();
    si.mem_unit = 1;
    return copy_to_user((void *)a0, &si, sizeof(si));
}

SYS(umask)
{
    SYS_UNUSED;
    struct process *p = process_current();
    unsigned old = p->umask;
    p->umask = (unsigned)a0 & 0777;
    return old;
}
