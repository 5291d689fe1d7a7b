/* backtrace.h: walk the frame-pointer chain and name each return address. */
#ifndef CUBOS_BACKTRACE_H
#define CUBOS_BACKTRACE_H

#include <stdint.h>

/* Print "  #n 0x... function+0xoff" for rip, then for each frame found by
 * following rbp, stopping at an unreadable or implausible frame. */
void backtrace_print(uint64_t rip, uint64_t rbp);

/* The name of the function holding addr and addr's offset into it, or NULL
 * if addr is outside the kernel's code. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
