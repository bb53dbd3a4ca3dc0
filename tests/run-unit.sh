#!/bin/sh
# Run cmocka unit test binaries; report one PASS/FAIL line per binary.
. "$(dirname "$0")/lib.sh"
for t in "$@"; do
	name="unit/$(basename "$t")"
	case "$t" in */san/*) name="$name (asan+ubsan)" ;; esac
	if out=$("$t" 2>&1); then t_pass "$name"; else echo "$out"; t_fail "$name"; fi
done
t_done
