"""ch06-syscalls: ch05's test_bugs.py holds here too."""
from harness import chapter_tests

chapter_tests("ch05-channels", "test_bugs.py", globals())
