"""ch04-threads: `make debug` and `make console` as in ch01 and ch03 (their tests run here too)."""
from harness import chapter_tests

chapter_tests("ch03-interrupts", "test_debug.py", globals())
