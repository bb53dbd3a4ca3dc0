#!/bin/sh
# nDPI agreement test: classify every test capture with kastrod and compare
# its per-flow verdicts with nDPI 4.2's expected results (compare.py).
#
# usage: tests/ndpi/run.sh KASTROD_BINARY
#
# Captures come from $(t_testdata)/pcap (KASTRO_TESTDATA overrides the
# test data folder). Thresholds: KASTRO_NDPI_MIN_OVERALL (default 99) and
# KASTRO_NDPI_MIN_PCAP (default 95), in percent of expected flows.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"

if [ $# -ne 1 ]; then
	echo "usage: $0 KASTROD_BINARY" >&2
	exit 2
fi
case $1 in /*) kastrod=$1 ;; *) kastrod=$(pwd)/$1 ;; esac
conf=$here/kastrod-ndpi.conf
compare=$here/compare.py
min_overall=${KASTRO_NDPI_MIN_OVERALL:-99}
min_pcap=${KASTRO_NDPI_MIN_PCAP:-95}

if ! command -v python3 >/dev/null 2>&1; then
	t_fail "ndpi/compare-self-test: python3 not found"
	t_done
fi
if out=$(python3 "$compare" --self-test 2>&1); then
	t_pass "ndpi/compare-self-test"
else
	echo "$out"
	t_fail "ndpi/compare-self-test: compare.py --self-test failed"
	t_done
fi

pcapdir=$(t_testdata)/pcap
if [ ! -d "$pcapdir" ]; then
	t_skip "ndpi/agreement: no test captures at $pcapdir (set KASTRO_TESTDATA to the test data folder)"
	t_done
fi
if [ ! -x "$kastrod" ]; then
	t_fail "ndpi/agreement: kastrod binary $kastrod is not executable"
	t_done
fi
# The list files the configuration names (Debian's libndpi-dev ships them).
missing=""
lists=$(sed -n 's/^[^#]*"\(\/[^"]*\)".*/\1/p' "$conf")
while read -r f; do
	[ -z "$f" ] || [ -r "$f" ] || missing="$missing $f"
done <<EOF
$lists
EOF
if [ -n "$missing" ]; then
	t_fail "ndpi/agreement: missing nDPI list files:$missing (install libndpi-dev)"
	t_done
fi

tmp=$(mktemp -d) || { t_fail "ndpi/agreement: mktemp -d failed"; t_done; }
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

to=""
command -v timeout >/dev/null 2>&1 && to="timeout ${KASTRO_NDPI_TIMEOUT:-600}"

: >"$tmp/list"
: >"$tmp/kastrod-failed"
n=0
for pcap in "$pcapdir"/*.pcap "$pcapdir"/*.pcapng; do
	[ -f "$pcap" ] || continue
	name=$(basename "$pcap")
	if [ ! -f "$pcap.expected" ]; then
		t_skip "ndpi/$name: no expected result ($name.expected)"
		continue
	fi
	eve=$tmp/$name.eve.json
	$to "$kastrod" -r "$pcap" --eve "$eve" -c "$conf" >"$tmp/log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		sed -n '1,20s/^/    /p' "$tmp/log"
		if [ $rc -eq 124 ] && [ -n "$to" ]; then
			t_fail "ndpi/$name: kastrod -r timed out"
		else
			t_fail "ndpi/$name: kastrod -r exited with status $rc"
		fi
		echo "$name" >>"$tmp/kastrod-failed"
	fi
	printf '%s\t%s\t%s\n' "$name" "$pcap.expected" "$eve" >>"$tmp/list"
	n=$((n + 1))
done
if [ $n -eq 0 ]; then
	t_skip "ndpi/agreement: no captures with expected results in $pcapdir"
	t_done
fi

python3 "$compare" --list "$tmp/list" --tsv "$tmp/result.tsv" -v --max-details 50 \
	--min-overall "$min_overall" --min-pcap "$min_pcap"
rc=$?
if [ $rc -gt 1 ] || [ ! -s "$tmp/result.tsv" ]; then
	t_fail "ndpi/agreement: compare.py failed (status $rc)"
	t_done
fi

tab=$(printf '\t')
while IFS=$tab read -r kind name exp agree disagree miss _extra pct ok; do
	if [ "$kind" = overall ]; then
		if [ "$ok" = ok ]; then
			t_pass "ndpi/overall"
		else
			t_fail "ndpi/overall: $agree of $exp flows agree ($pct%), below $min_overall%"
		fi
		continue
	fi
	# A capture kastrod failed on is already reported as FAIL.
	grep -Fqx "$name" "$tmp/kastrod-failed" && continue
	if [ "$ok" = ok ]; then
		t_pass "ndpi/$name"
	else
		t_fail "ndpi/$name: $agree of $exp flows agree ($pct%; $disagree differ, $miss missing), below $min_pcap%"
	fi
done <"$tmp/result.tsv"
t_done
