#!/bin/bash
# kastrod as a sensor of kastro-console, for real: a console runs inside the
# lab's gateway namespace (on its loopback), `kastrod enroll` enrols the
# gateway with a gateway token while pinning the CA, kastrod runs live with
# a policy that blocks an HTTP host, and then:
#   - the gateway's alert reaches the console's database with the rule's
#     signature;
#   - with the console killed (-9) more blocked flows happen; once it is
#     back every alert is in the database exactly once (by (sensor, seq)
#     and by content) and the link's spool is drained;
#   - `kastroctl sensor ping ID` is answered by the link with a pong.
#
# usage: tests/console/test_gateway_link.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../net/lab.sh"

T=gateway_link
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
KASTROD=$B/kastrod
CONSOLE=$B/kastro-console
CTL=$B/kastroctl
HP=18443
SP=17443

for tool in sqlite3 curl; do
	command -v "$tool" >/dev/null 2>&1 || { t_fail "$T: $tool not installed"; t_done; }
done
[ -x "$CONSOLE" ] && [ -x "$KASTROD" ] || { t_fail "$T: binaries not built in $B"; t_done; }

lab_test_begin "$T"
# the console drops root for its own user, which must reach its data here
chmod 755 "$tmp"
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }
cpid=""
stop_console() {
	if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
		kill -"${1:-TERM}" "$cpid" 2>/dev/null
		for _i in $(seq 1 50); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$cpid" 2>/dev/null
	fi
	[ -n "$cpid" ] && wait "$cpid" 2>/dev/null
	cpid=""
}
trap 'stop_console; _lab_test_end' EXIT

# ---- the console, in the gateway's namespace ------------------------------------
data=$tmp/console
clog=$tmp/console.log
csock=$tmp/console.sock
if ! "$CONSOLE" init --data "$data" --name 127.0.0.1 >"$tmp/init.out" 2>&1; then
	t_fail "$T: console init: $(head -n 3 "$tmp/init.out" | tr '\n' ' ')"
	t_done
fi
fp=$(sed -n 's/^CA fingerprint: //p' "$tmp/init.out")
cconf=$tmp/console.conf
cat >"$cconf" <<EOF2
data "$data"
listen https on 127.0.0.1 port $HP
listen sensors on 127.0.0.1 port $SP
control "$csock"
include "services.conf"
EOF2
# checks the gateway runs from inside its networks (`from` its host name)
cat >"$tmp/services.conf" <<EOF2
service "dmz-web" {
    check http "http://$LAB_DMZ_IP4:$LAB_HTTP_PORT/" every 5s retries 1 from "$(hostname)"
    check tcp "$LAB_DMZ_IP4" port 81 every 5s retries 1 from "$(hostname)"
}
EOF2
start_console() {
	# ip netns exec execs the console: $! is the console's own pid.
	ip netns exec "$(lab_ns gw)" "$CONSOLE" -c "$cconf" >>"$clog" 2>&1 &
	cpid=$!
	lab_wait_until 10 test -S "$csock" && lab_wait_until 10 grep -q ready "$clog"
}
: >"$clog"
start_console || { t_fail "$T: console did not start: $(tail -n 5 "$clog" | tr '\n' ' ')"; t_done; }
db() { sqlite3 -cmd '.timeout 5000' "$data/console.db" "$@"; }

# ---- enrolment --------------------------------------------------------------------
tok=$("$CTL" -s "$csock" token create --kind gateway | sed -n 's/^token=//p')
link=$tmp/link
enroll() { lab_exec gw "$KASTROD" enroll --console "127.0.0.1:$HP" --dir "$link" "$@"; }
if enroll --token "$tok" --ca-fingerprint "SHA256:$(printf '%064d' 0)" >"$tmp/e0.out" 2>&1; then
	t_fail "$T: enrolment against a wrong CA fingerprint succeeded"
elif grep -qi 'fingerprint' "$tmp/e0.out" && [ ! -e "$link/key.pem" ]; then
	t_pass "$T: kastrod enroll refuses a console whose CA does not match the pin"
else
	t_fail "$T: wrong pin: $(cat "$tmp/e0.out")"
fi
if id=$(enroll --token "$tok" --ca-fingerprint "$fp" 2>"$tmp/e1.err") && [ -n "$id" ]; then
	t_pass "$T: kastrod enroll with a gateway token: sensor $id"
else
	t_fail "$T: enroll: $(cat "$tmp/e1.err")"
	t_done
