"""ch06-syscalls: Unix processes, as a course grader checks them, on two
CPUs: the chapter's test programs (fork, exec, pipes, signals, orphans,
fork bombs, forged signal frames, a pseudo-terminal) at the kernel's
shell; memory back to where it was after thousands of forks and execs,
copy-on-write and a fork bomb; and busybox's shell on the serial console
as a person uses it: pipelines, redirection, exit statuses, background
jobs, Ctrl-C and Ctrl-Z, a script, vi, and sh as init."""
import os
import re
import time

import pytest

from harness import FAIL_STATUS, PASS_STATUS, GradeError, Machine, settled_mem

PROMPT = r"cubos> "
SH_PROMPT = r"~ # "
# busybox's line editor wraps a line at the terminal's 80 columns, prompt
# included; a shorter line comes back as its echo, unchanged.
SH_LINE_MAX = 75
HELLO = r"hello from user mode\n\[\d+\] /bin/hello: exit status 0\n"


def shell(chapter, name, **kwargs):
    m = Machine(chapter, name, options="", **kwargs).start()
    m.expect(PROMPT)
    return m


def run(m, line, timeout=600):
    """Type `run /bin/line` at the kernel's prompt; return what the command
    printed (its echo left out) up to the next prompt. A timeout names the
    command."""
    since = m.mark()
    m.send(f"run /bin/{line}\r")
    try:
        echo = m.expect(re.escape(f"run /bin/{line}") + r"\n", timeout, since)
        prompt = m.expect(r"^" + PROMPT, timeout, echo.end())
    except GradeError as e:
        raise GradeError(f"run /bin/{line}: {e}") from None
    return m.transcript[echo.end():prompt.start()]


def processes(m):
    """The kernel's `ps` process table: (pid, ppid, pgid, state, command) rows."""
    since = m.mark()
    m.send("ps\r")
    echo = m.expect(r"ps\n", 10, since)
    prompt = m.expect(r"^" + PROMPT, 10, echo.end())
    text = m.transcript[echo.end():prompt.start()]
    table = text.split("  PID  PPID  PGID  STATE     THREADS          COMMAND\n", 1)
    if len(table) == 1:
        return []
    rows = re.findall(r"^ *(\d+) +(\d+) +(\d+)  (\S+) +\S+ *(.*)$", table[1], re.M)
    return [(int(pid), int(ppid), int(pgid), state, cmd) for pid, ppid, pgid, state, cmd in rows]


def expect_no_processes(m, after, seconds=5):
    """The kernel's ps lists no process (retried for seconds: a parent may
    be a moment from reaping); after says what ran, for the message."""
    deadline = time.monotonic() + seconds
    while (left := processes(m)) and time.monotonic() < deadline:
        time.sleep(0.5)
    if left:
        m.fail(f"after {after}, processes are left over (pid, ppid, pgid, state, command): {left}")


# -- the test programs --------------------------------------------------------

# The programs that end with `NAME: all N checks passed` (user/check.h),
# and forkbomb, which says how far it got.
SELF_CHECKING = ["forktest", "exectest", "pipetest", "sigtest", "sigproc", "orphan"]
PROGRAMS = SELF_CHECKING + ["forkbomb"]


def check_program(name, out):
    """What is wrong with a test program's output, or None."""
    if name == "forkbomb":
        # RLIMIT_NPROC 64 counts forkbomb itself: 63 children at most.
        made = re.search(r"^forkbomb: fork failed with EAGAIN after (\d+) children\n"
                         r"forkbomb: all \1 children reaped\n\[\d+\] /bin/forkbomb: exit status 0\n\Z",
                         out, re.M)
        if not made or not 0 < int(made.group(1)) <= 63:
            return "no EAGAIN within RLIMIT_NPROC 64, or not all children reaped"
        return None
    summary = rf"^{name}: all \d+ checks passed\n\[\d+\] /bin/{name}: exit status 0\n\Z"
    if not re.search(summary, out, re.M) or re.search(r"^FAIL", out, re.M):
        return "no 'all N checks passed' and exit status 0"
    if name == "orphan" and "orphan: re-parented to pid 1\n" not in out:
        return "not re-parented to init (pid 1)"
    return None


