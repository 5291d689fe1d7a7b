/* cpu.c: the boot CPU's per-CPU data (see cpu.h). */
#include "cpu.h"
#include "x86.h"

static struct cpu boot_cpu;

void cpu_init_boot(void)
{
    boot_cpu.self = &boot_cpu;
    boot_cpu.id = 0;
    wrmsr(MSR_GS_BASE, (uint64_t)&boot_cpu);
}
