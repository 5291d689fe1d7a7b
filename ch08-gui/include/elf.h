/*
 * elf.h: the ELF-64 file format, as far as loading a static x86-64 Linux
 * program needs it, and elf_parse, which checks such a file before the
 * loader trusts any of its numbers.
 *
 * The structures and constants follow the System V ABI's "ELF-64 Object
 * File Format" and its x86-64 supplement (also elf(5)). elf_parse is pure:
 * it reads only the bytes it is given and needs nothing from the kernel, so
 * the host unit tests (tests/ch06-syscalls/unit/test_elf.c) run this same code.
 */
#ifndef CUBOS_ELF_H
#define CUBOS_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "memlayout.h"

/* e_ident[]: the file's first 16 bytes (ELF-64 spec, "ELF Identification"). */
#define EI_NIDENT 16
#define EI_CLASS 4              /* ELFCLASS64 or ELFCLASS32 */
#define EI_DATA 5               /* byte order */
#define EI_VERSION 6            /* EV_CURRENT */
#define EI_OSABI 7
#define ELF_MAGIC "\177ELF"     /* e_ident[0..3] */
#define ELF_MAGIC_LEN 4
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1           /* little-endian, as x86-64 is */
#define ELFDATA2MSB 2
#define EV_CURRENT 1
#define ELFOSABI_SYSV 0         /* what Linux linkers write */
#define ELFOSABI_GNU 3          /* "Linux" in readelf: also fine */

/* e_type */
#define ET_REL 1                /* an object file (.o), not yet linked */
#define ET_EXEC 2               /* an executable at fixed addresses */
#define ET_DYN 3                /* position independent: a static-pie (or a shared library) */
#define ET_CORE 4               /* a core dump */

/* e_machine (x86-64 psABI, "Machine Information") */
#define EM_386 3
#define EM_X86_64 62

/* p_type (ELF-64 spec, "Program header table"; PT_GNU_STACK is a GNU extension) */
#define PT_LOAD 1               /* bytes to map: [p_offset, +p_filesz) at p_vaddr, zeros up to p_memsz */
#define PT_DYNAMIC 2            /* dynamic linking tables (a static-pie relocates itself with them) */
#define PT_INTERP 3             /* path of the dynamic linker: this program is not static */
#define PT_PHDR 6               /* the program headers themselves, in memory */
#define PT_TLS 7                /* the initial image of thread-local storage */
#define PT_GNU_STACK 0x6474e551 /* p_flags say whether the stack must be executable */

/* p_flags */
#define PF_X 1
#define PF_W 2
#define PF_R 4

struct elf64_ehdr {
    uint8_t e_ident[EI_NIDENT];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;           /* the first instruction's address */
    uint64_t e_phoff;           /* file offset of the program header table */
    uint64_t e_shoff;           /* section headers: linkers' business, not the loader's */
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;       /* bytes per program header */
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;           /* unused on Linux */
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

#define ELF_MAX_LOAD 16                 /* PT_LOAD segments accepted; a linker writes 2 to 5 */
#define ELF_MAX_SPAN (1ull << 30)       /* 1 GiB: the most address space one program's image may cover */
#define ELF_INTERP_MAX 64               /* room for the PT_INTERP path quoted in a refusal */
#define ELF_MESSAGE_MAX 160             /* room for a refusal with numbers in it */

/* One PT_LOAD segment, its numbers checked. */
struct elf_segment {
    uint64_t vaddr, memsz;      /* memory [vaddr, vaddr + memsz); relative to the load base if pie */
    uint64_t offset, filesz;    /* file bytes [offset, offset + filesz) go at vaddr; the rest is zeros */
    uint32_t prot_flags;        /* PF_R | PF_W | PF_X, never both W and X */
    int phdr;                   /* its number in the program header table, for messages */
};

/* What the loader needs to know about a program that elf_parse accepted. */
struct elf_info {
    bool pie;                   /* ET_DYN: every address below is relative to a base the loader
                                 * picks; they all end below ELF_MAX_SPAN then, so base + hi
                                 * stays in user space for any base up to USER_TOP - ELF_MAX_SPAN */
    uint64_t entry;             /* inside a PF_X segment */
    uint64_t phdr_vaddr;        /* program headers in memory (AT_PHDR), 0 if no segment loads them */
    uint16_t phnum, phentsize;  /* AT_PHNUM, AT_PHENT */
    struct elf_segment load[ELF_MAX_LOAD];  /* in program header order; empty ones left out */
    int nload;                  /* at least 1 */
    bool has_tls;               /* a PT_TLS: each thread gets a copy of [tls_vaddr, +tls_filesz), */
    uint64_t tls_vaddr, tls_filesz, tls_memsz, tls_align;   /* then zeros up to tls_memsz */
    bool exec_stack;            /* PT_GNU_STACK with PF_X; without PT_GNU_STACK the stack is
                                 * not executable (the modern default, unlike old Linux) */
    uint64_t lo, hi;            /* page-aligned [lo, hi) covering every PT_LOAD: hi - lo <= ELF_MAX_SPAN,
                                 * and for ET_EXEC USER_MIN <= lo, hi <= USER_MAP_END */
    char interp[ELF_INTERP_MAX];    /* PT_INTERP's path when refused as dynamic, else "" */
    char message[ELF_MESSAGE_MAX];  /* where a refusal with numbers in it is written */
};

/*
 * Check that image[0, size) is a static x86-64 Linux executable this kernel
 * can load, and describe it in *out. Returns 0, or -ENOEXEC with *why set to
 * one line saying what is wrong, for a person to read ("segment N" counts
 * program headers from 0, as readelf -l does); *why may point into *out.
 * image may sit at any alignment; nothing is allocated.
 */
int elf_parse(const void *image, size_t size, struct elf_info *out, const char **why);

#endif
