"""The grader itself, checked on ch01's kernel: it must fail every run that
does not end with the kernel's own pass code, and say why."""
import pytest

from harness import (GradeError, Machine, boot_and_grade, chapter_kernel,
                     free_port, grade, run_gdb)


def test_triple_fault_is_a_failure(chapter):
    """A non-canonical stack pointer with no IDT escalates to a triple fault;
    under -no-reboot QEMU then exits with status 0, which must not pass."""
    port = free_port()
    with Machine(chapter, "grader-triple-fault", gdb_port=port) as m:
        out = run_gdb(chapter_kernel(chapter), port,
                      ["hbreak kmain", "continue",
                       "set $rsp = 0x8000000000000000", "detach"])
        assert "Breakpoint 1" in out, out
        with pytest.raises(GradeError, match="exit status 0: QEMU stopped without a pass code"):
            grade(m)


def test_timeout_is_a_failure(chapter):
    with pytest.raises(GradeError, match="timed out after 3 s"):
        boot_and_grade(chapter, "grader-timeout", options=None, timeout=3)


def test_missing_line_is_a_failure(chapter):
    with pytest.raises(GradeError, match="missing a line matching 'no such line'"):
        boot_and_grade(chapter, "grader-missing-line", must=["no such line"])


def test_forbidden_line_is_a_failure(chapter):
    with pytest.raises(GradeError, match="must not appear"):
        boot_and_grade(chapter, "grader-forbidden-line", must_not=["^usable memory"])
