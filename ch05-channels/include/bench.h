/* bench.h: in-kernel micro-benchmarks for `make bench` (command line "bench"). */
#ifndef CUBOS_BENCH_H
#define CUBOS_BENCH_H

/* Run every benchmark; each prints "bench <name>: <cycles> cycles/op (<n> ops)". */
void bench_run(void);

#endif
