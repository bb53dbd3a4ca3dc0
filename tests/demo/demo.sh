#!/bin/bash
# Kastro demo: the gateway classifying real traffic in a lab of network
# namespaces. A staff PC on the LAN resolves municipal names at the DMZ's DNS
# server and visits them over HTTP and TLS; kastrod captures on the gateway
# between them, and every event it writes is shown here as one line.
#
# usage: tests/demo/demo.sh BUILD_DIR          (make demo)
#   DEMO_SECONDS=N   stop by itself after N seconds (else: until Ctrl-C)
#   DEMO_PAUSE=S     seconds between rounds of traffic (default 2)
#   DEMO_KEEP=0|1    keep the EVE file afterwards (default: 1 unless
#                    DEMO_SECONDS is set)
#   DEMO_ALL=1       show ICMP flows too
#
# The demo is a list of components, each with demo_NAME_start, demo_NAME_stop
# and optionally demo_NAME_banner. They start in DEMO_START order and stop in
# DEMO_STOP order; a new piece (console, agent) is one more set of functions
# and one more name in both lists.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../net/lab.sh"

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
BUILD_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "demo: no such directory: $1" >&2; exit 2; }
KASTROD=$BUILD_DIR/kastrod

DEMO_SECONDS=${DEMO_SECONDS:-}
DEMO_PAUSE=${DEMO_PAUSE:-2}
if [ -n "$DEMO_SECONDS" ]; then DEMO_KEEP=${DEMO_KEEP:-0}; else DEMO_KEEP=${DEMO_KEEP:-1}; fi
DEMO_STATS_EVERY=30

DEMO_START="lab gateway viewer traffic"
DEMO_STOP="traffic gateway viewer lab"

say() { printf '%s\n' "$*"; }
die() { say "demo: $*" >&2; exit 1; }

# ---- lab: namespaces, links and the DMZ services ---------------------------

demo_lab_banner() {
	say "  staff PC    netns $LAB_NS_LAN   eth0 $LAB_LAN_IP4/24 $LAB_LAN_IP6/64"
	say "  gateway     netns $LAB_NS_GW    gw-lan $LAB_GW_LAN_IP4 $LAB_GW_LAN_IP6, gw-dmz $LAB_GW_DMZ_IP4 $LAB_GW_DMZ_IP6 (routing)"
	say "  DMZ server  netns $LAB_NS_DMZ   eth0 $LAB_DMZ_IP4/24 $LAB_DMZ_IP6/64"
	say "              HTTP :$LAB_HTTP_PORT (python3 http.server), DNS :$LAB_DNS_PORT (dnsmasq), TLS :$LAB_TLS_PORT (openssl s_server)"
	say "              names: $(for n in $LAB_DNS_NAMES; do printf '%s ' "$n.$LAB_DOMAIN"; done)"
}
demo_lab_start() { lab_up; }
demo_lab_stop() { lab_down; }

# ---- gateway: kastrod in the gateway namespace ----------------------------

