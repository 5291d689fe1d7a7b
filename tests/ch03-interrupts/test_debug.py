"""ch03-interrupts: `make debug` as in ch01 (ch01's tests run here too), and
a breakpoint in a shell command is reached by typing the command into
`make console`."""
from harness import chapter_tests

ch01 = chapter_tests("ch01-boot", "test_debug.py", globals())


def test_breakpoint_in_a_shell_command_is_reached_from_make_console(chapter):
    gdb, console = ch01.start_debug(chapter)
    try:
        since = gdb.mark()
        gdb.type("hbreak cmd_echo\ncontinue\n")
        gdb.expect(r"Continuing\.", since=since)
        console.expect(r"cubos> ")
        console.type("echo from the console\r")
        gdb.expect(r"Breakpoint 2, cmd_echo \(argc=4,\s+argv=0x[0-9a-f]+(?: <[^>]+>)?\)\s+at kernel/shell\.c:\d+",
                   since=since)
        gdb.type("continue\n")
        console.expect(r"\nfrom the console\r?\n")
    finally:
        ch01.stop_debug(gdb, console)
