"""ch07-net: ch06's Makefile checks hold here too."""
from harness import chapter_tests

chapter_tests("ch06-syscalls", "test_make.py", globals())
