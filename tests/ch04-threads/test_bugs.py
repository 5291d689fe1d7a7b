"""ch04-threads: kernel bugs are caught and named, not left to hang the
machine. The shell's `bug` demo commits each one on purpose; the kernel
must stop with a panic that says what went wrong and who did it (a bug in
kernel code cannot be recovered from), and the run must fail."""
import pytest

from harness import FAIL_STATUS, Machine

PROMPT = r"cubos> "

BUGS = {
    # Without the "may sleep" check the handler sleeps before its EOI and
    # the timer, keyboard and serial stay masked: the machine hangs.
    "sleep-in-irq": r"PANIC at sched/thread\.c:\d+: thread_sleep_ms may sleep, but "
                    r"sleeping_handler\+0x[0-9a-f]+ called it in an interrupt handler",
    "sleep-locked": r"PANIC at sched/thread\.c:\d+: thread_sleep_ms may sleep, but "
                    r"cmd_bug\+0x[0-9a-f]+ called it holding a spinlock",
    # Recovering the shell command would leave the lock held for good.
    "fault-locked": r"PANIC at trap/fault\.c:\d+: thread 'shell' faulted holding a spinlock",
    "kill-locked": r"PANIC at trap/fault\.c:\d+: thread 'locked' faulted holding a spinlock",
    "join-twice": r"PANIC at sched/thread\.c:\d+: thread_join\('target'\): a thread can be joined once",
    "mutex-twice": r"PANIC at sched/sync\.c:\d+: mutex 'demo': thread 'shell' locks it twice",
}


@pytest.mark.parametrize("kind", sorted(BUGS))
def test_bug_is_caught_and_named(chapter, kind):
    m = Machine(chapter, f"bug-{kind}").start()
    m.expect(PROMPT)
    since = m.mark()
    m.send(f"bug {kind}\r")
    m.expect(BUGS[kind], since=since)
    assert m.wait_exit() == FAIL_STATUS
    assert "bug: not caught" not in m.transcript


def test_bug_without_a_kind_lists_them(chapter):
    m = Machine(chapter, "bug-usage").start()
    m.expect(PROMPT)
    m.command("bug", r"\nusage: bug sleep-in-irq\|sleep-locked\|fault-locked\|kill-locked\|"
                     r"join-twice\|mutex-twice\n")
    m.send("halt\r")
    assert m.wait_exit() != FAIL_STATUS
