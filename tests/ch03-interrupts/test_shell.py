"""ch03-interrupts: a person at the console. The grader types into the
serial port and presses keys on the PS/2 keyboard (QEMU's sendkey), and
checks what the shell answers, on the serial line and on the VGA screen.

Later chapters keep this shell, so they run these tests too (see
harness.chapter_tests); the chapter's name comes from the machine under test."""
import re
import struct
import time

import pytest

from harness import (FAIL_STATUS, PASS_STATUS, Machine, chapter_kernel, check_lines, every_chapter,
                     free_port, grade, run_gdb)

PROMPT = r"cubos> "
ESC = "\x1b"
LEFT, RIGHT, UP, DOWN = ESC + "[D", ESC + "[C", ESC + "[A", ESC + "[B"
HOME, END = ESC + "[H", ESC + "[F"

BOOT = [r"^cubos ch0\d-[a-z]+: hello from 64-bit long mode$",
        r"^paging: kernel image W\^X",
        r"^ioapic: \d+ pins at 0xfec00000, interrupts from GSI 0$",
        r"^timer: local APIC timer at \d+ kHz \(measured against the PIT\), 100 Hz tick$",
        r"^cubos shell: type 'help' for the commands$"]


def shell(chapter, name, **kw):
    m = Machine(chapter, name, **kw).start()
    m.expect(PROMPT)
    return m


def halt(m, must=()):
    m.send("halt\r")
    hello = rf"^cubos {m.chapter}: hello from 64-bit long mode$"
    return grade(m, must=BOOT + [hello] + list(must), must_not=[r"^EXCEPTION"])


@every_chapter
def test_bios_boot_to_the_shell_and_halt(chapter):
    m = shell(chapter, "bios-halt")
    halt(m, must=[r"^console: on the VGA text screen too$", r"^cubos: done, leaving QEMU$"])


@every_chapter
def test_uefi_boot_to_the_shell_and_halt(chapter):
    m = shell(chapter, "uefi-halt", firmware="uefi")
    halt(m)


@every_chapter
def test_memory_self_tests_still_pass(chapter):
    m = shell(chapter, "selftest", options="exit=qemu selftest", timeout=120)
    halt(m, must=[r"^selftest: all passed$"])


@every_chapter
def test_commands_answer(chapter):
    m = shell(chapter, "commands")
    m.command("help", r"halt +stop the kernel")
    m.command("echo hello   world", r"\nhello world\n")
    m.command("uptime", r"\nup \d+\.\d{3} s \(\d+ ticks at 100 Hz\)\n")
    m.command("mem", r"\nframes: \d+ free \(\d+ MiB\), \d+ in use\nheap: ")
    m.command("frobnicate now", r"\nshell: unknown command 'frobnicate'; type 'help' for the list\n")
    m.command(" ".join(["w"] * 20), r"\nshell: too many words \(at most 16\)\n")
    m.command("fault", r"\nusage: fault divide\|breakpoint\|opcode\|gp\|pagefault\|wx\|nx\|stack")
    halt(m)


def test_commands_refuse_extra_words(chapter):
    """A command that takes no arguments says so instead of ignoring them;
    Tab separates words like a space."""
    m = shell(chapter, "usage")
    for line in ["uptime extra", "mem x", "help me", "halt now", "reboot later"]:
        name = line.split()[0]
        m.command(line, rf"\nusage: {name} \(no arguments\)\n{PROMPT}")
    m.command("echo\ttab\t\tseparated", r"\ntab separated\n")
    halt(m)


def test_line_editing_over_serial(chapter):
    m = shell(chapter, "line-editing")
    m.command("echo wrld" + LEFT * 3 + "o", r"\nworld\n")            # insert mid-line
    m.command("cho hi" + HOME + "e" + END + "!", r"\nhi!\n")         # Home, End
    m.command("echo abcdX\x7f", r"\nabcd\n")                          # Backspace
    m.command("echo xyz" + LEFT * 3 + ESC + "[3~", r"\nyz\n")        # Delete at the cursor
    m.command("echo junk\x15echo kept", r"\nkept\n")                  # Ctrl-U clears
    since = m.mark()
    m.send("echo dropped\x03")                                        # Ctrl-C drops
    m.expect(r"\^C\n" + PROMPT, since=since)
    m.command("echo one", r"\none\n")
    since = m.mark()
    m.send(UP + "\r")                                                 # history
    m.expect(r"\none\n", since=since)
    m.command("echo two", r"\ntwo\n")
    since = m.mark()
    m.send(UP + UP + DOWN + "\r")                                     # up twice, down once
    m.expect(r"\ntwo\n", since=since)
    text = halt(m)
    assert not re.search(r"^dropped$", text, re.MULTILINE)
    assert not re.search(r"^junk", text, re.MULTILINE)


