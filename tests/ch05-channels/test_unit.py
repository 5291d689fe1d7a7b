"""ch05-channels: host unit tests of the kernel's pure code, under ASan and
UBSan: ch04's, against this chapter's copies of the sources, and the timer
heap; then channels and select with real threads (pthreads standing in for
kernel threads, ch05-channels/unit/host_kernel.h), each under ASan and UBSan
and again under ThreadSanitizer."""
import pytest

from harness import chapter_tests, run_unit_test

UNITS = dict(chapter_tests("ch04-threads", "test_unit.py", {}).UNITS)
UNITS["ch05-channels/unit/test_ktimer.c"] = ["kernel/ktimer.c"]

# Threaded tests: built with unit/host/ first on the include path (its
# cpu.h replaces the kernel's, which reads GS) and linked with pthreads.
CHANNEL_SOURCES = ["chan/chan.c", "chan/select.c", "chan/chan_timer.c", "kernel/ktimer.c"]
THREAD_UNITS = {
    "ch05-channels/unit/test_chan.c": CHANNEL_SOURCES,
    "ch05-channels/unit/test_chan_timer.c": CHANNEL_SOURCES,
    "ch05-channels/unit/test_select.c": CHANNEL_SOURCES,
    "ch05-channels/unit/test_select_races.c": CHANNEL_SOURCES,
}


@pytest.mark.parametrize("test", sorted(UNITS))
def test_host_unit(chapter, test):
    run_unit_test(chapter, test, UNITS[test])


@pytest.mark.parametrize("sanitizers", ["address,undefined", "thread"])
@pytest.mark.parametrize("test", sorted(THREAD_UNITS))
def test_host_unit_threads(chapter, test, sanitizers):
    run_unit_test(chapter, test, THREAD_UNITS[test], include_dirs=["ch05-channels/unit/host"],
                  sanitizers=sanitizers, pthread=True)
