#!/bin/bash
# Bench section inline (called by tests/bench/run.sh): forwarding through the
# gateway of the network lab with kastrod enforcing inline, against plain
# forwarding through the same namespaces without kastrod, in the same run:
# bulk TCP throughput (iperf3, 5 s), new connections per second with a small
# HTTP exchange each (sequential, one client), and the added latency of a
# flow's first packet (TCP connect time, p50/p99).
#
# The policy holds every TCP connection until detection ends (a DPI rule
# that can match any flow), which is the worst case: iperf3's stream is
# unknown to nDPI and stays queued for the stopping rule's 80 packets.
#
# usage: tests/bench/inline.sh BUILD_DIR CONNECTIONS
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/inline_lab.sh"

BUILD=$1
CONNS=$2
die() { echo "bench: error: inline: $*" >&2; exit 1; }
THROUGHPUT_TARGET=0.9
CONNRATE_TARGET=0.5

bench_lab_begin inline
command -v iperf3 >/dev/null || die "iperf3 missing (packaging/deps.sh bench installs it)"
lab_spawn dmz iperf iperf3 -s -B "$LAB_DMZ_IP4" -p 5201
lab_wait_listen dmz tcp 5201 10 || die "iperf3 server did not start"

# throughput: bits/s received
tput() {
	lab_exec lan iperf3 -c "$LAB_DMZ_IP4" -p 5201 -t 5 -J >"$tmp/iperf.json" 2>&1 ||
		die "iperf3 failed: $(head -c 300 "$tmp/iperf.json")"
	jq -r '.end.sum_received.bits_per_second' "$tmp/iperf.json"
}
# connections: "conn/s p50_us p99_us" of CONNS sequential GETs
conns() {
	lab_exec lan "$(lab_python)" - "$LAB_DMZ_IP4" "$CONNS" <<'PY' || die "the LAN client failed"
import socket, sys, time
addr, n = sys.argv[1], int(sys.argv[2])
lat = []
t0 = time.monotonic()
for i in range(n):
    a = time.monotonic()
    s = socket.create_connection((addr, 80), timeout=5)
    lat.append(time.monotonic() - a)
    s.sendall(b"GET /health HTTP/1.0\r\nHost: portal.kavala.example\r\n\r\n")
    got = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
    s.close()
    if b" 200 " not in got.split(b"\r\n", 1)[0]:
        sys.exit("request %d not answered: %r" % (i, got[:80]))
el = time.monotonic() - t0
lat.sort()
print("%.0f %.0f %.0f" % (n / el, lat[len(lat) // 2] * 1e6, lat[int(len(lat) * 0.99)] * 1e6))
PY
}

p_tput=$(tput)
read -r p_rate p_l50 p_l99 <<<"$(conns)"

bench_kastrod_start "$BUILD"
sleep 0.5
k_tput=$(tput)
read -r k_rate k_l50 k_l99 <<<"$(conns)"
sleep 1.2
bench_status "$BUILD"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t) ? "met" : "MISSED" }'; }
gb() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e9 }'; }
rt=$(ratio "$k_tput" "$p_tput") rc=$(ratio "$k_rate" "$p_rate")
echo
echo "== inline: through the lab's gateway, kastrod inline against plain forwarding (same namespaces, same run) =="
printf "  %-44s %12s %12s %8s   %s\n" "" "plain" "kastrod" "ratio" "target"
printf "  %-44s %12s %12s %8s   >= %s %s\n" "TCP throughput, iperf3 5 s (Gbit/s)" "$(gb "$p_tput")" "$(gb "$k_tput")" "$rt" \
	"$THROUGHPUT_TARGET" "$(verdict "$rt" "$THROUGHPUT_TARGET")"
printf "  %-44s %12s %12s %8s   >= %s %s\n" "new connections/s, one GET each ($CONNS)" "$p_rate" "$k_rate" "$rc" \
	"$CONNRATE_TARGET" "$(verdict "$rc" "$CONNRATE_TARGET")"
printf "  %-44s %12s %12s %8s\n" "first packet: connect time p50 (us)" "$p_l50" "$k_l50" \
	"+$(awk -v a="$k_l50" -v b="$p_l50" 'BEGIN { print a - b }')"
printf "  %-44s %12s %12s %8s\n" "first packet: connect time p99 (us)" "$p_l99" "$k_l99" \
	"+$(awk -v a="$k_l99" -v b="$p_l99" 'BEGIN { print a - b }')"
echo "  kastrod: $(get inline_queued) packets queued, $(get inline_verdicts) verdicts, relay -> sensor -> relay" \
	"p50 $(get inline_hop_p50_us) us, p99 $(get inline_hop_p99_us) us; fail_open $(get inline_fail_open)," \
	"fail_closed $(get inline_fail_closed)"
