/*
 * sys_arch.c: the operating-system layer lwIP runs on (NO_SYS=0; lwIP's
 * doc/sys_arch.txt says what each function must do), written on this
 * kernel's threads, channels and mutexes.
 *
 * - A mailbox is a channel of pointers: post is chan_send, trypost
 *   chan_try_send, fetch a chan_select with the timeout as its only other
 *   case. lwIP's tcpip thread reads its messages from one.
 * - A semaphore is a channel of one-byte tokens: signal sends one, wait
 *   takes one. lwIP uses its semaphores as binary ones (an operation is
 *   done); the channel has room for a few more, and overflowing it is a
 *   bug reported as one.
 * - A mutex is the kernel's mutex; the core lock is one.
 * - SYS_ARCH_PROTECT, lwIP's short critical sections (a pbuf's reference
 *   count), is one spinlock, which a CPU may take again inside.
 *
 * None of these objects belongs to a shell command's job (chan.h): the
 * stack outlives the command that opened a connection. A kernel thread
 * inside lwIP holds kills (thread.h) while it waits or holds a lock
 * here: unwound halfway, it would leave lwIP's state broken. A kernel
 * command that calls lwIP's netconn API holds them around the whole
 * call too: between the core lock and the wait for lwIP's answer, the
 * call's message sits on the command's stack.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/err.h"
#include "lwip/sys.h"

#include "chan.h"
#include "clock.h"
#include "heap.h"
#include "job.h"
#include "panic.h"
#include "random.h"
#include "spinlock.h"
#include "string.h"
#include "thread.h"
#include "wait.h"

#define SEM_ROOM 8
#define MBOX_MIN 16

static uint64_t now_ms(void)
{
    return clock_monotonic_ns() / 1000000;
}

void sys_init(void)
{
}

u32_t sys_now(void)
{
    return (u32_t)now_ms();
}

/* mem_clib_calloc (lwipopts.h): the heap has no calloc of its own. */
void *lwip_calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    void *p = kmalloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

/* For netif_find ("et1" is interface 1): decimal digits, after an
 * optional sign; what follows them is ignored, as in C's atoi. */
int atoi(const char *s)
{
    int sign = 1, n = 0;
    if (*s == '-' || *s == '+')
        sign = *s++ == '-' ? -1 : 1;
    while (*s >= '0' && *s <= '9' && n < 100000000)
        n = n * 10 + (*s++ - '0');
    return sign * n;
}

unsigned int sys_random_u32(void)
{
    unsigned int r;
    random_bytes(&r, sizeof(r));
    return r;
}

/* -- channels, for semaphores and mailboxes --------------------------------- */

static struct chan *new_chan(const char *name, size_t elem_size, size_t cap)
{
    struct chan *c = chan_new(name, elem_size, cap);
    if (c)
        job_forget(&c->owner);
    return c;
}

/* Take a value from c into elem, waiting timeout_ms at most (0: for ever).
 * The milliseconds waited, or SYS_ARCH_TIMEOUT. */
static u32_t take(struct chan *c, void *elem, u32_t timeout_ms)
{
    uint64_t start = now_ms();
    thread_hold_kills();
    int k;
    if (timeout_ms == 0) {
        chan_recv(c, elem);
        k = 0;
    } else {
        struct select_case cases[] = { { c, SELECT_RECV, elem, false } };
        k = chan_select(cases, 1, true, (int64_t)timeout_ms);
    }
    thread_release_kills();
    if (k == SELECT_TIMEOUT)
        return SYS_ARCH_TIMEOUT;
    if (k < 0)
        panic("lwip: a wait on '%s' failed (%d)", c->name, k);
    uint64_t waited = now_ms() - start;
    return waited < SYS_ARCH_TIMEOUT ? (u32_t)waited : SYS_ARCH_TIMEOUT - 1;
}

/* -- semaphores ------------------------------------------------------------- */

err_t sys_sem_new(sys_sem_t *sem, u8_t count)
{
    if (count > SEM_ROOM)
        panic("lwip: a semaphore with %u tokens, at most %d", count, SEM_ROOM);
    *sem = new_chan("lwip sem", 1, SEM_ROOM);
    if (*sem == NULL)
        return ERR_MEM;
    char token = 0;
    for (u8_t i = 0; i < count; i++)
        chan_try_send(*sem, &token);
    return ERR_OK;
}

