/*
 * demo_fault.c: the shell's `fault` command, which raises each kind of
 * exception on purpose so its report (trap/exception.c) and what follows
 * (trap/fault.c: the command is stopped, the shell goes on) can be seen.
 * Fault injection lives here, apart from the real commands in shell.c.
 */
#include <stddef.h>
#include <stdint.h>

#include "kprintf.h"
#include "shell.h"
#include "string.h"
#include "thread.h"

/* A depth the recursion never reaches: the 16 KiB stack runs out after
 * about 32 calls of 512 bytes. */
#define OVERFLOW_NEVER 1000000

/* Recurse with 512 bytes of stack per call until the guard page stops it. */
static int overflow_stack(int depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    if (depth == OVERFLOW_NEVER)    /* keeps the recursion a real call chain */
        return 0;
    return overflow_stack(depth + 1) + pad[0];
}

static const uint8_t not_code[] = { 0xC3 };     /* RET, but in .rodata: not executable */

static void overflow_thread(void *arg)
{
    (void)arg;
    kprintf("%d\n", overflow_stack(0));
}

static void cmd_fault(int argc, char **argv)
{
    const char *kind = argc == 2 ? argv[1] : "";
    volatile int zero = 0;
    if (strcmp(kind, "divide") == 0) {
        kprintf("fault: dividing by zero (#DE)\n");
        /* In asm: for 1 / x in C, gcc may compute the answer without dividing. */
        uint32_t quotient = 1, remainder = 0;
        __asm__ volatile("divl %2" : "+a"(quotient), "+d"(remainder) : "r"((uint32_t)zero));
    } else if (strcmp(kind, "breakpoint") == 0) {
        kprintf("fault: int3 (#BP), a trap the kernel continues after\n");
        __asm__ volatile("int3");
        kprintf("fault: back from the breakpoint\n");
    } else if (strcmp(kind, "opcode") == 0) {
        kprintf("fault: executing ud2 (#UD)\n");
        __asm__ volatile("ud2");
    } else if (strcmp(kind, "gp") == 0) {
        kprintf("fault: reading a non-canonical address (#GP)\n");
        (void)*(volatile uint64_t *)(uintptr_t)0x8000000000000000ull;
    } else if (strcmp(kind, "pagefault") == 0) {
        kprintf("fault: reading unmapped address 0xdead0000 (#PF)\n");
        (void)*(volatile uint64_t *)(uintptr_t)0xdead0000ull;
    } else if (strcmp(kind, "wx") == 0) {
        kprintf("fault: writing to the kernel's code (#PF, W^X)\n");
        *(volatile uint8_t *)(uintptr_t)&cmd_fault = 0xCC;
    } else if (strcmp(kind, "nx") == 0) {
        kprintf("fault: jumping into read-only data (#PF, NX)\n");
        ((void (*)(void))(uintptr_t)not_code)();
        kprintf("fault: not reached\n");   /* keeps the call from becoming a jump */
    } else if (strcmp(kind, "stack") == 0) {
        kprintf("fault: recursing until the kernel stack overflows (#DF)\n");
        kprintf("%d\n", overflow_stack(0));
    } else if (strcmp(kind, "thread") == 0) {
        kprintf("fault: a new thread overflows its stack; the fault stops it, not the shell\n");
        struct thread *t = thread_create("overflow", overflow_thread, NULL);
        if (t == NULL) {
            kprintf("fault: no memory for a thread\n");
            return;
        }
        thread_join(t);
        kprintf("fault: thread 'overflow' has ended\n");
    } else {
        kprintf("usage: fault divide|breakpoint|opcode|gp|pagefault|wx|nx|stack|thread\n");
    }
}

const struct shell_command demo_fault_command = {
    "fault", "fault <kind>", "raise an exception to see its report (no kind: list)", cmd_fault,
};
