/*
 * syscall.c: from SYSCALL's entry to the handler, and back.
 *
 * The table maps Linux's numbers to handlers; a number with none returns
 * -ENOSYS, never 0 (a program that believed a call worked would go on
 * with garbage), and the first such call of each number is reported on
 * the console with the call's name. With the tracer on (the `strace`
 * kernel option, or `run -s`), every call is logged with its arguments
 * and result.
 *
 * A handler runs with interrupts on, on the calling thread's kernel
 * stack, and may sleep. If the thread was killed meanwhile (its program
 * exited, Ctrl-C ended its job), it leaves here instead of returning.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "errno.h"
#include "format.h"
#include "kprintf.h"
#include "memlayout.h"
#include "process.h"
#include "signal.h"
#include "spinlock.h"
#include "sys.h"
#include "syscall.h"
#include "thread.h"
#include "trap.h"
#include "uthread.h"
#include "x86.h"

_Static_assert(__builtin_offsetof(struct cpu, syscall_rsp) == CPU_SYSCALL_RSP, "entry.S reads it");
_Static_assert(__builtin_offsetof(struct cpu, user_rsp) == CPU_USER_RSP, "entry.S writes it");

/* Linux's numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
static syscall_fn table[SYSCALL_MAX] = {
    [0] = sys_read, [1] = sys_write, [2] = sys_open, [3] = sys_close, [4] = sys_stat,
    [5] = sys_fstat, [6] = sys_lstat, [8] = sys_lseek, [9] = sys_mmap, [10] = sys_mprotect,
    [11] = sys_munmap, [12] = sys_brk, [13] = sys_rt_sigaction, [14] = sys_rt_sigprocmask,
    [15] = sys_rt_sigreturn, [34] = sys_pause, [36] = sys_getitimer, [37] = sys_alarm,
    [38] = sys_setitimer, [57] = sys_fork, [58] = sys_vfork, [59] = sys_execve, [61] = sys_wait4,
    [127] = sys_rt_sigpending, [130] = sys_rt_sigsuspend, [247] = sys_waitid,
    [23] = sys_select, [270] = sys_pselect6, [90] = sys_chmod, [91] = sys_fchmod,
    [268] = sys_fchmodat, [92] = sys_chown, [93] = sys_fchown, [94] = sys_lchown,
    [260] = sys_fchownat, [115] = sys_getgroups, [116] = sys_setgroups, [280] = sys_utimensat,
    [235] = sys_utimes, [261] = sys_futimesat,
    [16] = sys_ioctl, [17] = sys_pread64, [18] = sys_pwrite64, [19] = sys_readv,
    [20] = sys_writev, [21] = sys_access, [22] = sys_pipe, [7] = sys_poll, [24] = sys_sched_yield, [25] = sys_mremap,
    [28] = sys_madvise, [32] = sys_dup, [33] = sys_dup2, [35] = sys_nanosleep,
    [39] = sys_getpid, [56] = sys_clone, [60] = sys_exit, [62] = sys_kill, [63] = sys_uname,
    [72] = sys_fcntl, [74] = sys_fsync, [77] = sys_ftruncate, [79] = sys_getcwd,
    [80] = sys_chdir, [81] = sys_fchdir, [82] = sys_rename, [83] = sys_mkdir, [84] = sys_rmdir,
    [87] = sys_unlink, [88] = sys_symlink, [89] = sys_readlink, [95] = sys_umask,
    [96] = sys_gettimeofday, [97] = sys_getrlimit, [99] = sys_sysinfo, [102] = sys_getuid,
    [104] = sys_getgid, [107] = sys_geteuid, [108] = sys_getegid, [109] = sys_setpgid,
    [110] = sys_getppid, [111] = sys_getpgrp, [112] = sys_setsid, [118] = sys_getresuid,
    [120] = sys_getresgid, [121] = sys_getpgid, [124] = sys_getsid, [131] = sys_sigaltstack,
    [158] = sys_arch_prctl, [186] = sys_gettid, [200] = sys_tkill, [201] = sys_time,
    [202] = sys_futex, [204] = sys_sched_getaffinity, [213] = sys_epoll_create,
    [217] = sys_getdents64, [232] = sys_epoll_wait, [233] = sys_epoll_ctl,
    [218] = sys_set_tid_address, [228] = sys_clock_gettime, [229] = sys_clock_getres,
    [230] = sys_clock_nanosleep, [231] = sys_exit_group, [234] = sys_tgkill,
    [257] = sys_openat, [258] = sys_mkdirat, [262] = sys_newfstatat, [263] = sys_unlinkat,
    [264] = sys_renameat, [267] = sys_readlinkat, [269] = sys_faccessat,
    [271] = sys_ppoll, [273] = sys_set_robust_list, [281] = sys_epoll_pwait,
    [284] = sys_eventfd, [290] = sys_eventfd2, [291] = sys_epoll_create1, [292] = sys_dup3,
    [293] = sys_pipe2, [302] = sys_prlimit64,
    [316] = sys_renameat2, [318] = sys_getrandom, [332] = sys_statx, [439] = sys_faccessat2,
};
#define SYS_EXIT 60
#define SYS_EXIT_GROUP 231

static const char *registered_names[SYSCALL_MAX];
static struct spinlock table_lock = SPINLOCK_INIT("syscall table");

int syscall_register(unsigned nr, const char *name, syscall_fn fn)
{
    if (nr >= SYSCALL_MAX || fn == NULL)
        return -EINVAL;
    spin_lock(&table_lock);
    int err = table[nr] ? -EEXIST : 0;
    if (err == 0) {
        registered_names[nr] = name;
        __atomic_store_n(&table[nr], fn, __ATOMIC_RELEASE);
    }
    spin_unlock(&table_lock);
    return err;
}

static const char *name_of(unsigned nr)
{
    const char *name = nr < SYSCALL_MAX ? registered_names[nr] : NULL;
    if (name == NULL)
        name = syscall_name(nr);
    return name ? name : "unknown";
}

/* Report an unimplemented number once per process. */
static void report_enosys(struct process *p, uint64_t nr)
{
    if (nr < SYSCALL_MAX) {
        uint64_t bit = 1ull << (nr % 64);
        if (__atomic_fetch_or(&p->enosys_logged[nr / 64], bit, __ATOMIC_RELAXED) & bit)
            return;
    }
    kprintf("%s[%d]: system call %llu (%s) is not implemented: -ENOSYS\n", p->name, p->pid,
            (unsigned long long)nr, name_of((unsigned)nr));
}

