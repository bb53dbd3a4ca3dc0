#!/bin/bash
# Inline enforcement through the gateway, IPv4 and IPv6: blocked HTTP hosts
# and TLS SNIs get nothing back (no response byte, no ServerHello, not one
# byte of a 20 MB reply) and the server sees a reset each time; a new
# connection from the same source port to an allowed host works at once;
# IPv6 with an extension header is reset too; block return answers and
# plain block is silent; a reload keeps the queue
# rule, and ten under traffic let nothing through to a blocked host; a
# killed relay lets nothing through and is replaced; a full queue
# drops the excess, counted; a judged connection's flow record has the
# kernel's counts, and one never queued has a record from conntrack; with
# the packet process stopped, fail closed refuses a
# new blocked connection while an allowed download goes on, and fail open
# lets both through and counts it; kastrod --flush removes the table.
#
# usage: tests/net/test_inline.sh KASTROD
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lab.sh"

T=net_inline
KASTROD=$1
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac
KASTROCTL=$(dirname "$KASTROD")/kastroctl
N=${KASTRO_INLINE_N:-100}

lab_test_begin "$T"
eve=$tmp/eve.json
conf=$tmp/kastrod.conf
sock=$tmp/kastrod.sock
klog=$tmp/kastrod.log
write_conf() {  # write_conf open|closed
	cat >"$conf" <<EOF2
interfaces { "gw-lan" "gw-dmz" }
eve "$eve"
inline { fail $1 fail-after 300 queue-length 64 }
interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
default block
block return proto { tcp udp } from lan to dmz port 8081
pass proto tcp from lan to dmz port { 80 443 }
pass proto udp from lan to dmz port 53
block log severity 1 proto tcp host "*.blocked.kavala.example"
EOF2
}
start_kastrod() {
	cat "$klog" >>"$klog.all" 2>/dev/null; : >"$klog"
	# ip netns exec execs kastrod: $! is its pid
	ip netns exec "$LAB_NS_GW" "$KASTROD" -c "$conf" --control "$sock" >>"$klog" 2>&1 &
	kpid=$!
	if ! lab_wait_until 15 grep -q 'inspecting queued' "$klog"; then
		t_fail "$T: kastrod did not start inline"
		sed 's/^/    kastrod: /' "$klog" | head -20
		t_done
	fi
	# the relay logs once its queue is bound
	lab_wait_until 5 grep -q 'relay: queue' "$klog" || t_fail "$T: relay did not open the queue"
}
stop_kastrod() {
	kill -TERM "$kpid" 2>/dev/null
	wait "$kpid" 2>/dev/null
	kpid=""
}
status() { lab_exec gw "$KASTROCTL" -s "$sock" status | sed -n "s/^$1=//p"; }

write_conf closed
if ! "$KASTROD" -n -c "$conf" >"$tmp/check.out" 2>&1; then
	t_fail "$T: policy accepted: $(head -n 5 "$tmp/check.out" | tr '\n' ' ')"
	t_done
fi
head -c 20000000 /dev/zero >"$LAB_DIR/www/big.bin"

# Counters at both ends: server payload reaching the client, resets and
# payload reaching the server.
lab_exec lan nft -f - <<'EOF2' || t_fail "$T: client counters"
table inet seen {
	counter data { }
	chain in {
		type filter hook input priority 0;
		tcp sport { 80, 443 } meta nfproto ipv4 ip length > 60 counter name data
		tcp sport { 80, 443 } meta nfproto ipv6 ip6 length > 40 counter name data
	}
}
EOF2
lab_exec dmz nft -f - <<'EOF2' || t_fail "$T: server counters"
table inet seen {
	counter rst { }
	counter data { }
	chain in {
		type filter hook input priority 0;
		tcp dport { 80, 443 } tcp flags & rst != 0 counter name rst
		tcp dport { 80, 443 } meta nfproto ipv4 ip length > 60 counter name data
		tcp dport { 80, 443 } meta nfproto ipv6 ip6 length > 40 counter name data
	}
}
EOF2
ctr() {  # ctr NS NAME -> packets
	lab_exec "$1" nft list counter inet seen "$2" | awk '/packets/ { print $2 }'
}
reset_ctr() { lab_exec "$1" nft reset counters table inet seen >/dev/null; }

start_kastrod
route=$(status inline_route)
echo "    inline route: $route"

