/*
 * main.c: kmain, the first C code, called from boot/entry.S in long mode.
 *
 * The kernel brings up the serial console, reads what GRUB told it about
 * the machine and prints it, then takes over memory: the frame allocator,
 * its own page tables, the heap. Then interrupts: the IDT, the APICs, the
 * timer, the keyboard and serial input. Then it becomes the idle thread,
 * and the shell runs in a thread of its own.
 */
#include <stdbool.h>
#include <stdint.h>

#include "acpi.h"
#include "bench.h"
#include "cmdline.h"
#include "cpu.h"
#include "frame.h"
#include "ioapic.h"
#include "kernel_map.h"
#include "fb.h"
#include "fbcon.h"
#include "kprintf.h"
#include "lapic.h"
#include "memlayout.h"
#include "multiboot2.h"
#include "net.h"
#include "panic.h"
#include "pci.h"
#include "pic.h"
#include "ps2kbd.h"
#include "qemu_exit.h"
#include "selftest.h"
#include "clock.h"
#include "demo.h"
#include "fs.h"
#include "vfs.h"
#include "random.h"
#include "run.h"
#include "serial.h"
#include "shell.h"
#include "smp.h"
#include "string.h"
#include "thread.h"
#include "timer.h"
#include "trap.h"
#include "vga.h"
#include "x86.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)

static void print_memory_map(const struct boot_info *bi)
{
    kprintf("memory map (%zu entries):\n", bi->mmap_count);
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct mb2_mmap_entry *e = mb2_mmap_entry(bi, i);
        kprintf("  %016llx-%016llx %10llu KiB  %s (type %u)\n",
                (unsigned long long)e->base,
                (unsigned long long)(e->length ? e->base + e->length - 1 : e->base),
                (unsigned long long)(e->length / KIB),
                mb2_memory_type_name(e->type), e->type);
    }
    uint64_t usable = mb2_usable_bytes(bi);
    kprintf("usable memory: %llu KiB (%llu MiB)\n",
            (unsigned long long)(usable / KIB), (unsigned long long)(usable / MIB));
}

static void print_framebuffer(const struct boot_info *bi)
{
    const struct mb2_framebuffer *fb = &bi->framebuffer;
    if (!bi->has_framebuffer) {
        kprintf("framebuffer: none\n");
    } else if (fb->type == MB2_FRAMEBUFFER_EGA_TEXT) {
        kprintf("framebuffer: %ux%u EGA text at 0x%llx\n", fb->width, fb->height,
                (unsigned long long)fb->addr);
    } else {
        kprintf("framebuffer: %ux%u, %u bits per pixel, %s, pitch %u, at 0x%llx\n",
                fb->width, fb->height, fb->bpp,
                fb->type == MB2_FRAMEBUFFER_RGB ? "RGB" : "indexed",
                fb->pitch, (unsigned long long)fb->addr);
    }
}

static void run_selftests(void)
{
    bool ok = selftest_frames();
    ok &= selftest_paging();
    ok &= selftest_wx();
    ok &= selftest_heap();
    ok &= selftest_threads();
    ok &= selftest_channels();
    if (!ok)
        panic("self tests failed");
    kprintf("selftest: all passed\n");
}

/* The IDT, the interrupt controllers and the devices that interrupt. */
static void interrupts_init(const struct boot_info *bi, struct madt_info *madt)
{
    trap_init();
    if (!lapic_present())
        panic("this CPU has no local APIC (CPUID.01H:EDX bit 9 is clear), and cubos takes "
              "its timer and interrupts from one; in QEMU, leave '-apic' out of -cpu");
    const char *why;
    if (!acpi_read_madt(bi, madt, &why))
        kprintf("acpi: %s; assuming the PC defaults\n", why);
    pic_disable();
    lapic_init();
    if (!ioapic_init(madt))
        panic("no IO APIC answers at 0x%llx, and cubos takes the keyboard and serial "
              "interrupts through one; in QEMU, use -machine pc or q35, not isapc",
              (unsigned long long)madt->ioapic_addr);
    if (!ioapic_routes_isa(ISA_IRQ_KEYBOARD) || !ioapic_routes_isa(ISA_IRQ_COM1))
        panic("the IO APIC routes no pin to the keyboard (ISA IRQ 1) or COM1 (ISA IRQ 4), "
              "so neither could be read");
    timer_init();
    ps2kbd_init();
    serial_enable_input();
    irq_enable();
}

