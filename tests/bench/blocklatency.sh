#!/bin/bash
# Bench section blocklatency (called by tests/bench/run.sh): the time from
# kastrod's classification of a flow to its block element in the kernel,
# through the whole live path (sensor -> socketpair -> parent -> netlink
# batch -> answer back), on real traffic in the network lab.
#
# usage: tests/bench/blocklatency.sh BUILD_DIR FLOWS
#
# A LAN client opens FLOWS HTTP connections, one after another, each asking
# for a host that a policy rule blocks. The sensor stamps each policy query
# when it sends it and reads the clock again when the parent's block verdict
# comes back; the parent answers only once the element is committed, so
# the figure bounds classification-to-element from above. kastroctl status
# gives the percentiles. The reference, measured in the same run on the
# same kernel table: nftbench's one-flow batch (the kernel write alone).
# Prints the section's lines; exits 1 when something is broken.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../net/lab.sh"

BUILD=$1
FLOWS=$2
die() { echo "bench: error: blocklatency: $*" >&2; exit 1; }

tmp=""
kpid=""
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$kpid" ] && kill -0 "$kpid" 2>/dev/null; then
		kill -TERM "$kpid" 2>/dev/null
		sleep 0.5
		kill -KILL "$kpid" 2>/dev/null
	fi
	lab_down
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! why=$(lab_usable); then
	echo "== blocklatency: skipped ($why) =="
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/$LAB_PREFIX-lab-$LAB_ID-bench.XXXXXX") || die "no scratch directory"
chmod 755 "$tmp"
lab_up || die "the network lab could not be built"

conf=$tmp/kastrod.conf
cat >"$conf" <<EOF2
interfaces { "gw-lan" "gw-dmz" }
eve "$tmp/eve.json"
interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
default pass
block log host "*.blocked.kavala.example"
EOF2
lab_exec gw "$BUILD/kastrod" -c "$conf" --control "$tmp/kastrod.sock" >"$tmp/kastrod.log" 2>&1 &
kpid=$!
lab_wait_until 20 grep -q 'capturing on\|inspecting queued' "$tmp/kastrod.log" ||
	die "kastrod did not start: $(head -n 5 "$tmp/kastrod.log")"

# One blocked flow after another: connect, send the request, give the
# verdict time to come back, reset the connection.
lab_exec lan "$(lab_python)" - "$LAB_DMZ_IP4" "$FLOWS" <<'PY' || die "the LAN client failed"
import socket, struct, sys, time
addr, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    s = socket.create_connection((addr, 80), timeout=2)
    s.sendall(b"GET / HTTP/1.1\r\nHost: h%d.blocked.kavala.example\r\n\r\n" % i)
    time.sleep(0.02)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
PY
sleep 1.5   # the sensor reports its counters once a second
"$BUILD/kastroctl" -s "$tmp/kastrod.sock" status >"$tmp/status" 2>&1 || die "kastroctl status: $(cat "$tmp/status")"
get() { sed -n "s/^$1=//p" "$tmp/status"; }
cnt=$(get block_latency_count) p50=$(get block_latency_p50_us) p99=$(get block_latency_p99_us)
max=$(get block_latency_max_us) blocks=$(get blocks)
[ -n "$cnt" ] && [ "$cnt" -gt 0 ] || die "no block latency measured (status: $(tr '\n' ' ' <"$tmp/status"))"

lab_exec gw "$BUILD/bench/nftbench" latency 1000 60 >"$tmp/ref.out" 2>&1 ||
	die "nftbench latency failed: $(cat "$tmp/ref.out")"
ref=$(sed -n 's/^nftbench: latency rounds [0-9]* min_us [0-9.]* median_us \([0-9.]*\) p99_us \([0-9.]*\)$/\1 \2/p' "$tmp/ref.out")
[ -n "$ref" ] || die "nftbench printed no latency: $(cat "$tmp/ref.out")"
ref50=${ref% *} ref99=${ref#* }

echo
echo "== blocklatency: $FLOWS blocked HTTP flows through kastrod in the network lab (live, privilege-separated) =="
printf "  %-52s %10s %10s %10s\n" "" "median us" "p99 us" "max us"
printf "  %-52s %10s %10s %10s\n" "classification to element in place (whole path)" "$p50" "$p99" "$max"
printf "  %-52s %10s %10s %10s\n" "reference: one-flow batch, kernel write only" "$ref50" "$ref99" "-"
printf "  %-52s %10s\n" "whole path / kernel write (median)" \
	"$(awk -v a="$p50" -v b="$ref50" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')"
echo "  block verdicts measured $cnt for $FLOWS flows sent; blocks written by the parent $blocks"
