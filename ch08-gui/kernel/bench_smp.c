/*
 * bench_smp.c: the benchmarks between CPUs, for `make bench`: a spinlock
 * taken on one CPU, then fought over by two; an IPI there and back; and
 * how long a thread made ready on one CPU takes to run on another that
 * was halted.
 *
 * The scheduler has no way to pin a thread to a CPU, and these need none.
 * The benchmarking thread never blocks while its partner runs, so
 * make_ready gives the partner to an idle CPU (through a wake-up IPI), and
 * the partner stays there: a preempted thread is taken back at once by
 * its own CPU when nothing else is ready. Each partner notes the CPU it
 * runs on when it starts and ends, and a benchmark that finds both
 * threads on one CPU prints that it was skipped rather than a figure.
 * With one CPU online (cpus=1), only the uncontended spinlock runs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "cpu.h"
#include "kprintf.h"
#include "lapic.h"
#include "panic.h"
#include "spinlock.h"
#include "thread.h"
#include "timer.h"
#include "trap.h"
#include "wait.h"
#include "x86.h"

#define SPIN_ROUNDS 100000          /* acquire+release pairs, per thread */
#define IPI_ROUNDS 10000            /* round trips */
#define WAKE_ROUNDS 300             /* wake-ups, each from a halted CPU */
#define HALT_SETTLE_US 200          /* for an idle CPU to reach its HLT (see time_wakeup) */

static void skip(const char *name, const char *why)
{
    kprintf("bench %s: skipped, %s\n", name, why);
}

/*
 * Spin until another CPU stores value in *word. Without PAUSE, unlike
 * spin_lock: under TCG a PAUSE leaves the translated code for QEMU's own
 * loop for that virtual CPU, which takes QEMU's global lock, and the other
 * CPU needs that lock to send an IPI or to take one. With PAUSE in these
 * waits an IPI round trip took ten times as long. On hardware PAUSE saves
 * power and the pipeline flush as the loop ends (SDM vol 2B, PAUSE), which
 * a wait of microseconds can do without.
 */
static void wait_for(const volatile unsigned *word, unsigned value)
{
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) != value)
        continue;
}

/* ---- a partner thread on another CPU (see the top of this file) ---- */

struct partner {
    void (*work)(void);             /* what it runs over there */
    struct thread *thread;
    volatile unsigned started, done;        /* 0, then 1 */
    volatile unsigned first_cpu, last_cpu;  /* where work began and ended */
};

static void partner_main(void *arg)
{
    struct partner *p = arg;
    p->first_cpu = this_cpu()->id;
    __atomic_store_n(&p->started, 1, __ATOMIC_RELEASE);
    p->work();
    p->last_cpu = this_cpu()->id;
    __atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
}

/* Start work in a new thread and spin until it runs; the caller spins
 * rather than blocks, so that the partner goes to another CPU. */
static void partner_start(struct partner *p, const char *name, void (*work)(void))
{
    *p = (struct partner){ .work = work };
    p->thread = thread_create(name, partner_main, p);
    if (p->thread == NULL)
        panic("bench: no memory for a thread");
    wait_for(&p->started, 1);
}

/* Spin until p's work ends, then free it. True if the partner ran on
 * another CPU than me throughout, and the caller, which started on me,
 * is still there. May sleep. */
static bool partner_finish(struct partner *p, unsigned me)
{
    wait_for(&p->done, 1);
    bool apart = p->first_cpu != me && p->last_cpu != me && this_cpu()->id == me;
    thread_join(p->thread);
    return apart;
}

/* ---- spinlocks ---- */

static struct spinlock bench_lock = SPINLOCK_INIT("bench");
static volatile long shared_counter;    /* guarded by bench_lock, as are: */
static unsigned last_holder;            /* the CPU that took it last */
static unsigned handoffs;               /* times it went to the other CPU */
static volatile unsigned contenders_go;

/* One acquire+release pair with nobody else wanting the lock: its cost
 * includes spin_lock's interrupts off and back on. */
static uint64_t time_spinlock(void)
{
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < SPIN_ROUNDS; i++) {
        spin_lock(&bench_lock);
        spin_unlock(&bench_lock);
    }
    return rdtsc() - start;
}

