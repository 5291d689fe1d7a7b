/*
 * backtrace.c: "how did we get here", with function names.
 *
 * The kernel is compiled with -fno-omit-frame-pointer, so every function
 * starts with push %rbp; mov %rsp, %rbp: RBP points at the caller's saved
 * RBP, and the return address sits just above it. Following that chain gives
 * the return addresses; the symbol table that the build embeds (the
 * generated build/ksyms.S, made by tools/ksyms.py from the linked kernel)
 * names them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backtrace.h"
#include "kpage.h"
#include "kprintf.h"
#include "memlayout.h"

#define MAX_FRAMES 24

/* The table from build/ksyms.S: addresses ascending, names as offsets. */
struct ksym {
    uint64_t addr;
    uint64_t name;              /* offset into ksym_names */
};
extern const uint64_t ksym_count;
extern const struct ksym ksym_table[];
extern const char ksym_names[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
    if (addr < (uint64_t)__text_start || addr >= (uint64_t)__text_end || ksym_count == 0)
        return NULL;
    /* The last symbol at or below addr: binary search. */
    size_t lo = 0, hi = ksym_count;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (ksym_table[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    if (ksym_table[lo].addr > addr)
        return NULL;
    *offset = addr - ksym_table[lo].addr;
    return ksym_names + ksym_table[lo].name;
}

/* A return address follows its call, which may be a function's last
 * instruction: look up the byte before it (inside the call) instead. */
static void print_frame(int n, uint64_t addr, int is_return)
{
    uint64_t offset;
    const char *name = ksym_lookup(addr - is_return, &offset);
    if (name)
        kprintf("  #%d 0x%llx %s+0x%llx\n", n, (unsigned long long)addr, name,
                (unsigned long long)(offset + is_return));
    else
        kprintf("  #%d 0x%llx (not in the kernel's code)\n", n, (unsigned long long)addr);
}

/* A frame (two words: saved rbp, return address), or the two words on top
 * of a stack, is believable if it is aligned, in the kernel's half, and mapped. */
static int frame_readable(uint64_t rbp)
{
    return rbp % 8 == 0 && rbp >= DIRECT_MAP_BASE &&
           kpage_readable((const void *)rbp) && kpage_readable((const void *)(rbp + 8));
}

void backtrace_print(uint64_t rip, uint64_t rbp, uint64_t rsp, bool at_call_target)
{
    int n = 1;
    kprintf("backtrace:\n");
    print_frame(0, rip, 0);
    /* Nothing at rip ran, not even the push %rbp that would have linked a
     * frame: the caller's return address is still on top of the stack,
     * and rbp is still the caller's frame. */
    if (at_call_target && frame_readable(rsp))
        print_frame(n++, *(const uint64_t *)rsp, 1);
    for (; n < MAX_FRAMES && frame_readable(rbp); n++) {
        const uint64_t *frame = (const uint64_t *)rbp;
        uint64_t ret = frame[1];
        if (ret < (uint64_t)__text_start || ret >= (uint64_t)__text_end)
            return;             /* reached start64's frame (rbp = 0) or garbage */
        print_frame(n, ret, 1);
        if (frame[0] <= rbp)
            return;             /* the chain must climb the stack */
        rbp = frame[0];
    }
    if (frame_readable(rbp))
        kprintf("  ... (more frames)\n");
}
