#!/bin/bash
# Policy enforced on real traffic through the gateway: a port policy (the
# allowed services answer, another port on the same server does not), and
# application policy: a TLS connection whose SNI is blocked and an HTTP
# request whose Host is blocked are cut after classification while allowed
# ones pass. For the blocked TLS flow it measures how many packets got
# through the gateway after the classifying packet (the ClientHello).
#
# usage: tests/net/test_enforce.sh KASTROD
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lab.sh"

T=net_enforce
KASTROD=$1
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac
MAX_LEAK=${KASTRO_MAX_LEAK:-6}

lab_test_begin "$T"
eve=$tmp/eve.json
conf=$tmp/kastrod.conf
cat >"$conf" <<EOF2
interfaces { "gw-lan" "gw-dmz" }
eve "$eve"
interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
default block
pass proto tcp from lan to dmz port { 80 443 }
pass proto udp from lan to dmz port 53
block log severity 1 host "*.blocked.kavala.example"
EOF2
if ! "$KASTROD" -n -c "$conf" >"$tmp/check.out" 2>&1; then
	t_fail "$T: policy accepted: $(head -n 5 "$tmp/check.out" | tr '\n' ' ')"
	t_done
fi

# A service on a port the policy does not open.
lab_spawn dmz other "$(lab_python)" -m http.server --bind "$LAB_DMZ_IP4" 8081
lab_wait_listen dmz tcp 8081 10 || t_fail "$T: extra service on 8081 did not start"

klog=$tmp/kastrod.log
# ip netns exec execs kastrod: $! is its pid, for the TERM at the end
ip netns exec "$LAB_NS_GW" "$KASTROD" -c "$conf" --control "$tmp/kastrod.sock" >"$klog" 2>&1 &
kpid=$!
if ! lab_wait_until 15 grep -q 'capturing on\|inspecting queued' "$klog"; then
	t_fail "$T: kastrod did not start"
	sed 's/^/    kastrod: /' "$klog" | head -20
	t_done
fi

http() {  # http HOSTHEADER PORT -> status code ("000" when cut)
	lab_exec lan curl -s -o /dev/null -w '%{http_code}' --max-time 4 \
		-H "Host: $1" "http://$LAB_DMZ_IP4:$2/" 2>/dev/null
}

# ---- 1. port policy ---------------------------------------------------------
c=$(http portal.kavala.example 80)
[ "$c" = 200 ] && t_pass "$T: port policy: HTTP on 80 allowed" ||
	t_fail "$T: port policy: HTTP on 80 allowed: got $c"
c=$(http portal.kavala.example 8081)
[ "$c" = 000 ] && t_pass "$T: port policy: same server on 8081 refused" ||
	t_fail "$T: port policy: same server on 8081 refused: got $c"
if lab_exec lan dig +short +tries=1 +time=2 "@$LAB_DMZ_IP4" portal.kavala.example | grep -q .; then
	t_pass "$T: port policy: DNS allowed"
else
	t_fail "$T: port policy: DNS allowed"
fi

# ---- 2. application policy: HTTP Host ------------------------------------------
# A reply too large to slip through before the verdict is in place.
head -c 20000000 /dev/zero >"$LAB_DIR/www/big.bin"
fetch() {  # fetch HOSTHEADER -> bytes received of big.bin
	lab_exec lan curl -s -o /dev/null -w '%{size_download}' --max-time 4 \
		-H "Host: $1" "http://$LAB_DMZ_IP4:80/big.bin" 2>/dev/null
}
n=$(fetch e-payments.kavala.example)
[ "$n" = 20000000 ] && t_pass "$T: app policy: allowed HTTP host passes" ||
	t_fail "$T: app policy: allowed HTTP host passes: got $n of 20000000 bytes"
n=$(fetch shop.blocked.kavala.example)
[ "${n:-0}" -lt 20000000 ] && t_pass "$T: app policy: blocked HTTP host cut after classification ($n of 20000000 bytes got through)" ||
	t_fail "$T: app policy: blocked HTTP host cut: all $n bytes got through"

# ---- 2. application policy: TLS SNI, with the leak measured ---------------------
tls() {  # tls SNI -> 0 when an HTTPS request over it got its answer
	local c
	c=$(lab_exec lan curl -sk -o /dev/null -w '%{http_code}' --max-time 5 \
		--resolve "$1:443:$LAB_DMZ_IP4" "https://$1/" 2>/dev/null)
	[ "$c" = 200 ]
}
if tls e-payments.kavala.example; then
	t_pass "$T: app policy: HTTPS with an allowed SNI answered"
else
	t_fail "$T: app policy: HTTPS with an allowed SNI answered"
fi
# Count, at both ends, the packets of the next TLS connection that arrive.
leak_counter() {  # leak_counter NS MATCH...
	local ns=$1
	shift
	lab_exec "$ns" nft add table inet leak &&
		lab_exec "$ns" nft add chain inet leak in '{ type filter hook input priority 0; }' &&
		lab_exec "$ns" nft add rule inet leak in "$@" counter
}
leak_counter dmz ip saddr "$LAB_LAN_IP4" tcp dport 443 || t_fail "$T: counter at the server"
leak_counter lan ip saddr "$LAB_DMZ_IP4" tcp sport 443 || t_fail "$T: counter at the client"
if tls www.blocked.kavala.example; then
	t_fail "$T: app policy: HTTPS with a blocked SNI cut (it was answered)"
else
	t_pass "$T: app policy: HTTPS with a blocked SNI cut after classification"
fi
count() { lab_exec "$1" nft list table inet leak | grep -o "packets [0-9]*" | awk "{print \$2}"; }
at_server=$(count dmz)
at_client=$(count lan)
# Inline, the ClientHello decides and is dropped: the server sees SYN, ACK
# and the reset kastrod sends it; the client SYN-ACK (and its reset).
leak=$(( at_server - 3 + at_client - 1 ))
[ "$leak" -lt 0 ] && leak=0
echo "    blocked TLS flow: $at_server packets reached the server, $at_client the client; $leak after the ClientHello"
if [ "$at_server" -ge 3 ] && [ "$leak" -le "$MAX_LEAK" ]; then
	t_pass "$T: app policy: $leak packets of the blocked flow got through after classification (at most $MAX_LEAK)"
else
	t_fail "$T: app policy: packets after classification: $leak (server $at_server, client $at_client; at most $MAX_LEAK)"
fi

kill -TERM "$kpid"
wait "$kpid"
kpid=""
if grep -q '"event_type":"alert".*"action":"blocked".*blocked.kavala.example' "$eve" &&
	[ "$(grep -c '"event_type":"alert"' "$eve")" -ge 2 ]; then
	t_pass "$T: EVE alerts name the rule for both blocked flows"
else
	t_fail "$T: EVE alerts for the blocked flows"
	grep '"event_type":"alert"' "$eve" | head -5
fi
t_done
