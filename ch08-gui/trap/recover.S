/*
 * recover.S: a way back from a fault, in the manner of setjmp.
 *
 * The shell saves a recovery point before it runs a command; when the
 * command faults, trap/exception.c reports the fault and trap/recover.c
 * rewrites the trap frame with the saved registers, so IRETQ "returns"
 * from recover_save a second time, with 1. Only the registers a called
 * function must preserve (SysV ABI) plus RSP, RIP and RFLAGS need saving.
 */

/* int recover_save(struct recover_point *p): 0 now, 1 when resumed after a fault. */
    .text
    .global recover_save
recover_save:
    movq %rbx, 0(%rdi)
    movq %rbp, 8(%rdi)
    movq %r12, 16(%rdi)
    movq %r13, 24(%rdi)
    movq %r14, 32(%rdi)
    movq %r15, 40(%rdi)
    leaq 8(%rsp), %rax          /* the caller's RSP once we have returned */
    movq %rax, 48(%rdi)
    movq (%rsp), %rax           /* our return address */
    movq %rax, 56(%rdi)
    pushfq
    popq 64(%rdi)
    xorl %eax, %eax
    ret

/* void recover_jump(struct recover_point *p): resume at p without a fault,
 * as longjmp does: recover_save returns 1 there. For a thread killed, or
 * stopped for a bug, while it runs kernel code that holds no spinlock. */
    .global recover_jump
recover_jump:
    movq 0(%rdi), %rbx
    movq 8(%rdi), %rbp
    movq 16(%rdi), %r12
    movq 24(%rdi), %r13
    movq 32(%rdi), %r14
    movq 40(%rdi), %r15
    movq 48(%rdi), %rsp
    pushq 64(%rdi)
    popfq
    movl $1, %eax
    jmpq *56(%rdi)

    .section .note.GNU-stack, "", @progbits
