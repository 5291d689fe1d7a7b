"""ch04-threads: ch01's and ch03's Makefile checks hold here too."""
from harness import chapter_tests

chapter_tests("ch03-interrupts", "test_make.py", globals())
