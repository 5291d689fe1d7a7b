"""ch04-threads: kernel threads as a user sees them: the self tests of the
scheduler and its locks, `ps`, `spawn`, and a thread overflowing its stack."""
import re

import time

from harness import PASS_STATUS, Machine, grade, mem, mem_usage

PROMPT = r"cubos> "


def test_scheduler_self_tests(chapter):
    """1,000 threads under a mutex, a thread that never yields, sleeps that
    never end early, threads hammering the heap, 10,000 create/exit cycles,
    detached threads freed, semaphores."""
    m = Machine(chapter, "selftest", options="exit=qemu selftest", timeout=120).start()
    m.expect(PROMPT)
    m.send("halt\r")
    text = grade(m, must=[
        r"^selftest threads: two spinlocks released out of order; interrupts stayed off until the last$",
        r"^selftest threads: 2 threads x 100000 increments under a spinlock = 200000$",
        r"^selftest threads: 2 busy threads kept all 2 CPUs working$",
        r"^selftest threads: 1000 threads x 20 increments under a mutex = 20000$",
        r"^selftest threads: a thread that never yields was preempted \(\d+ spins while we slept\)$",
        r"^selftest threads: sleep 10 ms took \d+\.\d{3} ms \(best of 3\)$",
        r"^selftest threads: 4 threads hammered the heap for 500 ms with preemption on; "
        r"no block overlapped, heap use unchanged$",
        r"^selftest threads: 10000 create/exit/join cycles; free frames and heap use unchanged$",
        r"^selftest threads: 200 detached threads exited and were freed; free frames and heap use unchanged$",
        r"^selftest threads: producer/consumer through a 4-slot ring with semaphores, sum 500500$",
        r"^selftest threads: PASS$",
        r"^selftest: all passed$"], must_not=[r"FAIL", r"^EXCEPTION"])
    # Never early (the kernel checks that exactly); late by at most a tick
    # on an idle host, but a loaded host delays the guest: the best of three
    # tries must still be within twice the time asked for, plus 60 ms.
    sleeps = re.findall(r"^selftest threads: sleep (\d+) ms took (\d+\.\d+) ms", text, re.MULTILINE)
    assert len(sleeps) == 4, text
    for ms, took in sleeps:
        assert int(ms) <= float(took) <= 2 * int(ms) + 60, f"sleep {ms} ms took {took} ms"


def test_ps_lists_the_threads(chapter):
    m = Machine(chapter, "ps").start()
    m.expect(PROMPT)
    # Two CPUs: an idle thread each, the shell running on one of them.
    # (Later chapters add columns after TIME: "[^\n]*" lets them.)
    m.command("ps", r"\n  ID  NAME +STATE +CPU +TIME \(ms\)[^\n]*\n +0  idle +\w+ +0 +\d+[^\n]*\n"
                    r" +1  idle +\w+ +1 +\d+[^\n]*\n +2  shell +running +[01] +\d+[^\n]*\n")
    m.send("halt\r")
    assert m.wait_exit() == PASS_STATUS


def test_spawned_threads_interleave(chapter):
    m = Machine(chapter, "spawn").start()
    m.expect(PROMPT)
    since = m.mark()
    m.command("spawn 3", r"\nspawn: 3 threads finished\n")
    lines = re.findall(r"^worker (\d): step (\d) of 5 on CPU \d$", m.transcript[since:], re.MULTILINE)
    assert len(lines) == 15, lines
    order = [w for w, _ in lines]
    # Each worker's steps come in order, and the workers take turns: worker 1
    # has not finished before the others started.
    for w in "123":
        assert [s for x, s in lines if x == w] == ["1", "2", "3", "4", "5"]
    assert order.index("2") < order.index("1", 3) and order.index("3") < order.index("1", 3)
    m.command("spawn 9", r"\nusage: spawn \[1-8\]\n")
    m.command("ps", r"\n +2  shell +running")
    m.send("halt\r")
    assert m.wait_exit() == PASS_STATUS


def test_thread_stack_overflow_is_reported_and_stops_the_thread(chapter):
    m = Machine(chapter, "thread-overflow").start()
    m.expect(PROMPT)
    since = m.mark()
    m.send("fault thread\r")
    m.expect(r"EXCEPTION #DF double fault \(vector 8, error code 0x0\)", since=since)
    m.expect(r"\nin thread 'overflow' \(id \d+\)\n", since=since)
    m.expect(r"kernel stack overflow: the stack of thread 'overflow' ran into its guard page "
             r"at 0xffffe0[0-9a-f]+", since=since)
    m.expect(r"#\d+ 0x[0-9a-f]+ overflow_stack\+0x[0-9a-f]+", since=since)
    m.expect(r"\nthread 'overflow' \(id \d+\) was stopped by the fault; the kernel goes on\n", since=since)
    m.expect(r"\nfault: thread 'overflow' has ended\n" + PROMPT, since=since)
    m.command("echo still here", r"\nstill here\n")
    m.send("halt\r")
    assert m.wait_exit() == PASS_STATUS


def stacks_cached(text):
    return int(re.search(r"^stacks: (\d+) pages of ended threads kept mapped for reuse$", text, re.M).group(1))


def test_mem_counts_the_stacks_kept_for_reuse(chapter):
    """Ended threads' stacks stay mapped for the next threads (up to 16):
    `mem` says how many pages, and apart from them and the heap's pages,
    the memory in use is what it was before the threads."""
    m = Machine(chapter, "mem-stacks", options="").start()
    m.expect(PROMPT)
    m.command("spawn 1", r"\nspawn: 1 threads? finished\n")     # warm: first-use allocations
    time.sleep(0.5)
    before = mem(m)
    m.command("spawn 3", r"\nspawn: 3 threads finished\n")
    deadline = time.monotonic() + 5
    after = mem(m)
    while mem_usage(after) != mem_usage(before) and time.monotonic() < deadline:
        time.sleep(0.2)     # the idle threads free ended threads when they get to it
        after = mem(m)
    assert stacks_cached(after) >= stacks_cached(before)
    assert stacks_cached(after) > 0, after
    assert mem_usage(after) == mem_usage(before), f"before:\n{before}\nafter:\n{after}"
