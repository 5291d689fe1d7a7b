/*
 * cpu.h, host edition: stands in for the kernel's include/cpu.h when a
 * unit test puts this folder first on the include path. The kernel's
 * this_cpu() reads GS, which a Linux process does not point at a struct
 * cpu (reading %gs:0 there faults); here every test thread has its own
 * struct cpu instead, and this_cpu() returns it (host_kernel.h). Only the
 * fields the code under test reads are kept.
 */
#ifndef CUBOS_CPU_H
#define CUBOS_CPU_H

#include <stdint.h>

#define MAX_CPUS 8                  /* as in the kernel's cpu.h */

struct cpu {
    struct cpu *self;
    unsigned id;                    /* index in the kernel's cpus[]: below MAX_CPUS */
};

struct cpu *this_cpu(void);

#endif
