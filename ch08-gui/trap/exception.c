/*
 * exception.c: what the kernel says when the CPU refuses an instruction.
 *
 * A report names the exception, decodes the error code, shows every
 * register and where the code came from (a backtrace with function names),
 * because the first report of a bug is often the only one. A kernel
 * stack overflow is recognised as such: it arrives as a double fault, on
 * its own IST stack, with CR2 inside a stack guard page.
 *
 * What happens after the report (go on, recover, stop) is decided in
 * trap/fault.c, not here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backtrace.h"
#include "exception.h"
#include "kprintf.h"
#include "memlayout.h"
#include "thread.h"
#include "trap.h"
#include "x86.h"

/* Page-fault error code bits (SDM vol 3A, 4.7, figure 4-12). */
#define PF_PRESENT (1 << 0)     /* 0: page not present; 1: protection violation */
#define PF_WRITE (1 << 1)
#define PF_USER (1 << 2)
#define PF_RESERVED (1 << 3)    /* a reserved bit was set in a paging entry */
#define PF_FETCH (1 << 4)       /* an instruction fetch (NX) */

static const char *const names[VEC_EXCEPTIONS] = {
    [EXC_DIVIDE] = "#DE divide error",
    [EXC_DEBUG] = "#DB debug",
    [EXC_NMI] = "NMI non-maskable interrupt",
    [EXC_BREAKPOINT] = "#BP breakpoint",
    [EXC_OVERFLOW] = "#OF overflow",
    [EXC_BOUND] = "#BR bound range exceeded",
    [EXC_INVALID_OPCODE] = "#UD invalid opcode",
    [EXC_NO_FPU] = "#NM device not available",
    [EXC_DOUBLE_FAULT] = "#DF double fault",
    [9] = "coprocessor segment overrun",
    [EXC_INVALID_TSS] = "#TS invalid TSS",
    [EXC_SEGMENT_NOT_PRESENT] = "#NP segment not present",
    [EXC_STACK_FAULT] = "#SS stack-segment fault",
    [EXC_GENERAL_PROTECTION] = "#GP general protection",
    [EXC_PAGE_FAULT] = "#PF page fault",
    [EXC_FPU_ERROR] = "#MF x87 floating-point error",
    [EXC_ALIGNMENT] = "#AC alignment check",
    [EXC_MACHINE_CHECK] = "#MC machine check",
    [EXC_SIMD] = "#XM SIMD floating-point",
    [20] = "#VE virtualization",
    [21] = "#CP control protection",
};

static void print_page_fault(uint64_t error, uint64_t cr2)
{
    /* LAB(page-fault-decoder): say in one line what the access was (an
     * instruction fetch, a write or a read), at which address (CR2), why it
     * faulted (the page is not mapped, or mapped but read-only or not
     * executable) and in which mode; a second line if a reserved bit was
     * set. The error code's bits are the PF_ constants above. */
    /* LAB-STUB: (void)error; (void)cr2; */
    /* LAB-STUB: kprintf("page fault: not decoded (lab page-fault-decoder)\n"); */
    kprintf("page fault: %s address 0x%llx: %s%s, in %s mode\n",
            error & PF_FETCH ? "instruction fetch at" : error & PF_WRITE ? "write to" : "read from",
            (unsigned long long)cr2,
            error & PF_PRESENT ? "protection violation (the page is mapped" : "the page is not mapped",
            error & PF_PRESENT ? (error & PF_FETCH ? ", not executable)" :
                                  error & PF_WRITE ? ", read-only)" : ")") : "",
            error & PF_USER ? "user" : "kernel");
    if (error & PF_RESERVED)
        kprintf("page fault: a reserved bit is set in a page-table entry\n");
    /* END LAB(page-fault-decoder) */
}

static void print_registers(const struct trap_frame *tf)
{
    kprintf("  rax %016llx  rbx %016llx  rcx %016llx\n", (unsigned long long)tf->rax,
            (unsigned long long)tf->rbx, (unsigned long long)tf->rcx);
    kprintf("  rdx %016llx  rsi %016llx  rdi %016llx\n", (unsigned long long)tf->rdx,
            (unsigned long long)tf->rsi, (unsigned long long)tf->rdi);
    kprintf("  rbp %016llx  rsp %016llx  r8  %016llx\n", (unsigned long long)tf->rbp,
            (unsigned long long)tf->rsp, (unsigned long long)tf->r8);
    kprintf("  r9  %016llx  r10 %016llx  r11 %016llx\n", (unsigned long long)tf->r9,
            (unsigned long long)tf->r10, (unsigned long long)tf->r11);
    kprintf("  r12 %016llx  r13 %016llx  r14 %016llx\n", (unsigned long long)tf->r12,
            (unsigned long long)tf->r13, (unsigned long long)tf->r14);
    kprintf("  r15 %016llx  rip %016llx  rflags %08llx\n", (unsigned long long)tf->r15,
            (unsigned long long)tf->rip, (unsigned long long)tf->rflags);
    kprintf("  cs %04llx  ss %04llx  cr2 %016llx  cr3 %016llx\n", (unsigned long long)tf->cs,
            (unsigned long long)tf->ss, (unsigned long long)read_cr2(),
            (unsigned long long)read_cr3());
}

const char *exception_name(uint64_t vector)
{
    if (vector >= VEC_EXCEPTIONS || names[vector] == NULL)
        return "reserved exception";
    return names[vector];
}

void exception_report(struct trap_frame *tf)
{
    uint64_t cr2 = read_cr2();
    const char *name = exception_name(tf->vector);
    struct thread *t = thread_current();
    bool boot_stack = cr2 >= (uint64_t)boot_stack_guard && cr2 < (uint64_t)boot_stack_guard + PAGE_SIZE;
    char owner[THREAD_NAME_SIZE];
    bool thread_stack = thread_stack_guard_owner(cr2, owner);
    bool stack_overflow = tf->vector == EXC_DOUBLE_FAULT && (boot_stack || thread_stack);

    kprintf("\nEXCEPTION %s (vector %llu, error code 0x%llx) at rip 0x%llx\n", name,
            (unsigned long long)tf->vector, (unsigned long long)tf->error_code,
            (unsigned long long)tf->rip);
    if (t != NULL)
        kprintf("in thread '%s' (id %d)\n", t->name, t->id);
    if (stack_overflow)
        kprintf("kernel stack overflow: the stack of thread '%s' ran into its guard page at 0x%llx\n",
                thread_stack ? owner : "idle", (unsigned long long)cr2);
    if (tf->vector == EXC_PAGE_FAULT)
        print_page_fault(tf->error_code, cr2);
    print_registers(tf);
    bool fetch_at_rip = tf->vector == EXC_PAGE_FAULT && (tf->error_code & PF_FETCH) && cr2 == tf->rip;
    backtrace_print(tf->rip, tf->rbp, tf->rsp, fetch_at_rip);

}
