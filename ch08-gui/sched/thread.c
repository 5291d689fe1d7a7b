/*
 * thread.c: creating, switching, sleeping and ending threads.
 *
 * One lock, sched_lock, guards the run queue, the sleep list, every
 * thread's state and every wait queue. Whoever changes where the current
 * thread belongs (back of the run queue, a wait queue, the sleep list, the
 * grave) does so holding sched_lock and then calls schedule(), which
 * switches to the next thread still holding it; the thread switched to
 * releases it. So the lock passes from thread to thread across
 * context_switch, as in xv6.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backtrace.h"
#include "cpu.h"
#include "errno.h"
#include "heap.h"
#include "job.h"
#include "kprintf.h"
#include "panic.h"
#include "sched.h"
#include "session.h"
#include "spinlock.h"
#include "smp.h"
#include "string.h"
#include "thread.h"
#include "thread_stack.h"
#include "timer.h"
#include "trap.h"
#include "uthread.h"
#include "x86.h"


void context_switch(uint64_t *save_rsp, uint64_t load_rsp);
void thread_start(void);

struct spinlock sched_lock = SPINLOCK_INIT("sched");
struct thread *all_threads;
struct sched_counts sched_counts;
static struct wait_queue run_queue;
static struct thread *sleepers;
static struct thread *graveyard;    /* detached threads that exited, for sched_reap */
static int next_id;

static void queue_push(struct wait_queue *q, struct thread *t)
{
    t->next = NULL;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
}

static struct thread *queue_pop(struct wait_queue *q)
{
    struct thread *t = q->head;
    if (t) {
        q->head = t->next;
        if (q->head == NULL)
            q->tail = NULL;
    }
    return t;
}

/* Take t out of q, wherever it is in it. */
static void queue_remove(struct wait_queue *q, struct thread *t)
{
    struct thread *prev = NULL;
    for (struct thread *p = q->head; p; prev = p, p = p->next) {
        if (p == t) {
            if (prev)
                prev->next = t->next;
            else
                q->head = t->next;
            if (q->tail == t)
                q->tail = prev;
            return;
        }
    }
}

static void copy_name(char *dst, const char *src)
{
    size_t i = 0;
    for (; src[i] && i < THREAD_NAME_SIZE - 1; i++)
        dst[i] = src[i];
    dst[i] = '\0';
}

/* Make t runnable; a CPU sitting in its idle thread should take it soon:
 * this one on its way out of the current interrupt, another through a
 * wake-up IPI (it may be halted until its next tick otherwise). */
void make_ready(struct thread *t)
{
    if (t->state == THREAD_BLOCKED && t->waiting.kind == WAIT_SYNC)
        sched_counts.sync_blocked--;
    t->wq = NULL;
    sched_counts.wakeups++;
    t->state = THREAD_READY;
    queue_push(&run_queue, t);
    struct cpu *me = this_cpu();
    if (me->current == me->idle && !me->need_resched) {
        me->need_resched = true;
        return;
    }
    /* need_resched marks an idle CPU that is already on its way to the
     * run queue: several threads made ready at once go to several CPUs. */
    for (unsigned i = 0; i < MAX_CPUS; i++) {
        struct cpu *c = &cpus[i];
        if (c != me && c->state == CPU_ONLINE && c->current == c->idle && !c->need_resched) {
            c->need_resched = true;
            smp_wake(c);
            return;
        }
    }
}

void sched_check_may_sleep(const char *what, const void *caller, unsigned locks_allowed)
{
    /* Read this CPU's counts with interrupts off: with them on, a
     * preemption could move the thread to another CPU halfway through
     * and the counts read would be some other thread's (whose spinlock
     * would then look held). With them on, no spinlock is held anyway. */
    bool were_on = irq_enabled();
    irq_disable();
    struct cpu *cpu = this_cpu();
    const char *why = NULL;
    if (trap_in_interrupt())
        why = "in an interrupt handler";
    else if (cpu->locks_held > locks_allowed)
        why = "holding a spinlock";
    else if (cpu->irq_off_depth > locks_allowed)
        why = "with interrupts turned off";
    else if (cpu->current == cpu->idle)
        why = "in the idle thread, which must always be able to run";
    if (were_on)
        irq_enable();
    if (why == NULL)
        return;
    uint64_t offset;
    const char *fn = ksym_lookup((uint64_t)caller, &offset);
    panic("%s may sleep, but %s+0x%llx called it %s", what, fn ? fn : "?",
          (unsigned long long)offset, why);
}

