/*
 * vectors.S: the entry stubs for all 256 interrupt vectors, and the common
 * path that saves the interrupted code's registers and calls C.
 *
 * The CPU pushes SS, RSP, RFLAGS, CS, RIP, and for some exceptions an error
 * code (SDM vol 3A, 6.14.2 and table 6-1). Each stub pushes a 0 where the
 * CPU does not, then its vector number, so every trap_frame (include/trap.h)
 * has the same layout. The stubs are 16 bytes apart: trap/idt.c finds stub
 * n at trap_stubs + 16 * n instead of reading a table.
 */
#include "x86.h"

#define NVECTORS 256
#define STUB_SIZE 16
#define VEC_NMI 2
/* Offsets in struct trap_frame (include/trap.h), from its start. */
#define TF_VECTOR (15 * 8)
#define TF_CS (18 * 8)

/* Vectors for which the CPU pushes an error code (SDM vol 3A, table 6-1). */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

    .text
    .balign STUB_SIZE
    .global trap_stubs
trap_stubs:
    .set vector, 0
    .rept NVECTORS
    .balign STUB_SIZE
    /* at most 2 + 5 + 5 = 12 bytes: pushq $0, pushq $imm32, jmp rel32 */
    .if !HAS_ERROR_CODE(vector)
    pushq $0
    .endif
    pushq $vector
    jmp trap_common
    .set vector, vector + 1
    .endr

/*
 * trap_common: push the general registers in the order struct trap_frame
 * declares them (the last pushed, r15, is its first field), call
 * trap_dispatch(frame), restore everything and return with IRETQ. The frame
 * is 176 bytes and the CPU aligned RSP to 16 before pushing its part, so
 * RSP is 16-byte aligned at the call, as the SysV ABI requires.
 *
 * From user mode (the saved CS has RPL 3), GS holds the program's base:
 * SWAPGS brings the kernel's per-CPU base in (cpu.h), and gives the
 * program's back on the way out. An NMI can arrive anywhere, even in the
 * few kernel instructions before SWAPGS on SYSCALL's path, so for it the
 * saved CS proves nothing: it asks the GS base MSR itself (a kernel base
 * is a kernel-half address, negative as a signed number). RBX, which C
 * preserves, remembers whether to swap back.
 */
trap_common:
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
    xorl %ebx, %ebx
    cmpq $VEC_NMI, TF_VECTOR(%rsp)
    je 2f
    testb $SELECTOR_RPL3, TF_CS(%rsp)
    jz 3f
1:  swapgs
    movl $1, %ebx
    jmp 3f
2:  movl $MSR_GS_BASE, %ecx
    rdmsr
    testl %edx, %edx
    jns 1b
3:  movq %rsp, %rdi
    cld                         /* the ABI wants the direction flag clear in C */
    /* An interrupt in the middle of a user copy (uaccess.S) must not let
     * its handler touch user memory: clear RFLAGS.AC, as CLAC would, with
     * an instruction that exists on CPUs without SMAP too. IRETQ restores
     * the interrupted code's AC. */
    pushfq
    andq $~RFLAGS_AC, (%rsp)
    popfq
    call trap_dispatch
    testl %ebx, %ebx
    jz 4f
    cli                         /* a handler may have turned interrupts on */
    swapgs
4:  popq %r15
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
    iretq

    .section .note.GNU-stack, "", @progbits
