/*
 * thread.h: kernel threads and the scheduler.
 *
 * A thread is a stack and the registers saved on it. The scheduler runs
 * ready threads round-robin: each gets SCHED_SLICE_TICKS timer ticks, then
 * the timer interrupt preempts it; a thread that blocks, sleeps, yields or
 * exits gives the CPU up earlier. With nothing ready, the CPU's idle thread
 * halts until the next interrupt.
 */
#ifndef CUBOS_THREAD_H
#define CUBOS_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "recover.h"
#include "wait.h"

struct job;
struct session;
struct trap_frame;

#define THREAD_NAME_SIZE 16
#define SCHED_SLICE_TICKS 2     /* 20 ms at 100 Hz */

enum thread_state {
    THREAD_READY,               /* in the run queue */
    THREAD_RUNNING,
    THREAD_BLOCKED,             /* in a wait queue */
    THREAD_SLEEPING,            /* in the sleep list until wake_clock */
    THREAD_ZOMBIE,              /* exited, waiting for thread_join or sched_reap */
};

struct thread {
    uint64_t saved_rsp;         /* where context_switch left its registers */
    int id;
    char name[THREAD_NAME_SIZE];
    enum thread_state state;
    void (*entry)(void *arg);
    void *arg;
    int stack_slot;             /* -1 for the boot thread, which keeps the boot stack */
    uint64_t cpu_ticks;         /* timer ticks spent running */
    unsigned cpu;               /* the CPU it runs on, or last ran on */
    uint64_t wake_clock;        /* when SLEEPING: timer_clock() to wake at */
    bool joined;                /* someone called thread_join on it */
    bool detached;              /* nobody will: freed by sched_reap once it exits */
    struct recover_point *recover;  /* armed recovery point (recover.h), or NULL */
    struct wait_reason waiting; /* when BLOCKED: what for */
    struct wait_queue *wq;      /* when BLOCKED in a wait queue: which (NULL when parked) */
    bool killed;                /* its job ended: it unwinds at its next wait (see thread_kill_ends_wait) */
    struct job *job;            /* the shell command it belongs to, or NULL (job.h) */
    struct thread *next;        /* run queue, wait queue or sleep list */
    struct thread *all_next;    /* every live thread, for ps */
    struct wait_queue joiners;  /* who waits in thread_join */
    uint64_t stack_top;         /* the top of its kernel stack (a user thread's frames land there) */
    struct uthread *user;       /* a user thread's program state (process.h), else NULL */
    bool leaving;               /* a user thread leaving its program: not to be killed halfway */
    bool interruptible;         /* in an interruptible wait: a signal ends it (signal.h) */
    bool killable;              /* in a wait a kill ends by returning, not unwinding */
    bool signalled;             /* a signal waits for it in user mode: such waits end at once */
    int kills_held;             /* > 0: inside the network stack, where a kill waits (ch07) */
    struct session *session;    /* the remote shell it works for, or NULL (session.h, ch07) */
};

/* Turn the code running now (kmain, on the boot stack) into thread "idle"
 * of this CPU. Needs cpu_init_boot and the heap. */
void sched_init(void);

/* The same on an AP (sched/smp.c), on the stack it was started with. */
void sched_init_ap(void);

/* The idle thread's loop, on every CPU: free what exited, run what is
 * ready, else halt until an interrupt. An interrupt that makes a thread
 * ready switches to it on its way out. */
__attribute__((noreturn)) void sched_idle(void);

/* A new thread that will run entry(arg), ready at once; NULL (and nothing
 * allocated) if there is no memory or no free stack. Must be joined, or
 * detached, exactly once. It belongs to its creator's job. */
struct thread *thread_create(const char *name, void (*entry)(void *arg), void *arg);

/* thread_create with arg_size bytes at arg (at most THREAD_ARG_SIZE)
 * copied to the very top of the new thread's stack; entry gets the copy.
 * A user thread keeps its first register frame there (proc/uthread.c). */
#define THREAD_ARG_SIZE 256
struct thread *thread_create_arg(const char *name, void (*entry)(void *arg), const void *arg,
                                 unsigned long arg_size);

/* Go's `go fn(args)`: a detached thread on a small stack (GO_STACK_PAGES)
 * running fn on a copy of the arg_size bytes at arg (at most GO_ARG_SIZE,
 * kept on the new thread's stack, so nothing is left to free). 0, or
 * -ENOMEM if there is no memory or no free stack slot. */
#define GO_ARG_SIZE 64
int go(const char *name, void (*fn)(void *arg), const void *arg, unsigned long arg_size);

/* End the calling thread. */
__attribute__((noreturn)) void thread_exit(void);

/* Wait for t to exit, then free it. May sleep. */
void thread_join(struct thread *t);

/* Nobody will join t: once it exits (or a fault stops it) it is freed by
 * sched_reap. A thread cannot free the stack it runs on, so it cannot free
 * itself; the idle thread does it. */
void thread_detach(struct thread *t);

/* Free the detached threads that have exited. Never blocks: the idle
 * thread calls it each time it has nothing else to do. */
void sched_reap(void);

/* Let the next ready thread run; the caller goes to the back of the queue. */
void thread_yield(void);

/* Sleep at least ms milliseconds: until the first timer tick after that. May sleep. */
void thread_sleep_ms(uint64_t ms);