def test_the_process_test_programs_pass_and_give_their_memory_back(chapter):
    """Each program of user/ that checks itself, in one boot, one after the
    other, twice: the first round's output is checked (every failure is
    reported, each with its program's output); the first round leaves what
    the kernel keeps for the next, so in the second each program must give
    back all the memory it took."""
    m = shell(chapter, "processes-programs")
    failures = []
    for name in PROGRAMS:
        out = run(m, name)
        wrong = check_program(name, out)
        if wrong:
            failures.append(f"--- {name}: {wrong} ---\n{out}")
    if failures:
        m.fail("\n".join(failures))
    expect_no_processes(m, "the test programs")
    before = settled_mem(m)
    for name in PROGRAMS:
        out = run(m, name)
        wrong = check_program(name, out)
        if wrong:
            m.fail(f"{name}, run again: {wrong}:\n{out}")
        after = settled_mem(m, before)
        if after != before:
            failures.append(f"{name}: memory in use (heap bytes, heap objects, frames) "
                            f"{after}, before it {before}")
        before = after
    if failures:
        m.fail("memory not given back:\n" + "\n".join(failures))
    if not re.fullmatch(HELLO, run(m, "hello")):
        m.fail("the shell runs no program after the test programs")


# For each way sigforge.c forges its signal frame: None if the program
# goes on (the kernel sanitised the frame), else what the kernel's report
# says is wrong with the frame.
SIGFORGE = {
    "none": None,
    "cs": r"[^)]*segment[^)]*",
    "iopl": None,
    "rip": r"[^)]*(?:instruction pointer|rip)[^)]*",
    "direct": r"[^)]+",
}


def test_forged_signal_frames_are_sanitised_or_killed(chapter):
    """rt_sigreturn with a frame the program rewrote: user segments, IOPL 0
    and IF kept (none, iopl), or the program killed with SIGSEGV and the
    kernel saying why (cs, rip, direct); the memory comes back."""
    m = shell(chapter, "processes-sigforge")
    run(m, "sigforge cs")                       # warm-up, for the memory check
    before = settled_mem(m)
    for mode, reason in SIGFORGE.items():
        out = run(m, f"sigforge {mode}")
        if reason is None:
            regs = re.fullmatch(rf"sigforge: {mode}\nsigforge: {mode}: cs (0x[0-9a-f]+) ss (0x[0-9a-f]+) "
                                rf"rflags (0x[0-9a-f]+)\n\[\d+\] /bin/sigforge: exit status 0\n", out)
            if not regs:
                m.fail(f"sigforge {mode}: expected it to go on and exit 0, got:\n{out}")
            cs, ss, rflags = (int(x, 16) for x in regs.groups())
            if cs & 3 != 3 or ss & 3 != 3 or rflags & 0x3000 or not rflags & 0x200:
                m.fail(f"sigforge {mode}: back in user mode with cs {cs:#x} ss {ss:#x} "
                       f"rflags {rflags:#x}: not CPL 3, IOPL 0, IF 1")
        else:
            killed = re.fullmatch(rf"sigforge: {mode}\nsigforge\[(\d+)\]: rt_sigreturn: bad signal frame "
                                  rf"at [0-9a-f]+ \({reason}\): killed by SIGSEGV\n"
                                  r"\[\1\] /bin/sigforge: killed by SIGSEGV\n", out)
            if not killed:
                m.fail(f"sigforge {mode}: expected the kernel's 'rt_sigreturn: bad signal frame at "
                       f"ADDR (WHY): killed by SIGSEGV' and the program killed by SIGSEGV, got:\n{out}")
    out = run(m, "sigforge bogus")
    if not out.startswith("usage: ") or not out.endswith("/bin/sigforge: exit status 2\n"):
        m.fail(f"sigforge bogus: expected its usage and exit status 2, got:\n{out}")
    after = settled_mem(m, before)
    if after != before:
        m.fail(f"memory (heap bytes, heap objects, frames) {after}, before the forged frames {before}")


def test_a_shell_on_a_pseudo_terminal(chapter):
    """user/ptytest.c: busybox's sh on /dev/pts/N as its controlling
    terminal, typed into and read through /dev/ptmx."""
    m = shell(chapter, "processes-pty")
    out = run(m, "ptytest")
    if not re.search(r"^ptytest: all \d+ checks passed\n\[\d+\] /bin/ptytest: exit status 0\n\Z", out, re.M):
        m.fail(f"ptytest failed:\n{out}")
    expect_no_processes(m, "ptytest")


# -- memory -------------------------------------------------------------------

def memory_comes_back(m, warm_up, work, expect, what, timeout=600):
    """Run warm_up (what the kernel keeps after a first run, such as kpage's
    page tables of its busiest moment, is then kept), note the memory in
    use, run work, whose output must match expect, and require the same
    heap bytes, heap objects and frames as before."""
    run(m, warm_up, timeout)
    before = settled_mem(m)
    started = time.monotonic()
    out = run(m, work, timeout)
    seconds = time.monotonic() - started
    if not re.search(expect, out, re.M):
        m.fail(f"{work}: no {expect!r} in what it printed:\n{out}")
    after = settled_mem(m, before)
    if after != before:
        m.fail(f"after {what}: memory in use (heap bytes, heap objects, frames) {after}, "
               f"before {before}")
    print(f"{work}: {seconds:.1f} s")
    return out


