"""ch07-net: ch06's test_smp.py holds here too, the self tests on 1, 3
and 4 CPUs included: the kernel they run in is this chapter's (its
scheduler also runs lwIP's threads, once the self tests are done)."""
from harness import chapter_tests

chapter_tests("ch06-syscalls", "test_smp.py", globals())