def test_a_long_paste_runs_every_line_once_in_order(chapter):
    """1,000 commands (about 10 KB) written to the serial line at once: far
    more than the console's key queue holds. The kernel must hold the rest
    back in the UART (and QEMU in its pipe) instead of dropping keys, so
    every command runs exactly once, in order, and none is spliced."""
    m = shell(chapter, "paste")
    count = 1000
    since = m.mark()
    m.send("".join(f"echo n{i}\r" for i in range(1, count + 1)))
    m.expect(rf"\nn{count}\n", timeout=30, since=since)
    ran = [int(n) for n in re.findall(r"^n(\d+)$", m.transcript[since:], re.MULTILINE)]
    assert ran == list(range(1, count + 1)), f"{len(ran)} of {count} ran; first wrong: " + \
        str(next(((i + 1, n) for i, n in enumerate(ran) if n != i + 1), None))
    assert "unknown command" not in m.transcript[since:]
    halt(m)


def test_terminal_reports_are_not_typed(chapter):
    """Control strings a terminal sends (OSC, DCS: a title, a query's
    reply) are swallowed whole, not typed into the line."""
    m = shell(chapter, "control-strings")
    m.command("echo a" + ESC + "]0;title\x07b" + ESC + "P1$r0m" + ESC + "\\c", r"\nabc\n")
    halt(m)


def screen_text(m):
    """The VGA text screen as lines, read from guest memory through the QEMU monitor."""
    out = m.hmp("xp /2000hx 0xb8000")
    cells = [int(v, 16) for line in out.splitlines() for v in re.findall(r"0x([0-9a-f]{4})", line.split(":", 1)[1])]
    chars = "".join(chr(c & 0xFF) for c in cells[:2000])
    return [chars[i:i + 80].rstrip() for i in range(0, 2000, 80)]


def test_keyboard_reaches_the_shell_and_the_screen(chapter):
    m = shell(chapter, "keyboard", monitor=True)
    since = m.mark()
    # "echo Hxi", Left Left, Delete (the x), End, "!"
    for key in ["e", "c", "h", "o", "spc", "shift-h", "x", "i", "left", "left", "delete",
                "end", "shift-1", "ret"]:
        m.hmp(f"sendkey {key}")
    m.expect(r"\nHi!\n", since=since)
    screen = screen_text(m)
    assert "cubos> echo Hi!" in screen, "\n".join(screen)
    assert "Hi!" in screen, "\n".join(screen)
    since = m.mark()
    for key in ["up", "ret"]:                         # history from the keyboard too
        m.hmp(f"sendkey {key}")
    m.expect(r"\nHi!\n", since=since)
    for key in ["ctrl-c"]:
        m.hmp(f"sendkey {key}")
    m.expect(r"\^C\n" + PROMPT, since=since)
    halt(m)


def test_a_line_wider_than_the_screen_scrolls_in_its_row(chapter):
    """On the 80-column VGA screen a long line never wraps: the prompt's row
    shows the part around the cursor, and the whole line still runs."""
    m = shell(chapter, "wide-line", monitor=True)
    line = "echo " + "w" * 120 + "END"
    since = m.mark()
    m.send(line)
    m.expect("END", since=since)

    def prompt_row():
        screen = screen_text(m)
        row = max(i for i, text in enumerate(screen) if text.startswith("cubos> "))
        assert row + 1 == len(screen) or screen[row + 1] == "", "\n".join(screen)
        return screen[row]

    def settled_row(done):
        """The prompt's row once done(row), or as it is after 5 s: the
        serial line shows a key a moment before the screen does, and a
        redraw may move the cursor before it writes."""
        deadline = time.monotonic() + 5
        while True:
            row = prompt_row()
            if done(row) or time.monotonic() > deadline:
                return row
            time.sleep(0.1)

    row = settled_row(lambda row: row.endswith("wwwEND"))
    assert row.endswith("wwwEND") and len(row) < 80, row
    since = m.mark()
    m.send(HOME)
    m.expect(r"\x1b\[\d+D", since=since)
    row = settled_row(lambda row: row.startswith("cubos> echo www") and len(row) == 79)
    assert row.startswith("cubos> echo www") and len(row) == 79, row
    m.command("", r"\nw{120}END\n")
    halt(m)


