"""ch05-channels: ch04's make debug and make console tests hold here too."""
from harness import chapter_tests

chapter_tests("ch04-threads", "test_debug.py", globals())
