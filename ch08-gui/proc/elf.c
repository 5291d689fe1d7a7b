/*
 * elf.c: check an ELF-64 executable before loading it (include/elf.h).
 *
 * Every number in the file comes from whoever wrote the file, so each one is
 * checked before it is used, and every sum of two of them is checked for
 * overflow first: offsets and sizes against the file's size, addresses
 * against the user half of the address space (USER_MIN to USER_MAP_END). What passes is a program the
 * loader can map page by page without further doubt: no segment writable
 * and executable, no two segments in one page (each page gets one segment's
 * permissions), the entry point in executable code.
 *
 * Headers are copied out with memcpy, since the image may sit at any
 * alignment (a file inside a cpio archive is only 4-byte aligned).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf.h"
#include "format.h"
#include "memlayout.h"
#include "string.h"

#define PAGE ((uint64_t)PAGE_SIZE)

/* Refuse the file: write the reason into out->message and point *why at it. */
__attribute__((format(printf, 3, 4)))
static int refuse(struct elf_info *out, const char **why, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    kvsnprintf(out->message, sizeof out->message, fmt, args);
    va_end(args);
    *why = out->message;
    return -ENOEXEC;
}

/* Whether [offset, offset + len) lies inside a file of size bytes (no overflow). */
static bool in_file(uint64_t offset, uint64_t len, size_t size)
{
    return offset <= size && len <= size - offset;
}

static bool power_of_two(uint64_t x)
{
    return (x & (x - 1)) == 0;
}

static uint64_t page_down(uint64_t a)
{
    return a & ~(PAGE - 1);
}

/* Only for addresses below USER_TOP, where rounding up cannot wrap. */
static uint64_t page_up(uint64_t a)
{
    return page_down(a + PAGE - 1);
}

/* e_ident: an ELF file of the one kind this kernel runs. */
static int check_ident(const uint8_t *file, size_t size, struct elf_info *out, const char **why)
{
    if (size < ELF_MAGIC_LEN || memcmp(file, ELF_MAGIC, ELF_MAGIC_LEN) != 0)
        return refuse(out, why, "not an ELF file");
    if (size < EI_NIDENT)
        return refuse(out, why, "truncated: the ELF header is cut short");
    if (file[EI_CLASS] == ELFCLASS32)
        return refuse(out, why, "32-bit ELF (only 64-bit x86-64 programs run here)");
    if (file[EI_CLASS] != ELFCLASS64)
        return refuse(out, why, "bad ELF class %d", file[EI_CLASS]);
    if (file[EI_DATA] == ELFDATA2MSB)
        return refuse(out, why, "big-endian ELF (x86-64 programs are little-endian)");
    if (file[EI_DATA] != ELFDATA2LSB)
        return refuse(out, why, "bad ELF byte order %d", file[EI_DATA]);
    if (file[EI_VERSION] != EV_CURRENT)
        return refuse(out, why, "bad ELF version %d", file[EI_VERSION]);
    if (file[EI_OSABI] != ELFOSABI_SYSV && file[EI_OSABI] != ELFOSABI_GNU)
        return refuse(out, why, "not a Linux program (OS ABI %d)", file[EI_OSABI]);
    if (size < sizeof(struct elf64_ehdr))
        return refuse(out, why, "truncated: the ELF header is cut short");
    return 0;
}

/* The rest of the ELF header: an x86-64 executable whose program headers are all in the file. */
static int check_header(const struct elf64_ehdr *eh, size_t size, struct elf_info *out,
                        const char **why)
{
    if (eh->e_version != EV_CURRENT)
        return refuse(out, why, "bad ELF version %u", eh->e_version);
    if (eh->e_machine != EM_X86_64)
        return refuse(out, why, "not an x86-64 program (machine %d)", eh->e_machine);
    if (eh->e_type == ET_REL)
        return refuse(out, why, "not an executable (ET_REL: an object file, link it first)");
    if (eh->e_type == ET_CORE)
        return refuse(out, why, "not an executable (ET_CORE: a core dump)");
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return refuse(out, why, "not an executable (ELF type %d)", eh->e_type);
    if (eh->e_phentsize != sizeof(struct elf64_phdr))
        return refuse(out, why, "bad program header size %d (expected %d)",
                      eh->e_phentsize, (int)sizeof(struct elf64_phdr));
    if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr), size))
        return refuse(out, why, "truncated: program headers beyond the end of the file");
    return 0;
}

