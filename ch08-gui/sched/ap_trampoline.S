/*
 * ap_trampoline.S: how an application processor (AP) gets from real mode
 * to the kernel.
 *
 * A start-up IPI starts an AP in 16-bit real mode at physical address
 * page << 12, below 1 MiB (SDM vol 3A, 8.4.4 / 9.4.4). So this code is not
 * run where it is linked: sched/smp.c copies the bytes from
 * ap_trampoline_start to ap_trampoline_end to a free page below 1 MiB,
 * maps that page at its own physical address too (the instruction after
 * the one that turns paging on is fetched through the kernel's page
 * tables), fills in ap_trampoline_args, and sends the IPIs. Every address
 * the code uses is therefore written as an offset from ap_trampoline_start
 * plus the page's address, which the real-mode code finds in CS.
 *
 * The AP then takes the same steps as the boot CPU in boot/entry.S: a GDT,
 * protected mode, PAE, the kernel's page tables, EFER.LME (and NXE, which
 * the kernel's tables use), paging, a 64-bit code segment; and finally it
 * jumps to ap_main(struct cpu *) in the higher half, on its own stack.
 */
#include "x86.h"

#define AP_CODE32 0x08              /* selectors in trampoline_gdt below */
#define AP_DATA 0x10
#define AP_CODE64 0x18
#define OFFSET(label) ((label) - ap_trampoline_start)

    .section .rodata
    .balign 16
    .global ap_trampoline_start, ap_trampoline_end, ap_trampoline_args

/* Real mode: CS is the page's segment (page << 8), IP 0. */
    .code16
ap_trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    /* The page's physical address, for the far jumps' targets. */
    xorl %ebx, %ebx
    movw %cs, %bx
    shll $4, %ebx
    /* The GDT pointer holds an absolute base: patch it, then load it. */
    leal OFFSET(trampoline_gdt)(%ebx), %eax
    movl %eax, OFFSET(trampoline_gdt_pointer) + 2
    lgdtl OFFSET(trampoline_gdt_pointer)
    /* The far jump's target too: there is no far jump through a register. */
    leal OFFSET(protected_mode)(%ebx), %eax
    movl %eax, OFFSET(far_target32)
    leal OFFSET(long_mode)(%ebx), %eax
    movl %eax, OFFSET(far_target64)

    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl *OFFSET(far_target32)

    .code32
protected_mode:
    movw $AP_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss

    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl OFFSET(ap_trampoline_args)(%ebx), %eax      /* args.cr3 */
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $(EFER_LME | EFER_NXE), %eax
    wrmsr
    movl %cr0, %eax
    orl $(CR0_PG | CR0_WP), %eax
    movl %eax, %cr0
    ljmpl *OFFSET(far_target64)(%ebx)

    .code64
long_mode:
    movl %ebx, %ebx                 /* the upper half is undefined after the mode switch */
    movq OFFSET(ap_trampoline_args) + 8(%rbx), %rsp  /* args.stack_top */
    movq OFFSET(ap_trampoline_args) + 24(%rbx), %rdi /* args.cpu */
    xorl %ebp, %ebp                 /* the end of backtraces */
    pushq $0                        /* a return address nobody uses: the ABI's alignment */
    jmpq *OFFSET(ap_trampoline_args) + 16(%rbx)      /* args.entry: ap_main */

    .balign 8
trampoline_gdt:
    .quad 0
    .quad 0x00CF9B000000FFFF        /* 32-bit code, ring 0 (accessed bit set, as in entry.S) */
    .quad 0x00CF93000000FFFF        /* data */
    .quad 0x00AF9B000000FFFF        /* 64-bit code */
trampoline_gdt_pointer:
    .word 4 * 8 - 1
    .long 0                         /* patched: the physical address of trampoline_gdt */
far_target32:
    .long 0                         /* patched: protected_mode */
    .word AP_CODE32
far_target64:
    .long 0                         /* patched: long_mode */
    .word AP_CODE64

/* struct ap_trampoline_args in sched/smp.c: filled in before each start. */
    .balign 8
ap_trampoline_args:
    .quad 0                         /* cr3 (below 4 GiB: loaded in 32-bit mode) */
    .quad 0                         /* stack_top */
    .quad 0                         /* entry */
    .quad 0                         /* cpu */
ap_trampoline_end:

    .section .note.GNU-stack, "", @progbits