/* Switch to the next ready thread (or idle). sched_lock must be held, and
 * no other spinlock, and the current thread already placed where it
 * belongs. */
static void schedule(void)
{
    struct cpu *cpu = this_cpu();
    struct thread *prev = cpu->current;
    if (cpu->locks_held != 1 || cpu->irq_off_depth != 1)
        panic("schedule: thread '%s' holds %u spinlocks at %u interrupts-off levels; "
              "only sched_lock may be held", prev->name, cpu->locks_held, cpu->irq_off_depth);
    struct thread *next = queue_pop(&run_queue);
    if (next == NULL)
        next = prev->state == THREAD_RUNNING ? prev : cpu->idle;
    cpu->need_resched = false;
    cpu->slice_left = SCHED_SLICE_TICKS;
    next->state = THREAD_RUNNING;
    if (next == prev)
        return;
    if (prev->state == THREAD_RUNNING)
        prev->state = THREAD_READY;     /* the idle thread, which waits outside the queue */
    cpu->current = next;
    cpu->switches++;
    next->cpu = cpu->id;
    /* Whether interrupts were on before sched_lock was taken belongs to
     * this thread, not to the CPU: keep it across the switch (the next
     * thread releases sched_lock with its own). */
    bool were_on = cpu->irq_were_on;
    if (prev->user || next->user)
        uthread_switch(prev, next);
    context_switch(&prev->saved_rsp, next->saved_rsp);
    this_cpu()->irq_were_on = were_on;
}

/* Turn the code running now, on stack slot stack_slot (-1: the boot
 * stack), into this CPU's idle thread. */
static void become_idle(int stack_slot)
{
    struct thread *t = kmalloc(sizeof(*t));
    if (t == NULL)
        panic("sched: no memory for the idle thread of CPU %u", this_cpu()->id);
    memset(t, 0, sizeof(*t));
    copy_name(t->name, "idle");
    t->state = THREAD_RUNNING;
    t->stack_slot = stack_slot;
    t->cpu = this_cpu()->id;
    spin_lock(&sched_lock);
    t->id = next_id++;
    t->all_next = all_threads;
    all_threads = t;
    this_cpu()->current = t;
    this_cpu()->idle = t;
    this_cpu()->slice_left = SCHED_SLICE_TICKS;
    spin_unlock(&sched_lock);
}

void sched_init(void)
{
    become_idle(-1);
}

void sched_init_ap(void)
{
    become_idle(this_cpu()->idle_stack_slot);
}

void sched_idle(void)
{
    for (;;) {
        sched_reap();
        sched_check_deadlock();
        thread_yield();
        irq_enable_and_halt();
    }
}

/* The first C code of every new thread (from thread_start in switch.S). */
void thread_entry(struct thread *t)
{
    /* sched_lock was taken by whoever switched to us; a new thread starts
     * with interrupts on. */
    this_cpu()->irq_were_on = true;
    spin_unlock(&sched_lock);
    t->entry(t->arg);
    thread_exit();
}

/* A new thread with a stack of pages pages; arg_size bytes at arg, if
 * any, are copied to the top of its stack and entry gets the copy. */
static struct thread *create(const char *name, unsigned pages, void (*entry)(void *arg),
                             void *arg, unsigned long arg_size)
{
    struct thread *t = kmalloc(sizeof(*t));
    if (t == NULL)
        return NULL;
    memset(t, 0, sizeof(*t));
    uint64_t top;
    t->stack_slot = thread_stack_alloc(pages, &top);
    if (t->stack_slot < 0) {
        kfree(t);
        return NULL;
    }
    t->stack_top = top;
    copy_name(t->name, name);
    /* A thread started by one of a remote session's works for it too. */
    struct thread *creator = cpu_current();
    if (creator && creator->session) {
        t->session = creator->session;
        session_get(t->session);
    }
    t->entry = entry;
    t->arg = arg;
    if (arg_size > 0) {
        top -= (arg_size + 15) & ~15ul;         /* keep the top 16-byte aligned */
        memcpy((void *)top, arg, arg_size);
        t->arg = (void *)top;
    }

    /* The stack as context_switch expects to find it: six saved registers
     * (R12 = t for thread_start, RBP = 0 to end backtraces), then the
     * return address. With top 16-byte aligned, thread_start's call leaves
     * RSP + 8 a multiple of 16 at thread_entry, as the SysV ABI requires. */
    uint64_t *sp = (uint64_t *)top;
    *--sp = (uint64_t)thread_start;
    *--sp = 0;                  /* rbp */
    *--sp = 0;                  /* rbx */
    *--sp = (uint64_t)t;        /* r12 */
    *--sp = 0;                  /* r13 */
    *--sp = 0;                  /* r14 */
    *--sp = 0;                  /* r15 */
    t->saved_rsp = (uint64_t)sp;

    spin_lock(&sched_lock);
    t->id = next_id++;
    t->all_next = all_threads;
    all_threads = t;
    t->job = cpu_current()->job;
    if (t->job)
        t->job->threads++;
    /* Made by a thread whose job is ending: it ends too, or job_end would
     * wait for it. */
    t->killed = cpu_current()->killed;
    sched_counts.live++;
    make_ready(t);
    spin_unlock(&sched_lock);
    return t;
}