FAULTS = {
    "divide": [r"EXCEPTION #DE divide error \(vector 0, error code 0x0\)"],
    "breakpoint": [r"EXCEPTION #BP breakpoint \(vector 3,", r"\nfault: back from the breakpoint\n"],
    "opcode": [r"EXCEPTION #UD invalid opcode \(vector 6,"],
    "gp": [r"EXCEPTION #GP general protection \(vector 13,"],
    "pagefault": [r"EXCEPTION #PF page fault \(vector 14, error code 0x0\)",
                  r"page fault: read from address 0xdead0000: the page is not mapped, in kernel mode"],
    "wx": [r"EXCEPTION #PF page fault \(vector 14, error code 0x3\)",
           r"page fault: write to address 0xffffffff80[0-9a-f]+: protection violation "
           r"\(the page is mapped, read-only\), in kernel mode"],
    "nx": [r"EXCEPTION #PF page fault \(vector 14, error code 0x11\)",
           r"page fault: instruction fetch at address 0xffffffff80[0-9a-f]+: protection violation "
           r"\(the page is mapped, not executable\)",
           # the call's target ran nothing: the caller comes first, from [rsp]
           r"\n  #0 0x[0-9a-f]+ \(not in the kernel's code\)\n  #1 0x[0-9a-f]+ cmd_fault\+0x[0-9a-f]+\n"],
    "stack": [r"EXCEPTION #DF double fault \(vector 8, error code 0x0\)",
              r"kernel stack overflow: the stack (of thread '\w+' )?ran into its guard page at 0x[0-9a-f]+",
              r"#\d+ 0x[0-9a-f]+ overflow_stack\+0x[0-9a-f]+"],
}


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_fault_is_reported_and_the_shell_goes_on(chapter, kind):
    m = shell(chapter, f"fault-{kind}")
    since = m.mark()
    m.send(f"fault {kind}\r")
    for pattern in FAULTS[kind]:
        m.expect(pattern, since=since)
    if kind != "breakpoint":
        m.expect(r"\n  rax [0-9a-f]{16}  rbx", since=since)
        m.expect(r"\nbacktrace:\n  #0 0x[0-9a-f]+ (\w+\+0x[0-9a-f]+|\(not in the kernel's code\))\n",
                 since=since)
        m.expect(r"#\d+ 0x[0-9a-f]+ run_recoverable\+0x[0-9a-f]+\n", since=since)
        m.expect(r"\nrecovered: the faulting command was stopped, the kernel goes on\n", since=since)
    m.expect(PROMPT, since=since)
    m.command("echo still alive", r"\nstill alive\n")
    m.send("halt\r")
    assert m.wait_exit() == PASS_STATUS


def test_nmi_is_reported_and_the_kernel_goes_on(chapter):
    """An NMI (QEMU's monitor command `nmi`, the NMI button) at an idle
    prompt blames no one: it is reported and the shell still answers."""
    m = shell(chapter, "nmi", monitor=True)
    since = m.mark()
    m.hmp("nmi")
    m.expect(r"\nNMI at rip 0x[0-9a-f]+: no hardware error latched \(a watchdog, or the NMI button\); "
             r"the kernel goes on\n", since=since)
    m.command("echo still alive", r"\nstill alive\n")
    text = halt(m)
    assert "EXCEPTION" not in text and "stopped by the fault" not in text, text


