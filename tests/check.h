/*
 * check.h: the assertion the host unit tests share. CHECK counts a failure
 * and says where, without stopping, so one run lists every broken case;
 * a test's main returns failures != 0.
 */
#ifndef CUBOS_TEST_CHECK_H
#define CUBOS_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: FAIL %s\n", __FILE__, __LINE__, #cond);   \
            failures++;                                                       \
        }                                                                     \
    } while (0)

#endif
