/*
 * test_elf.c: the ELF-64 executable checker (proc/elf.c).
 *
 * Images are built in memory: good_exec() is a minimal static ET_EXEC with
 * a read-only segment holding the headers and an executable one holding
 * the entry point; each case changes one thing and expects elf_parse to
 * accept it, or to refuse it with -ENOEXEC and a message containing a key
 * word. Every parse reads a heap block of exactly the image's size, and
 * the build uses -fsanitize=address,undefined, so a read past the end, a
 * misaligned load or an overflowing sum fails the test.
 *
 * Covers: accepted ET_EXEC and ET_DYN, PT_TLS, PT_GNU_STACK both ways,
 * ignored and empty segments, an image at an odd address; each refusal
 * (identification, header, PT_INTERP, each PT_LOAD and PT_TLS check,
 * overlap, span, entry point), with values chosen to wrap 64-bit sums;
 * every truncated prefix of a good image; thousands of random byte flips,
 * after which anything accepted must still satisfy every promise of
 * elf.h. With arguments, it also checks real programs built by the pytest
 * side: test_elf STATIC [DYNAMIC], a musl-gcc -static program that must be
 * accepted and a dynamically linked one that must be refused.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "memlayout.h"

#include "check.h"

#define MAX_PH 20
#define PH_OFF 64                       /* the program headers follow the ELF header */
#define INTERP_OFF 0x800                /* past the room render() gives program headers */
#define TEXT_OFF 0x1000
#define IMAGE_SIZE 0x1100               /* headers page, then 0x100 bytes of code */
#define BASE 0x400000ull                /* where ld puts a static program */
#define FLIPS 5000

/* An image under construction: headers as structs, written out by render(). */
struct image {
    struct elf64_ehdr eh;
    struct elf64_phdr ph[MAX_PH];
    uint8_t bytes[IMAGE_SIZE];          /* the rest of the file: code, strings */
    size_t size;
};

static struct elf64_phdr segment(uint32_t type, uint32_t flags, uint64_t offset,
                                 uint64_t vaddr, uint64_t filesz, uint64_t memsz,
                                 uint64_t align)
{
    return (struct elf64_phdr){ .p_type = type, .p_flags = flags, .p_offset = offset,
                                .p_vaddr = vaddr, .p_paddr = vaddr, .p_filesz = filesz,
                                .p_memsz = memsz, .p_align = align };
}

/* A static program at BASE: segment 0 (R) maps the headers, segment 1 (RX) the code. */
static struct image good_exec(void)
{
    struct image im = { .size = IMAGE_SIZE };
    memcpy(im.eh.e_ident, ELF_MAGIC, ELF_MAGIC_LEN);
    im.eh.e_ident[EI_CLASS] = ELFCLASS64;
    im.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    im.eh.e_ident[EI_VERSION] = EV_CURRENT;
    im.eh.e_type = ET_EXEC;
    im.eh.e_machine = EM_X86_64;
    im.eh.e_version = EV_CURRENT;
    im.eh.e_entry = BASE + TEXT_OFF + 0x10;
    im.eh.e_phoff = PH_OFF;
    im.eh.e_ehsize = sizeof(struct elf64_ehdr);
    im.eh.e_phentsize = sizeof(struct elf64_phdr);
    im.eh.e_phnum = 2;
    im.ph[0] = segment(PT_LOAD, PF_R, 0, BASE, 0x200, 0x200, PAGE_SIZE);
    im.ph[1] = segment(PT_LOAD, PF_R | PF_X, TEXT_OFF, BASE + TEXT_OFF, 0x100, 0x100, PAGE_SIZE);
    for (size_t i = TEXT_OFF; i < IMAGE_SIZE; i++)
        im.bytes[i] = 0xcc;             /* int3 */
    return im;
}

/* The same program linked as a static-pie: addresses relative to a base of 0. */
static struct image good_pie(void)
{
    struct image im = good_exec();
    im.eh.e_type = ET_DYN;
    im.eh.e_entry -= BASE;
    im.ph[0].p_vaddr -= BASE;
    im.ph[1].p_vaddr -= BASE;
    return im;
}

