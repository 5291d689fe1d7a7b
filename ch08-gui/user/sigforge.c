/*
 * sigforge.c: a program that forges its signal frame, to get privilege.
 *
 * rt_sigreturn(2) loads every register from the frame on the user stack,
 * which the program may have rewritten. The kernel must never return to
 * user mode with a privileged code segment, I/O privilege, interrupts off
 * or a non-canonical rip. Usage: sigforge MODE; the SIGUSR1 handler
 * rewrites its ucontext as MODE says, then returns:
 *
 *   none    nothing changed: the baseline. Continues; exit 0.
 *   cs      cs = 0x08, a kernel code segment (cubos's, and Linux's 32-bit
 *           one). Linux ORs RPL 3 into the cs and ss it restores
 *           (restore_sigcontext); 0x0b names a DPL-0 descriptor, so the
 *           return to user mode faults and Linux kills the program with
 *           SIGSEGV (verified on the host).
 *   iopl    rflags with IOPL 3 (bits 12-13) and IF (bit 9) clear. Linux
 *           takes only the arithmetic flags, DF, TF, AC and RF from the frame
 *           (FIX_EFLAGS) and keeps IOPL 0 and IF 1: the program goes on,
 *           reads rflags with pushf, and exits 0 if IOPL is 0 and IF is 1.
 *   rip     rip = 0x8000000000000000, not canonical. Linux returns through
 *           iret, which faults; Linux kills the program with SIGSEGV.
 *   direct  no signal at all: the program points rsp at 4 KiB of
 *           pseudo-random bytes (a fixed seed, so each run is the same) and
 *           calls rt_sigreturn (syscall 15). Linux loads the junk
 *           registers, finds the frame's fpstate pointer invalid, logs
 *           "bad frame in rt_sigreturn" and kills it with SIGSEGV.
 *
 * Each mode first prints `sigforge: MODE`. A mode that goes on prints
 * `sigforge: MODE: cs 0x.. ss 0x.. rflags 0x..` and exits 0 if it runs at
 * CPL 3 with IOPL 0 and IF set, 1 otherwise; for cs, rip and direct it also
 * prints `sigforge: MODE: not killed (Linux kills with SIGSEGV here)`. On
 * cubos the kernel may either kill the program with SIGSEGV (as Linux does
 * for cs, rip, direct) or return with user cs/ss and sanitised flags: a
 * grader accepts death by SIGSEGV or status 0, never anything else. An
 * unknown mode prints the usage and exits 2.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define KERNEL_CS 0x08                       /* GDT entry 1, DPL 0 */
#define RFLAGS_IF (1ul << 9)                 /* Intel SDM vol. 1, 3.4.3 */
#define RFLAGS_IOPL (3ul << 12)
#define NONCANONICAL_RIP 0x8000000000000000ul
#define JUNK_BYTES 4096

static const char *mode;
static volatile sig_atomic_t handler_ran;

static void forge(int sig, siginfo_t *info, void *context)
{
    ucontext_t *uc = context;
    greg_t *regs = uc->uc_mcontext.gregs;
    (void)sig, (void)info;
    handler_ran = 1;
    /* REG_CSGSFS packs cs (bits 0-15), gs, fs and ss (bits 48-63). */
    if (strcmp(mode, "cs") == 0)
        regs[REG_CSGSFS] = (regs[REG_CSGSFS] & ~0xffffl) | KERNEL_CS;
    else if (strcmp(mode, "iopl") == 0)
        regs[REG_EFL] = (regs[REG_EFL] | RFLAGS_IOPL) & ~RFLAGS_IF;
    else if (strcmp(mode, "rip") == 0)
        regs[REG_RIP] = (greg_t)NONCANONICAL_RIP;
}

/* rt_sigreturn with rsp on junk. Should the kernel refuse the frame and
 * return, rbx (callee-saved, so the kernel keeps it) brings rsp back. */
static void sigreturn_on_junk(void)
{
    static uint64_t junk[JUNK_BYTES / 8];
    uint64_t seed = 0x5eed;
    for (size_t i = 0; i < JUNK_BYTES / 8; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        junk[i] = seed;
    }
    __asm__ volatile("mov %%rsp, %%rbx\n\tmov %0, %%rsp\n\tmov %1, %%eax\n\t"
                     "syscall\n\tmov %%rbx, %%rsp"
                     : : "r"(&junk[JUNK_BYTES / 16]), "i"(SYS_rt_sigreturn)
                     : "rax", "rbx", "rcx", "r11", "memory");
}

/* 0 if this code runs at CPL 3 with IOPL 0 and IF set; prints them. */
static int still_unprivileged(void)
{
    uint64_t cs, ss, rflags;
    __asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1\n\tpushfq\n\tpop %2"
                     : "=r"(cs), "=r"(ss), "=r"(rflags));
    printf("sigforge: %s: cs 0x%lx ss 0x%lx rflags 0x%lx\n", mode, (unsigned long)cs,
           (unsigned long)ss, (unsigned long)rflags);
    return (cs & 3) == 3 && (ss & 3) == 3 && (rflags & RFLAGS_IOPL) == 0 && (rflags & RFLAGS_IF);
}

int main(int argc, char **argv)
{
    static const char *const modes[] = { "none", "cs", "iopl", "rip", "direct" };
    int known = 0;
    for (size_t i = 0; argc == 2 && i < sizeof(modes) / sizeof(modes[0]); i++)
        known |= strcmp(argv[1], modes[i]) == 0;
    if (!known) {
        fprintf(stderr, "usage: sigforge none|cs|iopl|rip|direct\n");
        return 2;
    }
    mode = argv[1];
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("sigforge: %s\n", mode);

    if (strcmp(mode, "direct") == 0) {
        sigreturn_on_junk();
    } else {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = forge;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR1, &sa, NULL);
        raise(SIGUSR1);
    }

    if (strcmp(mode, "direct") != 0 && !handler_ran) {
        printf("sigforge: %s: the handler did not run\n", mode);
        return 1;
    }
    int ok = still_unprivileged();
    int linux_kills = strcmp(mode, "cs") == 0 || strcmp(mode, "rip") == 0
                      || strcmp(mode, "direct") == 0;
    if (linux_kills)
        printf("sigforge: %s: not killed (Linux kills with SIGSEGV here)\n", mode);
    return ok ? 0 : 1;
}
