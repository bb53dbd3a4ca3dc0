#!/bin/bash
# Kastro demo: the appliance in a lab of network namespaces. A staff PC on
# the LAN resolves municipal names at the DMZ's DNS server and visits them
# over HTTP and TLS (and, each round, a betting site the policy blocks);
# kastrod captures on the gateway between them, and every event it writes is
# shown here as one line. kastro-console runs in the gateway's namespace with
# kastrod enrolled as its sensor, and its web UI is forwarded to
# https://127.0.0.1:8443/ on this machine (the next free port if 8443 is
# taken); the banner prints the URL, the login and the CA fingerprint.
#
# usage: tests/demo/demo.sh BUILD_DIR          (make demo)
#   DEMO_SECONDS=N   stop by itself after N seconds (else: until Ctrl-C)
#   DEMO_PAUSE=S     seconds between rounds of traffic (default 2)
#   DEMO_KEEP=0|1    keep the EVE file afterwards (default: 1 unless
#                    DEMO_SECONDS is set)
#   DEMO_ALL=1       show ICMP flows too
#
# The demo is a list of components, each with demo_NAME_start, demo_NAME_stop
# and optionally demo_NAME_prepare (run before the banner, for what the banner
# must show) and demo_NAME_banner. They start in DEMO_START order and stop in
# DEMO_STOP order; a new piece (agent) is one more set of functions and one
# more name in both lists.
set -u
here=$(cd "$(dirname "$0")" && pwd)
RULES_DIR=$(cd "$here/../../rules" && pwd)
. "$here/../net/lab.sh"
. "$here/demo_hooks.sh"
. "$here/services.sh"

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
BUILD_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "demo: no such directory: $1" >&2; exit 2; }
KASTROD=$BUILD_DIR/kastrod
CONSOLE=$BUILD_DIR/kastro-console
AGENT=$BUILD_DIR/kastro-agent
KASTROCTL=$BUILD_DIR/kastroctl

DEMO_SECONDS=${DEMO_SECONDS:-}
DEMO_PAUSE=${DEMO_PAUSE:-2}
if [ -n "$DEMO_SECONDS" ]; then DEMO_KEEP=${DEMO_KEEP:-0}; else DEMO_KEEP=${DEMO_KEEP:-1}; fi
DEMO_STATS_EVERY=30

DEMO_START="lab hooks console gateway agent viewer traffic services"
DEMO_STOP="services traffic agent gateway viewer console hooks lab"

# The HTTP host the staff PC visits each round and the gateway's policy
# blocks: an alert on the console every round.
DEMO_BLOCKED_HOST=www.online-casino.example

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

# ---- console: kastro-console in the gateway namespace, its web UI here ------

