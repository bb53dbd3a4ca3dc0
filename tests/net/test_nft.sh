#!/bin/bash
# kastrod's nftables writer (daemon/nft.c), driven by bench/nftbench in the
# gateway namespace of a lab (LAN host -> gateway -> DMZ host), on real
# traffic:
#   - the static ruleset loads, loads again keeping set elements, changes
#     (sets and chains dropped, a set type and a chain priority changed);
#     a bad ruleset leaves the running one exactly as it was;
#   - blocked flows (IPv4, IPv6) are in flows4/flows6 both ways with the
#     right values and timeouts (renewed when blocked again), and a blocked
#     TCP connection stalls while another one between the same hosts goes on;
#   - quarantine add (with and without timeout), release;
#   - 1,000,000-entry IPv4 and IPv6 tables load, block a listed address,
#     and a replacement never leaves an instant where the table is empty
#     (a ping flood against a listed address gets no reply through it).
#
# usage: tests/net/test_nft.sh KASTROD
# (KASTROD names the build: nftbench is built beside it, in bench/.)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
# no DMZ services: the test brings its own
LAB_SERVICES=0
. "$here/lab.sh"

T=net_nft
if [ $# -ne 1 ]; then
	echo "usage: $0 KASTROD" >&2
	exit 2
fi
KASTROD=$1

lab_need "$T" nft ping awk make gcc

# ---- the driver, built with the same flags as KASTROD ----------------------
root=$(cd "$here/../.." && pwd)
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac
bdir=$(cd "$(dirname "$KASTROD")" 2>/dev/null && pwd)
if [ "$bdir" = "$root/build/san" ]; then san=1 rel=build/san; else san=0 rel=build/out; fi
if ! make -C "$root" --no-print-directory SAN=$san "$rel/bench/nftbench" >/dev/null 2>"${TMPDIR:-/tmp}/nftbench-build.$$"; then
	t_fail "$T: build $rel/bench/nftbench: $(tail -n 5 "${TMPDIR:-/tmp}/nftbench-build.$$")"
	rm -f "${TMPDIR:-/tmp}/nftbench-build.$$"
	t_done
fi
rm -f "${TMPDIR:-/tmp}/nftbench-build.$$"
NB=$root/$rel/bench/nftbench

lab_test_begin "$T"
t_pass "$T: lab up ($LAB_NS_LAN -> $LAB_NS_GW -> $LAB_NS_DMZ)"

gw() { lab_exec gw "$@"; }
nb() { gw "$NB" "$@"; }
# The ruleset as nft lists it, without the running timers.
ruleset() { gw nft list ruleset | sed 's/ expires [0-9hms]*//g'; }
# in_set SET ELEMENT: the element (a key) is in the set.
in_set() { gw nft get element inet kastro "$1" "{ $2 }" >/dev/null 2>&1; }

L4=$LAB_LAN_IP4 D4=$LAB_DMZ_IP4 L6=$LAB_LAN_IP6 D6=$LAB_DMZ_IP6

# ---- the static ruleset ------------------------------------------------------
# write_ruleset FILE [PRIORITY] [EXTRA]: the test policy; EXTRA=1 adds a set
# and a chain that a later version drops, T4FLAGS the flags of t4.
write_ruleset() {
	local extra=${3:-1}
	{
	echo "# test ruleset"
	echo "table inet kastro {"
	echo "	set flows4 { type ipv4_addr . inet_proto . inet_service . ipv4_addr . inet_service; flags timeout; }"
	echo "	set flows6 { type ipv6_addr . inet_proto . inet_service . ipv6_addr . inet_service; flags timeout; }"
	echo "	set quarantine4 { type ipv4_addr; flags timeout; }"
	echo "	set quarantine6 { type ipv6_addr; flags timeout; }"
	echo "	set t4 { type ipv4_addr; flags ${T4FLAGS:-interval}; }"
	echo "	set t6 { type ipv6_addr; flags interval; }"
	echo "	set inline4 { type ipv4_addr; elements = { ${INLINE:-192.0.2.1, 192.0.2.2} } }"
	[ "$extra" = 1 ] && echo "	set extra4 { type ipv4_addr; }"
	echo "	chain forward {"
	echo "		type filter hook forward priority ${2:-0}; policy accept;"
	echo "		ip saddr @quarantine4 drop"
	echo "		ip daddr @quarantine4 drop"
	echo "		ip6 saddr @quarantine6 drop"
	echo "		ip6 daddr @quarantine6 drop"
	echo "		ip saddr . meta l4proto . th sport . ip daddr . th dport @flows4 drop"
	echo "		ip6 saddr . meta l4proto . th sport . ip6 daddr . th dport @flows6 drop"
	echo "		ip daddr @t4 drop"
	echo "		ip6 daddr @t6 drop"
	echo "		ip saddr @inline4 drop"
	[ "$extra" = 1 ] && echo "		ip saddr @extra4 jump side"
	echo "	}"
	[ "$extra" = 1 ] && echo "	chain side { counter; }"
	echo "}"
	} >"$1"
}
write_ruleset "$tmp/r1.nft"

out=$(nb exists 2>&1)
if [ "$out" = "exists 0" ]; then t_pass "$T: no table before the first load"; else
	t_fail "$T: no table before the first load: $out"; fi
if out=$(nb apply "$tmp/r1.nft" 2>&1) && [ "$(nb exists 2>&1)" = "exists 1" ]; then
	t_pass "$T: ruleset loads"
else
	t_fail "$T: ruleset loads: $out"
	t_done
fi

# ---- flows: both directions, values, timeouts ----------------------------------
if out=$(nb block 3600 "6,$L4,40001,$D4,9000" "17,$L6,5353,$D6,53" 2>&1); then
	t_pass "$T: block an IPv4 and an IPv6 flow"
else
	t_fail "$T: block an IPv4 and an IPv6 flow: $out"
fi
lst=$(gw nft list set inet kastro flows4; gw nft list set inet kastro flows6)
for e in "$L4 . tcp . 40001 . $D4 . 9000 timeout 1h" "$D4 . tcp . 9000 . $L4 . 40001 timeout 1h" \
	"$L6 . udp . 5353 . $D6 . 53 timeout 1h" "$D6 . udp . 53 . $L6 . 5353 timeout 1h"; do
	if printf '%s\n' "$lst" | grep -qF "$e"; then t_pass "$T: flow element: $e"; else
		t_fail "$T: flow element: $e: not in 'nft list set'"; printf '%s\n' "$lst" | sed 's/^/    /'; fi
done
nb block 10 "6,$L4,40009,$D4,9009" >/dev/null
sleep 3
nb block 10 "6,$L4,40009,$D4,9009" >/dev/null
exp=$(gw nft list set inet kastro flows4 | grep -o "40009 \. $D4 \. 9009 timeout 10s expires [0-9]*s" | awk '{print $NF}')
case $exp in 9s|10s) t_pass "$T: blocking again renews the timeout (expires in $exp of 10s)" ;;
*) t_fail "$T: blocking again renews the timeout: expires '$exp' after 3 s (want 9s or 10s)" ;; esac