/* Add a program header; returns its number. */
static int add_ph(struct image *im, struct elf64_phdr ph)
{
    im->ph[im->eh.e_phnum] = ph;
    return im->eh.e_phnum++;
}

/* The file's bytes in a fresh heap block of exactly im->size bytes (caller frees). */
static uint8_t *render(const struct image *im)
{
    uint8_t *file = malloc(im->size ? im->size : 1);
    uint8_t full[IMAGE_SIZE];
    memcpy(full, im->bytes, IMAGE_SIZE);
    memcpy(full, &im->eh, sizeof im->eh);
    memcpy(full + PH_OFF, im->ph, sizeof im->ph);
    memcpy(file, full, im->size < IMAGE_SIZE ? im->size : IMAGE_SIZE);
    return file;
}

static int parse(const struct image *im, struct elf_info *info, const char **why)
{
    uint8_t *file = render(im);
    *why = NULL;
    int rc = elf_parse(file, im->size, info, why);
    free(file);
    return rc;
}

/* elf_parse must accept im; returns what it found. */
static struct elf_info accepts(const struct image *im, int line)
{
    struct elf_info info;
    const char *why;
    int rc = parse(im, &info, &why);
    if (rc != 0) {
        fprintf(stderr, "line %d: refused (%d): %s\n", line, rc, why);
        failures++;
    }
    return info;
}
#define ACCEPTS(im) accepts(&(im), __LINE__)

/* elf_parse must refuse im with -ENOEXEC and a message containing word. */
static void refuses(const struct image *im, const char *word, int line)
{
    struct elf_info info;
    const char *why;
    int rc = parse(im, &info, &why);
    if (rc != -ENOEXEC || why == NULL || strstr(why, word) == NULL) {
        fprintf(stderr, "line %d: expected a refusal with \"%s\", got %d: %s\n",
                line, word, rc, why ? why : "(no message)");
        failures++;
    }
}
#define REFUSES(im, word) refuses(&(im), word, __LINE__)

static void test_accepts_static_exec(void)
{
    struct image im = good_exec();
    struct elf_info info = ACCEPTS(im);
    CHECK(!info.pie);
    CHECK(info.entry == BASE + TEXT_OFF + 0x10);
    CHECK(info.nload == 2);
    CHECK(info.load[0].vaddr == BASE && info.load[0].memsz == 0x200);
    CHECK(info.load[0].prot_flags == PF_R);
    CHECK(info.load[1].offset == TEXT_OFF && info.load[1].filesz == 0x100);
    CHECK(info.load[1].prot_flags == (PF_R | PF_X) && info.load[1].phdr == 1);
    CHECK(info.lo == BASE && info.hi == BASE + 2 * PAGE_SIZE);
    CHECK(info.phdr_vaddr == BASE + PH_OFF);
    CHECK(info.phnum == 2 && info.phentsize == sizeof(struct elf64_phdr));
    CHECK(!info.has_tls && !info.exec_stack);
    CHECK(info.interp[0] == '\0');
}

static void test_accepts_static_pie(void)
{
    struct image im = good_pie();
    struct elf_info info = ACCEPTS(im);
    CHECK(info.pie);
    CHECK(info.lo == 0 && info.hi == 2 * PAGE_SIZE);
    CHECK(info.entry == TEXT_OFF + 0x10);
    CHECK(info.phdr_vaddr == PH_OFF);
}

