"""ch05-channels: ch04's Makefile checks hold here too."""
from harness import chapter_tests

chapter_tests("ch04-threads", "test_make.py", globals())
