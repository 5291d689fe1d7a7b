#!/usr/bin/python3
"""mkinitrd.py: pack host folders into a cpio "newc" archive, the initrd the
kernel reads its programs from (from ch06 on; the reader is fs/cpio.c).

    mkinitrd.py -o OUT.cpio [SRC=DEST]...

    mkinitrd.py -o build/initrd.cpio rootfs=/ build/user/bin=/bin

Each SRC=DEST puts the host folder SRC, and everything under it, at DEST in
the archive (SRC may also be one file, then DEST is its name). Folders,
regular files (with their permission bits) and symbolic links (as links)
are stored; devices, fifos and sockets are skipped with a warning. Folders
above DEST are added as needed, mode 0755. When two arguments give the same
path, the later one wins. Names are stored without a leading "/"
("bin/hello"); the root is ".".

The output depends only on the files' names, types, permissions and
contents: entries sorted by name, mtime, uid and gid 0, inode numbers 1, 2,
3... in that order, so two runs give identical bytes. The format is
cpio(5)'s "New ASCII Format" (magic 070701), ending with TRAILER!!!.

Exit status 2, with one line on stderr naming the fault, for a malformed
argument, a missing SRC or a file that cannot be read.
"""
import argparse
import os
import stat
import sys

PROG = "mkinitrd.py"
MAGIC = b"070701"
TRAILER = "TRAILER!!!"
ALIGN = 4                   # names and data end on a multiple of 4 bytes (cpio(5))
DIR_MODE = stat.S_IFDIR | 0o755     # folders added above a DEST


class Fault(Exception):
    """Something the user must fix: printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise Fault(message)


def archive_path(dest, rel=""):
    """The name in the archive of rel under dest: no leading "/", "." for the root."""
    parts = [p for p in (dest + "/" + rel).split("/") if p not in ("", ".")]
    if ".." in parts:
        raise Fault(f"{dest!r}: '..' is not allowed in an archive path")
    return "/".join(parts) or "."


def parent(path):
    """The folder holding path in the archive; None for the root."""
    if path == ".":
        return None
    return path.rpartition("/")[0] or "."


class Tree:
    """The archive's entries: path -> (mode, data), data being a file's bytes
    or a link's target."""

    def __init__(self):
        self.entries = {".": (DIR_MODE, b"")}

    def add(self, path, mode, data, origin):
        if path == "." and not stat.S_ISDIR(mode):
            raise Fault(f"{origin}: the archive's root / must be a folder")
        up = parent(path)
        if up is not None:
            self.add_parents(up, origin)
        old = self.entries.get(path)
        if old and stat.S_ISDIR(old[0]) != stat.S_ISDIR(mode) and \
                any(p.startswith(path + "/") for p in self.entries):
            raise Fault(f"{origin}: would replace the folder {path} with a file")
        self.entries[path] = (mode, data)

    def add_parents(self, path, origin):
        old = self.entries.get(path)
        if old is None:
            self.add(path, DIR_MODE, b"", origin)
        elif not stat.S_ISDIR(old[0]):
            raise Fault(f"{origin}: {path} is a file in the archive, not a folder")

    def add_host(self, host, path, follow=False):
        """Add the host file or folder host at path; a link inside it stays a
        link, but a link given as SRC itself (follow) is followed."""
        try:
            st = os.stat(host) if follow else os.lstat(host)
            perm = stat.S_IMODE(st.st_mode)
            if stat.S_ISDIR(st.st_mode):
                self.add(path, stat.S_IFDIR | perm, b"", host)
                with os.scandir(host) as it:
                    names = sorted(e.name for e in it)
                for name in names:
                    self.add_host(os.path.join(host, name),
                                  name if path == "." else f"{path}/{name}")
            elif stat.S_ISREG(st.st_mode):
                with open(host, "rb") as f:
                    self.add(path, stat.S_IFREG | perm, f.read(), host)
            elif stat.S_ISLNK(st.st_mode):
                self.add(path, stat.S_IFLNK | 0o777, os.fsencode(os.readlink(host)), host)
            else:
                print(f"{PROG}: warning: skipping {host}: not a file, folder or link",
                      file=sys.stderr)
        except OSError as e:
            raise Fault(f"{host}: {e.strerror}") from None


def header(ino, mode, nlink, size, namesize):
    """A newc header: the magic and 13 fields of 8 hex digits (cpio(5))."""
    fields = (ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, namesize, 0)
    if size > 0xFFFFFFFF:
        raise Fault(f"a file of {size} bytes: newc stores sizes below 4 GiB")
    # c_ino c_mode c_uid c_gid c_nlink c_mtime c_filesize
    # c_devmajor c_devminor c_rdevmajor c_rdevminor c_namesize c_check
    return MAGIC + b"".join(b"%08X" % f for f in fields)


def padding(n):
    return b"\0" * (-n % ALIGN)


def entry(ino, name, mode, data):
    """One archive entry: header, name with its NUL, data, each padded to 4."""
    raw = os.fsencode(name) + b"\0"
    head = header(ino, mode, 2 if stat.S_ISDIR(mode) else 1, len(data), len(raw)) + raw
    return head + padding(len(head)) + data + padding(len(data))


def archive(tree):
    """The archive's bytes: the root first, then every entry by name."""
    out = []
    paths = sorted(tree.entries, key=lambda p: (p != ".", p))
    for ino, path in enumerate(paths, start=1):
        mode, data = tree.entries[path]
        out.append(entry(ino, path, mode, data))
    out.append(entry(0, TRAILER, 0, b""))
    return b"".join(out)


def main(argv):
    parser = Parser(prog=PROG, description="Pack host folders into a newc cpio archive.")
    parser.add_argument("-o", dest="out", required=True, help="the archive to write")
    parser.add_argument("trees", nargs="*", metavar="SRC=DEST",
                        help="host folder SRC goes to DEST in the archive (e.g. rootfs=/)")
    args = parser.parse_args(argv)
    tree = Tree()
    for arg in args.trees:
        src, eq, dest = arg.rpartition("=")
        if not eq or not src or not dest.startswith("/"):
            raise Fault(f"malformed argument {arg!r}: expected SRC=DEST, DEST starting with /")
        if not os.path.exists(src):
            raise Fault(f"{src}: no such file or folder")
        tree.add_host(src, archive_path(dest), follow=True)
    data = archive(tree)
    try:
        with open(args.out, "wb") as f:
            f.write(data)
    except OSError as e:
        raise Fault(f"{args.out}: {e.strerror}") from None


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Fault as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        sys.exit(2)