fi
kind=$(db "SELECT kind FROM sensors WHERE id = '$id'")
[ "$kind" = gateway ] && t_pass "$T: the console knows it as a gateway" || t_fail "$T: kind '$kind'"
modes=$(stat -c '%a %U' "$link" "$link/key.pem" | tr '\n' ' ')
case "$modes" in
"700 root "*) t_fail "$T: link dir owned by root: $modes" ;;
700\ *\ 600\ *) t_pass "$T: enrolment dir 0700 and key 0600, owned by the link's user ($modes)" ;;
*) t_fail "$T: modes: $modes" ;;
esac
tok2=$("$CTL" -s "$csock" token create --kind gateway | sed -n 's/^token=//p')
if enroll --token "$tok2" --ca-fingerprint "$fp" >"$tmp/e2.out" 2>&1; then
	t_fail "$T: a second enrolment into the same dir succeeded without --force"
else
	grep -q 'already holds an enrolment' "$tmp/e2.out" && [ "$(cat "$link/sensor_id")" = "$id" ] &&
		t_pass "$T: a second enrolment without --force is refused and changes nothing" ||
		t_fail "$T: second enrol: $(cat "$tmp/e2.out")"
fi

# ---- kastrod live, with the link --------------------------------------------------
eve=$tmp/eve.json
conf=$tmp/kastrod.conf
cat >"$conf" <<EOF2
interfaces { "gw-lan" "gw-dmz" }
eve "$eve"
console { address "127.0.0.1" port $SP dir "$link" spool-size 64MB }
interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
default block
pass proto tcp from lan to dmz port { 80 443 }
block log severity 1 host "*.blocked.kavala.example"
EOF2
"$KASTROD" -n -c "$conf" >"$tmp/check.out" 2>&1 ||
	{ t_fail "$T: configuration: $(head -n 5 "$tmp/check.out" | tr '\n' ' ')"; t_done; }
klog=$tmp/kastrod.log
ksock=$tmp/kastrod.sock
lab_exec gw "$KASTROD" -c "$conf" --control "$ksock" >"$klog" 2>&1 &
kpid=$!
if ! lab_wait_until 15 grep -q 'capturing on\|inspecting queued' "$klog" || ! lab_wait_until 10 grep -q 'link: sensor' "$klog"; then
	t_fail "$T: kastrod with its link did not start"
	sed 's/^/    kastrod: /' "$klog" | head -20
	t_done
fi
kstat() { "$CTL" -s "$ksock" status | sed -n "s/^$1=//p"; }
lpid=$(kstat link_pid)
if [ -n "$lpid" ] && [ "$lpid" != 0 ]; then
	st=$(grep -E '^(Uid|CapEff|CapBnd)' "/proc/$lpid/status" | awk '{print $2}' | tr '\n' ' ')
	case "$st" in
	"0 "*) t_fail "$T: the link runs as root: $st" ;;
	*" 0000000000000000 0000000000000000 ") t_pass "$T: the link process runs unprivileged with no capabilities ($st)" ;;
	*) t_fail "$T: link privileges: $st" ;;
	esac
	# Only the link opens the key: the sensor and the parent never hold it.
	holders=$(for p in $(pgrep -x kastrod); do ls -l /proc/$p/fd 2>/dev/null | grep -q "$link/key.pem" && echo "$p"; done)
	[ -z "$holders" ] || [ "$holders" = "$lpid" ] && t_pass "$T: no process but the link has the key open" ||
		t_fail "$T: key open in $holders"
else
	t_fail "$T: kastroctl status shows no link process"
fi

fetch() {  # a blocked HTTP host: one alert each
	lab_exec lan curl -s -o /dev/null --max-time 3 -H "Host: $1.blocked.kavala.example" \
		"http://$LAB_DMZ_IP4:80/" 2>/dev/null
}
eve_alerts() { grep -c '"event_type":"alert"' "$eve" 2>/dev/null || echo 0; }
db_alerts() { db "SELECT count(*) FROM events WHERE sensor_id = '$id' AND event_type = 'alert'"; }
# for lab_wait_until, which runs its command again each time
db_alerts_ge() { [ "$(db_alerts)" -ge "$1" ]; }
eve_alerts_ge() { [ "$(eve_alerts)" -ge "$1" ]; }
kstat_is() { [ "$(kstat "$1")" = "$2" ]; }
kstat_ge() { [ "$(kstat "$1")" -ge "$2" ] 2>/dev/null; }

# ---- 1. an alert reaches the console -----------------------------------------
fetch shop
if lab_wait_until 15 db_alerts_ge 1; then
	sig_eve=$(grep '"event_type":"alert"' "$eve" | head -n 1 | sed 's/.*"signature":"\([^"]*\(\\"[^"]*\)*\)".*/\1/')
	sig_db=$(db "SELECT signature FROM alerts WHERE sensor_id = '$id' ORDER BY id LIMIT 1")
	if [ -n "$sig_db" ] && echo "$sig_db" | grep -q 'blocked.kavala.example'; then
		t_pass "$T: the gateway's alert is in the console with the rule's signature ($sig_db)"
	else
		t_fail "$T: console alert signature '$sig_db' (EVE: $sig_eve)"
	fi
