/*
 * exec.c: from an ELF file to an address space ready to run.
 *
 * elf.c checks the file; this maps each PT_LOAD segment with its own
 * permissions (W^X: elf_parse refuses a writable and executable one) and
 * copies its bytes in, the rest of its memory zero (the bss); reserves the
 * heap after the image and the stack below USER_STACK_TOP; and writes the
 * initial stack the System V x86-64 ABI (3.4.1) prescribes:
 *
 *   sp ->  argc
 *          argv[0] ... argv[argc - 1], NULL
 *          envp[0] ... NULL
 *          auxv: (type, value) pairs ... (AT_NULL, 0)
 *          (padding)
 *          16 random bytes (AT_RANDOM), "x86_64" (AT_PLATFORM),
 *          the strings of argv and envp, the program's path (AT_EXECFN)
 *          USER_STACK_TOP
 *
 * The auxiliary vector is how a static program learns what it needs from
 * the kernel: where its program headers are (musl finds its PT_TLS
 * segment through AT_PHDR), the page size, the random bytes for its stack
 * canaries, the clock tick.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf.h"
#include "errno.h"
#include "exec.h"
#include "heap.h"
#include "kprintf.h"
#include "memlayout.h"
#include "random.h"
#include "string.h"
#include "timer.h"
#include "vfs.h"
#include "vm.h"
#include "x86.h"

/* Auxiliary vector types (Linux, include/uapi/linux/auxvec.h). */
#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31
#define AUXV_PAIRS 18
#define PLATFORM "x86_64"
#define RANDOM_BYTES 16

static unsigned segment_prot(uint32_t flags)
{
    return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
           (flags & PF_X ? PROT_EXEC : 0);
}

/* Count a NULL-ended string vector and its bytes (with NULs). */
static int vector_size(char *const v[], size_t *count, size_t *bytes)
{
    *count = 0;
    for (; v && v[*count]; (*count)++) {
        *bytes += strlen(v[*count]) + 1;
        if (*bytes > EXEC_ARGS_MAX)
            return -E2BIG;
    }
    return 0;
}

/* Build the initial stack in a kernel buffer laid out as it will be at
 * USER_STACK_TOP, then copy it in; the user stack pointer in *sp. */
static int build_stack(struct mm *mm, const char *path, char *const argv[], char *const envp[],
                       const struct elf_info *info, uint64_t base, uint64_t phdr_addr, uint64_t *sp)
{
    /* LAB(initial-stack): lay out the stack the System V ABI gives a new
     * program (the figure above): the strings of argv and envp, the
     * program's path, "x86_64" and 16 random bytes at the top; below them
     * argc, the argv pointers and a NULL, the envp pointers and a NULL,
     * then the auxiliary vector's (type, value) pairs ending with AT_NULL;
     * sp 16-byte aligned at argc. Build it in a kernel buffer, copy it in
     * with vm_write, set *sp. -E2BIG past EXEC_ARGS_MAX bytes of strings. */
    /* LAB-STUB: (void)mm; (void)path; (void)argv; (void)envp; (void)info; (void)base; */
    /* LAB-STUB: (void)phdr_addr; (void)sp; (void)vector_size; */
    /* LAB-STUB: return -ENOEXEC; */
    size_t argc, envc, bytes = strlen(path) + 1 + sizeof(PLATFORM) + RANDOM_BYTES;
    int err = vector_size(argv, &argc, &bytes);
    if (err == 0)
        err = vector_size(envp, &envc, &bytes);
    if (err)
        return err;
    size_t words = 1 + argc + 1 + envc + 1 + 2 * AUXV_PAIRS;
    size_t size = ((bytes + 15) & ~(size_t)15) + words * 8;
    size = (size + 15) & ~(size_t)15;   /* sp 16-byte aligned at entry (ABI 3.4.1) */
    uint8_t *buf = kmalloc(size);
    if (buf == NULL)
        return -ENOMEM;
    memset(buf, 0, size);
    uint64_t user_base = USER_STACK_TOP - size;
    /* Strings at the top, from the end of buf down. */
    size_t top = size;
    uint64_t *w = (uint64_t *)buf;
#define PUT_STRING(s, len) (top -= (len), memcpy(buf + top, (s), (len)), user_base + top)
    uint64_t execfn = PUT_STRING(path, strlen(path) + 1);
    uint64_t platform = PUT_STRING(PLATFORM, sizeof(PLATFORM));
    uint8_t random[RANDOM_BYTES];
    random_bytes(random, sizeof(random));
    uint64_t random_addr = PUT_STRING(random, sizeof(random));
    size_t i = 0;
    w[i++] = argc;
    for (size_t a = 0; a < argc; a++)
        w[i++] = PUT_STRING(argv[a], strlen(argv[a]) + 1);
    w[i++] = 0;
    for (size_t e = 0; e < envc; e++)
        w[i++] = PUT_STRING(envp[e], strlen(envp[e]) + 1);
    w[i++] = 0;
#undef PUT_STRING
    uint32_t a, b, c, d;
    cpuid(CPUID_FEATURES, &a, &b, &c, &d);
    const uint64_t auxv[AUXV_PAIRS][2] = {
        { AT_PHDR, phdr_addr }, { AT_PHENT, info->phentsize }, { AT_PHNUM, info->phnum },
        { AT_PAGESZ, PAGE_SIZE }, { AT_BASE, 0 }, { AT_FLAGS, 0 },
        { AT_ENTRY, base + info->entry }, { AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 },
        { AT_EGID, 0 }, { AT_SECURE, 0 }, { AT_RANDOM, random_addr }, { AT_HWCAP, d },
        { AT_CLKTCK, TIMER_HZ }, { AT_PLATFORM, platform }, { AT_EXECFN, execfn }, { AT_NULL, 0 },
    };
    memcpy(&w[i], auxv, sizeof(auxv));
    err = vm_write(mm, user_base, buf, size);
    kfree(buf);
    *sp = user_base;
    return err;
    /* END LAB(initial-stack) */
}

