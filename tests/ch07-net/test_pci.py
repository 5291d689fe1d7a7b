"""ch07-net: the PCI bus: configuration space through the legacy ports (pc)
and through ECAM (q35), BARs, interrupts and capabilities, bridges, and
`lspci` showing it all as Linux's `lspci -nn -v` would."""
import re

from harness import Machine

PROMPT = r"cubos> "


def lspci(chapter, name, extra=()):
    """Boot with extra QEMU options, run lspci; return (boot log, lspci's output)."""
    with Machine(chapter, name, options="", extra=extra) as m:
        m.expect(PROMPT)
        boot = m.transcript
        out = m.command("lspci", r"lspci\n((?:.*\n)*?)" + PROMPT).group(1)
    return boot, out


def device(out, address):
    """The lines lspci printed for the function at address (bb:dd.f)."""
    m = re.search(rf"^{re.escape(address)} .*\n(?:\t.*\n)*", out, re.MULTILINE)
    assert m, f"no {address} in lspci's output:\n{out}"
    return m.group(0)


def test_lspci_shows_the_pc_machines_devices_through_the_legacy_ports(chapter):
    """QEMU's default machine (i440FX) with its default NIC, an e1000."""
    boot, out = lspci(chapter, "pci-pc")
    assert re.search(r"^pci: 6 functions, configuration through ports 0xcf8/0xcfc$", boot, re.M)
    assert device(out, "00:00.0").startswith(
        "00:00.0 Host bridge [0600]: 440FX host bridge [8086:1237]")
    vga = device(out, "00:02.0")
    assert "VGA compatible controller [0300]: QEMU standard VGA [1234:1111]" in vga
    assert re.search(r"\tMemory at fd000000 \(32-bit, prefetchable\) \[size=16M\]", vga)
    nic = device(out, "00:03.0")
    assert "Ethernet controller [0200]: 82540EM Gigabit Ethernet (e1000) [8086:100e] (rev 03)" in nic
    assert re.search(r"\tInterrupt: pin A routed to IRQ (9|10|11)\n", nic), nic
    assert re.search(r"\tMemory at [0-9a-f]+ \(32-bit, non-prefetchable\) \[size=128K\]\n", nic), nic
    assert re.search(r"\tI/O ports at [0-9a-f]+ \[size=64\]\n", nic), nic
    assert out.rstrip().endswith("6 PCI functions, configuration through ports 0xcf8/0xcfc")


def test_lspci_on_q35_reads_configuration_through_ecam(chapter):
    """q35 is a PCI Express machine: the MCFG table gives ECAM, and a modern
    virtio-net device shows its MSI-X capability and 64-bit BAR."""
    boot, out = lspci(chapter, "pci-q35", extra=(
        "-machine", "q35", "-nic", "none",
        "-netdev", "user,id=n1", "-device", "virtio-net-pci,netdev=n1,disable-legacy=on,addr=05"))
    assert re.search(r"^pci: \d+ functions, configuration through ECAM at 0xb0000000 "
                     r"\(buses 0-255\)$", boot, re.M), boot
    assert device(out, "00:00.0").startswith(
        "00:00.0 Host bridge [0600]: 82G33/Q35 host bridge [8086:29c0]")
    virtio = device(out, "00:05.0")
    assert "Ethernet controller [0200]: virtio network [1af4:1041]" in virtio
    assert re.search(r"\tMemory at [0-9a-f]+ \(64-bit, prefetchable\) \[size=16K\]\n", virtio), virtio
    assert "\tCapabilities: MSI-X\n" in virtio
    assert device(out, "00:1f.2").startswith("00:1f.2 SATA controller [0106]: ICH9 AHCI [8086:2922]")
    assert "\tCapabilities: MSI\n" in device(out, "00:1f.2")


def test_devices_behind_a_bridge_are_found(chapter):
    """A PCI-to-PCI bridge leads to bus 1: the scan follows it. (A -netdev
    of its own takes the default e1000's place.)"""
    _, out = lspci(chapter, "pci-bridge", extra=(
        "-device", "pci-bridge,id=br1,chassis_nr=1,addr=06",
        "-device", "e1000,bus=br1,addr=02,netdev=n1", "-netdev", "user,id=n1"))
    assert "PCI bridge [0604]: QEMU PCI-PCI bridge [1b36:0001]" in device(out, "00:06.0")
    assert "82540EM Gigabit Ethernet (e1000) [8086:100e]" in device(out, "01:02.0")
    assert re.search(r"^7 PCI functions", out, re.M), out


def test_lspci_takes_no_arguments(chapter):
    with Machine(chapter, "pci-usage", options="") as m:
        m.expect(PROMPT)
        m.command("lspci -v", r"usage: lspci \(no arguments\)\n" + PROMPT)
        m.command("help", r"Devices and network:\n  lspci +list the PCI devices")
