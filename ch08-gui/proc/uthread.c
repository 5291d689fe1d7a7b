/*
 * uthread.c: running a program's threads on kernel threads.
 *
 * A user thread starts as a kernel thread whose stack top holds the
 * register frame it will enter user mode with (thread_create_arg puts it
 * exactly where SYSCALL's entry and TSS.RSP0 put frames later), and whose
 * first kernel code, user_thread_main, leaves for user mode through it.
 * From then on it is in the kernel only for system calls, interrupts and
 * faults, each entering at the same stack top.
 *
 * The CPU's user state follows the thread at each switch (uthread_switch):
 * CR3 (every thread of a process shares its address space; a kernel
 * thread runs on the kernel's own, so that an address space can be freed
 * once its threads are gone, whichever CPU they last ran on), the FPU
 * registers, FS and the user GS base, and the kernel stack top for the
 * next entry from user mode (TSS.RSP0 and struct cpu's syscall_rsp).
 */
#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "errno.h"
#include "gdt.h"
#include "heap.h"
#include "kernel_map.h"
#include "panic.h"
#include "process.h"
#include "sched.h"
#include "string.h"
#include "thread.h"
#include "uaccess.h"
#include "user_cpu.h"
#include "uthread.h"
#include "vm.h"
#include "x86.h"
#include "futex.h"

__attribute__((noreturn)) void user_enter(struct trap_frame *tf);

/* RFLAGS of a thread entering user mode: interrupts on, nothing else. */
#define USER_RFLAGS_INITIAL (RFLAGS_IF | RFLAGS_RESERVED1)

struct uthread *uthread_current(void)
{
    return cpu_current()->user;
}

struct trap_frame *uthread_frame(void)
{
    return (struct trap_frame *)(thread_current()->stack_top - sizeof(struct trap_frame));
}

/* What a new user thread finds at its stack top: its frame last, so the
 * frame ends exactly at the top (thread_create_arg rounds to 16 bytes). */
struct user_start {
    struct uthread *u;
    uint64_t set_tid[2];        /* user words to write the new thread's id to (0: none) */
    uint64_t pad;
    struct trap_frame tf;
};
_Static_assert(sizeof(struct user_start) % 16 == 0, "the frame must end at the stack top");

/* Load next's user state into this CPU (see the header comment). */
static void load_user_state(struct cpu *cpu, struct thread *next)
{
    struct uthread *u = next->user;
    fpu_restore(u->fpu);
    if ((read_cr3() & PTE_ADDR_MASK) != u->proc->mm->root)
        write_cr3(u->proc->mm->root);
    wrmsr(MSR_FS_BASE, u->fs_base);
    wrmsr(MSR_KERNEL_GS_BASE, u->gs_base);
    cpu->syscall_rsp = next->stack_top;
    gdt_set_kernel_stack(cpu->id, next->stack_top);
}

static void user_thread_main(void *arg)
{
    struct user_start *start = arg;
    struct thread *t = thread_current();
    if ((uint64_t)(&start->tf + 1) != t->stack_top)
        panic("user thread: its frame is not at the top of its stack");
    /* Becoming a user thread and loading the user state, with no switch
     * in between: from here on uthread_switch saves and loads that state
     * at every switch, and a kill of its process finds it (kill_threads
     * looks for t->user under sched_lock). */
    irq_disable();
    spin_lock(&sched_lock);
    t->user = start->u;
    load_user_state(this_cpu(), t);
    spin_unlock(&sched_lock);
    irq_enable();
    thread_leave_job();
    /* Born while its process ends or execs, after the kill looked for its
     * threads: it leaves at once. */
    struct process *p = start->u->proc;
    spin_lock(&p->lock);
    bool dying = p->exiting || p->execing;
    spin_unlock(&p->lock);
    if (dying)
        thread_exit();
    irq_disable();
    /* clone's CLONE_PARENT_SETTID / CLONE_CHILD_SETTID, written before the
     * thread's first instruction: musl's mutexes use the id at once. A
     * bad address is the program's business (Linux ignores it too). */
    for (int i = 0; i < 2; i++) {
        int tid = start->u->tid;
        if (start->set_tid[i])
            (void)copy_to_user((void *)start->set_tid[i], &tid, sizeof(tid));
    }
    user_enter(&start->tf);
}

