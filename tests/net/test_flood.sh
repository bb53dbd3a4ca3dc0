#!/bin/bash
# The gateway under a SYN flood, in the lab: a host of a third segment
# (guest) floods the DMZ's web service with SYNs (hping3, 15 s, from one
# address, only inside the lab) while the LAN client keeps fetching from
# the same service. The service asks for synproxy (the gateway answers SYNs
# with cookies); the policy limits new connections per source
# (max-src-conn-rate) and puts the offender into an overload table. Checks:
# the server never sees a SYN of the flood;
# the legitimate client keeps working, the flooder lands in the overload
# table and its packets are dropped there, kastrod's memory stays bounded
# (flow table at its cap, established flows kept), the EVE events-per-second
# cap holds and its excess is counted, no empty app event is written.
#
# usage: tests/net/test_flood.sh KASTROD
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lab.sh"

T=net_flood
KASTROD=$1
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac
FLOOD_S=${KASTRO_FLOOD_SECONDS:-15}
CAP=300          # eve max-rate
MAXFLOWS=4000

if ! command -v hping3 >/dev/null 2>&1; then
	t_skip "$T: hping3 not installed (packaging/deps.sh test installs it)"
	t_done
fi
lab_segment guest 10.50.0 fd00:50
lab_test_begin "$T"

eve=$tmp/eve.json
conf=$tmp/kastrod.conf
cat >"$conf" <<EOF2
interfaces { "gw-lan" "gw-dmz" "gw-guest" }
eve "$eve"
eve max-rate $CAP
flows { max $MAXFLOWS }
interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
interface guest { device "gw-guest" networks { 10.50.0.0/24 fd00:50::/64 } }
service "portal" { address { 10.20.0.2 fd00:20::2 } ports tcp 80 synproxy }
table <flooders> { }
default block
pass from { lan guest } to service "portal" max-src-conn 100 max-src-conn-rate 40/2 overload <flooders> 2m
EOF2
if ! "$KASTROD" -n -c "$conf" >"$tmp/check.out" 2>&1; then
	t_fail "$T: policy accepted: $(grep -v '^warning' "$tmp/check.out" | head -n 5 | tr '\n' ' ')"
	t_done
fi

# What reaches the server from the flooder's address.
lab_exec dmz nft add table inet seen &&
	lab_exec dmz nft add chain inet seen in '{ type filter hook input priority 0; }' &&
	lab_exec dmz nft add rule inet seen in ip saddr "$LAB_GUEST_IP4" tcp flags syn counter ||
	t_fail "$T: counter at the server"

klog=$tmp/kastrod.log
t0=$(date +%s)
lab_exec gw "$KASTROD" -c "$conf" --control "$tmp/kastrod.sock" >"$klog" 2>&1 &
kpid=$!
if ! lab_wait_until 15 grep -q 'capturing on' "$klog"; then
	t_fail "$T: kastrod did not start"
	sed 's/^/    kastrod: /' "$klog" | head -20
	t_done
