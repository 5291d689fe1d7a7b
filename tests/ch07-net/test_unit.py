"""ch07-net: host unit tests of the kernel's pure code, under ASan and
UBSan: ch06's, against this chapter's copies of the sources, and the PCI
BAR decoder and device names (drivers/pci_bar.c), the web server's
request parser (net/http_parse.c), option values on the kernel's command
line (lib/cmdline.c), and runs of contiguous frames (mm/frame_pool.c)."""
import pytest

from harness import chapter_tests, run_unit_test

_ch06 = chapter_tests("ch06-syscalls", "test_unit.py", {})
UNITS = dict(_ch06.UNITS)
UNITS["ch07-net/unit/test_pci_bar.c"] = ["drivers/pci_bar.c"]
UNITS["ch07-net/unit/test_http_parse.c"] = ["net/http_parse.c"]
UNITS["ch07-net/unit/test_cmdline_value.c"] = ["lib/cmdline.c"]
UNITS["ch07-net/unit/test_frame_run.c"] = ["mm/frame_pool.c"]


@pytest.mark.parametrize("test", sorted(UNITS))
def test_host_unit(chapter, test):
    run_unit_test(chapter, test, UNITS[test])