# ---- quarantine ----------------------------------------------------------------
nb quarantine-add 192.0.2.77 0 && nb quarantine-add 2001:db8::77 60 && nb quarantine-add 192.0.2.78 60 &&
	nb quarantine-add 192.0.2.78 0 >/dev/null
q4=$(gw nft list set inet kastro quarantine4) q6=$(gw nft list set inet kastro quarantine6)
if printf '%s' "$q4" | grep -qE 'elements = \{ 192\.0\.2\.77, 192\.0\.2\.78 \}|elements = \{ 192\.0\.2\.78, 192\.0\.2\.77 \}' &&
	printf '%s' "$q6" | grep -q '2001:db8::77 timeout 1m'; then
	t_pass "$T: quarantine add: without timeout, with timeout, timeout dropped when added again without"
else
	t_fail "$T: quarantine add: got: $(printf '%s %s' "$q4" "$q6" | grep elements)"
fi
if nb quarantine-del 192.0.2.77 && nb quarantine-del 2001:db8::77 && ! in_set quarantine4 192.0.2.77 &&
	! in_set quarantine6 2001:db8::77 && in_set quarantine4 192.0.2.78; then
	t_pass "$T: quarantine release"
else
	t_fail "$T: quarantine release"
fi
out=$(nb quarantine-del 192.0.2.77 2>&1)
case $out in *quarantine4*) t_fail "$T: the message names an internal set: '$out'" ;;
*"192.0.2.77 is not in quarantine"*) t_pass "$T: releasing a host not in quarantine says so" ;;
*) t_fail "$T: releasing a host not in quarantine says so: got '$out'" ;; esac
nb quarantine-del 192.0.2.78

