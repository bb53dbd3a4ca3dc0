#!/bin/bash
# kastrod --monitor in the lab: the same policy that enforces inline (DPI
# block rule, default block) only watches. Started where an inline run left
# its table (fail closed, no one judging), it removes the table; the blocked
# host is served and EVE has an alert for it with action "allowed"; static
# rules are not enforced either; a reload keeps watching; nothing of
# kastrod is left in nftables.
#
# usage: tests/net/test_monitor.sh KASTROD
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lab.sh"

T=net_monitor
KASTROD=$1
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac
KASTROCTL=$(dirname "$KASTROD")/kastroctl
lab_test_begin "$T"

eve=$tmp/eve.json
conf=$tmp/kastrod.conf
sock=$tmp/kastrod.sock
klog=$tmp/kastrod.log
cat >"$conf" <<EOF2
interfaces { "gw-lan" "gw-dmz" }
eve "$eve"
interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
default block
pass proto tcp from lan to dmz port 80
block log severity 1 host "*.blocked.kavala.example"
EOF2
http() {  # http HOST [PORT] -> "code bytes"
	lab_exec lan curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 4 \
		-H "Host: $1" "http://$LAB_DMZ_IP4:${2:-80}/" 2>/dev/null
}
status() { lab_exec gw "$KASTROCTL" -s "$sock" status | sed -n "s/^$1=//p"; }

# An inline run first, stopped: its table stays and fails closed.
ip netns exec "$LAB_NS_GW" "$KASTROD" -c "$conf" --control "$sock" >"$klog" 2>&1 &   # $! is kastrod
kpid=$!
lab_wait_until 15 grep -q 'inspecting queued' "$klog" || t_fail "$T: kastrod did not start inline"
r=$(http portal.kavala.example)
kill -TERM "$kpid"; wait "$kpid" 2>/dev/null; kpid=""
r0=$(http portal.kavala.example)
lab_exec gw nft list table inet kastro >/dev/null 2>&1 && [ "${r%% *}" = 200 ] && [ "${r0%% *}" = 000 ] &&
	t_pass "$T: an inline run enforced, and its table stays after it (fail closed: nothing judged passes)" ||
	t_fail "$T: inline run: served $r, after it $r0"

# The same configuration, watched.
: >"$eve"
ip netns exec "$LAB_NS_GW" "$KASTROD" -c "$conf" --control "$sock" --monitor >"$klog" 2>&1 &
kpid=$!
if ! lab_wait_until 15 grep -q 'capturing on' "$klog"; then
	t_fail "$T: kastrod --monitor did not start"
	sed 's/^/    kastrod: /' "$klog" | head -20
	t_done
fi
sleep 0.5
grep -q 'table inet kastro of an earlier run removed' "$klog" &&
	! lab_exec gw nft list table inet kastro >/dev/null 2>&1 &&
	t_pass "$T: --monitor removes the table an earlier run left, and loads none" ||
	t_fail "$T: --monitor: table inet kastro $(lab_exec gw nft list table inet kastro >/dev/null 2>&1 && echo is there || echo gone); log: $(grep -m2 'monitor' "$klog" | tr '\n' ' ')"

r1=$(http shop.blocked.kavala.example)
# default block, not enforced either: a port nobody listens on refuses
r2=$(lab_exec lan "$(lab_python)" - "$LAB_DMZ_IP4" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], 8082), timeout=2)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except OSError:
    print("silent")
PY
)
rec() { grep '"event_type":"alert"' "$eve" | grep 'shop\.blocked\.kavala\.example' | tail -n 1; }
have_rec() { local l; l=$(rec); [ -n "$l" ] && jq -e .alert <<<"$l" >/dev/null 2>&1; }
lab_wait_until 10 have_rec
act=$(rec | jq -r '.alert.action' 2>/dev/null)
echo "    --monitor: blocked host $r1, port 8082 $r2, alert action '$act'"
[ "${r1%% *}" = 200 ] && [ "$act" = allowed ] &&
	t_pass "$T: a DPI block rule only alerts (the host is served; EVE alert action allowed)" ||
	t_fail "$T: DPI block rule under --monitor: served $r1, alert action '$act'"
[ "$r2" = refused ] &&
	t_pass "$T: static rules are not enforced under --monitor (default block: port 8082 reached, refused by the server)" ||
	t_fail "$T: port 8082 under --monitor: $r2"

# A reload keeps watching.
out=$(lab_exec gw "$KASTROCTL" -s "$sock" reload 2>&1)
r3=$(http again.blocked.kavala.example)
[ "${out%% *}" = ok ] && [ "${r3%% *}" = 200 ] && ! lab_exec gw nft list table inet kastro >/dev/null 2>&1 &&
	t_pass "$T: a reload keeps watching (nothing loaded, the blocked host still served)" ||
	t_fail "$T: reload under --monitor: '$out', blocked host $r3"

# (checked while it runs: how the capture-mode sensor stops is not this test's)
grep -q 'ERROR\|error:' "$klog" && { t_fail "$T: errors in kastrod's log"; grep 'ERROR\|error:' "$klog" | head -5; }
kill -TERM "$kpid"; wait "$kpid" 2>/dev/null; kpid=""
t_done