static void test_accepts_tls_stack_and_more(void)
{
    struct image im = good_exec();
    /* A data segment with .tdata (file) and .bss, and a TLS image inside it. */
    add_ph(&im, segment(PT_LOAD, PF_R | PF_W, 0x1080, BASE + 0x2080, 0x40, 0x3000, PAGE_SIZE));
    add_ph(&im, segment(PT_TLS, PF_R, 0x1080, BASE + 0x2080, 0x10, 0x28, 8));
    add_ph(&im, segment(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16));
    add_ph(&im, segment(4 /* PT_NOTE */, PF_R, 0x100, BASE + 0x100, 0x20, 0x20, 4));
    add_ph(&im, segment(PT_LOAD, PF_R, 0, BASE + 0x10000, 0, 0, PAGE_SIZE));   /* empty */
    add_ph(&im, segment(PT_DYNAMIC, PF_R | PF_W, 0, 0, 0, 0, 8));
    struct elf_info info = ACCEPTS(im);
    CHECK(info.nload == 3);
    CHECK(info.load[2].memsz == 0x3000 && info.load[2].prot_flags == (PF_R | PF_W));
    CHECK(info.has_tls && info.tls_vaddr == BASE + 0x2080);
    CHECK(info.tls_filesz == 0x10 && info.tls_memsz == 0x28 && info.tls_align == 8);
    CHECK(!info.exec_stack);
    CHECK(info.hi == BASE + 0x6000);

    im.ph[4].p_flags = PF_R | PF_W | PF_X;  /* an executable stack asked for */
    info = ACCEPTS(im);
    CHECK(info.exec_stack);

    /* Program headers in no loaded segment: no AT_PHDR. */
    im = good_exec();
    im.ph[0].p_filesz = 0x40;
    info = ACCEPTS(im);
    CHECK(info.phdr_vaddr == 0);
}

/* The image at an odd address, as a file inside an archive may be. */
static void test_accepts_unaligned_image(void)
{
    struct image im = good_exec();
    uint8_t *file = render(&im);
    uint8_t *shifted = malloc(IMAGE_SIZE + 1);
    memcpy(shifted + 1, file, IMAGE_SIZE);
    struct elf_info info;
    const char *why;
    CHECK(elf_parse(shifted + 1, IMAGE_SIZE, &info, &why) == 0);
    CHECK(info.nload == 2);
    free(shifted);
    free(file);
}

static void test_refuses_bad_identification(void)
{
    struct image im = good_exec();
    im.eh.e_ident[1] = 'e';
    REFUSES(im, "not an ELF file");
    for (size_t n = 0; n < ELF_MAGIC_LEN; n++) {
        im = good_exec();
        im.size = n;
        REFUSES(im, "not an ELF file");
    }
    im = good_exec();
    im.eh.e_ident[EI_CLASS] = ELFCLASS32;
    REFUSES(im, "32-bit");
    im.eh.e_ident[EI_CLASS] = 0;
    REFUSES(im, "class");
    im = good_exec();
    im.eh.e_ident[EI_DATA] = ELFDATA2MSB;
    REFUSES(im, "big-endian");
    im.eh.e_ident[EI_DATA] = 3;
    REFUSES(im, "byte order");
    im = good_exec();
    im.eh.e_ident[EI_VERSION] = 0;
    REFUSES(im, "version");
    im = good_exec();
    im.eh.e_ident[EI_OSABI] = 9;            /* FreeBSD */
    REFUSES(im, "OS ABI");
    im.eh.e_ident[EI_OSABI] = ELFOSABI_GNU;
    ACCEPTS(im);
}

static void test_refuses_bad_header(void)
{
    struct image im = good_exec();
    im.eh.e_version = 2;
    REFUSES(im, "version");
    im = good_exec();
    im.eh.e_machine = EM_386;
    REFUSES(im, "not an x86-64 program");
    im = good_exec();
    im.eh.e_type = ET_REL;
    REFUSES(im, "ET_REL");
    im.eh.e_type = ET_CORE;
    REFUSES(im, "ET_CORE");
    im.eh.e_type = 0xfe00;
    REFUSES(im, "not an executable");
    im = good_exec();
    im.eh.e_phentsize = 32;
    REFUSES(im, "program header size");
    im = good_exec();
    im.eh.e_phoff = IMAGE_SIZE - 100;
    REFUSES(im, "truncated");
    im.eh.e_phoff = UINT64_MAX - 8;         /* phoff + table wraps */
    REFUSES(im, "truncated");
    im = good_exec();
    im.eh.e_phnum = 0xffff;
    REFUSES(im, "truncated");
    im.eh.e_phnum = 0;
    REFUSES(im, "no loadable segments");
}

