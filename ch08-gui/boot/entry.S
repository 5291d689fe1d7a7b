/*
 * entry.S: from GRUB's 32-bit protected mode to C in 64-bit long mode.
 *
 * GRUB leaves us (multiboot2 spec, section 3.3): 32-bit protected mode, flat
 * segments, paging off, interrupts off, EAX = the boot loader magic,
 * EBX = the physical address of the boot information. No stack is set up.
 *
 * Long mode needs paging, so before the switch we build page tables that map
 * the first 4 GiB of physical memory onto the same virtual addresses
 * (an identity map): the instruction after the one that turns paging on is
 * fetched from the same address as before. The switch itself is SDM vol 3A,
 * section 10.8.5: CR4.PAE, then CR3, then EFER.LME, then CR0.PG, then a far
 * jump into a 64-bit code segment.
 *
 * The kernel is linked in the top 2 GiB (include/memlayout.h) but runs
 * here, before paging, at its physical load address. This file's code sits
 * in .text.boot, linked at its physical address; everything else it touches
 * is linked high, so it names those symbols by PHYS(symbol). The same early
 * page directories appear three times: at 0 (identity, for this code), at
 * DIRECT_MAP_BASE and at KERNEL_OFFSET. mm/kernel_map.c later replaces
 * them with tables that drop the identity map.
 */
#include "memlayout.h"
#include "x86.h"

#define PHYS(symbol) ((symbol) - KERNEL_OFFSET)
#define PML4_DIRECT_MAP 256     /* PML4 slot of DIRECT_MAP_BASE */
#define PML4_KERNEL 511         /* PML4 slot of KERNEL_OFFSET */
#define PDPT_KERNEL 510         /* PDPT slot of KERNEL_OFFSET: the kernel's 2 GiB are slots 510, 511 */

#define MB2_BOOTLOADER_MAGIC 0x36D76289
#define BOOT_STACK_SIZE 16384
#define IDENTITY_MAP_GIB 4      /* one page directory per GiB, 512 entries of 2 MiB */

#define COM1 0x3F8              /* the 16550 registers; see drivers/serial.c */
#define UART_LSR_THR_EMPTY 0x20

    .section .text.boot, "ax"
    .code32

/* void _start(void): the ELF entry point; GRUB jumps here. */
    .global _start
_start:
    cli
    cld
    /* Keep GRUB's two values in .data: clearing .bss must not wipe them. */
    movl %eax, PHYS(boot_magic)
    movl %ebx, PHYS(boot_info_addr)

    /* The C code expects zeroed .bss; GRUB is not required to clear it. */
    movl $PHYS(__bss_start), %edi
    movl $PHYS(__bss_end), %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    movl $PHYS(boot_stack_top), %esp
    call serial_init32

    cmpl $MB2_BOOTLOADER_MAGIC, PHYS(boot_magic)
    jne no_multiboot2
    call cpu_has_long_mode
    testl %eax, %eax
    jz no_long_mode

    call build_boot_map

    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4

    movl $PHYS(boot_pml4), %eax
    movl %eax, %cr3

    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr

    /* Paging on: the CPU is now in compatibility mode (long mode, 32-bit code). */
    movl %cr0, %eax
    orl $(CR0_PG | CR0_WP), %eax
    movl %eax, %cr0

    lgdt PHYS(gdt64_boot_pointer)
    ljmp $GDT_KERNEL_CODE, $start64

/*
 * int cpu_has_long_mode(void): 1 if CPUID reports long mode, else 0.
 * CPUID itself may be missing on very old CPUs: it exists if EFLAGS.ID can
 * be flipped. Clobbers EBX, ECX, EDX.
 */
cpu_has_long_mode:
    pushfl
    popl %eax
    movl %eax, %ecx
    xorl $EFLAGS_ID, %eax
    pushl %eax
    popfl
    pushfl
    popl %eax
    pushl %ecx                  /* restore the original EFLAGS */
    popfl
    xorl %ecx, %eax
    jz 1f

    movl $CPUID_EXT_MAX, %eax
    cpuid
    cmpl $CPUID_EXT_FEATURES, %eax
    jb 1f
    movl $CPUID_EXT_FEATURES, %eax
    cpuid
    testl $CPUID_EXT_EDX_LM, %edx
    jz 1f
    movl $1, %eax
    ret
1:  xorl %eax, %eax
    ret

/*
 * void build_boot_map(void): map physical [0, 4 GiB) with 2 MiB pages at
 * three places: 0, DIRECT_MAP_BASE and KERNEL_OFFSET (only the first 2 GiB
 * fit there). The tables live in .bss, which is already zero. Clobbers EAX, ECX.
 */
build_boot_map:
    movl $PHYS(boot_pdpt), %eax
    orl $(PTE_PRESENT | PTE_WRITABLE), %eax
    movl %eax, PHYS(boot_pml4)
    movl %eax, PHYS(boot_pml4) + PML4_DIRECT_MAP * 8
    movl $PHYS(boot_pdpt_kernel), %eax
    orl $(PTE_PRESENT | PTE_WRITABLE), %eax
    movl %eax, PHYS(boot_pml4) + PML4_KERNEL * 8

    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $12, %eax
    addl $PHYS(boot_pd), %eax
    orl $(PTE_PRESENT | PTE_WRITABLE), %eax
    movl %eax, PHYS(boot_pdpt)(, %ecx, 8)
    cmpl $2, %ecx
    jae 2f
    movl %eax, PHYS(boot_pdpt_kernel) + PDPT_KERNEL * 8(, %ecx, 8)
