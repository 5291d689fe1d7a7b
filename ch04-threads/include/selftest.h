/*
 * selftest.h: the kernel checking itself, run when the command line says
 * "selftest". Each check prints "selftest <name>: PASS ..." or "... FAIL ..."
 * and returns whether it passed.
 */
#ifndef CUBOS_SELFTEST_H
#define CUBOS_SELFTEST_H

#include <stdbool.h>

bool selftest_frames(void);
bool selftest_paging(void);
bool selftest_wx(void);
bool selftest_heap(void);
bool selftest_threads(void);

#endif
