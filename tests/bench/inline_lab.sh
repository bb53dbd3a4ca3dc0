# tests/bench/inline_lab.sh - sourced by the bench sections that measure
# kastrod inline in the network lab (inline.sh, blocklatency.sh): the lab,
# its cleanup, and kastrod started on the lab's gateway with the bench
# policy (default pass; a DPI rule that can match every flow, so every
# connection is queued until judged: the worst case).
#
# The caller defines die MESSAGE (prints and exits 1), then:
#   bench_lab_begin SECTION   skips the section (exit 0) where no lab can be
#                             built; makes $tmp; builds the lab; cleans up on exit
#   bench_kastrod_start BUILD kastrod inline on the gateway ($kpid), running
#                             once its sensor inspects queued connections
#   bench_status BUILD        kastroctl status into $tmp/status
#   get KEY                   a value of that status
here=${here:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
. "$here/../lib.sh"
. "$here/../net/lab.sh"

tmp=""
kpid=""
_bench_cleanup() {
	trap - EXIT INT TERM
	if [ -n "$kpid" ] && kill -0 "$kpid" 2>/dev/null; then
		kill -TERM "$kpid" 2>/dev/null
		sleep 0.5
		kill -KILL "$kpid" 2>/dev/null
	fi
	lab_down
	[ -n "$tmp" ] && rm -rf "$tmp"
}

bench_lab_begin() {
	local _why
	trap _bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if ! _why=$(lab_usable); then
		echo "== $1: skipped ($_why) =="
		exit 0
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$LAB_PREFIX-lab-$LAB_ID-bench.XXXXXX") || die "no scratch directory"
	chmod 755 "$tmp"
	lab_up || die "the network lab could not be built"
}

bench_kastrod_start() {
	cat >"$tmp/kastrod.conf" <<EOF2
interfaces { "gw-lan" "gw-dmz" }
eve "$tmp/eve.json"
interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
default pass
block log host "*.blocked.kavala.example"
EOF2
	# ip netns exec execs kastrod: $! is its pid
	ip netns exec "$LAB_NS_GW" "$1/kastrod" -c "$tmp/kastrod.conf" --control "$tmp/kastrod.sock" \
		>"$tmp/kastrod.log" 2>&1 &
	kpid=$!
	lab_wait_until 20 grep -q 'inspecting queued' "$tmp/kastrod.log" ||
		die "kastrod did not start: $(head -n 5 "$tmp/kastrod.log")"
}

bench_status() {
	"$1/kastroctl" -s "$tmp/kastrod.sock" status >"$tmp/status" 2>&1 ||
		die "kastroctl status failed: $(head -c 300 "$tmp/status")"
}

get() { sed -n "s/^$1=//p" "$tmp/status"; }