static void test_refuses_dynamic(void)
{
    const char path[] = "/lib/ld-musl-x86_64.so.1";
    struct image im = good_exec();
    im.ph[2] = im.ph[1];
    im.ph[1] = im.ph[0];
    im.ph[0] = segment(PT_INTERP, PF_R, INTERP_OFF, BASE + INTERP_OFF, sizeof path, sizeof path, 1);
    im.eh.e_phnum = 3;
    memcpy(im.bytes + INTERP_OFF, path, sizeof path);
    REFUSES(im, "dynamically linked");
    REFUSES(im, path);
    REFUSES(im, "musl-gcc -static");
    struct elf_info info;
    const char *why;
    parse(&im, &info, &why);
    CHECK(strcmp(info.interp, path) == 0);

    im.ph[0].p_filesz = sizeof path - 1;    /* no NUL: the path is not quoted */
    CHECK(parse(&im, &info, &why) == -ENOEXEC && info.interp[0] == '\0');
    CHECK(strstr(why, "dynamically linked") && !strstr(why, path));
    im.ph[0].p_offset = UINT64_MAX;
    REFUSES(im, "dynamically linked");
    im.ph[0].p_offset = INTERP_OFF;
    im.ph[0].p_filesz = 0;
    REFUSES(im, "dynamically linked");
}

static void test_refuses_bad_load_segment(void)
{
    struct image im = good_exec();
    im.ph[1].p_filesz = 0x101;
    REFUSES(im, "segment 1: file size 0x101 larger than memory size 0x100");
    im = good_exec();
    im.ph[1].p_memsz = im.ph[1].p_filesz = 0x101;
    REFUSES(im, "segment 1: file data beyond the end of the file");
    im = good_exec();
    im.ph[1].p_offset = UINT64_MAX - 0x10;  /* offset + filesz wraps */
    REFUSES(im, "beyond the end of the file");
    im = good_exec();
    im.ph[1].p_align = 0x3000;
    REFUSES(im, "power of two");
    im = good_exec();
    im.ph[1].p_vaddr += 0x10;
    im.eh.e_entry += 0x10;
    REFUSES(im, "segment 1: address 0x401010 and file offset 0x1000 are misaligned");
    im.ph[1].p_align = 1;                   /* no alignment asked: copied, not mapped */
    ACCEPTS(im);
    im = good_exec();
    im.ph[1].p_flags = PF_R | PF_W | PF_X;
    REFUSES(im, "segment 1 is writable and executable (W^X)");
    im = good_exec();
    im.ph[1].p_memsz = ELF_MAX_SPAN + 1;
    REFUSES(im, "segment 1 is too large");
    im = good_exec();
    im.ph[1].p_vaddr = USER_TOP - 0x1000 + TEXT_OFF % PAGE_SIZE;
    im.ph[1].p_memsz = 0x2000;
    REFUSES(im, "too high");
    im.ph[1].p_vaddr = UINT64_MAX - 0xfff;  /* vaddr + memsz wraps */
    REFUSES(im, "too high");
    im = good_exec();
    im.ph[0].p_vaddr = 0;
    REFUSES(im, "segment 0 starts below 0x10000");
    im.ph[0].p_vaddr = USER_MIN - PAGE_SIZE;
    REFUSES(im, "segment 0 starts below 0x10000");
    im = good_pie();                        /* relative address 0 is fine in a pie */
    ACCEPTS(im);
    im.ph[1].p_vaddr = ELF_MAX_SPAN - PAGE_SIZE;    /* a pie's addresses end within one span */
    im.ph[1].p_memsz = 2 * PAGE_SIZE;
    REFUSES(im, "segment 1 is too large or too high (it must end below 0x40000000)");
}

