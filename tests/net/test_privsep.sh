#!/bin/bash
# Privilege separation of kastrod inline (the policy has DPI rules), in a
# lab of namespaces: a root parent holding only CAP_NET_ADMIN and
# CAP_NET_RAW, a relay child holding those two only, an unprivileged sensor
# child with no capabilities; a killed sensor is logged and replaced and the
# new one classifies traffic; a DPI block is written on the connection's
# conntrack mark; kastroctl status, quarantine/release, reload (bad and good, and one
# that reverts unless confirmed); a killed parent leaves table inet kastro
# in force and a new kastrod takes it over.
#
# usage: tests/net/test_privsep.sh KASTROD   (kastroctl is looked for beside it)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lab.sh"

T=net_privsep
if [ $# -ne 1 ]; then
	echo "usage: $0 KASTROD" >&2
	exit 2
fi
KASTROD=$1
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac
KASTROCTL=$(dirname "$KASTROD")/kastroctl

lab_need "$T" jq curl nft ss conntrack
for b in "$KASTROD" "$KASTROCTL"; do
	if [ ! -x "$b" ]; then
		t_fail "$T: binary '$b' missing or not executable"
		t_done
	fi
done

BLOCKED_HOST=blocked.kavala.example

lab_test_begin "$T"

sock=$tmp/kastrod.sock
eve=$tmp/eve.json
conf=$tmp/kastrod.conf
printf '192.0.2.0/24\n# a comment\nnot-an-address\n198.51.100.7\n' >"$tmp/feeds.netset"
write_conf() {
	cat >"$conf" <<-EOF
	interfaces { "gw-lan" "gw-dmz" }
	eve "$eve"
	interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
	interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
	table <feeds> file "$tmp/feeds.netset"
	block log severity 1 to <feeds>
	block log severity 2 host "$BLOCKED_HOST"
	$1
	default pass
	EOF
}
write_conf ""
if ! "$KASTROD" -n -c "$conf" >"$tmp/check.out" 2>&1; then
	t_fail "$T: test policy accepted by kastrod -n: $(head -n 5 "$tmp/check.out" | tr '\n' ' ')"
	t_done
fi

ctl() { lab_exec gw "$KASTROCTL" -s "$sock" "$@"; }
klog=""
start_kastrod() {
	klog=$LAB_DIR/$1.log
	lab_spawn gw "$1" "$KASTROD" -c "$conf" --control "$sock" -v
	kpid=$LAB_LAST_PID
}
show_log() { sed -n '1,40s/^/    kastrod: /p' "$klog"; }
child_of() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' | head -n 1; }
field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "/proc/$1/status" 2>/dev/null; }
nlines() { grep -c "$1" "$klog" 2>/dev/null; }
# The sensor logs "inspecting queued" once it takes packets from the relay; n-th time.
capturing_n() { [ "$(nlines 'inspecting queued')" -ge "$1" ]; }
status_of() { ctl status 2>/dev/null | sed -n "s/^$1=//p"; }

start_kastrod kastrod
if lab_wait_until 15 capturing_n 1; then
	t_pass "$T: kastrod started, its sensor inspects queued connections"
else
	t_fail "$T: kastrod started, its sensor inspects queued connections"
	show_log
	t_done
fi
cpid=$(status_of sensor_pid)
rpid=$(status_of relay_pid)

# ---- privileges of both processes ------------------------------------------
pu=$(field "$kpid" Uid | awk '{print $1}')
peff=$(field "$kpid" CapEff); pbnd=$(field "$kpid" CapBnd); pprm=$(field "$kpid" CapPrm)
if [ "$pu" = 0 ] && [ "$peff" = 0000000000003000 ] && [ "$pbnd" = 0000000000003000 ]; then
	t_pass "$T: parent is root with CapEff=CapBnd=CAP_NET_ADMIN|CAP_NET_RAW (CapPrm=$pprm)"
else
	t_fail "$T: parent is root with CapEff=CapBnd=0x3000: Uid=$pu CapEff=$peff CapBnd=$pbnd"
