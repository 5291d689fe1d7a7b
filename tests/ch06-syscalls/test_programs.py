"""ch06-syscalls: the chapter's user programs, as a user at the shell (or
with init=) sees them: hello and its arguments, threads, the SHA-1 REPL,
the Go sieve, programs killed for faults with the shell going on, bad
pointers answered with EFAULT (with SMAP on and off), unimplemented calls
answered with ENOSYS, memory coming back after programs and after the
fuzzer, and a folder of the user's own added to the initrd."""
import hashlib
import os
import re
import shutil
import subprocess
import time

import pytest

from harness import PASS_STATUS, TOP, Machine, build_lock, mem, mem_usage, settled_mem

PROMPT = r"cubos> "


def shell(chapter, name, **kwargs):
    m = Machine(chapter, name, options="", **kwargs).start()
    m.expect(PROMPT)
    return m


def run(m, line, expect=r"exit status 0", timeout=None):
    """Type `run /bin/line` at the prompt and wait for the prompt after it;
    return what the command printed (the echoed line left out), which must
    match expect. A prompt before the echo may be the last command's,
    printed after its own wait ended: only the one after the echo counts."""
    since = m.mark()
    m.send(f"run /bin/{line}\r")
    echo = m.expect(re.escape(f"run /bin/{line}") + r"\n", timeout, since)
    prompt = m.expect(r"^" + PROMPT, timeout, echo.end())
    out = m.transcript[echo.end():prompt.start()]
    assert re.search(expect, out), f"run /bin/{line}: no {expect!r} in what it printed:\n{out}"
    return out


def primes(count):
    found = []
    n = 2
    while len(found) < count:
        if all(n % p for p in found if p * p <= n):
            found.append(n)
        n += 1
    return found


def test_hello_prints_its_arguments_at_the_shell(chapter):
    m = shell(chapter, "hello-shell")
    # The shell splits at spaces and knows no quoting: the quotes are
    # part of the word.
    out = run(m, 'hello a "b"')
    assert re.fullmatch(r'hello from user mode\nargv\[1\] = a\nargv\[2\] = "b"\n'
                        r'\[\d+\] /bin/hello: exit status 0\n', out), out
    # Fewer words than the line before: argv ends where this line's words do.
    out = run(m, "hello")
    assert re.fullmatch(r"hello from user mode\n\[\d+\] /bin/hello: exit status 0\n", out), out


def test_hello_as_init_leaves_qemu_with_pass(chapter):
    with Machine(chapter, "hello-init", options="exit=qemu init=/bin/hello x y") as m:
        m.expect(r"^hello from user mode\nargv\[1\] = x\nargv\[2\] = y\n\[\d+\] /bin/hello: exit status 0$")
        m.expect(r"^cubos: init done, leaving QEMU$")
        assert m.wait_exit() == PASS_STATUS


def test_threads_count_exactly_on_two_cpus(chapter):
    m = shell(chapter, "threads")
    assert "smp: 2 CPUs online" in m.transcript
    for n in (4, 16):
        out = run(m, f"threads {n}", timeout=120)
        total = n * 100000
        assert re.fullmatch(rf"total = {total} \(expected {total}\)\n\[\d+\] /bin/threads: exit status 0\n",
                            out), out


def test_sha1_repl_hashes_typed_lines_and_exit_ends_it(chapter):
    # No tab: the console's line editor turns it into a space.
    lines = ["abc", "", "The quick brown fox jumps over the lazy dog", "two  spaces, one after ",
             "x" * 200]
    m = shell(chapter, "sha1")
    m.command("run /bin/sha1", r"sha1> ")
    for line in lines:
        digest = hashlib.sha1(line.encode()).hexdigest()
        m.command(line, rf"\n{digest}\nsha1> ")
    m.command("exit", r"\[\d+\] /bin/sha1: exit status 0\n" + PROMPT)
    run(m, "hello")                 # the shell reads its own lines again


