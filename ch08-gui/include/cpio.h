/*
 * cpio.h: read a cpio archive in the "newc" format, the format of Linux's
 * initramfs and of what tools/mkinitrd.py writes (cpio(5), "New ASCII Format").
 *
 * Each entry is a 110-byte header of ASCII hex fields, the entry's name
 * (NUL-terminated, padded to a multiple of 4 bytes), then its data (padded
 * to 4). An entry named TRAILER!!! ends the archive. The reader is pure: it
 * points into the archive's bytes, copies and allocates nothing, and checks
 * every size before using it, so a damaged archive gives an error, never a
 * read outside [archive, archive + size). The host unit tests
 * (tests/ch06-syscalls/unit/test_cpio.c) run this same code.
 */
#ifndef CUBOS_CPIO_H
#define CUBOS_CPIO_H

#include <stddef.h>
#include <stdint.h>

#include "errno.h"

#define CPIO_HEADER_SIZE 110    /* 6 bytes of magic and 13 fields of 8 hex digits */
#define CPIO_ALIGN 4            /* names and data end on a multiple of 4 bytes */
#define CPIO_MAGIC_NEWC "070701"
#define CPIO_MAGIC_CRC "070702" /* newc with a checksum of the data: accepted, checksum not checked */
#define CPIO_MAGIC_LEN 6
#define CPIO_TRAILER "TRAILER!!!"

/* The file type in an entry's mode (cpio(5), the same bits as stat's st_mode). */
#define CPIO_S_IFMT 0170000
#define CPIO_S_IFDIR 0040000
#define CPIO_S_IFREG 0100000
#define CPIO_S_IFLNK 0120000    /* the data is the link's target, not NUL-terminated */

/* One archive entry; its pointers point into the archive. */
struct cpio_entry {
    const char *name;           /* as stored: "bin/hello", "./bin/hello" or "."; NUL-terminated */
    size_t namesize;            /* strlen(name) */
    uint32_t mode;              /* file type (CPIO_S_IF*) and permission bits */
    uint32_t uid, gid;
    uint64_t mtime;             /* seconds since 1970 */
    const void *data;
    size_t size;
};

struct cpio_reader {
    const uint8_t *base;
    size_t size;
    size_t pos;                 /* offset of the next header */
};

/* Start reading the archive at archive[0, size); nothing is checked yet. */
void cpio_open(struct cpio_reader *r, const void *archive, size_t size);

/*
 * Read the next entry into *e. Returns 1 for an entry, 0 once the trailer
 * is reached (and again on every later call), or -EINVAL for a malformed
 * archive, with *why saying what is wrong; the reader then stays where it
 * was. One archive only: bytes after the trailer (padding) are not read.
 */
int cpio_next(struct cpio_reader *r, struct cpio_entry *e, const char **why);

#endif
