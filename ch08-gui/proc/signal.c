/*
 * signal.c: sending signals and acting on them (signal.h).
 *
 * Sending only records: a bit in the pending set of the process or of
 * one thread, with its details, and a nudge (sched_signal) to a thread
 * that does not block it, which ends that thread's interruptible wait.
 * Everything else happens in the receiving thread itself, on its way back
 * to user mode (signal_return_to_user, from the end of every system call
 * and of every interrupt or exception that came from user mode): it takes
 * the pending signals one by one and ignores each, stops, ends the
 * process, or runs the program's handler.
 *
 * A handler runs on the user stack (or the alternate one) with a frame
 * laid out as Linux's x86-64 rt_sigframe, so that unmodified C libraries
 * and Go's runtime read it: the return address (the library's restorer,
 * which calls rt_sigreturn), a ucontext with every register, the signal
 * mask to restore and a pointer to the FPU state, and a siginfo. Below
 * the frame (in addresses: above it) the FPU state itself.
 *
 *       higher addresses
 *   |  the interrupted code's stack   |
 *   |  128-byte red zone (untouched)  |
 *   |  FPU state (64-byte aligned)    | <- uc.mcontext.fpstate
 *   |  siginfo                        |
 *   |  ucontext (registers, mask)     |
 *   |  return address: sa_restorer    | <- rsp when the handler starts
 *
 * rt_sigreturn takes the frame back and trusts nothing in it: a program
 * can write anything there. The code and stack segments must be the user
 * ones, the flags only those a program may change, the instruction
 * pointer a user address, and the FPU state well formed; otherwise the
 * program gets SIGSEGV.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "heap.h"
#include "kprintf.h"
#include "memlayout.h"
#include "process.h"
#include "sched.h"
#include "signal.h"
#include "string.h"
#include "thread.h"
#include "trap.h"
#include "uaccess.h"
#include "user_cpu.h"
#include "uthread.h"
#include "x86.h"

#define VEC_SYSCALL 256             /* a SYSCALL frame's vector (syscall/entry.S) */
#define SYSCALL_INSN_SIZE 2         /* 0f 05: rewound to start a call again */
#define SYS_RT_SIGRETURN 15
#define RED_ZONE 128                /* below rsp, the ABI's leaf functions' (SysV 3.2.2) */
#define FPSTATE_ALIGN 64
#define UC_FP_XSTATE 0x1
/* The flags a program may set in RFLAGS (Linux's FIX_EFLAGS): not IF,
 * IOPL, NT, VM and the like. */
#define RFLAGS_USER_CHANGEABLE (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | \
                                RFLAGS_TF | RFLAGS_DF | RFLAGS_OF | RFLAGS_AC | RFLAGS_RF)
/* XSAVE's software-reserved words in the legacy area (Linux's fpx_sw_bytes). */
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define FXSAVE_SW_OFFSET 464
#define FXSAVE_MXCSR_OFFSET 24
#define FXSAVE_MXCSR_MASK_OFFSET 28
#define XSAVE_HEADER_OFFSET 512
#define XSAVE_HEADER_SIZE 64

/* struct sigcontext (asm/sigcontext.h): the registers in a frame. */
struct sigcontext_k {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;
    uint64_t reserved[8];
};

struct stack_k {
    uint64_t sp;
    int32_t flags;
    int32_t pad;
    uint64_t size;
};

struct ucontext_k {
    uint64_t flags;
    uint64_t link;
    struct stack_k stack;
    struct sigcontext_k mcontext;
    uint64_t sigmask;
};

/* siginfo_t (asm-generic/siginfo.h): 128 bytes; the fields used here. */
struct siginfo_k {
    int32_t signo, errno_, code, pad;
    union {
        struct { int32_t pid, uid, status, pad2; uint64_t utime, stime; } kill;
        uint64_t addr;
        uint8_t bytes[112];
    } u;
};