fi
# Permitted adds at most CAP_SETUID, CAP_SETGID, CAP_SETPCAP (for forking
# sensors) and CAP_KILL (raised only to signal the sensor, another user).
if [ -n "$pprm" ] && [ $(( 0x$pprm & ~0x31e0 )) = 0 ]; then
	t_pass "$T: parent's permitted set within NET_ADMIN|NET_RAW|SETUID|SETGID|SETPCAP|KILL"
else
	t_fail "$T: parent's permitted set within 0x31e0: CapPrm=$pprm"
fi
child_dropped() {
	local c u
	for c in CapEff CapPrm CapBnd; do
		[ "$(field "$1" $c)" = 0000000000000000 ] || return 1
	done
	u=$(field "$1" Uid)
	[ -n "$u" ] || return 1
	for id in $u; do [ "$id" != 0 ] || return 1; done
}
# The relay keeps CAP_NET_ADMIN (the queue) and CAP_NET_RAW (resets), nothing else.
if [ -n "$rpid" ] && [ "$(field "$rpid" CapEff)" = 0000000000003000 ] &&
	[ "$(field "$rpid" CapPrm)" = 0000000000003000 ] && [ "$(field "$rpid" CapBnd)" = 0000000000003000 ]; then
	t_pass "$T: relay (pid $rpid) holds CAP_NET_ADMIN|CAP_NET_RAW only"
else
	t_fail "$T: relay holds CAP_NET_ADMIN|CAP_NET_RAW only: pid '$rpid' CapEff=$(field "$rpid" CapEff) CapPrm=$(field "$rpid" CapPrm) CapBnd=$(field "$rpid" CapBnd)"
fi
if [ -n "$cpid" ] && lab_wait_until 5 child_dropped "$cpid"; then
	t_pass "$T: sensor (pid $cpid) runs as uid $(field "$cpid" Uid | awk '{print $1}') with no capabilities"
else
	t_fail "$T: sensor runs unprivileged: pid '$cpid' Uid=$(field "$cpid" Uid) CapEff=$(field "$cpid" CapEff) CapPrm=$(field "$cpid" CapPrm) CapBnd=$(field "$cpid" CapBnd)"
fi
# Inline, the packet parser also runs under a seccomp filter (mode 2).
if [ -n "$cpid" ] && [ "$(field "$cpid" Seccomp)" = 2 ]; then
	t_pass "$T: sensor runs under a seccomp filter"
else
	t_fail "$T: sensor runs under a seccomp filter: Seccomp=$(field "$cpid" Seccomp)"
fi

# ---- the kernel ruleset and kastroctl status ----------------------------------
if lab_exec gw nft list table inet kastro >/dev/null 2>&1; then
	t_pass "$T: table inet kastro loaded"
else
	t_fail "$T: table inet kastro loaded"
fi
if lab_exec gw nft list set inet kastro t_feeds_4 2>/dev/null | grep -q '198.51.100.7'; then
	t_pass "$T: file table <feeds> filled (malformed line skipped)"
else
	t_fail "$T: file table <feeds> filled: $(lab_exec gw nft list set inet kastro t_feeds_4 2>&1 | tr '\n' ' ' | head -c 300)"
fi
st=$(ctl status 2>&1)
if printf '%s\n' "$st" | head -n 1 | grep -qx ok && printf '%s\n' "$st" | grep -qx "sensor_pid=$cpid"; then
	t_pass "$T: kastroctl status answers (sensor_pid=$cpid)"
else
	t_fail "$T: kastroctl status answers with sensor_pid=$cpid: $(printf '%s' "$st" | head -n 5 | tr '\n' ' ')"
fi
perm=$(stat -c '%a %u' "$sock" 2>/dev/null)
# 0660 with group kastro where that group exists (tests/net/test_ctlgroup.sh)
want="600 0"
getent group kastro >/dev/null && want="660 0"
if [ "$perm" = "$want" ]; then t_pass "$T: control socket is mode ${want% *}, owned by root"; else
	t_fail "$T: control socket is mode ${want% *}, owned by root: '$perm'"; fi

