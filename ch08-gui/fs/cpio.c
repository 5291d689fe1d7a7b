/*
 * cpio.c: walk a newc cpio archive (include/cpio.h).
 *
 * Sizes in the headers come from the archive, so each is compared with the
 * bytes left before it is added to anything: "n > left" rather than
 * "pos + n > size", which a size near 2^32 (or 2^64) could wrap.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpio.h"
#include "string.h"

/* The header's fields after the magic, in order, 8 hex digits each (cpio(5)). */
enum cpio_field {
    F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE,
    F_DEVMAJOR, F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK,
    NFIELDS
};
#define FIELD_DIGITS 8

static const char *const bad_field[NFIELDS] = {
    "bad header: c_ino is not 8 hex digits",
    "bad header: c_mode is not 8 hex digits",
    "bad header: c_uid is not 8 hex digits",
    "bad header: c_gid is not 8 hex digits",
    "bad header: c_nlink is not 8 hex digits",
    "bad header: c_mtime is not 8 hex digits",
    "bad header: c_filesize is not 8 hex digits",
    "bad header: c_devmajor is not 8 hex digits",
    "bad header: c_devminor is not 8 hex digits",
    "bad header: c_rdevmajor is not 8 hex digits",
    "bad header: c_rdevminor is not 8 hex digits",
    "bad header: c_namesize is not 8 hex digits",
    "bad header: c_check is not 8 hex digits",
};

/* Read 8 hex digits (either case) into *value; false if any is not one. */
static bool parse_hex(const uint8_t *digits, uint32_t *value)
{
    uint32_t v = 0;
    for (int i = 0; i < FIELD_DIGITS; i++) {
        uint8_t c = digits[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return false;
        v = v << 4 | d;
    }
    *value = v;
    return true;
}

/* Padding after n bytes to reach a multiple of CPIO_ALIGN. */
static size_t pad(size_t n)
{
    return (CPIO_ALIGN - n % CPIO_ALIGN) % CPIO_ALIGN;
}

static int malformed(const char **why, const char *reason)
{
    *why = reason;
    return -EINVAL;
}

void cpio_open(struct cpio_reader *r, const void *archive, size_t size)
{
    r->base = archive;
    r->size = size;
    r->pos = 0;
}

int cpio_next(struct cpio_reader *r, struct cpio_entry *e, const char **why)
{
    const uint8_t *h = r->base + r->pos;
    size_t left = r->size - r->pos;     /* bytes from this header to the end */
    uint32_t field[NFIELDS];

    if (left == 0)
        return malformed(why, "no TRAILER!!! entry at the end of the archive");
    if (left < CPIO_HEADER_SIZE)
        return malformed(why, "truncated: a header runs past the end of the archive");
    if (memcmp(h, CPIO_MAGIC_NEWC, CPIO_MAGIC_LEN) != 0 &&
        memcmp(h, CPIO_MAGIC_CRC, CPIO_MAGIC_LEN) != 0)
        return malformed(why, "bad magic: not a newc cpio archive (expected 070701)");
    for (int i = 0; i < NFIELDS; i++)
        if (!parse_hex(h + CPIO_MAGIC_LEN + i * FIELD_DIGITS, &field[i]))
            return malformed(why, bad_field[i]);

    /* The name: c_namesize bytes counting its NUL, then padding. */
    size_t namesize = field[F_NAMESIZE];
    const char *name = (const char *)h + CPIO_HEADER_SIZE;
    if (namesize == 0)
        return malformed(why, "bad header: empty name (c_namesize is 0)");
    if (namesize > left - CPIO_HEADER_SIZE)
        return malformed(why, "truncated: a name runs past the end of the archive");
    if (name[namesize - 1] != '\0')
        return malformed(why, "bad name: not NUL-terminated within c_namesize");
    if (strlen(name) != namesize - 1)
        return malformed(why, "bad name: a NUL byte inside it");
    if (strcmp(name, CPIO_TRAILER) == 0)
        return 0;

    /* The data: c_filesize bytes, then padding (absent at the very end is tolerated). */
    size_t data_off = CPIO_HEADER_SIZE + namesize;
    data_off += pad(data_off);
    size_t filesize = field[F_FILESIZE];
    if (data_off > left || filesize > left - data_off)
        return malformed(why, "truncated: file data runs past the end of the archive");
    size_t next = data_off + filesize;
    next += pad(next);

    *e = (struct cpio_entry){
        .name = name, .namesize = namesize - 1,
        .mode = field[F_MODE], .uid = field[F_UID], .gid = field[F_GID],
        .mtime = field[F_MTIME],
        .data = h + data_off, .size = filesize,
    };
    r->pos += next < left ? next : left;
    return 1;
}
