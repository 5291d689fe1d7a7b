/*
 * sys_signal.c: the signal system calls: dispositions (rt_sigaction),
 * masks (rt_sigprocmask, rt_sigpending, rt_sigsuspend, pause), the
 * alternate stack, sending (kill, tgkill, tkill), the alarm clock
 * (alarm, setitimer, getitimer) and rt_sigreturn. proc/signal.c does the
 * sending and the delivering.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "errno.h"
#include "heap.h"
#include "ktimer.h"
#include "process.h"
#include "sched.h"
#include "signal.h"
#include "string.h"
#include "sys.h"
#include "thread.h"
#include "uaccess.h"
#include "uthread.h"

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define MINSIGSTKSZ 2048
#define SIGSET_SIZE 8               /* the kernel's sigset_t: 64 signals */
#define ITIMER_REAL 0

struct sigaltstack_k {
    uint64_t sp;
    int32_t flags;
    int32_t pad;
    uint64_t size;
};

struct itimerval_k {
    struct { int64_t sec, usec; } interval, value;
};

SYS(rt_sigaction)
{
    SYS_UNUSED;
    int sig = (int)a0;
    if (sig < 1 || sig > NSIG || a3 != SIGSET_SIZE)
        return -EINVAL;
    struct sigaction_k act;
    if (a1) {
        if (sig == SIGKILL || sig == SIGSTOP)
            return -EINVAL;
        if (copy_from_user(&act, (const void *)a1, sizeof(act)))
            return -EFAULT;
    }
    struct process *p = process_current();
    spin_lock(&p->lock);
    struct sigaction_k old = p->sig.actions[sig - 1];
    if (a1) {
        p->sig.actions[sig - 1] = act;
        /* Ignoring a signal discards it where it is pending (POSIX). */
        if (act.handler == SIG_IGN)
            signal_discard(p, sig);
    }
    spin_unlock(&p->lock);
    if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
        return -EFAULT;
    return 0;
}

/* Set the caller's mask; p->lock held. A signal it unblocks that is
 * pending is taken on the way out of this call. */
static void set_mask(struct process *p, struct uthread *u, uint64_t mask)
{
    u->sig.mask = mask & ~SIG_UNBLOCKABLE;
    uint64_t ready = (u->sig.pending | p->sig.pending) & ~u->sig.mask;
    if (ready) {
        spin_lock(&sched_lock);
        sched_signal(thread_current());
        spin_unlock(&sched_lock);
    }
}

SYS(rt_sigprocmask)
{
    SYS_UNUSED;
    if (a3 != SIGSET_SIZE)
        return -EINVAL;
    uint64_t set = 0;
    if (a1 && copy_from_user(&set, (const void *)a1, sizeof(set)))
        return -EFAULT;
    if (a1 && a0 != SIG_BLOCK && a0 != SIG_UNBLOCK && a0 != SIG_SETMASK)
        return -EINVAL;
    struct process *p = process_current();
    struct uthread *u = uthread_current();
    spin_lock(&p->lock);
    uint64_t old = u->sig.mask;
    if (a1)
        set_mask(p, u, a0 == SIG_BLOCK ? old | set : a0 == SIG_UNBLOCK ? old & ~set : set);
    spin_unlock(&p->lock);
    return a2 ? copy_to_user((void *)a2, &old, sizeof(old)) : 0;
}

SYS(rt_sigpending)
{
    SYS_UNUSED;
    if (a1 != SIGSET_SIZE)
        return -EINVAL;
    struct process *p = process_current();
    struct uthread *u = uthread_current();
    spin_lock(&p->lock);
    uint64_t pending = (u->sig.pending | p->sig.pending) & u->sig.mask;
    spin_unlock(&p->lock);
    return copy_to_user((void *)a0, &pending, sizeof(pending));
}

/* Sleep until a signal comes that runs a handler or ends the process. */
static long wait_for_signal(void)
{
    static const struct wait_reason why = { WAIT_DEVICE, "pause", "signal", "arrive", NULL };
    struct process *p = process_current();
    struct wait_queue nobody = { 0 };
    spin_lock(&p->lock);
    while (wait_sleep_intr(&nobody, &p->lock, &why) == 0)
        ;
    spin_unlock(&p->lock);
    return -ERESTARTNOHAND;
}

SYS(pause)
{
    SYS_UNUSED;
    return wait_for_signal();
}

