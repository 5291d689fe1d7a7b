"""ch01-boot: the chapter's Makefile, used as a student uses it: the
kernel sees no host header, builds with clang and with a cross prefix, the
ISO stays small, GRUB says nothing alarming and talks on the serial line,
`make run` takes kernel options and leaves with Ctrl-] X."""
import functools
import re
import subprocess
import time

import pytest

from harness import TOP, Machine, Session, every_chapter

ISO_LIMIT = 6 * 1024 * 1024     # GRUB's modules for BIOS and UEFI: about 4 MB
HELLO = r"cubos {}: hello from 64-bit long mode"


def make(chapter, *args, timeout=300):
    return subprocess.run(["make", "-s", "-C", str(TOP / chapter), *args],
                          capture_output=True, text=True, timeout=timeout)


@every_chapter
def test_kernel_uses_no_host_header(chapter):
    """Every header a kernel object was built from (the .d files list them
    all) is the kernel's own, one of the compiler's freestanding ones, or
    (from ch07 on) lwIP's, from the source the build fetched into .cache."""
    gcc_include = subprocess.run(["gcc", "-print-file-name=include"], capture_output=True,
                                 text=True, check=True).stdout.strip()
    allowed = (gcc_include + "/", str(TOP / ".cache" / "lwip" / "src" / "include") + "/")
    build = TOP / chapter / "build"
    deps = [d for d in build.rglob("*.d") if "clang" not in d.parts]
    assert deps, f"no .d files in {build}"
    for d in deps:
        text = d.read_text().replace("\\\n", " ")
        for path in re.findall(r"\S+\.h\b", text):
            assert not path.startswith("/") or path.startswith(allowed), \
                f"{d.relative_to(TOP)}: the kernel includes the host header {path}"


@every_chapter
def test_compile_and_link_flags(chapter):
    """-Werror by default and not with WERROR=0; compile flags stay out of
    the link (ld gets its own); CROSS prefixes gcc, ld and nm."""
    def commands(*args):
        done = make(chapter, "-n", "-B", "build/kernel.elf", *args)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()
    default = commands()
    compiles = [c for c in default if c.startswith("gcc ") and " -c " in c]
    links = [c for c in default if c.startswith("ld ")]
    assert compiles and links, default
    assert all("-Werror" in c and "-nostdinc" in c for c in compiles), compiles
    assert all("-Werror" not in c and "-O2" not in c for c in links), links
    assert not any("-Werror" in c for c in commands("WERROR=0"))
    cross = commands("CROSS=x86_64-linux-gnu-")
    for tool in ("gcc", "ld") + (("nm",) if (TOP / chapter / "tools" / "ksyms.py").exists() else ()):
        assert any(c.startswith(f"x86_64-linux-gnu-{tool} ") for c in cross), (tool, cross)


def test_clang_builds_a_kernel_that_boots(chapter):
    out = TOP / chapter / "build" / "clang"
    done = make(chapter, "-j2", "CC=clang", "BUILD=build/clang", "iso")
    assert done.returncode == 0, done.stdout + done.stderr
    with Machine(chapter, "clang", iso=out / f"cubos-{chapter}.iso", options=None) as m:
        m.expect("^" + HELLO.format(chapter))
        m.expect(r"^usable memory: ")


def test_iso_stays_small(chapter):
    iso = TOP / chapter / "build" / f"cubos-{chapter}.iso"
    size = iso.stat().st_size
    assert size < ISO_LIMIT, f"{iso.name} is {size / 2**20:.1f} MiB, over {ISO_LIMIT / 2**20:.0f} MiB"


def run_until(chapter, target, pattern, *options):
    """make <target> as typed at a terminal, until pattern shows; return the session."""
    s = Session(["make", "-s", "-C", str(TOP / chapter), target, *options])
    s.expect(pattern, timeout=90)
    return s


@functools.lru_cache
def uefi_transcript(chapter):
    s = run_until(chapter, "run-uefi", HELLO.format(chapter))
    s.close()
    return s.text


def test_make_run_uefi_shows_no_grub_errors(chapter):
    text = uefi_transcript(chapter)
    assert "Booting `cubos'" in text, text
    for message in ("error: no structure matched the given options",
                    "error: no suitable video mode found", "error:"):
        assert message not in text, text


@pytest.mark.xfail(strict=True, reason="GRUB warns because the multiboot2 header (boot/header.S) "
                   "accepts only an EGA text console, which UEFI does not have")
def test_make_run_uefi_shows_no_console_warning(chapter):
    text = uefi_transcript(chapter)
    assert "WARNING: no console will be available to OS" not in text, text


def test_make_run_takes_two_kernel_options_and_grub_talks_on_serial(chapter):
    s = run_until(chapter, "run", r'command line: "selftest exit=qemu"',
                  "OPTIONS=selftest exit=qemu")
    s.close()
    # Under BIOS, only GRUB's own serial terminal puts this on the serial line.
    assert "Booting `cubos'" in s.text, s.text


def test_make_run_quits_with_ctrl_bracket_x(chapter):
    """Ctrl-A is no longer QEMU's escape key (it is the shell's Home key):
    Ctrl-A X leaves QEMU running, Ctrl-] X quits it."""
    s = run_until(chapter, "run", HELLO.format(chapter))
    try:
        assert "press Ctrl-] then X to quit QEMU" in s.text, s.text
        s.type("\x01x")
        time.sleep(1)
        assert s.proc.poll() is None, s.text
        s.type("\x1dx")
        assert s.proc.wait(10) == 0, s.text
    finally:
        s.close()