# Under TCG on -smp 2 ten thousand cycles took 90 to 110 s on a host
# with two CPUs and a load of 3 (-smp 1: 1.5 ms a cycle, 15 s): `make test`
# makes two thousand, `make test SOAK=1` (CUBOS_SOAK=1) the ten thousand.
FORK_CYCLES = 10000 if os.environ.get("CUBOS_SOAK") == "1" else 2000


def test_memory_comes_back_after_thousands_of_forks(chapter):
    m = shell(chapter, "processes-fork-cycles")
    memory_comes_back(m, "forktest cycles 200", f"forktest cycles {FORK_CYCLES}",
                      rf"^forktest: {FORK_CYCLES} cycles\n\[\d+\] /bin/forktest: exit status 0\n\Z",
                      f"{FORK_CYCLES} fork, exit and wait cycles", timeout=1200)


def test_memory_comes_back_after_a_thousand_fork_and_exec(chapter):
    m = shell(chapter, "processes-exec-cycles")
    memory_comes_back(m, "forktest exec 20 /bin/true", "forktest exec 1000 /bin/true",
                      r"^forktest: 1000 exec cycles\n\[\d+\] /bin/forktest: exit status 0\n\Z",
                      "1000 fork, exec /bin/true and wait cycles", timeout=600)


def test_copy_on_write_pages_are_freed(chapter):
    """forktest writes 1 MiB of static data, 1 MiB of heap and its stack in
    parent and children: every copied page and every shared one is freed."""
    m = shell(chapter, "processes-cow")
    memory_comes_back(m, "forktest", "forktest",
                      r"^forktest: all \d+ checks passed\n\[\d+\] /bin/forktest: exit status 0\n\Z",
                      "forktest's copy-on-write children")


def test_memory_comes_back_after_a_fork_bomb(chapter):
    """forkbomb max forks until the kernel's own limit says EAGAIN; all its
    children are reaped, the memory comes back, the shell goes on."""
    m = shell(chapter, "processes-forkbomb")
    out = memory_comes_back(m, "forkbomb max", "forkbomb max",
                            r"^forkbomb: fork failed with EAGAIN after (\d+) children\n"
                            r"forkbomb: all \1 children reaped\n\[\d+\] /bin/forkbomb: exit status 0\n\Z",
                            "a fork bomb")
    print(out.splitlines()[0])
    expect_no_processes(m, "the fork bomb")
    if not re.fullmatch(HELLO, run(m, "hello")):
        m.fail("the shell runs no program after the fork bomb")


def test_memory_comes_back_after_sigkill_of_a_blocked_reader(chapter):
    """SIGKILL ends a process blocked in a system call (cat reading an
    empty pipe): the call's references (the pipe's file) go with it."""
    m = shell(chapter, "processes-kill-blocked")
    sh_start(m)
    sh_check(m, "echo 'sleep 2 | cat & sleep 1; kill -9 $!; wait' > /tmp/k.sh", r"")
    sh_exit(m)
    memory_comes_back(m, "sh /tmp/k.sh", "sh /tmp/k.sh", r"/bin/sh: exit status 0\n\Z",
                      "a SIGKILL to cat blocked reading a pipe")


# -- busybox's shell on the console -------------------------------------------

def sh_start(m):
    since = m.mark()
    m.send("run /bin/sh\r")
    m.expect(SH_PROMPT, 30, since)


def sh(m, line, timeout=30):
    """Type line at busybox's prompt (the console echoes it); return what
    came after the echo, up to the next prompt."""
    assert len(line) <= SH_LINE_MAX, f"{line!r}: too long for one line of the terminal"
    since = m.mark()
    m.send(line + "\r")
    try:
        echo = m.expect(re.escape(line) + r"\n", timeout, since)
        prompt = m.expect(SH_PROMPT, timeout, echo.end())
    except GradeError as e:
        raise GradeError(f"sh: {line}: {e}") from None
    return m.transcript[echo.end():prompt.start()]


def sh_check(m, line, expect, timeout=30):
    """sh(m, line), whose output must match the regex expect in full."""
    out = sh(m, line, timeout)
    if not re.fullmatch(expect, out):
        m.fail(f"sh: {line}\nprinted {out!r}\nexpected (regex) {expect!r}")
    return out


