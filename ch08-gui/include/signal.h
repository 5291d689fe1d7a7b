/*
 * signal.h: Unix signals (ch06 part 2): numbers, dispositions, and the
 * state a process and each of its threads keep.
 *
 * A signal is sent to a process (kill: any of its threads that does not
 * block it takes it) or to one thread (tgkill, and the faults a thread
 * causes itself). It waits, pending, until a thread that does not block
 * it goes back to user mode; there the kernel acts on it (signal.c): it
 * ignores it, takes the default action (end the process, with a report
 * for the "core" signals; stop it; let it go on), or runs the program's
 * handler on the user stack with a frame that rt_sigreturn takes back.
 * A thread asleep in a system call is woken by a signal it will take:
 * the call returns -EINTR, or starts again (SA_RESTART).
 */
#ifndef CUBOS_SIGNAL_H
#define CUBOS_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "wait.h"

/* Linux's numbers (x86-64). */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPWR 30
#define SIGSYS 31
#define NSIG 64

#define SIG_BIT(sig) (1ull << ((sig) - 1))
#define SIG_UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))

#define SIG_DFL 0
#define SIG_IGN 1

/* sigaction's flags (asm/signal.h). */
#define SA_NOCLDSTOP 0x1
#define SA_NOCLDWAIT 0x2
#define SA_SIGINFO 0x4
#define SA_RESTORER 0x04000000
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000u

/* sigaltstack's flags. */
#define SS_ONSTACK 1
#define SS_DISABLE 2

/* si_code values (asm-generic/siginfo.h). */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_TKILL (-6)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

/* What rt_sigaction takes and gives (the kernel's struct sigaction). */
struct sigaction_k {
    uint64_t handler, flags, restorer, mask;
};

/* A pending signal's details, for a SA_SIGINFO handler and waitid. */
struct ksiginfo {
    int signo, code;
    int pid, uid;               /* the sender (kill), or the child (SIGCHLD) */
    int status;                 /* SIGCHLD: exit code or signal */
    uint64_t addr;              /* SIGSEGV...: the faulting address */
};

/* A process's signal state, under its lock (process.h). */
struct signals {
    struct sigaction_k actions[NSIG];
    uint64_t pending;           /* sent to the process: any thread may take them */
    struct ksiginfo info[NSIG];
    bool stopped;               /* stopped by SIGSTOP/SIGTSTP/...: threads wait in the kernel */
    int stop_signal;
    bool report_stop;           /* wait4(WUNTRACED) has not reported the stop yet */
    bool report_continue;       /* wait4(WCONTINUED) has not reported the continue */
    struct wait_queue continued;    /* stopped threads sleep here */
};

/* A thread's, under its process's lock. */
struct thread_signals {
    uint64_t mask;              /* blocked (rt_sigprocmask) */
    uint64_t pending;           /* sent to this thread (tgkill, its own faults) */
    struct ksiginfo info[NSIG];
    uint64_t altstack_sp, altstack_size;
    int altstack_flags;
    bool restore_mask;          /* rt_sigsuspend: put saved_mask back after the handler */
    uint64_t saved_mask;
};

struct process;
struct uthread;
struct trap_frame;

/* Send sig to process p (kill): 0, or -EINVAL for a bad number. sig 0
 * sends nothing (kill's existence check). Never blocks: an interrupt
 * handler may send (a timer's SIGALRM, the console's Ctrl-C). */
int signal_send(struct process *p, int sig, const struct ksiginfo *info);

/* Send sig to every process of group pgid (the terminal's ^C): 0, or
 * -ESRCH if there is none. Never blocks. */
int signal_send_group(int pgid, int sig);

/* No member of group pgid has a parent in another group of its session:
 * no job-control shell can continue it, so terminal stops are discarded. */
bool signal_group_orphaned(int pgid);

/* sig is pending nowhere in p any more (rt_sigaction's SIG_IGN). p->lock held. */
void signal_discard(struct process *p, int sig);

/* The calling thread blocks or its process ignores sig. */
bool signal_blocked_or_ignored(int sig);

/* Send sig to p's thread tid (tgkill): 0, -ESRCH, -EINVAL. */
int signal_send_thread(struct process *p, int tid, int sig, const struct ksiginfo *info);

/* child ended, stopped or went on (why: CLD_*): its parent gets SIGCHLD
 * (or the child's exit signal), unless it asked not to. */
void signal_child_changed(struct process *parent, struct process *child, int why);

/* The parent ignores SIGCHLD or set SA_NOCLDWAIT: no zombies for it. */
bool signal_parent_ignores_children(struct process *parent);

/* execve: handlers back to SIG_DFL (ignored stays ignored), no
 * alternate stack; the mask and pending signals stay. */
void signal_exec_reset(struct process *p, struct uthread *u);

/* On the way back to user mode with frame tf (after system call nr, or
 * nr -1 after an interrupt or exception): stop while stopped, act on the
 * pending signals, start an interrupted call again or make it -EINTR. */
void signal_return_to_user(struct trap_frame *tf, long nr);

/* The calling thread faulted (sig SIGSEGV, code SEGV_MAPERR, address
 * addr): true if a handler will run for it (queued), false if the fault
 * must end the process (no handler, or it blocks or ignores sig). */
bool signal_fault(int sig, int code, uint64_t addr);

/* rt_sigsuspend, ppoll, pselect6, epoll_pwait: block mask (instead of
 * the thread's mask) until the call returns to user mode. */
void signal_mask_while_waiting(uint64_t mask);

/* Send sig to the calling thread (SIGPIPE for a write to a pipe with
 * no reader left). */
void signal_self(int sig);

/* rt_sigreturn: the registers, mask and FPU state from the frame at the
 * user stack; the restored rax. A bad frame ends the process (SIGSEGV). */
long signal_sigreturn(void);

/* The alarm clock of a process fired (sys_signal.c arms it): SIGALRM. */
struct ktimer;
void signal_alarm_fire(struct ktimer *t);

/* "SIGSEGV" for 11. */
const char *signal_name(int sig);

#endif
