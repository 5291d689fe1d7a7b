"""ch04-threads: the shell, now a thread, answers as in ch03 (ch03's tests
run here too), and a fault outside a command stops only the faulting thread."""
import re
import time

from harness import FAIL_STATUS, Machine, chapter_kernel, free_port, run_gdb, chapter_tests

# In ch03 any fault outside a shell command was fatal; now only the idle thread's is.
chapter_tests("ch03-interrupts", "test_shell.py", globals(),
           skip=("test_exception_outside_a_command_panics",))


def test_fault_in_a_thread_stops_only_that_thread(chapter):
    """Jump to an unmapped address in the shell thread before it reads a
    line: the report names the thread, the thread is stopped, the kernel
    (its idle thread and timer) goes on."""
    port = free_port()
    with Machine(chapter, "thread-fault", gdb_port=port) as m:
        out = run_gdb(chapter_kernel(chapter), port,
                      ["hbreak shell_thread", "continue", "set $pc = 0xdead0000", "detach"])
        assert "Breakpoint 1, shell_thread" in out, out
        m.expect(r"page fault: instruction fetch at address 0xdead0000: the page is not mapped")
        m.expect(r"^in thread 'shell' \(id \d+\)$")
        m.expect(r"^thread 'shell' \(id \d+\) was stopped by the fault; the kernel goes on$")
        # Goes on, not merely alive: the timer still ticks. (A kill path that
        # halted the CPU with interrupts off would leave QEMU running too.)
        ticks = []
        for _ in range(2):
            out = run_gdb(chapter_kernel(chapter), port, ["print 'timer.c'::ticks", "detach"])
            ticks.append(int(re.search(r"^\$1 = (\d+)$", out, re.MULTILINE).group(1)))
            time.sleep(0.5)
        assert ticks[1] >= ticks[0] + 20, f"timer ticks {ticks}: the kernel stopped after the kill"
        m.assert_running(seconds=1)


def test_fault_in_the_idle_thread_panics(chapter):
    """The boot code, which becomes the idle thread, has nothing to fall back on."""
    port = free_port()
    with Machine(chapter, "idle-fault", gdb_port=port) as m:
        out = run_gdb(chapter_kernel(chapter), port,
                      ["hbreak timer_init", "continue", "set $pc = 0xdead0000", "detach"])
        assert "Breakpoint 1, timer_init" in out, out
        m.expect(r"^PANIC at trap/fault\.c:\d+: unhandled #PF page fault$")
        assert m.wait_exit() == FAIL_STATUS
