/*
 * host_kernel.h: the kernel services channels stand on, rebuilt on
 * pthreads, so that chan.c, select.c, chan_timer.c and ktimer.c run
 * unchanged on the host with real threads racing. Included once, by a test
 * program built with host/ first on the include path (host/cpu.h).
 *
 *   spin_lock   a test-and-set spin on the kernel's own struct spinlock
 *               (sched_yield while taken), so a thread can hold several.
 *               Taking a lock one holds, or releasing one not held, stops
 *               the test: the kernel reports both.
 *   threads     host_spawn makes a pthread with a struct thread and a
 *               struct cpu of its own: thread_current() and this_cpu().
 *   parking     thread_park keeps thread.h's contract: it takes park_mutex
 *               (the kernel's sched_lock) before it lets go of the
 *               spinlocks, so a waker, who must hold one of them, finds
 *               the thread parked, never about to park. Both sides are
 *               checked: the parker names exactly the spinlocks it holds,
 *               the waker holds one of them. thread_unpark of a thread not
 *               parked is ignored, as in the kernel, and counted unless
 *               the thread was killed (a select's timeout firing before
 *               the select parks is the one other fair case).
 *   ending      thread_unwind (killed) and thread_stop_for_bug end the
 *               pthread, recording how; the last bug report is kept.
 *   might_sleep checks that no spinlock is held.
 *   the rest    kmalloc is malloc (ASan sees every channel and select
 *               record); one job owns what job_adopt is given; the clock
 *               is a variable that host_tick advances.
 *
 * CHECK (check.h) is redefined to count failures atomically: any thread
 * may call it.
 */
#ifndef CUBOS_TEST_HOST_KERNEL_H
#define CUBOS_TEST_HOST_KERNEL_H

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "cpu.h"
#include "heap.h"
#include "job.h"
#include "ktimer.h"
#include "spinlock.h"
#include "thread.h"
#include "timer.h"

#include "check.h"

#undef CHECK
#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: FAIL %s\n", __FILE__, __LINE__, #cond);   \
            __atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);               \
        }                                                                     \
    } while (0)

#define HOST_WAIT_SECONDS 10    /* host_wait_parked gives up after this */

enum host_end { HOST_RUNNING, HOST_RETURNED, HOST_UNWOUND, HOST_BUG };

struct host_thread {
    struct thread t;                    /* first: thread_current() points here */
    struct cpu cpu;
    pthread_t pthread;
    pthread_cond_t wake;
    void (*fn)(void *arg);
    void *arg;
    unsigned locks_held;
    enum host_end end;
    /* Under park_mutex: */
    bool parked, woken;
    struct spinlock *const *park_locks; /* while parked: the locks it let go */
    int npark_locks;
};

static pthread_mutex_t park_mutex = PTHREAD_MUTEX_INITIALIZER;
static __thread struct host_thread *self;
static struct host_thread main_thread;
static int next_thread_id;
static long ignored_unparks;            /* unparks of a thread not parked, nor killed */
static long bugs;                       /* threads stopped by thread_stop_for_bug */

static __attribute__((noreturn, format(printf, 1, 2))) void fatal(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "FATAL: ");
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\n");
    va_end(args);
    abort();
}

/* The kernel's panic (a lab's stub calls it): say where, and stop. */
void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "PANIC at %s:%d: ", file, line);
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\n");
    va_end(args);
    abort();
}

/* ---- Bug reports, heap, jobs, clock ---------------------------------------- */

static pthread_mutex_t bug_mutex = PTHREAD_MUTEX_INITIALIZER;
static char last_bug[256];              /* the last thread_stop_for_bug's text */

/* Does the last bug report contain s? */
static inline bool last_bug_has(const char *s)
{
    pthread_mutex_lock(&bug_mutex);
    bool has = strstr(last_bug, s) != NULL;
    pthread_mutex_unlock(&bug_mutex);
    return has;
}

