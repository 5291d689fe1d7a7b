/* bench.h: in-kernel micro-benchmarks for `make bench` (command line "bench"). */
#ifndef CUBOS_BENCH_H
#define CUBOS_BENCH_H

#include <stdint.h>

/* Run every benchmark; each prints "bench <name>: <cycles> cycles/op, <ns>
 * ns/op (<n> ops)", or "bench <name>: skipped, <why>" if it cannot run here. */
void bench_run(void);

/* Print one benchmark's line: cycles measured over ops operations. */
void bench_report(const char *name, uint64_t cycles, unsigned ops);

/* The benchmarks between CPUs (kernel/bench_smp.c). */
void bench_smp_run(void);

/* The channel benchmarks, beside Go's (kernel/bench_chan.c). */
void bench_chan_run(void);

#endif
