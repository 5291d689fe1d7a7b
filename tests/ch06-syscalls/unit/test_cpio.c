/*
 * test_cpio.c: the newc cpio reader (fs/cpio.c).
 *
 * Archives are written in memory by a small writer (struct archive) that
 * follows cpio(5) independently of the reader, and can also write a header
 * with any field wrong. Every read goes over a heap block of exactly the
 * archive's size, and the build uses -fsanitize=address,undefined, so a
 * read past the end fails the test.
 *
 * Covers: names, modes, ids, mtime and data of folders, files and links,
 * every padding of names and data, both magics, hex digits in either case,
 * the trailer (again on every later call); refusals for a bad magic, a
 * non-hex digit in each field, names that are empty, unterminated, hold a
 * NUL or run past the end, data running past the end (sizes up to
 * 0xFFFFFFFF), a missing trailer, every truncated prefix, and random byte
 * flips. With an argument, test_cpio ARCHIVE prints the archive's listing
 * (name, mode in octal, size, FNV-1a of the data) for the pytest side to
 * compare with the tree tools/mkinitrd.py packed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpio.h"

#include "check.h"

#define ARCHIVE_MAX 65536
#define NFIELDS 13
#define F_MODE 1
#define F_UID 2
#define F_GID 3
#define F_MTIME 5
#define F_FILESIZE 6
#define F_NAMESIZE 11
#define FLIPS 3000

static const char *const field_name[NFIELDS] = {
    "c_ino", "c_mode", "c_uid", "c_gid", "c_nlink", "c_mtime", "c_filesize",
    "c_devmajor", "c_devminor", "c_rdevmajor", "c_rdevminor", "c_namesize", "c_check",
};

/* An archive being written, by the letter of cpio(5). */
struct archive {
    uint8_t bytes[ARCHIVE_MAX];
    size_t len;
};

static void put(struct archive *a, const void *data, size_t n)
{
    memcpy(a->bytes + a->len, data, n);
    a->len += n;
}

static void put_padding(struct archive *a)
{
    while (a->len % 4)
        a->bytes[a->len++] = 0;
}

/* A header with the given magic and fields, written as "%08X". */
static void put_header(struct archive *a, const char *magic, const uint32_t field[NFIELDS])
{
    char text[CPIO_HEADER_SIZE + 1];
    int n = snprintf(text, sizeof text, "%s", magic);
    for (int i = 0; i < NFIELDS; i++)
        n += snprintf(text + n, sizeof text - n, "%08X", field[i]);
    put(a, text, CPIO_HEADER_SIZE);
}

/* A whole entry: header, name and NUL, padding, data, padding. */
static void put_entry(struct archive *a, const char *name, uint32_t mode, const void *data,
                      size_t size)
{
    static uint32_t ino = 1;
    uint32_t field[NFIELDS] = { 0 };
    field[0] = ino++;
    field[F_MODE] = mode;
    field[F_UID] = 1000;
    field[F_GID] = 100;
    field[4] = 1;                       /* c_nlink */
    field[F_MTIME] = 1700000000;
    field[F_FILESIZE] = size;
    field[F_NAMESIZE] = strlen(name) + 1;
    put_header(a, CPIO_MAGIC_NEWC, field);
    put(a, name, strlen(name) + 1);
    put_padding(a);
    put(a, data, size);
    put_padding(a);
}

static void put_trailer(struct archive *a)
{
    put_entry(a, CPIO_TRAILER, 0, "", 0);
}