struct rt_sigframe {
    uint64_t pretcode;
    struct ucontext_k uc;
    struct siginfo_k info;
};
_Static_assert(sizeof(struct sigcontext_k) == 256, "struct sigcontext is 256 bytes");
_Static_assert(sizeof(struct siginfo_k) == 128, "siginfo_t is 128 bytes");
_Static_assert(offsetof(struct rt_sigframe, info) == 8 + 304, "the frame's layout is Linux's");

/* -- what each signal does by default ----------------------------------- */

enum default_action { ACT_TERMINATE, ACT_CORE, ACT_IGNORE, ACT_STOP, ACT_CONTINUE };

static enum default_action default_action(int sig)
{
    switch (sig) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
    case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
        return ACT_CORE;
    case SIGCHLD: case SIGURG: case SIGWINCH:
        return ACT_IGNORE;
    case SIGCONT:
        return ACT_CONTINUE;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
        return ACT_STOP;
    default:
        return ACT_TERMINATE;   /* SIGHUP, SIGINT, SIGKILL, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1... */
    }
}

#define STOP_SIGNALS (SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU))

const char *signal_name(int sig)
{
    static const char *const names[] = {
        [SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
        [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
        [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",
        [SIGUSR2] = "SIGUSR2", [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",
        [SIGTERM] = "SIGTERM", [SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD",
        [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP",
        [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG",
        [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM",
        [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR",
        [SIGSYS] = "SIGSYS",
    };
    if (sig > 0 && sig < (int)(sizeof(names) / sizeof(names[0])) && names[sig])
        return names[sig];
    return "a real-time signal";
}

/* Would sig be thrown away on arrival: ignored, and not blocked by t? */
static bool ignored(const struct process *p, int sig)
{
    uint64_t h = p->sig.actions[sig - 1].handler;
    return h == SIG_IGN || (h == SIG_DFL && default_action(sig) == ACT_IGNORE);
}

/* -- sending ---------------------------------------------------------------- */

/* Nudge one thread of p that does not block sig (prefer `prefer`), or
 * every thread when all must notice (a stop, a continue). p->lock held. */
static void wake_takers(struct process *p, int sig, struct uthread *prefer, bool all)
{
    spin_lock(&sched_lock);
    if (!all && prefer && prefer->proc == p && !(prefer->sig.mask & SIG_BIT(sig))) {
        for (struct thread *t = all_threads; t; t = t->all_next) {
            if (t->user == prefer) {
                sched_signal(t);
                spin_unlock(&sched_lock);
                return;
            }
        }
    }
    for (struct thread *t = all_threads; t; t = t->all_next) {
        if (!t->user || t->user->proc != p || t->state == THREAD_ZOMBIE)
            continue;
        if (all || !(t->user->sig.mask & SIG_BIT(sig))) {
            sched_signal(t);
            if (!all)
                break;
        }
    }
    spin_unlock(&sched_lock);
}

/* SIGCONT's effect, at sending: a stopped process goes on. p->lock held. */
static void continue_process(struct process *p)
{
    p->sig.pending &= ~STOP_SIGNALS;
    if (!p->sig.stopped)
        return;
    p->sig.stopped = false;
    p->sig.report_stop = false;
    p->sig.report_continue = true;
    wait_wake_all(&p->sig.continued);
}

/* Record sig for p (tu == NULL) or for its thread tu; p->lock held. */
static void post(struct process *p, struct uthread *tu, int sig, const struct ksiginfo *info)
{
    if (sig == SIGCONT)
        continue_process(p);
    if (STOP_SIGNALS & SIG_BIT(sig))
        p->sig.pending &= ~SIG_BIT(SIGCONT);
    /* An ignored signal is thrown away at once, unless the thread it is
     * for blocks it (it may have a handler by the time it unblocks). */
    uint64_t mask = tu ? tu->sig.mask : 0;
    if (ignored(p, sig) && !(mask & SIG_BIT(sig)))
        return;
    if (tu) {
        tu->sig.pending |= SIG_BIT(sig);
        tu->sig.info[sig - 1] = *info;
    } else {
        p->sig.pending |= SIG_BIT(sig);
        p->sig.info[sig - 1] = *info;
    }
    wake_takers(p, sig, tu ? tu : uthread_current(), sig == SIGKILL || (STOP_SIGNALS & SIG_BIT(sig)));
}

/* Send to p, or to its thread tid (0: the process), if p is not a
 * zombie; proc_lock held, so that a stopped process the signal continues
 * can tell its parent. 0, or -ESRCH if there is no such thread. */
static int send(struct process *p, int tid, int sig, const struct ksiginfo *info)
{
    spin_lock(&p->lock);
    /* A thread found here cannot free its struct uthread before p->lock
     * is let go (uthread_exit takes it to leave). */
    struct uthread *tu = NULL;
    if (tid) {
        spin_lock(&sched_lock);
        for (struct thread *t = all_threads; t; t = t->all_next)
            if (t->user && t->user->proc == p && t->user->tid == tid && !t->leaving)
                tu = t->user;
        spin_unlock(&sched_lock);
    }
    bool deliver = sig != 0 && !p->done && (tid == 0 || tu);
    bool was_stopped = p->sig.stopped;
    if (deliver && sig == SIGKILL)
        continue_process(p);    /* not to be caught, blocked or stopped: it ends now */
    else if (deliver)
        post(p, tu, sig, info);
    bool continued = was_stopped && !p->sig.stopped;
    spin_unlock(&p->lock);
    if (deliver && sig == SIGKILL)
        process_kill(p, SIGKILL);
    else if (continued)
        process_notify_parent(p, CLD_CONTINUED);
    return tid && tu == NULL ? -ESRCH : 0;
}

void signal_discard(struct process *p, int sig)
{
    p->sig.pending &= ~SIG_BIT(sig);
    spin_lock(&sched_lock);
    for (struct thread *t = all_threads; t; t = t->all_next)
        if (t->user && t->user->proc == p)
            t->user->sig.pending &= ~SIG_BIT(sig);
    spin_unlock(&sched_lock);
}

int signal_send(struct process *p, int sig, const struct ksiginfo *info)
{
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    spin_lock(&proc_lock);
    send(p, 0, sig, info);      /* a zombie takes no more signals */
    spin_unlock(&proc_lock);
    return 0;
}

int signal_send_group(int pgid, int sig)
{
    struct ksiginfo info = { sig, SI_KERNEL, 0, 0, 0, 0 };
    int found = 0;
    spin_lock(&proc_lock);
    for (struct process *p = processes_first(); p; p = p->all_next) {
        if (p->pgid == pgid && !p->done) {
            found++;
            send(p, 0, sig, &info);
        }
    }
    spin_unlock(&proc_lock);
    return found ? 0 : -ESRCH;
}

bool signal_group_orphaned(int pgid)
{
    /* POSIX: orphaned when no member has a parent in another group of
     * the same session: no shell is there to continue it. */
    bool orphaned = true;
    spin_lock(&proc_lock);
    for (struct process *p = processes_first(); p && orphaned; p = p->all_next) {
        struct process *parent = p->parent;
        if (p->pgid == pgid && !p->done && parent && parent->pgid != pgid && parent->sid == p->sid)
            orphaned = false;
    }
    spin_unlock(&proc_lock);
    return orphaned;
}

bool signal_blocked_or_ignored(int sig)
{
    struct uthread *u = uthread_current();
    struct process *p = u->proc;
    spin_lock(&p->lock);
    bool quiet = (u->sig.mask & SIG_BIT(sig)) || p->sig.actions[sig - 1].handler == SIG_IGN;
    spin_unlock(&p->lock);
    return quiet;
}

int signal_send_thread(struct process *p, int tid, int sig, const struct ksiginfo *info)
{
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    spin_lock(&proc_lock);
    int err = send(p, tid, sig, info);
    spin_unlock(&proc_lock);
    return err;
}

void signal_child_changed(struct process *parent, struct process *child, int why)
{
    if (child->exit_signal == 0)
        return;
    spin_lock(&parent->lock);
    bool quiet = (why == CLD_STOPPED || why == CLD_CONTINUED) &&
                 (parent->sig.actions[SIGCHLD - 1].flags & SA_NOCLDSTOP);
    spin_unlock(&parent->lock);
    if (quiet)
        return;
    int status = child->status;
    struct ksiginfo info = { SIGCHLD, why, child->pid, 0,
                             why == CLD_EXITED ? (status >> 8) & 0xFF :
                             why == CLD_STOPPED ? child->sig.stop_signal :
                             why == CLD_CONTINUED ? SIGCONT : status & 0x7F, 0 };
    spin_lock(&parent->lock);
    post(parent, NULL, why == CLD_EXITED || why == CLD_KILLED ? child->exit_signal : SIGCHLD, &info);
    spin_unlock(&parent->lock);
}

bool signal_parent_ignores_children(struct process *parent)
{
    spin_lock(&parent->lock);
    const struct sigaction_k *a = &parent->sig.actions[SIGCHLD - 1];
    bool ignores = a->handler == SIG_IGN || (a->flags & SA_NOCLDWAIT);
    spin_unlock(&parent->lock);
    return ignores;
}

void signal_exec_reset(struct process *p, struct uthread *u)
{
    spin_lock(&p->lock);
    for (int i = 0; i < NSIG; i++) {
        if (p->sig.actions[i].handler != SIG_IGN)
            p->sig.actions[i] = (struct sigaction_k){ SIG_DFL, 0, 0, 0 };
        else
            p->sig.actions[i].flags = 0;
    }
    u->sig.altstack_sp = u->sig.altstack_size = 0;
    u->sig.altstack_flags = SS_DISABLE;
    spin_unlock(&p->lock);
}

/* -- taking ---------------------------------------------------------------- */

/* The next signal u may take, or 0; p->lock held. */
static int next_signal(struct process *p, struct uthread *u)
{
    uint64_t ready = (u->sig.pending | p->sig.pending) & ~u->sig.mask;
    if (ready == 0)
        return 0;
    /* SIGKILL and SIGSTOP first, then by number, as Linux does. */
    if (ready & SIG_UNBLOCKABLE)
        ready &= SIG_UNBLOCKABLE;
    return __builtin_ctzll(ready) + 1;
}

/* Take sig off the pending sets, its details into *info; p->lock held. */
static void dequeue(struct process *p, struct uthread *u, int sig, struct ksiginfo *info)
{
    if (u->sig.pending & SIG_BIT(sig)) {
        u->sig.pending &= ~SIG_BIT(sig);
        *info = u->sig.info[sig - 1];
    } else {
        p->sig.pending &= ~SIG_BIT(sig);
        *info = p->sig.info[sig - 1];
    }
}

/* The caller's "signalled" mark follows what it may take; p->lock held. */
static void recalc(struct process *p, struct uthread *u)
{
    bool any = next_signal(p, u) != 0 || p->sig.stopped;
    spin_lock(&sched_lock);
    thread_current()->signalled = any;
    spin_unlock(&sched_lock);
}

/* The end of the process by sig, with a report for the "core" kind (a
 * fault reports itself before: user_fault.c). */
static __attribute__((noreturn)) void die(struct process *p, int sig, bool report)
{
    if (report)
        kprintf("%s[%d]: killed by %s\n", p->name, uthread_current()->tid, signal_name(sig));
    process_exit(sig);
}

/* Stop the process by sig; its threads wait in the kernel until SIGCONT
 * (or SIGKILL). p->lock held. */
static void stop_process(struct process *p, int sig)
{
    p->sig.stopped = true;
    p->sig.stop_signal = sig;
    p->sig.report_stop = true;
    p->sig.report_continue = false;
    wake_takers(p, sig, NULL, true);
    spin_unlock(&p->lock);
    spin_lock(&proc_lock);
    process_notify_parent(p, CLD_STOPPED);
    spin_unlock(&proc_lock);
    spin_lock(&p->lock);
}

/* Write the handler's frame and point the registers at the handler.
 * False if the stack cannot take it (the caller then kills with SIGSEGV). */
static bool setup_frame(struct trap_frame *tf, struct uthread *u, int sig,
                        const struct sigaction_k *act, const struct ksiginfo *info,
                        uint64_t old_mask)
{
    uint64_t sp = tf->rsp;
    bool on_alt = u->sig.altstack_flags != SS_DISABLE && u->sig.altstack_size &&
                  sp - u->sig.altstack_sp < u->sig.altstack_size;
    if ((act->flags & SA_ONSTACK) && u->sig.altstack_flags != SS_DISABLE &&
        u->sig.altstack_size && !on_alt)
        sp = u->sig.altstack_sp + u->sig.altstack_size;
    else
        sp -= RED_ZONE;
    size_t fpu_bytes = fpu_area_size();
    /* The FPU state, and after it XSAVE's closing magic word, 4 bytes. */
    sp = (sp - fpu_bytes - (fpu_uses_xsave() ? sizeof(uint32_t) : 0)) & ~(uint64_t)(FPSTATE_ALIGN - 1);
    uint64_t fpstate = sp;
    sp -= sizeof(struct rt_sigframe);
    sp = (sp & ~(uint64_t)15) - 8;  /* rsp + 8 16-byte aligned, as after a call (ABI 3.2.2) */

    /* The FPU registers, as the program had them: saved to its area, then
     * copied out for rt_sigreturn (the handler itself starts from a clean
     * state, below). */
    irq_disable();
    fpu_save(u->fpu);
    irq_enable();
    uint8_t *fpu = u->fpu;
    if (fpu_uses_xsave()) {
        /* Linux marks an XSAVE-format area so that libraries can tell. */
        uint32_t sw[4] = { FP_XSTATE_MAGIC1, (uint32_t)fpu_bytes + 4,
                           0, (uint32_t)fpu_bytes };
        uint64_t xfeatures;
        memcpy(&xfeatures, fpu + XSAVE_HEADER_OFFSET, sizeof(xfeatures));
        sw[2] = (uint32_t)xfeatures;
        memcpy(fpu + FXSAVE_SW_OFFSET, sw, sizeof(sw));
    }
    if (copy_to_user((void *)fpstate, fpu, fpu_bytes))
        return false;
    if (fpu_uses_xsave()) {
        uint32_t magic2 = FP_XSTATE_MAGIC2;
        if (copy_to_user((void *)(fpstate + fpu_bytes), &magic2, sizeof(magic2)))
            return false;
    }

    struct rt_sigframe frame, *f = &frame;     /* 440 bytes: the kernel stack has room */
    memset(f, 0, sizeof(*f));
    f->pretcode = act->flags & SA_RESTORER ? act->restorer : 0;
    f->uc.flags = fpu_uses_xsave() ? UC_FP_XSTATE : 0;
    f->uc.stack = (struct stack_k){ u->sig.altstack_sp, on_alt ? SS_ONSTACK : u->sig.altstack_flags,
                                    0, u->sig.altstack_size };
    struct sigcontext_k *c = &f->uc.mcontext;
    *c = (struct sigcontext_k){
        tf->r8, tf->r9, tf->r10, tf->r11, tf->r12, tf->r13, tf->r14, tf->r15,
        tf->rdi, tf->rsi, tf->rbp, tf->rbx, tf->rdx, tf->rax, tf->rcx, tf->rsp, tf->rip, tf->rflags,
        (uint16_t)tf->cs, 0, 0, (uint16_t)tf->ss,
        tf->vector == VEC_SYSCALL ? 0 : tf->error_code,
        tf->vector == VEC_SYSCALL ? 0 : tf->vector, old_mask,
        info->addr, fpstate, { 0 },
    };
    f->uc.sigmask = old_mask;
    f->info.signo = info->signo;
    f->info.code = info->code;
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP)
        f->info.u.addr = info->addr;
    else {
        f->info.u.kill.pid = info->pid;
        f->info.u.kill.uid = info->uid;
        f->info.u.kill.status = info->status;
    }
    if (copy_to_user((void *)sp, f, sizeof(*f)))
        return false;

    tf->rdi = (uint64_t)sig;
    tf->rsi = sp + offsetof(struct rt_sigframe, info);
    tf->rdx = sp + offsetof(struct rt_sigframe, uc);
    tf->rax = 0;
    tf->rsp = sp;
    tf->rip = act->handler;
    tf->cs = USER_CS;
    tf->ss = USER_SS;
    tf->rflags &= ~(uint64_t)(RFLAGS_TF | RFLAGS_DF | RFLAGS_RF);
    /* The handler starts with a clean FPU state, as on Linux. */
    irq_disable();
    fpu_reset(u->fpu);
    fpu_restore(u->fpu);
    irq_enable();
    return true;
}

/* A system call that a signal interrupted: start it again (the SYSCALL
 * instruction once more, with its number back in rax), or return -EINTR. */
static void restart_or_eintr(struct trap_frame *tf, long nr, bool restart)
{
    if (restart) {
        tf->rax = (uint64_t)nr;
        tf->rip -= SYSCALL_INSN_SIZE;
    } else {
        tf->rax = (uint64_t)-EINTR;
    }
}

static bool interrupted_call(const struct trap_frame *tf, long nr)
{
    long ret = (long)tf->rax;
    return nr >= 0 && nr != SYS_RT_SIGRETURN && tf->vector == VEC_SYSCALL &&
           (ret == -ERESTARTSYS || ret == -ERESTARTNOHAND);
}

void signal_return_to_user(struct trap_frame *tf, long nr)
{
    struct thread *t = thread_current();
    struct uthread *u = t->user;
    if (u == NULL)
        return;
    struct process *p = u->proc;
    bool restart = interrupted_call(tf, nr);
    if (!__atomic_load_n(&t->signalled, __ATOMIC_RELAXED) && !restart)
        return;
    bool irq_were_on = irq_enabled();
    irq_enable();
    spin_lock(&p->lock);
    for (;;) {
        while (p->sig.stopped) {
            static const struct wait_reason why = { WAIT_DEVICE, "stopped", "signal", "SIGCONT", NULL };
            if (wait_sleep_killable(&p->sig.continued, &p->lock, &why) != 0) {
                spin_unlock(&p->lock);  /* SIGKILL ends a stopped process */
                thread_exit();
            }
        }
        int sig = next_signal(p, u);
        if (sig == 0)
            break;
        struct ksiginfo info;
        dequeue(p, u, sig, &info);
        struct sigaction_k act = p->sig.actions[sig - 1];
        if (act.handler == SIG_IGN)
            continue;
        if (act.handler == SIG_DFL) {
            enum default_action what = default_action(sig);
            if (what == ACT_IGNORE || what == ACT_CONTINUE)
                continue;
            if (what == ACT_STOP) {
                /* ^Z and the terminal's stops do nothing to a group no
                 * shell could continue (POSIX); SIGSTOP always stops. */
                int pgid = p->pgid;
                spin_unlock(&p->lock);
                bool orphaned = sig != SIGSTOP && signal_group_orphaned(pgid);
                spin_lock(&p->lock);
                if (!orphaned)
                    stop_process(p, sig);
                continue;
            }
            spin_unlock(&p->lock);
            die(p, sig, what == ACT_CORE);
        }
        /* A handler. */
        if (restart) {
            long ret = (long)tf->rax;
            restart_or_eintr(tf, nr, ret == -ERESTARTSYS && (act.flags & SA_RESTART));
            restart = false;
        }
        uint64_t old_mask = u->sig.restore_mask ? u->sig.saved_mask : u->sig.mask;
        u->sig.restore_mask = false;
        if (act.flags & SA_RESETHAND)
            p->sig.actions[sig - 1] = (struct sigaction_k){ SIG_DFL, 0, 0, 0 };
        u->sig.mask |= act.mask;
        if (!(act.flags & SA_NODEFER))
            u->sig.mask |= SIG_BIT(sig);
        u->sig.mask &= ~SIG_UNBLOCKABLE;
        spin_unlock(&p->lock);
        if (!setup_frame(tf, u, sig, &act, &info, old_mask)) {
            kprintf("%s[%d]: no room on the stack for a %s handler's frame (sp %llx): killed by SIGSEGV\n",
                    p->name, u->tid, signal_name(sig), (unsigned long long)tf->rsp);
            process_exit(SIGSEGV);
        }
        spin_lock(&p->lock);
        break;                  /* one handler per return: the next at its rt_sigreturn */
    }
    if (restart)
        restart_or_eintr(tf, nr, true);     /* no handler ran: the call goes on */
    if (u->sig.restore_mask) {
        u->sig.mask = u->sig.saved_mask;    /* sigsuspend, and no handler ran */
        u->sig.restore_mask = false;
    }
    recalc(p, u);
    spin_unlock(&p->lock);
    if (!irq_were_on)
        irq_disable();
}

void signal_mask_while_waiting(uint64_t mask)
{
    struct uthread *u = uthread_current();
    struct process *p = u->proc;
    spin_lock(&p->lock);
    u->sig.saved_mask = u->sig.mask;
    u->sig.restore_mask = true;
    u->sig.mask = mask & ~SIG_UNBLOCKABLE;
    recalc(p, u);
    spin_unlock(&p->lock);
}

void signal_self(int sig)
{
    struct uthread *u = uthread_current();
    struct ksiginfo info = { sig, SI_USER, u->proc->pid, 0, 0, 0 };
    signal_send_thread(u->proc, u->tid, sig, &info);
}

bool signal_fault(int sig, int code, uint64_t addr)
{
    struct uthread *u = uthread_current();
    struct process *p = u->proc;
    spin_lock(&p->lock);
    const struct sigaction_k *a = &p->sig.actions[sig - 1];
    bool handled = a->handler != SIG_DFL && a->handler != SIG_IGN && !(u->sig.mask & SIG_BIT(sig));
    if (handled) {
        struct ksiginfo info = { sig, code, 0, 0, 0, addr };
        u->sig.pending |= SIG_BIT(sig);
        u->sig.info[sig - 1] = info;
        recalc(p, u);
    }
    spin_unlock(&p->lock);
    return handled;
}

/* -- rt_sigreturn ---------------------------------------------------------- */

/* Is the FPU state a program hands back one the CPU will load? */
static bool fpu_state_ok(const uint8_t *area, size_t size)
{
    uint32_t mxcsr, mxcsr_mask;
    memcpy(&mxcsr, area + FXSAVE_MXCSR_OFFSET, sizeof(mxcsr));
    memcpy(&mxcsr_mask, area + FXSAVE_MXCSR_MASK_OFFSET, sizeof(mxcsr_mask));
    /* FXRSTOR/XRSTOR raise #GP for a reserved MXCSR bit (SDM vol 1, 11.6.6):
     * the mask a CPU reports is 0xFFBF when it says 0. */
    if (mxcsr & ~0xFFFFu)
        return false;
    if (fpu_uses_xsave() && size >= XSAVE_HEADER_OFFSET + XSAVE_HEADER_SIZE) {
        /* XRSTOR: XSTATE_BV within what XCR0 enables, XCOMP_BV 0 (the
         * standard form), the rest of the header zero (SDM vol 1, 13.8). */
        uint64_t header[XSAVE_HEADER_SIZE / 8];
        memcpy(header, area + XSAVE_HEADER_OFFSET, sizeof(header));
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        uint64_t xcr0 = (uint64_t)hi << 32 | lo;
        if (header[0] & ~xcr0)
            return false;
        for (int i = 1; i < XSAVE_HEADER_SIZE / 8; i++)
            if (header[i])
                return false;
    }
    return true;
}

long signal_sigreturn(void)
{
    struct trap_frame *tf = uthread_frame();
    struct uthread *u = uthread_current();
    struct process *p = u->proc;
    /* The handler's `ret` popped pretcode: the frame starts 8 bytes below. */
    uint64_t frame = tf->rsp - 8;
    struct ucontext_k uc;
    uint8_t *fpu = NULL;
    const char *why = NULL;
    if (copy_from_user(&uc, (const void *)(frame + offsetof(struct rt_sigframe, uc)), sizeof(uc)))
        why = "the frame is not readable";
    const struct sigcontext_k *c = &uc.mcontext;
    if (!why && (c->cs != USER_CS || c->ss != USER_SS))
        why = "its segments are not the user's";
    if (!why && c->rip >= USER_TOP)
        why = "its instruction pointer is not a user address";
    size_t fpu_bytes = fpu_area_size();
    if (!why && c->fpstate) {
        fpu = kmalloc(fpu_bytes + FPSTATE_ALIGN);
        uint8_t *aligned = fpu ? (uint8_t *)(((uintptr_t)fpu + FPSTATE_ALIGN - 1) &
                                             ~(uintptr_t)(FPSTATE_ALIGN - 1)) : NULL;
        if (aligned == NULL)
            why = "no memory for its FPU state";
        else if (copy_from_user(aligned, (const void *)c->fpstate, fpu_bytes))
            why = "its FPU state is not readable";
        else if (!fpu_state_ok(aligned, fpu_bytes))
            why = "its FPU state is malformed";
        else {
            irq_disable();
            memcpy(u->fpu, aligned, fpu_bytes);
            fpu_restore(u->fpu);
            irq_enable();
        }
    }
    kfree(fpu);
    if (why) {
        kprintf("%s[%d]: rt_sigreturn: bad signal frame at %llx (%s): killed by SIGSEGV\n",
                p->name, u->tid, (unsigned long long)frame, why);
        process_exit(SIGSEGV);
    }
    *tf = (struct trap_frame){
        .r15 = c->r15, .r14 = c->r14, .r13 = c->r13, .r12 = c->r12, .r11 = c->r11,
        .r10 = c->r10, .r9 = c->r9, .r8 = c->r8, .rbp = c->rbp, .rdi = c->rdi, .rsi = c->rsi,
        .rdx = c->rdx, .rcx = c->rcx, .rbx = c->rbx, .rax = c->rax,
        .vector = tf->vector, .error_code = 0, .rip = c->rip, .cs = USER_CS,
        .rflags = (tf->rflags & ~(uint64_t)RFLAGS_USER_CHANGEABLE) |
                  (c->rflags & RFLAGS_USER_CHANGEABLE) | RFLAGS_IF | RFLAGS_RESERVED1,
        .rsp = c->rsp, .ss = USER_SS,
    };
    spin_lock(&p->lock);
    u->sig.mask = uc.sigmask & ~SIG_UNBLOCKABLE;
    recalc(p, u);
    spin_unlock(&p->lock);
    return (long)c->rax;        /* syscall_dispatch puts it back in rax */
}
