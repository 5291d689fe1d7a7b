"""ch06-syscalls: what the programs beyond hello need from the kernel, as
a user at the shell sees it: mujs (Debian's source, unmodified) as a
JavaScript REPL and running a script, Go's timers on its network poller,
a static PIE, a system call the kernel registered for itself, /proc, the
tracer, Ctrl-C, a program that allocates without end, and init= with
exit=qemu reporting a failing program as a failure."""
import re

from harness import FAIL_STATUS, PASS_STATUS, Machine, settled_mem

PROMPT = r"cubos> "


def shell(chapter, name, **kwargs):
    m = Machine(chapter, name, **kwargs).start()
    m.expect(PROMPT)
    return m


def test_mujs_evaluates_expressions_at_its_prompt(chapter):
    m = shell(chapter, "mujs-repl")
    m.command("run /bin/mujs", r"Welcome to MuJS 1\.3\.2\.")
    # musl does not flush the "> " prompt before reading: mujs prints it
    # with the next result, on Linux as here.
    m.command("1+2", r"> 3\r?\n")
    m.command("[1,2,3].map(function (x) { return x * x }).join(',')", r'> "1,4,9"\r?\n')
    m.command("var s = 0; for (var i = 1; i <= 100; i++) s += i; s", r"> 5050\r?\n")
    m.command("JSON.stringify({a: [1, 'b'], c: null})", r"""> "\{\\?"a\\?":\[1,\\?"b\\?"\],\\?"c\\?":null\}"\r?\n""")
    m.command("undefinedName", r"ReferenceError: 'undefinedName' is not defined")
    m.send("\x03")               # Ctrl-C ends the program, as SIGINT would
    m.expect(r"/bin/mujs: killed by SIGINT")
    m.expect(PROMPT)
    m.command("run /bin/hello", r"exit status 0")


def test_mujs_runs_a_script_from_the_initrd(chapter):
    with Machine(chapter, "mujs-script", options="exit=qemu init=/bin/mujs /etc/fib.js") as m:
        out = m.expect(r"fib\(20\) = (\d+)\r?\n").group(1)
        assert out == "6765"
        status = m.wait_exit()
    assert status == PASS_STATUS


def test_go_timers_and_the_network_poller(chapter):
    with Machine(chapter, "goclock", options="exit=qemu init=/bin/goclock") as m:
        for line in ("goclock: 5 ticks, at least 100ms: true", "goclock: select timed out: true",
                     "goclock: hostname cubos", "goclock: 4 goroutines slept in parallel: true"):
            m.expect(re.escape(line), timeout=60)
        assert m.wait_exit(timeout=60) == PASS_STATUS


def test_a_static_pie_is_loaded_and_relocates_itself(chapter):
    m = shell(chapter, "pie")
    m.command("run /bin/hello-pie relocated", r"argv\[1\] = relocated")
    m.expect(r"/bin/hello-pie: exit status 0")


def test_a_kernel_registered_system_call(chapter):
    m = shell(chapter, "kinfo", smp=2)
    m.command("run /bin/kinfo", rf"kinfo: cubos {chapter}, 2 CPUs, up \d+ ms")
    m.expect(r"/bin/kinfo: exit status 0")


def test_proc_files_read_by_a_program(chapter):
    m = shell(chapter, "proc")
    m.command("run /bin/cat /proc/self/exe /proc/meminfo /proc/uptime /proc/self/maps",
              r"/bin/cat: exit status 0")
    text = m.transcript
    assert re.search(r"MemTotal: +\d+ kB", text)
    assert re.search(r"\n\d+\.\d\d \d+\.\d\d\r?\n", text)
    assert re.search(r"[0-9a-f]+-[0-9a-f]+ r-xp .* /bin/cat", text), "the maps list the program's code"
    assert "[stack]" in text and "[heap]" in text


def test_the_tracer_logs_every_call_with_its_result(chapter):
    m = shell(chapter, "strace")
    m.command("run -s /bin/hello traced", r"/bin/hello: exit status 0")
    text = m.transcript
    # musl's stdio writes with writev: its buffer and the caller's.
    assert re.search(r"hello\[\d+\] writev\(0x1, 0x[0-9a-f]+, 0x2, .*\) = 21", text), \
        "the writev of 'hello from user mode\\n' (21 bytes) traced with its result"
    assert re.search(r"hello\[\d+\] exit_group\(0x0", text)


def test_ctrl_c_ends_a_program_that_computes(chapter):
    m = shell(chapter, "ctrl-c")
    m.command("run /bin/spin", r"spin: spinning")
    m.send("\x03")
    m.expect(r"/bin/spin: killed by SIGINT", timeout=10)
    m.expect(PROMPT)


def test_a_program_that_allocates_without_end_is_killed_and_memory_comes_back(chapter):
    m = shell(chapter, "hog", memory="128M")
    m.command("run /bin/hello", r"exit status 0")     # warm: first-use allocations
    before = settled_mem(m)
    m.command("run /bin/hog", r"hog\[\d+\]: out of memory at [0-9a-f]+: killed", timeout=120)
    m.expect(r"/bin/hog: killed by SIGKILL")
    m.expect(PROMPT)
    m.command("run /bin/hello", r"exit status 0")
    assert settled_mem(m, before) == before


def test_init_with_a_failing_program_leaves_qemu_with_fail(chapter):
    with Machine(chapter, "init-fail", options="exit=qemu init=/bin/kinfo-missing") as m:
        m.expect(r"run: /bin/kinfo-missing: no such file")
        assert m.wait_exit() == FAIL_STATUS

