"""ch02-paging: the kernel takes over memory, and proves it from the inside
(self tests over the real page-table bits) and from the outside (memory
sizes QEMU was given, what gdb can and cannot read)."""
import re

import pytest

from harness import (FAIL_STATUS, Machine, boot_and_grade, chapter_kernel,
                     free_port, grade, run_gdb)

HELLO = [r"^cubos ch02-paging: hello from 64-bit long mode$",
         r"^boot loader: GRUB 2\.",
         r"^memory map \(\d+ entries\):$",
         r"^frames: \d+ usable \(\d+ MiB\), \d+ free, \d+ reserved \(kernel \d+ KiB, bitmap \d+ KiB\)$",
         r"^paging: kernel image W\^X at 0xffffffff80[0-9a-f]{6}, direct map of \d+ MiB "
         r"at 0xffff800000000000, identity map dropped$",
         r"^cubos: done, leaving QEMU$"]

SELFTESTS = [r"^selftest frames: PASS \(took and returned all \d+ free frames",
             r"^selftest paging: PASS",
             r"^selftest wx: PASS \(\d+ pages mapped, none writable and executable",
             r"^selftest heap: PASS",
             r"^heap: kfree\(0x[0-9a-f]+\): double free of a 64-byte object$",
             # address ranges and page tables are reused: nothing leaks
             r"^selftest heap reuse: 10000 kmalloc\(8192\)/kfree pairs: "
             r"free frames (\d+) before, \1 after$",
             r"^selftest heap reuse: PASS$",
             r"^selftest: all passed$"]


def usable_frames_mib(text):
    m = re.search(r"^frames: (\d+) usable \((\d+) MiB\)", text, re.MULTILINE)
    assert m, "no 'frames:' line"
    return int(m.group(1)) * 4096 / 2**20


def test_bios_boot_runs_the_memory_self_tests(chapter):
    boot_and_grade(chapter, "bios-selftest", options="exit=qemu selftest",
                   must=HELLO + SELFTESTS, must_not=[r"FAIL"])


def test_uefi_boot_runs_the_memory_self_tests(chapter):
    boot_and_grade(chapter, "uefi-selftest", firmware="uefi", options="exit=qemu selftest",
                   must=HELLO + SELFTESTS, must_not=[r"FAIL"])


@pytest.mark.parametrize("mib", [64, 3072, 8192])
def test_frames_cover_the_ram_qemu_was_given(chapter, mib):
    """64 MiB, 3 GiB (all below the PCI hole) and 8 GiB (3 GiB below 4 GiB,
    the rest above it): the usable frames add up to the RAM QEMU was given,
    and the self tests take and return every one of them."""
    text = boot_and_grade(chapter, f"bios-{mib}M", memory=f"{mib}M",
                          options="exit=qemu selftest", must=HELLO + SELFTESTS,
                          must_not=[r"FAIL"])
    assert mib - 2 <= usable_frames_mib(text) <= mib
    direct = int(re.search(r"direct map of (\d+) MiB", text).group(1))
    assert direct >= max(mib, 4096)


def test_memory_map_entry_past_2_64_is_ignored(chapter):
    """A usable memory map entry whose end wraps past 2^64 (planted through
    gdb, as buggy firmware could report it) must not count: before the fix,
    its wrapped end (64 GiB) sized the frame bitmap and the direct map."""
    port = free_port()
    with Machine(chapter, "mmap-entry-past-2-64", gdb_port=port) as m:
        out = run_gdb(chapter_kernel(chapter), port, [
            "hbreak *frame_init", "continue",
            "set var $e = (struct mb2_mmap_entry *)((struct boot_info *)$rdi)->mmap",
            "set var $e->base = 0xfffffffffffff000",
            "set var $e->length = 0x1000000000",
            "set var $e->type = 1",
            "detach"])
        assert "Breakpoint 1" in out, out
        text = grade(m, must=HELLO)
    assert re.search(r"direct map of 4096 MiB", text), text
    assert 120 <= usable_frames_mib(text) <= 128


def test_memory_is_mapped_as_designed_from_gdb(chapter):
    """Ask the CPU's view through gdb, not the kernel: after the switch, low
    addresses (the old identity map) and the stack guard page are unreadable,
    while the direct map and the stack above the guard are readable."""
    port = free_port()
    with Machine(chapter, "gdb-page-tables", gdb_port=port) as m:
        out = run_gdb(chapter_kernel(chapter), port, [
            "hbreak kernel_finish", "continue",
            "x/gx 0x100000",
            "x/gx (char *)&boot_stack_guard",
            "x/gx (char *)&boot_stack_guard + 4096",
            "x/gx 0xffff800000100000",
            "detach"])
        assert "Breakpoint 1, kernel_finish" in out, out
        assert "Cannot access memory at address 0x100000" in out, out
        guard = re.search(r"Cannot access memory at address (0xffffffff80[0-9a-f]+)", out)
        assert guard, out
        above_guard = int(guard.group(1), 16) + 4096
        assert re.search(rf"0x{above_guard:x}( <\w+>)?:\s+0x[0-9a-f]{{16}}", out), out
        # the multiboot2 header's magic, read through the direct map
        assert re.search(r"0xffff800000100000:\s+0x00000000e85250d6", out), out
        m.expect(r"^cubos: done, leaving QEMU$")


def test_halts_without_exit_option(chapter):
    with Machine(chapter, "no-exit-option", options=None) as m:
        m.expect(r'^command line: ""$')
        m.expect(r"^cubos: nothing left to do, halting the CPU$")
        m.assert_running(seconds=2)


def test_cpu_without_long_mode_is_refused(chapter):
    with Machine(chapter, "no-long-mode", cpu="qemu64,lm=off") as m:
        m.expect(r"^cubos: boot failed: this CPU has no 64-bit long mode")
        m.assert_running(seconds=1)
        assert "hello" not in m.transcript


def test_wrong_boot_magic_is_refused(chapter):
    port = free_port()
    with Machine(chapter, "wrong-magic", gdb_port=port) as m:
        out = run_gdb(chapter_kernel(chapter), port,
                      ["hbreak _start", "continue", "set $eax = 0x2BADB002", "detach"])
        assert "Breakpoint 1" in out, out
        m.expect(r"^cubos: boot failed: not started by a multiboot2 boot loader")
        m.assert_running(seconds=1)


def test_panic_under_the_grader_exits_with_fail(chapter):
    port = free_port()
    with Machine(chapter, "empty-memory-map", gdb_port=port) as m:
        out = run_gdb(chapter_kernel(chapter), port,
                      ["hbreak mb2_usable_bytes", "continue",
                       "set var ((struct boot_info *)$rdi)->mmap_count = 0", "detach"])
        assert "Breakpoint 1" in out, out
        m.expect(r"^PANIC at kernel/main\.c:\d+: the memory map has no usable memory$")
        assert m.wait_exit() == FAIL_STATUS
