"""ch01-boot: the kernel boots from GRUB into long mode and reports the machine.

Checked the way a student would: what the serial console shows, and whether
the kernel itself said PASS through isa-debug-exit.
"""
import re

import pytest

from harness import Machine, boot_and_grade, run_gdb, free_port, chapter_kernel, FAIL_STATUS

MIB = 1024 * 1024


def usable_mib(text):
    m = re.search(r"^usable memory: (\d+) KiB", text, re.MULTILINE)
    assert m, "no 'usable memory' line"
    return int(m.group(1)) / 1024


HELLO = [r"^cubos ch01-boot: hello from 64-bit long mode$",
         r"^boot loader: GRUB 2\.",
         r'^command line: "exit=qemu"$',
         r"^memory map \(\d+ entries\):$",
         r"^  [0-9a-f]{16}-[0-9a-f]{16} +\d+ KiB  usable \(type 1\)$",
         r"^framebuffer: ",
         r"^cubos: done, leaving QEMU$"]


def test_bios_boot(chapter):
    text = boot_and_grade(chapter, "bios", must=HELLO + [
        r"^framebuffer: 80x25 EGA text at 0xb8000$"])
    # 128 MiB minus the BIOS area under 1 MiB and a few ACPI pages at the top.
    assert 124 <= usable_mib(text) <= 128


def test_uefi_boot(chapter):
    """The same ISO under OVMF: GRUB's EFI build, the EFI memory map."""
    text = boot_and_grade(chapter, "uefi", firmware="uefi", must=HELLO)
    # The firmware keeps some memory for itself (runtime services, ACPI).
    assert 96 <= usable_mib(text) <= 128


@pytest.mark.parametrize("mib", [64, 512, 2048])
def test_memory_map_follows_ram_size(chapter, mib):
    text = boot_and_grade(chapter, f"bios-{mib}M", memory=f"{mib}M", must=HELLO)
    assert mib - 4 <= usable_mib(text) <= mib


def test_halts_without_exit_option(chapter):
    """Without exit=qemu the kernel must not touch the exit port: it halts."""
    with Machine(chapter, "no-exit-option", options=None) as m:
        m.expect(r'^command line: ""$')
        m.expect(r"^cubos: nothing left to do, halting the CPU$")
        m.assert_running(seconds=2)


def test_cpu_without_long_mode_is_refused(chapter):
    """A 32-bit-only CPU gets a readable message from the 32-bit entry code."""
    with Machine(chapter, "no-long-mode", cpu="qemu64,lm=off") as m:
        m.expect(r"^cubos: boot failed: this CPU has no 64-bit long mode")
        m.assert_running(seconds=1)
        assert "hello" not in m.transcript


def test_wrong_boot_magic_is_refused(chapter):
    """Enter _start with multiboot1's magic in EAX, as a multiboot1 loader would."""
    port = free_port()
    with Machine(chapter, "wrong-magic", gdb_port=port) as m:
        out = run_gdb(chapter_kernel(chapter), port,
                      ["hbreak _start", "continue", "set $eax = 0x2BADB002", "detach"])
        assert "Breakpoint 1" in out, out
        m.expect(r"^cubos: boot failed: not started by a multiboot2 boot loader")
        m.assert_running(seconds=1)
        assert "hello" not in m.transcript


def test_malformed_boot_info_is_reported(chapter):
    """Corrupt the boot information's size: the parser refuses it with a reason.

    The command line lives in that same boot information, so the kernel
    cannot know it is under test: it panics and halts, it does not exit.
    """
    port = free_port()
    with Machine(chapter, "bad-boot-info", gdb_port=port) as m:
        out = run_gdb(chapter_kernel(chapter), port,
                      ["hbreak kmain", "continue",
                       "set *(unsigned int *)$rdi = 4", "detach"])
        assert "Breakpoint 1" in out, out
        m.expect(r"^PANIC at kernel/main\.c:\d+: bad multiboot2 boot information "
                 r"at 0x[0-9a-f]+: boot information total size is implausible$")
        m.assert_running(seconds=1)


def test_panic_under_the_grader_exits_with_fail(chapter):
    """Empty the parsed memory map: kmain panics, and with exit=qemu QEMU exits FAIL."""
    port = free_port()
    with Machine(chapter, "empty-memory-map", gdb_port=port) as m:
        out = run_gdb(chapter_kernel(chapter), port,
                      ["hbreak mb2_usable_bytes", "continue",
                       "set var ((struct boot_info *)$rdi)->mmap_count = 0", "detach"])
        assert "Breakpoint 1" in out, out
        m.expect(r"^usable memory: 0 KiB \(0 MiB\)$")
        m.expect(r"^PANIC at kernel/main\.c:\d+: the memory map has no usable memory$")
        assert m.wait_exit() == FAIL_STATUS
