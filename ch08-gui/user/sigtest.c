/*
 * sigtest.c: signal handlers in one process.
 *
 * Shows that the kernel runs a handler installed with sigaction and
 * returns from it (rt_sigreturn) to where the program was: the siginfo a
 * handler gets (si_code SI_USER from kill, SI_TKILL from tgkill and from
 * musl's raise, which calls tkill), the signal mask inside a handler (the
 * signal itself and sa_mask blocked unless SA_NODEFER), SA_RESETHAND,
 * blocked signals staying pending, SIGSEGV from a NULL read (SEGV_MAPERR)
 * and a write to a read-only page (SEGV_ACCERR) left with siglongjmp, a
 * handler on an alternate stack (SA_ONSTACK), registers, SSE registers and
 * the floating-point control state surviving a handler that changes them,
 * and that SIGKILL and SIGSTOP cannot be caught. sigproc.c has the signals
 * between processes and timers. Each check prints `ok: WHAT` or
 * `FAIL: WHAT: DETAILS`, and the last line is
 *
 *   sigtest: all N checks passed          (status 0)
 *   sigtest: K of N checks failed         (status 1)
 *
 * The same binary passes on Linux, where each expectation comes from.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define ALT_STACK_BYTES (64 * 1024)
#define PAGE_BYTES 4096
#define MXCSR_ROUNDING (3u << 13)   /* Intel SDM vol. 1, 10.2.3: RC field */
#define REG_MAGIC 0x0123456789abcdefUL

/* What info_handler saw at its last run. */
static volatile sig_atomic_t handled;
static siginfo_t last_info;
static int last_had_context;
static sigset_t mask_inside;
static char *local_address;
static int alt_flags;

static void info_handler(int sig, siginfo_t *info, void *context)
{
    char local;
    stack_t alt;
    (void)sig;
    last_info = *info;
    last_had_context = context != NULL;
    sigprocmask(SIG_BLOCK, NULL, &mask_inside);
    local_address = &local;
    sigaltstack(NULL, &alt);
    alt_flags = alt.ss_flags;
    handled++;
}

/* Install info_handler for sig with SA_SIGINFO | flags, blocking also. */
static void install(int sig, int flags, int also)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (also != 0)
        sigaddset(&sa.sa_mask, also);
    if (sigaction(sig, &sa, NULL) != 0) {
        perror("sigtest: sigaction");
        exit(1);
    }
}

static void check_delivery(void)
{
    install(SIGUSR1, 0, 0);
    raise(SIGUSR1);
    check(handled == 1 && last_info.si_signo == SIGUSR1, "a sigaction handler runs on raise()",
          "ran %d times, si_signo %d", handled, last_info.si_signo);
    check(last_info.si_code == SI_TKILL && last_info.si_pid == getpid(),
          "raise(): si_code SI_TKILL (-6), si_pid", "si_code %d si_pid %d", last_info.si_code,
          last_info.si_pid);
    kill(getpid(), SIGUSR1);
    check(handled == 2 && last_info.si_code == SI_USER && last_info.si_pid == getpid()
              && last_info.si_uid == getuid(),
          "kill(getpid()): si_code SI_USER (0), si_pid, si_uid",
          "ran %d times, si_code %d si_pid %d si_uid %d", handled, last_info.si_code,
          last_info.si_pid, last_info.si_uid);
    check(last_had_context, "the handler's ucontext pointer is not NULL", "it was NULL");
    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
    check(handled == 3 && last_info.si_code == SI_TKILL, "tgkill to this thread: si_code SI_TKILL",
          "ran %d times, si_code %d", handled, last_info.si_code);

    sigset_t now;
    install(SIGUSR1, 0, SIGUSR2);
    raise(SIGUSR1);
    check(sigismember(&mask_inside, SIGUSR1) && sigismember(&mask_inside, SIGUSR2),
          "inside a handler its signal and sa_mask are blocked", "SIGUSR1 %d SIGUSR2 %d",
          sigismember(&mask_inside, SIGUSR1), sigismember(&mask_inside, SIGUSR2));
    sigprocmask(SIG_BLOCK, NULL, &now);
    check(!sigismember(&now, SIGUSR1) && !sigismember(&now, SIGUSR2),
          "the mask is restored when the handler returns", "still blocked");
    install(SIGUSR1, SA_NODEFER, 0);
    raise(SIGUSR1);
    check(!sigismember(&mask_inside, SIGUSR1), "SA_NODEFER: the signal is not blocked inside",
          "it was blocked");
}