def test_timer_agrees_with_the_host_clock(chapter):
    """`uptime` counts ticks, so it runs at the host's pace within 2%.

    A tick can be lost (never gained) when the host does not run QEMU's
    virtual CPU for longer than a tick period, as on a busy 2-core CI host:
    a measurement may run slow for that reason alone. A calibration error
    is the same in every measurement, so the test passes if one of three
    agrees with the host, and reports all three otherwise."""
    m = shell(chapter, "timer")

    def uptime():
        match = m.command("uptime", r"\nup (\d+\.\d{3}) s")
        return float(match.group(1)), time.monotonic()

    seen = []
    for _ in range(3):
        k1, h1 = uptime()
        time.sleep(4)
        k2, h2 = uptime()
        seen.append(f"kernel {k2 - k1:.3f} s vs host {h2 - h1:.3f} s")
        if 0.98 <= (k2 - k1) / (h2 - h1) <= 1.02:
            break
    else:
        pytest.fail("; ".join(seen))
    halt(m)


@every_chapter
@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_halt_powers_off_without_the_grader(chapter, firmware):
    """As under `make run`, without exit=qemu: `halt` powers the machine off
    through ACPI S5, so QEMU ends by itself, with status 0."""
    m = shell(chapter, f"power-off-{firmware}", options="", firmware=firmware)
    m.send("halt\r")
    assert m.wait_exit() == 0
    m.stop()
    check_lines(m, m.transcript, must=[r"^command line: \"\"$", r"^cubos: done, powering off$"],
                must_not=[r"^cubos: cannot power off", r"^EXCEPTION"])


def test_reboot_resets_the_machine(chapter):
    m = shell(chapter, "reboot")
    m.command("reboot", r"\nrebooting\n")
    assert m.wait_exit() == 0     # a reset, which -no-reboot turns into QEMU's exit
    m.stop()


def smbios_options_file(folder, options):
    """The kernel options as a raw SMBIOS type 11 (OEM strings) structure:
    header (type, length 5, handle, string count 1), the string, the double
    NUL. QEMU's isapc builds SMBIOS the legacy way, which takes whole
    structures from files but ignores -smbios type=11,value=..."""
    path = folder / "oem-strings.bin"
    path.write_bytes(struct.pack("<BBHB", 11, 5, 0x1100, 1) + f"cubos:{options}".encode() + b"\0\0")
    return str(path)


MISSING_CONTROLLER = {
    "no-local-apic": r"^PANIC at kernel/main\.c:\d+: this CPU has no local APIC \(CPUID\.01H:EDX bit 9 "
                     r"is clear\).*leave '-apic' out of -cpu$",
    "isapc": r"^PANIC at kernel/main\.c:\d+: no IO APIC answers at 0xfec00000.*"
             r"use -machine pc or q35, not isapc$",
}


@pytest.mark.parametrize("machine", sorted(MISSING_CONTROLLER))
def test_missing_interrupt_controller_stops_with_a_clear_message(chapter, machine, tmp_path):
    """Without a local APIC, or an IO APIC for the keyboard and COM1, the
    shell could never hear a key: the kernel says what is missing and what
    to try, and the run fails (not a prompt that never answers)."""
    if machine == "isapc":
        options = dict(cpu="qemu64", options="", smp=1, extra=[
            "-machine", "isapc", "-smbios", f"file={smbios_options_file(tmp_path, 'exit=qemu')}"])
    else:
        options = dict(cpu="qemu64,-apic")
    message = MISSING_CONTROLLER[machine]
    with Machine(chapter, f"missing-{machine}", **options) as m:
        m.expect(message)
        assert m.wait_exit() == FAIL_STATUS
        assert "cubos shell" not in m.transcript


def test_exception_outside_a_command_panics(chapter):
    """Only a shell command runs under a recovery point: elsewhere a fault is
    fatal. Jump to an unmapped address (from gdb) before the shell starts:
    the report comes out, then a panic, and the run fails."""
    port = free_port()
    with Machine(chapter, "unrecoverable", gdb_port=port) as m:
        out = run_gdb(chapter_kernel(chapter), port,
                      ["hbreak shell_run", "continue", "set $pc = 0xdead0000", "detach"])
        assert "Breakpoint 1, shell_run" in out, out
        m.expect(r"page fault: instruction fetch at address 0xdead0000: the page is not mapped")
        m.expect(r"^PANIC at trap/fault\.c:\d+: unhandled #PF page fault$")
        assert m.wait_exit() == FAIL_STATUS
