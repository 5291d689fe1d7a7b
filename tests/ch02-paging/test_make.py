"""ch02-paging: the Makefile checks of ch01 hold here too."""
from harness import chapter_tests

chapter_tests("ch01-boot", "test_make.py", globals())