void sys_sem_signal(sys_sem_t *sem)
{
    char token = 0;
    if (!chan_try_send(*sem, &token))
        panic("lwip: semaphore signalled %d times with nobody waiting", SEM_ROOM + 1);
}

u32_t sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout)
{
    char token;
    return take(*sem, &token, timeout);
}

void sys_sem_free(sys_sem_t *sem)
{
    chan_free(*sem);
}

/* -- mailboxes -------------------------------------------------------------- */

err_t sys_mbox_new(sys_mbox_t *mbox, int size)
{
    *mbox = new_chan("lwip mbox", sizeof(void *), size > MBOX_MIN ? (size_t)size : MBOX_MIN);
    return *mbox ? ERR_OK : ERR_MEM;
}

void sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
    thread_hold_kills();
    chan_send(*mbox, &msg);
    thread_release_kills();
}

err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
    return chan_try_send(*mbox, &msg) ? ERR_OK : ERR_MEM;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg)
{
    return sys_mbox_trypost(mbox, msg);
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout)
{
    void *m = NULL;
    u32_t waited = take(*mbox, &m, timeout);
    if (msg)
        *msg = waited == SYS_ARCH_TIMEOUT ? NULL : m;
    return waited;
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
    void *m = NULL;
    struct select_case cases[] = { { *mbox, SELECT_RECV, &m, false } };
    if (chan_select(cases, 1, false, 0) != 0)
        return SYS_MBOX_EMPTY;
    if (msg)
        *msg = m;
    return 0;
}

void sys_mbox_free(sys_mbox_t *mbox)
{
    if (chan_len(*mbox) != 0)
        panic("lwip: mailbox freed with %zu messages in it", chan_len(*mbox));
    chan_free(*mbox);
}

/* -- mutexes and the protection of short sections -------------------------- */

err_t sys_mutex_new(sys_mutex_t *mutex)
{
    *mutex = kmalloc(sizeof(**mutex));
    if (*mutex == NULL)
        return ERR_MEM;
    **mutex = (struct mutex)MUTEX_INIT("lwip");
    return ERR_OK;
}

void sys_mutex_lock(sys_mutex_t *mutex)
{
    thread_hold_kills();
    mutex_lock(*mutex);
}

void sys_mutex_unlock(sys_mutex_t *mutex)
{
    mutex_unlock(*mutex);
    thread_release_kills();
}

void sys_mutex_free(sys_mutex_t *mutex)
{
    kfree(*mutex);
}

static struct spinlock protect_lock = SPINLOCK_INIT("lwip protect");

sys_prot_t sys_arch_protect(void)
{
    if (spin_held(&protect_lock))
        return 1;               /* taken again inside: let go by the outer one */
    spin_lock(&protect_lock);
    return 0;
}

void sys_arch_unprotect(sys_prot_t nested)
{
    if (!nested)
        spin_unlock(&protect_lock);
}

/* -- threads ---------------------------------------------------------------- */

struct start {
    lwip_thread_fn fn;
    void *arg;
};

static void thread_main(void *arg)
{
    struct start s = *(struct start *)arg;
    thread_leave_job();         /* the stack's threads outlive any command */
    s.fn(s.arg);
}

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn thread, void *arg, int stacksize, int prio)
{
    (void)stacksize;            /* every kernel thread has the same stack */
    (void)prio;                 /* and the same priority */
    struct start s = { thread, arg };
    struct thread *t = thread_create_arg(name, thread_main, &s, sizeof(s));
    if (t == NULL)
        panic("lwip: no memory for thread '%s'", name);
    thread_detach(t);
    return t;
}

/* LWIP_ASSERT_CORE_LOCKED (lwipopts.h): a call into the stack's core
 * from a thread that neither holds the core lock nor is the tcpip thread
 * is a bug that would corrupt it later, far from its cause. */
extern sys_mutex_t lock_tcpip_core;

void sys_check_core_locked(void)
{
    struct mutex *m = lock_tcpip_core;
    if (m != NULL && m->owner != thread_current())
        panic("lwip: the stack's core used without its lock, by thread '%s'",
              thread_current()->name);
}
