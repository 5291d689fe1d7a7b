"""harness.py: boot a cubos ISO in QEMU and talk to it like a person would.

The grader's only channel into the kernel is what a user has: the serial
console (read and typed into), plus the exit status QEMU gets from the
kernel through the isa-debug-exit device. A run passes only when the
kernel itself reports success with PASS_STATUS; a plain exit 0 (what a
triple fault gives under -no-reboot), a failure code or a timeout are
failures, each with a message that says which.
"""
import contextlib
import fcntl
import hashlib
import importlib.util
import os
import re
import signal
import socket
import tempfile
import subprocess
import threading
import time
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
OUT = TOP / "tests" / "out"
OVMF = "/usr/share/ovmf/OVMF.fd"

# isa-debug-exit turns a write of v into exit status (v << 1) | 1;
# the kernel writes 0x10 for pass and 0x11 for fail (include/qemu_exit.h).
PASS_STATUS = 33
FAIL_STATUS = 35

BOOT_TIMEOUT = {"bios": 30, "uefi": 90}


class GradeError(AssertionError):
    """A failed check, carrying the transcript's tail for the report."""


@contextlib.contextmanager
def build_lock():
    """Hold the one lock every build in the tree takes (a chapter, the
    book): pytest-xdist runs tests in several processes, and two makes in
    one folder would write the same files at once."""
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def make(*args, **kwargs):
    """subprocess.run of `make -s args...` under build_lock."""
    with build_lock():
        return subprocess.run(["make", "-s", *map(str, args)], **kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chapter_iso(chapter):
    return TOP / chapter / "build" / f"cubos-{chapter}.iso"


def chapter_kernel(chapter):
    return TOP / chapter / "build" / "kernel.elf"


def describe_status(status):
    if status == PASS_STATUS:
        return f"exit status {status}: the kernel reported PASS"
    if status == FAIL_STATUS:
        return f"exit status {status}: the kernel reported FAIL"
    if status == 0:
        return ("exit status 0: QEMU stopped without a pass code "
                "(a triple fault or reset under -no-reboot)")
    return f"exit status {status}: not a cubos exit code (QEMU error?)"


class Machine:
    """One QEMU process running a chapter's ISO, headless, under TCG."""

    def __init__(self, chapter, name, *, firmware="bios", memory="128M",
                 options="exit=qemu", cpu=None, gdb_port=None, extra=(),
                 timeout=None, monitor=False, iso=None, smp=None):
        self.chapter = chapter
        self.firmware = firmware
        self.timeout = timeout or BOOT_TIMEOUT[firmware]
        self.log_path = OUT / chapter / f"{name}.log"
        self.monitor_path = None
        if monitor:
            self.monitor_path = os.path.join(tempfile.mkdtemp(prefix="cubos-"), "monitor")
        if smp is None:         # from ch04 (threads on every CPU) on, two CPUs
            smp = 2 if chapter >= "ch04" else 1
        cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", memory, "-smp", str(smp),
               "-cdrom", str(iso or chapter_iso(chapter)), "-no-reboot",
               "-display", "none", "-serial", "stdio",
               "-monitor", f"unix:{self.monitor_path},server,nowait" if monitor else "none",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        if options:
            cmd += ["-smbios", f"type=11,value=cubos:{options}"]
        if firmware == "uefi":
            cmd += ["-bios", OVMF]
        if cpu:
            cmd += ["-cpu", cpu]
        if gdb_port:
            cmd += ["-S", "-gdb", f"tcp:127.0.0.1:{gdb_port}"]
        cmd += list(extra)
        self.cmd = cmd
        self._text = ""
        self._lock = threading.Condition()
        self.proc = None

    # -- lifecycle ---------------------------------------------------------
    running = []                # started and not yet stopped, for stop_all

    def start(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        Machine.running.append(self)
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self._readers = [threading.Thread(target=self._read, args=(self.proc.stdout,),
                                          daemon=True)]
        self._stderr = []
        self._readers.append(threading.Thread(target=lambda: self._stderr.append(
            self.proc.stderr.read().decode(errors="replace")), daemon=True))
        for r in self._readers:
            r.start()
        return self

    def _drain(self):
        """QEMU has ended: wait until its last output is in the transcript
        (the reader threads see the pipes' end a moment after the exit)."""
        for r in getattr(self, "_readers", ()):
            r.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._drain()
        self.log_path.write_text(self.transcript)
        if self in Machine.running:
            Machine.running.remove(self)

    @classmethod
    def stop_all(cls):
        """Stop every machine a test left running (it failed before `halt`):
        an orphaned QEMU would go on using a CPU for the tests after it."""
        for m in list(cls.running):
            m.stop()

    def _read(self, stream):
        while True:
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                break
            text = chunk.decode(errors="replace").replace("\r", "")
            with self._lock:
                self._text += text
                self._lock.notify_all()
        with self._lock:
            self._lock.notify_all()

    # -- reading and typing -----------------------------------------------
    @property
    def transcript(self):
        with self._lock:
            return self._text

    def where(self, samples=5):
        """Where each CPU of a machine that stopped talking is: its RIP,
        sampled a few times through the monitor (monitor=True) and named
        with the kernel's symbols, one line per sample; "" if there is no
        monitor or QEMU has ended."""
        if not self.monitor_path or self.proc is None or self.proc.poll() is not None:
            return ""
        lines = []
        try:
            for _ in range(samples):
                regs = self.hmp("info registers -a")
                rips = re.findall(r"RIP=([0-9a-f]{16})", regs)
                names = subprocess.run(["addr2line", "-f", "-s", "-e", str(chapter_kernel(self.chapter)),
                                        *[f"0x{r}" for r in rips]], capture_output=True, text=True)
                funcs = names.stdout.splitlines()[0::2]
                lines.append("  ".join(f"cpu{i}: {f} ({r})" for i, (f, r) in enumerate(zip(funcs, rips))))
                time.sleep(0.2)
        except OSError as e:
            lines.append(f"(the monitor did not answer: {e})")
        return "\n".join(lines)

    def fail(self, message):
        self.log_path.write_text(self.transcript)
        tail = "\n".join(self.transcript.splitlines()[-40:])
        stderr = "".join(getattr(self, "_stderr", []))
        where = self.where()
        raise GradeError(f"{self.chapter} [{self.firmware}]: {message}\n"
                         f"--- last serial lines (full log: {self.log_path}) ---\n"
                         f"{tail}\n--- qemu stderr ---\n{stderr}"
                         + (f"--- where the CPUs were (RIP samples) ---\n{where}\n" if where else ""))

    def mark(self):
        """A position in the transcript: expect(..., since=mark) looks only after it."""
        with self._lock:
            return len(self._text)

    def expect(self, pattern, timeout=None, since=0):
        """Wait until the transcript (from position since) matches pattern
        (a regex); return the match."""
        deadline = time.monotonic() + (timeout or self.timeout)
        regex = re.compile(pattern, re.MULTILINE)
        with self._lock:
            while True:
                m = regex.search(self._text, since)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if self.proc.poll() is not None:
                    self._lock.wait(0.2)   # let the reader drain the pipe
                    if regex.search(self._text, since):
                        continue
                    self.fail(f"QEMU ended ({describe_status(self.proc.returncode)}) "
                              f"before {pattern!r} appeared")
                self._lock.wait(min(left, 0.5))
        self.fail(f"timed out after {timeout or self.timeout} s waiting for {pattern!r}")

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def command(self, line, expect, timeout=None):
        """Type line and Enter at the prompt (as a terminal sends it: CR) and
        wait for expect in what follows; return the match."""
        since = self.mark()
        self.send(line + "\r")
        return self.expect(expect, timeout, since)

    def hmp(self, command):
        """Run a QEMU monitor command (the machine needs monitor=True); return its output."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(self.monitor_path)
            reply = b""
            while not reply.endswith(b"(qemu) "):
                reply += s.recv(4096)
            s.sendall(command.encode() + b"\n")
            reply = b""
            while not reply.endswith(b"(qemu) "):
                reply += s.recv(4096)
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", reply.decode(errors="replace"))
        text = text.replace("\r", "")
        lines = text.split("\n")[1:-1]     # drop the echoed command and the prompt
        return "\n".join(lines)

    def wait_exit(self, timeout=None):
        try:
            status = self.proc.wait(timeout or self.timeout)
            self._drain()
            return status
        except subprocess.TimeoutExpired:
            self.fail(f"timed out after {timeout or self.timeout} s: "
                      "QEMU never exited (no pass code)")

    def assert_running(self, seconds):
        """The kernel must still be running (halted or idle) after seconds."""
        try:
            status = self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            return
        self.fail(f"QEMU ended unexpectedly: {describe_status(status)}")


def grade(machine, must=(), must_not=()):
    """Wait for QEMU to end, require the pass code and the lines; return the transcript."""
    status = machine.wait_exit()
    machine.stop()
    if status != PASS_STATUS:
        machine.fail(describe_status(status))
    text = machine.transcript
    check_lines(machine, text, must, must_not)
    return text


def boot_and_grade(chapter, name, must=(), must_not=(), **kw):
    """Boot to completion and grade the run (see grade)."""
    with Machine(chapter, name, **kw) as m:
        return grade(m, must, must_not)


def check_lines(machine, text, must=(), must_not=()):
    """Every regex in must matches a line; no regex in must_not does."""
    for pattern in must:
        if not re.search(pattern, text, re.MULTILINE):
            machine.fail(f"missing a line matching {pattern!r}")
    for pattern in ("PANIC",) + tuple(must_not):
        if re.search(pattern, text, re.MULTILINE):
            machine.fail(f"found a line matching {pattern!r}, which must not appear")


def run_gdb(kernel, port, commands, timeout=60):
    """Drive gdb-multiarch in batch mode against a QEMU gdb stub; return its output."""
    args = ["gdb-multiarch", "-q", "-batch", "-nx", str(kernel),
            "-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        args += ["-ex", c]
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return done.stdout + done.stderr


def mem(m):
    """What `mem` prints: the frames line, the heap line and (from ch04 on)
    the line of thread stacks kept for reuse, up to the next prompt."""
    return m.command("mem", r"\n(frames: .*\nheap: .*\n(?:stacks: .*\n)?)cubos> ").group(1)


def mem_usage(text):
    """From `mem`'s lines: (heap bytes in use, heap objects, frames in use
    outside the heap's pages and the cached stacks). The heap keeps emptied
    pages for its next objects, and the scheduler the stacks of a few
    ended threads for its next ones (one more of them is kept when two
    threads happened to overlap), so a page more or less there is not a
    leak; as the kernel's own self tests do, count those pages apart."""
    frames = int(re.search(r"frames: \d+ free \(\d+ MiB\), (\d+) in use", text).group(1))
    heap = re.search(r"heap: (\d+) bytes in (\d+) objects, (\d+) pages", text)
    stacks = re.search(r"stacks: (\d+) pages", text)
    cached = int(stacks.group(1)) if stacks else 0
    return int(heap.group(1)), int(heap.group(2)), frames - int(heap.group(3)) - cached


def settled_mem(m, expected=None, seconds=3):
    """mem_usage once it holds still (or equals expected): a background job
    has said it is done a moment before its thread ends, and the idle thread
    frees an ended detached thread when its CPU has nothing else to do."""
    last = mem_usage(mem(m))
    for _ in range(int(seconds * 10)):
        if last == expected:
            break
        time.sleep(0.1)
        now = mem_usage(mem(m))
        if expected is None and now == last:
            break
        last = now
    return last


def every_chapter(test):
    """Mark a test that every later chapter runs again, in every run: the
    essentials (booting under BIOS and UEFI, the self tests on any number
    of CPUs, a kernel built from its own headers)."""
    test.every_chapter = True
    return test


def own_chapter(test):
    """Mark a test slow enough (tens of seconds of TCG) that the next
    chapter does not run it again unless everything is asked for
    (inherit_all): it measures its own chapter's code at a scale the
    next chapter's own tests already exercise more cheaply."""
    test.own_chapter = True
    return test


def inherit_all():
    """Whether later chapters run all of their predecessors' tests: with
    `make test CH=...` (one chapter, graded in full) and `make test FULL=1`.
    Otherwise a chapter runs its own tests, the tests its predecessor
    defines, and the ones marked every_chapter: a test of chapter N runs in
    N and N+1, where a change would break it, and the whole suite stays
    linear in the chapters instead of quadratic."""
    return os.environ.get("CUBOS_FULL") == "1"


def chapter_tests(chapter, filename, namespace, skip=()):
    """Run an earlier chapter's tests in this chapter too: copy the test
    functions of tests/<chapter>/<filename> into namespace (a test module's
    globals()), except those named in skip, which the later chapter
    replaces, and (see inherit_all) those it inherited itself. The chapter
    fixture then names the chapter of the importing module, so the tests
    boot the later kernel."""
    path = TOP / "tests" / chapter / filename
    name = f"{chapter}.{path.stem}".replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for test, value in vars(module).items():
        if not test.startswith("test_") or test in skip:
            continue
        inherited = getattr(value, "__module__", name) != name
        if inherited and not inherit_all() and not getattr(value, "every_chapter", False):
            continue
        if getattr(value, "own_chapter", False) and not inherit_all():
            continue
        namespace[test] = value
    return module


UNIT_CFLAGS = ["-std=gnu11", "-g", "-O1", "-Wall", "-Wextra", "-Werror",
               "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
               "-fno-omit-frame-pointer"]


def previous_chapter(chapter):
    """The chapter before this one, or None for the first."""
    chapters = sorted(p.name for p in TOP.glob("ch[0-9][0-9]-*") if (p / "Makefile").exists())
    i = chapters.index(chapter) if chapter in chapters else 0
    return chapters[i - 1] if i > 0 else None


def _unit_code(src, test, sources, includes):
    """A digest of what the compiler sees of a unit test and its sources
    (each preprocessed, without line markers), or None if that fails: two
    chapters with the same digest build the same test program."""
    digest = hashlib.sha256()
    for f in [*(src / s for s in sources), TOP / "tests" / test]:
        out = subprocess.run(["gcc", "-E", "-P", "-std=gnu11", *includes, str(f)], capture_output=True)
        if out.returncode != 0:
            return None
        digest.update(out.stdout)
    return digest.hexdigest()


def run_unit_test(chapter, test, sources, *, include_dirs=(), sanitizers="address,undefined",
                  pthread=False):
    """Build tests/<test> (a C file) with the chapter's own copies of
    sources, under ASan and UBSan, run it, and fail with its output if it
    fails: the code tested is the code the kernel runs. A test of an
    earlier chapter whose code here is the same as in the chapter before,
    preprocessed, is skipped: that chapter's run of it says the same
    (make test FULL=1 and CH=... run it anyway).

    include_dirs: folders under tests/ searched before the chapter's
    include/, for a host stand-in of a kernel header; sanitizers: what
    -fsanitize= gets ("thread": ThreadSanitizer, which excludes ASan; the
    program is then named after it too); pthread: link with -pthread."""
    src = TOP / chapter
    includes = lambda ch: [*[arg for d in include_dirs for arg in ("-iquote", str(TOP / "tests" / d))],
                           "-iquote", str(TOP / ch / "include"), "-iquote", str(TOP / "tests"),
                           "-iquote", str(TOP / "tests" / "ch01-boot" / "unit")]
    earlier = previous_chapter(chapter)
    if (not inherit_all() and earlier and Path(test).parts[0] <= earlier
            and all((TOP / earlier / s).exists() for s in sources)):
        mine = _unit_code(TOP / chapter, test, sources, includes(chapter))
        if mine is not None and mine == _unit_code(TOP / earlier, test, sources, includes(earlier)):
            pytest.skip(f"the same code as {earlier}'s, which runs this test (FULL=1 runs it here too)")
    name = Path(test).stem
    cflags = UNIT_CFLAGS
    if sanitizers != "address,undefined":
        name += "-" + sanitizers.replace(",", "-")
        cflags = [f for f in UNIT_CFLAGS if not f.startswith("-fsanitize=")] + [f"-fsanitize={sanitizers}"]
    if pthread:
        cflags = [*cflags, "-pthread"]
    exe = OUT / chapter / "unit" / name
    exe.parent.mkdir(parents=True, exist_ok=True)
    build = subprocess.run(["gcc", *cflags, *includes(chapter), "-o", str(exe),
                            *[str(src / s) for s in sources], str(TOP / "tests" / test)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr


class Session:
    """A program run as a person runs it in a terminal: its own process group
    (the terminal's foreground job, which Ctrl-C signals), input typed into
    stdin, output collected as it comes."""

    def __init__(self, args):
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.text = ""
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while chunk := os.read(self.proc.stdout.fileno(), 4096):
            with self.cond:
                self.text += chunk.decode(errors="replace")
                self.cond.notify_all()

    def expect(self, pattern, timeout=60, since=0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not (m := re.search(pattern, self.text[since:], re.MULTILINE)):
                left = deadline - time.monotonic()
                if self.proc.poll() is not None:
                    self.cond.wait(0.2)      # let the reader drain the pipe
                    left = min(left, 0)
                assert left > 0, f"no {pattern!r} after {timeout} s in:\n{self.text}"
                self.cond.wait(min(left, 0.5))
            return m

    def mark(self):
        with self.cond:
            return len(self.text)

    def type(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def ctrl_c(self):
        os.killpg(self.proc.pid, signal.SIGINT)

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