static void test_refuses_bad_layout(void)
{
    struct image im = good_exec();
    im.ph[1].p_vaddr = BASE + 0x100;        /* inside segment 0's bytes */
    im.ph[1].p_offset = 0x100;
    im.eh.e_entry = BASE + 0x110;
    REFUSES(im, "segments 0 and 1 overlap");
    im.ph[1].p_vaddr = BASE + 0x200;        /* after them, but in the same page */
    im.ph[1].p_offset = 0x200;
    im.eh.e_entry = BASE + 0x210;
    REFUSES(im, "overlap");

    im = good_exec();
    im.ph[1].p_vaddr += ELF_MAX_SPAN;
    im.eh.e_entry += ELF_MAX_SPAN;
    REFUSES(im, "segments span");

    im = good_exec();
    im.eh.e_entry = BASE;                   /* in segment 0, which is not executable */
    REFUSES(im, "entry point 0x400000 is outside the executable segments");
    im.eh.e_entry = BASE + TEXT_OFF + 0x100;    /* one past the code */
    REFUSES(im, "entry point");
    im.eh.e_entry = 0;
    REFUSES(im, "entry point");

    im = good_exec();
    im.ph[0].p_type = im.ph[1].p_type = 4;  /* PT_NOTE */
    REFUSES(im, "no loadable segments");

    im = good_exec();
    for (int i = 2; i < ELF_MAX_LOAD; i++)
        add_ph(&im, segment(PT_LOAD, PF_R, 0, BASE + 0x10000 + i * PAGE_SIZE, 0, 0x10, PAGE_SIZE));
    add_ph(&im, segment(PT_LOAD, PF_R, 0, BASE + 0x100000, 0, 0, PAGE_SIZE));
    ACCEPTS(im);                            /* ELF_MAX_LOAD segments and an empty one */
    add_ph(&im, segment(PT_LOAD, PF_R, 0, BASE + 0x200000, 0, 0x10, PAGE_SIZE));
    REFUSES(im, "too many loadable segments");
}

static void test_refuses_bad_tls(void)
{
    struct image im = good_exec();
    int t = add_ph(&im, segment(PT_TLS, PF_R, 0x100, BASE + 0x100, 0x10, 0x20, 8));
    ACCEPTS(im);
    add_ph(&im, im.ph[t]);
    REFUSES(im, "more than one TLS segment");
    im.eh.e_phnum--;
    im.ph[t].p_filesz = 0x21;
    REFUSES(im, "TLS segment: file size");
    im.ph[t].p_filesz = 0x10;
    im.ph[t].p_align = 12;
    REFUSES(im, "TLS segment: alignment");
    im.ph[t].p_align = 2 * PAGE_SIZE;
    REFUSES(im, "TLS segment: alignment");
    im.ph[t].p_align = 0;                   /* 0 and 1 both mean none */
    ACCEPTS(im);
    im.ph[t].p_memsz = UINT64_MAX;
    REFUSES(im, "TLS segment is too large");
    im.ph[t].p_memsz = 0x20;
    im.ph[t].p_vaddr = BASE + 0x1f8;        /* its image runs past segment 0's 0x200 bytes */
    REFUSES(im, "TLS image");
    im.ph[t].p_vaddr = UINT64_MAX - 4;
    REFUSES(im, "TLS image");
}

