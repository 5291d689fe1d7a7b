/*
 * efault.c: system calls given bad pointers must fail with EFAULT.
 *
 * Shows that the kernel checks every pointer a program hands it: a bad one
 * makes the call fail with EFAULT (14), and neither the program nor the
 * kernel crashes. The calls go through syscall(2), so that the C library
 * checks nothing first. The classes of bad pointer:
 *
 *   null        address 0
 *   kernel      0xffff800000000000, the kernel's map of physical memory
 *   unmapped    a page the program mapped and then unmapped again
 *   crossing    a range that starts below 0x0000800000000000, the end of
 *               the user half, and ends above it. If the kernel lets the
 *               program map the last user page (cubos does; Linux keeps it
 *               back), the range starts in mapped memory, so only a check
 *               of the whole range catches it
 *   huge        a valid buffer with a length of 2^62: the range crosses
 *   wrap        a valid buffer with a length that wraps past 2^64
 *   unterminated  a path with no NUL before an unmapped page
 *
 * and one good class, misaligned: a valid buffer at an odd address, where
 * the call must work. The futex word is the exception: a misaligned one is
 * EINVAL, as on Linux. Each check prints
 *
 *   efault: CALL CLASS ok
 *
 * or, if the result is not the expected one, "efault: CALL CLASS FAILED:
 * ..." with what came back. The last line is
 *
 *   efault: N checks, 0 failed
 *
 * and the status is 0 if no check failed, 1 otherwise. The same binary
 * passes on Linux, where each expectation here comes from.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PAGE_BYTES 4096
#define USER_TOP 0x0000800000000000ul           /* the end of the user half */
#define LAST_USER_PAGE (USER_TOP - PAGE_BYTES)
#define KERNEL_POINTER 0xffff800000000000ul
#define HUGE_LENGTH (1ul << 62)
#define FUTEX_WAIT 0                            /* Linux's uapi linux/futex.h */
#define TMP_FILE "/tmp/efault.tmp"

/* syscall(2) with errno cleared first: a result that is negative but no
 * error code (a length above LONG_MAX) leaves it 0. */
#define sys(...) (errno = 0, syscall(__VA_ARGS__))

static int checks, failures;

static char *good;          /* a mapped, writable page... */
static char *hole;          /* ...the unmapped page after it... */
static char *fresh;         /* ...and a mapped page after that, never touched */
static char *last;          /* the last user page, if it could be mapped */

/* Count a check of call's result r (from sys(): -1 with errno on error,
 * errno 0 otherwise): want_errno 0 wants success, anything else that error. */
static void check(const char *call, const char *class, long r, int want_errno)
{
    int err = r < 0 ? errno : 0;
    checks++;
    if (err == want_errno) {
        printf("efault: %s %s ok\n", call, class);
        return;
    }
    failures++;
    if (err != 0)
        printf("efault: %s %s FAILED: error %d (%s), expected %s\n", call, class, err,
               strerror(err), want_errno ? strerror(want_errno) : "success");
    else
        printf("efault: %s %s FAILED: returned %ld, expected %s\n", call, class, r,
               strerror(want_errno));
}

/* Count a check of a call that must succeed and return want. */
static void check_count(const char *call, const char *class, long r, long want)
{
    if (r == want || (r < 0 && errno != 0)) {
        check(call, class, r, 0);
        return;
    }
    checks++;
    failures++;
    printf("efault: %s %s FAILED: returned %ld, expected %ld\n", call, class, r, want);
}

/* The pointer of class for an object of size bytes; crossing ends it past USER_TOP. */
static void *bad_pointer(const char *class, size_t size)
{
    if (strcmp(class, "null") == 0)
        return NULL;
    if (strcmp(class, "kernel") == 0)
        return (void *)KERNEL_POINTER;
    if (strcmp(class, "unmapped") == 0)
        return hole;
    return (void *)(USER_TOP - size / 2);       /* "crossing" */
}

