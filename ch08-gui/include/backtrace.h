/* backtrace.h: walk the frame-pointer chain and name each return address. */
#ifndef CUBOS_BACKTRACE_H
#define CUBOS_BACKTRACE_H

#include <stdbool.h>
#include <stdint.h>

/* Print "  #n 0x... function+0xoff" for rip, then for each frame found by
 * following rbp, stopping at an unreadable or implausible frame.
 * at_call_target: rip is where a call went and not one instruction there
 * ran (an instruction fetch fault at the target itself), so the caller is
 * named by the return address at rsp, printed before the rbp chain. */
void backtrace_print(uint64_t rip, uint64_t rbp, uint64_t rsp, bool at_call_target);

/* The name of the function holding addr and addr's offset into it, or NULL
 * if addr is outside the kernel's code. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
