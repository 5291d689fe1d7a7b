/*
 * uthread.h: user threads: kernel threads that run a program's code.
 *
 * Each thread of a program is a kernel thread (thread.h) with a struct
 * uthread beside it. It runs in user mode, and in the kernel on its own
 * kernel stack while it makes a system call or takes an interrupt; the
 * registers it had in user mode are the struct trap_frame at the top of
 * that stack (uthread_frame). The scheduler calls uthread_switch so the
 * CPU follows it: its address space, its FPU registers, its FS base (the
 * thread pointer of musl and Go), the kernel stack for the next entry.
 */
#ifndef CUBOS_UTHREAD_H
#define CUBOS_UTHREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "signal.h"
#include "trap.h"

struct process;
struct thread;

struct uthread {
    struct process *proc;
    int tid;                    /* Linux's thread id (the first thread's is the pid) */
    void *fpu;                  /* FPU/SSE/AVX registers while switched out (user_cpu.h) */
    uint64_t fs_base;           /* arch_prctl(ARCH_SET_FS) / clone's CLONE_SETTLS */
    uint64_t gs_base;
    uint64_t clear_child_tid;   /* set_tid_address: zeroed and futex-woken at exit */
    struct thread_signals sig;  /* mask, pending, alternate stack (signal.h) */
};

/* How a new user thread starts, beyond its registers. */
struct uthread_init {
    int tid;                    /* its id (a new process's pid), or 0: a new one */
    uint64_t fs_base;
    uint64_t sigmask;           /* blocked signals: the creating thread's */
    uint64_t set_tid, set_tid2; /* user words it writes its id to first (0: none) */
    uint64_t clear_tid;         /* its set_tid_address */
    uint64_t altstack_sp, altstack_size;    /* sigaltstack: a forked child keeps its parent's */
    int altstack_flags;
};

/* Start a user thread of proc that enters user mode with the registers in
 * frame (cs, ss and rflags are set here), as init says. The new thread's
 * id, or -ENOMEM, -EAGAIN (no id left). */
int uthread_start(struct process *proc, const struct trap_frame *frame,
                  const struct uthread_init *init);

/* The user registers of the calling user thread, saved at its entry. */
struct trap_frame *uthread_frame(void);

/* The calling thread's struct uthread (NULL for a kernel thread). */
struct uthread *uthread_current(void);

/* From the scheduler, sched_lock held, just before switching from prev to
 * next, at least one of them a user thread. */
void uthread_switch(struct thread *prev, struct thread *next);

/* From thread_exit, when a user thread ends for any reason: it leaves
 * its process (the last one out ends the process). May sleep. */
void uthread_exit(void);

#endif