static const char *const bad_classes[] = { "null", "kernel", "unmapped", "crossing" };
#define BAD_CLASSES (sizeof(bad_classes) / sizeof(bad_classes[0]))

/* Map good, hole and fresh, and the last user page if the kernel allows. */
static int setup(void)
{
    char *p = mmap(NULL, 3 * PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || munmap(p + PAGE_BYTES, PAGE_BYTES) != 0) {
        perror("efault: mmap");
        return -1;
    }
    good = p;
    hole = p + PAGE_BYTES;
    fresh = p + 2 * PAGE_BYTES;
    memset(good, 'a', PAGE_BYTES);

    last = mmap((void *)LAST_USER_PAGE, PAGE_BYTES, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (last == (void *)LAST_USER_PAGE) {
        printf("efault: the last user page is mapped: crossing ranges start in mapped memory\n");
    } else {
        if (last != MAP_FAILED)                 /* MAP_FIXED_NOREPLACE read as a hint */
            munmap(last, PAGE_BYTES);
        last = NULL;
        printf("efault: the last user page cannot be mapped: crossing ranges start unmapped\n");
    }
    return 0;
}

static void check_read_write(void)
{
    int zero = open("/dev/zero", O_RDONLY);
    int null = open("/dev/null", O_WRONLY);
    int file = open(TMP_FILE, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (zero < 0 || null < 0 || file < 0) {
        perror("efault: open /dev/zero, /dev/null or " TMP_FILE);
        failures++;
        return;
    }
    for (size_t i = 0; i < BAD_CLASSES; i++) {
        void *p = bad_pointer(bad_classes[i], 2 * PAGE_BYTES);
        check("read", bad_classes[i], sys(SYS_read, zero, p, 2 * PAGE_BYTES), EFAULT);
        check("write", bad_classes[i], sys(SYS_write, file, p, 2 * PAGE_BYTES), EFAULT);
    }
    size_t wrap = -(uintptr_t)good + PAGE_BYTES;
    check("read", "huge", sys(SYS_read, zero, good, HUGE_LENGTH), EFAULT);
    check("read", "wrap", sys(SYS_read, zero, good, wrap), EFAULT);
    check("write", "huge", sys(SYS_write, file, good, HUGE_LENGTH), EFAULT);
    check("write", "wrap", sys(SYS_write, file, good, wrap), EFAULT);
    check_count("read", "misaligned", sys(SYS_read, zero, good + 1, 100), 100);
    check_count("write", "misaligned", sys(SYS_write, file, good + 1, 100), 100);

    /* /dev/null reads nothing from the buffer, but the range is still
     * checked (on Linux too: vfs_write's access_ok). NULL and an unmapped
     * page are user addresses, and there writing to /dev/null works. */
    check("write-devnull", "kernel", sys(SYS_write, null, KERNEL_POINTER, 16), EFAULT);
    check("write-devnull", "crossing", sys(SYS_write, null, USER_TOP - 8, 16), EFAULT);
    check("write-devnull", "huge", sys(SYS_write, null, good, HUGE_LENGTH), EFAULT);
    check("write-devnull", "wrap", sys(SYS_write, null, good, wrap), EFAULT);

    struct iovec *iov = (struct iovec *)(good + 1);   /* misaligned, yet valid */
    iov->iov_base = good + 2048;
    iov->iov_len = 16;
    for (size_t i = 0; i < BAD_CLASSES; i++) {
        void *p = bad_pointer(bad_classes[i], sizeof(*iov));
        check("readv", bad_classes[i], sys(SYS_readv, zero, p, 1), EFAULT);
        check("writev", bad_classes[i], sys(SYS_writev, file, p, 1), EFAULT);
    }
    check_count("readv", "misaligned", sys(SYS_readv, zero, iov, 1), 16);
    check_count("writev", "misaligned", sys(SYS_writev, file, iov, 1), 16);
    for (size_t i = 0; i < BAD_CLASSES; i++) {
        iov->iov_base = bad_pointer(bad_classes[i], 16);
        char name[32];
        snprintf(name, sizeof(name), "%s-base", bad_classes[i]);
        check("readv", name, sys(SYS_readv, zero, iov, 1), EFAULT);
        check("writev", name, sys(SYS_writev, file, iov, 1), EFAULT);
    }
    close(zero);
    close(null);
    close(file);
    unlink(TMP_FILE);
}

static void check_paths(void)
{
    /* Strings of 'a's with no NUL: up to the hole, and up to USER_TOP. */
    memset(good, 'a', PAGE_BYTES);
    if (last != NULL)
        memset(last, 'a', PAGE_BYTES);
    for (size_t i = 0; i < BAD_CLASSES; i++)
        check("open", bad_classes[i], sys(SYS_open, bad_pointer(bad_classes[i], 16), O_RDONLY),
              EFAULT);
    char *unterminated = hole - 16;
    check("open", "unterminated", sys(SYS_open, unterminated, O_RDONLY), EFAULT);

    char *path = good + 1001;                   /* odd */
    strcpy(path, "/dev/null");
    long fd = sys(SYS_open, path, O_RDONLY);
    check("open", "misaligned", fd, 0);
    if (fd >= 0)
        close((int)fd);
    memset(good, 'a', PAGE_BYTES);

    check("stat-path", "null", sys(SYS_stat, NULL, good), EFAULT);
    for (size_t i = 0; i < BAD_CLASSES; i++)
        check("stat", bad_classes[i], sys(SYS_stat, "/", bad_pointer(bad_classes[i], 144)), EFAULT);
    check("stat", "misaligned", sys(SYS_stat, "/", good + 1), 0);

    for (size_t i = 0; i < BAD_CLASSES; i++) {
        /* The cwd is "/": two bytes, so crossing puts the second past the end. */
        char *p = bad_pointer(bad_classes[i], 2);
        check("getcwd", bad_classes[i], sys(SYS_getcwd, p, 256), EFAULT);
    }
    check("getcwd", "misaligned", sys(SYS_getcwd, good + 1, 256), 0);
}

static void check_structs(void)
{
    for (size_t i = 0; i < BAD_CLASSES; i++) {
        const char *c = bad_classes[i];
        check("clock_gettime", c,
              sys(SYS_clock_gettime, CLOCK_MONOTONIC, bad_pointer(c, sizeof(struct timespec))), EFAULT);
        check("uname", c, sys(SYS_uname, bad_pointer(c, 390)), EFAULT);
        check("getrandom", c, sys(SYS_getrandom, bad_pointer(c, 16), 16, 0), EFAULT);
    }
    check("clock_gettime", "misaligned", sys(SYS_clock_gettime, CLOCK_MONOTONIC, good + 1), 0);
    check("uname", "misaligned", sys(SYS_uname, good + 1), 0);
    check_count("getrandom", "misaligned", sys(SYS_getrandom, good + 1, 16, 0), 16);
}

/* FUTEX_WAIT for a value the word does not hold: EAGAIN at once, never a
 * sleep, when the word can be read. */
static void check_futex(void)
{
    for (size_t i = 0; i < 3; i++)      /* no crossing: the word must be aligned */
        check("futex", bad_classes[i],
              sys(SYS_futex, bad_pointer(bad_classes[i], 4), FUTEX_WAIT, 1, NULL, NULL, 0), EFAULT);
    uint32_t *word = (uint32_t *)(good + 64);
    *word = 0;
    check("futex", "valid", sys(SYS_futex, word, FUTEX_WAIT, 1, NULL, NULL, 0), EAGAIN);
    check("futex", "misaligned", sys(SYS_futex, good + 65, FUTEX_WAIT, 1, NULL, NULL, 0), EINVAL);
    /* A page mapped but never touched: the kernel backs it to read the word. */
    check("futex", "untouched", sys(SYS_futex, fresh, FUTEX_WAIT, 1, NULL, NULL, 0), EAGAIN);
}

int main(void)
{
    if (setup() != 0)
        return 1;
    check_read_write();
    check_paths();
    check_structs();
    check_futex();
    printf("efault: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
