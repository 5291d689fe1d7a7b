/*
 * process.h: a running program: its address space, its open files, its
 * current directory, its signal dispositions, and its threads, which
 * share them all; and its place in the family of processes.
 *
 * The kernel starts processes (the shell's `run`, the init= option); a
 * process starts others with fork (process_fork), replaces its program
 * with execve (syscall/sys_exec.c), and waits for its children
 * (syscall/sys_wait.c). A process that has ended stays a zombie, its exit status kept,
 * until its parent waits for it; the children of one that ends go to
 * init (pid 1) or, when no init program runs, to the kernel, which reaps
 * them itself. A process lives as long as a reference to it: each of its
 * threads holds one, its parent's link one, and whoever waits for it from
 * the kernel (run) one.
 *
 * Two locks: p->lock guards a process's own counts (refs, threads,
 * status); proc_lock guards the list of processes and the family: parent
 * and children links, groups and sessions, and the zombie state.
 */
#ifndef CUBOS_PROCESS_H
#define CUBOS_PROCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "ktimer.h"
#include "signal.h"
#include "spinlock.h"
#include "wait.h"

struct mm;
struct fd_table;
struct inode;
struct trap_frame;

#define PROC_NAME_SIZE 16
#define PROC_PATH_SIZE 256
#define PROC_CMDLINE_SIZE 128       /* of the command line kept for ps */
#define SYSCALL_MAX 512             /* syscall numbers the table covers */
#define PROCESS_MAX 256             /* processes at once, zombies too: fork's EAGAIN beyond */
#define PID_MAX 32768               /* ids of processes and threads are below (Linux's default) */
#define PID_INIT 1                  /* init's: kept for the init= program */

struct process {
    int pid;                    /* its first thread's id, as on Linux */
    int refs;                   /* guarded by lock */
    char name[PROC_NAME_SIZE];  /* the program file's name, for reports */
    char exe[PROC_PATH_SIZE];   /* its path, for /proc/self/exe */
    char cmdline[PROC_CMDLINE_SIZE];    /* argv, each ending with a NUL, cut (ps, /proc/PID/cmdline) */
    size_t cmdline_len;
    struct mm *mm;              /* changed under lock (execve, the end): readers take a reference */
    struct fd_table *files;
    struct inode *cwd;
    unsigned umask;
    int nproc_limit;            /* RLIMIT_NPROC: fork fails past this many processes */
    struct spinlock lock;
    int threads;                /* user threads still running */
    bool exiting;               /* exit_group or a fatal signal: threads leave */
    bool execing;               /* execve ends the other threads: they leave */
    int status;                 /* wait status: exit code << 8, or the killing signal */
    struct wait_queue threads_gone; /* execve waits here for the other threads to leave */
    bool strace;                /* log every system call */
    uint64_t enosys_logged[SYSCALL_MAX / 64];  /* unimplemented numbers already reported */
    uint64_t start_ns;          /* clock_monotonic_ns() when it started */

    /* The family, under proc_lock. */
    struct process *parent;     /* NULL: the kernel's (started by it, or an orphan without init) */
    bool linked;                /* the parent's link holds a reference */
    struct process *children;   /* the first child; the others follow by sibling */
    struct process *sibling;
    int pgid, sid;              /* process group, session */
    bool done;                  /* every thread has left: a zombie until reaped; status final */
    int exit_signal;            /* sent to the parent when it ends (SIGCHLD, clone's low byte) */
    struct wait_queue child_wait;   /* wait4 sleeps here for a child to change */
    struct wait_queue done_wait;    /* process_wait (the kernel's run) sleeps here */
    bool vfork_pending;         /* a vfork child: its parent waits until it execs or ends */
    struct wait_queue vfork_wait;
    struct process *all_next;   /* every process, for ps and /proc */

    struct signals sig;         /* dispositions, pending, stop state (signal.h) */
    struct mutex alarm_lock;    /* alarm and setitimer, one at a time */
    struct ktimer alarm;        /* ITIMER_REAL: SIGALRM when it fires */
    uint64_t alarm_interval_ms, alarm_deadline_ns;
};