/* The kernel option cpus=N: start at most N CPUs (1 to MAX_CPUS). */
static unsigned max_cpus_option(const char *cmdline)
{
    static const char key[] = "cpus=";
    for (const char *p = cmdline; *p; p++) {
        if ((p != cmdline && p[-1] != ' ') || memcmp(p, key, sizeof(key) - 1) != 0)
            continue;
        unsigned n = 0;
        const char *q = p + sizeof(key) - 1;
        for (; *q >= '0' && *q <= '9' && n <= MAX_CPUS; q++)
            n = n * 10 + (unsigned)(*q - '0');
        if ((*q == ' ' || *q == '\0') && q != p + sizeof(key) - 1 && n >= 1 && n <= MAX_CPUS)
            return n;
        kprintf("cpus=: expected a number from 1 to %d; starting every CPU\n", MAX_CPUS);
        return MAX_CPUS;
    }
    return MAX_CPUS;
}

/* The kernel option init=PATH ARGS...: everything after "init=" is the
 * program's command line, so it comes last on the kernel's. */
static const char *init_option(const char *cmdline)
{
    static const char key[] = "init=";
    for (const char *p = cmdline; *p; p++)
        if ((p == cmdline || p[-1] == ' ') && memcmp(p, key, sizeof(key) - 1) == 0)
            return p + sizeof(key) - 1;
    return NULL;
}

static bool run_selftests_requested, run_bench_requested, strace_requested;
static const struct boot_info *boot_info;
static const char *init_line;       /* the words after init=, or NULL */

/* The first thread: what the command line asked for, then the shell. The
 * boot code itself becomes the idle thread, which must never block, so
 * anything that waits runs here. */
static void main_thread(void *arg)
{
    /* The file systems, here and not in kmain: their locks may sleep. */
    vfs_init();
    devfs_init();
    procfs_init();
    initrd_unpack(boot_info);
    demo_syscall_register();
    /* The self tests first: their checks that every frame and heap byte
     * comes back need a machine where nothing else runs, and the network
     * stack's threads would allocate beside them. */
    if (run_selftests_requested)
        run_selftests();
    net_init(boot_info->cmdline);
    if (run_bench_requested) {
        bench_run();
        kernel_finish();
    }
    if (init_line) {
        run_init(init_line, strace_requested);
        kernel_finish();
    }
    shell_thread(arg);
}

/* Called once from start64 with the physical address of GRUB's boot information. */
void kmain(uint32_t boot_info_addr)
{
    cpu_init_boot();
    serial_init();
    kprintf("\ncubos %s: hello from 64-bit long mode\n", CHAPTER);

    struct boot_info bi;
    const char *why;
    if (mb2_parse(phys_to_virt(boot_info_addr), &bi, &why) != 0)
        panic("bad multiboot2 boot information at 0x%x: %s", boot_info_addr, why);
    if (cmdline_has(bi.cmdline, "exit=qemu"))
        qemu_exit_enable();

    kprintf("boot loader: %s\n", bi.loader_name ? bi.loader_name : "(not named)");
    kprintf("command line: \"%s\"\n", bi.cmdline);
    if (bi.mmap == NULL)
        panic("the boot loader passed no memory map");
    print_memory_map(&bi);
    if (mb2_usable_bytes(&bi) == 0)
        panic("the memory map has no usable memory");
    print_framebuffer(&bi);

    frame_init(&bi, boot_info_addr);
    kernel_map_init();
    const struct mb2_framebuffer *fb = &bi.framebuffer;
    if (bi.has_framebuffer && fb->type == MB2_FRAMEBUFFER_EGA_TEXT &&
        vga_init(fb->addr, fb->width, fb->height, fb->pitch))
        kprintf("console: on the VGA text screen too\n");
    else if (fb_init(&bi))
        fbcon_init(fb_get());
    sched_init();
    struct madt_info madt;
    interrupts_init(&bi, &madt);
    acpi_power_init(&bi);
    pci_init(&bi);
    smp_start(&bi, &madt, max_cpus_option(bi.cmdline));
    clock_init();
    random_init();
    boot_info = &bi;            /* kmain's frame lives on under sched_idle */
    run_selftests_requested = cmdline_has(bi.cmdline, "selftest");
    strace_requested = cmdline_has(bi.cmdline, "strace");
    init_line = init_option(bi.cmdline);
    run_bench_requested = cmdline_has(bi.cmdline, "bench");
    struct thread *shell = thread_create("shell", main_thread, NULL);
    if (shell == NULL)
        panic("no memory for the shell thread");
    thread_detach(shell);

    sched_idle();
}
