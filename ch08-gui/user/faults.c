/*
 * faults.c: a program that does one forbidden thing and must be killed.
 *
 * Shows that a user program's fault ends that program only: the kernel
 * prints a one-line report like Linux's, the shell says which signal ended
 * it, and the next command works. Usage: faults MODE, where MODE is
 *
 *   null          read the int at address 0 (nothing is mapped below 64 KiB)
 *   kernel-read   read the kernel image at 0xffffffff80100000
 *   kernel-write  write there
 *   kernel-jump   call a function pointer to there
 *   exec-stack    call a `ret` instruction copied into a stack buffer
 *   exec-data     call a `ret` instruction in a buffer in .data
 *   ud            execute ud2 (__builtin_trap)
 *   div0          divide an integer by a zero read from a volatile
 *   gp            execute cli, a privileged instruction in ring 3
 *
 * Each mode first prints "faults: MODE". The kernel then reports, for the
 * first six (page faults, ended with SIGSEGV):
 *
 *   faults[TID]: segfault at ADDR ip RIP sp RSP error ERR in faults
 *
 * and for the last three
 *
 *   faults[TID]: #UD invalid opcode (SIGILL) at ip RIP sp RSP error 0 in faults
 *   faults[TID]: #DE divide error (SIGFPE) at ip ...
 *   faults[TID]: #GP general protection (SIGSEGV) at ip ...
 *
 * and the shell prints "[PID] /bin/faults: killed by SIGSEGV" (or SIGILL,
 * SIGFPE). A mode that does not fault prints "faults: MODE survived" and
 * exits with status 1; an unknown mode prints the usage on stderr and
 * exits with status 2. On Linux each mode ends with the same signal.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define KERNEL_ADDRESS 0xffffffff80100000ul   /* cubos's kernel image (kernel.ld) */
#define X86_RET 0xC3                          /* the one-byte near return */

typedef void code_fn(void);

/* The code at address p, as a function to call. */
static code_fn *as_code(uintptr_t p)
{
    return (code_fn *)p;
}

static void fault_null(void)
{
    volatile int *p = (volatile int *)0;
    printf("read %d\n", *p);
}

static void fault_kernel_read(void)
{
    volatile int *p = (volatile int *)KERNEL_ADDRESS;
    printf("read %d\n", *p);
}

static void fault_kernel_write(void)
{
    volatile int *p = (volatile int *)KERNEL_ADDRESS;
    *p = 1;
}

static void fault_kernel_jump(void)
{
    as_code(KERNEL_ADDRESS)();
}

static void fault_exec_stack(void)
{
    unsigned char code[16];
    memset(code, X86_RET, sizeof(code));
    as_code((uintptr_t)code)();
}

/* Initialized, so in .data (not .bss); the program never writes it. */
static unsigned char data_code[16] = { X86_RET };

static void fault_exec_data(void)
{
    as_code((uintptr_t)data_code)();
}

static void fault_ud(void)
{
    __builtin_trap();
}

static void fault_div0(void)
{
    volatile int zero = 0;
    printf("quotient %d\n", 100 / zero);
}

static void fault_gp(void)
{
    __asm__ volatile("cli");    /* IOPL is 0: #GP in ring 3 (SDM vol 2A, CLI) */
}

static const struct mode {
    const char *name;
    void (*run)(void);
} modes[] = {
    { "null", fault_null },
    { "kernel-read", fault_kernel_read },
    { "kernel-write", fault_kernel_write },
    { "kernel-jump", fault_kernel_jump },
    { "exec-stack", fault_exec_stack },
    { "exec-data", fault_exec_data },
    { "ud", fault_ud },
    { "div0", fault_div0 },
    { "gp", fault_gp },
};

#define MODE_COUNT (sizeof(modes) / sizeof(modes[0]))

static int usage(void)
{
    fprintf(stderr, "usage: faults MODE\nmodes:");
    for (size_t i = 0; i < MODE_COUNT; i++)
        fprintf(stderr, " %s", modes[i].name);
    fprintf(stderr, "\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return usage();
    for (size_t i = 0; i < MODE_COUNT; i++) {
        if (strcmp(argv[1], modes[i].name) == 0) {
            printf("faults: %s\n", modes[i].name);
            fflush(stdout);
            modes[i].run();
            printf("faults: %s survived\n", modes[i].name);
            return 1;
        }
    }
    return usage();
}