# ---- reloads ---------------------------------------------------------------------
printf '198.51.100.0/24\n' >"$tmp/small4.txt"
nb table t4 4 "$tmp/small4.txt" >/dev/null
gw nft add element inet kastro extra4 '{ 192.0.2.9 }'
before=$(ruleset)
nb apply "$tmp/r1.nft" >/dev/null && nb apply "$tmp/r1.nft" >/dev/null
after=$(ruleset)
if [ "$before" = "$after" ] && printf '%s' "$after" | grep -q 198.51.100.0/24; then
	t_pass "$T: loading the same ruleset twice keeps every set element"
else
	t_fail "$T: loading the same ruleset twice keeps every set element:"
	diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | head -n 20 | sed 's/^/    /'
fi

# bad rulesets: refused by the kernel, by the parser, by kastro's own check
sed 's/@inline4 drop/@nosuch drop/' "$tmp/r1.nft" >"$tmp/bad1.nft"
sed 's/ip daddr @t4 drop/ip daddr @t4 dorp/' "$tmp/r1.nft" >"$tmp/bad2.nft"
{ cat "$tmp/r1.nft"; echo "table ip other { chain c { type filter hook input priority 0; policy drop; } }"; } >"$tmp/bad3.nft"
{ echo "flush ruleset"; cat "$tmp/r1.nft"; } >"$tmp/bad4.nft"
for b in "bad1:line 21:" "bad2:line 19:" "bad3:may only declare" "bad4:may only declare"; do
	f=${b%%:*} want=${b#*:}
	if out=$(nb apply "$tmp/$f.nft" 2>&1); then
		t_fail "$T: bad ruleset $f refused: it loaded"
	elif [ "$(ruleset)" != "$after" ]; then
		t_fail "$T: bad ruleset $f leaves the ruleset as it was: it changed"
	elif ! printf '%s' "$out" | grep -qF "$want"; then
		t_fail "$T: bad ruleset $f: message names '$want': $out"
	else
		t_pass "$T: bad ruleset $f refused, ruleset unchanged: $(printf '%s' "$out" | head -n 1)"
	fi
done

# a new version: extra4 and side gone, t4 with other flags, another chain
# priority, inline4 with other elements
T4FLAGS="interval, timeout" INLINE="192.0.2.3" write_ruleset "$tmp/r2.nft" 10 0
if out=$(nb apply "$tmp/r2.nft" 2>&1); then
	now=$(ruleset)
	bad=""
	printf '%s' "$now" | grep -q 'set extra4' && bad="$bad extra4-kept"
	printf '%s' "$now" | grep -q 'chain side' && bad="$bad side-kept"
	printf '%s' "$now" | grep -q 'flags interval,timeout' || bad="$bad t4-flags"
	printf '%s' "$now" | grep -q 'priority filter + 10' || bad="$bad priority"
	printf '%s' "$now" | grep -q 'elements = { 192.0.2.3 }' || bad="$bad inline4"
	in_set flows4 "$L4 . tcp . 40001 . $D4 . 9000" || bad="$bad flows4-lost"
	in_set flows6 "$L6 . udp . 5353 . $D6 . 53" || bad="$bad flows6-lost"
	if [ -z "$bad" ]; then
		t_pass "$T: changed ruleset: dropped set and chain gone, changed set and chain priority applied, blocked flows kept"
	else
		t_fail "$T: changed ruleset:$bad"
		printf '%s\n' "$now" | sed 's/^/    /'
	fi
else
	t_fail "$T: changed ruleset loads: $out"
fi
nb apply "$tmp/r1.nft" >/dev/null || t_fail "$T: back to the first ruleset"
gw nft flush set inet kastro flows4
gw nft flush set inet kastro flows6

# ---- real traffic: a blocked connection stalls ----------------------------------
cat >"$tmp/server.py" <<'EOF'
import socket, sys, threading
d = sys.argv[1]
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 9000))
s.listen(16)
def serve(c, port):
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            return
        n += len(b)
        with open("%s/rx-%d" % (d, port), "w") as f:
            f.write(str(n))
