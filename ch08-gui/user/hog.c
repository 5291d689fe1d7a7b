/*
 * hog.c: allocates memory until there is none: first with malloc, one
 * MiB at a time, writing every page (the kernel backs pages only when
 * touched, so an untouched allocation costs nothing). The kernel keeps a
 * reserve for itself and ends the program when a page cannot be backed:
 *
 *   hog: allocating
 *   hog[5]: out of memory at 7f... : killed
 *   [5] /bin/hog: killed by SIGKILL
 *
 * If malloc itself fails first (mmap answers ENOMEM), it says how much it
 * got and exits 0:
 *
 *   hog: malloc failed after N MiB (ENOMEM), as it should
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (1 << 20)
#define PAGE 4096

int main(void)
{
    printf("hog: allocating\n");
    fflush(stdout);
    for (size_t mib = 0;; mib++) {
        char *p = malloc(CHUNK);
        if (p == NULL) {
            printf("hog: malloc failed after %zu MiB (%s), as it should\n", mib,
                   errno == ENOMEM ? "ENOMEM" : strerror(errno));
            return 0;
        }
        for (size_t i = 0; i < CHUNK; i += PAGE)
            p[i] = 1;
    }
}