/* Iterate a heap copy of exactly a->len bytes; returns cpio_next's last result. */
static int read_all(const struct archive *a, struct cpio_entry *entries, int max, int *count,
                    const char **why)
{
    uint8_t *copy = malloc(a->len ? a->len : 1);
    memcpy(copy, a->bytes, a->len);
    struct cpio_reader r;
    cpio_open(&r, copy, a->len);
    int rc = 1;
    *count = 0;
    *why = NULL;
    while (*count < max && (rc = cpio_next(&r, &entries[*count], why)) == 1) {
        const struct cpio_entry *e = &entries[*count];
        CHECK((const uint8_t *)e->name >= copy && (const uint8_t *)e->name + e->namesize < copy + a->len);
        CHECK((const uint8_t *)e->data >= copy && (const uint8_t *)e->data + e->size <= copy + a->len);
        CHECK(e->name[e->namesize] == '\0' && strlen(e->name) == e->namesize);
        (*count)++;
    }
    if (rc == 0) {
        struct cpio_entry after;
        CHECK(cpio_next(&r, &after, why) == 0);     /* the trailer, again */
    }
    free(copy);     /* the entries' pointers dangle now: tests compare only numbers */
    return rc;
}

/* a must be refused with -EINVAL and a message containing word. */
static void refuses(const struct archive *a, const char *word, int line)
{
    struct cpio_entry entries[8];
    int count;
    const char *why;
    int rc = read_all(a, entries, 8, &count, &why);
    if (rc != -EINVAL || why == NULL || strstr(why, word) == NULL) {
        fprintf(stderr, "line %d: expected a refusal with \"%s\", got %d: %s\n",
                line, word, rc, why ? why : "(no message)");
        failures++;
    }
}
#define REFUSES(a, word) refuses(&(a), word, __LINE__)

static struct archive arch;     /* big: static, rebuilt by each test */
static size_t hello_at;         /* where the sample's "bin/hello" header starts */

/* The archive the tests start from; sets trailer_end to where its trailer's name ends. */
static void build_sample(size_t *trailer_end)
{
    arch.len = 0;
    put_entry(&arch, ".", CPIO_S_IFDIR | 0755, "", 0);
    put_entry(&arch, "bin", CPIO_S_IFDIR | 0755, "", 0);
    hello_at = arch.len;
    put_entry(&arch, "bin/hello", CPIO_S_IFREG | 0755, "hello\n", 6);
    put_entry(&arch, "bin/hi", CPIO_S_IFLNK | 0777, "hello", 5);
    put_entry(&arch, "./etc/motd", CPIO_S_IFREG | 0644, "hi", 2);
    put_entry(&arch, "empty", CPIO_S_IFREG | 0600, "", 0);
    size_t trailer = arch.len;
    put_trailer(&arch);
    *trailer_end = trailer + CPIO_HEADER_SIZE + sizeof CPIO_TRAILER;
}

static void test_sample(void)
{
    size_t trailer_end;
    build_sample(&trailer_end);
    uint8_t *copy = malloc(arch.len);
    memcpy(copy, arch.bytes, arch.len);
    struct cpio_reader r;
    struct cpio_entry e;
    const char *why = NULL;
    cpio_open(&r, copy, arch.len);

    CHECK(cpio_next(&r, &e, &why) == 1);
    CHECK(strcmp(e.name, ".") == 0 && e.namesize == 1 && e.mode == (CPIO_S_IFDIR | 0755));
    CHECK(e.uid == 1000 && e.gid == 100 && e.mtime == 1700000000 && e.size == 0);
    CHECK(cpio_next(&r, &e, &why) == 1 && strcmp(e.name, "bin") == 0);
    CHECK(cpio_next(&r, &e, &why) == 1);
    CHECK(strcmp(e.name, "bin/hello") == 0 && e.namesize == 9);
    CHECK(e.mode == (CPIO_S_IFREG | 0755) && e.size == 6 && memcmp(e.data, "hello\n", 6) == 0);
    CHECK(cpio_next(&r, &e, &why) == 1);
    CHECK(strcmp(e.name, "bin/hi") == 0 && (e.mode & CPIO_S_IFMT) == CPIO_S_IFLNK);
    CHECK(e.size == 5 && memcmp(e.data, "hello", 5) == 0);
    CHECK(cpio_next(&r, &e, &why) == 1);
    CHECK(strcmp(e.name, "./etc/motd") == 0 && e.namesize == 10);  /* "./" left as stored */
    CHECK(e.size == 2 && memcmp(e.data, "hi", 2) == 0);
    CHECK(cpio_next(&r, &e, &why) == 1 && strcmp(e.name, "empty") == 0 && e.size == 0);
    CHECK(cpio_next(&r, &e, &why) == 0);
    CHECK(cpio_next(&r, &e, &why) == 0);
    CHECK(why == NULL);
    free(copy);
}