/* Every prefix of a good file is refused, and read only within its own length. */
static void test_truncated_everywhere(void)
{
    struct image im = good_exec();
    for (size_t n = 0; n < IMAGE_SIZE; n++) {
        im.size = n;
        struct elf_info info;
        const char *why = NULL;
        int rc = parse(&im, &info, &why);
        CHECK(rc == -ENOEXEC && why != NULL && why[0] != '\0');
    }
    im.size = IMAGE_SIZE;
    ACCEPTS(im);
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

/* What elf.h promises about an accepted file of size bytes. */
static void check_promises(const struct elf_info *info, size_t size)
{
    CHECK(info->nload >= 1 && info->nload <= ELF_MAX_LOAD);
    CHECK(info->lo % PAGE_SIZE == 0 && info->hi % PAGE_SIZE == 0);
    CHECK(info->lo < info->hi && info->hi - info->lo <= ELF_MAX_SPAN);
    CHECK(info->pie ? info->hi <= ELF_MAX_SPAN : info->lo >= USER_MIN && info->hi <= USER_TOP);
    bool entry_ok = false;
    for (int i = 0; i < info->nload; i++) {
        const struct elf_segment *s = &info->load[i];
        CHECK(s->filesz <= s->memsz && s->memsz > 0);
        CHECK(s->offset <= size && s->filesz <= size - s->offset);
        CHECK(s->vaddr >= info->lo && s->vaddr + s->memsz <= info->hi);
        CHECK((s->prot_flags & (PF_W | PF_X)) != (PF_W | PF_X));
        entry_ok |= (s->prot_flags & PF_X) && info->entry >= s->vaddr &&
                    info->entry < s->vaddr + s->memsz;
        for (int j = 0; j < i; j++)
            CHECK(s->vaddr / PAGE_SIZE > (info->load[j].vaddr + info->load[j].memsz - 1) / PAGE_SIZE ||
                  (s->vaddr + s->memsz - 1) / PAGE_SIZE < info->load[j].vaddr / PAGE_SIZE);
    }
    CHECK(entry_ok);
}

/* Random bytes flipped in a good image (mostly in its headers): no crash, no
 * out-of-bounds read, and whatever is accepted keeps every promise. */
static void test_random_flips(void)
{
    struct image base = good_exec();
    add_ph(&base, segment(PT_LOAD, PF_R | PF_W, 0x1080, BASE + 0x2080, 0x40, 0x3000, PAGE_SIZE));
    add_ph(&base, segment(PT_TLS, PF_R, 0x1080, BASE + 0x2080, 0x10, 0x28, 8));
    add_ph(&base, segment(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16));
    uint8_t *good = render(&base);
    size_t headers = PH_OFF + base.eh.e_phnum * sizeof(struct elf64_phdr);
    int accepted = 0;
    for (int iter = 0; iter < FLIPS; iter++) {
        uint8_t *file = malloc(IMAGE_SIZE);
        memcpy(file, good, IMAGE_SIZE);
        int flips = 1 + rng() % 4;
        for (int k = 0; k < flips; k++) {
            size_t at = rng() % 8 ? rng() % headers : rng() % IMAGE_SIZE;
            file[at] = rng() % 2 ? file[at] ^ (1u << rng() % 8) : (uint8_t)rng();
        }
        struct elf_info info;
        const char *why = NULL;
        int rc = elf_parse(file, IMAGE_SIZE, &info, &why);
        if (rc == 0) {
            accepted++;
            check_promises(&info, IMAGE_SIZE);
        } else {
            CHECK(rc == -ENOEXEC && why != NULL && why[0] != '\0');
        }
        free(file);
    }
    printf("random flips: %d of %d images still accepted\n", accepted, FLIPS);
    free(good);
}

/* The whole file at path in a heap block of exactly its size; NULL if unreadable. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    uint8_t *data = malloc(*size ? *size : 1);
    rewind(f);
    if (fread(data, 1, *size, f) != *size) {
        perror(path);
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

/* A real static program from musl-gcc -static: accepted, with a sane layout. */
static void test_real_static(const char *path)
{
    size_t size;
    uint8_t *file = read_file(path, &size);
    CHECK(file != NULL);
    if (file == NULL)
        return;
    struct elf_info info;
    const char *why = "";
    int rc = elf_parse(file, size, &info, &why);
    if (rc != 0)
        fprintf(stderr, "%s: refused: %s\n", path, why);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK(info.nload >= 2 && info.phdr_vaddr != 0);
        check_promises(&info, size);
        printf("%s: %s, entry 0x%lx, %d segments, [0x%lx, 0x%lx)\n", path,
               info.pie ? "static-pie" : "static", info.entry, info.nload, info.lo, info.hi);
    }
    free(file);
}

/* A real dynamically linked program: refused, naming its dynamic linker. */
static void test_real_dynamic(const char *path)
{
    size_t size;
    uint8_t *file = read_file(path, &size);
    CHECK(file != NULL);
    if (file == NULL)
        return;
    struct elf_info info;
    const char *why = "";
    CHECK(elf_parse(file, size, &info, &why) == -ENOEXEC);
    CHECK(strstr(why, "dynamically linked") != NULL && info.interp[0] == '/');
    printf("%s: %s\n", path, why);
    free(file);
}

int main(int argc, char **argv)
{
    test_accepts_static_exec();
    test_accepts_static_pie();
    test_accepts_tls_stack_and_more();
    test_accepts_unaligned_image();
    test_refuses_bad_identification();
    test_refuses_bad_header();
    test_refuses_dynamic();
    test_refuses_bad_load_segment();
    test_refuses_bad_layout();
    test_refuses_bad_tls();
    test_truncated_everywhere();
    test_random_flips();
    if (argc > 1)
        test_real_static(argv[1]);
    if (argc > 2)
        test_real_dynamic(argv[2]);
    printf("elf: %d failures\n", failures);
    return failures != 0;
}