# ---- a DPI block is written on the connection -------------------------------------
http() { lab_exec lan curl -sS -o /dev/null -w '%{http_code}' --max-time "${2:-5}" -H "Host: $1" "http://$LAB_DMZ_IP4/health" 2>/dev/null; }
code=$(http portal.kavala.example)
[ "$code" = 200 ] && t_pass "$T: allowed HTTP passes" || t_fail "$T: allowed HTTP passes: status '$code'"
http "$BLOCKED_HOST" 3 >/dev/null
marked() { lab_exec gw conntrack -L -p tcp -s "$LAB_LAN_IP4" --dport 80 --mark 0x20000000/0x30000000 2>/dev/null | grep -q .; }
if lab_wait_until 5 marked; then
	t_pass "$T: connection to $BLOCKED_HOST marked blocked in conntrack"
else
	t_fail "$T: connection to $BLOCKED_HOST marked blocked in conntrack: $(lab_exec gw conntrack -L -p tcp 2>&1 | tr '\n' ' ' | head -c 300)"
fi
# eve_has FILTER: some EVE line matches (jq 1.6's -e looks at the last line only).
eve_has() { jq -c -R "fromjson? | select($1)" "$eve" 2>/dev/null | grep -q .; }
alerted() { eve_has '.event_type == "alert" and .alert.action == "blocked"'; }
if lab_wait_until 5 alerted; then t_pass "$T: EVE alert with action blocked (verdict back to the sensor)"; else
	t_fail "$T: EVE alert with action blocked"
	grep -c . "$eve" | sed 's/^/    EVE lines: /'; grep '"alert"' "$eve" | head -n 3 | cut -c1-400 | sed 's/^/    /'; show_log; fi

# ---- kill -9 the sensor: logged, replaced, classifies again ------------------------
kill -KILL "$cpid" 2>/dev/null
if lab_wait_until 5 grep -q "sensor (pid $cpid) killed by signal 9" "$klog"; then
	t_pass "$T: parent logs the sensor's death (signal 9)"
else
	t_fail "$T: parent logs the sensor's death"; show_log
fi
if lab_wait_until 15 capturing_n 2; then
	ncpid=$(status_of sensor_pid)
	if [ -n "$ncpid" ] && [ "$ncpid" != "$cpid" ] && child_dropped "$ncpid"; then
		t_pass "$T: a new sensor (pid $ncpid) inspects, unprivileged"
	else
		t_fail "$T: a new sensor inspects, unprivileged: pid '$ncpid'"
	fi
else
	t_fail "$T: a new sensor inspects after the kill"; show_log
fi
code=$(http libraries.kavala.example)
flow_seen() { eve_has '.event_type == "http" and .http.hostname == "libraries.kavala.example"'; }
if [ "$code" = 200 ] && lab_wait_until 5 flow_seen; then
	t_pass "$T: traffic after the restart is classified in EVE"
else
	t_fail "$T: traffic after the restart is classified in EVE (HTTP status '$code')"
fi

# ---- quarantine and release ------------------------------------------------------
q_has() { lab_exec gw nft list set inet kastro quarantine4 2>/dev/null | grep -qw "$LAB_LAN_IP4"; }
out=$(ctl quarantine "$LAB_LAN_IP4" --ttl 1h 2>&1)
if [ "${out%% *}" = ok ] && q_has; then
	t_pass "$T: kastroctl quarantine puts $LAB_LAN_IP4 in quarantine4"
else
	t_fail "$T: kastroctl quarantine puts $LAB_LAN_IP4 in quarantine4: '$out'"
fi
code=$(http portal.kavala.example 3)
[ "$code" != 200 ] && t_pass "$T: quarantined host cut off" || t_fail "$T: quarantined host cut off: got 200"
out=$(ctl release "$LAB_LAN_IP4" 2>&1)
if [ "${out%% *}" = ok ] && ! q_has; then
	t_pass "$T: kastroctl release removes it"
else
	t_fail "$T: kastroctl release removes it: '$out'"
fi
code=$(http portal.kavala.example)
[ "$code" = 200 ] && t_pass "$T: released host reaches the DMZ again" || t_fail "$T: released host reaches the DMZ again: '$code'"
out=$(ctl quarantine not-an-address 2>&1); rc=$?
[ "$rc" != 0 ] && [ "${out#error:}" != "$out" ] && t_pass "$T: kastroctl refuses a bad address" ||
	t_fail "$T: kastroctl refuses a bad address: rc=$rc '$out'"