/* PT_INTERP: always a refusal, naming the dynamic linker when the file holds its path. */
static int refuse_dynamic(const uint8_t *file, size_t size, const struct elf64_phdr *ph,
                          struct elf_info *out, const char **why)
{
    if (in_file(ph->p_offset, ph->p_filesz, size) && ph->p_filesz >= 1 &&
        ph->p_filesz <= ELF_INTERP_MAX && file[ph->p_offset + ph->p_filesz - 1] == '\0') {
        memcpy(out->interp, file + ph->p_offset, ph->p_filesz);
        return refuse(out, why, "dynamically linked (needs %s; run static programs: "
                      "musl-gcc -static)", out->interp);
    }
    return refuse(out, why, "dynamically linked (needs a dynamic linker; run static "
                  "programs: musl-gcc -static)");
}

/* PT_LOAD number n: check it alone and against those before it, then record it. */
static int add_load(const struct elf64_phdr *ph, int n, size_t size, struct elf_info *out,
                    const char **why)
{
    if (ph->p_filesz > ph->p_memsz)
        return refuse(out, why, "segment %d: file size 0x%lx larger than memory size 0x%lx",
                      n, ph->p_filesz, ph->p_memsz);
    if (!in_file(ph->p_offset, ph->p_filesz, size))
        return refuse(out, why, "segment %d: file data beyond the end of the file", n);
    if (ph->p_memsz == 0)
        return 0;                       /* maps nothing: nothing to record */
    if (ph->p_align > 1 && !power_of_two(ph->p_align))
        return refuse(out, why, "segment %d: alignment 0x%lx is not a power of two",
                      n, ph->p_align);
    /* Mapped a page at a time, file page to memory page (ELF-64 spec, "Program loading"). */
    if (ph->p_align > 1 && ph->p_vaddr % PAGE != ph->p_offset % PAGE)
        return refuse(out, why, "segment %d: address 0x%lx and file offset 0x%lx are "
                      "misaligned (they must agree modulo the page size)",
                      n, ph->p_vaddr, ph->p_offset);
    if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
        return refuse(out, why, "segment %d is writable and executable (W^X)", n);
    if (ph->p_memsz > ELF_MAX_SPAN)
        return refuse(out, why, "segment %d is too large (0x%lx bytes, the limit is 1 GiB)",
                      n, ph->p_memsz);
    /* A pie's relative addresses stay within one span, so any base can be added to them. */
    uint64_t end = out->pie ? ELF_MAX_SPAN : USER_MAP_END;
    if (ph->p_vaddr >= end || ph->p_memsz > end - ph->p_vaddr)
        return refuse(out, why, "segment %d is too large or too high (it must end below "
                      "0x%lx)", n, end);
    if (!out->pie && ph->p_vaddr < USER_MIN)
        return refuse(out, why, "segment %d starts below 0x%x (kept unmapped so that NULL "
                      "pointers fault)", n, USER_MIN);

    uint64_t lo = page_down(ph->p_vaddr), hi = page_up(ph->p_vaddr + ph->p_memsz);
    for (int i = 0; i < out->nload; i++) {
        const struct elf_segment *s = &out->load[i];
        if (lo < page_up(s->vaddr + s->memsz) && page_down(s->vaddr) < hi)
            return refuse(out, why, "segments %d and %d overlap (or share a page)", s->phdr, n);
    }
    if (out->nload == ELF_MAX_LOAD)
        return refuse(out, why, "too many loadable segments (more than %d)", ELF_MAX_LOAD);

    out->load[out->nload++] = (struct elf_segment){
        .vaddr = ph->p_vaddr, .memsz = ph->p_memsz,
        .offset = ph->p_offset, .filesz = ph->p_filesz,
        .prot_flags = ph->p_flags & (PF_R | PF_W | PF_X), .phdr = n,
    };
    if (out->nload == 1 || lo < out->lo)
        out->lo = lo;
    if (hi > out->hi)
        out->hi = hi;
    if (out->hi - out->lo > ELF_MAX_SPAN)
        return refuse(out, why, "segments span 0x%lx bytes (the limit is 1 GiB)",
                      out->hi - out->lo);
    return 0;
}

