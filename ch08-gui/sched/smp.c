/*
 * smp.c: starting the application processors (APs), and what one CPU asks
 * of the others.
 *
 * At power-on only the boot CPU runs; the others wait for an INIT and a
 * start-up IPI (SDM vol 3A, 8.4.4 "MP initialization example", 9.4.4 in
 * newer editions). The MADT lists them by local APIC ID. Each is started in
 * turn: INIT, 10 ms, a start-up IPI naming the page of ap_trampoline.S,
 * 200 us, a second start-up IPI if the first went unanswered (the MP
 * specification's recipe, which the SDM repeats). The AP climbs from real
 * mode to long mode in the trampoline and lands in ap_main, which sets up
 * what is per CPU (GS, GDT and TSS, IDT, local APIC and its timer, an idle
 * thread) and then runs the scheduler's idle loop like the boot CPU: from
 * then on threads run on it too.
 *
 * Requests between CPUs are interrupts between local APICs (IPIs). A
 * wake-up is an ordinary interrupt: a halted idle CPU takes it at once, a
 * busy one when it next turns interrupts on, and either way it then looks
 * at the run queue. A TLB shootdown and a panic's stop travel as NMIs
 * instead, which arrive even while the target spins with interrupts off.
 * That matters: a CPU that unmaps a page may hold a spinlock another CPU
 * is spinning on, interrupts off; with an ordinary interrupt the first
 * would wait for the second's answer, and the second for the first's lock.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "kernel_map.h"
#include "kprintf.h"
#include "lapic.h"
#include "memlayout.h"
#include "mmio.h"
#include "paging.h"
#include "panic.h"
#include "smp.h"
#include "spinlock.h"
#include "string.h"
#include "thread.h"
#include "thread_stack.h"
#include "timer.h"
#include "trap.h"
#include "x86.h"

#define LOW_MEMORY_END 0x100000         /* a start-up IPI names a page below 1 MiB */
#define INIT_WAIT_US 10000              /* after INIT (SDM vol 3A, 8.4.4.1) */
#define STARTUP_WAIT_US 200             /* after each start-up IPI */
#define ONLINE_WAIT_US 1000000          /* for ap_main to report; it calibrates its timer (50 ms) */
#define TSC_SYNC_ROUNDS 16              /* round trips to the boot CPU for its TSC */

/* The trampoline's parameters, at ap_trampoline_args (ap_trampoline.S). */
struct ap_trampoline_args {
    uint64_t cr3;
    uint64_t stack_top;
    uint64_t entry;
    uint64_t cpu;
};

extern const char ap_trampoline_start[], ap_trampoline_end[], ap_trampoline_args[];

static volatile bool stopping;                  /* a panic stops every CPU */
/* An AP asks the boot CPU for its TSC (request = n), the boot CPU answers
 * (answer = n, with its TSC in boot_tsc): see sync_tsc. */
static struct {
    uint32_t request, answer;
    uint64_t boot_tsc;
} tsc_sync;
static struct spinlock shootdown_lock = SPINLOCK_INIT("tlb shootdown");
static volatile uintptr_t shootdown_va;
static volatile size_t shootdown_npages;
static unsigned shootdown_left;                 /* CPUs that have not flushed yet */

/* The first page below 1 MiB (not page 0, the real-mode interrupt table)
 * that the memory map says is usable, or 0. The frame allocator never
 * hands out low memory, so it is free to use. */
static paddr_t trampoline_page(const struct boot_info *bi)
{
    for (paddr_t pa = PAGE_SIZE; pa < LOW_MEMORY_END; pa += PAGE_SIZE) {
        for (size_t i = 0; i < bi->mmap_count; i++) {
            const struct mb2_mmap_entry *e = mb2_mmap_entry(bi, i);
            if (mb2_mmap_usable(e) && e->base <= pa && pa + PAGE_SIZE <= e->base + e->length)
                return pa;
        }
    }
    return 0;
}

/* Wait up to us microseconds for c to come online, answering its
 * requests for this CPU's TSC all the while. True if it did. */
static bool wait_online(const struct cpu *c, uint64_t us)
{
    uint64_t end = rdtsc() + timer_tsc_rate() / 1000000 * us;
    while (rdtsc() < end) {
        uint32_t n = __atomic_load_n(&tsc_sync.request, __ATOMIC_ACQUIRE);
        if (n != tsc_sync.answer) {
            tsc_sync.boot_tsc = rdtsc();
            __atomic_store_n(&tsc_sync.answer, n, __ATOMIC_RELEASE);
        }
        if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == CPU_ONLINE)
            return true;
        __asm__ volatile("pause");
    }
    return __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == CPU_ONLINE;
}

