#!/usr/bin/python3
"""linux_guest.py: run a static Linux program in a Linux guest under QEMU.

The reference for `make bench`: the same static ELF that cubos runs from its
initrd, run on Debian's own kernel under the same QEMU (TCG), so that the
two kernels' figures come from the same run on the same machine.

    tools/linux_guest.py [--timeout S] [--env NAME=VALUE] BINARY [ARGS...]

prints what the program wrote and exits with its status. As a module:

    output, status = run_static("build/user/bin/sysbench", ["0.5"])

The guest is Debian 12's kernel (linux-image-amd64 resolves to
linux-image-6.1.0-N-amd64) and busybox-static. Both come from Debian's
archive with `apt-get download` into .cache/linux-guest/ at the top of the
repository (git-ignored); only the kernel image and busybox are kept from
the packages. Nothing is installed on the host. Each run packs a fresh
initramfs (cpio "newc", gzip) with busybox, its applet links, the program as
/bin/NAME and an /init script that runs it and prints

    linux-guest: exit STATUS

then powers the guest off. Only what the program printed, between a start
marker and that line, is returned: kernel messages from boot are left out.

tools/bench_net.py builds a guest of its own (nginx) from the helpers
here: package_file (one file of any package, kept in the cache),
guest_modules (kernel modules and those they depend on, in load order, from
the kernel's own package), shared_libraries (what ldd lists) and add_tree
(a staged folder into the archive).
"""
import argparse
import gzip
import io
import os
import shlex
import shutil
import stat
import struct
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
CACHE = TOP / ".cache" / "linux-guest"

KERNEL_META_PACKAGE = "linux-image-amd64"
BUSYBOX_PACKAGE = "busybox-static"
QEMU = "qemu-system-x86_64"

# The reference machine: TCG, 256 MiB, 2 CPUs. A cubos run set beside it
# should use the same -accel, -m and -smp.
QEMU_ARGS = ["-accel", "tcg", "-m", "256M", "-smp", "2",
             "-no-reboot", "-display", "none", "-monitor", "none",
             "-serial", "stdio"]
KERNEL_CMDLINE = "console=ttyS0 quiet panic=-1"

START_MARKER = "linux-guest: start"
EXIT_MARKER = "linux-guest: exit "

# /init, run by the kernel as process 1. printk level 1 keeps all but
# emergencies off the console while the program runs. stdin is /dev/null
# unless the caller gave input. poweroff -f skips the init system (there is
# none) and powers off through ACPI, which ends QEMU.
INIT_SCRIPT = """#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp
echo 1 > /proc/sys/kernel/printk
echo '{start}'
{command} < {stdin}
echo "{exit}$?"
poweroff -f
"""

DEFAULT_TIMEOUT = 300


class GuestError(Exception):
    """The guest could not be prepared or did not run the program to its end."""


def run(cmd, what, **kwargs):
    """Run a host command; GuestError with its last line of stderr if it fails."""
    try:
        result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, **kwargs)
    except FileNotFoundError:
        raise GuestError(f"{what}: {cmd[0]} not found") from None
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or [f"exit status {result.returncode}"]
        raise GuestError(f"{what}: {lines[-1]}")
    return result.stdout


def kernel_package():
    """The versioned kernel package linux-image-amd64 depends on, e.g.
    linux-image-6.1.0-18-amd64."""
    out = run(["apt-cache", "depends", KERNEL_META_PACKAGE],
              f"apt-cache depends {KERNEL_META_PACKAGE}")
    for line in out.splitlines():
        name = line.strip().removeprefix("Depends:").strip()
        if line.strip().startswith("Depends:") and name.startswith("linux-image-"):
            return name
    raise GuestError(f"no linux-image-* dependency of {KERNEL_META_PACKAGE} in the apt lists "
                     "(run `apt-get update` once)")


def download(package):
    """apt-get download package into CACHE; the .deb's path."""
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob(f"{package}_*.deb"):
        old.unlink()
    run(["apt-get", "download", package], f"apt-get download {package}", cwd=CACHE)
    debs = sorted(CACHE.glob(f"{package}_*.deb"))
    if not debs:
        raise GuestError(f"apt-get download {package}: no .deb appeared in {CACHE}")
    return debs[-1]


