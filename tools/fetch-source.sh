#!/bin/sh
# fetch-source.sh: fetch a Debian source package and unpack it under .cache/src/.
#
#   tools/fetch-source.sh PACKAGE [VERSION-PREFIX]
#   e.g. tools/fetch-source.sh mujs; tools/fetch-source.sh lua5.4 5.4
#
# Later chapters build third-party code (mujs, lwip, busybox, lua5.4). It is
# never committed: this script takes it from Debian bookworm, from the same
# archive mirror the host's apt uses, and unpacks it into .cache/src/ (ignored
# by git). The last line of stdout is the path of the unpacked tree; progress
# and errors go to stderr, an error as one line and a non-zero exit.
#
# - apt runs with a private configuration under .cache/apt/ (its own sources
#   list with deb-src lines, its own lists and cache), so the host's apt setup
#   is left as it is: only its mirror's URL is read. `apt-get update` runs
#   only when the private lists are missing, more than a day old, or the
#   mirror changed. Downloads are kept in .cache/apt/downloads/.
# - The .dsc is checked with gpgv against the Debian developer keyrings
#   (debian-keyring, debian-nonupload, debian-maintainers) BEFORE anything is
#   unpacked; the .dsc's checksums then vouch for the tarballs.
# - Some packages' .debian.tar.xz is missing on the mirror (404). Then the
#   upstream .orig.tar.* is unpacked alone, after checking its sha256 against
#   the signed .dsc, and the tree has NOT had Debian's patches applied.
# - Once a tree is unpacked (its .stamp file exists) the script does nothing
#   but print its path, without the network. Delete .cache/src/PACKAGE_* to
#   fetch again (e.g. for a newer Debian revision).
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: tools/fetch-source.sh PACKAGE [VERSION-PREFIX]" >&2
    exit 2
fi
pkg=$1
prefix=${2:-}
case "$pkg" in
    *[!a-z0-9.+-]* | [!a-z0-9]*) echo "fetch-source: '$pkg' is not a Debian package name" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
aptdir=$top/.cache/apt
srcdir=$top/.cache/src
dldir=$aptdir/downloads
log=$aptdir/$pkg.log
keyrings="debian-keyring debian-nonupload debian-maintainers"

die() { echo "fetch-source: $*" >&2; exit 1; }
say() { echo "fetch-source: $*" >&2; }

# version_matches VERSION: does it start with the prefix asked for? The prefix
# may leave out the epoch ("1.35" matches busybox's "1:1.35.0-4").
version_matches() {
    case "$1" in "$prefix"*) return 0 ;; esac
    case "${1#*:}" in "$prefix"*) return 0 ;; esac
    return 1
}

# highest VERSION...: the highest of the versions, by Debian's ordering.
highest() {
    best=$1
    shift
    for v in "$@"; do
        if dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
    done
    echo "$best"
}

# only_debian_part_404: is the one file missing after the download the
# Debian part of the package (.debian.tar.*, or .diff.gz in format 1.0), and
# did the mirror answer 404 for it?
only_debian_part_404() {
    [ "$apt_ok" = no ] && [ "$(echo "$missing" | wc -l)" -eq 1 ] || return 1
    case "$missing" in *.debian.tar.* | *.diff.gz) ;; *) return 1 ;; esac
    grep -q ' 404 ' "$log"
}

mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$dldir" "$srcdir"

# Two builds may ask for the same package at once (make -j, parallel tests).
exec 9>"$aptdir/fetch.lock"
flock 9

# An unpacked tree is named PACKAGE_VERSION (Debian's file naming, without
# the epoch); its stamp beside it records the full version and the patches.
found=""
for stamp in "$srcdir/${pkg}"_*.stamp; do
    [ -f "$stamp" ] || continue
    v=$(sed -n 's/^version=//p' "$stamp")
    if version_matches "$v"; then found="$found $v"; fi