static void add_under_lock(void)
{
    for (unsigned i = 0; i < SPIN_ROUNDS; i++) {
        spin_lock(&bench_lock);
        shared_counter = shared_counter + 1;
        if (this_cpu()->id != last_holder) {
            handoffs++;
            last_holder = this_cpu()->id;
        }
        spin_unlock(&bench_lock);
    }
}

/* The partner's half: start with the benchmarking thread, not before. */
static void contend(void)
{
    wait_for(&contenders_go, 1);
    add_under_lock();
}

/* This thread and a partner on another CPU add to one counter under one
 * lock at the same time; an op is one acquire+release of the
 * 2 * SPIN_ROUNDS. The lock is not fair: the CPU that releases it may
 * take it again before the other's exchange gets the cache line, so
 * handoffs counts how often it really changed CPUs. False (and no
 * figure) if the two did not run on two CPUs. */
static bool time_contended(uint64_t *cycles)
{
    struct partner p;
    shared_counter = 0;
    handoffs = 0;
    last_holder = this_cpu()->id;
    contenders_go = 0;
    partner_start(&p, "contender", contend);
    unsigned me = this_cpu()->id;
    uint64_t start = rdtsc();
    __atomic_store_n(&contenders_go, 1, __ATOMIC_RELEASE);
    add_under_lock();
    wait_for(&p.done, 1);
    *cycles = rdtsc() - start;
    bool apart = partner_finish(&p, me);
    if (shared_counter != 2L * SPIN_ROUNDS)
        panic("bench: two threads added %ld under one spinlock, not %ld", shared_counter,
              2L * SPIN_ROUNDS);
    return apart;
}

/* ---- IPI round trip ---- */

static volatile unsigned responder_cpu;
static volatile uint8_t sender_apic_id;
static volatile unsigned answers_sent, answers_received, responder_stop;

/*
 * Both ends run this handler. On the responder's CPU it sends the same
 * vector back to the sender: a true round trip of two IPIs, each taken
 * through the IDT with its EOI. On the sender's CPU it counts the answer,
 * which the sender's loop waits for.
 */
static void on_bench_ipi(struct trap_frame *tf)
{
    (void)tf;
    if (this_cpu()->id == responder_cpu) {
        answers_sent++;
        lapic_send_ipi(sender_apic_id, VEC_BENCH_IPI);
    } else {
        __atomic_store_n(&answers_received, answers_received + 1, __ATOMIC_RELEASE);
    }
}

/* The responder's thread only keeps its CPU busy with interrupts on, so
 * that an IPI finds it running, not halted; the handler does the rest. */
static void keep_busy(void)
{
    wait_for(&responder_stop, 1);
}

/* Round trip number n (from 1): send, and wait for the answer. */
static void send_and_wait(uint8_t apic_id, unsigned n)
{
    /* The ICR is two registers, written in turn (lapic.c); an interrupt
     * between them whose handler sent an IPI (a wake-up) would change
     * the destination under us. Every other sender runs with interrupts
     * off; so must this one, for the send only. */
    irq_push_off();
    lapic_send_ipi(apic_id, VEC_BENCH_IPI);
    irq_pop_off();
    wait_for(&answers_received, n);
}

/* IPI_ROUNDS round trips to a CPU that runs a partner thread. False (and
 * no figure) if the partner shared this thread's CPU. */
static bool time_ipi_round_trip(uint64_t *cycles)
{
    struct partner p;
    responder_stop = 0;
    partner_start(&p, "ipi responder", keep_busy);
    unsigned me = this_cpu()->id;
    uint8_t target = cpus[p.first_cpu].apic_id;
    responder_cpu = p.first_cpu;
    sender_apic_id = cpus[me].apic_id;
    answers_sent = 0;
    answers_received = 0;
    uint64_t start = rdtsc();
    /* Sent to itself, the IPI would be answered by itself for ever. */
    if (p.first_cpu != me) {
        for (unsigned i = 0; i < IPI_ROUNDS; i++)
            send_and_wait(target, i + 1);
    }
    *cycles = rdtsc() - start;
    __atomic_store_n(&responder_stop, 1, __ATOMIC_RELEASE);
    bool apart = partner_finish(&p, me);
    if (apart && answers_sent != IPI_ROUNDS)
        panic("bench: CPU %u answered %u of %d IPIs", responder_cpu, answers_sent, IPI_ROUNDS);
    return apart;
}

