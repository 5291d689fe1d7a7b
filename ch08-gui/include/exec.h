/*
 * exec.h: loading a static ELF program into a new address space.
 */
#ifndef CUBOS_EXEC_H
#define CUBOS_EXEC_H

#include <stdbool.h>
#include <stdint.h>

struct mm;
struct inode;

#define EXEC_ARGS_MAX (128 * 1024)  /* bytes of argv and envp strings (E2BIG beyond) */

struct exec_image {
    struct mm *mm;
    uint64_t entry;             /* the first instruction */
    uint64_t stack_pointer;     /* argc, argv, envp and auxv start here */
};

/* Load the program at path (relative to cwd; NULL: the root) into a new
 * address space: 0 and *out, or a negative errno; with report, after one
 * line on the console saying why ("run: /bin/x: dynamically linked ...").
 * May sleep. */
int exec_load(struct inode *cwd, const char *path, char *const argv[], char *const envp[],
              bool report, struct exec_image *out);

#endif