http() {  # http ADDR HOST [PATH [extra curl args]] -> "code bytes"
	local a=$1 h=$2 p=${3:-/}
	shift 3 2>/dev/null || shift $#
	lab_exec lan curl -s -g -o /dev/null -w '%{http_code} %{size_download}' --max-time 4 \
		-H "Host: $h" "$@" "http://$a$p" 2>/dev/null
}
tls() {  # tls ADDR SNI -> "code bytes"
	local a=$1
	case "$a" in *:*) a="[$a]" ;; esac
	lab_exec lan curl -sk -g -o /dev/null -w '%{http_code} %{size_download}' --max-time 4 \
		--resolve "$2:443:$1" "https://$2/" 2>/dev/null
}

for fam in 4 6; do
	if [ $fam = 4 ]; then addr=$LAB_DMZ_IP4; uaddr=$addr; else addr=$LAB_DMZ_IP6; uaddr="[$addr]"; fi
	r=$(http "$uaddr" portal.kavala.example /)
	[ "${r%% *}" = 200 ] && t_pass "$T: IPv$fam: allowed HTTP host answered" ||
		t_fail "$T: IPv$fam: allowed HTTP host answered: got $r"
	r=$(tls "$addr" e-payments.kavala.example)
	[ "${r%% *}" = 200 ] && t_pass "$T: IPv$fam: allowed SNI answered" ||
		t_fail "$T: IPv$fam: allowed SNI answered: got $r"

	reset_ctr lan; reset_ctr dmz
	bytes=0 answered=0
	for i in $(seq "$N"); do
		r=$(http "$uaddr" "shop$i.blocked.kavala.example" /)
		bytes=$((bytes + ${r##* }))
		[ "${r%% *}" = 000 ] || answered=$((answered + 1))
	done
	sleep 0.3
	d=$(ctr lan data); rst=$(ctr dmz rst); sd=$(ctr dmz data)
	echo "    IPv$fam HTTP: $N blocked requests: $answered answered, $bytes bytes; $d payload packets at the client; server: $rst resets, $sd payload packets"
	[ "$answered" = 0 ] && [ "$bytes" = 0 ] && [ "$d" = 0 ] &&
		t_pass "$T: IPv$fam: $N requests to a blocked HTTP host: 0 response bytes at the client" ||
		t_fail "$T: IPv$fam: $N requests to a blocked HTTP host: $answered answered, $bytes bytes, $d payload packets"
	[ "$rst" -ge "$N" ] && t_pass "$T: IPv$fam: the server saw a reset for each blocked request ($rst)" ||
		t_fail "$T: IPv$fam: the server saw $rst resets for $N blocked requests"

	reset_ctr lan; reset_ctr dmz
	answered=0
	for i in $(seq "$N"); do
		r=$(tls "$addr" "www$i.blocked.kavala.example")
		[ "${r%% *}" = 000 ] || answered=$((answered + 1))
	done
	sleep 0.3
	d=$(ctr lan data); rst=$(ctr dmz rst)
	echo "    IPv$fam TLS: $N blocked handshakes: $answered answered; $d payload packets (ServerHello) at the client; $rst resets at the server"
	[ "$answered" = 0 ] && [ "$d" = 0 ] &&
		t_pass "$T: IPv$fam: $N TLS handshakes to a blocked SNI: 0 ServerHellos at the client" ||
		t_fail "$T: IPv$fam: $N TLS handshakes to a blocked SNI: $answered answered, $d payload packets"
	[ "$rst" -ge "$N" ] && t_pass "$T: IPv$fam: the server saw a reset for each blocked handshake ($rst)" ||
		t_fail "$T: IPv$fam: the server saw $rst resets for $N blocked handshakes"

	reset_ctr lan
	r=$(http "$uaddr" big.blocked.kavala.example /big.bin)
	d=$(ctr lan data)
	[ "${r##* }" = 0 ] && [ "$d" = 0 ] &&
		t_pass "$T: IPv$fam: 20 MB reply from a blocked host: 0 bytes" ||
		t_fail "$T: IPv$fam: 20 MB reply from a blocked host: got $r ($d payload packets)"

	# the same source port at once: a new connection starts unmarked
	# (outside the ephemeral range, so no other connection takes it)
	port=$((31000 + fam))
	r1=$(http "$uaddr" reuse.blocked.kavala.example / --local-port "$port")
	t0=$(date +%s%N)
	r2=$(http "$uaddr" portal.kavala.example / --local-port "$port")
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "${r1%% *}" = 000 ] && [ "${r2%% *}" = 200 ] && [ "$ms" -lt 2000 ] &&
		t_pass "$T: IPv$fam: after a block from port $port, an allowed request from it succeeds at once (${ms} ms)" ||
		t_fail "$T: IPv$fam: port reuse: blocked $r1, then allowed $r2 in $ms ms"
done

# IPv6 with a destination options header on every segment (sticky socket
# option): the block still resets the server (the reset walks the header).
reset_ctr lan; reset_ctr dmz
xr=$(lab_exec lan "$(lab_python)" - "$LAB_DMZ_IP6" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
# IPV6_DSTOPTS (59): next header and length (the kernel fills the first), PadN of 4
s.setsockopt(socket.IPPROTO_IPV6, 59, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
s.settimeout(3)
got = 0
try:
    s.connect((sys.argv[1], 80))
    s.sendall(b"GET / HTTP/1.1\r\nHost: ext.blocked.kavala.example\r\nConnection: close\r\n\r\n")
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += len(b)
    print("answered", got)
except OSError as e:
    print("refused", got)
PY
)
sleep 0.3
rst=$(ctr dmz rst); d=$(ctr lan data)
echo "    IPv6 with destination options: client $xr; server $rst resets; $d payload packets at the client"
[ "$xr" = "refused 0" ] && [ "$d" = 0 ] && [ "$rst" -ge 1 ] &&
	t_pass "$T: IPv6 with an extension header: blocked, and the server sees a reset ($rst)" ||
	t_fail "$T: IPv6 with an extension header: client '$xr', server resets $rst, client payload $d"

# Static rules: block return answers (TCP reset, ICMP unreachable); the
# default block stays silent.
probe() {  # probe tcp|udp PORT -> refused | silent
	lab_exec lan "$(lab_python)" - "$1" "$LAB_DMZ_IP4" "$2" <<'PY'
import socket, sys
kind, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    if kind == "tcp":
        socket.create_connection((addr, port), timeout=2)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        s.connect((addr, port))
        s.send(b"x")
        s.recv(100)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except OSError:
    print("silent")
PY
}
a1=$(probe tcp 8081) a2=$(probe udp 8081) a3=$(probe tcp 8082)
[ "$a1" = refused ] && [ "$a2" = refused ] && [ "$a3" = silent ] &&
	t_pass "$T: block return resets TCP and answers UDP with ICMP unreachable; plain block is silent" ||
	t_fail "$T: block return: tcp $a1, udp $a2; default block: $a3"

# A reload loads the ruleset again: the queue rule (not expressible in nft's
# text) goes back in, and blocks go on.
queue_rule() { lab_exec gw nft --debug=netlink list chain inet kastro inline_queue 2>/dev/null | grep -q "$1"; }
out=$(lab_exec gw "$KASTROCTL" -s "$sock" reload 2>&1)
want_rule='target name NFQUEUE rev 3'
[ "${route%%+*}" = native ] && want_rule='queue num'
r1=$(http "$LAB_DMZ_IP4" after-reload.blocked.kavala.example /)
r2=$(http "$LAB_DMZ_IP4" portal.kavala.example /)
if [ "${out%% *}" = ok ] && queue_rule "$want_rule" && [ "${r1%% *}" = 000 ] && [ "${r2%% *}" = 200 ]; then
	t_pass "$T: after a reload the queue rule is back and blocks go on"
else
	t_fail "$T: after a reload: '$out', queue rule $(queue_rule "$want_rule" && echo present || echo missing), blocked $r1, allowed $r2"
fi

# Reloads under traffic: the queue rule is written before each ruleset, in
# a chain the ruleset's transaction leaves alone, so no generation of the
# ruleset runs without it, and a client hammering a blocked host through
# the reloads gets nothing. nft monitor sees every commit, but not the
# rules a flush removes: so no commit may write any other rule into chain
# inline_queue either (a ruleset that refilled it would have flushed it).
qh=$(lab_exec gw nft -a list chain inet kastro inline_queue 2>/dev/null |
	awk '/# handle/ && !/chain/ { print $NF }' | tr '\n' ' ')
lab_spawn gw monitor nft -a monitor
mpid=$LAB_LAST_PID
sleep 0.3
reset_ctr lan
stopf=$tmp/hammer.stop
lab_spawn lan hammer bash -c 'n=0 b=0
	while [ ! -e "$1" ]; do
		r=$(curl -s -o /dev/null -w "%{size_download}" --max-time 1 -H "Host: hammer.blocked.kavala.example" "http://$2/big.bin")
		n=$((n + 1)) b=$((b + ${r:-0}))
	done
	echo "$n $b"' hammer "$stopf" "$LAB_DMZ_IP4"
hpid=$LAB_LAST_PID
reloads=0
for i in $(seq 10); do
	out=$(lab_exec gw "$KASTROCTL" -s "$sock" reload 2>&1)
	[ "${out%% *}" = ok ] && reloads=$((reloads + 1))
	sleep 0.4
done
touch "$stopf"
wait "$hpid"
kill -TERM "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null
read -r hn hb <"$LAB_DIR/hammer.log"
d=$(ctr lan data)
# count the queue rules of chain inline_queue at the end of each commit
# (a rule of inline_queue without a verdict of its own is a queue rule:
# nft prints the compat target differently by version)
gaps=$(awk -v h0="$qh" '
	# the queue rules there before: so many must be there after each commit
	BEGIN { want = split(h0, hs, " "); for (i in hs) q[hs[i]] = 1; n = want }
	/^# new generation/ { gens++; if (n < want || want < 1) bad++; next }
	/^(add|insert) rule inet kastro inline_queue / {
		if (/ (drop|accept)( |$)/) { other++; next }
		n++; pend = 1 }
	# the handle ends the rule, which libxtables may print over several lines
	pend && /# handle [0-9]+$/ { q[$NF] = 1; pend = 0; next }
	/^delete rule inet kastro inline_queue / {
		if ($NF in q) { delete q[$NF]; n-- } else other++ }
	END { print gens + 0, bad + 0, other + 0 }' "$LAB_DIR/monitor.log")
set -- $gaps
echo "    $reloads reloads under traffic: $hn requests to a blocked host, $hb bytes, $d payload packets at the client; $1 commits seen, $2 without the queue rule, $3 other rules in its chain"
[ "$reloads" = 10 ] && [ "${hn:-0}" -gt 0 ] && [ "${hb:-1}" = 0 ] && [ "$d" = 0 ] &&
	t_pass "$T: 10 reloads while a client hammers a blocked host: 0 bytes delivered ($hn requests)" ||
	t_fail "$T: reloads under traffic: $reloads reloads ok, $hn requests, $hb bytes, $d payload packets"
[ -n "$qh" ] && [ "$1" -ge 10 ] && [ "$2" = 0 ] && [ "$3" = 0 ] &&
	t_pass "$T: no commit of the $reloads reloads leaves chain inline_queue without its queue rule ($1 commits)" ||
	{ t_fail "$T: $2 of $1 commits left chain inline_queue without its queue rule, $3 wrote other rules there (rules before: '$qh')";
	  grep -m 12 'inline_queue\|generation' "$LAB_DIR/monitor.log" | sed 's/^/    monitor: /'; }
# the last reload's packet process judges again before the next test
allowed_ok() { [ "$(http "$LAB_DMZ_IP4" portal.kavala.example / | cut -d' ' -f1)" = 200 ]; }
lab_wait_until 10 allowed_ok

# A judged connection's flow record has the kernel's counts: kastrod saw
# only its first packets, conntrack (accounting, destroy events) the rest.
# conntrack reports an expired entry when its garbage collector gets to it,
# up to a minute later; the test ends the entry itself instead.
r=$(http "$LAB_DMZ_IP4" portal.kavala.example /big.bin --local-port 30424)
lab_exec gw conntrack -D -p tcp --sport 30424 >/dev/null 2>&1
rec() { grep '"event_type":"flow"' "$eve" | grep "\"src_ip\":\"$LAB_LAN_IP4\",\"src_port\":30424," | tail -n 1; }
# (EVE is written in large blocks: the last line may be incomplete)
have_rec() { local l; l=$(rec); [ -n "$l" ] && jq -e .flow <<<"$l" >/dev/null 2>&1; }
lab_wait_until 10 have_rec
line=$(rec)
b=$(jq -r '.flow.bytes_toclient // 0' <<<"$line" 2>/dev/null)
st=$(jq -r '.flow.state // ""' <<<"$line" 2>/dev/null)
echo "    20 MB download: $r; its flow record: $b bytes to the client, state $st"
[ "${r%% *}" = 200 ] && [ "${b:-0}" -ge 20000000 ] && [ "$st" = closed ] &&
	t_pass "$T: a passed connection's flow record keeps the kernel's counts ($b bytes, closed)" ||
	{ t_fail "$T: a passed connection's flow record: '$(rec | cut -c1-300)'"
	  echo "    ct_ends=$(status inline_ct_ends) lost=$(status inline_ct_ends_lost)"
	  grep '"src_port":30424,' "$eve" | cut -c1-400 | sed 's/^/    EVE: /'; }

# A connection no DPI rule can match (UDP here: the host rule is TCP only)
# never enters the queue; its end, from conntrack, is its flow record.
lab_exec lan "$(lab_python)" - "$LAB_DMZ_IP4" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 30553))
for i in range(3):
    s.sendto(b"kastro unqueued", (sys.argv[1], 53))
PY
sleep 0.3
mk=$(lab_exec gw conntrack -L -p udp --sport 30553 2>/dev/null | grep -o 'mark=[0-9]*')
lab_exec gw conntrack -D -p udp --sport 30553 >/dev/null 2>&1
urec() { grep '"event_type":"flow"' "$eve" | grep "\"src_port\":30553," | tail -n 1; }
have_urec() { local l; l=$(urec); [ -n "$l" ] && jq -e .flow <<<"$l" >/dev/null 2>&1; }
lab_wait_until 10 have_urec
line=$(urec)
up=$(jq -r '.flow.pkts_toserver // 0' <<<"$line" 2>/dev/null)
echo "    unqueued UDP: conntrack $mk; flow record: $(printf '%s' "$line" | cut -c1-160)"
[ "$mk" = "mark=$((0x50000000))" ] && [ "${up:-0}" -ge 3 ] && [ "$(jq -r .proto <<<"$line")" = UDP ] &&
	t_pass "$T: a connection never queued gets a flow record from conntrack ($up packets)" ||
	t_fail "$T: never-queued connection: mark '$mk', record '$(printf '%s' "$line" | cut -c1-300)'"

# The relay killed: the kernel has no listener and drops what would be
# queued (fail closed: no bypass flag); the parent starts a new relay and
# enforcement resumes.
rpid=$(status relay_pid)
case "$rpid" in ''|0|*[!0-9]*) t_fail "$T: no relay pid ('$rpid')" ;; *)
	kill -KILL "$rpid"
	r0=$(http "$LAB_DMZ_IP4" portal.kavala.example / --max-time 0.8)
	new_relay() { n=$(status relay_pid); [ -n "$n" ] && [ "$n" != 0 ] && [ "$n" != "$rpid" ] &&
		[ "$(grep -c 'relay: queue' "$klog")" -ge 2 ]; }
	lab_wait_until 10 new_relay
	sleep 0.3
	r1=$(http "$LAB_DMZ_IP4" after-relay.blocked.kavala.example /)
	r2=$(http "$LAB_DMZ_IP4" portal.kavala.example /)
	[ "${r0%% *}" = 000 ] && [ "${r1%% *}" = 000 ] && [ "${r2%% *}" = 200 ] &&
		t_pass "$T: relay killed: nothing passes meanwhile (fail closed); a new relay enforces again" ||
		t_fail "$T: relay killed: meanwhile $r0; after: blocked $r1, allowed $r2"
	;;