def test_go_sieve_prints_the_first_100_primes(chapter):
    m = shell(chapter, "sieve")
    out = run(m, "sieve 100", timeout=120)
    assert re.search(r"\nsieve: 100 primes\n\[\d+\] /bin/sieve: exit status 0\n$", out), out
    numbers = [int(x) for x in re.findall(r"^(\d+)$", out, re.M)]
    assert numbers == primes(100), numbers


# Each mode of user/faults.c: the signal and the kernel's report (after
# "NAME[TID]: "). HEX16: a 64-bit ip or sp, as the report prints it.
HEX16 = r"[0-9a-f]{16}"
KERNEL = "ffffffff80100000"
FAULTS = {
    "null": ("SIGSEGV", rf"segfault at 0 ip {HEX16} sp {HEX16} error 4 in faults"),
    "kernel-read": ("SIGSEGV", rf"segfault at {KERNEL} ip {HEX16} sp {HEX16} error [45] in faults"),
    "kernel-write": ("SIGSEGV", rf"segfault at {KERNEL} ip {HEX16} sp {HEX16} error [67] in faults"),
    "kernel-jump": ("SIGSEGV", rf"segfault at {KERNEL} ip {KERNEL} sp {HEX16} error 1[45] in faults"),
    # An instruction fetch faults where the code is: the fault address is the ip.
    "exec-stack": ("SIGSEGV", rf"segfault at (7fff[0-9a-f]{{8}}) ip 0000\1 sp {HEX16} error 15 in faults"),
    "exec-data": ("SIGSEGV", rf"segfault at ([0-9a-f]+) ip 0*\1 sp {HEX16} error 15 in faults"),
    "ud": ("SIGILL", rf"#UD invalid opcode \(SIGILL\) at ip {HEX16} sp {HEX16} error 0 in faults"),
    "div0": ("SIGFPE", rf"#DE divide error \(SIGFPE\) at ip {HEX16} sp {HEX16} error 0 in faults"),
    "gp": ("SIGSEGV", rf"#GP general protection \(SIGSEGV\) at ip {HEX16} sp {HEX16} error 0 in faults"),
}


def test_faults_kill_the_program_and_the_shell_goes_on(chapter):
    m = shell(chapter, "faults")
    run(m, "faults null", r"killed by SIGSEGV")      # warm-up, for the memory check
    before = settled_mem(m)
    for mode, (signal, report) in FAULTS.items():
        out = run(m, f"faults {mode}", r"/bin/faults: (killed by|exit status)")
        pid = re.search(r"\[(\d+)\] /bin/faults: ", out)
        expected = (rf"faults: {mode}\nfaults\[{pid.group(1) if pid else 'PID'}\]: {report}\n"
                    rf"\[\d+\] /bin/faults: killed by {signal}\n")
        assert re.fullmatch(expected, out), f"faults {mode}: expected\n{expected}\ngot\n{out}"
        out = run(m, "hello")
        assert out.startswith("hello from user mode\n"), f"after faults {mode}: {out}"
    out = run(m, "faults bogus", r"exit status 2")
    assert out.startswith("usage: faults MODE\n"), out
    assert settled_mem(m, before) == before, "a killed program gives its memory back"


@pytest.mark.parametrize("cpu", [None, "max"], ids=["default-cpu", "cpu-max"])
def test_bad_pointers_give_efault_with_and_without_smap(chapter, cpu):
    """user/efault.c's checks, through init=: with -cpu max the kernel
    turns SMEP, SMAP and UMIP on, and SMAP faults any kernel access to
    user memory outside the copy routines."""
    with Machine(chapter, f"efault-{cpu or 'default'}", options="exit=qemu init=/bin/efault", cpu=cpu) as m:
        status = m.wait_exit(timeout=120)
        text = m.transcript
    state = "on" if cpu == "max" else r"off \(not in this CPU\)"
    assert re.search(rf"^user mode: syscall/sysret, .*; SMEP {state}, SMAP {state}, UMIP {state}$",
                     text, re.M), "the boot line names the protections"
    failed = re.findall(r"^efault: .* FAILED.*$", text, re.M)
    assert not failed, "\n".join(failed)
    assert re.search(r"^efault: \d+ checks, 0 failed$", text, re.M), text[-2000:]
    assert re.search(r"^\[\d+\] /bin/efault: exit status 0$", text, re.M)
    assert "EXCEPTION" not in text and "PANIC" not in text
    assert status == PASS_STATUS


