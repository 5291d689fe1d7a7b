"""ch08-gui: the framebuffer console. GRUB sets the 1024x768x32 mode the
kernel's multiboot2 header asks for (VBE under a BIOS, GOP under UEFI),
and the kernel draws its console there with its own font: QEMU's
screendump must show the shell's text in exactly that font's glyphs,
where the text grid puts it, the cursor under the prompt, a full screen
scrolled. Without a display the kernel boots to its serial shell."""
import re
import time

import pytest

from harness import Machine
from screen import kernel_font, screendump

PROMPT = r"cubos> "
GREY, BLACK = (0xAA, 0xAA, 0xAA), (0, 0, 0)
COLUMNS, ROWS = 128, 48             # 1024x768 in 8x16 cells


def desktop_machine(chapter, name, firmware="bios", extra=()):
    m = Machine(chapter, name, options="", firmware=firmware, extra=extra, monitor=True).start()
    m.expect(PROMPT)
    return m


def cursor_under(shot, font, col, row):
    """The cursor bar: the cell's last two pixel rows all grey."""
    x0, y0 = col * font.width, row * font.height
    return all(shot.pixel(x0 + x, y0 + y) == GREY
               for y in (font.height - 2, font.height - 1) for x in range(font.width))


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_the_shell_is_drawn_on_the_framebuffer_in_the_kernels_font(chapter, firmware):
    m = desktop_machine(chapter, f"fb-console-{firmware}", firmware)
    assert re.search(r"^framebuffer: 1024x768, 32 bits per pixel, RGB, pitch \d+, at 0x[0-9a-f]+$",
                     m.transcript, re.M), "GRUB set the mode the header asks for"
    assert re.search(rf"^console: on the framebuffer too, {COLUMNS}x{ROWS} characters \(font 8x16, "
                     r"\d+ glyphs\)$", m.transcript, re.M)
    m.command("echo hello, framebuffer", r"\nhello, framebuffer\n" + PROMPT)
    font = kernel_font(chapter)
    # The serial line gets the prompt a moment before the screen does
    # (each write goes to the serial port first): look again until it is drawn.
    for _ in range(20):
        shot = screendump(m, f"fb-console-{firmware}")
        row = shot.find_text(font, "hello, framebuffer")
        if row is not None and shot.text_at(font, "cubos> ", 0, row + 1, GREY, BLACK):
            break
        time.sleep(0.25)
    assert (shot.width, shot.height) == (1024, 768)
    assert row is not None, f"the echoed line is not on the screen ({shot.path})"
    assert shot.text_at(font, "cubos> echo hello, framebuffer", 0, row - 1, GREY, BLACK), shot.path
    assert shot.text_at(font, "cubos> ", 0, row + 1, GREY, BLACK), "the next prompt below it"
    assert cursor_under(shot, font, 7, row + 1), "the cursor after the prompt"
    assert not cursor_under(shot, font, 18, row), "no cursor left behind"
    for r in range(row + 2, ROWS):
        assert shot.text_at(font, " " * COLUMNS, 0, r, GREY, BLACK), f"row {r} is not blank"


def test_the_framebuffer_is_mapped_write_combining(chapter):
    """Its pages in the kernel's device window have PWT without PCD, which
    the kernel's page attribute table makes write-combining: QEMU's
    `info tlb` shows each page's flags (C: PCD, T: PWT)."""
    m = desktop_machine(chapter, "fb-wc")
    line = re.search(r"^fb: 1024x768, 32 bits a pixel, at 0x([0-9a-f]+), (.*)$", m.transcript, re.M)
    assert line and line.group(2) == "write-combining", m.transcript
    base = int(line.group(1), 16)
    pages = {}
    for va, pa, flags in re.findall(r"^([0-9a-f]{16}): ([0-9a-f]{16}) (\S+)$", m.hmp("info tlb"), re.M):
        if int(va, 16) >= 0xFFFFD00000000000 and base <= int(pa, 16) < base + 4096 * 768:
            pages[int(pa, 16)] = flags
    assert len(pages) == 768, f"{len(pages)} pages of the framebuffer mapped in the device window"
    assert all(f[6] == "T" and f[5] == "-" for f in pages.values()), set(pages.values())


def test_a_full_screen_scrolls(chapter):
    """Sixty numbered lines on a 48-row screen: the last ones are at the
    bottom, in order, under a prompt at the last row, and the first ones
    are gone."""
    m = desktop_machine(chapter, "fb-scroll")
    m.command("run /bin/sh", r"# ")
    m.command("i=1; while [ $i -le 60 ]; do echo line $i; i=$((i+1)); done",
              r"line 60\r?\n.*# ", timeout=60)
    font = kernel_font(chapter)
    for _ in range(20):                 # the screen follows the serial line closely, not at once
        shot = screendump(m, "fb-scroll")
        last = shot.find_text(font, "line 60")
        if last == ROWS - 2:
            break
        time.sleep(0.25)
    assert last == ROWS - 2, f"line 60 is on row {last}, not just above the prompt ({shot.path})"
    for n in range(60, 60 - (ROWS - 2), -1):
        assert shot.text_at(font, f"line {n} ", 0, last - (60 - n), GREY, BLACK), f"line {n}"
    assert shot.find_text(font, "line 1 ") is None, "the first lines scrolled away"


def test_without_a_display_the_kernel_boots_to_its_serial_shell(chapter):
    """QEMU without a VGA card: GRUB finds no graphics mode and passes
    what it has (a 1-bit mode at 0xa0000 that nothing shows); the kernel
    says it cannot draw there and runs on the serial line."""
    m = Machine(chapter, "fb-none", options="", extra=("-vga", "none")).start()
    m.expect(PROMPT)
    assert re.search(r"^fb: a 1-bit indexed mode; the kernel draws on 32-bit RGB only, so no screen$",
                     m.transcript, re.M), m.transcript
    assert "console: on the framebuffer" not in m.transcript
    m.command("echo still here", r"\nstill here\n" + PROMPT)