/* t no longer counts in its job's threads: the job's end need not wait
 * for it. sched_lock held. */
static void job_drop(struct thread *t)
{
    if (t->job && --t->job->threads == 0)
        for (struct thread *w; (w = queue_pop(&t->job->gone)) != NULL;)
            make_ready(w);
}

void thread_leave_job(void)
{
    spin_lock(&sched_lock);
    struct thread *t = cpu_current();
    job_drop(t);
    t->job = NULL;
    spin_unlock(&sched_lock);
}

struct thread *thread_create(const char *name, void (*entry)(void *arg), void *arg)
{
    return create(name, THREAD_STACK_PAGES, entry, arg, 0);
}

struct thread *thread_create_arg(const char *name, void (*entry)(void *arg), const void *arg,
                                 unsigned long arg_size)
{
    if (arg_size > THREAD_ARG_SIZE)
        panic("thread_create_arg('%s'): %lu bytes of argument, at most %d", name, arg_size,
              THREAD_ARG_SIZE);
    return create(name, THREAD_STACK_PAGES, entry, (void *)arg, arg_size);
}

int go(const char *name, void (*fn)(void *arg), const void *arg, unsigned long arg_size)
{
    if (arg_size > GO_ARG_SIZE)
        panic("go('%s'): %lu bytes of argument, at most %d", name, arg_size, GO_ARG_SIZE);
    struct thread *t = create(name, GO_STACK_PAGES, fn, (void *)arg, arg_size);
    if (t == NULL)
        return -ENOMEM;
    thread_detach(t);
    return 0;
}

void thread_exit(void)
{
    /* A user thread leaves its program first (which may end it). */
    if (cpu_current()->user)
        uthread_exit();
    spin_lock(&sched_lock);
    struct thread *t = cpu_current();
    if (t == this_cpu()->idle)
        panic("the idle thread cannot exit");
    t->state = THREAD_ZOMBIE;
    sched_counts.live--;
    job_drop(t);                /* still its job's: the job's end detaches it if unjoined */
    if (t->detached) {
        t->next = graveyard;
        graveyard = t;
    }
    for (struct thread *j; (j = queue_pop(&t->joiners)) != NULL;)
        make_ready(j);
    schedule();
    panic("a zombie thread was scheduled");
}

/* Take t off the list of live threads. sched_lock held. */
static void forget_thread(struct thread *t)
{
    for (struct thread **p = &all_threads; *p; p = &(*p)->all_next) {
        if (*p == t) {
            *p = t->all_next;
            return;
        }
    }
}

/* Free an exited thread that will never run again: its stack and itself. */
static void free_thread(struct thread *t)
{
    if (t->session)
        session_put(t->session);
    thread_stack_free(t->stack_slot);
    kfree(t);
}

void thread_detach(struct thread *t)
{
    spin_lock(&sched_lock);
    if (t->joined || t->detached)
        panic("thread_detach('%s'): the thread is already joined or detached", t->name);
    t->detached = true;
    if (t->state == THREAD_ZOMBIE) {    /* exited already: the reaper takes it now */
        t->next = graveyard;
        graveyard = t;
    }
    spin_unlock(&sched_lock);
}