def test_unimplemented_calls_give_enosys_reported_once_per_number(chapter):
    m = shell(chapter, "enosys")
    for _ in range(2):          # once per number in each program, not once per boot
        out = run(m, "enosys")
        pid = re.search(r"\[(\d+)\] /bin/enosys: exit status 0", out).group(1)
        for nr, name, calls in ((400, "unknown", 2), (183, "afs_syscall", 1)):
            report = f"enosys[{pid}]: system call {nr} ({name}) is not implemented: -ENOSYS\n"
            seen = f"enosys: system call {nr} returned -1, errno 38 (Function not implemented)\n"
            assert out.count(report) == 1, out
            assert out.count(seen) == calls, out
        assert out.count("is not implemented") == 2, out


def test_memory_comes_back_after_many_programs(chapter):
    """100 hellos, threads, a killed program of each signal and efault: the
    frames and heap objects in use are what they were before."""
    m = shell(chapter, "programs-memory")

    def programs():
        run(m, "threads 8", r"exit status 0", timeout=120)
        for mode, (signal, _) in FAULTS.items():
            run(m, f"faults {mode}", rf"killed by {signal}")
        run(m, "efault", r"efault: \d+ checks, 0 failed")

    # A first round leaves what the kernel keeps for the next: kernel
    # stacks and page tables for as many threads, heap pages.
    programs()
    before = settled_mem(m)
    for i in range(100):
        run(m, f"hello {i}", rf"argv\[1\] = {i}\n\[\d+\] /bin/hello: exit status 0")
    programs()
    assert settled_mem(m, before) == before


# The million calls take a minute of both CPUs under load and
# starve the tests beside them: make test makes 200,000, and
# `make test SOAK=1` (CUBOS_SOAK=1) the million.
FUZZ_CALLS = 1000000 if os.environ.get("CUBOS_SOAK") == "1" else 200000


def test_fuzzer_with_smap_leaves_the_kernel_up_and_its_memory_back(chapter):
    """user/fuzz.c, FUZZ_CALLS calls from four threads, with SMEP, SMAP and
    UMIP on (-cpu max): a kernel access to user memory outside the copy
    routines would fault. Afterwards every heap object is back. Frames may
    not all be: kpage keeps the page tables of its busiest moment
    (mm/kpage.c), and a fuzzed ftruncate or pwrite can make a file of tens
    of MiB, whose buffer needs one page table per 2 MiB; so the frames may
    grow by at most the tables that cover all of memory."""
    memory_mib = 256
    m = shell(chapter, "fuzz-smap", cpu="max", memory=f"{memory_mib}M")
    assert re.search(r"SMEP on, SMAP on, UMIP on", m.transcript)
    run(m, "fuzz 200000 4 777", r"exit status 0", timeout=300)     # warm-up
    heap_bytes, heap_objects, frames = settled_mem(m)
    # The second line: its forks, all reaped, and the signals it sent itself.
    out = run(m, f"fuzz {FUZZ_CALLS} 4 4242",
              rf"fuzz: {FUZZ_CALLS} syscalls in 4 threads, \d+ returned ENOSYS, \d+ returned EFAULT\n"
              r"fuzz: (\d+) forks \(\1 children reaped\), \d+ signals handled;.*\n"
              r"\[\d+\] /bin/fuzz: exit status 0", timeout=600)
    assert "could not remove" not in out and "FAILED" not in out, out
    assert not re.search(r"fuzz: 0 forks", out), "the fuzzer forked no child"
    text = m.transcript
    for bad in ("EXCEPTION", "PANIC", "heap: kfree", "was stopped by the fault"):
        assert bad not in text, f"{bad!r} in the transcript"
    run(m, "hello")
    # What the fuzzer's last children and threads held goes back when the
    # reaper and the idle threads get to them: wait for the heap to come
    # back (two equal readings in a row may still be early), and name
    # what is still there if it does not.
    deadline = time.monotonic() + 20
    after = settled_mem(m, seconds=10)
    while after[:2] != (heap_bytes, heap_objects) and time.monotonic() < deadline:
        time.sleep(0.5)
        after = mem_usage(mem(m))
    if after[:2] != (heap_bytes, heap_objects):
        ps = m.command("ps", r"ps\n((?:.*\n)*?)" + PROMPT).group(1)
        raise AssertionError(f"heap (bytes, objects) {after[:2]}, before {(heap_bytes, heap_objects)}; "
                             f"ps:\n{ps}")
    page_tables = memory_mib // 2 + 2
    assert frames <= after[2] <= frames + page_tables, f"frames in use {after[2]}, before {frames}"
    assert re.search(r"heap: .*, 0 errors caught", mem(m))


