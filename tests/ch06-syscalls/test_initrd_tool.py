"""ch06-syscalls: tools/mkinitrd.py, the initrd packer, checked against the
kernel's own reader: the archive it writes from a folder tree is listed by
the unit program test_cpio (fs/cpio.c, under ASan and UBSan) and compared
with the tree; two runs give the same bytes; bad arguments and odd files
get the errors and warnings its docstring promises."""
import os
import stat
import subprocess

import pytest

from harness import TOP, chapter_tests

MKINITRD = TOP / "tools" / "mkinitrd.py"
CPIO_TEST = "ch06-syscalls/unit/test_cpio.c"

build_unit = chapter_tests("ch06-syscalls", "test_unit.py", {}).build_unit


def mkinitrd(*args):
    return subprocess.run(["/usr/bin/python3", str(MKINITRD), *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def fnv1a(data):
    """FNV-1a, 32 bits, as test_cpio prints it."""
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return f"{h:08x}"


@pytest.fixture
def trees(tmp_path):
    """A root file system and a folder of programs, as a Makefile would pass them."""
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "motd").write_text("welcome to cubos\n")
    (root / "bin").mkdir()
    (root / "bin" / "hello").write_bytes(b"old hello")
    (root / "var" / "empty").mkdir(parents=True)
    (root / "var" / "empty").chmod(0o700)
    root.chmod(0o755)
    progs = tmp_path / "progs"
    progs.mkdir(mode=0o750)
    progs.chmod(0o750)
    (progs / "hello").write_bytes(bytes(range(256)) * 3 + b"\x7fELF")
    (progs / "hello").chmod(0o755)
    os.symlink("hello", progs / "sh")
    return root, progs


def listing(chapter, tmp_path, archive):
    """The archive as fs/cpio.c reads it: name -> (mode, size, fingerprint)."""
    exe = build_unit(chapter, CPIO_TEST, tmp_path / "test_cpio")
    run = subprocess.run([str(exe), str(archive)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    entries = {}
    for line in run.stdout.splitlines():
        name, mode, size, fingerprint = line.rsplit(" ", 3)
        entries[name] = (int(mode, 8), int(size), fingerprint)
    return entries


def test_reader_reads_what_mkinitrd_writes(chapter, tmp_path, trees):
    root, progs = trees
    archive = tmp_path / "initrd.cpio"
    run = mkinitrd("-o", archive, f"{root}=/", f"{progs}=/bin", f"{progs}=/usr/local/bin")
    assert run.returncode == 0 and run.stderr == "", run.stderr

    def entry(path, data=b""):
        st = os.lstat(path)
        return (st.st_mode, len(data), fnv1a(data))

    hello = (progs / "hello").read_bytes()
    dir_0755 = (stat.S_IFDIR | 0o755, 0, fnv1a(b""))
    assert listing(chapter, tmp_path, archive) == {
        ".": entry(root),
        "bin": entry(progs),                    # the later argument's folder wins
        "bin/hello": entry(progs / "hello", hello),     # and so does its file
        "bin/sh": (stat.S_IFLNK | 0o777, 5, fnv1a(b"hello")),
        "etc": entry(root / "etc"),
        "etc/motd": entry(root / "etc" / "motd", b"welcome to cubos\n"),
        "usr": dir_0755,                        # parents of a DEST, made up
        "usr/local": dir_0755,
        "usr/local/bin": entry(progs),
        "usr/local/bin/hello": entry(progs / "hello", hello),
        "usr/local/bin/sh": (stat.S_IFLNK | 0o777, 5, fnv1a(b"hello")),
        "var": entry(root / "var"),
        "var/empty": (stat.S_IFDIR | 0o700, 0, fnv1a(b"")),
    }


def test_same_bytes_every_run(tmp_path, trees):
    root, progs = trees
    first, second = tmp_path / "1.cpio", tmp_path / "2.cpio"
    assert mkinitrd("-o", first, f"{root}=/", f"{progs}=/bin").returncode == 0
    os.utime(root / "etc" / "motd", (0, 1234567890))    # mtimes are not stored
    assert mkinitrd("-o", second, f"{root}=/", f"{progs}=/bin").returncode == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes().startswith(b"070701")


@pytest.mark.parametrize("args, fault", [
    (["no-equals-sign"], "no-equals-sign"),
    (["{root}=relative/dest"], "relative/dest"),
    (["=/"], "'=/'"),
    (["{root}/missing=/x"], "missing"),
    (["{root}=/", "{root}/etc/motd=/"], "root / must be a folder"),
])
def test_bad_argument_one_line_status_2(tmp_path, trees, args, fault):
    root, _ = trees
    out = tmp_path / "out.cpio"
    run = mkinitrd("-o", out, *[a.format(root=root) for a in args])
    assert run.returncode == 2
    assert len(run.stderr.splitlines()) == 1 and fault in run.stderr, run.stderr
    assert not out.exists()


def test_missing_output_option(trees):
    run = mkinitrd(f"{trees[0]}=/")
    assert run.returncode == 2 and len(run.stderr.splitlines()) == 1, run.stderr
    assert "-o" in run.stderr


def test_unreadable_file_status_2(tmp_path, trees):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    root, _ = trees
    (root / "etc" / "motd").chmod(0)
    run = mkinitrd("-o", tmp_path / "out.cpio", f"{root}=/")
    assert run.returncode == 2 and len(run.stderr.splitlines()) == 1, run.stderr
    assert "motd" in run.stderr


def test_special_file_skipped_with_warning(chapter, tmp_path, trees):
    root, _ = trees
    os.mkfifo(root / "etc" / "pipe")
    archive = tmp_path / "initrd.cpio"
    run = mkinitrd("-o", archive, f"{root}=/")
    assert run.returncode == 0
    assert len(run.stderr.splitlines()) == 1 and "warning" in run.stderr, run.stderr
    assert "etc/pipe" in run.stderr
    entries = listing(chapter, tmp_path, archive)
    assert "etc/pipe" not in entries and "etc/motd" in entries
