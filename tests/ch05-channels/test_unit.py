"""ch05-channels: host unit tests of the kernel's pure code, under ASan and
UBSan: ch04's, against this chapter's copies of the sources."""
import pytest

from harness import chapter_tests, run_unit_test

UNITS = dict(chapter_tests("ch04-threads", "test_unit.py", {}).UNITS)


@pytest.mark.parametrize("test", sorted(UNITS))
def test_host_unit(chapter, test):
    run_unit_test(chapter, test, UNITS[test])