esac

# The queue is bounded: with the relay stopped, the kernel holds at most
# queue-length packets and drops the rest (fail closed), counted.
rpid=$(status relay_pid)
case "$rpid" in ''|0|*[!0-9]*) t_fail "$T: no relay pid ('$rpid')" ;; *)
	kill -STOP "$rpid"
	lab_exec lan timeout 5 hping3 -q -S -p 80 -c 300 -i u2000 "$LAB_DMZ_IP4" >/dev/null 2>&1
	kill -CONT "$rpid"
	sleep 1.5
	qd=$(status inline_queue_dropped)
	r2=$(http "$LAB_DMZ_IP4" portal.kavala.example /)
	[ "${qd:-0}" -gt 0 ] && [ "${r2%% *}" = 200 ] &&
		t_pass "$T: a full queue (length 64) drops the excess, counted ($qd); then all works again" ||
		t_fail "$T: full queue: queue_dropped '$qd', allowed request after: $r2"
	;;
esac

# No server socket stays established with the LAN after the blocks.
est=$(lab_exec dmz ss -Htn state established '( sport = :80 or sport = :443 )' | wc -l)
[ "$est" = 0 ] && t_pass "$T: no server socket stays established after the blocks" ||
	t_fail "$T: $est server sockets stay established after the blocks"