int uthread_start(struct process *proc, const struct trap_frame *frame,
                  const struct uthread_init *init)
{
    struct uthread *u = kmalloc(sizeof(*u));
    if (u == NULL)
        return -ENOMEM;
    memset(u, 0, sizeof(*u));
    u->fpu = fpu_alloc();
    if (u->fpu == NULL) {
        kfree(u);
        return -ENOMEM;
    }
    u->tid = init->tid ? init->tid : pid_alloc();
    if (u->tid < 0) {
        int err = u->tid;
        fpu_free(u->fpu);
        kfree(u);
        return err;
    }
    u->proc = proc;
    u->fs_base = init->fs_base;
    u->clear_child_tid = init->clear_tid;
    u->sig.mask = init->sigmask & ~SIG_UNBLOCKABLE;
    u->sig.altstack_sp = init->altstack_sp;
    u->sig.altstack_size = init->altstack_size;
    u->sig.altstack_flags = init->altstack_size ? init->altstack_flags : SS_DISABLE;
    struct user_start start = { u, { init->set_tid, init->set_tid2 }, 0, *frame };
    start.tf.cs = USER_CS;
    start.tf.ss = USER_SS;
    start.tf.rflags = USER_RFLAGS_INITIAL;

    spin_lock(&proc->lock);
    proc->threads++;
    proc->refs++;
    spin_unlock(&proc->lock);
    /* Read before the thread exists: it may run, end and free u on
     * another CPU before thread_create_arg has even returned. */
    int tid = u->tid;
    struct thread *t = thread_create_arg(proc->name, user_thread_main, &start, sizeof(start));
    if (t == NULL) {
        spin_lock(&proc->lock);
        proc->threads--;
        proc->refs--;
        spin_unlock(&proc->lock);
        if (u->tid != proc->pid)
            pid_free(u->tid);
        fpu_free(u->fpu);
        kfree(u);
        return -ENOMEM;
    }
    thread_detach(t);
    return tid;
}

void uthread_switch(struct thread *prev, struct thread *next)
{
    struct cpu *cpu = this_cpu();
    if (prev->user)
        fpu_save(prev->user->fpu);
    if (next->user)
        load_user_state(cpu, next);
    else if ((read_cr3() & PTE_ADDR_MASK) != kernel_root)
        write_cr3(kernel_root);
}

void uthread_exit(void)
{
    struct thread *t = thread_current();
    struct uthread *u = t->user;
    struct process *p = u->proc;
    /* Leaving may sleep (closing files); an interrupt's kill point may
     * have brought the thread here with interrupts off, at depth 0. It is
     * on its way out already: from here no kill (sched_kill) may stop it
     * halfway, at a wait or at an interrupt's kill point. */
    spin_lock(&sched_lock);
    t->leaving = true;
    t->killed = false;
    spin_unlock(&sched_lock);
    irq_enable();
    if (u->clear_child_tid && !p->exiting && !p->execing) {
        /* pthread_join waits on this word (CLONE_CHILD_CLEARTID). */
        uint32_t zero = 0;
        if (copy_to_user((void *)u->clear_child_tid, &zero, sizeof(zero)) == 0)
            futex_wake(p, u->clear_child_tid, 1);
    }
    /* From here the thread is a kernel thread on the kernel's address
     * space: the scheduler no longer loads its user state. p->lock: a
     * signal being sent to this thread (signal.c) is done with u first. */
    spin_lock(&p->lock);
    spin_lock(&sched_lock);
    t->user = NULL;
    write_cr3(kernel_root);
    spin_unlock(&sched_lock);
    spin_unlock(&p->lock);
    if (u->tid != p->pid)
        pid_free(u->tid);       /* the pid itself goes with the process */
    fpu_free(u->fpu);
    kfree(u);
    process_thread_left(p);
}
