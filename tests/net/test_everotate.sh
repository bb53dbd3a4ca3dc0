#!/bin/bash
# EVE log rotation without a lost or split line: kastrod writes EVE while a
# lab host makes HTTP connections through it; the file is moved away twice
# (as logrotate does) and kastrod told each time, once by `kastroctl
# reopen` and once by SIGUSR2. The parent opens the file again and hands
# the descriptor to the unprivileged sensor. Then: every line of the three
# files is one whole JSON object, each file got lines, and the lines of all
# three add up to the events kastrod counted (eve_events of kastroctl
# status); the sensor took both files (eve_reopens=2). Run twice: inline
# (the policy has a DPI rule; the sensor runs under its seccomp filter) and
# with plain capture (no DPI rule).
#
# usage: tests/net/test_everotate.sh KASTROD   (kastroctl is looked for beside it)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lab.sh"

T=net_everotate
if [ $# -ne 1 ]; then
	echo "usage: $0 KASTROD" >&2
	exit 2
fi
KASTROD=$1
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac
CTL=$(dirname "$KASTROD")/kastroctl
for b in "$KASTROD" "$CTL"; do
	[ -x "$b" ] || { t_fail "$T: $b not built"; t_done; }
done
for c in curl python3; do
	command -v "$c" >/dev/null 2>&1 || { t_fail "$T: $c not installed (packaging/deps.sh test)"; t_done; }
done

lab_test_begin "$T"
tpid=""
end() {
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
	_lab_test_end
}
trap end EXIT

sock=$tmp/kastrod.sock
eve=$tmp/eve.json
ctl() { "$CTL" -s "$sock" "$@"; }
stat_of() { ctl status 2>/dev/null | sed -n "s/^$1=//p"; }
# traffic SECONDS: HTTP connections from the LAN host to the DMZ, one after another
traffic() {
	lab_exec lan sh -c 'end=$(($(date +%s) + $1)); while [ "$(date +%s)" -lt "$end" ]; do
		curl -s -o /dev/null --max-time 2 "http://$2/health"; done' sh "$1" "$LAB_DMZ_IP4"
}
# lines FILE...: the lines of the files, each checked to be one JSON object;
# prints "TOTAL BAD"
lines() {
	python3 - "$@" <<-'EOF'
	import json, sys
	total = bad = 0
	for f in sys.argv[1:]:
	    data = open(f, "rb").read()
	    if data and not data.endswith(b"\n"):
	        bad += 1
	    for line in data.split(b"\n")[:-1] if data else []:
	        total += 1
	        try:
	            if not isinstance(json.loads(line), dict):
	                bad += 1
	        except ValueError:
	            bad += 1
	print(total, bad)
	EOF
}

run() {  # run MODE POLICY-LINE
	local mode=$1 extra=$2 ok=0 i n e1 e2 total bad
	rm -f "$eve" "$eve".1 "$eve".2
	cat >"$tmp/kastrod.conf" <<-EOF
	interfaces { "gw-lan" "gw-dmz" }
	eve "$eve"
	interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
	interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
	$extra
	default pass
	EOF
	lab_spawn gw "kastrod-$mode" "$KASTROD" -c "$tmp/kastrod.conf" --control "$sock"
	kpid=$LAB_LAST_PID
	if ! lab_wait_until 15 grep -q 'capturing on\|inspecting queued' "$LAB_DIR/kastrod-$mode.log"; then
		t_fail "$T ($mode): kastrod did not start: $(tail -n 5 "$LAB_DIR/kastrod-$mode.log" | tr '\n' ' ')"
		return
	fi
	traffic 8 &
	tpid=$!
	sleep 2.5
	mv "$eve" "$eve.1"
	if out=$(ctl reopen 2>&1); then
		t_pass "$T ($mode): kastroctl reopen: $(echo "$out" | tail -n 1)"
	else
		t_fail "$T ($mode): kastroctl reopen: $out"
	fi
	sleep 2.5
	mv "$eve" "$eve.2"
	kill -USR2 "$kpid"
	wait "$tpid"
	tpid=""
	# the counter and the files agree once both are still (stats: once a second)
	for i in $(seq 1 20); do
		sleep 1.2
		e1=$(stat_of eve_events)
		read -r total bad < <(lines "$eve.1" "$eve.2" "$eve")
		sleep 1.2
		e2=$(stat_of eve_events)
		if [ -n "$e1" ] && [ "$e1" = "$e2" ] && [ "$total" = "$e1" ]; then
			ok=1
			break
		fi
	done
	n="$(grep -c . "$eve.1") + $(grep -c . "$eve.2") + $(grep -c . "$eve" 2>/dev/null)"
	if [ "$ok" = 1 ]; then
		t_pass "$T ($mode): lines in the three files ($n) = eve_events ($e1)"
	else
		t_fail "$T ($mode): lines in the three files ($n = $total) vs eve_events ($e1, $e2)"
	fi
	[ "$bad" = 0 ] && t_pass "$T ($mode): every line is one whole JSON object" ||
		t_fail "$T ($mode): $bad lines are not a whole JSON object"
	if [ "$(grep -c . "$eve.1")" -gt 0 ] && [ "$(grep -c . "$eve.2")" -gt 0 ] &&
		[ "$(grep -c . "$eve" 2>/dev/null)" -gt 0 ]; then
		t_pass "$T ($mode): each of the three files got events"
	else
		t_fail "$T ($mode): a file got no events ($n)"
	fi
	[ "$(stat_of eve_reopens)" = 2 ] && t_pass "$T ($mode): the sensor took both files (eve_reopens=2)" ||
		t_fail "$T ($mode): eve_reopens=$(stat_of eve_reopens)"
	grep -q 'opened again (control socket)' "$LAB_DIR/kastrod-$mode.log" &&
		grep -q 'opened again (SIGUSR2)' "$LAB_DIR/kastrod-$mode.log" &&
		t_pass "$T ($mode): kastrod logged both reopens" ||
		t_fail "$T ($mode): reopens not logged: $(grep -i 'eve\|reopen' "$LAB_DIR/kastrod-$mode.log" | tail -n 3 | tr '\n' ' ')"
	kill -TERM "$kpid"
	lab_wait_until 10 sh -c "! kill -0 $kpid 2>/dev/null"
	wait "$kpid" 2>/dev/null
	kpid=""
}

run inline 'block log severity 2 host "blocked.kavala.example"'
run capture ''
t_done
