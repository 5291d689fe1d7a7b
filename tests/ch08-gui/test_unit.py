"""ch08-gui: host unit tests of the kernel's pure code, under ASan and
UBSan: ch07's, against this chapter's copies of the sources, and the PSF2
font reader (gfx/font.c)."""
import pytest

from harness import chapter_tests, run_unit_test

_ch07 = chapter_tests("ch07-net", "test_unit.py", {})
UNITS = dict(_ch07.UNITS)
UNITS["ch08-gui/unit/test_font.c"] = ["gfx/font.c"]


@pytest.mark.parametrize("test", sorted(UNITS))
def test_host_unit(chapter, test):
    run_unit_test(chapter, test, UNITS[test])