def extract(deb, wanted, dest):
    """Copy the one file of a .deb whose path satisfies wanted(path) to dest.

    dpkg-deb --fsys-tarfile gives the package's files as a tar stream, so
    only the file needed lands on disk, not a whole kernel's modules.
    """
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    found = None
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        for member in tar:
            if member.isfile() and wanted(member.name):
                with tar.extractfile(member) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
                found = member.name
                break
    proc.stdout.close()
    proc.wait()
    if found is None:
        raise GuestError(f"{deb.name}: no such file in the package")
    return found


def guest_kernel():
    """The guest's kernel image, downloaded once into CACHE."""
    cached = sorted(CACHE.glob("vmlinuz-*"))
    if cached:
        return cached[-1]
    package = kernel_package()
    deb = download(package)
    version = package.removeprefix("linux-image-")
    dest = CACHE / f"vmlinuz-{version}"
    part = CACHE / "kernel.part"
    extract(deb, lambda name: name.startswith("./boot/vmlinuz-"), part)
    part.rename(dest)
    deb.unlink()
    return dest


def guest_busybox():
    """Debian's static busybox, downloaded once into CACHE."""
    dest = CACHE / "busybox"
    if dest.exists():
        return dest
    deb = download(BUSYBOX_PACKAGE)
    part = CACHE / "busybox.part"
    extract(deb, lambda name: name == "./bin/busybox", part)
    part.chmod(0o755)
    part.rename(dest)
    deb.unlink()
    return dest


# -- more of Debian for a guest: a package's file, kernel modules, libraries --

def package_file(package, path, name):
    """The file at path (as the package lists it: "./usr/sbin/nginx") of a
    Debian package, downloaded once into CACHE as name."""
    dest = CACHE / name
    if dest.exists():
        return dest
    deb = download(package)
    part = CACHE / f"{name}.part"
    extract(deb, lambda member: member == path, part)
    part.chmod(0o755)
    part.rename(dest)
    deb.unlink()
    return dest


def package_files(deb):
    """Each regular file of a .deb as (its path in the package, an open
    file to read it from), one after the other: a single pass over the tar
    stream of dpkg-deb --fsys-tarfile, nothing written to disk. A file must
    be read before the next one is asked for."""
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    finished = False
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                if member.isfile():
                    with tar.extractfile(member) as f:
                        yield member.name, f
        finished = True
    finally:
        # The caller may stop early: dpkg-deb then ends on a broken pipe.
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace").strip().splitlines()
        proc.wait()
    if finished and proc.returncode != 0:
        raise GuestError(f"dpkg-deb --fsys-tarfile {deb.name}: "
                         + (err[-1] if err else f"exit status {proc.returncode}"))


def module_name(path):
    """A kernel module's name from its file's path: ".../virtio_net.ko" ->
    "virtio_net" (the kernel spells "-" in a module's name as "_")."""
    return Path(path).name.removesuffix(".ko").replace("-", "_")


def module_depends(data):
    """The modules a kernel module needs loaded before it, from the bytes of
    its .ko file: the "depends=" field of its .modinfo section, what
    `modinfo -F depends` prints (kmod is not needed on the host).

    A .ko is a relocatable ELF64 file: its section headers start at
    e_shoff, e_shnum of them, e_shentsize bytes each, and their names are
    in section e_shstrndx. .modinfo holds NUL-separated "key=value" strings.
    """
    if data[:5] != b"\x7fELF\x02":
        raise GuestError("not an ELF64 kernel module")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)

    def section(i):
        """(name offset, file offset, size) of section i."""
        name, _type, _flags, _addr, offset, size = struct.unpack_from(
            "<IIQQQQ", data, shoff + i * shentsize)
        return name, offset, size

    _, names_at, _ = section(shstrndx)
    for i in range(shnum):
        name, offset, size = section(i)
        end = data.index(b"\0", names_at + name)
        if data[names_at + name:end] == b".modinfo":
            for field in data[offset:offset + size].split(b"\0"):
                if field.startswith(b"depends="):
                    value = field.removeprefix(b"depends=").decode()
                    return [d for d in value.split(",") if d]
            return []
    return []