/* Map the segments and copy the file's bytes in. */
static int load_segments(struct mm *mm, const uint8_t *file, const struct elf_info *info, uint64_t base)
{
    for (int i = 0; i < info->nload; i++) {
        const struct elf_segment *s = &info->load[i];
        uint64_t start = (base + s->vaddr) & ~(uint64_t)(PAGE_SIZE - 1);
        uint64_t end = base + s->vaddr + s->memsz;
        long got = vm_map(mm, start, end - start, segment_prot(s->prot_flags),
                          MAP_PRIVATE | MAP_FIXED_NOREPLACE, VMA_IMAGE, NULL, 0);
        if (got < 0)
            return (int)got;
        int err = vm_write(mm, base + s->vaddr, file + s->offset, s->filesz);
        if (err)
            return err;
    }
    return 0;
}

/* Say why a program cannot run, when the caller wants it said. */
#define REPORT(...) do { if (report) kprintf(__VA_ARGS__); } while (0)

int exec_load(struct inode *cwd, const char *path, char *const argv[], char *const envp[],
              bool report, struct exec_image *out)
{
    struct inode *ino;
    int err = vfs_lookup(cwd, path, true, &ino);
    if (err) {
        REPORT("run: %s: %s\n", path, err == -ENOENT ? "no such file" : err == -ENOTDIR ?
                "a component of the path is not a directory" : "cannot look it up");
        return err;
    }
    if (!S_ISREG(ino->mode) || ino->fops) {
        REPORT("run: %s: not a regular file\n", path);
        inode_put(ino);
        return -EACCES;
    }
    if (!(ino->mode & 0111)) {
        REPORT("run: %s: not executable (no x permission)\n", path);
        inode_put(ino);
        return -EACCES;
    }
    struct elf_info *info = kmalloc(sizeof(*info));
    if (info == NULL) {
        inode_put(ino);
        return -ENOMEM;
    }
    mutex_lock(&ino->lock);
    const char *why;
    err = elf_parse(ino->data, ino->size, info, &why);
    if (err)
        REPORT("run: %s: %s\n", path, why);
    struct mm *mm = NULL;
    uint64_t base = 0;
    if (err == 0) {
        mm = vm_create();
        if (mm == NULL)
            err = -ENOMEM;
        base = info->pie ? USER_PIE_BASE : 0;
    }
    if (err == 0) {
        err = load_segments(mm, ino->data, info, base);
        if (err == -EEXIST)
            REPORT("run: %s: segments overlap\n", path);
    }
    mutex_unlock(&ino->lock);
    inode_put(ino);
    uint64_t image_end = base + info->hi;
    if (err == 0) {
        mm->brk_start = mm->brk = mm->image_end = image_end;
        long got = vm_map(mm, image_end, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED_NOREPLACE,
                          VMA_HEAP, NULL, 0);
        if (got < 0)
            err = (int)got;
    }
    if (err == 0) {
        unsigned prot = PROT_READ | PROT_WRITE | (info->exec_stack ? PROT_EXEC : 0);
        long got = vm_map(mm, USER_STACK_TOP - USER_STACK_MAX, USER_STACK_MAX, prot,
                          MAP_PRIVATE | MAP_FIXED_NOREPLACE, VMA_STACK, NULL, 0);
        if (got < 0)
            err = (int)got;
    }
    uint64_t sp = 0;
    if (err == 0)
        err = build_stack(mm, path, argv, envp, info, base,
                          info->phdr_vaddr ? base + info->phdr_vaddr : 0, &sp);
    if (err == -E2BIG)
        REPORT("run: %s: argument list too long\n", path);
    else if (err == -ENOMEM)
        REPORT("run: %s: out of memory\n", path);
    else if (err && mm)
        REPORT("run: %s: cannot set up its memory (error %d)\n", path, err);
    if (err == 0) {
        out->mm = mm;
        out->entry = base + info->entry;
        out->stack_pointer = sp;
    } else if (mm) {
        vm_put(mm);
    }
    kfree(info);
    return err;
}
