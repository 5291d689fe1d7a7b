"""ch05-channels: channels, select, timers, wait groups and deadlock
detection, as a user sees them: the self tests, the demos at the shell,
and the deadlock report with the shell back afterwards."""
import re
import time

from harness import PASS_STATUS, Machine, grade, own_chapter, settled_mem

PROMPT = r"cubos> "


def primes_up_to(n):
    sieve = [True] * (n + 1)
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = [False] * len(sieve[i * i::i])
    return [i for i in range(2, n + 1) if sieve[i]]


def shell(chapter, name, **kwargs):
    m = Machine(chapter, name, **kwargs).start()
    m.expect(PROMPT)
    return m


def halt(m):
    m.send("halt\r")
    assert m.wait_exit() == PASS_STATUS


def test_channel_self_tests(chapter):
    """Buffered order, the rendezvous, close waking every waiter, select's
    fairness, default and timeout, timers, 10,000 pending timers, a ring of
    1,000 threads, selects racing a close on another CPU, wait groups."""
    m = Machine(chapter, "selftest-channels", options="exit=qemu selftest", timeout=240).start()
    m.expect(PROMPT, timeout=240)
    m.send("halt\r")
    text = grade(m, must=[
        r"^selftest channels: a buffered channel keeps order; closed, it drains, then gives 0, false$",
        r"^selftest channels: an unbuffered send waits until a receiver takes the value$",
        r"^selftest channels: close woke 4 receivers \(half in select\) with 0, false, and stopped 4 senders as buggy$",
        r"^selftest channels: select chose case 0 \d+ times and case 1 \d+ times in 10000 rounds",
        r"^selftest channels: select with nothing ready: default at once, timeout 30 ms after",
        r"^selftest channels: a 50 ms timer fired after \d+\.\d{3} ms \(best of 3\)$",
        r"^selftest channels: a 20 ms ticker ticked 5 times",
        r"^selftest channels: 10000 timers pending at once all fired$",
        r"^selftest channels: 1000 threads in a ring passed a token 10 times around \(10000 hops\)$",
        r"^selftest channels: 1000 selects raced a close",
        r"^selftest channels: a wait group waited for 100 threads$",
        r"^selftest channels: PASS$",
        r"^selftest: all passed$"], must_not=[r"FAIL", r"^EXCEPTION", r"deadlock!"])
    # Fairness judged here too, from the counts: chi-square with one degree
    # of freedom under 10.83 (p = 0.001) for two equally likely cases.
    a, b = map(int, re.search(r"case 0 (\d+) times and case 1 (\d+) times", text).groups())
    assert a + b == 10000 and (a - b) ** 2 / 10000 < 10.83, (a, b)
    # Within one tick (10 ms) of its time, with half a tick for the emulator.
    fired = float(re.search(r"a 50 ms timer fired after (\d+\.\d+) ms", text).group(1))
    assert 50 <= fired <= 65, fired
    # Four "send on closed channel" reports, each naming the thread and its caller.
    bugs = re.findall(r"^bug: send on closed channel 'closing send' \(closed while the (?:send|select) waited\), "
                      r"in thread 'sender' \(id \d+\), called from send_until_closed\+0x[0-9a-f]+; "
                      r"the thread is stopped, the kernel goes on$", text, re.MULTILINE)
    assert len(bugs) == 4, text


def test_primes_match_the_known_primes(chapter):
    m = shell(chapter, "primes")
    # A first run leaves what the kernel keeps for the next: page tables
    # for the stack slots it used, cached stacks, heap pages.
    m.command("primes 1000", r"\nprimes: 1000 primes in ", timeout=120)
    before = settled_mem(m, seconds=20)
    line = m.command("primes 1000", r"\n((?:\d+ )+\d+)\r?\nprimes: 1000 primes in \d+\.\d{3} s, 1000 filter threads\n",
                     timeout=120).group(1)
    numbers = [int(x) for x in line.split()]
    assert numbers == primes_up_to(7919), numbers[-5:]
    # The 1000 filters were left blocked; the job's end freed them and their channels.
    assert settled_mem(m, before, seconds=20) == before
    m.command("primes 0", r"\nusage: primes \[n\] \(n from 1 to 10000\)\n")
    m.command("primes x7", r"\nusage: primes \[n\]")
    halt(m)


