"""ch08-gui: ch07's test_net.py holds here too: the chapter adds the screen
and leaves the rest of the kernel as it was."""
from harness import chapter_tests

chapter_tests("ch07-net", "test_net.py", globals())