void sched_reap(void)
{
    spin_lock(&sched_lock);
    struct thread *dead = graveyard;
    graveyard = NULL;
    for (struct thread *t = dead; t; t = t->next)
        forget_thread(t);
    spin_unlock(&sched_lock);
    /* Each of them switched away for the last time: their stacks are free to go. */
    while (dead) {
        struct thread *next = dead->next;
        free_thread(dead);
        dead = next;
    }
}

void thread_kill_current(void)
{
    struct thread *t = cpu_current();
    kprintf("thread '%s' (id %d) was stopped by the fault; the kernel goes on\n", t->name, t->id);
    thread_exit();
}

void sched_block(struct wait_queue *wq, const struct wait_reason *why)
{
    struct thread *me = cpu_current();
    me->state = THREAD_BLOCKED;
    me->waiting = *why;
    me->wq = wq;
    if (wq)
        queue_push(wq, me);
    if (why->kind == WAIT_SYNC)
        sched_counts.sync_blocked++;
    schedule();
}

void thread_join(struct thread *t)
{
    might_sleep();
    spin_lock(&sched_lock);
    struct thread *me = cpu_current();
    if (t == me || t->joined || t->detached)
        panic("thread_join('%s'): a thread can be joined once, not by itself, and not once detached",
              t->name);
    t->joined = true;
    struct wait_reason why = { WAIT_SYNC, "join", "thread", t->name, NULL };
    while (t->state != THREAD_ZOMBIE) {
        if (me->killed) {
            /* Nobody will join t now: the reaper frees it once it exits. */
            t->joined = false;
            spin_unlock(&sched_lock);
            thread_detach(t);
            thread_unwind();
        }
        sched_block(&t->joiners, &why);
    }
    forget_thread(t);
    spin_unlock(&sched_lock);
    /* The zombie switched away for the last time: its stack is free to go. */
    free_thread(t);
}

void thread_yield(void)
{
    spin_lock(&sched_lock);
    struct thread *t = cpu_current();
    if (t != this_cpu()->idle)
        make_ready(t);
    schedule();
    spin_unlock(&sched_lock);
}

void thread_sleep_ms(uint64_t ms)
{
    /* Woken by the first tick after the deadline, on the clock (timer.h). */
    uint64_t deadline = timer_clock_after_ms(ms);
    might_sleep();
    spin_lock(&sched_lock);
    struct thread *t = cpu_current();
    if (!thread_kill_ends_wait(t) && !(t->interruptible && t->signalled)) {
        t->wake_clock = deadline;
        t->state = THREAD_SLEEPING;
        t->next = sleepers;
        sleepers = t;
        schedule();
    }
    spin_unlock(&sched_lock);
    if (thread_kill_ends_wait(t) && !t->interruptible && !t->killable)
        thread_unwind();
}

struct thread *thread_current(void)
{
    return cpu_current();
}

void sched_tick(void)
{
    struct cpu *cpu = this_cpu();
    if (cpu->current == NULL)
        return;                 /* before sched_init */
    spin_lock(&sched_lock);
    cpu->current->cpu_ticks++;
    if (cpu->current == cpu->idle)
        cpu->idle_ticks++;
    uint64_t now = timer_clock();
    for (struct thread **p = &sleepers; *p;) {
        struct thread *t = *p;
        if (t->wake_clock <= now) {
            *p = t->next;
            make_ready(t);
        } else {
            p = &t->next;
        }
    }
    if (cpu->current != cpu->idle && --cpu->slice_left == 0)
        cpu->need_resched = true;
    spin_unlock(&sched_lock);
}

void sched_preempt(void)
{
    struct cpu *cpu = this_cpu();
    if (cpu->current != NULL && cpu->need_resched)
        thread_yield();
}

void wait_sleep(struct wait_queue *wq, struct spinlock *lock, const struct wait_reason *why)
{
    if (!spin_held(lock))
        panic("wait_sleep: the caller does not hold '%s'", lock->name);
    sched_check_may_sleep(__func__, __builtin_return_address(0), 1);
    spin_lock(&sched_lock);
    spin_unlock(lock);          /* interrupts stay off: sched_lock is held */
    struct thread *t = cpu_current();
    if (!thread_kill_ends_wait(t) && !(t->interruptible && t->signalled))
        sched_block(wq, why);
    spin_unlock(&sched_lock);
    /* A killed kernel thread unwinds, unless its wait returns instead
     * (an interruptible or killable wait: the system calls' waits, whose
     * call lets go of what it holds on its way out, and the thread ends
     * there). A killed user thread's plain wait went on as if unkilled. */
    if (thread_kill_ends_wait(t) && !t->interruptible && !t->killable)
        thread_unwind();
    spin_lock(lock);
}

