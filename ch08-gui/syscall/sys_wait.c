/*
 * sys_wait.c: wait4 and waitid, a parent's view of its children.
 *
 * A child that ends stays a zombie (process.h) with its wait status until
 * its parent waits for it: then it is reaped, its pid free again. A wait
 * may also report a child that stopped (WUNTRACED) or went on after a stop
 * (WCONTINUED), each once. The parent sleeps on its child_wait queue,
 * which a child's change wakes (process_notify_parent), interruptibly: a
 * signal ends the wait, and SA_RESTART starts it again.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "process.h"
#include "signal.h"
#include "string.h"
#include "sys.h"
#include "thread.h"
#include "uaccess.h"

#define WNOHANG 1
#define WUNTRACED 2             /* wait4's name for WSTOPPED */
#define WSTOPPED 2
#define WEXITED 4
#define WCONTINUED 8
#define WNOWAIT 0x01000000
#define __WALL 0x40000000
#define __WCLONE 0x80000000u

#define P_ALL 0
#define P_PID 1
#define P_PGID 2

/* What a wait asks for: which children, which changes. */
struct wait_query {
    int idtype;                 /* P_ALL, P_PID, P_PGID */
    int id;
    int options;
};

/* What it found. */
struct wait_result {
    int pid;
    int status;                 /* wait4's status word */
    int code;                   /* waitid's si_code: CLD_EXITED... */
    int value;                  /* waitid's si_status: exit code or signal */
};

static bool matches(const struct process *c, const struct wait_query *q)
{
    switch (q->idtype) {
    case P_PID:
        return c->pid == q->id;
    case P_PGID:
        return c->pgid == q->id;
    default:
        return true;
    }
}

/* Look for a change among the caller's children, proc_lock held: 1 and
 * *r if one is there (a zombie taken off the family into *reaped, unless
 * WNOWAIT), 0 if a child matches but has nothing to say, -ECHILD if none
 * matches. */
static int find_change(struct process *me, const struct wait_query *q, struct wait_result *r,
                       struct process **reaped)
{
    bool any = false;
    for (struct process **pp = &me->children; *pp; pp = &(*pp)->sibling) {
        struct process *c = *pp;
        if (!matches(c, q))
            continue;
        any = true;
        if (c->done && (q->options & WEXITED)) {
            int sig = c->status & 0x7F;
            *r = (struct wait_result){ c->pid, c->status, sig ? CLD_KILLED : CLD_EXITED,
                                       sig ? sig : (c->status >> 8) & 0xFF };
            if (!(q->options & WNOWAIT)) {
                *pp = c->sibling;
                c->parent = NULL;
                c->linked = false;
                process_unlist(c);      /* kill(pid) finds nothing from now on */
                *reaped = c;
            }
            return 1;
        }
        if (c->sig.report_stop && (q->options & WSTOPPED)) {
            *r = (struct wait_result){ c->pid, (c->sig.stop_signal << 8) | 0x7F, CLD_STOPPED,
                                       c->sig.stop_signal };
            if (!(q->options & WNOWAIT))
                c->sig.report_stop = false;
            return 1;
        }
        if (c->sig.report_continue && (q->options & WCONTINUED)) {
            *r = (struct wait_result){ c->pid, 0xFFFF, CLD_CONTINUED, SIGCONT };
            if (!(q->options & WNOWAIT))
                c->sig.report_continue = false;
            return 1;
        }
    }
    return any ? 0 : -ECHILD;
}

/* 1 and *r, 0 (WNOHANG and nothing yet), or a negative errno. */
static long wait_for_child(const struct wait_query *q, struct wait_result *r)
{
    static const struct wait_reason why = { WAIT_DEVICE, "wait", "child", "change", NULL };
    struct process *me = process_current();
    struct process *reaped = NULL;
    long found;
    spin_lock(&proc_lock);
    for (;;) {
        found = find_change(me, q, r, &reaped);
        if (found != 0 || (q->options & WNOHANG))
            break;
        if (wait_sleep_intr(&me->child_wait, &proc_lock, &why) == -EINTR) {
            found = -ERESTARTSYS;
            break;
        }
    }
    spin_unlock(&proc_lock);
    if (reaped)
        process_put(reaped);    /* the link's reference: the zombie goes */
    return found;
}

SYS(wait4)
{
    SYS_UNUSED;
    int pid = (int)a0;
    if (a2 & ~(uint64_t)(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE))
        return -EINVAL;
    struct wait_query q = { P_ALL, 0, (int)a2 | WEXITED };
    if (pid > 0) {
        q.idtype = P_PID;
        q.id = pid;
    } else if (pid == 0 || pid < -1) {
        q.idtype = P_PGID;
        if (pid == 0) {
            spin_lock(&proc_lock);
            q.id = process_current()->pgid;
            spin_unlock(&proc_lock);
        } else {
            q.id = -pid;
        }
    }
    struct wait_result r;
    long found = wait_for_child(&q, &r);
    if (found <= 0)
        return found;
    if (a1 && copy_to_user((void *)a1, &r.status, sizeof(r.status)))
        return -EFAULT;
    if (a3) {
        uint8_t rusage[144];    /* struct rusage: no accounting kept, all zero */
        memset(rusage, 0, sizeof(rusage));
        if (copy_to_user((void *)a3, rusage, sizeof(rusage)))
            return -EFAULT;
    }
    return r.pid;
}

/* The part of siginfo_t waitid fills (asm-generic/siginfo.h, SIGCHLD's). */
struct waitid_info {
    int32_t signo, errno_, code, pad;
    int32_t pid, uid;
    int32_t status;
    uint8_t rest[128 - 28];
};

SYS(waitid)
{
    SYS_UNUSED;
    int idtype = (int)a0, options = (int)a3;
    if (idtype != P_ALL && idtype != P_PID && idtype != P_PGID)
        return -EINVAL;
    if (options & ~(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | __WALL | (int)__WCLONE))
        return -EINVAL;
    if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
        return -EINVAL;
    struct wait_query q = { idtype, (int)a1, options };
    if (idtype == P_PGID && q.id == 0) {
        spin_lock(&proc_lock);
        q.id = process_current()->pgid;
        spin_unlock(&proc_lock);
    }
    struct wait_result r;
    long found = wait_for_child(&q, &r);
    if (found < 0)
        return found;
    struct waitid_info info;
    memset(&info, 0, sizeof(info));
    if (found) {
        info.signo = SIGCHLD;
        info.code = r.code;
        info.pid = r.pid;
        info.status = r.value;
    }
    /* WNOHANG with nothing to report: a zeroed siginfo (si_pid 0). */
    if (a2 && copy_to_user((void *)a2, &info, sizeof(info)))
        return -EFAULT;
    return 0;
}
