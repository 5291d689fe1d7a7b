"""ch06-syscalls: host unit tests of the kernel's pure code, under ASan and
UBSan: ch05's, against this chapter's copies of the sources, the two
parsers user mode brings (the ELF executable checker and the cpio reader),
the file tree's path lookup (fs/vfs.c), the terminal line discipline
(fs/ldisc.c) and, from several threads, the copy-on-write reference
counts (mm/frame_ref.c).
Then the ELF checker on real programs, built with musl-gcc at test time."""
import subprocess
from pathlib import Path

import pytest

from harness import OUT, TOP, UNIT_CFLAGS, chapter_tests, run_unit_test

_ch05 = chapter_tests("ch05-channels", "test_unit.py", {})
UNITS = dict(_ch05.UNITS)
UNITS["ch06-syscalls/unit/test_elf.c"] = ["proc/elf.c", "lib/format.c"]
UNITS["ch06-syscalls/unit/test_cpio.c"] = ["fs/cpio.c"]
UNITS["ch06-syscalls/unit/test_vfs.c"] = ["fs/vfs.c"]
UNITS["ch06-syscalls/unit/test_ldisc.c"] = ["fs/ldisc.c"]
THREAD_UNITS = dict(_ch05.THREAD_UNITS)
THREAD_UNITS["ch06-syscalls/unit/test_frame_ref.c"] = ["mm/frame_ref.c"]

MUSL_GCC = Path("/usr/bin/musl-gcc")


@pytest.mark.parametrize("test", sorted(UNITS))
def test_host_unit(chapter, test):
    run_unit_test(chapter, test, UNITS[test])


@pytest.mark.parametrize("sanitizers", ["address,undefined", "thread"])
@pytest.mark.parametrize("test", sorted(THREAD_UNITS))
def test_host_unit_threads(chapter, test, sanitizers):
    run_unit_test(chapter, test, THREAD_UNITS[test], include_dirs=["ch05-channels/unit/host"],
                  sanitizers=sanitizers, pthread=True)


def build_unit(chapter, test, exe):
    """Build tests/<test> with the chapter's copies of UNITS[test] as
    run_unit_test does, into exe: a path of the caller's own, since
    test_host_unit may be rebuilding the usual one at the same time."""
    src = TOP / chapter
    build = subprocess.run(["gcc", *UNIT_CFLAGS, "-iquote", str(src / "include"),
                            "-iquote", str(TOP / "tests"), "-o", str(exe),
                            *[str(src / s) for s in UNITS[test]], str(TOP / "tests" / test)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    return exe


@pytest.mark.skipif(not MUSL_GCC.exists(), reason="no musl-gcc to build real programs with")
def test_elf_real_programs(chapter, tmp_path):
    """A musl-gcc -static program is accepted, a dynamically linked one refused."""
    out = OUT / chapter / "elf"
    out.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "true.c"
    source.write_text("int main(void) { return 0; }\n")
    static, dynamic = out / "true-static", out / "true-dynamic"
    subprocess.run([str(MUSL_GCC), "-static", "-o", str(static), str(source)], check=True)
    subprocess.run([str(MUSL_GCC), "-o", str(dynamic), str(source)], check=True)
    exe = build_unit(chapter, "ch06-syscalls/unit/test_elf.c", tmp_path / "test_elf")
    run = subprocess.run([str(exe), str(static), str(dynamic)], capture_output=True, text=True,
                         timeout=120)
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{static}: static" in run.stdout
    assert "/lib/ld-musl" in run.stdout