static void check_pending_and_resethand(void)
{
    sigset_t usr1, pending;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    install(SIGUSR1, 0, 0);
    int before = handled;
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    raise(SIGUSR1);
    sigpending(&pending);
    check(handled == before && sigismember(&pending, SIGUSR1),
          "a blocked signal stays pending, its handler not run", "ran %d times, pending %d",
          handled - before, sigismember(&pending, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    sigpending(&pending);
    check(handled == before + 1 && !sigismember(&pending, SIGUSR1),
          "unblocking runs the handler once", "ran %d times, pending %d", handled - before,
          sigismember(&pending, SIGUSR1));

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction now;
        int was = handled;
        install(SIGUSR1, SA_RESETHAND, 0);
        raise(SIGUSR1);
        if (handled != was + 1)
            _exit(2);
        sigaction(SIGUSR1, NULL, &now);
        if (now.sa_handler != SIG_DFL)
            _exit(3);
        raise(SIGUSR1);
        _exit(4);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    check(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1,
          "SA_RESETHAND: the second SIGUSR1 takes the default action (death)",
          "status 0x%x (exit 2 no handler, 3 not reset, 4 survived)", status);
}

static sigjmp_buf escape;

static void segv_handler(int sig, siginfo_t *info, void *context)
{
    (void)sig, (void)context;
    last_info = *info;
    siglongjmp(escape, 1);
}

static void check_faults(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = segv_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    int *volatile null_pointer = NULL;
    memset(&last_info, 0, sizeof(last_info));
    if (sigsetjmp(escape, 1) == 0)
        printf("read %d at NULL\n", *null_pointer);
    check(last_info.si_signo == SIGSEGV && last_info.si_addr == NULL
              && last_info.si_code == SEGV_MAPERR,
          "NULL read: SIGSEGV, si_addr 0, SEGV_MAPERR, left by siglongjmp",
          "si_signo %d si_addr %p si_code %d", last_info.si_signo, last_info.si_addr,
          last_info.si_code);

    char *page = mmap(NULL, PAGE_BYTES, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    volatile char *target = page;
    memset(&last_info, 0, sizeof(last_info));
    if (sigsetjmp(escape, 1) == 0)
        *target = 1;
    check(last_info.si_signo == SIGSEGV && last_info.si_addr == page
              && last_info.si_code == SEGV_ACCERR,
          "write to a PROT_READ page: SIGSEGV, si_addr, SEGV_ACCERR",
          "si_signo %d si_addr %p (page %p) si_code %d", last_info.si_signo, last_info.si_addr,
          (void *)page, last_info.si_code);
    munmap(page, PAGE_BYTES);
    signal(SIGSEGV, SIG_DFL);
}

static void check_alt_stack(void)
{
    static char alt_memory[ALT_STACK_BYTES];
    stack_t alt = { .ss_sp = alt_memory, .ss_size = sizeof(alt_memory), .ss_flags = 0 };
    int r = sigaltstack(&alt, NULL);
    install(SIGUSR2, SA_ONSTACK, 0);
    raise(SIGUSR2);
    check(r == 0 && local_address >= alt_memory && local_address < alt_memory + sizeof(alt_memory)
              && (alt_flags & SS_ONSTACK),
          "SA_ONSTACK: the handler runs on the sigaltstack, SS_ONSTACK set",
          "sigaltstack %d, local at %p, stack %p..%p, flags %d", r, (void *)local_address,
          (void *)alt_memory, (void *)(alt_memory + sizeof(alt_memory)), alt_flags);
    alt.ss_flags = SS_DISABLE;
    sigaltstack(&alt, NULL);
}

static unsigned handler_mxcsr;
static volatile double handler_sink;

/* Changes every register the main code keeps live across the signal. */
static void clobber_handler(int sig)
{
    (void)sig;
    __asm__ volatile("stmxcsr %0" : "=m"(handler_mxcsr));
    fesetround(FE_TOWARDZERO);
    handler_sink = handler_sink / 7.0 + 1.0;
    __asm__ volatile("movq %0, %%xmm7\n\t"
                     "mov %0, %%r8\n\tmov %0, %%r9\n\tmov %0, %%r10\n\tmov %0, %%rdx"
                     : : "r"(~0UL) : "xmm7", "r8", "r9", "r10", "rdx");
}

/* kill(2) made in assembly, so that values sit in r8, r9, r10, rdx and
 * xmm7 (all caller-saved: no C call could keep them) while the kernel
 * delivers the signal on the way back from the call. */
static void check_registers(void)
{
    signal(SIGUSR1, clobber_handler);
    fesetround(FE_UPWARD);
    unsigned short x87_before, x87_after;
    unsigned mxcsr_before, mxcsr_after;
    __asm__ volatile("fnstcw %0\n\tstmxcsr %1" : "=m"(x87_before), "=m"(mxcsr_before));

    unsigned long nr = SYS_kill, regs[4];
    double xmm_in = 2.5, xmm_out = 0;
    handler_mxcsr = 0;
    __asm__ volatile("movsd %[in], %%xmm7\n\t"
                     "mov %[magic], %%r8\n\tlea 1(%%r8), %%r9\n\t"
                     "lea 2(%%r8), %%r10\n\tlea 3(%%r8), %%rdx\n\t"
                     "syscall\n\t"
                     "movsd %%xmm7, %[out]\n\t"
                     "mov %%r8, 0(%[regs])\n\tmov %%r9, 8(%[regs])\n\t"
                     "mov %%r10, 16(%[regs])\n\tmov %%rdx, 24(%[regs])"
                     : "+a"(nr), [out] "=m"(xmm_out)
                     : [in] "m"(xmm_in), [magic] "r"(REG_MAGIC), [regs] "r"(regs),
                       "D"((long)getpid()), "S"((long)SIGUSR1)
                     : "rcx", "r11", "r8", "r9", "r10", "rdx", "xmm7", "memory");
    __asm__ volatile("fnstcw %0\n\tstmxcsr %1" : "=m"(x87_after), "=m"(mxcsr_after));
    fesetround(FE_TONEAREST);
    signal(SIGUSR1, SIG_DFL);

    check(handler_mxcsr != 0 && (handler_mxcsr & MXCSR_ROUNDING) == 0,
          "the handler starts with round-to-nearest although the program rounds up",
          "MXCSR in the handler 0x%x", handler_mxcsr);
    check(regs[0] == REG_MAGIC && regs[1] == REG_MAGIC + 1 && regs[2] == REG_MAGIC + 2
              && regs[3] == REG_MAGIC + 3,
          "r8, r9, r10, rdx survive a handler that changes them",
          "%lx %lx %lx %lx", regs[0], regs[1], regs[2], regs[3]);
    check(xmm_out == 2.5, "xmm7 survives a handler that changes it", "%g", xmm_out);
    check(mxcsr_after == mxcsr_before && x87_after == x87_before,
          "MXCSR and the x87 control word survive a handler that changes them",
          "MXCSR 0x%x -> 0x%x, x87 0x%x -> 0x%x", mxcsr_before, mxcsr_after, x87_before, x87_after);
}

static void check_uncatchable(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    errno = 0;
    int r = sigaction(SIGKILL, &sa, NULL);
    check(r == -1 && errno == EINVAL, "sigaction(SIGKILL) fails EINVAL", "gave %d (%s)", r,
          strerror(errno));
    errno = 0;
    r = sigaction(SIGSTOP, &sa, NULL);
    check(r == -1 && errno == EINVAL, "sigaction(SIGSTOP) fails EINVAL", "gave %d (%s)", r,
          strerror(errno));
}

int main(int argc, char **argv)
{
    (void)argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 1) {
        fprintf(stderr, "usage: sigtest\n");
        return 2;
    }
    check_delivery();
    check_pending_and_resethand();
    check_faults();
    check_alt_stack();
    check_registers();
    check_uncatchable();
    return check_summary("sigtest");
}