/* ---- wake-up latency ---- */

static struct semaphore wake_sem = SEMAPHORE_INIT("bench wake", 0);
static volatile unsigned sleeper_started, wakes_seen;
static volatile uint64_t woke_tsc;
static volatile unsigned woke_cpu;

/* Blocks in sem_down; stamps the TSC the moment it returns. */
static void sleeper(void *arg)
{
    (void)arg;
    __atomic_store_n(&sleeper_started, 1, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < WAKE_ROUNDS; i++) {
        sem_down(&wake_sem);
        woke_tsc = rdtsc();
        woke_cpu = this_cpu()->id;
        __atomic_store_n(&wakes_seen, i + 1, __ATOMIC_RELEASE);
    }
}

/* True once every online CPU but me is in its idle thread. */
static bool others_idle(const struct cpu *me)
{
    for (unsigned i = 0; i < cpu_count; i++) {
        const struct cpu *c = &cpus[i];
        if (c != me && __atomic_load_n(&c->current, __ATOMIC_ACQUIRE) != c->idle)
            return false;
    }
    return true;
}

/*
 * From sem_up on this CPU to the woken thread's first instruction after
 * sem_down on another CPU, which was halted: the semaphore, make_ready's
 * wake-up IPI, the halted CPU waking, its switch to the thread. The TSCs
 * agree across CPUs (ap_main copies the boot CPU's), so the two stamps
 * can be subtracted. Each round, this thread waits until the sleeper has
 * blocked again and the other CPUs are in their idle threads, then
 * HALT_SETTLE_US more: an idle thread halts a few hundred instructions
 * after it becomes current, far less than that even under TCG.
 * Interrupts stay off here for the round, so this thread is not
 * preempted and the sleeper cannot be run on this CPU instead.
 */
static uint64_t time_wakeup(void)
{
    sleeper_started = 0;
    wakes_seen = 0;
    struct thread *t = thread_create("sleeper", sleeper, NULL);
    if (t == NULL)
        panic("bench: no memory for a thread");
    wait_for(&sleeper_started, 1);
    uint64_t total = 0;
    for (unsigned i = 0; i < WAKE_ROUNDS; i++) {
        irq_push_off();
        struct cpu *me = this_cpu();
        while (!others_idle(me))
            __asm__ volatile("pause");
        timer_wait_us(HALT_SETTLE_US);
        uint64_t sent = rdtsc();
        sem_up(&wake_sem);
        wait_for(&wakes_seen, i + 1);
        if (woke_cpu == me->id)
            panic("bench: the sleeper woke on the waker's CPU %u", me->id);
        total += woke_tsc - sent;
        irq_pop_off();
    }
    thread_join(t);
    return total;
}

void bench_smp_run(void)
{
    time_spinlock();
    bench_report("spinlock", time_spinlock(), SPIN_ROUNDS);
    if (cpu_count < 2) {
        skip("spinlock contended", "only one CPU is online (it needs two)");
        skip("IPI round trip", "only one CPU is online (it needs two)");
        skip("wake-up latency", "only one CPU is online (it needs two)");
        return;
    }
    uint64_t cycles;
    time_contended(&cycles);
    if (time_contended(&cycles)) {
        bench_report("spinlock contended", cycles, 2 * SPIN_ROUNDS);
        kprintf("handoffs spinlock contended: %u of %d\n", handoffs, 2 * SPIN_ROUNDS);
    } else {
        skip("spinlock contended", "the two threads shared a CPU");
    }
    trap_set_handler(VEC_BENCH_IPI, on_bench_ipi);
    time_ipi_round_trip(&cycles);
    if (time_ipi_round_trip(&cycles))
        bench_report("IPI round trip", cycles, IPI_ROUNDS);
    else
        skip("IPI round trip", "the responder shared the sender's CPU");
    time_wakeup();
    bench_report("wake-up latency", time_wakeup(), WAKE_ROUNDS);
}