fi
rss_kb() {  # total resident memory of kastrod's processes, KiB
	local p t=0 v
	for p in $(lab_exec gw pgrep -f "$KASTROD -c $conf" 2>/dev/null); do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# The legitimate client: one fetch every 0.2 s, each on a new connection.
cat >"$tmp/client.sh" <<EOF2
ok=0 bad=0
end=\$((\$(date +%s) + $FLOOD_S + 4))
while [ "\$(date +%s)" -lt "\$end" ]; do
	if curl -s -o /dev/null --max-time 2 "http://$LAB_DMZ_IP4/health"; then ok=\$((ok + 1)); else bad=\$((bad + 1)); fi
	sleep 0.2
done
echo "ok=\$ok bad=\$bad"
EOF2
# a long-lived established connection that must survive the flood
head -c 3000000 /dev/zero >"$LAB_DIR/www/slow.bin"
lab_spawn lan slow curl -s -o /dev/null --limit-rate 100k -w 'slow_status=%{http_code} slow_bytes=%{size_download}\n' \
	"http://$LAB_DMZ_IP4/slow.bin"
slow_pid=$LAB_LAST_PID
lab_spawn lan client bash "$tmp/client.sh"
client_pid=$LAB_LAST_PID
sleep 2
rss0=$(rss_kb)
# The flood: SYNs to the portal from one address, for FLOOD_S seconds at most.
lab_spawn guest flood timeout "$FLOOD_S" hping3 -q -S -p 80 --flood "$LAB_DMZ_IP4"
flood_pid=$LAB_LAST_PID
rss_max=$rss0
for _ in $(seq 1 "$FLOOD_S"); do
	sleep 1
	r=$(rss_kb)
	[ "$r" -gt "$rss_max" ] && rss_max=$r
done
wait "$flood_pid" 2>/dev/null
wait "$client_pid" 2>/dev/null
client=$(cat "$LAB_DIR/client.log")
ok=$(printf '%s' "$client" | sed -n 's/.*ok=\([0-9]*\).*/\1/p')
bad=$(printf '%s' "$client" | sed -n 's/.*bad=\([0-9]*\).*/\1/p')
echo "    legitimate client during the flood: $client; kastrod RSS $rss0 KiB before, at most $rss_max KiB during"
if [ "${ok:-0}" -ge 20 ] && [ "${bad:-99}" -le $(( (ok + bad) / 10 )) ]; then
	t_pass "$T: the legitimate client keeps working during the flood ($ok fetches, $bad failed)"
else
	t_fail "$T: legitimate client during the flood: '$client'"
fi

# ---- synproxy -----------------------------------------------------------------
syns=$(lab_exec dmz nft list table inet seen | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p')
if [ "${syns:-x}" = 0 ]; then
	t_pass "$T: synproxy: no SYN of the flood reached the server"
else
	t_fail "$T: synproxy: $syns SYNs of the flood reached the server"
fi
proxied=$(lab_exec gw nft list chain inet kastro forward |
	sed -n 's/.*ip daddr 10.20.0.2 .*ct state untracked counter packets \([0-9]*\) .*synproxy.*/\1/p')
if [ "${proxied:-0}" -ge 20 ]; then
	t_pass "$T: synproxy: the gateway answered the clients' SYNs ($proxied)"
else
	t_fail "$T: synproxy: SYNs answered by the gateway: '$proxied'"
fi
c6=$(lab_exec lan curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://[$LAB_DMZ_IP6]/health")
[ "$c6" = 200 ] && t_pass "$T: synproxy: IPv6 connections to the service are carried too" ||
	t_fail "$T: synproxy: IPv6 fetch: $c6"

# ---- overload -----------------------------------------------------------------
if lab_exec gw nft list set inet kastro t_flooders_4 | grep -q "$LAB_GUEST_IP4"; then
	t_pass "$T: overload: the flooding source is in <flooders>"
else
	t_fail "$T: overload: $LAB_GUEST_IP4 not in <flooders>: $(lab_exec gw nft list set inet kastro t_flooders_4 | tr '\n' ' ')"
fi
if lab_exec gw nft list set inet kastro t_flooders_4 | grep -q "$LAB_LAN_IP4"; then
	t_fail "$T: overload: the legitimate client was put in <flooders> too"
fi
dropped=$(lab_exec gw nft list chain inet kastro overload_fwd |
	sed -n 's/.*ip saddr @t_flooders_4 counter packets \([0-9]*\) .*/\1/p')
if [ "${dropped:-0}" -gt 1000 ]; then
	t_pass "$T: overload: the flooder's packets are dropped ($dropped)"
else
	t_fail "$T: overload: packets dropped from <flooders>: '$dropped'"
fi
c=$(lab_exec guest curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$LAB_DMZ_IP4/health")
[ "$c" = 000 ] && t_pass "$T: overload: the flooder is blocked for a time (a fetch after the flood fails)" ||
	t_fail "$T: overload: a fetch by the flooder after the flood: $c"

# ---- kastrod: memory, flow table, EVE ----------------------------------------------
wait "$slow_pid" 2>/dev/null
slow=$(cat "$LAB_DIR/slow.log")
if [ "$slow" = "slow_status=200 slow_bytes=3000000" ]; then
	t_pass "$T: an established download through the flood completes"
else
	t_fail "$T: established download through the flood: '$slow'"
fi
# kastroctl policy reads the counters of the limit and synproxy lines too
pol=$("$(dirname "$KASTROD")/kastroctl" -s "$tmp/kastrod.sock" policy 2>&1)
if printf '%s\n' "$pol" | grep -qE '^rule 1 packets=[1-9][0-9]+ bytes=[0-9]+ .*overload <flooders> 120s$'; then
	t_pass "$T: kastroctl policy counts the limited rule ($(printf '%s\n' "$pol" | grep '^rule 1' | cut -d' ' -f3-4))"
else
	t_fail "$T: kastroctl policy: $(printf '%s' "$pol" | tr '\n' '|' | head -c 400)"
fi

# a stats event now (SIGUSR1), then stop
kill -USR1 "$(lab_exec gw pgrep -o -f "$KASTROD -c $conf")"
lab_wait_until 5 grep -q '"event_type":"stats"' "$eve" || t_fail "$T: no stats event after SIGUSR1"
kill -TERM "$kpid"
wait "$kpid"
kpid=""
stats=$(grep '"event_type":"stats"' "$eve" | head -n 1)
num() { printf '%s' "$stats" | grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2; }
created=$(num created) peak=$(num active_peak) evicted=$(num evicted)
evest=$(num evicted_established) drate=$(num dropped_rate)
echo "    flows created $created, peak $peak (cap $MAXFLOWS), evicted $evicted ($evest established); EVE events not written over the cap: $drate"
if [ "${peak:-0}" -le "$MAXFLOWS" ] && [ "${created:-0}" -gt "$MAXFLOWS" ] && [ "${evicted:-0}" -gt 0 ] &&
	[ "$rss_max" -lt $((rss0 + 200000)) ]; then
	t_pass "$T: memory bounded: flow table at most $MAXFLOWS of $created flows, RSS +$((rss_max - rss0)) KiB"
else
	t_fail "$T: memory bounded: created=$created peak=$peak evicted=$evicted rss $rss0 -> $rss_max KiB"
fi
[ "${evest:-1}" = 0 ] && t_pass "$T: no established flow was evicted" ||
	t_fail "$T: established flows evicted: $evest"
# per second of event time: flow/dns/tls/http events at most the cap
# written per second: at most the cap, over the whole run (events are stamped
# with their flows' times, not the time they were written, so count them all)
capped=$(grep -vc '"event_type":"\(stats\|alert\)"' "$eve")
run_s=$(( $(date +%s) - t0 + 1 ))
if [ "$capped" -le $((CAP * run_s)) ] && [ "${drate:-0}" -gt 0 ]; then
	t_pass "$T: EVE cap holds ($capped flow and app events in $run_s s, cap $CAP/s; $drate over it counted)"
else
	t_fail "$T: EVE cap: $capped flow and app events in $run_s s (cap $CAP/s), dropped_rate=$drate"
	grep -v 'capturing on' "$klog" | head -n 10 | sed 's/^/    kastrod: /'
fi
if grep -q '"http":{}\|"tls":{}' "$eve"; then
	t_fail "$T: EVE has app events without content"
else
	t_pass "$T: EVE has no app event without content"
fi
t_done
