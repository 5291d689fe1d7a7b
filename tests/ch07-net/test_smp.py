"""ch07-net: ch06's test_smp.py holds here too. The self tests on 1, 3
and 4 CPUs run again: lwIP's threads run beside them on every CPU."""
from harness import chapter_tests

chapter_tests("ch06-syscalls", "test_smp.py", globals())
