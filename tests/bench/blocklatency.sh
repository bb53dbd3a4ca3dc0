#!/bin/bash
# Bench section blocklatency (called by tests/bench/run.sh): inline, the
# time from the arrival of the packet that decides a block (read from the
# queue by kastrod's relay) to its verdict (relay -> sensor -> relay, reset
# for the server sent, verdict ready for the kernel), on real traffic in the
# network lab.
#
# usage: tests/bench/blocklatency.sh BUILD_DIR FLOWS
#
# A LAN client opens FLOWS HTTP connections, one after another, each asking
# for a host that a policy rule blocks. The relay stamps each packet when
# it reads it from the queue and reads the clock again when the verdict
# for it is in its send buffer; kastroctl status gives the percentiles of
# the block verdicts, and for context those of every queued packet.
# Prints the section's lines; exits 1 when something is broken.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/inline_lab.sh"

BUILD=$1
FLOWS=$2
die() { echo "bench: error: blocklatency: $*" >&2; exit 1; }

bench_lab_begin blocklatency
bench_kastrod_start "$BUILD"

# One blocked flow after another: connect, send the request, wait for the
# reset (inline, the gateway resets the connection).
lab_exec lan "$(lab_python)" - "$LAB_DMZ_IP4" "$FLOWS" <<'PY' || die "the LAN client failed"
import socket, struct, sys, time
addr, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    s = socket.create_connection((addr, 80), timeout=2)
    s.sendall(b"GET / HTTP/1.1\r\nHost: h%d.blocked.kavala.example\r\n\r\n" % i)
    try:
        if s.recv(4096):
            sys.exit("a blocked request was answered")
    except (ConnectionResetError, socket.timeout):
        pass
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
PY
sleep 1.5   # the sensor reports its counters once a second
bench_status "$BUILD"
cnt=$(get inline_block_count) p50=$(get inline_block_p50_us) p99=$(get inline_block_p99_us)
max=$(get inline_block_max_us) blocks=$(get inline_blocks)
h50=$(get inline_hop_p50_us) h99=$(get inline_hop_p99_us) hmax=$(get inline_hop_max_us)
[ -n "$cnt" ] && [ "$cnt" -gt 0 ] || die "no block latency measured (status: $(tr '\n' ' ' <"$tmp/status"))"

echo
echo "== blocklatency: $FLOWS blocked HTTP flows through kastrod in the network lab (inline, privilege-separated) =="
printf "  %-52s %10s %10s %10s\n" "" "median us" "p99 us" "max us"
printf "  %-52s %10s %10s %10s\n" "deciding packet arrival to its verdict" "$p50" "$p99" "$max"
printf "  %-52s %10s %10s %10s\n" "every queued packet, relay -> sensor -> relay" "$h50" "$h99" "$hmax"
echo "  block verdicts measured $cnt for $FLOWS flows sent; connections blocked $blocks"
