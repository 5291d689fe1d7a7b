"""ch05-channels: ch04's SMP tests hold here too."""
from harness import chapter_tests

chapter_tests("ch04-threads", "test_smp.py", globals())