/* Names of 1 to 12 characters and data of 0 to 12 bytes: every padding. */
static void test_every_padding(void)
{
    char name[16], data[16];
    arch.len = 0;
    for (int n = 1; n <= 12; n++)
        for (int d = 0; d <= 12; d++) {
            snprintf(name, sizeof name, "%.*s", n, "abcdefghijkl");
            memset(data, 'a' + d, d);
            put_entry(&arch, name, CPIO_S_IFREG | 0644, data, d);
        }
    put_trailer(&arch);
    static struct cpio_entry entries[12 * 13 + 1];
    int count;
    const char *why;
    CHECK(read_all(&arch, entries, 12 * 13 + 1, &count, &why) == 0);
    CHECK(count == 12 * 13);
    for (int i = 0; i < count; i++)
        CHECK(entries[i].namesize == (size_t)(i / 13 + 1) && entries[i].size == (size_t)(i % 13));
}

/* 070702 (with a checksum, not checked) and lower-case hex are read too. */
static void test_crc_magic_and_lower_case(void)
{
    size_t trailer_end;
    build_sample(&trailer_end);
    memcpy(arch.bytes, CPIO_MAGIC_CRC, CPIO_MAGIC_LEN);
    memcpy(arch.bytes + CPIO_MAGIC_LEN + NFIELDS * 8 - 8, "deadBEEF", 8);  /* c_check */
    memcpy(arch.bytes + CPIO_MAGIC_LEN + F_MODE * 8, "000041ed", 8);       /* 040755 */
    struct cpio_entry entries[8];
    int count;
    const char *why;
    CHECK(read_all(&arch, entries, 8, &count, &why) == 0 && count == 6);
    CHECK(entries[0].mode == (CPIO_S_IFDIR | 0755));
}

static void test_refuses_bad_headers(void)
{
    size_t trailer_end;
    build_sample(&trailer_end);
    arch.bytes[3] = '8';
    REFUSES(arch, "bad magic");
    build_sample(&trailer_end);
    arch.bytes[2] = 'x';
    REFUSES(arch, "bad magic");

    /* A bad digit anywhere in any field, in the first entry or a later one. */
    const char bad[] = { 'g', 'G', ' ', '\0', '-', 'x', 0x80 };
    for (int f = 0; f < NFIELDS; f++)
        for (int d = 0; d < 8; d++)
            for (size_t b = 0; b < sizeof bad; b++) {
                build_sample(&trailer_end);
                arch.bytes[CPIO_MAGIC_LEN + f * 8 + d] = bad[b];
                REFUSES(arch, field_name[f]);
                build_sample(&trailer_end);
                arch.bytes[hello_at + CPIO_MAGIC_LEN + f * 8 + d] = bad[b];
                REFUSES(arch, field_name[f]);
            }
}

/* The sample with bin/hello's field f set to value. */
static void set_field(int f, uint32_t value)
{
    size_t trailer_end;
    char digits[9];
    build_sample(&trailer_end);
    snprintf(digits, sizeof digits, "%08X", value);
    memcpy(arch.bytes + hello_at + CPIO_MAGIC_LEN + f * 8, digits, 8);
}

