#!/bin/sh
# build-busybox.sh: build busybox, a shell and the usual Unix commands in
# one program, as one static x86-64 Linux binary for cubos's user programs.
#
#   tools/build-busybox.sh
#
# Takes Debian's busybox 1.35 source (tools/fetch-source.sh busybox 1.35),
# configures it with tools/busybox.config and compiles it with musl-gcc into
# .cache/build/busybox/busybox; the last line of stdout is the binary's
# path. Beside it, .cache/build/busybox/applets lists the applets, one name
# a line, as `busybox --list` prints them: the initrd gets a /bin/NAME link
# to /bin/busybox for each. It builds again only when the binary is missing
# or older than the unpacked source (its stamp), the configuration or this
# script. The build's output goes to .cache/build/busybox/build.log.
#
# busybox's Makefile is the Linux kernel's kbuild: it builds out of the
# source tree with O=FOLDER, so the unpacked source stays as Debian ships
# it, and each build starts from an empty folder (it takes seconds). The
# configuration is copied in as .config and `make oldconfig` settles it;
# fed empty answers, oldconfig takes the default for any option a newer
# busybox adds that busybox.config does not name. CC=musl-gcc compiles
# against musl's headers alone, which have no Linux kernel headers
# (linux/*.h): none of the applets busybox.config turns on needs them.
# HOSTCC stays the host's gcc, for kbuild's own helper programs.
#
# The binary is not stripped (SKIP_STRIP=y), for gdb, like mujs's.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
config=$top/tools/busybox.config
# fetch-source.sh has already said why if it fails.
src=$("$top/tools/fetch-source.sh" busybox 1.35) || exit 1
src=$(echo "$src" | tail -n1)
out=$top/.cache/build/busybox
obj=$out/obj
bin=$out/busybox
applets=$out/applets
log=$out/build.log

# first_error: the line of the build log that says what went wrong: the
# compiler's first error, else make's first "***" line.
first_error() {
    grep -m1 'error:' "$log" || grep -m1 '\*\*\*' "$log" || tail -n1 "$log"
}

# Two makes may ask at once (two chapters' builds, parallel tests): one
# builds, the other then finds the binary up to date.
mkdir -p "$out"
exec 9>"$out/build.lock"
flock 9

if [ -x "$bin" ] && [ -f "$applets" ] &&
   [ -n "$(find "$bin" -newer "$src.stamp" -newer "$config" -newer "$0")" ]; then
    echo "$bin"
    exit 0
fi

command -v musl-gcc > /dev/null ||
    { echo "build-busybox: no musl-gcc: install musl-tools (tools/deps.sh)" >&2; exit 1; }
if [ ! -f "$src/Makefile" ] || [ ! -d "$src/shell" ]; then
    echo "build-busybox: $src does not look like busybox's source (no Makefile or shell/)" >&2
    exit 1
fi

# Run from a make (the chapter's initrd rule), the environment carries that
# make's flags and command-line variables (MAKEFLAGS: -j, CC=clang...), and
# busybox's Makefile adds CFLAGS, CPPFLAGS and LDFLAGS from the environment
# to its own. None of them is meant for busybox.
unset MAKEFLAGS MFLAGS MAKELEVEL CFLAGS CPPFLAGS LDFLAGS
# No build date in the binary, as in Debian's build: the same source and
# configuration give the same bytes, so a rebuild leaves the initrd as it
# was. `busybox --help` names the Debian version instead (BB_EXTRA_VERSION,
# which Debian's patches add).
export KCONFIG_NOTIMESTAMP=1
version=$(sed -n 's/^version=//p' "$src.stamp")

rm -rf "$obj"
mkdir -p "$obj"
cp "$config" "$obj/.config"
echo "build-busybox: building busybox in $obj (log: $log)" >&2
{
    yes "" | make -C "$src" O="$obj" oldconfig &&
    make -C "$src" O="$obj" CC=musl-gcc SKIP_STRIP=y \
         BB_EXTRA_VERSION="Debian $version" -j"$(nproc)" busybox
} > "$log" 2>&1 ||
    { echo "build-busybox: building busybox failed: $(first_error) (log: $log)" >&2; exit 1; }

# The list comes from the program itself (a static Linux binary, so the
# host runs it), so it names exactly the applets that were built.
if ! "$obj/busybox" --list > "$applets.new" || ! grep -qx sh "$applets.new"; then
    echo "build-busybox: '$obj/busybox --list' failed or lists no sh" >&2
    exit 1
fi
mv "$applets.new" "$applets"
cp "$obj/busybox" "$bin.new"
mv "$bin.new" "$bin"
echo "build-busybox: built $bin ($(wc -l < "$applets") applets)" >&2
echo "$bin"