void *kmalloc(size_t size)
{
    return malloc(size);
}

void kfree(void *ptr)
{
    free(ptr);
}

void *krealloc(void *ptr, size_t size)
{
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

static pthread_mutex_t job_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct job host_job = { .resources = { &host_job.resources, &host_job.resources, NULL, NULL } };

void job_adopt(struct job_resource *r)
{
    pthread_mutex_lock(&job_mutex);
    struct job_resource *head = &host_job.resources;
    r->job = &host_job;
    r->prev = head;
    r->next = head->next;
    head->next->prev = r;
    head->next = r;
    pthread_mutex_unlock(&job_mutex);
}

void job_forget(struct job_resource *r)
{
    pthread_mutex_lock(&job_mutex);
    if (r->job) {
        r->prev->next = r->next;
        r->next->prev = r->prev;
        r->job = NULL;
    }
    pthread_mutex_unlock(&job_mutex);
}

static inline size_t host_job_resources(void)
{
    pthread_mutex_lock(&job_mutex);
    size_t n = 0;
    for (struct job_resource *r = host_job.resources.next; r != &host_job.resources; r = r->next)
        n++;
    pthread_mutex_unlock(&job_mutex);
    return n;
}

/* End the job as job_end does once its threads are gone: release what it
 * still owns, newest first. How many were released. */
static inline size_t host_job_end(void)
{
    size_t n = 0;
    for (;;) {
        pthread_mutex_lock(&job_mutex);
        struct job_resource *r = host_job.resources.next;
        if (r == &host_job.resources) {
            pthread_mutex_unlock(&job_mutex);
            return n;
        }
        r->prev->next = r->next;
        r->next->prev = r->prev;
        r->job = NULL;
        pthread_mutex_unlock(&job_mutex);
        r->release(r);
        n++;
    }
}

static uint64_t host_ticks;

uint64_t timer_ticks(void)
{
    return __atomic_load_n(&host_ticks, __ATOMIC_RELAXED);
}

uint64_t timer_uptime_ms(void)
{
    return timer_ticks() * 1000 / TIMER_HZ;
}

/* The clock counts ticks here (the kernel's counts TSC cycles): a deadline
 * ms from now is the first tick at least ms away. */
uint64_t timer_clock(void)
{
    return timer_ticks();
}

uint64_t timer_clock_after_ms(uint64_t ms)
{
    uint64_t ticks = ms / 1000 * TIMER_HZ + (ms % 1000 * TIMER_HZ + 999) / 1000;
    return timer_deadline(timer_clock(), ticks > 0 ? ticks : 1, 1);
}

/* One timer interrupt on CPU 0: the clock moves, due timers fire. */
static inline void host_tick(void)
{
    __atomic_add_fetch(&host_ticks, 1, __ATOMIC_RELAXED);
    ktimer_tick();
}

/* ---- Spinlocks ------------------------------------------------------------- */

struct cpu *this_cpu(void)
{
    return &self->cpu;
}

bool spin_held(const struct spinlock *l)
{
    return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
           __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == &self->cpu;
}

void spin_lock(struct spinlock *l)
{
    if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == &self->cpu)
        fatal("spin_lock: thread '%s' takes '%s', which it holds", self->t.name, l->name);
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            sched_yield();
    __atomic_store_n(&l->owner, &self->cpu, __ATOMIC_RELAXED);
    self->locks_held++;
}

