"""ch03-interrupts: `make debug` still stops in kmain with a sane backtrace (ch01's test)."""
from harness import chapter_tests

chapter_tests("ch01-boot", "test_debug.py", globals())