SYS(rt_sigsuspend)
{
    SYS_UNUSED;
    if (a1 != SIGSET_SIZE)
        return -EINVAL;
    uint64_t mask;
    if (copy_from_user(&mask, (const void *)a0, sizeof(mask)))
        return -EFAULT;
    /* The handler's frame saves the mask from before; sigreturn puts it back. */
    signal_mask_while_waiting(mask);
    return wait_for_signal();
}

SYS(sigaltstack)
{
    SYS_UNUSED;
    struct uthread *u = uthread_current();
    uint64_t sp = uthread_frame()->rsp;
    bool on = u->sig.altstack_flags != SS_DISABLE && u->sig.altstack_size &&
              sp - u->sig.altstack_sp < u->sig.altstack_size;
    struct sigaltstack_k old = { u->sig.altstack_sp,
                                 on ? SS_ONSTACK : u->sig.altstack_size ? u->sig.altstack_flags : SS_DISABLE,
                                 0, u->sig.altstack_size };
    if (a0) {
        struct sigaltstack_k ss;
        if (copy_from_user(&ss, (const void *)a0, sizeof(ss)))
            return -EFAULT;
        if (on)
            return -EPERM;      /* not while running on it */
        if (ss.flags & ~SS_DISABLE)
            return -EINVAL;
        if (!(ss.flags & SS_DISABLE) && ss.size < MINSIGSTKSZ)
            return -ENOMEM;
        u->sig.altstack_sp = ss.flags & SS_DISABLE ? 0 : ss.sp;
        u->sig.altstack_size = ss.flags & SS_DISABLE ? 0 : ss.size;
        u->sig.altstack_flags = ss.flags;
    }
    return a1 ? copy_to_user((void *)a1, &old, sizeof(old)) : 0;
}

SYS(rt_sigreturn)
{
    SYS_UNUSED;
    return signal_sigreturn();
}

/* -- sending ---------------------------------------------------------------- */

static struct ksiginfo sender_info(int sig, int code)
{
    return (struct ksiginfo){ sig, code, process_current()->pid, 0, 0, 0 };
}

/* kill to a group (pgid > 0) or to everyone but init and the caller
 * (pgid -1). 0 if it reached one, else -ESRCH. */
static long kill_many(int pgid, int sig)
{
    struct process *me = process_current();
    struct process **targets = kmalloc(PROCESS_MAX * sizeof(*targets));
    if (targets == NULL)
        return -ENOMEM;
    int n = 0;
    spin_lock(&proc_lock);
    for (struct process *q = processes_first(); q && n < PROCESS_MAX; q = q->all_next) {
        bool chosen = pgid > 0 ? q->pgid == pgid : q->pid != PID_INIT && q != me;
        if (chosen && !q->done) {
            process_get(q);
            targets[n++] = q;
        }
    }
    spin_unlock(&proc_lock);
    struct ksiginfo info = sender_info(sig, SI_USER);
    long err = n ? 0 : -ESRCH;
    for (int i = 0; i < n; i++) {
        long e = signal_send(targets[i], sig, &info);
        if (e)
            err = e;
        process_put(targets[i]);
    }
    kfree(targets);
    return err;
}

SYS(kill)
{
    SYS_UNUSED;
    int pid = (int)a0, sig = (int)a1;
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    if (pid > 0) {
        struct process *p = process_find(pid);
        if (p == NULL)
            return -ESRCH;
        struct ksiginfo info = sender_info(sig, SI_USER);
        long err = signal_send(p, sig, &info);
        process_put(p);
        return err;
    }
    if (pid == 0) {
        spin_lock(&proc_lock);
        pid = -process_current()->pgid;
        spin_unlock(&proc_lock);
    }
    return kill_many(pid == -1 ? -1 : -pid, sig);
}

static long thread_kill(int tgid, int tid, int sig)
{
    if (tid <= 0 || (tgid != -1 && tgid <= 0))
        return -EINVAL;
    struct process *p = tgid == -1 ? process_current() : process_find(tgid);
    if (p == NULL)
        return -ESRCH;
    struct ksiginfo info = sender_info(sig, SI_TKILL);
    long err = signal_send_thread(p, tid, sig, &info);
    if (tgid != -1)
        process_put(p);         /* process_find's reference */
    return err;
}

SYS(tgkill)
{
    SYS_UNUSED;
    return thread_kill((int)a0, (int)a1, (int)a2);
}