done
if [ -n "$found" ]; then
    # Unquoted on purpose: one argument per version (versions have no spaces).
    # shellcheck disable=SC2086
    v=$(highest $found)
    echo "$srcdir/${pkg}_${v#*:}"
    exit 0
fi

# The mirror: the first URI of a deb or deb-src entry ending in /debian in
# the host's sources (one-line or deb822 format). That is the main archive,
# which serves bookworm and bookworm-updates (not debian-security).
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
             /etc/apt/sources.list.d/*.sources 2>/dev/null |
         sed -n -e 's/^URIs:[[:space:]]*//p' \
                -e 's/^deb\(-src\)\{0,1\}[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]\{1,\}\).*/\3/p' |
         tr -s ' \t' '\n' | sed 's,/*$,,' | grep '/debian$' | head -n 1) ||
    true
[ -n "$mirror" ] || die "no Debian mirror (a URI ending in /debian) in /etc/apt/sources.list or /etc/apt/sources.list.d/"

# apt's options, kept in "$@" (sh has no arrays). Dir:: paths must be
# absolute: a relative one is taken relative to apt's own directories
# (/var/lib/apt/, /var/cache/apt/), not to the current one.
set -- -q \
    -o Dir::Etc::SourceList="$aptdir/sources.list" \
    -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$aptdir/lists" \
    -o Dir::Cache="$aptdir/cache"

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat > "$aptdir/sources.list.new" <<EOF
deb-src [signed-by=$keyring] $mirror bookworm main
deb-src [signed-by=$keyring] $mirror bookworm-updates main
EOF
update=""
if ! cmp -s "$aptdir/sources.list.new" "$aptdir/sources.list"; then
    mv "$aptdir/sources.list.new" "$aptdir/sources.list"
    update="the sources list is new"
else
    rm -f "$aptdir/sources.list.new"
fi
# apt cleans unknown files out of its lists folder, so the time of the last
# update is kept beside it, in .cache/apt/updated.
if [ -z "$(find "$aptdir/updated" -mmin -1440 2>/dev/null)" ]; then
    update=${update:-"the lists are missing or more than a day old"}
fi
if [ -n "$update" ]; then
    say "apt-get update ($update)"
    # --error-on=any: without it a failed download is only a warning.
    apt-get "$@" --error-on=any update > "$log" 2>&1 ||
        die "apt-get update failed (network down?): $(grep -m1 '^[EW]:' "$log" || tail -n1 "$log")"
    touch "$aptdir/updated"
fi

# The source package's versions in the lists; showsrc also lists the source
# packages building a binary package of that name, hence the filter.
records=$(apt-cache "$@" showsrc "$pkg" 2>/dev/null || true)
versions=$(echo "$records" |
           awk -v p="$pkg" '/^Package: /{ ours = ($2 == p) } ours && /^Version: /{ print $2 }')
if [ -z "$versions" ]; then
    source=$(echo "$records" | sed -n 's/^Package: //p' | sort -u | paste -sd ' ' -)
    [ -z "$source" ] || die "'$pkg' is a binary package; its source package is: $source"
    die "no source package '$pkg' in bookworm at $mirror"
fi
matching=""
for v in $versions; do
    if version_matches "$v"; then matching="$matching $v"; fi