void spin_unlock(struct spinlock *l)
{
    if (!spin_held(l))
        fatal("spin_unlock: thread '%s' releases '%s', which it does not hold", self->t.name, l->name);
    __atomic_store_n(&l->owner, NULL, __ATOMIC_RELAXED);
    self->locks_held--;
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* Interrupts off: each host thread has its own "CPU", so nothing to do. */
void irq_push_off(void)
{
}

void irq_pop_off(void)
{
}

/* ---- Threads --------------------------------------------------------------- */

static void host_thread_init(struct host_thread *h, const char *name)
{
    h->t.id = next_thread_id++;
    snprintf(h->t.name, sizeof(h->t.name), "%s", name);
    h->t.state = THREAD_RUNNING;
    h->cpu.self = &h->cpu;
    h->cpu.id = (unsigned)h->t.id % MAX_CPUS;
    pthread_cond_init(&h->wake, NULL);
}

/* Make the calling thread (main) a kernel thread; first thing in main. */
static inline void host_init(void)
{
    host_thread_init(&main_thread, "main");
    self = &main_thread;
    setvbuf(stdout, NULL, _IOLBF, 0);
}

static void *host_trampoline(void *arg)
{
    self = arg;
    self->fn(self->arg);
    if (self->locks_held != 0)
        fatal("thread '%s' returned holding %u spinlocks", self->t.name, self->locks_held);
    self->end = HOST_RETURNED;
    return NULL;
}

static inline struct host_thread *host_spawn(const char *name, void (*fn)(void *arg), void *arg)
{
    struct host_thread *h = calloc(1, sizeof(*h));
    if (h == NULL)
        fatal("out of memory");
    host_thread_init(h, name);
    h->fn = fn;
    h->arg = arg;
    if (pthread_create(&h->pthread, NULL, host_trampoline, h) != 0)
        fatal("pthread_create failed");
    return h;
}

/* Wait for h to end and free it; how it ended. */
static inline enum host_end host_join(struct host_thread *h)
{
    pthread_join(h->pthread, NULL);
    enum host_end end = h->end;
    pthread_cond_destroy(&h->wake);
    free(h);
    return end;
}

static __attribute__((noreturn)) void host_exit(enum host_end end)
{
    if (self == &main_thread)
        fatal("the main thread would end (%s)", end == HOST_BUG ? "a bug" : "unwound");
    if (self->locks_held != 0)
        fatal("thread '%s' ends holding %u spinlocks", self->t.name, self->locks_held);
    self->end = end;
    pthread_exit(NULL);
}

struct thread *thread_current(void)
{
    return &self->t;
}

void thread_unwind(void)
{
    host_exit(HOST_UNWOUND);
}

void thread_stop_for_bug(const void *caller, const char *fmt, ...)
{
    (void)caller;
    va_list args;
    va_start(args, fmt);
    pthread_mutex_lock(&bug_mutex);
    vsnprintf(last_bug, sizeof(last_bug), fmt, args);
    pthread_mutex_unlock(&bug_mutex);
    va_end(args);
    __atomic_fetch_add(&bugs, 1, __ATOMIC_RELAXED);
    host_exit(HOST_BUG);
}

void sched_check_may_sleep(const char *what, const void *caller, unsigned locks_allowed)
{
    (void)caller;
    if (self->locks_held > locks_allowed)
        fatal("%s may sleep, but thread '%s' holds %u spinlocks", what, self->t.name, self->locks_held);
}

void thread_park(struct spinlock *const *held, int n, const struct wait_reason *why)
{
    if (self->locks_held != (unsigned)n)
        fatal("thread_park: '%s' names %d locks but holds %u", self->t.name, n, self->locks_held);
    for (int i = 0; i < n; i++)
        if (!spin_held(held[i]))
            fatal("thread_park: '%s' names '%s', which it does not hold", self->t.name, held[i]->name);
    pthread_mutex_lock(&park_mutex);
    self->t.waiting = *why;
    self->t.state = THREAD_BLOCKED;
    self->park_locks = held;
    self->npark_locks = n;
    self->parked = true;
    self->woken = false;
    for (int i = n - 1; i >= 0; i--)
        spin_unlock(held[i]);
    while (!self->woken && !self->t.killed)
        pthread_cond_wait(&self->wake, &park_mutex);
    self->parked = false;
    self->park_locks = NULL;
    self->t.state = THREAD_RUNNING;
    pthread_mutex_unlock(&park_mutex);
}

void thread_unpark(struct thread *t)
{
    struct host_thread *h = (struct host_thread *)t;
    pthread_mutex_lock(&park_mutex);
    if (h->parked && !h->woken) {
        bool holds_one = false;
        for (int i = 0; i < h->npark_locks; i++)
            holds_one = holds_one || spin_held(h->park_locks[i]);
        if (!holds_one)
            fatal("thread_unpark('%s') by '%s', who holds none of the locks it parked with",
                  h->t.name, self->t.name);
        h->woken = true;
        pthread_cond_signal(&h->wake);
    } else if (!h->t.killed) {
        ignored_unparks++;      /* a killed thread may have left its park already */
    }
    pthread_mutex_unlock(&park_mutex);
}

/* Kill h, as sched_kill does when its job ends: it unwinds at its next wait. */
static inline void host_kill(struct host_thread *h)
{
    pthread_mutex_lock(&park_mutex);
    h->t.killed = true;
    if (h->parked)
        pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&park_mutex);
}

