#!/bin/bash
# Escalation through the hooks: a repeat of a deduplicated alert with a
# higher severity raises the alert's severity and sends it again
# (reason "escalated") to every hook it now passes: the hook that had it
# sees the escalation, a hook whose min-severity it did not pass before
# gets it for the first time; a repeat at the same severity sends nothing.
# Receiver: Debian's rsyslog (imtcp on loopback).
#
# usage: tests/console/test_hooks_escalate.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
T=hooks_escalate
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
. "$here/console_lib.sh"
PY=/usr/bin/python3
rsyslog_tcp

# the default dedup window (1 h): repeats are counted on one alert
write_conf "hook every { syslog \"tcp://127.0.0.1:$P_TCP\" format cef }" \
	"hook urgent { syslog \"tcp://127.0.0.1:$P_TCP\" format leef min-severity critical }"
start_console || { t_fail "$T: console did not start: $(tail -n 5 "$log" | tr '\n' ' ')"; t_done; }
tok=$("$CTL" -s "$sock" token create --kind gateway | sed -n 's/^token=//p')
$PY "$here/sensor.py" enroll "127.0.0.1:$HP" "$tok" "$fp" "$tmp/s1" gw-1 >/dev/null 2>"$tmp/e.err" || { t_fail "$T: enrol: $(cat "$tmp/e.err")"; t_done; }

# send SEQ SEVERITY: one event of sensor.py's rule "test rule 1" (seq a multiple of 15: the same rule and host)
send() {
	$PY - "$here" "127.0.0.1:$SP" "$tmp/s1" "$1" "$2" <<'EOP' >/dev/null 2>"$tmp/send.err"
import sys
sys.path.insert(0, sys.argv[1])
import sensor
base = sensor.event
def event(seq):
    e = base(seq)
    e["alert"]["severity"] = int(sys.argv[5])
    return e
sensor.event = event
sensor.send(sys.argv[2], sys.argv[3], int(sys.argv[4]), 1, 1, 0)
EOP
}
lines() { cat "$tmp/syslog.out" 2>/dev/null | grep -c "$1"; }
wait_lines() { for _i in $(seq 1 50); do [ "$(lines "$1")" -ge "$2" ] && return 0; sleep 0.2; done; return 1; }

send 15 2 || t_fail "$T: send: $(cat "$tmp/send.err")"
wait_lines 'reason="raised"' 1
sleep 0.5
[ "$(lines 'reason="raised"')" = 1 ] && [ "$(lines 'LEEF:')" = 0 ] &&
	t_pass "$T: a high alert goes to the hook that takes every severity, not to the critical-only one" ||
	t_fail "$T: first alert: $(cat "$tmp/syslog.out")"

send 30 2 || t_fail "$T: send: $(cat "$tmp/send.err")"
send 45 1 || t_fail "$T: send: $(cat "$tmp/send.err")"
wait_lines 'reason="escalated"' 2
sleep 0.5
sev=$(db "select severity || ' ' || count from alerts")
if [ "$sev" = "1 3" ] && [ "$(lines 'reason="escalated"')" = 2 ] &&
	grep 'reason="escalated"' "$tmp/syslog.out" | grep -q 'CEF:0|Kastro|Kastro|.*|10|' &&
	grep 'reason="escalated"' "$tmp/syslog.out" | grep -q 'LEEF:2.0|Kastro' &&
	grep 'reason="escalated"' "$tmp/syslog.out" | grep -q 'severity="critical"'; then
	t_pass "$T: a critical repeat escalates the alert (severity 1, count 3): both hooks get it as escalated"
else
	t_fail "$T: escalation: alerts '$sev', $(lines 'reason="escalated"') escalated lines: $(tail -n 3 "$tmp/syslog.out")"
fi
[ "$(lines 'reason="raised"')" = 1 ] && t_pass "$T: a repeat at the same severity sends nothing" ||
	t_fail "$T: repeats sent: $(lines 'reason="raised"')"

send 60 1 || t_fail "$T: send: $(cat "$tmp/send.err")"
sleep 1
[ "$(lines 'reason=')" = 3 ] && [ "$(db "select count from alerts")" = 4 ] &&
	t_pass "$T: a critical repeat of the escalated alert sends nothing more" ||
	t_fail "$T: after the escalation: $(lines 'reason=') lines"
t_done
