"""ch06-syscalls: ch05's test_shell.py holds here too."""
from harness import chapter_tests

chapter_tests("ch05-channels", "test_shell.py", globals())
