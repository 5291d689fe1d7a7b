/*
 * entry.S: the two doors between user mode and the kernel that C cannot
 * write: SYSCALL's entry (and SYSRET back), and the first entry into a
 * program.
 *
 * SYSCALL (SDM vol 2B) saves only RIP in RCX and RFLAGS in R11, clears the
 * RFLAGS bits in MSR_FMASK (interrupts off among them), loads CS and SS
 * from MSR_STAR and jumps to MSR_LSTAR, syscall_entry below. It does not
 * switch stacks: RSP is still the program's, which the kernel must not
 * trust, and GS still has the program's base. So the first instructions
 * swap GS (cpu.h's per-CPU data comes in), park the user RSP in the CPU's
 * struct and load the running thread's kernel stack top from it, with
 * interrupts off all along. Then they push a struct trap_frame (trap.h),
 * the same layout an interrupt from user mode pushes, so that everything
 * that looks at "the user's registers" (syscalls, faults, clone, exec,
 * signals later) sees one kind of frame.
 */
#include "cpu.h"
#include "x86.h"

#define VEC_SYSCALL 256         /* trap_frame.vector of a SYSCALL frame (no real vector) */

    .text
    .global syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:CPU_USER_RSP
    movq %gs:CPU_SYSCALL_RSP, %rsp
    pushq $USER_SS              /* ss */
    pushq %gs:CPU_USER_RSP      /* rsp */
    pushq %r11                  /* rflags */
    pushq $USER_CS              /* cs */
    pushq %rcx                  /* rip */
    pushq $0                    /* error_code */
    pushq $VEC_SYSCALL          /* vector */
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    xorl %ebp, %ebp             /* ends kernel backtraces here */
    movq %rsp, %rdi
    call syscall_dispatch       /* bool syscall_dispatch(struct trap_frame *tf): interrupts off on return */
    testb %al, %al
    jz user_return_iret
    /* SYSRET: RCX and R11 hold RIP and RFLAGS (syscall_dispatch checked
     * that the frame's RCX and R11 are those, and that RIP is a user
     * address: SYSRET to a non-canonical RIP would fault in ring 0 on the
     * user's stack, SDM vol 2B, SYSRET). */
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    movq 5 * 8(%rsp), %rsp      /* past vector, error, rip, cs, rflags: the user RSP */
    swapgs
    sysretq

/*
 * void user_enter(struct trap_frame *tf): leave for user mode with the
 * registers in tf, which is at the top of this thread's kernel stack (where
 * SYSCALL's entry and TSS.RSP0 put frames). Never returns: the next kernel
 * entry starts again at that top.
 */
    .global user_enter
user_enter:
    cli
    movq %rdi, %rsp
user_return_iret:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp              /* the vector and the error code */
    swapgs
    iretq

    .section .note.GNU-stack, "", @progbits