@own_chapter     # 45 s of TCG; ch06 runs the sieve again at 1,000 (test_primes_match...)
def test_primes_5000_run_in_the_default_memory(chapter):
    """5,000 filter threads and channels in `make run`'s 128 MiB: go()'s
    small stacks (8 KiB) make room for them."""
    m = shell(chapter, "primes-5000", timeout=300)
    text = m.command("primes 5000", r"\n((?:\d+ )+\d+)\r?\nprimes: 5000 primes in .*\n", timeout=300).group(1)
    numbers = text.split()
    assert len(numbers) == 5000 and numbers[-1] == "48611", numbers[-3:]
    m.command("echo after", r"\nafter\n")
    halt(m)


def test_pingpong_and_prodcons(chapter):
    m = shell(chapter, "pingpong")
    m.command("pingpong 2000", r"\npingpong: 2000 round trips, value 2000, \d+ ns per round trip\n", timeout=60)
    text = m.command("prodcons", r"\n(prodcons: 3 producers .*)\n", timeout=60).group(1)
    assert text == ("prodcons: 3 producers sent 3000 values, sum 4501500; "
                    "2 consumers received 3000, sum 4501500: all there"), text
    halt(m)


def test_deadlock_is_reported_and_the_shell_comes_back(chapter):
    m = shell(chapter, "deadlock")
    m.command("deadlock", r"\ndeadlock: ending the 3 threads")      # warm-up, as above
    m.command("", PROMPT)             # the mark before the Enter: the prompt comes fast
    before = settled_mem(m)
    since = m.mark()
    m.send("deadlock\r")
    m.expect(r"^all threads are asleep - deadlock!$", since=since)
    report = m.expect(r"^deadlock: ending the 3 threads of the commands above; the kernel goes on$",
                      since=since)
    text = m.transcript[since:report.end() + since]
    assert re.search(r"^  thread 'shell' \(id \d+, in 'deadlock'\): wait for wait group 'deadlock'$", text, re.M), text
    assert re.search(r"^  thread 'left' \(id \d+, in 'deadlock'\): recv from channel 'a'$", text, re.M), text
    assert re.search(r"^  thread 'right' \(id \d+, in 'deadlock'\): recv from channel 'b'$", text, re.M), text
    assert "deadlock: not detected" not in m.transcript
    m.expect(PROMPT, since=since)
    m.command("echo back", r"\nback\n")
    assert settled_mem(m, before) == before
    halt(m)


def test_ps_shows_what_blocked_threads_wait_for(chapter):
    """In the background, the same deadlock is not reported: the shell
    waits at its prompt for a key, which may come. ps shows the waits."""
    m = shell(chapter, "ps-waits")
    m.command("deadlock &", r"deadlock: 'left' waits")
    # The command's own thread reaches its wait a moment after 'left' says
    # so (on a busy host, a ps may come first): look again until it has.
    deadline = time.monotonic() + 10
    while True:
        table = m.command("ps", r"\n(  ID  NAME .*WAITING FOR\n(?:.*\n)*?)cubos> ").group(1)
        if re.search(r"^ +\d+ +deadlock +blocked ", table, re.M) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert re.search(r"^ +\d+ +deadlock +blocked +\d +\d+  wait for wait group 'deadlock'$", table, re.M), table
    assert re.search(r"^ +\d+ +left +blocked +\d +\d+  recv from channel 'a'$", table, re.M), table
    assert re.search(r"^ +\d+ +right +blocked +\d +\d+  recv from channel 'b'$", table, re.M), table
    assert re.search(r"^ +\d+ +shell +running ", table, re.M), table
    m.assert_running(seconds=1)
    assert "deadlock!" not in m.transcript
    halt(m)


def test_misused_channels_stop_the_command_not_the_kernel(chapter):
    m = shell(chapter, "misuse")
    for kind in ("send-closed", "close-twice", "wg-negative"):
        m.command(f"misuse {kind}", r"\ncubos> ")          # warm-up
    before = settled_mem(m)
    for kind, report in (("send-closed", r"send on closed channel 'misused'"),
                         ("close-twice", r"close of closed channel 'misused'"),
                         ("wg-negative", r"wait group 'misused': wg_done with the counter at 0")):
        m.command(f"misuse {kind}", rf"\nbug: {report}, in thread 'shell' \(id \d+\), called from "
                                    rf"cmd_misuse\+0x[0-9a-f]+; the command is stopped, the kernel goes on\n")
    assert "misuse: not caught" not in m.transcript
    m.command("misuse", r"\nusage: misuse send-closed\|close-twice\|wg-negative\n")
    assert settled_mem(m, before) == before
    halt(m)