KPID=""
KASTROD_RC=""
demo_gateway_banner() {
	say "  kastrod     in netns $LAB_NS_GW: -i $LAB_GW_IFACES --eve $EVE"
}
demo_gateway_start() {
	# Its own session: Ctrl-C reaches the demo only, which stops kastrod
	# with SIGTERM so that it flushes its flows (setsid execs in place).
	ip netns exec "$LAB_NS_GW" setsid "$KASTROD" -i "$LAB_GW_IFACES" --eve "$EVE" \
		>"$DEMO_DIR/kastrod.log" 2>&1 </dev/null &
	KPID=$!
	# Ready when it captures on every gateway interface.
	lab_wait_until 15 grep -q 'capturing on' "$DEMO_DIR/kastrod.log" && return 0
	if lab_alive "$KPID"; then
		say "demo: kastrod is not capturing on $LAB_GW_IFACES after 15 s; going on"
		return 0
	fi
	demo_gateway_reap
	say "demo: kastrod exited at start (status $KASTROD_RC); its log:"
	tail -n 20 "$DEMO_DIR/kastrod.log"
	return 1
}
demo_gateway_reap() {
	[ -n "$KPID" ] || return 0
	wait "$KPID" 2>/dev/null
	KASTROD_RC=$?
	KPID=""
}
demo_gateway_stop() {
	[ -n "$KPID" ] || return 0
	if [ "$DEMO_FAST" = 1 ]; then
		kill -KILL "$KPID" 2>/dev/null
	elif lab_alive "$KPID"; then
		kill -USR1 "$KPID" 2>/dev/null
		sleep 0.2
		kill -TERM "$KPID" 2>/dev/null
		lab_wait_until 15 demo_gateway_gone
		if lab_alive "$KPID"; then
			say "demo: kastrod still running 15 s after SIGTERM; killing it"
			kill -KILL "$KPID" 2>/dev/null
		fi
	fi
	demo_gateway_reap
}
demo_gateway_gone() { ! lab_alive "$KPID"; }

# ---- viewer: one readable line per EVE event ------------------------------