static inline bool host_parked(struct host_thread *h)
{
    pthread_mutex_lock(&park_mutex);
    bool parked = h->parked && !h->woken;
    pthread_mutex_unlock(&park_mutex);
    return parked;
}

static inline long host_ignored_unparks(void)
{
    pthread_mutex_lock(&park_mutex);
    long n = ignored_unparks;
    pthread_mutex_unlock(&park_mutex);
    return n;
}

static inline void host_sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}

/* Wait until h is parked; a thread that never parks stops the test. */
static inline void host_wait_parked(struct host_thread *h)
{
    for (long us = 0; !host_parked(h); us += 20) {
        if (us > HOST_WAIT_SECONDS * 1000000L)
            fatal("thread '%s' never parked", h->t.name);
        host_sleep_us(20);
    }
}

/* ---- Watchdog -------------------------------------------------------------- */

static const char *watched_test;
static long watchdog_deadline;          /* seconds on CLOCK_MONOTONIC; 0: off */

static inline long monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* A hang (a deadlock, a lost wakeup) ends the program with a message
 * instead of running into the harness's timeout. */
static inline void *watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        long deadline = __atomic_load_n(&watchdog_deadline, __ATOMIC_RELAXED);
        if (deadline && monotonic_seconds() > deadline) {
            fprintf(stderr, "FATAL: watchdog: %s still runs after its time: a deadlock or a lost wakeup\n",
                    __atomic_load_n(&watched_test, __ATOMIC_RELAXED));
            _exit(3);
        }
        host_sleep_us(100000);
    }
    return NULL;
}

/* Name the test now running, which must end within seconds. */
static inline void host_watch(const char *test, long seconds)
{
    static pthread_t watcher;
    if (!watcher && pthread_create(&watcher, NULL, watchdog, NULL) != 0)
        fatal("pthread_create failed");
    __atomic_store_n(&watched_test, test, __ATOMIC_RELAXED);
    __atomic_store_n(&watchdog_deadline, monotonic_seconds() + seconds, __ATOMIC_RELAXED);
    printf("%s\n", test);
}

/* ---- Small helpers for the tests ------------------------------------------ */

static inline uint64_t host_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static inline struct chan *new_chan(const char *name, size_t cap)
{
    struct chan *c = chan_new(name, sizeof(long), cap);
    if (c == NULL)
        fatal("chan_new failed");
    return c;
}

static inline struct select_case recv_case(struct chan *c, long *v)
{
    return (struct select_case){ .c = c, .dir = SELECT_RECV, .elem = v };
}

static inline struct select_case send_case(struct chan *c, long *v)
{
    return (struct select_case){ .c = c, .dir = SELECT_SEND, .elem = v };
}

/* Nobody waits on c. */
static inline bool no_waiters(struct chan *c)
{
    spin_lock(&c->lock);
    bool none = c->senders.head == NULL && c->receivers.head == NULL;
    spin_unlock(&c->lock);
    return none;
}

#endif