/* SYSRET may return only to the registers it restores: RCX = RIP and
 * R11 = RFLAGS, and RIP must be a user address (SDM vol 2B, SYSRET: a
 * non-canonical RCX faults in ring 0, with the user's RSP). */
static bool sysret_ok(const struct trap_frame *tf)
{
    return tf->rcx == tf->rip && tf->r11 == tf->rflags && tf->rip < USER_TOP &&
           tf->cs == USER_CS && tf->ss == USER_SS &&
           (tf->rflags & (RFLAGS_TF | RFLAGS_IF)) == RFLAGS_IF;
}

/* The tracer's line: the call, its arguments, its result (or "?"). The
 * call and arguments are read before the handler runs: execve and
 * rt_sigreturn replace the registers they came in. */
static void trace(struct process *p, uint64_t nr, const uint64_t a[6], const char *result)
{
    kprintf("%s[%d] %s(0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx) = %s\n", p->name,
            uthread_current()->tid, name_of((unsigned)nr), (unsigned long long)a[0],
            (unsigned long long)a[1], (unsigned long long)a[2], (unsigned long long)a[3],
            (unsigned long long)a[4], (unsigned long long)a[5], result);
}

bool syscall_dispatch(struct trap_frame *tf)
{
    irq_enable();
    uint64_t nr = tf->rax;
    struct process *p = process_current();
    syscall_fn fn = nr < SYSCALL_MAX ? __atomic_load_n(&table[nr], __ATOMIC_ACQUIRE) : NULL;
    const uint64_t a[6] = { tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9 };
    /* exit and exit_group never return: traced before, as strace does. */
    if (p->strace && (nr == SYS_EXIT || nr == SYS_EXIT_GROUP))
        trace(p, nr, a, "?");
    long ret;
    if (fn)
        ret = fn(a[0], a[1], a[2], a[3], a[4], a[5]);
    else {
        report_enosys(p, nr);
        ret = -ENOSYS;
    }
    if (p->strace) {
        char result[24];
        ksnprintf(result, sizeof(result), "%ld", ret);
        trace(p, nr, a, result);
    }
    tf->rax = (uint64_t)ret;
    if (thread_killed())
        thread_exit();
    signal_return_to_user(tf, (long)nr);
    irq_disable();
    return sysret_ok(tf);
}
