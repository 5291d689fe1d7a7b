"""ch08-gui: ch07's test_shell.py holds here too, except that a BIOS boot
now puts the console on the framebuffer GRUB set up, not on the VGA text
screen."""
from harness import chapter_tests

chapter_tests("ch07-net", "test_shell.py", globals(), skip=("test_bios_boot_to_the_shell_and_halt",))
_ch03 = chapter_tests("ch03-interrupts", "test_shell.py", {})


def test_bios_boot_to_the_shell_and_halt(chapter):
    m = _ch03.shell(chapter, "bios-halt")
    _ch03.halt(m, must=[r"^console: on the framebuffer too, 128x48 characters",
                        r"^cubos: done, leaving QEMU$"])
    assert "console: on the VGA text screen too" not in m.transcript