/* Set this AP's TSC to the boot CPU's. Its own restarted from 0 when it
 * was reset, and time measured on one CPU and read on another (a thread
 * that moved) must agree. Ask for the boot CPU's TSC a few times: each
 * answer was read somewhere between our TSC before the request (t0) and
 * after the answer (t1), so take it as read at the midpoint, from the
 * quickest round trip, whose error is at most half of it (Cristian's
 * clock synchronisation). A plain copy of a published value would be off
 * by however long the copy was delayed, milliseconds when QEMU does not
 * run the two virtual CPUs at once. */
static void sync_tsc(void)
{
    uint64_t best_rtt = UINT64_MAX;
    int64_t offset = 0;
    for (uint32_t n = 1; n <= TSC_SYNC_ROUNDS; n++) {
        uint64_t t0 = rdtsc();
        __atomic_store_n(&tsc_sync.request, n, __ATOMIC_RELEASE);
        while (__atomic_load_n(&tsc_sync.answer, __ATOMIC_ACQUIRE) != n)
            __asm__ volatile("pause");
        uint64_t t1 = rdtsc();
        if (t1 - t0 < best_rtt) {
            best_rtt = t1 - t0;
            offset = (int64_t)(tsc_sync.boot_tsc - (t0 + (t1 - t0) / 2));
        }
    }
    wrmsr(MSR_TSC, rdtsc() + (uint64_t)offset);
}

/* The first C code of an AP, on the stack smp_start gave it. */
__attribute__((noreturn)) void ap_main(struct cpu *c);

void ap_main(struct cpu *c)
{
    sync_tsc();
    cpu_init_ap(c);
    mmio_wc_init_ap();          /* the same memory types as the boot CPU's (ch08) */
    trap_init_ap();
    lapic_init();
    c->timer_khz = (unsigned)(timer_init_ap() / 1000);
    sched_init_ap();
    __atomic_store_n(&c->state, CPU_ONLINE, __ATOMIC_RELEASE);
    sched_idle();
}

/* INIT-SIPI-SIPI to c; true once it reports online. */
static bool start_one(struct cpu *c, paddr_t page, struct ap_trampoline_args *args)
{
    uint64_t top;
    int slot = thread_stack_alloc(THREAD_STACK_PAGES, &top);
    if (slot < 0) {
        kprintf("smp: no memory for the stack of CPU %u\n", c->id);
        return false;
    }
    c->self = c;
    c->idle_stack_slot = slot;
    args->cr3 = kernel_root;
    args->stack_top = top;
    args->entry = (uint64_t)ap_main;
    args->cpu = (uint64_t)c;
    c->state = CPU_STARTING;

    lapic_send_init(c->apic_id);
    timer_wait_us(INIT_WAIT_US);
    for (int sipi = 0; sipi < 2; sipi++) {
        lapic_send_startup(c->apic_id, (uint8_t)(page >> PAGE_SHIFT));
        if (wait_online(c, STARTUP_WAIT_US))
            return true;
    }
    if (wait_online(c, ONLINE_WAIT_US))
        return true;
    /* Back to waiting for a start-up IPI, so it cannot wake later and run
     * on a stack that is given back, or on the next CPU's parameters. */
    lapic_send_init(c->apic_id);
    c->state = CPU_ABSENT;
    thread_stack_free(slot);
    return false;
}

/* A wake-up: switch on the way out of this interrupt (trap_dispatch). */
static void on_resched(struct trap_frame *tf)
{
    (void)tf;
    this_cpu()->need_resched = true;
}