else
	t_fail "$T: no alert reached the console in 15 s; link: $(kstat link_last_error)"
fi

# ---- 2. console down: nothing lost, nothing twice --------------------------------
stop_console KILL
for h in a b c d e; do fetch "$h"; done
lab_wait_until 10 eve_alerts_ge 6
sleep 2
pend=$(kstat link_pending)
fails=$(kstat link_send_failures)
[ "${pend:-0}" -ge 1 ] && t_pass "$T: console down: the link spools ($pend pending, $fails failed sends)" ||
	t_fail "$T: console down: pending ${pend:-?}, failures ${fails:-?}"
start_console || { t_fail "$T: console did not start again"; t_done; }
n_eve=$(eve_alerts)
if lab_wait_until 90 db_alerts_ge "$n_eve"; then
	t_pass "$T: after the console's restart all $n_eve alerts arrived"
else
	t_fail "$T: after restart: $(db_alerts) of $n_eve alerts; link: $(kstat link_last_error)"
fi
dups=$(db "SELECT count(*) - count(DISTINCT seq) FROM events WHERE sensor_id = '$id'")
n_db=$(db_alerts)
eve_keys=$(grep '"event_type":"alert"' "$eve" | sed 's/.*"timestamp":"\([^"]*\)".*"flow_id":\([0-9]*\).*/\2\/\1/' | sort)
db_keys=$(db "SELECT json_extract(body, '\$.flow_id') || '/' || json_extract(body, '\$.timestamp') FROM events WHERE sensor_id = '$id' AND event_type = 'alert'" | sort)
# By content: the alerts in the EVE file and in the database, as multisets
# of (flow id, timestamp), are the same.
if [ "$dups" = 0 ] && [ "$n_db" = "$n_eve" ] && [ -n "$eve_keys" ] && [ "$eve_keys" = "$db_keys" ]; then
	t_pass "$T: every alert stored exactly once, by (sensor, seq) and by content ($n_db)"
else
	t_fail "$T: exactly once: $n_db stored, $n_eve in EVE, seq dups $dups, EVE and database differ: $(diff <(echo "$eve_keys") <(echo "$db_keys") | tr '\n' ' ')"
fi
if lab_wait_until 20 kstat_is link_pending 0; then
	t_pass "$T: the link's spool is drained (acked up to $(kstat link_acked_seq))"
else
	t_fail "$T: spool not drained: $(kstat link_pending) pending"
fi

# ---- 3. the ping command through the long poll --------------------------------------
cmd=$("$CTL" -s "$csock" sensor ping "$id" | sed -n 's/^command=//p')
ok=0
for _i in $(seq 1 100); do
	st=$("$CTL" -s "$csock" command "$cmd" 2>&1)
	echo "$st" | grep -q '^status=done' && { ok=1; break; }
	sleep 0.2
done
if [ "$ok" = 1 ] && echo "$st" | grep -q '^result=.*pong' && echo "$st" | grep -q 'kastrod'; then
	t_pass "$T: kastroctl sensor ping: answered by the gateway ($(echo "$st" | grep '^result=' | tr -d '\n'))"
else
	t_fail "$T: ping: $st"
fi
lab_wait_until 3 kstat_ge link_results 1
[ "$(kstat link_connected)" = 1 ] && [ "$(kstat link_results)" -ge 1 ] &&
	t_pass "$T: kastroctl status shows the link connected with its counters" ||
	t_fail "$T: status: $("$CTL" -s "$ksock" status | grep '^link_' | tr '\n' ' ')"

# ---- 4. probe checks the console assigns to the gateway -----------------------------
svc() { db "SELECT state || '/' || hard FROM svc_checks WHERE service = 'dmz-web' AND key LIKE '$1'"; }
svc_is() { [ "$(svc "$1")" = "$2" ]; }
if lab_wait_until 30 svc_is 'http %' OK/1 && lab_wait_until 20 svc_is 'tcp %:81 %' CRITICAL/1; then
	t_pass "$T: the gateway runs the http and tcp checks assigned to it; results reach the console (OK, CRITICAL)"
else
	t_fail "$T: gateway probes: http $(svc 'http %'), tcp $(svc 'tcp %:81 %'); $(grep 'probe' "$klog" | tail -n 3 | tr '\n' ' ')"
fi
n=$(db "SELECT count(*) FROM events WHERE sensor_id = '$id' AND event_type = 'probe_result'")
[ "${n:-0}" -ge 2 ] && t_pass "$T: ... as probe_result events of the gateway ($n)" || t_fail "$T: probe events: '$n'"
[ -n "${KASTRO_DEBUG:-}" ] && sed 's/^/    kastrod: /' "$klog"
t_done