def fetch_modules(version, names, folder):
    """Copy the modules names, and all the modules they depend on, from the
    package linux-image-VERSION into folder as NAME.ko. The first pass over
    the package reads every module's dependencies, the second copies only
    the modules needed (the package holds some 4,000)."""
    deb = download(f"linux-image-{version}")
    depends, paths = {}, {}
    for path, f in package_files(deb):
        if path.endswith(".ko"):
            depends[module_name(path)] = module_depends(f.read())
            paths[module_name(path)] = path
    needed, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        if name not in depends:
            raise GuestError(f"{deb.name}: no kernel module {name} in the package")
        needed.add(name)
        todo += depends[name]
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {paths[name]: name for name in needed}
    for path, f in package_files(deb):
        if path in wanted:
            part = folder / f"{wanted.pop(path)}.ko.part"
            part.write_bytes(f.read())
            part.rename(part.with_suffix(""))
            if not wanted:
                break
    deb.unlink()


def guest_modules(names):
    """The .ko files of the kernel modules names and of every module they
    depend on, for guest_kernel()'s kernel, in an order to load them in:
    each after the ones it depends on. Copied once from the kernel's own
    package into CACHE/modules-VERSION."""
    version = guest_kernel().name.removeprefix("vmlinuz-")
    folder = CACHE / f"modules-{version}"

    def load_order():
        order, seen = [], set()

        def visit(name):
            if name in seen:
                return
            seen.add(name)
            ko = folder / f"{name}.ko"
            for dep in module_depends(ko.read_bytes()):
                visit(dep)
            order.append(ko)

        for name in names:
            visit(name)
        return order

    try:
        return load_order()
    except FileNotFoundError:
        fetch_modules(version, names, folder)
        return load_order()


def shared_libraries(program):
    """The host's shared libraries a dynamically linked program loads, as
    `ldd` lists them, and its dynamic loader (/lib64/ld-linux-x86-64.so.2):
    absolute paths, to be copied into a guest at the same paths."""
    out = run(["ldd", str(program)], f"ldd {program}")
    paths = []
    for line in out.splitlines():
        words = line.split()
        if "=>" in words:
            target = words[words.index("=>") + 1]
            if target == "not":
                raise GuestError(f"{program} needs {words[0]}, which the host does not have")
            paths.append(target)
        elif words and words[0].startswith("/"):
            paths.append(words[0])          # the loader itself
    return paths


class Cpio:
    """An archive in the "newc" cpio format, the one the kernel unpacks as
    an initramfs (Documentation/driver-api/early-userspace/buffer-format.rst):
    each entry a 110-byte ASCII header of 8-digit hex fields, the name with
    its NUL, the data, each padded to a multiple of 4 bytes."""

    def __init__(self):
        self.out = io.BytesIO()
        self.inode = 1

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name_bytes = name.encode() + b"\0"
        fields = [self.inode, mode, 0, 0,                       # ino, mode, uid, gid
                  2 if stat.S_ISDIR(mode) else 1, 0, len(data),  # nlink, mtime, filesize
                  0, 0, rdev[0], rdev[1],                       # dev and rdev major:minor
                  len(name_bytes), 0]                           # namesize, check
        self.inode += 1
        self.out.write(b"070701" + b"".join(b"%08x" % f for f in fields))
        self.out.write(name_bytes)
        self._pad()
        self.out.write(data)
        self._pad()

    def _pad(self):
        self.out.write(b"\0" * (-self.out.tell() % 4))

    def directory(self, name):
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, mode=0o755):
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def char_device(self, name, major, minor):
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self):
        """The archive, ended by its trailer entry."""
        self._entry("TRAILER!!!", 0)
        return self.out.getvalue()


def add_tree(archive, root):
    """Add everything under the host folder root to a Cpio archive at the
    same paths: folders and files with their permission bits, symbolic
    links as links; each folder before what it holds."""
    root = Path(root)
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs) + sorted(files):
            path = Path(folder) / name
            inside = str(path.relative_to(root))
            mode = path.lstat().st_mode
            if path.is_symlink():
                archive.symlink(inside, os.readlink(path))
            elif path.is_dir():
                archive.directory(inside)
            else:
                archive.file(inside, path.read_bytes(), stat.S_IMODE(mode))


def busybox_applets(busybox):
    """Where busybox's applets belong, e.g. "bin/sh", "sbin/poweroff"; the
    static binary runs on the host too and lists them itself."""
    out = run([str(busybox), "--list-full"], "busybox --list-full")
    return [line.strip() for line in out.splitlines() if line.strip()]


