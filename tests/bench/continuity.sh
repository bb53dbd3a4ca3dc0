#!/bin/bash
# The continuity section of `make bench` (tests/bench/run.sh): a console
# with N HTTP probes every 30 s against a small HTTP server on loopback,
# then the same with N push checks pinged every minute. Measures the
# console's CPU share in each phase (from /proc), the probes' scheduling
# lateness (p50, p99, max: due to taken by a worker, from kastroctl console
# status) and, as the reference in the same run, curl making the same N
# requests of a round (its own CPU time).
#
# usage: tests/bench/continuity.sh BUILD_DIR N PHASE_SECONDS RESULT_FILE
# Writes KEY=VALUE lines to RESULT_FILE; exit 1 when something broke.
set -u
B=$1 N=$2 PHASE=$3 RES=$4
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
PY=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kastro-bench-cont.XXXXXX") || exit 1
chmod 755 "$tmp"
cpid="" wpid=""
stop() { [ -n "$1" ] && { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }; return 0; }
cleanup() { stop "$cpid"; stop "$wpid"; rm -rf "$tmp"; }
trap cleanup EXIT
die() { echo "bench continuity: $*" >&2; exit 1; }
id kastro-console >/dev/null 2>&1 ||
	useradd --system --no-create-home --shell /usr/sbin/nologin kastro-console >/dev/null 2>&1 ||
	die "cannot create the user kastro-console"

read -r HP SP WP < <($PY -c 'import socket
s=[socket.socket() for _ in range(3)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
# the lab server: "ok" for any path, one thread per connection
$PY -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "3"); self.end_headers(); self.wfile.write(b"ok\n")
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer.request_queue_size = 1024
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$WP" &
wpid=$!

# N probes and N push checks, 10 a service
$PY - "$N" "$WP" "$tmp" <<'EOF' || die "cannot write the inventory"
import sys, uuid
n, port, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3]
urls, pings = [], []
with open(tmp + "/services.conf", "w") as f:
    for s in range(n // 10):
        f.write('service "web-%d" {\n    owner "it"\n' % s)
        for c in range(10):
            u = "http://127.0.0.1:%s/s%d/c%d" % (port, s, c)
            urls.append(u)
            f.write('    check http "%s" every 30s timeout 5s retries 2\n' % u)
        f.write("}\n")
    for s in range(n // 10):
        f.write('service "job-%d" {\n    owner "it"\n' % s)
        for c in range(10):
            u = str(uuid.uuid4())
            pings.append(u)
            f.write('    check push "j%d" uuid "%s" period 1m grace 1h\n' % (c, u))
        f.write("}\n")
open(tmp + "/urls", "w").write("\n".join(urls) + "\n")
open(tmp + "/uuids", "w").write("\n".join(pings) + "\n")
EOF
"$B/kastro-console" init --data "$tmp/data" --name 127.0.0.1 >"$tmp/init.out" 2>&1 || die "init: $(cat "$tmp/init.out")"
cat >"$tmp/console.conf" <<EOF
data "$tmp/data"
listen https on 127.0.0.1 port $HP
listen sensors on 127.0.0.1 port $SP
control "$tmp/console.sock"
include "services.conf"
EOF
"$B/kastro-console" -c "$tmp/console.conf" >"$tmp/console.log" 2>&1 &
cpid=$!
for _i in $(seq 1 100); do grep -q ready "$tmp/console.log" && break; sleep 0.1; done
grep -q ready "$tmp/console.log" || die "console did not start: $(tail -n 3 "$tmp/console.log")"
st() { "$B/kastroctl" -s "$tmp/console.sock" console status | sed -n "s/^$1=//p"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$cpid/stat"; }
hz=$(getconf CLK_TCK)

# the first round, spread over a second, then a round every 30 s
for _i in $(seq 1 60); do [ "$(st probes_run)" -ge "$N" ] 2>/dev/null && break; sleep 1; done
[ "$(st probes_run)" -ge "$N" ] || die "the first round did not finish: $(st probes_run) runs"

# phase 1: probes only
t0=$(date +%s.%N) c0=$(cpu_ticks) r0=$(st probes_run)
sleep "$PHASE"
t1=$(date +%s.%N) c1=$(cpu_ticks) r1=$(st probes_run)
# phase 2: the same, and every push check pinged once a minute (one
# connection, as a cron job host would not; the per-source limit is for
# one source, so the pings come from 127.0.0.x addresses, 100 each)
pings_round() {
	local i=0 a pids=""
	split -l 100 "$tmp/uuids" "$tmp/ping."
	for f in "$tmp"/ping.*; do
		i=$((i + 1))
		a=127.0.0.$((i + 1))
		# shellcheck disable=SC2046
		curl -s --interface "$a" --cacert "$tmp/data/ca.crt" \
			$(sed "s|^|https://127.0.0.1:$HP/ping/|" "$f") >/dev/null &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	rm -f "$tmp"/ping.*
}
p0=$(st pings)
c2=$(cpu_ticks) t2=$(date +%s.%N)
end=$(($(date +%s) + PHASE))
while [ "$(date +%s)" -lt "$end" ]; do
	s=$(date +%s)
	pings_round
	left=$((s + 60 - $(date +%s)))
	[ "$left" -gt $((end - $(date +%s))) ] && left=$((end - $(date +%s)))
	[ "$left" -gt 0 ] && sleep "$left"
done
c3=$(cpu_ticks) t3=$(date +%s.%N) p1=$(st pings)
up=$(sqlite3 "$tmp/data/console.db" "SELECT count(*) FROM svc_checks WHERE kind = 'push' AND pings > 0 AND state IN ('up', 'late')")

# the reference: curl makes a round's N requests (new connection each, as the probes do)
/usr/bin/time -f '%U %S %e' -o "$tmp/ref.time" sh -c "xargs -n 100 curl -s -H 'Connection: close' <'$tmp/urls' >/dev/null"
read -r ru rs re <"$tmp/ref.time"

{
	echo "n=$N"
	echo "phase_seconds=$PHASE"
	echo "probe_runs=$((r1 - r0))"
	echo "cpu_probes_pct=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", 100 * c / hz / (b - a) }')"
	echo "cpu_probes_round_s=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", c / hz / ((b - a) / 30) }')"
	echo "cpu_push_pct=$(awk -v c=$((c3 - c2)) -v hz="$hz" -v a="$t2" -v b="$t3" 'BEGIN { printf "%.1f", 100 * c / hz / (b - a) }')"
	echo "pings=$((p1 - p0))"
	echo "push_up=$up"
	echo "late_p50_ms=$(st probe_late_p50_ms)"
	echo "late_p99_ms=$(st probe_late_p99_ms)"
	echo "late_max_ms=$(st probe_late_max_ms)"
	echo "ref_cpu_s=$(awk -v u="$ru" -v s="$rs" 'BEGIN { printf "%.3f", u + s }')"
	echo "ref_wall_s=$re"
} >"$RES"
