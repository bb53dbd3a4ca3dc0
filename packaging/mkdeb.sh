#!/bin/sh
# Build Kastro's Debian packages with Debian's own tools (make deb).
#
# usage: packaging/mkdeb.sh OUT_DIR [VERSION]
#
# dpkg-buildpackage needs debian/ at the top of a source tree, and Kastro
# keeps its packaging in packaging/debian: so the tree (without build/ and
# .git) is copied to OUT_DIR/src, packaging/debian becomes its debian/, and
# `dpkg-buildpackage -b` runs there. The working tree's own build/out is
# never touched. VERSION (e.g. 0.1.0-2) adds a changelog entry on top, for
# a rebuilt newer package (the install test's upgrade). The four .deb files
# land in OUT_DIR; lintian then checks them (errors fail the build;
# overrides are in packaging/debian/*.lintian-overrides, each with its
# reason).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$1
ver=${2:-}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/src" "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mkdir -p "$out/src"
(cd "$top" && tar -cf - --exclude=./build --exclude=./.git .) | tar -xf - -C "$out/src"
rm -rf "$out/src/debian"
cp -a "$top/packaging/debian" "$out/src/debian"
if [ -n "$ver" ]; then
	{
		printf 'kastro (%s) bookworm; urgency=medium\n\n  * Rebuilt as %s.\n\n' "$ver" "$ver"
		printf ' -- Kastro developers <kastro-dev@kavala.example>  %s\n\n' "$(date -R)"
		cat "$out/src/debian/changelog"
	} >"$out/src/debian/changelog.new"
	mv "$out/src/debian/changelog.new" "$out/src/debian/changelog"
fi
(cd "$out/src" && dpkg-buildpackage -b -us -uc -j2) >"$out/build.log" 2>&1 || {
	tail -40 "$out/build.log" >&2
	echo "mkdeb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
}
# dpkg-buildpackage wrote the packages beside src/; the copy can go.
rm -rf "$out/src"
ls "$out"/*.deb
# No errors, and each warning named in an override with its reason.
lintian --fail-on error,warning --suppress-tags-from-file /dev/null "$out"/*.changes
