"""ch04-threads: the console and the shell with threads. Lines typed
ahead while a command runs (here `spawn 3`, whose threads print as they
go) wait their turn: every one runs after it, once, in order, none
spliced. This chapter's commands answer like ch03's."""
import re

from harness import PASS_STATUS, Machine

PROMPT = r"cubos> "


def test_typing_ahead_during_spawn_loses_nothing(chapter):
    m = Machine(chapter, "type-ahead").start()
    m.expect(PROMPT)
    count = 300
    since = m.mark()
    m.send("spawn 3\r" + "".join(f"echo t{i}\r" for i in range(1, count + 1)))
    m.expect(rf"\nt{count}\n", timeout=30, since=since)
    text = m.transcript[since:]
    finished = text.index("spawn: 3 threads finished")
    assert text.rfind("worker 3: step 5 of 5 on CPU") < finished, text
    ran = [int(n) for n in re.findall(r"^t(\d+)$", text, re.MULTILINE)]
    assert ran == list(range(1, count + 1)), f"{len(ran)} of {count} ran, in this order: {ran}"
    assert text.index("\nt1\n") > finished, "a typed-ahead line ran before spawn finished"
    assert "unknown command" not in text, text
    m.send("halt\r")
    assert m.wait_exit() == PASS_STATUS
    m.stop()


def test_commands_of_this_chapter_answer_plainly(chapter):
    """`ps` takes no arguments; `spawn 1` counts one thread, not "1 threads"."""
    m = Machine(chapter, "ps-spawn-usage").start()
    m.expect(PROMPT)
    m.command("ps all", r"\nusage: ps \(no arguments\)\n")
    m.command("spawn 1", r"\nspawn: 1 thread finished\n")
    m.command("spawn 2", r"\nspawn: 2 threads finished\n")
    m.send("halt\r")
    assert m.wait_exit() == PASS_STATUS
    m.stop()