while True:
    c, a = s.accept()
    threading.Thread(target=serve, args=(c, a[1]), daemon=True).start()
EOF
cat >"$tmp/client.py" <<'EOF'
import socket, sys, time
src, port, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((src, port))
s.connect((dst, 9000))
while True:
    s.send(b"x" * 100)
    time.sleep(0.02)
EOF
py=$(lab_python)
lab_spawn dmz nft-server "$py" "$tmp/server.py" "$tmp"
lab_wait_listen dmz tcp 9000 10 || t_fail "$T: traffic: test server not listening"
lab_spawn lan nft-c1 "$py" "$tmp/client.py" "$L4" 40001 "$D4"
lab_spawn lan nft-c2 "$py" "$tmp/client.py" "$L4" 40002 "$D4"
lab_spawn lan nft-c3 "$py" "$tmp/client.py" "$L6" 40003 "$D6"
rx() { cat "$tmp/rx-$1" 2>/dev/null || echo 0; }
flowing() { [ "$(rx 40001)" -gt 0 ] && [ "$(rx 40002)" -gt 0 ] && [ "$(rx 40003)" -gt 0 ]; }
if ! lab_wait_until 10 flowing; then
	t_fail "$T: traffic: three connections LAN -> DMZ carry data (rx $(rx 40001) $(rx 40002) $(rx 40003))"
else
	t_pass "$T: traffic: three connections LAN -> DMZ carry data"
	nb block 600 "6,$L4,40001,$D4,9000" "6,$L6,40003,$D6,9000" >/dev/null
	sleep 0.5
	a1=$(rx 40001) a2=$(rx 40002) a3=$(rx 40003)
	sleep 2
	b1=$(rx 40001) b2=$(rx 40002) b3=$(rx 40003)
	if [ "$a1" = "$b1" ] && [ "$a3" = "$b3" ] && [ "$b2" -gt "$a2" ]; then
		t_pass "$T: traffic: blocked IPv4 and IPv6 connections stall, the other one goes on (rx $a1=$b1, $a3=$b3, $a2<$b2)"
	else
		t_fail "$T: traffic: blocked connections stall: 40001 $a1->$b1, 40003 $a3->$b3 (want equal), 40002 $a2->$b2 (want growing)"
	fi
fi

# quarantine on traffic: the LAN host loses the DMZ, then gets it back
lab_exec lan ping -c 1 -W 2 "$D4" >/dev/null || t_fail "$T: quarantine: ping before"
nb quarantine-add "$L4" 0
if lab_exec lan ping -c 2 -i 0.2 -W 1 "$D4" >/dev/null; then
	t_fail "$T: quarantine: a quarantined host's ping still gets through"
else
	nb quarantine-del "$L4"
	if lab_exec lan ping -c 1 -W 2 "$D4" >/dev/null; then
		t_pass "$T: quarantine: the host is cut off, and reaches the DMZ again after release"
	else
		t_fail "$T: quarantine: no ping after release"
	fi
fi

# ---- 1,000,000-entry tables --------------------------------------------------------
# IPv4: /32s 4 apart from 20.0.0.0, plus the DMZ host, a /16 that covers
# some of them and a duplicate (merged before loading). IPv6: /64s.
awk -v dmz="$D4" 'BEGIN {
	for (i = 0; i < 999997; i++) { v = 335544320 + i * 4
		printf "%d.%d.%d.%d\n", int(v / 16777216), int(v / 65536) % 256, int(v / 256) % 256, v % 256 }
	print "20.1.0.0/16"; print "20.0.0.8"; print dmz "/32" }' >"$tmp/t4a.txt"
awk -v dmz="$D6" 'BEGIN {
	for (i = 0; i < 999999; i++) printf "2001:db8:%x:%x::/64\n", int(i / 32768), (i % 32768) * 2
	print dmz "/128" }' >"$tmp/t6a.txt"
