"""ch05-channels: ch04's bug reports hold here too."""
from harness import chapter_tests

chapter_tests("ch04-threads", "test_bugs.py", globals())