# time, kind, protocol, src -> dst, then the names nDPI and the parsers saw.
# ICMP flows (IPv6 neighbour discovery, mostly) are left out unless DEMO_ALL=1.
DEMO_VIEW='
def ep(ip; port): if port == null then "\(ip)" elif (ip | tostring | test(":")) then "[\(ip)]:\(port)" else "\(ip):\(port)" end;
def pad(n): tostring | . + (" " * (n - length));
def t: (.timestamp // "") | .[11:19];
def ends: "\(ep(.src_ip; .src_port)) -> \(ep(.dest_ip; .dest_port))" | pad(42);
if .event_type == "flow" and (.proto == "IPv6-ICMP" or .proto == "ICMP") and env.DEMO_ALL != "1" then
	empty
elif .event_type == "flow" then
	"\(t)  flow   \(.proto // "" | pad(4)) \(ends) \(.ndpi.protocol // .app_proto // "?" | pad(8)) \(.ndpi.hostname // "" | pad(30)) \(.flow.pkts_toserver // 0)/\(.flow.pkts_toclient // 0) pkts \(.ndpi.category // "")" +
	(if ((.ndpi.risks // []) | length) > 0 then "  risks: \(.ndpi.risks | map(tostring) | join(","))" else "" end)
elif .event_type == "dns" then
	"\(t)  dns    \(.proto // "" | pad(4)) \(ends) \(.dns.type // "" | pad(8)) \(.dns.rrname // "") \(.dns.rrtype // "")" +
	(if (.dns.answers // []) | length > 0 then " = " + ([.dns.answers[] | .rdata // "" | tostring] | join(", ")) else "" end)
elif .event_type == "tls" then
	"\(t)  tls    \(.proto // "" | pad(4)) \(ends) \(.tls.version // "" | pad(8)) SNI \(.tls.sni // "-")"
elif .event_type == "http" then
	"\(t)  http   \(.proto // "" | pad(4)) \(ends) \(.http.http_method // "" | pad(8)) \(.http.hostname // "")\(.http.url // "") \(.http.status // "")"
elif .event_type == "alert" then
	"\(t)  ALERT  \(.proto // "" | pad(4)) \(ends) \(.alert.signature // .alert.category // "")"
elif .event_type == "stats" then
	(.stats // {}) as $s | "\(t)  stats  " + ([$s | paths(type == "number")] | map(. as $p | "\($p | map(tostring) | join("."))=\($s | getpath($p))") | .[:8] | join(" "))
else
	"\(t)  \(.event_type // "?")"
end'

VPID=""
demo_viewer_banner() { say "  view        the EVE file followed and printed one line per event"; }
demo_viewer_start() {
	# tail ends by itself once kastrod has exited and the file is read.
	{
		tail -n +1 -F --pid="$KPID" "$EVE" 2>/dev/null &
		echo $! >"$DEMO_DIR/tail.pid"
		wait
	} | jq --unbuffered -r -R "fromjson? | $DEMO_VIEW" &
	VPID=$!
}
demo_viewer_stop() {
	[ -n "$VPID" ] || return 0
	# After kastrod is gone tail reads the rest and quits; bounded.
	if [ "$DEMO_FAST" = 1 ] || ! lab_wait_until 5 demo_viewer_gone; then
		kill -TERM "$(cat "$DEMO_DIR/tail.pid" 2>/dev/null)" "$VPID" 2>/dev/null
	fi
	wait "$VPID" 2>/dev/null
	VPID=""
}
demo_viewer_gone() { ! lab_alive "$VPID"; }

# ---- traffic: the staff PC uses the municipal services --------------------

TPID=""
demo_traffic_banner() {
	say "  traffic     from the staff PC every ${DEMO_PAUSE} s: DNS lookup, HTTP GET, TLS with SNI; every third round over IPv6"
}
demo_traffic_start() {
	demo_traffic_loop &
	TPID=$!
}
demo_traffic_stop() {
	[ -n "$TPID" ] || return 0
	kill -TERM "$TPID" 2>/dev/null
	# End the staff PC's programs so that the loop stops at once.
	lab_kill_ns "$LAB_NS_LAN"
	wait "$TPID" 2>/dev/null
	TPID=""
}
# run CMD in the background and wait, so that SIGTERM ends the loop at once.
_bg() { "$@" & wait $!; }
demo_traffic_loop() {
	trap 'kill $(jobs -p) 2>/dev/null; exit 0' TERM
	local names round=0 name fam rr ip url http tls
	read -r -a names <<<"$LAB_DNS_NAMES"
	while :; do
		name=${names[round % ${#names[@]}]}.$LAB_DOMAIN
		fam=4 rr=A
		[ $((round % 3)) = 2 ] && fam=6 rr=AAAA
		round=$((round + 1))
		say "$(date +%H:%M:%S)  --- staff PC -> $name: DNS $rr, HTTP GET, TLS with SNI"
		ip=$(_bg lab_exec lan dig +short +time=2 +tries=1 "@$LAB_DMZ_IP4" "$name" "$rr" | head -n 1)
		if [ -z "$ip" ]; then
			say "$(date +%H:%M:%S)  --- staff PC: $name $rr not resolved"
		else
			url=$ip
			[ "$fam" = 6 ] && url="[$ip]"
			http=$(_bg lab_exec lan curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
				--resolve "$name:$LAB_HTTP_PORT:$url" "http://$name/")
			tls=$(printf 'GET / HTTP/1.0\r\n\r\n' | _bg lab_exec lan timeout 10 \
				openssl s_client -quiet -connect "$url:$LAB_TLS_PORT" -servername "$name" 2>/dev/null |
				head -n 1 | tr -d '\r')
			case "$tls" in "HTTP/1.0 200"*) ;; *) say "$(date +%H:%M:%S)  --- staff PC: TLS to $name failed" ;; esac
			[ "$http" = 200 ] || say "$(date +%H:%M:%S)  --- staff PC: HTTP to $name failed (${http:-no answer})"
		fi
		_bg sleep "$DEMO_PAUSE"
	done
}

# ---- running it -------------------------------------------------------------

STARTED=""
INTERRUPTED=0
DEMO_FAST=0

# Stop what runs, in DEMO_STOP order. Each stop may be called again (after a
# second Ctrl-C the EXIT trap stops what is left, without waiting).
demo_stop_all() {
	local c
	for c in $DEMO_STOP; do
		case " $STARTED " in *" $c "*) ;; *) continue ;; esac
		"demo_${c}_stop"
		STARTED=$(printf ' %s' $STARTED | sed "s/ $c\b//")
	done
}

demo_summary() {
	[ -s "$EVE" ] || { say "demo: kastrod wrote no events"; return; }
	say ""
	say "Summary: $(wc -l <"$EVE") events; flows by protocol: $(jq -r -R 'fromjson? | select(.event_type == "flow") | .ndpi.protocol // .app_proto // "?"' "$EVE" | sort | uniq -c | awk '{printf "%s %s  ", $2, $1}')"
}

on_exit() {
	trap - EXIT
	trap 'DEMO_FAST=1' INT TERM
	demo_stop_all
	if [ -n "${DEMO_DIR:-}" ] && [ -d "$DEMO_DIR" ]; then
		if [ "$DEMO_KEEP" = 1 ] && [ -s "$EVE" ]; then
			say "EVE events kept in $EVE (kastrod's log: $DEMO_DIR/kastrod.log)"
		else
			rm -rf "$DEMO_DIR"
		fi
	fi
}

[ "$(id -u)" = 0 ] || die "needs root: the lab is made of network namespaces"
why=$(lab_usable) || die "$why"
[ -x "$KASTROD" ] || die "no kastrod in $BUILD_DIR (run make first)"
missing=""
for c in jq curl dig openssl dnsmasq ss tail; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -n "$(lab_python)" ] || missing="$missing python3"
[ -z "$missing" ] || die "missing programs:$missing (Debian packages: see packaging/deps.sh)"
case "$DEMO_SECONDS" in ''|*[!0-9]*) [ -z "$DEMO_SECONDS" ] || die "DEMO_SECONDS must be a number of seconds" ;; esac

DEMO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kastro-demo.XXXXXX") || die "no temp dir"
EVE=$DEMO_DIR/eve.json
trap on_exit EXIT
trap 'INTERRUPTED=1' INT
trap 'INTERRUPTED=1' TERM

say "Kastro demo: a gateway between a staff PC and the municipal DMZ, in network namespaces"
for c in $DEMO_START; do
	if declare -F "demo_${c}_banner" >/dev/null; then "demo_${c}_banner"; fi
done
if [ -n "$DEMO_SECONDS" ]; then say "Runs for $DEMO_SECONDS s."; else say "Ctrl-C stops the demo and cleans up."; fi
say ""

for c in $DEMO_START; do
	"demo_${c}_start" || die "starting the $c failed"
	STARTED="$STARTED $c"
done

start=$SECONDS
next_stats=$((SECONDS + DEMO_STATS_EVERY))
status=0
while [ "$INTERRUPTED" = 0 ]; do
	if ! lab_alive "$KPID"; then
		demo_gateway_reap
		say "demo: kastrod exited by itself (status $KASTROD_RC); its log:"
		tail -n 20 "$DEMO_DIR/kastrod.log"
		status=1
		break
	fi
	if [ -n "$DEMO_SECONDS" ] && [ $((SECONDS - start)) -ge "$DEMO_SECONDS" ]; then
		break
	fi
	if [ "$SECONDS" -ge "$next_stats" ]; then
		kill -USR1 "$KPID" 2>/dev/null
		next_stats=$((SECONDS + DEMO_STATS_EVERY))
	fi
	sleep 1 &
	wait $! 2>/dev/null
	kill $! 2>/dev/null
done

# A second Ctrl-C while stopping ends at once (the EXIT trap still cleans up).
trap 'DEMO_FAST=1; exit 130' INT TERM
say ""
say "Stopping: kastrod flushes its open flows..."
demo_stop_all
if [ "$status" = 0 ] && [ -n "$KASTROD_RC" ] && [ "$KASTROD_RC" != 0 ]; then
	say "demo: kastrod exited with status $KASTROD_RC; its log:"
	tail -n 20 "$DEMO_DIR/kastrod.log"
	status=1
fi
demo_summary
exit "$status"
