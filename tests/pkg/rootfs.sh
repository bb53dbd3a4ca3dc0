#!/bin/sh
# Make (once) and cache a clean Debian 12 root file system for the
# fresh-machine install test (tests/pkg/test_install.sh).
#
# usage: tests/pkg/rootfs.sh CACHE_DIR
#
# CACHE_DIR/rootfs is debootstrap's minbase of bookworm plus systemd and
# dbus (what `systemd-nspawn --boot` needs), from the Debian archive apt
# uses on this machine (read from /etc/apt/sources.list*), with its apt
# lists updated. It is made in CACHE_DIR/rootfs.new and renamed only when
# complete, so an interrupted first run never leaves a half system behind.
# The first run's download time is printed and kept in CACHE_DIR/made.
# The rootfs is never booted itself: each test run boots a copy.
set -eu
cache=$1
mkdir -p "$cache"
if [ -f "$cache/rootfs/etc/debian_version" ] && [ -f "$cache/made" ]; then
	echo "rootfs: cached ($(cat "$cache/made"))"
	exit 0
fi

# The archive apt uses here: the first deb.debian.org-like URI that serves
# bookworm (one-line or deb822 format).
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	/etc/apt/sources.list.d/*.sources 2>/dev/null |
	awk '
	/^deb[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { u = $i; s = $(i+1); break }
		if (s == "bookworm") { print u; exit } }
	/^URIs:/ { u = $2 }
	/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm" && u != "") { print u; exit } }')
[ -n "$mirror" ] || { echo "rootfs: no bookworm archive in /etc/apt/sources.list*" >&2; exit 1; }

rm -rf "$cache/rootfs.new"
t0=$(date +%s)
echo "rootfs: debootstrap bookworm from $mirror (first run; downloads ~100 MB)"
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,ca-certificates \
	bookworm "$cache/rootfs.new" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
	echo "rootfs: debootstrap failed, see $cache/debootstrap.log" >&2; exit 1; }
# The security suite too, as on the host, so the container's libraries
# are the ones the packages were built against.
sec=$(echo "$mirror" | sed 's,/debian/*$,/debian-security,')
cat >"$cache/rootfs.new/etc/apt/sources.list" <<SRC
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $sec bookworm-security main
SRC
chroot "$cache/rootfs.new" apt-get update -qq >>"$cache/debootstrap.log" 2>&1
chroot "$cache/rootfs.new" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get -y -qq upgrade' \
	>>"$cache/debootstrap.log" 2>&1
t1=$(date +%s)
echo "first download and bootstrap: $((t1 - t0)) s on $(date -u +%Y-%m-%d)" >"$cache/rootfs.new/.made"
mv "$cache/rootfs.new/.made" "$cache/made"
rm -rf "$cache/rootfs"
mv "$cache/rootfs.new" "$cache/rootfs"
echo "rootfs: $(cat "$cache/made")"
