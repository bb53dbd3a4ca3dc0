#!/bin/bash
# A 1,000,000-entry blocklist file loaded by kastrod into the kernel: an
# address in it is blocked; the time until kastrod is ready is reported.
# A reload swaps the table's contents with no instant where it is empty (a
# listed address pinged all through the reload never answers), and a reload
# of a file without that address lets it through.
#
# usage: tests/net/test_blocklist.sh KASTROD   (kastroctl beside it)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lab.sh"

T=net_blocklist
KASTROD=$1
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac
KASTROCTL=$(dirname "$KASTROD")/kastroctl

lab_test_begin "$T"
# 999,999 /32s outside the lab (from 198.18.0.0, every other address so
# that no two merge into a range) plus the DMZ server, netset style.
python3 - "$tmp/feeds.netset" "$LAB_DMZ_IP4" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("# test blocklist\n")
    n = 0
    a = 198 << 24 | 18 << 16          # 198.18.0.0/15, then onwards
    while n < 999999:
        f.write("%d.%d.%d.%d\n" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255))
        a += 2
        n += 1
    f.write(sys.argv[2] + "\n")
PY
conf=$tmp/kastrod.conf
cat >"$conf" <<EOF2
interfaces { "gw-lan" "gw-dmz" }
eve "$tmp/eve.json"
interface lan { device "gw-lan" networks { 10.10.0.0/24 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 } }
table <feeds> file "$tmp/feeds.netset"
block log from lan to <feeds>
default pass
EOF2
klog=$tmp/kastrod.log
start=$(date +%s.%N)
lab_exec gw "$KASTROD" -c "$conf" --control "$tmp/kastrod.sock" >"$klog" 2>&1 &
kpid=$!
if ! lab_wait_until 60 grep -q 'capturing on' "$klog"; then
	t_fail "$T: kastrod did not start with the blocklist"
	sed 's/^/    kastrod: /' "$klog" | head -20
	t_done
fi
secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
n=$(sed -n 's/.*table <feeds>: \([0-9]*\) IPv4.*/\1/p' "$klog" | tail -1)
if [ "${n:-0}" -ge 1000000 ]; then
	t_pass "$T: 1,000,000-entry table loaded into the kernel, kastrod ready after ${secs}s"
else
	t_fail "$T: table loaded: '${n}' IPv4 prefixes"
	sed 's/^/    kastrod: /' "$klog" | head -10
fi
code=$(lab_exec lan curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$LAB_DMZ_IP4/" 2>/dev/null)
[ "$code" = 000 ] && t_pass "$T: a listed address is blocked" ||
	t_fail "$T: a listed address is blocked: got $code"

# Reload with the same file: a ping every 10 ms from before the reload
# until after it must get no answer.
reload() {
	local s rc
	s=$(date +%s.%N)
	"$KASTROCTL" -s "$tmp/kastrod.sock" reload >"$tmp/reload.out" 2>&1
	rc=$?
	rsecs=$(echo "$(date +%s.%N) - $s" | bc)
	return $rc
}
lab_exec lan ping -n -i 0.01 -W 1 -w 120 "$LAB_DMZ_IP4" >"$tmp/ping.out" 2>&1 &
ppid=$!
sleep 0.5
if reload; then
	t_pass "$T: reload of the 1,000,000-entry table answered in ${rsecs}s"
else
	t_fail "$T: reload of the 1,000,000-entry table: $(cat "$tmp/reload.out")"
fi
sleep 0.5
# SIGINT makes ping print its count; it goes to ping itself, as a
# background job of this shell ignores it.
pkill -INT -f "^ping -n -i 0.01 -W 1 -w 120 $LAB_DMZ_IP4\$"
wait "$ppid" 2>/dev/null
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$tmp/ping.out")
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$tmp/ping.out")
if [ "${sent:-0}" -ge 50 ] && [ "${got:-1}" = 0 ]; then
	t_pass "$T: no packet to the listed address passed during the reload (0 of $sent pings answered)"
else
	t_fail "$T: during the reload: sent '${sent}', answered '${got}'"
fi

# The same table without the DMZ address: after a reload, it is reachable.
sed -i '$d' "$tmp/feeds.netset"
if reload; then
	code=$(lab_exec lan curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$LAB_DMZ_IP4/" 2>/dev/null)
	[ "$code" = 200 ] && t_pass "$T: an address taken off the list passes after a reload (${rsecs}s)" ||
		t_fail "$T: an address taken off the list passes after a reload: got $code"
else
	t_fail "$T: second reload: $(cat "$tmp/reload.out")"
fi

t_done