def sh_exit(m):
    """Leave busybox's shell: the kernel reports status 0 and prompts again,
    and no process of the session is left."""
    since = m.mark()
    m.send("exit\r")
    m.expect(r"\[\d+\] /bin/sh: exit status 0\n" + PROMPT, 30, since)
    expect_no_processes(m, "the shell session")


def test_sh_pipelines(chapter):
    """In every pipeline the first command may end before the last starts:
    ash then puts the later ones into the first one's process group
    (setpgid) and gives that group the terminal (TIOCSPGRP), which must
    work while the group's leader is a zombie not yet waited for, as on
    Linux."""
    m = shell(chapter, "sh-pipelines")
    sh_start(m)
    count = sh(m, "ls /bin | grep -c sh")
    names = sh(m, "ls /bin | grep sh").splitlines()
    if not re.fullmatch(r"\d+\n", count) or int(count) < 1 or int(count) != len(names) \
            or "sh" not in names:
        m.fail(f"`ls /bin | grep -c sh` printed {count!r}, `ls /bin | grep sh` printed {names}")
    sh_check(m, r"printf 'b\na\nc\na\nb\na\n' | sort | uniq -c | sort -rn | head -2",
             r" *3 a\n *2 b\n")
    sh_check(m, "seq 1 1000 | tr 0 x | grep -c x | tee /tmp/n | wc -c", r"4\n")
    sh_check(m, "cat /tmp/n", r"181\n")
    sh_exit(m)


def test_sh_redirection_and_a_script(chapter):
    m = shell(chapter, "sh-redirection")
    sh_start(m)
    sh_check(m, "echo hello > /tmp/a; cat < /tmp/a; echo more >> /tmp/a; wc -l < /tmp/a",
             r"hello\n2\n")
    sh_check(m, "ls /no-such-file 2> /tmp/err; echo $?; grep -c no-such /tmp/err", r"1\n1\n")
    sh_check(m, r"printf '#!/bin/sh\ni=0\nwhile [ $i -lt $1 ]; do\n' > /tmp/s.sh", r"")
    sh_check(m, r"printf ' echo line$i; i=$((i+1))\ndone\n' >> /tmp/s.sh", r"")
    sh_check(m, "sh /tmp/s.sh 5", r"line0\nline1\nline2\nline3\nline4\n")
    # Run by its #! line.
    sh_check(m, "chmod +x /tmp/s.sh; /tmp/s.sh 3", r"line0\nline1\nline2\n")
    sh_exit(m)


def test_sh_exit_statuses(chapter):
    m = shell(chapter, "sh-status")
    sh_start(m)
    sh_check(m, "true; echo $?", r"0\n")
    sh_check(m, "false; echo $?", r"1\n")
    sh_check(m, "sh -c 'exit 7'; echo $?", r"7\n")
    # 128 + SIGKILL's 9: the child ended by a signal, as waitpid told ash.
    sh_check(m, "sh -c 'kill -9 $$'; echo $?", r"(Killed\n)?137\n")
    sh_check(m, "sh -c 'exit 3' & wait $!; echo $?", r'3\n(\[1\]\+ +Done\(3\) +sh -c "exit 3"\n)?')
    sh_check(m, "/bin/no-such-program; echo $?", r".*not found\n127\n")
    sh_exit(m)


def test_sh_background_jobs_and_wait(chapter):
    m = shell(chapter, "sh-background")
    sh_start(m)
    started = time.monotonic()
    sh_check(m, "sleep 1 & sleep 1 & wait; echo done", r"done\n(\[\d\]\+? +Done +sleep 1\n)*")
    if time.monotonic() - started < 1:
        m.fail("`wait` came back before the background sleeps of 1 s ended")
    sh_check(m, "jobs", r"(\[\d\]\+? +Done +sleep 1\n)*")
    sh_check(m, "jobs", r"")
    sh_exit(m)


def test_sh_ctrl_c_interrupts_the_foreground_job(chapter):
    """Ctrl-C: the terminal sends SIGINT to its foreground group, the sleep
    (not the shell) ends, and ash reports 128 + SIGINT's 2."""
    m = shell(chapter, "sh-ctrl-c")
    sh_start(m)
    since = m.mark()
    m.send("sleep 100\r")
    m.expect(r"sleep 100\n", 30, since)
    time.sleep(1)                   # the sleep has started
    since = m.mark()
    m.send("\x03")
    m.expect(SH_PROMPT, 10, since)
    sh_check(m, "echo $?", r"130\n")
    sh_exit(m)


