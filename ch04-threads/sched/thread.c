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
#include "heap.h"
#include "kprintf.h"
#include "panic.h"
#include "spinlock.h"
#include "smp.h"
#include "string.h"
#include "thread.h"
#include "thread_stack.h"
#include "timer.h"
#include "trap.h"
#include "x86.h"

#define PS_MAX_SHOWN 64

void context_switch(uint64_t *save_rsp, uint64_t load_rsp);
void thread_start(void);

static struct spinlock sched_lock = SPINLOCK_INIT("sched");
static struct wait_queue run_queue;
static struct thread *sleepers;
static struct thread *graveyard;    /* detached threads that exited, for sched_reap */
static struct thread *all_threads;
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
static void make_ready(struct thread *t)
{
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

struct thread *thread_create(const char *name, void (*entry)(void *arg), void *arg)
{
    struct thread *t = kmalloc(sizeof(*t));
    if (t == NULL)
        return NULL;
    memset(t, 0, sizeof(*t));
    uint64_t top;
    t->stack_slot = thread_stack_alloc(&top);
    if (t->stack_slot < 0) {
        kfree(t);
        return NULL;
    }
    copy_name(t->name, name);
    t->entry = entry;
    t->arg = arg;

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
    make_ready(t);
    spin_unlock(&sched_lock);
    return t;
}

void thread_exit(void)
{
    spin_lock(&sched_lock);
    struct thread *t = cpu_current();
    if (t == this_cpu()->idle)
        panic("the idle thread cannot exit");
    t->state = THREAD_ZOMBIE;
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

void thread_join(struct thread *t)
{
    might_sleep();
    spin_lock(&sched_lock);
    if (t == cpu_current() || t->joined || t->detached)
        panic("thread_join('%s'): a thread can be joined once, not by itself, and not once detached",
              t->name);
    t->joined = true;
    while (t->state != THREAD_ZOMBIE) {
        struct thread *me = cpu_current();
        me->state = THREAD_BLOCKED;
        queue_push(&t->joiners, me);
        schedule();
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
    t->wake_clock = deadline;
    t->state = THREAD_SLEEPING;
    t->next = sleepers;
    sleepers = t;
    schedule();
    spin_unlock(&sched_lock);
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

void wait_sleep(struct wait_queue *wq, struct spinlock *lock)
{
    if (!spin_held(lock))
        panic("wait_sleep: the caller does not hold '%s'", lock->name);
    sched_check_may_sleep(__func__, __builtin_return_address(0), 1);
    spin_lock(&sched_lock);
    spin_unlock(lock);          /* interrupts stay off: sched_lock is held */
    struct thread *t = cpu_current();
    t->state = THREAD_BLOCKED;
    queue_push(wq, t);
    schedule();
    spin_unlock(&sched_lock);
    spin_lock(lock);
}

void wait_wake_one(struct wait_queue *wq)
{
    spin_lock(&sched_lock);
    struct thread *t = queue_pop(wq);
    if (t)
        make_ready(t);
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

static const char *state_name(enum thread_state s)
{
    switch (s) {
    case THREAD_READY: return "ready";
    case THREAD_RUNNING: return "running";
    case THREAD_BLOCKED: return "blocked";
    case THREAD_SLEEPING: return "sleeping";
    case THREAD_ZOMBIE: return "zombie";
    }
    return "?";
}

void sched_print_threads(void)
{
    /* Copy under the lock, print after: printing may take the console's
     * lock. The copy is the caller's own, so two `ps` may run at once. */
    struct ps_row {
        int id;
        char name[THREAD_NAME_SIZE];
        enum thread_state state;
        unsigned cpu;
        uint64_t ticks;
    } *rows = kmalloc(PS_MAX_SHOWN * sizeof(*rows));
    if (rows == NULL) {
        kprintf("ps: no memory\n");
        return;
    }
    int n = 0, total = 0;
    spin_lock(&sched_lock);
    for (struct thread *t = all_threads; t; t = t->all_next, total++) {
        if (n < PS_MAX_SHOWN) {
            rows[n].id = t->id;
            memcpy(rows[n].name, t->name, THREAD_NAME_SIZE);
            rows[n].state = t->state;
            rows[n].cpu = t->cpu;
            rows[n].ticks = t->cpu_ticks;
            n++;
        }
    }
    spin_unlock(&sched_lock);

    /* CPU: where it runs, or where it last ran; TIME: CPU time it used. */
    kprintf("  ID  NAME             STATE     CPU  TIME (ms)\n");
    for (int i = n - 1; i >= 0; i--)
        kprintf("%4d  %-16s %-9s %3u  %9llu\n", rows[i].id, rows[i].name, state_name(rows[i].state),
                rows[i].cpu, (unsigned long long)(rows[i].ticks * 1000 / TIMER_HZ));
    if (total > n)
        kprintf("  ... and %d more threads\n", total - n);
    kfree(rows);
}
