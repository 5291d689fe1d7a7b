"""ch05-channels: ch04's console tests hold here too."""
from harness import chapter_tests

chapter_tests("ch04-threads", "test_console.py", globals())
