"""ch07-net: ch06's test_smp.py holds here too, but for the self tests on
1, 3 and 4 CPUs: they test threads and channels, which this chapter does
not change, and the shell and SMP tests below boot its kernel anyway."""
from harness import chapter_tests

chapter_tests("ch06-syscalls", "test_smp.py", globals(),
              skip=("test_self_tests_pass_with_any_number_of_cpus",))
