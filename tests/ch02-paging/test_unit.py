"""ch02-paging: host unit tests of the kernel's pure code, under ASan and UBSan.

Each C test is compiled together with this chapter's own copy of the
source file(s) it exercises, so the code tested is the code the kernel runs.
A test written for an earlier chapter runs again here against this
chapter's copy, for as long as that code is unchanged.
"""
import pytest

from harness import run_unit_test

# test file (under tests/) -> the chapter sources it links against
UNITS = {
    "ch01-boot/unit/test_format.c": ["lib/format.c"],
    "ch01-boot/unit/test_multiboot2.c": ["boot/multiboot2.c", "lib/string.c"],
    "ch02-paging/unit/test_multiboot2_modules.c": ["boot/multiboot2.c", "lib/string.c"],
    "ch01-boot/unit/test_cmdline.c": ["lib/cmdline.c", "lib/string.c"],
    "ch02-paging/unit/test_frame_pool.c": ["mm/frame_pool.c"],
    "ch02-paging/unit/test_heap.c": ["mm/heap.c"],
    "ch02-paging/unit/test_va_pool.c": ["mm/va_pool.c", "lib/string.c"],
}


@pytest.mark.parametrize("test", sorted(UNITS))
def test_host_unit(chapter, test):
    run_unit_test(chapter, test, UNITS[test])
