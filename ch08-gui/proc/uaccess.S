/*
 * uaccess.S: the only kernel instructions that touch user memory, and
 * where to go when one of them faults.
 *
 * A user pointer may point anywhere: at an unmapped page, at a page the
 * program may not write. Checking every page beforehand would race with
 * the program's other threads unmapping it, so the kernel just tries: if
 * the instruction faults, the page-fault handler finds its address in
 * uaccess_fixups (a table of "faulting instruction, where to resume"
 * pairs, like Linux's exception table) and resumes at the fix-up, which
 * returns -EFAULT. The caller (uaccess.c) has already refused kernel
 * addresses, so a fault here can only be the program's mistake.
 *
 * With SMAP (x86.h CR4_SMAP) the kernel may touch user pages only while
 * RFLAGS.AC is set. STAC and CLAC set and clear it, but are invalid
 * opcodes on CPUs without SMAP; POPFQ sets and clears it on any CPU.
 */
#include "errno.h"
#include "x86.h"

.macro user_access_begin
    pushfq
    orq $RFLAGS_AC, (%rsp)
    popfq
.endm

.macro user_access_end
    pushfq
    andq $~RFLAGS_AC, (%rsp)
    popfq
.endm

    .text
/* long user_copy(void *dst, const void *src, size_t n): copy n bytes;
 * 0, or -EFAULT if a page of either side faulted. Eight bytes at a time,
 * then the rest: a string move's cost is per iteration, not per byte
 * (under QEMU's TCG, each iteration is a loop in C). */
    .global user_copy
user_copy:
    user_access_begin
    movq %rdx, %rcx
    shrq $3, %rcx
copy_insn:
    rep movsq
    movq %rdx, %rcx
    andq $7, %rcx
copy_tail_insn:
    rep movsb
    user_access_end
    xorl %eax, %eax
    ret
copy_fixup:
    user_access_end
    movq $-EFAULT, %rax
    ret

/* long user_strncpy(char *dst, const char *src, size_t n): copy a string
 * of at most n bytes with its NUL; its length (without the NUL), n if no
 * NUL came within n bytes, or -EFAULT. */
    .global user_strncpy
user_strncpy:
    user_access_begin
    xorl %eax, %eax
1:  cmpq %rdx, %rax
    je 2f
strncpy_insn:
    movb (%rsi, %rax), %cl
    movb %cl, (%rdi, %rax)
    testb %cl, %cl
    jz 2f
    incq %rax
    jmp 1b
2:  user_access_end
    ret
strncpy_fixup:
    user_access_end
    movq $-EFAULT, %rax
    ret

/* int user_cmpxchg32_unchecked(uint32_t *uaddr, uint32_t old, uint32_t new): an
 * atomic compare-and-exchange on a user word (futexes); 0 if it was old
 * and is now new, 1 if it held something else, -EFAULT. */
    .global user_cmpxchg32_unchecked
user_cmpxchg32_unchecked:
    user_access_begin
    movl %esi, %eax
cmpxchg_insn:
    lock cmpxchgl %edx, (%rdi)
    user_access_end
    setne %al
    movzbl %al, %eax
    ret
cmpxchg_fixup:
    user_access_end
    movq $-EFAULT, %rax
    ret

    .section .rodata
    .balign 8
    .global uaccess_fixups, uaccess_fixups_end
uaccess_fixups:
    .quad copy_insn, copy_fixup
    .quad copy_tail_insn, copy_fixup
    .quad strncpy_insn, strncpy_fixup
    .quad cmpxchg_insn, cmpxchg_fixup
uaccess_fixups_end:

    .section .note.GNU-stack, "", @progbits
