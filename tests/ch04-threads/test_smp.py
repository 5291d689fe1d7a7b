"""ch04-threads on every CPU: the CPUs QEMU gives come online, threads run
on several of them, the self tests hold with any number of CPUs, and a
panic on one CPU stops them all."""
import re
import time

import pytest

from harness import FAIL_STATUS, PASS_STATUS, Machine, every_chapter, grade, settled_mem

PROMPT = r"cubos> "


def test_four_cpus_come_online_and_share_the_work(chapter):
    m = Machine(chapter, "smp-4", smp=4).start()
    m.expect(r"^smp: 4 CPUs online$")
    m.expect(PROMPT)
    text = m.command("cpus", r"\n  CPU  APIC  STATE .*\n((?:.*\n){4})").group(1)
    rows = re.findall(r"^ +(\d) +(\d+) +online +\d+ +\d+ +\d+ +\d+%$", text, re.MULTILINE)
    assert [cpu for cpu, _ in rows] == ["0", "1", "2", "3"], text
    since = m.mark()
    m.command("spawn 8", r"\nspawn: 8 threads finished\n")
    cpus = set(re.findall(r"^worker \d: step \d of 5 on CPU (\d)$", m.transcript[since:], re.MULTILINE))
    assert len(cpus) >= 2, f"every worker ran on CPU {cpus}: no parallelism"
    m.send("halt\r")
    assert m.wait_exit() == PASS_STATUS


def test_ps_shows_a_background_spawn_on_several_cpus(chapter):
    """`spawn 8 &` runs in a thread of its own, so the shell answers `ps`
    while the workers run, and ps's CPU column shows them spread out; when
    they are done every byte they took is back (after a first run, which
    leaves freed thread stacks cached and heap pages kept)."""
    m = Machine(chapter, "smp-ps", smp=4).start()
    m.expect(PROMPT)
    m.command("spawn 8 &", r"\nshell: background 'spawn 8' done\n", timeout=30)
    m.command("ps", r"\ncubos> ")     # its table's pages, kept by the heap for the next
    before = settled_mem(m)
    since = m.mark()
    m.command("spawn 8 &", r"\nshell: 'spawn 8' runs in the background\n")
    m.expect(r"^worker \d: step 1 of 5", since=since)
    # spawn reaches its join a moment after its workers start (on a busy
    # host, a ps may come first): look again, while the workers run.
    for _ in range(5):
        table = m.command("ps", r"\n(  ID  NAME .*\n(?:.*\n)*?)cubos> ").group(1)
        workers = re.findall(r"^ +\d+ +worker \d +\w+ +(\d) +\d+\b", table, re.MULTILINE)
        blocked = re.search(r"^ +\d+ +spawn +blocked ", table, re.MULTILINE)
        if blocked and len(set(workers)) >= 2:
            break
        time.sleep(0.1)
    assert len(workers) >= 2 and len(set(workers)) >= 2, f"ps shows workers on CPUs {workers}:\n{table}"
    assert blocked, table
    m.expect(r"^spawn: 8 threads finished$", since=since, timeout=30)
    m.expect(r"^shell: background 'spawn 8' done$", since=since)
    m.command("", PROMPT)             # the mark before the Enter: the prompt comes fast
    assert settled_mem(m, before) == before
    m.send("halt\r")
    assert m.wait_exit() == PASS_STATUS


def test_a_fault_in_a_background_command_stops_only_that_command(chapter):
    m = Machine(chapter, "smp-bg-fault").start()
    m.expect(PROMPT)
    m.command("fault pagefault &", r"\nshell: background 'fault pagefault' done\n")
    before = settled_mem(m)
    since = m.mark()
    m.send("fault pagefault &\r")
    m.expect(r"^recovered: the faulting command was stopped, the kernel goes on$", since=since)
    m.expect(r"^shell: background 'fault pagefault' done$", since=since)
    m.send("\r")
    m.command("echo still here", r"\nstill here\n")
    m.command("&", r"\nshell: '&' needs a command before it\n")
    m.command("nosuch &", r"\nshell: unknown command 'nosuch'")
    assert settled_mem(m, before) == before
    m.send("halt\r")
    assert m.wait_exit() == PASS_STATUS


def test_cpus_option_limits_the_cpus_started(chapter):
    m = Machine(chapter, "smp-limit", smp=4, options="exit=qemu cpus=2").start()
    m.expect(r"^smp: the MADT lists 4 CPUs; at most 2 started \(cpus=N, and MAX_CPUS 8\)$")
    m.expect(r"^smp: 2 CPUs online$")
    m.expect(PROMPT)
    m.command("cpus", r"\n +1 +\d+ +online .*\ncubos> ")
    m.send("halt\r")
    assert m.wait_exit() == PASS_STATUS


def test_a_bad_cpus_option_is_reported(chapter):
    m = Machine(chapter, "smp-bad-option", smp=2, options="exit=qemu cpus=lots").start()
    m.expect(r"^cpus=: expected a number from 1 to 8; starting every CPU$")
    m.expect(r"^smp: 2 CPUs online$")
    m.expect(PROMPT)
    m.send("halt\r")
    assert m.wait_exit() == PASS_STATUS


@every_chapter
@pytest.mark.parametrize("cpus", [1, 3, 4])
def test_self_tests_pass_with_any_number_of_cpus(chapter, cpus):
    m = Machine(chapter, f"smp-selftest-{cpus}", smp=cpus, options="exit=qemu selftest", monitor=True,
                timeout=180).start()
    m.expect(PROMPT)
    m.send("halt\r")
    grade(m, must=[r"^selftest threads: PASS$", r"^selftest: all passed$",
                   r"^smp: 1 CPU$" if cpus == 1 else rf"^smp: {cpus} CPUs online$"],
          must_not=[r"FAIL", r"^EXCEPTION"])


def test_a_panic_on_one_cpu_stops_them_all(chapter):
    m = Machine(chapter, "smp-panic", smp=2).start()
    m.expect(PROMPT)
    since = m.mark()
    m.send("bug mutex-twice\r")
    m.expect(r"PANIC at sched/sync\.c:\d+: mutex 'demo'", since=since)
    m.expect(r"^panic: on CPU [01]; the other CPUs are stopped$", since=since)
    assert m.wait_exit() == FAIL_STATUS
