#!/bin/bash
# The officers' port counts an IPv6 client by its /64: in the network lab
# (tests/net/lab.sh) the console runs in the gateway's namespace with
# `limits per-address 4`; the staff PC holds 3 connections from
# fd00:10::2, then tries 3 more from fd00:10::3 (the same /64: only one
# gets in), while the DMZ host, another /64, still gets its 3.
#
# usage: tests/console/test_busy6.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../net/lab.sh"

T=busy6
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
CONSOLE=$B/kastro-console
[ -x "$CONSOLE" ] || { t_fail "$T: $CONSOLE not built"; t_done; }
HP=18443
SP=17443
LAB_SERVICES=0
lab_test_begin "$T"
cpid=""
stop_console() {
	if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
		kill -TERM "$cpid" 2>/dev/null
		for _i in $(seq 1 50); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$cpid" 2>/dev/null
	fi
	[ -n "$cpid" ] && wait "$cpid" 2>/dev/null
	cpid=""
}
trap 'stop_console; _lab_test_end' EXIT

data=$tmp/console
log=$tmp/console.log
if ! "$CONSOLE" init --data "$data" --name 127.0.0.1 >"$tmp/init.out" 2>&1; then
	t_fail "$T: console init: $(head -n 3 "$tmp/init.out" | tr '\n' ' ')"
	t_done
fi
cat >"$tmp/console.conf" <<EOF2
data "$data"
listen https on $LAB_GW_LAN_IP6 port $HP
listen https on $LAB_GW_DMZ_IP6 port $HP
listen sensors on 127.0.0.1 port $SP
control "$tmp/console.sock"
limits { per-address 4 head-timeout 60s }
EOF2
ip -n "$(lab_ns lan)" addr add fd00:10::3/64 dev eth0 nodad || { t_fail "$T: no second address"; t_done; }
ip netns exec "$(lab_ns gw)" "$CONSOLE" -c "$tmp/console.conf" >"$log" 2>&1 &
cpid=$!
lab_wait_until 10 grep -q ready "$log" || { t_fail "$T: console did not start: $(tail -n 3 "$log")"; t_done; }

hold() {  # hold ROLE SOURCE SERVER NAME: 3 connections held 8 s, counts in $tmp/NAME.*
	ip netns exec "$(lab_ns "$1")" python3 "$here/slowclients.py" "$3" "$HP" "$2" 3 8 --every 2 \
		--ready "$tmp/$4.up" >"$tmp/$4.json" 2>"$tmp/$4.err" &
}
up() { cat "$tmp/$1.up" 2>/dev/null || echo 0; }
hold lan fd00:10::2 "$LAB_GW_LAN_IP6" a
p1=$!
a_up() { [ "$(up a)" = 3 ]; }
lab_wait_until 10 a_up || t_fail "$T: the first 3 connections did not come up: $(cat "$tmp/a.err")"
hold lan fd00:10::3 "$LAB_GW_LAN_IP6" b
p2=$!
hold dmz "$LAB_DMZ_IP6" "$LAB_GW_DMZ_IP6" c
p3=$!
wait "$p1" "$p2" "$p3"
res() { python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print(a["max_up"], a["refused"])' "$tmp/$1.json" 2>/dev/null; }
ra=$(res a)
rb=$(res b)
rc=$(res c)
[ "$ra" = "3 0" ] && [ "$rb" = "1 2" ] && [ "$rc" = "3 0" ] &&
	t_pass "$T: fd00:10::2 and fd00:10::3 share one /64's cap of 4 (3 + 1 held, 2 refused); another /64 gets its own" ||
	t_fail "$T: held/refused: ::2 '$ra', ::3 '$rb', DMZ '$rc' $(head -c 300 "$tmp/b.err")"
grep -q 'refused: 4 connections from its network open' "$log" &&
	t_pass "$T: the refusal is logged with the network's limit" || t_fail "$T: no refusal in the log: $(tail -n 3 "$log")"
t_done