for fam in 4 6; do
	if out=$(nb table "t$fam" "$fam" "$tmp/t${fam}a.txt" 2>&1); then
		t_pass "$T: table t$fam: 1,000,000 entries loaded ($(echo "$out" | awk '{print $(NF)}') s)"
	else
		t_fail "$T: table t$fam: 1,000,000 entries: $out"
	fi
done
# Addresses to probe the tables with, on the DMZ host, routed through the
# gateway (nft get element is far too slow on sets this size).
lab_exec dmz ip addr add 20.0.0.4/32 dev eth0
lab_exec dmz ip addr add 20.0.0.5/32 dev eth0
lab_exec dmz ip addr add 20.1.200.3/32 dev eth0
lab_exec dmz ip -6 addr add 2001:db8:1:2::99/128 dev eth0 nodad
lab_exec dmz ip -6 addr add 2001:db8:1:3::1/128 dev eth0 nodad
gw ip route add 20.0.0.0/8 via "$D4"
gw ip -6 route add 2001:db8::/32 via "$D6"
lab_exec lan ip route add 20.0.0.0/8 via "$LAB_GW_LAN_IP4"
lab_exec lan ip -6 route add 2001:db8::/32 via "$LAB_GW_LAN_IP6"
# reach ADDR...: "through" or "blocked" for each (one ping, 1 s).
reach() {
	local a
	for a in "$@"; do
		if lab_exec lan ping -c 1 -W 1 "$a" >/dev/null 2>&1; then printf 'through '; else printf 'blocked '; fi
	done
}
got=$(reach "$D4" 20.0.0.4 20.1.200.3 20.0.0.5 "$D6" 2001:db8:1:2::99 2001:db8:1:3::1)
want="blocked blocked blocked through blocked blocked through "
if [ "$got" = "$want" ]; then
	t_pass "$T: tables: traffic to listed addresses dropped, to others not (IPv4, IPv6)"
else
	t_fail "$T: tables: to $D4 20.0.0.4 20.1.200.3 20.0.0.5 $D6 2001:db8:1:2::99 2001:db8:1:3::1: got '$got', want '$want'"
fi

# Replace with other contents that still list the DMZ host, under a ping
# flood to it: an instant with an empty set would let replies through.
awk -v dmz="$D4" 'BEGIN {
	for (i = 0; i < 999999; i++) { v = 335544321 + i * 4
		printf "%d.%d.%d.%d\n", int(v / 16777216), int(v / 65536) % 256, int(v / 256) % 256, v % 256 }
	print dmz }' >"$tmp/t4b.txt"
lab_exec lan ping -q -i 0.005 -w 12 "$D4" >"$tmp/flood.txt" 2>&1 &
fpid=$!
sleep 0.5
out=$(nb table t4 4 "$tmp/t4b.txt" 2>&1) || t_fail "$T: table replace: $out"
wait $fpid
sent=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1/p' "$tmp/flood.txt")
got=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p' "$tmp/flood.txt")
if [ -n "$sent" ] && [ "$sent" -gt 500 ] && [ "$got" = 0 ]; then
	t_pass "$T: table replace is atomic: $sent pings to a listed address during the swap ($(echo "$out" | awk '{print $NF}') s), none answered"
else
	t_fail "$T: table replace is atomic: sent '$sent', answered '$got' (want > 500 and 0): $(tail -n 2 "$tmp/flood.txt")"
fi
got=$(reach 20.0.0.5 20.0.0.4 20.1.200.3)
if [ "$got" = "blocked through through " ]; then
	t_pass "$T: table replace: new contents in, old ones out"
else
	t_fail "$T: table replace: 20.0.0.5 20.0.0.4 20.1.200.3: got '$got', want 'blocked through through '"
fi
printf '192.0.2.0/24\n' >"$tmp/t4c.txt"
nb table t4 4 "$tmp/t4c.txt" >/dev/null
if lab_exec lan ping -c 1 -W 2 "$D4" >/dev/null; then
	t_pass "$T: table replace without the address: traffic passes again"
else
	t_fail "$T: table replace without the address: traffic passes again"
fi

t_done
