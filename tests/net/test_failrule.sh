#!/bin/bash
# How connections fail, per DPI rule, in the lab (IPv4 and IPv6): the global
# `inline { fail closed }` for the LAN, a rule of its own with `fail open`
# for the guest network, both blocking the same hosts. With the packet
# process stopped, a new connection from the LAN to a blocked host gets
# nothing while one from the guest network passes, and both are counted;
# judged normally, both are blocked. `fail` on a static rule is refused.
#
# usage: tests/net/test_failrule.sh KASTROD
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lab.sh"

T=net_failrule
KASTROD=$1
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac
KASTROCTL=$(dirname "$KASTROD")/kastroctl
lab_segment guest 10.50.0 fd00:50
lab_test_begin "$T"

eve=$tmp/eve.json
conf=$tmp/kastrod.conf
sock=$tmp/kastrod.sock
klog=$tmp/kastrod.log
cat >"$conf" <<EOF2
interfaces { "gw-lan" "gw-dmz" "gw-guest" }
eve "$eve"
inline { fail closed fail-after 300 }
interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
interface guest { device "gw-guest" networks { 10.50.0.0/24 fd00:50::/64 } }
default block
pass proto tcp from { lan guest } to dmz port 80
block log from lan host "*.blocked.kavala.example"
block log from guest host "*.blocked.kavala.example" fail open
EOF2
if ! "$KASTROD" -n -c "$conf" >"$tmp/check.out" 2>&1; then
	t_fail "$T: policy accepted: $(grep -v '^warning' "$tmp/check.out" | head -n 5 | tr '\n' ' ')"
	t_done
fi
grep -q 'iifname "gw-guest".*goto inline_new_open$' "$tmp/check.out" &&
	grep -q 'iifname "gw-lan".*goto inline_new$' "$tmp/check.out" &&
	t_pass "$T: the guest rule's connections are marked to fail open, the LAN's closed" ||
	t_fail "$T: inline_sel: $(grep -m 4 'goto inline_new' "$tmp/check.out" | tr '\n' ' ')"
printf 'interface lan { device "x" }\npass from lan fail open\n' >"$tmp/bad.conf"
bad=$("$KASTROD" -n -c "$tmp/bad.conf" 2>&1 | head -n 1)
case "$bad" in *"'fail' on a rule without app, category, host or risk"*)
	t_pass "$T: 'fail' on a static rule is refused: $bad" ;;
*)	t_fail "$T: 'fail' on a static rule: '$bad'" ;;
esac

ip netns exec "$LAB_NS_GW" "$KASTROD" -c "$conf" --control "$sock" >"$klog" 2>&1 &   # $! is kastrod
kpid=$!
if ! lab_wait_until 15 grep -q 'inspecting queued' "$klog" || ! lab_wait_until 5 grep -q 'relay: queue' "$klog"; then
	t_fail "$T: kastrod did not start inline"
	sed 's/^/    kastrod: /' "$klog" | head -20
	t_done
fi
status() { lab_exec gw "$KASTROCTL" -s "$sock" status | sed -n "s/^$1=//p"; }
http() {  # http NS ADDR HOST -> "code bytes"
	lab_exec "$1" curl -s -g -o /dev/null -w '%{http_code} %{size_download}' --max-time 3 \
		-H "Host: $3" "http://$2/" 2>/dev/null
}
echo "    chain inline_queue: $(lab_exec gw nft --debug=netlink list chain inet kastro inline_queue 2>/dev/null | grep -c '^inet kastro inline_queue') rules"

for fam in 4 6; do
	if [ $fam = 4 ]; then a=$LAB_DMZ_IP4; else a="[$LAB_DMZ_IP6]"; fi
	r1=$(http lan "$a" a.blocked.kavala.example)
	r2=$(http guest "$a" b.blocked.kavala.example)
	r3=$(http guest "$a" portal.kavala.example)
	[ "${r1%% *}" = 000 ] && [ "${r2%% *}" = 000 ] && [ "${r3%% *}" = 200 ] &&
		t_pass "$T: IPv$fam: judged, both networks' requests to a blocked host are blocked" ||
		t_fail "$T: IPv$fam: judged: LAN $r1, guest $r2, guest allowed $r3"
done

spid=$(status sensor_pid)
case "$spid" in ''|0|*[!0-9]*) t_fail "$T: no sensor pid ('$spid')"; t_done ;; esac
fo0=$(status inline_fail_open); fc0=$(status inline_fail_closed)
kill -STOP "$spid"
for fam in 4 6; do
	if [ $fam = 4 ]; then a=$LAB_DMZ_IP4; else a="[$LAB_DMZ_IP6]"; fi
	r1=$(http lan "$a" stopped.blocked.kavala.example)
	r2=$(http guest "$a" stopped.blocked.kavala.example)
	echo "    IPv$fam, packet process stopped: LAN $r1, guest $r2"
	[ "${r1%% *}" = 000 ] && [ "${r1##* }" = 0 ] && [ "${r2%% *}" = 200 ] &&
		t_pass "$T: IPv$fam: packet process stopped: the LAN fails closed, the guest rule open" ||
		t_fail "$T: IPv$fam: packet process stopped: LAN $r1, guest $r2"
done
sleep 1.2
fo=$(status inline_fail_open); fc=$(status inline_fail_closed)
kill -CONT "$spid"
[ "$((fo - fo0))" -gt 0 ] && [ "$((fc - fc0))" -gt 0 ] &&
	t_pass "$T: both are counted (fail_open +$((fo - fo0)), fail_closed +$((fc - fc0)))" ||
	t_fail "$T: counts: fail_open $fo0 -> $fo, fail_closed $fc0 -> $fc"

grep -q 'ERROR\|error:' "$klog" && { t_fail "$T: errors in kastrod's log"; grep 'ERROR\|error:' "$klog" | head -5; }
t_done