XHELLO_C = r"""
#include <stdio.h>
int main(int argc, char **argv)
{
    printf("xhello: hello from EXTRA_ROOT, argc %d\n", argc);
    return 0;
}
"""


def test_extra_root_adds_a_folder_to_the_initrd(chapter, tmp_path):
    """make iso EXTRA_ROOT=DIR puts DIR's files at / beside the chapter's
    own. Built into a build folder of its own (BUILD=...), so the ISO the
    other tests boot is not touched; the Go build cache is copied over so
    the Go programs need not be compiled again."""
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "etc" / "extra.txt").write_text("an extra file\n")
    source = tmp_path / "xhello.c"
    source.write_text(XHELLO_C)
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", str(root / "bin" / "xhello"), str(source)],
                   check=True)

    build = tmp_path / "build"
    chapter_dir = TOP / chapter
    with build_lock():
        # The chapter's build, copied with its files' times: only the
        # initrd and the ISO are made again.
        shutil.copytree(chapter_dir / "build", build, symlinks=True)
        made = subprocess.run(["make", "-s", "-C", str(chapter_dir), f"BUILD={build}", "iso",
                               f"EXTRA_ROOT={root}"], capture_output=True, text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    iso = build / f"cubos-{chapter}.iso"
    assert iso.exists()

    with Machine(chapter, "extra-root", options="", iso=iso) as m:
        m.expect(PROMPT)
        assert re.fullmatch(r"xhello: hello from EXTRA_ROOT, argc 2\n\[\d+\] /bin/xhello: exit status 0\n",
                            run(m, "xhello arg")), "the extra program runs"
        assert run(m, "cat /etc/extra.txt").startswith("an extra file\n")
        assert run(m, "cat /etc/hostname").startswith("cubos\n"), "the chapter's rootfs is still there"
        assert run(m, "hello").startswith("hello from user mode\n"), "and so are its programs"

    # A folder that does not exist: one line that says so, and a failure.
    # Everything else in this build folder is up to date, so nothing is
    # built before the check.
    missing = tmp_path / "no-such-folder"
    with build_lock():
        made = subprocess.run(["make", "-s", "-C", str(chapter_dir), f"BUILD={build}", "iso",
                               f"EXTRA_ROOT={missing}"], capture_output=True, text=True)
    assert made.returncode != 0
    assert made.stderr.splitlines()[0] == f"EXTRA_ROOT={missing}: no such folder", made.stderr
    assert made.stdout == "", made.stdout
    shutil.rmtree(build)            # 90 MiB; pytest keeps the last runs' folders
