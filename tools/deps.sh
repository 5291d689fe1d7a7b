#!/bin/sh
# deps.sh: make sure the Debian packages cubos needs are installed.
#
# As root, installs what is missing (apt-get update first, once); otherwise
# prints the exact apt-get line to run and fails, so no build starts with a
# tool missing. Every Makefile target that needs a tool runs this first.
set -eu

PACKAGES="
  make gcc binutils libc6-dev clang
  grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools
  qemu-system-x86 ovmf gdb-multiarch socat wrk
  python3 python3-pytest python3-pytest-xdist python3-sphinx python3-myst-parser
  graphviz fonts-dejavu-core python3-sphinx-rtd-theme python3-sphinx-copybutton chromium
  golang-go musl-tools dpkg-dev gpgv debian-keyring xz-utils bzip2
  console-setup-linux
"

missing=""
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing="$missing $pkg" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "cubos needs these Debian packages:$missing" >&2
    echo "install them with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi

echo "cubos: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086 # one word per package
apt-get install -y -q --no-install-recommends $missing >&2