/* tkill: a thread of the caller's own process (the only kind cubos's
 * programs name: their ids are unique anyway). */
SYS(tkill)
{
    SYS_UNUSED;
    return thread_kill(-1, (int)a0, (int)a1);
}

/* -- the alarm clock (ITIMER_REAL) ---------------------------------------- */

void signal_alarm_fire(struct ktimer *t)
{
    struct process *p = (struct process *)((char *)t - offsetof(struct process, alarm));
    struct ksiginfo info = { SIGALRM, SI_KERNEL, 0, 0, 0, 0 };
    p->alarm_deadline_ns = p->alarm_interval_ms ?
        clock_monotonic_ns() + p->alarm_interval_ms * NSEC_PER_MS : 0;
    signal_send(p, SIGALRM, &info);
}

/* Arm (value_ms, then every interval_ms) or disarm (value_ms 0) the
 * caller's alarm; the time that was left, in ms, into *left_ms. */
static int set_alarm(uint64_t value_ms, uint64_t interval_ms, uint64_t *left_ms,
                     uint64_t *old_interval_ms)
{
    struct process *p = process_current();
    mutex_lock(&p->alarm_lock);
    ktimer_stop(&p->alarm);
    uint64_t now = clock_monotonic_ns(), deadline = p->alarm_deadline_ns;
    *left_ms = deadline > now ? (deadline - now + NSEC_PER_MS - 1) / NSEC_PER_MS : 0;
    *old_interval_ms = p->alarm_interval_ms;
    p->alarm_interval_ms = value_ms ? interval_ms : 0;
    p->alarm_deadline_ns = value_ms ? now + value_ms * NSEC_PER_MS : 0;
    int err = value_ms ? ktimer_start(&p->alarm, value_ms, p->alarm_interval_ms) : 0;
    mutex_unlock(&p->alarm_lock);
    return err;
}

SYS(alarm)
{
    SYS_UNUSED;
    uint64_t left, interval;
    int err = set_alarm((a0 & 0xFFFFFFFF) * 1000, 0, &left, &interval);
    if (err)
        return err;
    return (long)((left + 999) / 1000);     /* whole seconds, rounded up (POSIX) */
}

static uint64_t timeval_ms(int64_t sec, int64_t usec)
{
    return (uint64_t)sec * 1000 + ((uint64_t)usec + 999) / 1000;
}

SYS(setitimer)
{
    SYS_UNUSED;
    if (a0 != ITIMER_REAL)
        return -EINVAL;     /* the CPU-time timers are not kept */
    struct itimerval_k nv, ov;
    memset(&nv, 0, sizeof(nv));
    if (a1 && copy_from_user(&nv, (const void *)a1, sizeof(nv)))
        return -EFAULT;
    if (nv.value.sec < 0 || nv.value.usec < 0 || nv.value.usec >= 1000000 ||
        nv.interval.sec < 0 || nv.interval.usec < 0 || nv.interval.usec >= 1000000)
        return -EINVAL;
    uint64_t left, interval;
    int err = set_alarm(timeval_ms(nv.value.sec, nv.value.usec),
                        timeval_ms(nv.interval.sec, nv.interval.usec), &left, &interval);
    if (err)
        return err;
    ov.value.sec = (int64_t)(left / 1000);
    ov.value.usec = (int64_t)(left % 1000) * 1000;
    ov.interval.sec = (int64_t)(interval / 1000);
    ov.interval.usec = (int64_t)(interval % 1000) * 1000;
    return a2 ? copy_to_user((void *)a2, &ov, sizeof(ov)) : 0;
}

SYS(getitimer)
{
    SYS_UNUSED;
    if (a0 != ITIMER_REAL)
        return -EINVAL;
    struct process *p = process_current();
    uint64_t now = clock_monotonic_ns(), deadline = p->alarm_deadline_ns;
    uint64_t left = deadline > now ? (deadline - now + NSEC_PER_MS - 1) / NSEC_PER_MS : 0;
    struct itimerval_k v = {
        { (int64_t)(p->alarm_interval_ms / 1000), (int64_t)(p->alarm_interval_ms % 1000) * 1000 },
        { (int64_t)(left / 1000), (int64_t)(left % 1000) * 1000 },
    };
    return copy_to_user((void *)a1, &v, sizeof(v));
}