# One alert per blocked connection.
stop_kastrod
want=$(( 2 * (2 * N + 2) + 3 ))   # + the extension header test
# (the reload hammer's connections aside: some met the sensor restarting)
got=$(grep '"event_type":"alert".*"action":"blocked"' "$eve" | grep -vc 'hammer\.blocked')
[ "$got" = "$want" ] && t_pass "$T: one EVE alert per blocked connection ($got)" ||
	t_fail "$T: $got EVE block alerts for $want blocked connections"

# ---- failing closed / open with the packet process stopped -----------------------
fail_case() {  # fail_case open|closed
	local mode=$1 dl r spid t0
	write_conf "$mode"
	start_kastrod
	# an allowed download, judged before the packet process stops
	lab_exec lan curl -s -o "$tmp/dl.bin" -w '%{size_download}' --max-time 30 --limit-rate 4M \
		-H "Host: portal.kavala.example" "http://$LAB_DMZ_IP4/big.bin" >"$tmp/dl.out" 2>/dev/null &
	dl=$!
	sleep 1
	spid=$(status sensor_pid)
	case "$spid" in ''|0|*[!0-9]*)
		t_fail "$T: fail $mode: no sensor pid ('$spid')"; kill "$dl"; stop_kastrod; return ;;
	esac
	kill -STOP "$spid"
	r=$(http "$LAB_DMZ_IP4" stopped.blocked.kavala.example / --max-time 3)
	r6=$(http "[$LAB_DMZ_IP6]" stopped.blocked.kavala.example / --max-time 3)
	wait "$dl"
	fo=$(status inline_fail_open); fc=$(status inline_fail_closed)
	kill -CONT "$spid"
	sleep 1.5   # the sensor reads the relay's counts (once a second) before it stops
	echo "    fail $mode: blocked host with the packet process stopped: IPv4 $r, IPv6 $r6; download $(cat "$tmp/dl.out") bytes; fail_open=$fo fail_closed=$fc"
	[ "$(cat "$tmp/dl.out")" = 20000000 ] &&
		t_pass "$T: fail $mode: an allowed download judged before goes on (20000000 bytes)" ||
		t_fail "$T: fail $mode: allowed download got $(cat "$tmp/dl.out") bytes"
	if [ "$mode" = closed ]; then
		[ "${r%% *}" = 000 ] && [ "${r##* }" = 0 ] && [ "${r6%% *}" = 000 ] && [ "${fc:-0}" -gt 0 ] &&
			t_pass "$T: fail closed: a new connection to a blocked host gets nothing ($fc packets dropped)" ||
			t_fail "$T: fail closed: blocked host gave $r / $r6 (fail_closed=$fc)"
	else
		[ "${r%% *}" = 200 ] && [ "${r6%% *}" = 200 ] && [ "${fo:-0}" -gt 0 ] &&
			t_pass "$T: fail open: a new connection passes and is counted ($fo packets)" ||
			t_fail "$T: fail open: blocked host gave $r / $r6 (fail_open=$fo)"
	fi
	stop_kastrod
	# the sensor's last stats event says it too
	ev=$(grep '"event_type":"stats"' "$eve" | tail -n 1 | jq -r ".stats.inline.fail_$mode // 0")
	[ "${ev:-0}" -gt 0 ] && t_pass "$T: fail $mode: EVE stats count it (inline.fail_$mode=$ev)" ||
		t_fail "$T: fail $mode: EVE stats inline.fail_$mode is '$ev'"
}
fail_case closed
fail_case open

# kastrod --flush removes the table: nothing is held any more
lab_exec gw "$KASTROD" --flush >/dev/null 2>&1
if ! lab_exec gw nft list table inet kastro >/dev/null 2>&1 &&
	[ "$(http "$LAB_DMZ_IP4" portal.kavala.example / | cut -d' ' -f1)" = 200 ]; then
	t_pass "$T: kastrod --flush removes table inet kastro"
else
	t_fail "$T: kastrod --flush removes table inet kastro"
fi

if grep -q 'ERROR\|error:' "$klog"; then
	t_fail "$T: errors in kastrod's log"
	grep 'ERROR\|error:' "$klog" | head -5 | sed 's/^/    /'
fi
t_done