static void test_refuses_bad_sizes(void)
{
    set_field(F_NAMESIZE, 0);
    REFUSES(arch, "empty name");
    set_field(F_NAMESIZE, 9);                           /* "bin/hello" without its NUL */
    REFUSES(arch, "not NUL-terminated");
    set_field(F_NAMESIZE, 0xFFFFFFFF);
    REFUSES(arch, "name runs past the end");
    set_field(F_FILESIZE, 0xFFFFFFFF);
    REFUSES(arch, "data runs past the end");
    set_field(F_FILESIZE, 0xFFFFFFFC);
    REFUSES(arch, "data runs past the end");

    size_t trailer_end;
    build_sample(&trailer_end);
    arch.bytes[hello_at + CPIO_HEADER_SIZE + 3] = '\0';    /* "bin\0hello" */
    REFUSES(arch, "NUL byte");

    /* A name cut short by the end of the archive, just before its NUL. */
    build_sample(&trailer_end);
    arch.len = hello_at + CPIO_HEADER_SIZE + strlen("bin/hello");
    REFUSES(arch, "name runs past the end");
}

static void test_refuses_missing_trailer(void)
{
    arch.len = 0;
    REFUSES(arch, "no TRAILER!!!");
    put_entry(&arch, "bin", CPIO_S_IFDIR | 0755, "", 0);
    REFUSES(arch, "no TRAILER!!!");
    put_entry(&arch, "bin/x", CPIO_S_IFREG | 0755, "abc", 3);    /* 3 bytes and a pad byte */
    arch.len--;                                         /* the pad byte missing at the very end */
    REFUSES(arch, "no TRAILER!!!");
}

/* Every prefix of the sample: refused until its trailer's name is whole. */
static void test_truncated_everywhere(void)
{
    size_t trailer_end;
    build_sample(&trailer_end);
    size_t full = arch.len;
    for (size_t n = 0; n <= full; n++) {
        arch.len = n;
        struct cpio_entry entries[8];
        int count;
        const char *why;
        int rc = read_all(&arch, entries, 8, &count, &why);
        if (n >= trailer_end)
            CHECK(rc == 0 && count == 6);
        else
            CHECK(rc == -EINVAL && why != NULL && count <= 6);
    }
}

/* xorshift64*: a small deterministic generator, so a failure can be replayed. */
static uint64_t rng_state = 20260806;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Random bytes changed anywhere: never a read out of bounds (read_all checks each entry). */
static void test_random_flips(void)
{
    size_t trailer_end;
    build_sample(&trailer_end);
    struct archive *good = malloc(sizeof *good);
    memcpy(good, &arch, sizeof arch);
    for (int iter = 0; iter < FLIPS; iter++) {
        memcpy(&arch, good, sizeof arch);
        int flips = 1 + rng() % 4;
        for (int k = 0; k < flips; k++) {
            size_t at = rng() % arch.len;
            arch.bytes[at] = rng() % 2 ? "0123456789abcdefF7"[rng() % 18] : (uint8_t)rng();
        }
        struct cpio_entry entries[8];
        int count;
        const char *why;
        int rc = read_all(&arch, entries, 8, &count, &why);
        CHECK(rc == 0 || (rc == -EINVAL && why != NULL && why[0] != '\0'));
    }
    free(good);
}

/* FNV-1a, 32 bits: a fingerprint of a file's data for the listing. */
static uint32_t fnv1a(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

/* Print the listing of the archive at path; returns 0 if it reads to its trailer. */
static int list_archive(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    size_t size = ftell(f);
    rewind(f);
    uint8_t *data = malloc(size ? size : 1);
    size_t got = fread(data, 1, size, f);
    fclose(f);
    struct cpio_reader r;
    struct cpio_entry e;
    const char *why = NULL;
    int rc;
    cpio_open(&r, data, got);
    while ((rc = cpio_next(&r, &e, &why)) == 1)
        printf("%s %o %zu %08x\n", e.name, e.mode, e.size, fnv1a(e.data, e.size));
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", path, why);
    free(data);
    return rc != 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return list_archive(argv[1]);
    test_sample();
    test_every_padding();
    test_crc_magic_and_lower_case();
    test_refuses_bad_headers();
    test_refuses_bad_sizes();
    test_refuses_missing_trailer();
    test_truncated_everywhere();
    test_random_flips();
    printf("cpio: %d failures\n", failures);
    return failures != 0;
}