/* Interruptible waits (ch06 part 2): like wait_sleep and thread_sleep_ms,
 * but a signal for the thread (sched_signal) ends them early, and so does
 * a kill, which returns rather than unwinds: -EINTR then, else 0. The
 * system calls a program may block in use these, so that a call ended by
 * a kill still releases what it holds on its way out. */
int wait_sleep_intr(struct wait_queue *wq, struct spinlock *lock, const struct wait_reason *why);
/* The same, ended by a kill only (signals wait): vfork's, execve's. */
int wait_sleep_killable(struct wait_queue *wq, struct spinlock *lock, const struct wait_reason *why);
int thread_sleep_ms_intr(uint64_t ms);
/* thread_park's interruptible twin: the caller has no lock back either way. */
int thread_park_intr(struct spinlock *const *held, int n, const struct wait_reason *why);

/* Whether a kill ends t's wait now. A kernel thread's wait always ends:
 * it unwinds to its recovery point or its end. A user thread's ends only
 * if it is interruptible or killable (it returns -EINTR); its plain waits
 * (a mutex, a semaphore, a page's lock) run their course, so that the
 * system call around them frees what it took, and the thread ends at
 * the call's end (syscall.c). Unwound from inside a call, it would leak
 * the call's buffers and keep its mutexes for good. */
static inline bool thread_kill_ends_wait(const struct thread *t)
{
    return t->killed && ((!t->user && !t->kills_held) || t->interruptible || t->killable);
}

/* Hold kills, then let them go: between the two the calling kernel
 * thread is not unwound, neither at a wait nor at an interrupt (a kill
 * waits until it leaves). The network stack's threads-and-locks layer
 * (net/sys_arch.c) holds them while the thread is inside lwIP, whose
 * state a thread unwound halfway would leave broken: a mutex locked
 * for good, a message on a stack that is gone. Pairs nest. */
void thread_hold_kills(void);
void thread_release_kills(void);

/* The calling thread leaves the shell command's job it was born in: the
 * command's end neither waits for it nor ends it (a program's threads:
 * processes outlive the command that started them). */
void thread_leave_job(void);

/* A signal is there for t: mark it, and end its interruptible wait.
 * sched_lock held. */
void sched_signal(struct thread *t);

/* The caller has been signalled (and not yet taken the signal). */
bool thread_signalled(void);

struct thread *thread_current(void);

/*
 * Parking, for waits that are not one wait queue (a select waits on many
 * channels, chan.h). thread_park takes sched_lock, then releases the n
 * spinlocks in held, which the caller took after placing its wake-up
 * records where wakers find them; a waker holds one of those locks when it
 * calls thread_unpark, so it finds the thread parked, never about to park.
 * thread_park returns when unparked, or at once if a kill ends its wait
 * (thread_kill_ends_wait): the caller then takes its records back and
 * calls thread_unwind.
 */
void thread_park(struct spinlock *const *held, int n, const struct wait_reason *why);
void thread_unpark(struct thread *t);
bool thread_killed(void);

/* Leave the current code because the thread was killed or hit a bug:
 * resume at its recovery point if one is armed (a shell command's, which
 * then ends the command's job), else end the thread. */
__attribute__((noreturn)) void thread_unwind(void);

/* A misuse of a kernel object by the calling thread (a send on a closed
 * channel): print "bug: <what>" with the thread and the caller, then
 * thread_unwind; the kernel goes on. */
__attribute__((noreturn, format(printf, 2, 3)))
void thread_stop_for_bug(const void *caller, const char *fmt, ...);

/*
 * "May sleep": a function that may block (thread_join, thread_sleep_ms,
 * mutex_lock, sem_down, wait_sleep) calls might_sleep() first. Blocking is
 * a bug in an interrupt handler (the interrupted thread would sleep before
 * its handler sent EOI, masking that interrupt for good), with a spinlock
 * held or interrupts off (no timer to preempt, a lock nobody can release),
 * and in the idle thread (which must always be able to run). The check
 * panics naming the blocking function and its caller, as Linux's
 * might_sleep warns. locks_allowed: spinlocks the caller may hold (the
 * one wait_sleep releases).
 */
void sched_check_may_sleep(const char *what, const void *caller, unsigned locks_allowed);
#define might_sleep() sched_check_may_sleep(__func__, __builtin_return_address(0), 0)

/* Called by the timer interrupt on every tick: time accounting, waking
 * sleepers, and the end of the running thread's slice. */
void sched_tick(void);

/* Called at the end of every device interrupt: switch if a tick or a
 * wakeup asked for it. */
void sched_preempt(void);

/* Called at the end of every device interrupt, after sched_preempt: a
 * killed thread that never waits (it computes) unwinds here, if the
 * interrupt stopped it with interrupts on, so holding no spinlock. */
void sched_kill_point(struct trap_frame *tf);

/* Called by the fault policy (trap/fault.c): stop the current thread for good. */
__attribute__((noreturn)) void thread_kill_current(void);

/* If addr is in the guard page of a thread stack, true, with the name of
 * the thread that owns it copied into name ("?" if none does). */
bool thread_stack_guard_owner(uint64_t addr, char name[THREAD_NAME_SIZE]);

/* How many threads exist now, zombies not yet freed included. */
unsigned sched_thread_count(void);

/* Print one line per thread: id, name, state, CPU time. */
void sched_print_threads(void);

#endif
