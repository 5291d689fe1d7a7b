/*
 * process.h: a running program: its address space, its open files, its
 * current directory, and its threads.
 *
 * Part 1 of ch06 runs programs started by the kernel (the shell's `run`,
 * the init= option); fork, execve and wait come in part 2, which gives a
 * process a parent. A process lives as long as a reference to it: each of
 * its threads holds one, and whoever waits for it (run) holds one.
 */
#ifndef CUBOS_PROCESS_H
#define CUBOS_PROCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "spinlock.h"
#include "wait.h"

struct mm;
struct fd_table;
struct inode;

#define PROC_NAME_SIZE 16
#define PROC_PATH_SIZE 256
#define SYSCALL_MAX 512         /* syscall numbers the table covers */
#define NSIG 64

/* What rt_sigaction keeps (signals are delivered in part 2). */
struct sigaction_k {
    uint64_t handler, flags, restorer, mask;
};

struct process {
    int pid;                    /* its first thread's id, as on Linux */
    int refs;                   /* guarded by lock */
    char name[PROC_NAME_SIZE];  /* the program file's name, for reports */
    char exe[PROC_PATH_SIZE];   /* its path, for /proc/self/exe */
    struct mm *mm;
    struct fd_table *files;
    struct inode *cwd;
    unsigned umask;
    struct spinlock lock;
    int threads;                /* user threads still running */
    bool exiting;               /* exit_group or a fatal fault: threads leave */
    bool done;                  /* every thread has left; status is final */
    int status;                 /* wait status: exit code << 8, or the killing signal */
    struct wait_queue done_wait;    /* process_wait sleeps here */
    bool strace;                /* log every system call */
    uint64_t enosys_logged[SYSCALL_MAX / 64];  /* unimplemented numbers already reported */
    struct sigaction_k actions[NSIG];
    uint64_t start_clock;       /* timer_clock() when it started */
    struct process *all_next;   /* every process, for ps and /proc */
};

/* Load the static ELF program at path with argv and envp (NULL-ended)
 * into a new process whose first thread is started; stdin, stdout and
 * stderr are /dev/console. NULL with *err a negative errno and a line
 * printed saying why (a bad ELF, a missing file). The caller holds a
 * reference: process_wait, then process_put. */
struct process *process_spawn(const char *path, char *const argv[], char *const envp[],
                              bool strace, int *err);

/* Wait until p is done; its wait status. May sleep. */
int process_wait(struct process *p);

/* Take / drop a reference; the last drop frees it. */
void process_get(struct process *p);
void process_put(struct process *p);

/* End every thread of the calling thread's process with wait status
 * status (exit_group, a fatal fault); the caller's thread ends too. */
__attribute__((noreturn)) void process_exit(int status);

/* From uthread_exit: a thread of p has left (the last ends p). */
void process_thread_left(struct process *p);

/* End p's threads with wait status status (the first status set stays);
 * never blocks, so an interrupt handler may call it (Ctrl-C). */
void process_kill(struct process *p, int status);

/* The calling thread's process, or NULL in a kernel thread. */
struct process *process_current(void);

/* The calling thread's descriptor table (its process's). */
struct fd_table *process_files(void);

/* For /proc and ps: call visit on every process, under the list's lock. */
void process_each(void (*visit)(struct process *p, void *ctx), void *ctx);

/* Signal numbers the reports and statuses use (Linux's). */
#define SIGILL 4
#define SIGTRAP 5
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGSEGV 11
#define SIGINT 2

/* "exit status 3" / "killed by SIGSEGV" for a wait status. */
const char *signal_name(int sig);

#endif