# ---- reload: broken, good, not confirmed, confirmed ------------------------------------
cp "$conf" "$tmp/good.conf"
echo 'block app { NoSuchApplication }' >>"$conf"
kill -HUP "$kpid"
if lab_wait_until 5 grep -q 'reload (SIGHUP).*failed; the running policy stays' "$klog" && lab_alive "$kpid" &&
	lab_exec gw nft list set inet kastro t_feeds_4 >/dev/null 2>&1; then
	t_pass "$T: SIGHUP with a broken policy: logged, old ruleset stays"
else
	t_fail "$T: SIGHUP with a broken policy: logged, old ruleset stays"; show_log
fi
out=$(ctl reload 2>&1); rc=$?
if [ "$rc" = 1 ] && printf '%s' "$out" | grep -q '^error: .*kastrod.conf:'; then
	t_pass "$T: kastroctl reload of a broken policy says where"
else
	t_fail "$T: kastroctl reload of a broken policy says where: rc=$rc '$(printf '%s' "$out" | head -n 2 | tr '\n' ' ')'"
fi
write_conf "block to 203.0.113.9"
out=$(ctl reload --confirm-within 2s 2>&1)
has_rule() { lab_exec gw nft list table inet kastro 2>/dev/null | grep -q '203.0.113.9'; }
if [ "${out%% *}" = ok ] && has_rule; then t_pass "$T: reload --confirm-within applies the new policy"; else
	t_fail "$T: reload --confirm-within applies the new policy: '$out'"; fi
reverted() { ! has_rule && grep -q 'previous policy is back' "$klog"; }
if lab_wait_until 6 reverted; then t_pass "$T: unconfirmed reload reverts by itself"; else
	t_fail "$T: unconfirmed reload reverts by itself"; show_log; fi
out=$(ctl reload --confirm-within 5s 2>&1)
out2=$(ctl confirm 2>&1)
sleep 6
if [ "${out%% *}" = ok ] && [ "${out2%% *}" = ok ] && has_rule; then
	t_pass "$T: confirmed reload stays"
else
	t_fail "$T: confirmed reload stays: '$out' / '$out2'"
fi

# ---- kill -9 the parent: the kernel keeps enforcing; a new kastrod takes over ----------
cpid=$(status_of sensor_pid)
rpid=$(status_of relay_pid)
kill -KILL "$kpid"
wait "$kpid" 2>/dev/null
kpid=""
if lab_exec gw nft list table inet kastro >/dev/null 2>&1 && has_rule; then
	t_pass "$T: after kill -9 of the parent, table inet kastro stays"
else
	t_fail "$T: after kill -9 of the parent, table inet kastro stays"
fi
gone() { ! lab_alive "$1"; }
if [ -n "$cpid" ] && lab_wait_until 5 gone "$cpid"; then t_pass "$T: the orphaned sensor exits"; else
	t_fail "$T: the orphaned sensor exits (pid '$cpid')"; fi
if [ -n "$rpid" ] && lab_wait_until 5 gone "$rpid"; then t_pass "$T: the orphaned relay exits"; else
	t_fail "$T: the orphaned relay exits (pid '$rpid')"; fi

start_kastrod kastrod2
if lab_wait_until 15 capturing_n 1 && grep -q 'taking over table inet kastro' "$klog"; then
	t_pass "$T: a new kastrod takes over the table"
else
	t_fail "$T: a new kastrod takes over the table"; show_log
fi
kill -TERM "$kpid"
if lab_wait_until 15 gone "$kpid"; then
	wait "$kpid"; rc=$?
	[ "$rc" = 0 ] && t_pass "$T: SIGTERM: exit 0" || t_fail "$T: SIGTERM: exit status $rc"
else
	t_fail "$T: SIGTERM: still running after 15 s"
fi
kpid=""
if lab_exec gw nft list table inet kastro >/dev/null 2>&1; then
	t_pass "$T: after SIGTERM, table inet kastro stays"
else
	t_fail "$T: after SIGTERM, table inet kastro stays"
fi
[ ! -e "$sock" ] && t_pass "$T: control socket removed at exit" || t_fail "$T: control socket removed at exit"
t_done
