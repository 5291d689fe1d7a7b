"""ch03-interrupts: ch01's Makefile checks, and `make run` as a person at
the shell uses it: Ctrl-A is the line editor's Home key (QEMU's escape is
Ctrl-] now), and `reboot` restarts the machine instead of ending QEMU."""
from harness import chapter_tests

ch01 = chapter_tests("ch01-boot", "test_make.py", globals())

PROMPT = r"cubos> "


def test_make_run_reboots_and_ctrl_a_is_home(chapter):
    s = ch01.run_until(chapter, "run", PROMPT)
    try:
        since = s.mark()
        s.type("cho home\x01e\r")              # Ctrl-A: back to the start, then "e"
        s.expect(r"\nhome\r?\n", since=since)
        s.expect(PROMPT, since=since)
        since = s.mark()
        s.type("reboot\r")
        s.expect(r"rebooting", since=since)
        s.expect(ch01.HELLO.format(chapter), since=since)
        s.expect(PROMPT, since=since)
        assert s.proc.poll() is None, s.text
        s.type("\x1dx")
        assert s.proc.wait(10) == 0, s.text
    finally:
        s.close()
