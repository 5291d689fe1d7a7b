/* cpu.c: the per-CPU data (see cpu.h). */
#include "cpu.h"
#include "x86.h"

struct cpu cpus[MAX_CPUS];
unsigned cpu_count;

void cpu_init_boot(void)
{
    struct cpu *c = &cpus[0];
    c->self = c;
    c->id = 0;
    c->state = CPU_ONLINE;
    cpu_count = 1;
    wrmsr(MSR_GS_BASE, (uint64_t)c);
}

void cpu_init_ap(struct cpu *c)
{
    c->self = c;
    wrmsr(MSR_GS_BASE, (uint64_t)c);
}