done
[ -n "$matching" ] || die "no version of $pkg starts with '$prefix' (there are: $(echo "$versions" | paste -sd ' ' -))"
# shellcheck disable=SC2086
version=$(highest $matching)
name=${pkg}_${version#*:}
dsc=$dldir/$name.dsc

# Download the .dsc and the tarballs it names. A failure is only final once
# we know which file is missing (see the fallback below). The sandbox user
# _apt cannot write into the repository's folder, so apt downloads as the
# user running this script (apt would do that anyway, with a warning).
say "downloading $pkg $version"
if (cd "$dldir" && apt-get "$@" -o APT::Sandbox::User=root \
                       source --download-only "$pkg=$version") > "$log" 2>&1; then
    apt_ok=yes
else
    apt_ok=no
fi
[ -f "$dsc" ] || die "could not download $name.dsc: $(grep -m1 '^E:' "$log" || tail -n1 "$log")"

# Check the signature before trusting a byte of the package. gpgv writes
# the signed text alone to $signed: the checksums are read from it, so that
# nothing outside the signature can add to them.
signed=$aptdir/$name.dsc.signed
[ -f /usr/share/keyrings/debian-keyring.gpg ] ||
    die "no /usr/share/keyrings/debian-keyring.gpg to check $name.dsc with: install debian-keyring"
signer=""
complaint=""
for k in $keyrings; do
    kr=/usr/share/keyrings/$k.gpg
    [ -f "$kr" ] || continue
    if gpgv --keyring "$kr" --output "$signed" "$dsc" > "$aptdir/gpgv.out" 2>&1; then
        signer=$k
        break
    fi
    # gpgv's verdict, without its lines naming the key. A BAD signature
    # says more than "No public key" from another keyring.
    line=$(grep -v -e 'Signature made' -e 'using ' -e 'issuer ' "$aptdir/gpgv.out" | head -n1)
    case "$line" in *BAD*) complaint=$line ;; *) complaint=${complaint:-$line} ;; esac
done
[ -n "$signer" ] || die "signature check of $name.dsc failed against the keyrings ($keyrings): $complaint"

# The files the .dsc names, as "SHA256 NAME" lines.
checksums=$(awk '/^Checksums-Sha256:/ { in_list = 1; next }
                 /^[^ ]/             { in_list = 0 }
                 in_list && NF == 3  { print $1, $3 }' "$signed")
[ -n "$checksums" ] || die "$name.dsc lists no Checksums-Sha256"
missing=$(echo "$checksums" | while read -r _ f; do [ -f "$dldir/$f" ] || echo "$f"; done)

tmp=$(mktemp -d "$srcdir/.unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ -z "$missing" ]; then
    # dpkg-source checks every checksum again and applies the patches.
    dpkg-source -x "$dsc" "$tmp/tree" >> "$log" 2>&1 ||
        die "dpkg-source -x $name.dsc failed: $(grep -m1 'error' "$log" || tail -n1 "$log") (log: $log)"
    patches=applied
else
    # Only the Debian part missing on the mirror (404) has a fallback; any
    # other missing file is an error.
    only_debian_part_404 ||
        die "could not download $(echo "$missing" | head -n1): $(grep -m1 '^E:' "$log" || tail -n1 "$log")"
    orig=$(echo "$checksums" | awk '$2 ~ /\.orig\.tar\.[a-z0-9]+$/ { print $2 }')
    [ -n "$orig" ] || die "$missing is missing on the mirror (404) and $pkg has no .orig tarball to fall back to"
    say "$missing is missing on the mirror (404): unpacking $orig alone, WITHOUT Debian's patches"
    echo "$checksums" | awk -v f="$orig" '$2 == f { print $1 "  " f }' |
        (cd "$dldir" && sha256sum --check --quiet --strict) > /dev/null 2>&1 ||
        die "$orig does not match the sha256 in the signed $name.dsc"
    mkdir "$tmp/x"
    tar -xf "$dldir/$orig" -C "$tmp/x" || die "could not unpack $orig"
    # Like dpkg-source: a tarball holding one top folder gives that folder.
    set -- "$tmp"/x/*
    if [ $# -eq 1 ] && [ -d "$1" ]; then mv "$1" "$tmp/tree"; else mv "$tmp/x" "$tmp/tree"; fi
    patches="NOT applied"
fi

rm -rf "${srcdir:?}/$name"
mv "$tmp/tree" "$srcdir/$name"
printf 'version=%s\npatches=%s\nsigned-by=%s\n' "$version" "$patches" "$signer" > "$srcdir/$name.stamp"
say "$pkg $version unpacked (signed by a key in $signer.gpg; Debian patches $patches)"
echo "$srcdir/$name"
