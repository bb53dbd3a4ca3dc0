#!/bin/bash
# Run every network test (tests/net/test_*.sh) against one kastrod binary.
#
# usage: tests/net/run.sh KASTROD
# Exits nonzero if any test failed. Each test is bounded by NET_TEST_TIMEOUT
# seconds (default 300); on timeout it gets SIGTERM and cleans up its lab.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
if [ $# -ne 1 ]; then
	echo "usage: $0 KASTROD" >&2
	exit 2
fi
kastrod=$1
case "$kastrod" in /*) ;; *) kastrod="$PWD/$kastrod" ;; esac
limit=${NET_TEST_TIMEOUT:-300}

out=$(mktemp "${TMPDIR:-/tmp}/kastro-net-run.XXXXXX")
trap 'rm -f "$out"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for t in "$here"/test_*.sh; do
	[ -e "$t" ] || continue
	name=${t##*/}
	echo "== net: $name"
	: >"$out.one"
	timeout --foreground -k 30 "$limit" bash "$t" "$kastrod" 2>&1 | tee "$out.one"
	rc=${PIPESTATUS[0]}
	cat "$out.one" >>"$out"
	# A test that failed without saying so (timeout, crash) still counts.
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		t_fail "net: $name: timed out after $limit s" | tee -a "$out"
	elif [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$out.one"; then
		t_fail "net: $name: exited with status $rc" | tee -a "$out"
	fi
	[ "$rc" != 0 ] && T_FAILED=1
done
rm -f "$out.one"

p=$(grep -c '^PASS ' "$out")
f=$(grep -c '^FAIL ' "$out")
s=$(grep -c '^SKIP ' "$out")
echo "net: $p passed, $f failed, $s skipped"
t_done