void smp_start(const struct boot_info *bi, const struct madt_info *madt, unsigned max_cpus)
{
    cpus[0].apic_id = lapic_id();
    trap_set_handler(VEC_RESCHED, on_resched);
    if (madt->ncpus <= 1 || max_cpus <= 1) {
        kprintf("smp: 1 CPU%s\n", madt->ncpus > 1 ? " (cpus=1)" : "");
        return;
    }
    paddr_t page = trampoline_page(bi);
    if (page == 0 || kernel_root >= 0x100000000ull) {
        kprintf("smp: %s; running on 1 CPU\n", page == 0 ? "no free page below 1 MiB for the "
                "start-up code" : "the kernel's page tables are above 4 GiB");
        return;
    }
    size_t size = (size_t)(ap_trampoline_end - ap_trampoline_start);
    memcpy(phys_to_virt(page), ap_trampoline_start, size);
    struct ap_trampoline_args *args =
        (struct ap_trampoline_args *)((char *)phys_to_virt(page) + (ap_trampoline_args - ap_trampoline_start));
    /* The trampoline turns paging on while it runs at its physical
     * address: map that page there, read-only and executable, meanwhile. */
    if (pt_map(kernel_root, page, page, 0) != 0) {
        kprintf("smp: cannot map the start-up code at 0x%llx; running on 1 CPU\n",
                (unsigned long long)page);
        return;
    }

    for (unsigned i = 0; i < madt->ncpus && cpu_count < max_cpus && cpu_count < MAX_CPUS; i++) {
        uint8_t id = madt->cpu_apic_ids[i];
        if (id == cpus[0].apic_id)
            continue;
        struct cpu *c = &cpus[cpu_count];
        c->id = cpu_count;
        c->apic_id = id;
        if (start_one(c, page, args)) {
            cpu_count++;
            kprintf("smp: CPU %u (APIC id %u) online, timer at %u kHz\n", c->id, id, c->timer_khz);
        } else {
            kprintf("smp: CPU with APIC id %u did not answer; left out\n", id);
        }
    }
    if (pt_unmap(kernel_root, page, NULL) != 0)
        panic("smp: the start-up code's mapping is gone");
    if (madt->ncpus > max_cpus || madt->ncpus > MAX_CPUS)
        kprintf("smp: the MADT lists %u CPUs; at most %u started (cpus=N, and MAX_CPUS %d)\n",
                madt->ncpus, max_cpus < MAX_CPUS ? max_cpus : MAX_CPUS, MAX_CPUS);
    kprintf("smp: %u CPUs online\n", cpu_count);
}

void smp_wake(struct cpu *c)
{
    lapic_send_ipi(c->apic_id, VEC_RESCHED);
}

void smp_flush_pages(uintptr_t va, size_t npages)
{
    if (npages == 0 || __atomic_load_n(&cpu_count, __ATOMIC_ACQUIRE) <= 1)
        return;
    spin_lock(&shootdown_lock);
    struct cpu *me = this_cpu();
    unsigned asked = 0;
    shootdown_va = va;
    shootdown_npages = npages;
    for (unsigned i = 0; i < MAX_CPUS; i++) {
        if (&cpus[i] != me && cpus[i].state == CPU_ONLINE) {
            cpus[i].flush_pending = true;
            asked++;
        }
    }
    __atomic_store_n(&shootdown_left, asked, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < MAX_CPUS; i++) {
        if (cpus[i].flush_pending && &cpus[i] != me)
            lapic_send_nmi(cpus[i].apic_id);
    }
    while (__atomic_load_n(&shootdown_left, __ATOMIC_ACQUIRE) != 0)
        __asm__ volatile("pause");
    spin_unlock(&shootdown_lock);
}

void smp_stop_others(void)
{
    if (__atomic_exchange_n(&stopping, true, __ATOMIC_ACQ_REL))
        cpu_halt_forever();     /* another CPU panicked first and stops this one */
    struct cpu *me = this_cpu();
    for (unsigned i = 0; i < MAX_CPUS; i++) {
        if (&cpus[i] != me && cpus[i].state == CPU_ONLINE)
            lapic_send_nmi(cpus[i].apic_id);
    }
}

bool smp_stopping(void)
{
    return stopping;
}

bool smp_handle_nmi(void)
{
    if (stopping)
        cpu_halt_forever();
    struct cpu *c = this_cpu();
    if (!c->flush_pending)
        return false;
    c->flush_pending = false;
    /* A large user range: reloading CR3 drops every non-global entry. */
    if (shootdown_va < USER_TOP && shootdown_npages > FLUSH_ALL_PAGES)
        write_cr3(read_cr3());
    else
        for (size_t i = 0; i < shootdown_npages; i++)
            invlpg((const void *)(shootdown_va + i * PAGE_SIZE));
    __atomic_sub_fetch(&shootdown_left, 1, __ATOMIC_ACQ_REL);
    return true;
}

void smp_print_cpus(void)
{
    static const char *const states[] = {
        [CPU_ABSENT] = "absent", [CPU_STARTING] = "starting", [CPU_ONLINE] = "online",
    };
    kprintf("  CPU  APIC  STATE     TIMER (kHz)     TICKS  SWITCHES  IDLE\n");
    for (unsigned i = 0; i < cpu_count; i++) {
        const struct cpu *c = &cpus[i];
        uint64_t ticks = c->ticks, idle = c->idle_ticks;
        kprintf("  %3u  %4u  %-8s  %11u  %8llu  %8llu  %3llu%%\n", c->id, c->apic_id, states[c->state],
                c->timer_khz, (unsigned long long)ticks, (unsigned long long)c->switches,
                (unsigned long long)(ticks ? idle * 100 / ticks : 0));
    }
}
