/*
 * selftest.h: the kernel checking itself, run when the command line says
 * "selftest". Each check prints "selftest <name>: PASS ..." or "... FAIL ..."
 * and returns whether it passed.
 */
#ifndef CUBOS_SELFTEST_H
#define CUBOS_SELFTEST_H

#include <stdbool.h>

#include "kprintf.h"

/* Inside a check: if cond is false, print where and what for the test
 * called name, and return false from the check. */
#define CHECK(name, cond)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            kprintf("selftest %s: FAIL at %s:%d: %s\n", name, __FILE__,       \
                    __LINE__, #cond);                                         \
            return false;                                                     \
        }                                                                     \
    } while (0)

bool selftest_frames(void);
bool selftest_paging(void);
bool selftest_wx(void);
bool selftest_heap(void);
bool selftest_threads(void);
bool selftest_channels(void);

#endif