int wait_sleep_intr(struct wait_queue *wq, struct spinlock *lock, const struct wait_reason *why)
{
    struct thread *t = thread_current();
    t->interruptible = true;
    wait_sleep(wq, lock, why);
    t->interruptible = false;
    return t->signalled || t->killed ? -EINTR : 0;
}

int wait_sleep_killable(struct wait_queue *wq, struct spinlock *lock, const struct wait_reason *why)
{
    struct thread *t = thread_current();
    t->killable = true;
    wait_sleep(wq, lock, why);
    t->killable = false;
    return t->killed ? -EINTR : 0;
}

int thread_sleep_ms_intr(uint64_t ms)
{
    struct thread *t = thread_current();
    t->interruptible = true;
    thread_sleep_ms(ms);
    t->interruptible = false;
    return t->signalled || t->killed ? -EINTR : 0;
}

int thread_park_intr(struct spinlock *const *held, int n, const struct wait_reason *why)
{
    struct thread *t = thread_current();
    t->interruptible = true;
    thread_park(held, n, why);
    t->interruptible = false;
    return t->signalled || t->killed ? -EINTR : 0;
}

bool thread_signalled(void)
{
    return __atomic_load_n(&thread_current()->signalled, __ATOMIC_RELAXED);
}

/* Take t off the wait queue or the sleep list it is on: it runs again. */
static void wake_early(struct thread *t)
{
    if (t->state == THREAD_BLOCKED) {
        if (t->wq)
            queue_remove(t->wq, t);
        make_ready(t);
    } else if (t->state == THREAD_SLEEPING) {
        for (struct thread **p = &sleepers; *p; p = &(*p)->next) {
            if (*p == t) {
                *p = t->next;
                break;
            }
        }
        make_ready(t);
    }
}

void sched_signal(struct thread *t)
{
    t->signalled = true;
    if (t->interruptible)
        wake_early(t);
}

void wait_wake_one(struct wait_queue *wq)
{
    spin_lock(&sched_lock);
    struct thread *t = queue_pop(wq);
    if (t)
        make_ready(t);
    spin_unlock(&sched_lock);
}

void wait_wake_all(struct wait_queue *wq)
{
    spin_lock(&sched_lock);
    for (struct thread *t; (t = queue_pop(wq)) != NULL;)
        make_ready(t);
    spin_unlock(&sched_lock);
}

void sched_kill(struct thread *t)
{
    /* A user thread on its way out finishes leaving its program (its
     * last one frees the address space and drops references): killed
     * halfway, at an interrupt's kill point, it would leave them behind. */
    if (t->leaving)
        return;
    t->killed = true;
    if (thread_kill_ends_wait(t))
        wake_early(t);
}

void sched_wait_job_threads(struct job *j)
{
    static const struct wait_reason why = { WAIT_SYNC, "wait for", "job", "threads to end", NULL };
    spin_lock(&sched_lock);
    while (j->threads > 0)
        sched_block(&j->gone, &why);
    /* Threads its command made and never joined, ended: nobody will join them now. */
    for (struct thread *t = all_threads; t; t = t->all_next) {
        if (t->job != j)
            continue;
        t->job = NULL;
        if (t->state == THREAD_ZOMBIE && !t->joined && !t->detached) {
            t->detached = true;
            t->next = graveyard;
            graveyard = t;
        }
    }
    spin_unlock(&sched_lock);
}

bool thread_stack_guard_owner(uint64_t addr, char name[THREAD_NAME_SIZE])
{
    int slot = thread_stack_guard_slot(addr);
    if (slot < 0)
        return false;
    /* A fault inside the scheduler arrives with sched_lock held here. */
    bool locked = !spin_held(&sched_lock);
    if (locked)
        spin_lock(&sched_lock);
    copy_name(name, "?");
    for (struct thread *t = all_threads; t; t = t->all_next) {
        if (t->stack_slot == slot)
            copy_name(name, t->name);
    }
    if (locked)
        spin_unlock(&sched_lock);
    return true;
}

unsigned sched_thread_count(void)
{
    unsigned n = 0;
    spin_lock(&sched_lock);
    for (struct thread *t = all_threads; t; t = t->all_next)
        n++;
    spin_unlock(&sched_lock);
    return n;
}