def build_initramfs(binary, args, env, stdin_data, dest):
    """Write a gzipped initramfs running binary with args to dest."""
    busybox = guest_busybox()
    name = Path(binary).name
    archive = Cpio()
    for directory in ("bin", "sbin", "usr", "usr/bin", "usr/sbin",
                      "dev", "proc", "sys", "tmp", "root"):
        archive.directory(directory)
    # The kernel opens /dev/console for process 1 before /init can mount
    # devtmpfs; 5:1 is its number in Documentation/admin-guide/devices.txt.
    archive.char_device("dev/console", 5, 1)
    archive.file("bin/busybox", busybox.read_bytes())
    for applet in busybox_applets(busybox):
        if applet != "bin/busybox":
            archive.symlink(applet, "/bin/busybox")
    archive.file(f"bin/{name}", Path(binary).read_bytes())

    stdin = "/dev/null"
    if stdin_data is not None:
        archive.file("stdin", stdin_data, 0o644)
        stdin = "/stdin"
    command = " ".join(shlex.quote(word) for word in [f"/bin/{name}", *args])
    if env:
        command = "env " + " ".join(shlex.quote(f"{k}={v}") for k, v in env.items()) + " " + command
    init = INIT_SCRIPT.format(start=START_MARKER, exit=EXIT_MARKER,
                              command=command, stdin=stdin)
    archive.file("init", init.encode())
    with gzip.open(dest, "wb", compresslevel=6) as out:
        out.write(archive.finish())


def program_output(serial):
    """The program's output and exit status from the guest's serial output.

    The exit marker follows the program's last byte directly, so output that
    does not end in a newline (a prompt) comes back as it was written. The
    console's "\r\n" line ends become "\n".
    """
    text = serial.replace("\r\n", "\n")
    start = text.find(START_MARKER + "\n")
    end = text.rfind(EXIT_MARKER)
    if start < 0 or end < start:
        what = "never started" if start < 0 else "did not finish"
        raise GuestError(f"the program {what}; the guest's console ended with:\n"
                         + "\n".join(text.splitlines()[-20:]))
    status = text[end + len(EXIT_MARKER):].split("\n", 1)[0].strip()
    return text[start + len(START_MARKER) + 1:end], int(status)


def run_static(binary, args=(), timeout=DEFAULT_TIMEOUT, env=None, stdin_data=None):
    """Boot the guest, run a static binary in it as /bin/NAME with args and
    return (output, exit status). env: extra environment variables;
    stdin_data: bytes for its standard input (else /dev/null).
    Raises GuestError if the guest cannot be prepared, times out or never
    reports the program's end."""
    if shutil.which(QEMU) is None:
        raise GuestError(f"{QEMU} not found (apt-get install qemu-system-x86)")
    if not os.path.isfile(binary):
        raise GuestError(f"{binary}: no such file")
    kernel = guest_kernel()
    with tempfile.TemporaryDirectory(prefix="linux-guest-") as tmp:
        initrd = Path(tmp) / "initrd.gz"
        build_initramfs(binary, list(args), env or {}, stdin_data, initrd)
        cmd = [QEMU, *QEMU_ARGS, "-kernel", str(kernel), "-initrd", str(initrd),
               "-append", KERNEL_CMDLINE]
        try:
            result = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            tail = (e.stdout or b"").decode(errors="replace").splitlines()[-20:]
            raise GuestError(f"the guest did not finish within {timeout} s; "
                             + ("its console ended with:\n" + "\n".join(tail) if tail
                                else "its console printed nothing")) from None
    serial = result.stdout.decode(errors="replace")
    if result.returncode != 0 and START_MARKER not in serial:
        err = result.stderr.decode(errors="replace").strip().splitlines()
        raise GuestError(f"{QEMU} failed: {err[-1] if err else result.returncode}")
    return program_output(serial)


def main():
    parser = argparse.ArgumentParser(
        description="Run a static Linux x86-64 program in a Linux guest under QEMU (TCG).")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds before giving up (default {DEFAULT_TIMEOUT})")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the program (repeatable)")
    parser.add_argument("binary")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args()

    env = {}
    for pair in opts.env:
        name, sep, value = pair.partition("=")
        if not sep:
            parser.error(f"--env {pair}: expected NAME=VALUE")
        env[name] = value
    try:
        output, status = run_static(opts.binary, opts.args, opts.timeout, env)
    except GuestError as e:
        print(f"linux_guest: {e}", file=sys.stderr)
        sys.exit(125)
    sys.stdout.write(output)
    sys.exit(status)


if __name__ == "__main__":
    main()