/* PT_TLS: sizes the loader can allocate per thread without overflow. */
static int add_tls(const struct elf64_phdr *ph, struct elf_info *out, const char **why)
{
    if (out->has_tls)
        return refuse(out, why, "more than one TLS segment");
    if (ph->p_filesz > ph->p_memsz)
        return refuse(out, why, "TLS segment: file size larger than memory size");
    if (ph->p_memsz > ELF_MAX_SPAN)
        return refuse(out, why, "TLS segment is too large (0x%lx bytes)", ph->p_memsz);
    if (!power_of_two(ph->p_align) || ph->p_align > PAGE)
        return refuse(out, why, "TLS segment: alignment 0x%lx is not a power of two up to "
                      "a page", ph->p_align);
    out->has_tls = true;
    out->tls_vaddr = ph->p_vaddr;
    out->tls_filesz = ph->p_filesz;
    out->tls_memsz = ph->p_memsz;
    out->tls_align = ph->p_align;
    return 0;
}

/* The index of a segment holding [addr, addr + len) in memory, or -1. */
static int segment_holding(const struct elf_info *out, uint64_t addr, uint64_t len)
{
    for (int i = 0; i < out->nload; i++) {
        const struct elf_segment *s = &out->load[i];
        if (addr >= s->vaddr && addr - s->vaddr <= s->memsz && len <= s->memsz - (addr - s->vaddr))
            return i;
    }
    return -1;
}

/* Checks on the program as a whole, once every program header is read. */
static int check_program(const struct elf64_ehdr *eh, struct elf_info *out, const char **why)
{
    if (out->nload == 0)
        return refuse(out, why, "no loadable segments");
    int i = segment_holding(out, eh->e_entry, 1);
    if (i < 0 || !(out->load[i].prot_flags & PF_X))
        return refuse(out, why, "entry point 0x%lx is outside the executable segments",
                      eh->e_entry);
    if (out->has_tls && out->tls_filesz > 0 && segment_holding(out, out->tls_vaddr, out->tls_filesz) < 0)
        return refuse(out, why, "TLS image at 0x%lx is outside the loadable segments",
                      out->tls_vaddr);

    /* AT_PHDR: where a loaded segment's file bytes put the program headers, as Linux finds it. */
    uint64_t table = (uint64_t)eh->e_phnum * eh->e_phentsize;
    for (i = 0; i < out->nload; i++) {
        const struct elf_segment *s = &out->load[i];
        if (eh->e_phoff >= s->offset && eh->e_phoff - s->offset <= s->filesz &&
            table <= s->filesz - (eh->e_phoff - s->offset)) {
            out->phdr_vaddr = s->vaddr + (eh->e_phoff - s->offset);
            break;
        }
    }
    return 0;
}

int elf_parse(const void *image, size_t size, struct elf_info *out, const char **why)
{
    const uint8_t *file = image;
    struct elf64_ehdr eh;
    int err;

    memset(out, 0, sizeof *out);
    if ((err = check_ident(file, size, out, why)) != 0)
        return err;
    memcpy(&eh, file, sizeof eh);
    if ((err = check_header(&eh, size, out, why)) != 0)
        return err;
    out->pie = eh.e_type == ET_DYN;
    out->entry = eh.e_entry;
    out->phnum = eh.e_phnum;
    out->phentsize = eh.e_phentsize;

    for (int n = 0; n < eh.e_phnum; n++) {
        struct elf64_phdr ph;
        memcpy(&ph, file + eh.e_phoff + (uint64_t)n * sizeof ph, sizeof ph);
        if (ph.p_type == PT_LOAD)
            err = add_load(&ph, n, size, out, why);
        else if (ph.p_type == PT_INTERP)
            err = refuse_dynamic(file, size, &ph, out, why);
        else if (ph.p_type == PT_TLS)
            err = add_tls(&ph, out, why);
        else if (ph.p_type == PT_GNU_STACK)
            out->exec_stack = ph.p_flags & PF_X;
        if (err != 0)
            return err;
    }
    return check_program(&eh, out, why);
}