2:  incl %ecx
    cmpl $IDENTITY_MAP_GIB, %ecx
    jb 1b

    /* Entry i maps physical i * 2 MiB; the high half of each entry stays 0. */
    xorl %ecx, %ecx
3:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_PRESENT | PTE_WRITABLE | PTE_HUGE), %eax
    movl %eax, PHYS(boot_pd)(, %ecx, 8)
    incl %ecx
    cmpl $(IDENTITY_MAP_GIB * 512), %ecx
    jb 3b
    ret

/*
 * The two ways the boot can fail before C runs. Each prints one line on
 * COM1 and stops the CPU: there is no kernel to return to.
 */
no_multiboot2:
    movl $PHYS(msg_no_multiboot2), %esi
    jmp boot_fail
no_long_mode:
    movl $PHYS(msg_no_long_mode), %esi
boot_fail:
    call serial_puts32
1:  cli
    hlt
    jmp 1b

/* void serial_init32(void): COM1 at 115200 8N1, as drivers/serial.c does in C. Clobbers EAX, EDX. */
serial_init32:
    movw $(COM1 + 1), %dx       /* interrupt enable: none */
    movb $0x00, %al
    outb %al, %dx
    movw $(COM1 + 3), %dx       /* line control: DLAB on, to reach the divisor */
    movb $0x80, %al
    outb %al, %dx
    movw $(COM1 + 0), %dx       /* divisor low byte: 115200 / 1 */
    movb $0x01, %al
    outb %al, %dx
    movw $(COM1 + 1), %dx       /* divisor high byte */
    movb $0x00, %al
    outb %al, %dx
    movw $(COM1 + 3), %dx       /* 8 data bits, no parity, 1 stop bit, DLAB off */
    movb $0x03, %al
    outb %al, %dx
    ret

/* void serial_puts32(const char *s in ESI): write a NUL-terminated string to COM1. Clobbers EAX, EDX, ESI. */
serial_puts32:
1:  lodsb
    testb %al, %al
    jz 3f
    movb %al, %ah
    movw $(COM1 + 5), %dx       /* line status: wait until the transmitter is empty */
2:  inb %dx, %al
    testb $UART_LSR_THR_EMPTY, %al
    jz 2b
    movb %ah, %al
    movw $COM1, %dx
    outb %al, %dx
    jmp 1b
3:  ret

    .code64
    .cfi_sections .debug_frame  /* unwind info for the debugger, in the kept .debug_frame */
/*
 * start64: the first 64-bit instruction, still at the physical address.
 * Loads the data segments, moves the stack and the GDT to their high
 * addresses and calls kmain(boot_info_addr) in the higher half. The CFI
 * directive tells a debugger this is the outermost frame, so gdb's
 * backtrace ends here.
 */
start64:
    .cfi_startproc
    .cfi_undefined rip
    movw $GDT_KERNEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs

    movabsq $gdt64_pointer, %rax
    lgdt (%rax)
    movabsq $boot_stack_top, %rsp  /* 16-byte aligned, as the SysV ABI wants at a call */
    xorl %ebp, %ebp
    movl PHYS(boot_info_addr), %edi
    movabsq $kmain, %rax
    call *%rax
1:  cli
    hlt
    jmp 1b
    .cfi_endproc

    .section .rodata
msg_no_multiboot2:
    .asciz "cubos: boot failed: not started by a multiboot2 boot loader (wrong magic in EAX); boot the ISO through GRUB\r\n"
msg_no_long_mode:
    .asciz "cubos: boot failed: this CPU has no 64-bit long mode (CPUID 0x80000001 EDX bit 29); cubos needs an x86-64 CPU\r\n"

/*
 * The 64-bit GDT (SDM 3.4.5, 5.2.1): a null descriptor, then flat ring-0
 * code with L=1 (64-bit) and flat data. Base and limit are ignored in
 * long mode except for the flags bits.
 */
    .balign 8
gdt64:
    .quad 0
    .quad 0x00AF9B000000FFFF    /* code: present, ring 0, execute/read, accessed, L=1 */
    .quad 0x00CF93000000FFFF    /* data: present, ring 0, read/write, accessed */
gdt64_end:
gdt64_boot_pointer:             /* for lgdt in 32-bit mode: a 32-bit physical base */
    .short gdt64_end - gdt64 - 1
    .long PHYS(gdt64)
gdt64_pointer:                  /* for lgdt in 64-bit mode: the high virtual base */
    .short gdt64_end - gdt64 - 1
    .quad gdt64

    .data
    .balign 4
boot_magic:
    .long 0
boot_info_addr:
    .long 0

    .bss
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pdpt_kernel:
    .skip 4096
boot_pd:
    .skip 4096 * IDENTITY_MAP_GIB
/* The page under the stack stays unmapped in the kernel's page tables (mm/kernel_map.c). */
    .global boot_stack_guard, boot_stack_top
boot_stack_guard:
    .skip 4096
boot_stack:
    .skip BOOT_STACK_SIZE
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