def test_sh_ctrl_z_stops_the_foreground_job(chapter):
    """Ctrl-Z: SIGTSTP to the foreground group; the job is Stopped and
    listed by `jobs`; `kill %1` leaves a signal pending that `fg`
    delivers (as on Linux: SIGTERM does not wake a stopped process);
    `kill -9 %1` ends a stopped job at once; `bg` runs one on."""
    m = shell(chapter, "sh-ctrl-z")
    sh_start(m)

    def stop(command):
        since = m.mark()
        m.send(command + "\r")
        m.expect(re.escape(command) + r"\n", 30, since)
        time.sleep(1)               # the command has started
        since = m.mark()
        m.send("\x1a")
        m.expect(rf"\[1\]\+ +Stopped +{command}\n{SH_PROMPT}", 10, since)

    def jobs_empty():
        for _ in range(3):
            if sh(m, "jobs") == "":
                return
            time.sleep(0.5)
        m.fail("`jobs` still lists a job")

    stop("sleep 100")
    sh_check(m, "jobs", r"\[1\]\+ +Stopped +sleep 100\n")
    sh_check(m, "kill %1", r"")
    sh_check(m, "fg", r"sleep 100\nTerminated\n")
    sh_check(m, "echo $?", r"143\n")
    jobs_empty()

    stop("sleep 100")
    sh_check(m, "kill -9 %1", r"")
    jobs_empty()

    stop("sleep 2")
    sh_check(m, "bg", r"\[1\] sleep 2\n")
    sh_check(m, "wait; echo $?", r"0\n(\[1\]\+ +Done +sleep 2\n)?")
    jobs_empty()
    sh_exit(m)


def test_sh_exit_leaves_a_background_job_to_init(chapter):
    """A background job outlives its shell: the kernel's ps shows it
    re-parented to pid 1, which reaps it when it ends."""
    m = shell(chapter, "sh-orphan")
    sh_start(m)
    sh_check(m, "sleep 8 &", r"")
    since = m.mark()
    m.send("exit\r")
    m.expect(r"\[\d+\] /bin/sh: exit status 0\n" + PROMPT, 30, since)
    # The job may still be on its way to exec when the shell has gone.
    for _ in range(10):
        left = processes(m)
        if [(ppid, cmd) for _, ppid, _, _, cmd in left] == [(1, "sleep 8")]:
            break
        time.sleep(0.5)
    else:
        m.fail(f"after the shell exited, ps lists {left}, expected only `sleep 8` with parent 1")
    expect_no_processes(m, "the orphaned `sleep 8`", seconds=20)


@pytest.mark.parametrize("status, qemu_status", [(3, FAIL_STATUS), (0, PASS_STATUS)],
                         ids=["exit-3-fails", "exit-0-passes"])
def test_sh_as_init_passes_its_exit_status_to_qemu(chapter, status, qemu_status):
    with Machine(chapter, f"sh-init-{status}", options="exit=qemu init=/bin/sh") as m:
        m.expect(SH_PROMPT)
        since = m.mark()
        m.send(f"echo hi; exit {status}\r")
        m.expect(rf"\nhi\n\[1\] /bin/sh: exit status {status}\ncubos: init done, leaving QEMU\n",
                 since=since)
        got = m.wait_exit()
        if got != qemu_status:
            m.fail(f"init /bin/sh exited {status}: QEMU ended with {got}, expected {qemu_status}")


def test_vi_writes_a_file(chapter):
    """busybox vi on the console: insert text, ESC, :wq. busybox tells a
    lone ESC from an arrow key's sequence by the pause after it (50 ms),
    so ESC is sent alone, with pauses around it."""
    m = shell(chapter, "sh-vi")
    sh_start(m)
    since = m.mark()
    m.send("vi /tmp/v.txt\r")
    m.expect(r"/tmp/v\.txt", 30, since)
    time.sleep(0.5)
    since = m.mark()
    m.send("i")
    m.expect(r"I /tmp/v\.txt", 10, since)          # the status line: insert mode
    m.send("hello vi")
    m.expect(r"\x1b\[1;9H", 10, since)            # the cursor after the 8 characters
    time.sleep(0.5)
    m.send("\x1b")
    time.sleep(1)
    since = m.mark()
    m.send(":wq")
    time.sleep(0.5)
    m.send("\r")
    try:
        m.expect(SH_PROMPT, 15, since)
    except GradeError:
        screen = m.transcript[since:]
        what = ("it inserted ':wq' as text and is still in insert mode: the ESC never reached it"
                if re.search(r"I /tmp/v\.txt", screen) else "its screen since ESC is below")
        m.fail(f"vi did not end after ESC, :wq, Enter; {what}: {screen!r}")
    sh_check(m, "cat /tmp/v.txt", r"hello vi\n")
    sh_exit(m)