# The console listens on the gateway namespace's loopback only (HTTPS for the
# officers and the enrolment on 8443, the sensor port on 7443); forward.py
# binds 127.0.0.1:CONSOLE_PORT here and relays into it, so the officer's
# browser on this machine reaches it and nothing listens on another address.
CONSOLE_HTTPS=8443
CONSOLE_SENSORS=7443
CONSOLE_PORT=""
CONSOLE_PW=""
CONSOLE_FP=""
CPID=""
FPID=""
demo_console_prepare() {
	local p
	CDATA=$DEMO_DIR/console
	CSOCK=$DEMO_DIR/console.sock
	LINK_DIR=$DEMO_DIR/link
	# kastrod's link (an unprivileged user) must reach its directory here.
	chmod 0711 "$DEMO_DIR"
	if ! "$CONSOLE" init --data "$CDATA" --name 127.0.0.1 >"$DEMO_DIR/console-init.out" 2>&1; then
		say "demo: kastro-console init failed:"
		cat "$DEMO_DIR/console-init.out"
		return 1
	fi
	CONSOLE_PW=$(sed -n '1s/^admin password: //p' "$DEMO_DIR/console-init.out")
	CONSOLE_FP=$(sed -n 's/^CA fingerprint: //p' "$DEMO_DIR/console-init.out")
	[ -n "$CONSOLE_PW" ] && [ -n "$CONSOLE_FP" ] || { say "demo: kastro-console init printed no password or fingerprint"; return 1; }
	cat >"$DEMO_DIR/console.conf" <<EOF
data "$CDATA"
listen https on 127.0.0.1 port $CONSOLE_HTTPS
listen https on $LAB_GW_LAN_IP4 port $CONSOLE_HTTPS
listen sensors on 127.0.0.1 port $CONSOLE_SENSORS
listen sensors on $LAB_GW_LAN_IP4 port $CONSOLE_SENSORS
control "$CSOCK"
EOF
	[ -z "$HOOKS_CONF" ] || printf '%s\n' "$HOOKS_CONF" >>"$DEMO_DIR/console.conf"
	# The first free port from 8443 on this machine's loopback.
	for p in $(seq 8443 8543); do
		if [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then CONSOLE_PORT=$p; break; fi
	done
	[ -n "$CONSOLE_PORT" ] || { say "demo: no free TCP port in 8443-8543"; return 1; }
}
demo_console_banner() {
	say "  console     kastro-console in netns $LAB_NS_GW on 127.0.0.1:$CONSOLE_HTTPS (sensors :$CONSOLE_SENSORS), kastrod enrolled as its gateway"
	say "              web UI:  https://127.0.0.1:$CONSOLE_PORT/   (forwarded from this machine's loopback)"
	say "              login:   admin / $CONSOLE_PW"
	say "              CA:      $CONSOLE_FP"
	say "                       (the browser warns: compare this, or import $CDATA/ca.crt)"
}
demo_console_start() {
	local tok id
	# Own sessions, as kastrod: Ctrl-C reaches the demo only, which stops
	# them. ip netns exec and setsid exec in place: the pids are theirs.
	ip netns exec "$LAB_NS_GW" setsid "$CONSOLE" -c "$DEMO_DIR/console.conf" \
		>"$DEMO_DIR/console.log" 2>&1 </dev/null &
	CPID=$!
	if ! lab_wait_until 15 test -S "$CSOCK" || ! lab_wait_until 10 grep -q ready "$DEMO_DIR/console.log"; then
		say "demo: kastro-console did not start; its log:"
		tail -n 20 "$DEMO_DIR/console.log"
		return 1
	fi
	tok=$("$KASTROCTL" -s "$CSOCK" token create --kind gateway | sed -n 's/^token=//p')
	[ -n "$tok" ] || { say "demo: kastroctl token create gave no token"; return 1; }
	if ! id=$(lab_exec gw "$KASTROD" enroll --console "127.0.0.1:$CONSOLE_HTTPS" --dir "$LINK_DIR" \
		--token "$tok" --ca-fingerprint "$CONSOLE_FP" 2>"$DEMO_DIR/enroll.err") || [ -z "$id" ]; then
		say "demo: kastrod enroll failed: $(cat "$DEMO_DIR/enroll.err")"
		return 1
	fi
	setsid "$(lab_python)" "$here/forward.py" "$CONSOLE_PORT" "$LAB_NS_GW" "$CONSOLE_HTTPS" \
		>"$DEMO_DIR/forward.log" 2>&1 </dev/null &
	# shellcheck disable=SC2034  # read through demo_console_kill FPID
	FPID=$!
	if ! lab_wait_until 10 grep -q '^forwarding' "$DEMO_DIR/forward.log"; then
		say "demo: the forwarder to the console did not start; its log:"
		tail -n 5 "$DEMO_DIR/forward.log"
		return 1
	fi
}
# demo_console_kill VAR: stop the process whose pid is in VAR (TERM, then KILL).
demo_console_kill() {
	local pid=${!1}
	[ -n "$pid" ] || return 0
	if lab_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		[ "$DEMO_FAST" = 1 ] || lab_wait_until 10 demo_console_gone "$pid"
		lab_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	lab_alive "$pid" && wait "$pid" 2>/dev/null
	printf -v "$1" '%s' ""
}
demo_console_gone() { ! lab_alive "$1"; }
demo_console_stop() {
	demo_console_kill FPID
	demo_console_kill CPID
}

# ---- agent: kastro-agent on the staff PC -----------------------------------

# The staff PC enrols with the console on the gateway's LAN address, scans
# a stand-in home directory with Kastro's starter rule, and watches it; an
# EICAR test file dropped there a few seconds in becomes a finding on the
# console's dashboard.
APID=""
demo_agent_banner() {
	say "  agent       kastro-agent in netns $LAB_NS_LAN, enrolled with the console at $LAB_GW_LAN_IP4:$CONSOLE_HTTPS;"
	say "              watches $DEMO_DIR/staff-home, where an EICAR test file is dropped after 5 s"
	say "              (kastroctl -s $DEMO_DIR/agent.sock agent status)"
}
demo_agent_start() {
	local tok adir=$DEMO_DIR/agent
	[ -n "$CPID" ] || return 0
	mkdir -p "$DEMO_DIR/staff-home/Downloads"
	printf 'Minutes of the council meeting\n' >"$DEMO_DIR/staff-home/minutes.txt"
	cat >"$DEMO_DIR/agent.conf" <<EOF
console { address "$LAB_GW_LAN_IP4" port $CONSOLE_SENSORS enroll-port $CONSOLE_HTTPS }
dir "$adir"
rules "$RULES_DIR/agent-rules"
heartbeat 10s
scan {
	path "$DEMO_DIR/staff-home"
	watch "$DEMO_DIR/staff-home"
	schedule every 1h
}
EOF
	tok=$("$KASTROCTL" -s "$CSOCK" token create --kind agent | sed -n 's/^token=//p')
	[ -n "$tok" ] || { say "demo: kastroctl token create gave no agent token"; return 1; }
	if ! lab_exec lan "$AGENT" enroll -c "$DEMO_DIR/agent.conf" --token "$tok" \
		--ca-fingerprint "$CONSOLE_FP" >/dev/null 2>"$DEMO_DIR/agent-enroll.err"; then
		say "demo: kastro-agent enroll failed: $(cat "$DEMO_DIR/agent-enroll.err")"
		return 1
	fi
	ip netns exec "$LAB_NS_LAN" setsid "$AGENT" -c "$DEMO_DIR/agent.conf" -s "$DEMO_DIR/agent.sock" \
		>"$DEMO_DIR/agent.log" 2>&1 </dev/null &
	APID=$!
	if ! lab_wait_until 15 grep -q 'running as sensor' "$DEMO_DIR/agent.log"; then
		say "demo: kastro-agent did not start; its log:"
		tail -n 20 "$DEMO_DIR/agent.log"
		return 1
	fi
	"$KASTROCTL" -s "$DEMO_DIR/agent.sock" agent scan >/dev/null
	# A staff member "downloads" the test file: the watch scans it at once.
	( sleep 5
	  printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' \
		>"$DEMO_DIR/staff-home/Downloads/invoice.com" ) &
}
demo_agent_stop() {
	demo_console_kill APID
}

# ---- gateway: kastrod in the gateway namespace ----------------------------

KPID=""
KASTROD_RC=""
demo_gateway_banner() {
	say "  kastrod     in netns $LAB_NS_GW: -c $DEMO_DIR/kastrod.conf -i $LAB_GW_IFACES --eve $EVE"
	say "              policy: pass, but block log host $DEMO_BLOCKED_HOST$([ -n "$CONSOLE_PORT" ] && printf '; events to the console')"
}
demo_gateway_start() {
	{
		say "# written by tests/demo/demo.sh"
		if [ -n "$CPID" ]; then
			say "console { address \"127.0.0.1\" port $CONSOLE_SENSORS dir \"$LINK_DIR\" spool-size 64MB }"
		fi
		say "block log severity 2 host { \"$DEMO_BLOCKED_HOST\" }"
	} >"$DEMO_DIR/kastrod.conf"
	# Its own session: Ctrl-C reaches the demo only, which stops kastrod
	# with SIGTERM so that it flushes its flows (setsid execs in place).
	ip netns exec "$LAB_NS_GW" setsid "$KASTROD" -c "$DEMO_DIR/kastrod.conf" \
		-i "$LAB_GW_IFACES" --eve "$EVE" --control "$DEMO_DIR/kastrod.sock" \
		>"$DEMO_DIR/kastrod.log" 2>&1 </dev/null &
	KPID=$!
	# Ready when it captures on every gateway interface.
	lab_wait_until 15 grep -q 'capturing on\|inspecting queued' "$DEMO_DIR/kastrod.log" && return 0
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
	say "  traffic     from the staff PC every ${DEMO_PAUSE} s: DNS lookup, HTTP GET, TLS with SNI; every third round over IPv6;"
	say "              and each round an HTTP GET of $DEMO_BLOCKED_HOST, which the gateway blocks"
}
demo_traffic_start() {
	demo_traffic_loop &
	TPID=$!
}
demo_traffic_gone() { ! lab_alive "$TPID"; }
demo_traffic_stop() {
	[ -n "$TPID" ] || return 0
	kill -TERM "$TPID" 2>/dev/null
	# End the staff PC's programs so that the loop stops at once.
	lab_kill_ns "$LAB_NS_LAN"
	# Bounded: after a Ctrl-C, bash may still count the loop as running when
	# it is gone, and a plain wait would then never return.
	lab_wait_until 5 demo_traffic_gone || kill -KILL "$TPID" 2>/dev/null
	lab_alive "$TPID" && wait "$TPID" 2>/dev/null
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
		# A site the policy blocks (served by the DMZ's web server, reached
		# by address): the request passes, the gateway blocks the flow once
		# nDPI has its Host, and the alert goes to the console.
		http=$(_bg lab_exec lan curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
			--resolve "$DEMO_BLOCKED_HOST:$LAB_HTTP_PORT:$LAB_DMZ_IP4" "http://$DEMO_BLOCKED_HOST/")
		if [ "$http" = 200 ]; then
			say "$(date +%H:%M:%S)  --- staff PC -> $DEMO_BLOCKED_HOST: HTTP GET answered before the block took hold"
		else
			say "$(date +%H:%M:%S)  --- staff PC -> $DEMO_BLOCKED_HOST: HTTP GET blocked by the gateway"
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
for b in "$KASTROD" "$CONSOLE" "$AGENT" "$KASTROCTL"; do
	[ -x "$b" ] || die "no $(basename "$b") in $BUILD_DIR (run make first)"
done
missing=""
for c in jq curl dig openssl dnsmasq ss tail; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -n "$(lab_python)" ] || missing="$missing python3"
command -v rsyslogd >/dev/null 2>&1 || missing="$missing rsyslogd"
"$(lab_python)" -c 'import aiosmtpd' 2>/dev/null || missing="$missing python3-aiosmtpd"
[ -z "$missing" ] || die "missing programs:$missing (Debian packages: see packaging/deps.sh)"
case "$DEMO_SECONDS" in ''|*[!0-9]*) [ -z "$DEMO_SECONDS" ] || die "DEMO_SECONDS must be a number of seconds" ;; esac

DEMO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kastro-demo.XXXXXX") || die "no temp dir"
# kastro-console drops root for its own user (made when absent), which
# must reach its data here
chmod 755 "$DEMO_DIR"
id kastro-console >/dev/null 2>&1 ||
	useradd --system --no-create-home --shell /usr/sbin/nologin kastro-console >/dev/null 2>&1 ||
	id kastro-console >/dev/null 2>&1 || die "cannot create the user kastro-console"
EVE=$DEMO_DIR/eve.json
trap on_exit EXIT
trap 'INTERRUPTED=1' INT
trap 'INTERRUPTED=1' TERM

for c in $DEMO_START; do
	if declare -F "demo_${c}_prepare" >/dev/null; then
		"demo_${c}_prepare" || die "preparing the $c failed"
	fi
done

say "Kastro demo: the console, and a gateway between a staff PC and the municipal DMZ, in network namespaces"
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