/* The lock of the family links and the process list. */
extern struct spinlock proc_lock;

/* Load the static ELF program at path with argv and envp (NULL-ended)
 * into a new process whose first thread is started; stdin, stdout and
 * stderr are /dev/console. init: it is the init= program and gets pid 1.
 * NULL with *err a negative errno and a line printed saying why (a bad
 * ELF, a missing file). The caller holds a reference: process_wait, then
 * process_put. */
struct process *process_spawn(const char *path, char *const argv[], char *const envp[],
                              bool strace, bool init, int *err);

/* clone's flags (linux/sched.h). */
#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_VFORK 0x4000
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_DETACHED 0x400000
#define CLONE_CHILD_SETTID 0x1000000
#define CLONE_SIGNAL_MASK 0xFF

/* What clone was asked, beyond the registers. */
struct clone_request {
    uint64_t flags, stack, parent_tid, child_tid, tls;
};

/* fork, vfork and clone without CLONE_THREAD: a child of the calling
 * process whose first thread starts from frame with rax 0 (on
 * req->stack, if not 0). CLONE_VM shares the address space, CLONE_VFORK
 * makes the caller wait until the child execs or ends; the low byte of
 * the flags is the signal the parent gets when the child ends; the TID
 * and TLS flags act as for a thread. The child's pid, or -EAGAIN
 * (PROCESS_MAX reached), -ENOMEM. May sleep. */
long process_fork(const struct trap_frame *frame, const struct clone_request *req);

/* Name p after the program at path run with argv (for reports and ps). */
void process_set_program(struct process *p, const char *path, char *const argv[]);

/* Wait until p is done; its wait status. May sleep. */
int process_wait(struct process *p);

/* Take / drop a reference; the last drop frees it. */
void process_get(struct process *p);
void process_put(struct process *p);

/* The process with id pid, with a reference taken, or NULL. */
struct process *process_find(int pid);

/* Take p off the list of processes, proc_lock held: done when a wait reaps
 * it, so that its pid names nothing any more (kill gets ESRCH) although a
 * reference may still hold it for a moment; the last process_put frees it
 * (and its pid). Taking it off twice does nothing. */
void process_unlist(struct process *p);

/* End every thread of the calling thread's process with wait status
 * status (exit_group, a fatal signal); the caller's thread ends too. */
__attribute__((noreturn)) void process_exit(int status);

/* From uthread_exit: a thread of p has left (the last ends p). */
void process_thread_left(struct process *p);

/* End p's threads with wait status status (the first status set stays);
 * never blocks, so an interrupt handler may call it. */
void process_kill(struct process *p, int status);

/* execve: end every thread of the caller's process but the caller, and
 * wait until they are gone. 0, or -EINTR if the caller was killed or
 * another thread is doing the same. May sleep. */
int process_single_thread(void);

/* A vfork child execs or ends: its parent goes on. */
void process_vfork_release(struct process *p);

/* A child of p, p itself or p's children changed (ended, stopped, went
 * on): wake whoever waits in wait4. proc_lock held. */
void process_notify_parent(struct process *child, int why);

/* The calling thread's process, or NULL in a kernel thread. */
struct process *process_current(void);

/* The calling thread's process's current directory, referenced (inode_put it). */
struct inode *process_cwd(void);

/* The calling thread's descriptor table (its process's). */
struct fd_table *process_files(void);

/* How many processes there are, zombies too (sysinfo). */
int process_count_all(void);

/* The first process of the list (proc_lock held); all_next leads on. */
struct process *processes_first(void);

/* For /proc and ps: call visit on every process, under proc_lock. */
void process_each(void (*visit)(struct process *p, void *ctx), void *ctx);

/* Id allocation for processes and threads (Linux's one number space):
 * a free id at least 2 (pid 1 is init's), or -EAGAIN; and its return. */
int pid_alloc(void);
void pid_free(int pid);

/* The shell's ps: every process, its threads under it. */
void process_print_all(void);

#endif
