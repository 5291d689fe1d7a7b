"""ch06-syscalls: ch05's Makefile checks hold here too, but the ISO now
also carries the initrd (the user programs, mujs, the Go sieve): it may be
as large as GRUB's part plus the initrd, and no larger."""
from harness import TOP, chapter_tests

chapter_tests("ch05-channels", "test_make.py", globals(), skip=("test_iso_stays_small",))
GRUB_LIMIT = chapter_tests("ch01-boot", "test_make.py", {}).ISO_LIMIT


def test_iso_stays_small(chapter):
    build = TOP / chapter / "build"
    iso = build / f"cubos-{chapter}.iso"
    initrd = build / "initrd.cpio"
    # The ISO compresses nothing of the initrd; its own part stays GRUB's.
    limit = GRUB_LIMIT + initrd.stat().st_size
    size = iso.stat().st_size
    assert size < limit, (f"{iso.name} is {size / 2**20:.1f} MiB, over {limit / 2**20:.1f} MiB "
                          f"(GRUB's {GRUB_LIMIT / 2**20:.0f} MiB and the initrd's "
                          f"{initrd.stat().st_size / 2**20:.1f} MiB)")
