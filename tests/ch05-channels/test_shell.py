"""ch05-channels: ch04's shell tests hold here too."""
from harness import chapter_tests

chapter_tests("ch04-threads", "test_shell.py", globals())
