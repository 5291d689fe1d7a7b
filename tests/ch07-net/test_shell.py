"""ch07-net: ch06's test_shell.py holds here too."""
from harness import chapter_tests

chapter_tests("ch06-syscalls", "test_shell.py", globals())
