#!/bin/bash
# Probes from a sensor, for real on loopback: the inventory assigns http,
# tcp and plugin checks to an agent (`from "HOST"`); a real console sends
# them as a sensor command, a real kastro-agent runs them (the plugin is
# Debian's check_tcp, mapped in agent.conf, never in the console's
# configuration) and its results come back as events through its spool
# into the console's check states. The console is stopped while a stand-in
# goes down: the results the agent made meanwhile are delivered from the
# spool when it is back, and the outage is in the history at the time the
# agent saw it. A result for a check not assigned to the agent is refused.
# tls, dns and http checks with a JSON field travel with their options: the
# agent checks a certificate (the test's CA as its system's), asks a
# dnsmasq on a port of loopback, and tests a JSON health document.
# A reload of the inventory sends the agent its new list at once (an
# empty one when it lost all its checks).
#
# usage: tests/continuity/test_sensor_probes.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=continuity/sensor-probes
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
AGENT=$B/kastro-agent
PLUGINS=/usr/lib/nagios/plugins
[ -x "$AGENT" ] || { t_fail "$T: $AGENT not built"; t_done; }
[ -x "$PLUGINS/check_tcp" ] ||
	{ t_fail "$T: monitoring-plugins-basic not installed (packaging/deps.sh test)"; t_done; }
. "$here/../console/console_lib.sh"
chmod 755 "$tmp"
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }

apid=""
pids=""
stop_agent() {
	if [ -n "$apid" ]; then
		kill -TERM "$apid" 2>/dev/null
		wait "$apid" 2>/dev/null
	fi
	apid=""
}
sp_cleanup() {
	stop_agent
	stop_console
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	console_cleanup
}
trap sp_cleanup EXIT

read -r WEB TCP TLSP DNSP < <(python3 -c 'import socket
s=[socket.socket() for _ in range(3)] + [socket.socket(type=socket.SOCK_DGRAM)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
mkdir -p "$tmp/www" "$tmp/rules" "$tmp/agent"
printf '<html><body><h1>Ηλεκτρονικές Πληρωμές</h1></body></html>\n' >"$tmp/www/index.html"
printf 'rule Kastro_Test_Nothing { condition: false }\n' >"$tmp/rules/none.yar"
python3 "$here/standin.py" "$WEB" "$tmp/www" &
pids="$pids $!"
python3 "$here/standin.py" "$TCP" "$tmp/www" &
tcp_pid=$!
pids="$pids $tcp_pid"
py=/usr/bin/python3; [ -x "$py" ] || py=python3
"$py" "$here/mkcerts.py" "$tmp" || { t_fail "$T: cannot make certificates"; t_done; }
printf '{"status": {"database": "up"}}\n' >"$tmp/www/health.json"
python3 "$here/standin.py" "$TLSP" "$tmp/www" "$tmp/good.pem" "$tmp/good.key" &
pids="$pids $!"
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
	--bind-interfaces --listen-address=127.0.0.1 --port="$DNSP" --pid-file="$tmp/dnsmasq.pid" \
	--host-record=erp.kavala.test,10.20.0.30 >"$tmp/dnsmasq.out" 2>&1 &
pids="$pids $!"

host=$(hostname)
cat >"$tmp/services.conf" <<CONF
service "dmz-web" {
    owner "it"
    check http "http://127.0.0.1:$WEB/" every 5s retries 1 keyword "Πληρωμές" from "$host"
    check tcp "127.0.0.1" port $TCP every 5s retries 1 from "$host"
    check plugin "tcp_local" every 5s retries 1 from "$host"
    check tcp "127.0.0.1" port $TCP every 5s retries 1 from "other-host"
}
service "dmz-more" {
    owner "it"
    check tls "127.0.0.1" port $TLSP every 5s retries 1 warn 20d 10d 5d from "$host"
    check dns "erp.kavala.test" server "127.0.0.1:$DNSP" expect "10.20.0.30" every 5s retries 1 from "$host"
    check http "http://127.0.0.1:$WEB/health.json" json "status.database" is "up" warn-time 5s every 5s retries 1 from "$host"
    check http "http://127.0.0.1:$WEB/health.json?x" json "status.database" is "down" every 5s retries 1 from "$host"
}
CONF
write_conf 'include "services.conf"'
if "$CONSOLE" -n -c "$conf" >"$tmp/n.out" 2>&1 &&
	grep -q "check tcp \"127.0.0.1\" port $TCP .* from \"$host\"" "$tmp/n.out"; then
	t_pass "$T: kastro-console -n shows where a check runs from"
else
	t_fail "$T: -n: $(head -n 5 "$tmp/n.out" | tr '\n' '|')"
fi
start_console || { t_fail "$T: console did not start: $(tail -n 5 "$log")"; t_done; }
ctl() { "$CTL" -s "$sock" "$@"; }

cat >"$tmp/agent.conf" <<CONF
console { address "127.0.0.1" port $SP enroll-port $HP }
dir "$tmp/agent"
rules "$tmp/rules"
heartbeat 10s
plugin "tcp_local" command "$PLUGINS/check_tcp -H 127.0.0.1 -p $TCP"
CONF
if "$AGENT" -n -c "$tmp/agent.conf" >"$tmp/an.out" 2>&1 &&
	grep -q "^plugin \"tcp_local\" command \"$PLUGINS/check_tcp -H 127.0.0.1 -p $TCP\"\$" "$tmp/an.out"; then
	t_pass "$T: agent.conf maps a plugin name to its command line"
else
	t_fail "$T: agent -n: $(tail -n 3 "$tmp/an.out" | tr '\n' '|')"
fi
printf 'plugin "x" command "check_tcp -H 127.0.0.1"\n' >"$tmp/bad.conf"
"$AGENT" -n -c "$tmp/bad.conf" >/dev/null 2>"$tmp/bad.err"
grep -q 'bad.conf:1:.*absolute path' "$tmp/bad.err" &&
	t_pass "$T: a plugin command that is not an absolute path is refused with file:line" ||
	t_fail "$T: bad plugin: $(head -n 2 "$tmp/bad.err")"

fp=$(sed -n 's/^CA fingerprint: //p' "$tmp/init.out")
tok=$(ctl token create --kind agent | sed -n 's/^token=//p')
sid=$("$AGENT" enroll -c "$tmp/agent.conf" --token "$tok" --ca-fingerprint "$fp" 2>"$tmp/enroll.err") ||
	{ t_fail "$T: enrol: $(cat "$tmp/enroll.err")"; t_done; }
alog=$tmp/agent.log
start_agent() {
	# the test's CA as the agent's system CAs (OpenSSL's SSL_CERT_FILE), for its tls check
	SSL_CERT_FILE="$tmp/ca.pem" "$AGENT" -c "$tmp/agent.conf" -s "$tmp/agent.sock" >>"$alog" 2>&1 &
	apid=$!
}
start_agent

# wait_state KEY-LIKE WANT SECONDS: until state/hard of the check match
wait_state() {
	local got=""
	for _i in $(seq 1 $(($3 * 2))); do
		got=$(db "SELECT state || '/' || hard FROM svc_checks WHERE service = 'dmz-web' AND key LIKE '$1'")
		[ "$got" = "$2" ] && return 0
		sleep 0.5
	done
	echo "  $1: got '$got', wanted '$2'" >&2
	return 1
}
cmd_done() { [ "$(db "SELECT status FROM commands WHERE sensor_id = '$sid' AND type = 'probes'" | tail -n 1)" = "done" ]; }
ok=0
for _i in $(seq 1 40); do cmd_done && { ok=1; break; }; sleep 0.5; done
[ $ok = 1 ] && t_pass "$T: the console sent the assignment as a \"probes\" command and the agent took it" ||
	t_fail "$T: probes command: $(db "SELECT status, result FROM commands WHERE sensor_id = '$sid'")"
grep -q '"tcp_local"' "$tmp/agent/probes.json" 2>/dev/null &&
	! grep -q 'other-host' "$tmp/agent/probes.json" &&
	t_pass "$T: the agent keeps its own checks (and only those) in probes.json" ||
	t_fail "$T: probes.json: $(head -c 300 "$tmp/agent/probes.json" 2>&1)"

t_check "$T: an http check with a keyword run by the agent is OK" wait_state "http %from $host" OK/1 20
t_check "$T: a tcp check run by the agent is OK" wait_state "tcp %from $host" OK/1 20
t_check "$T: check_tcp from agent.conf run by the agent is OK" wait_state "tcp_local from $host" OK/1 20
n=$(db "SELECT count(*) FROM events WHERE sensor_id = '$sid' AND event_type = 'probe_result'")
[ "${n:-0}" -ge 3 ] && t_pass "$T: the results are events of the agent ($n so far)" ||
	t_fail "$T: probe_result events: '$n'"
n=$(db "SELECT count(DISTINCT key) FROM svc_rt WHERE service = 'dmz-web' AND key LIKE '% from $host'")
[ "${n:-0}" -ge 2 ] && t_pass "$T: the agent's response times are kept for the service's page ($n checks)" ||
	t_fail "$T: svc_rt: '$n' checks with response times"
st=$(db "SELECT state FROM svc_checks WHERE service = 'dmz-web' AND key LIKE '%from other-host'")
[ "$st" = new ] && t_pass "$T: a check for a host that is not enrolled is run by no one (state new)" ||
	t_fail "$T: other-host check: '$st'"
# more KEY-LIKE WANT: a check of dmz-more reaches WANT (state/hard) within 20 s
more_state() {
	local got=""
	for _i in $(seq 1 40); do
		got=$(db "SELECT state || '/' || hard FROM svc_checks WHERE service = 'dmz-more' AND key LIKE '$1'")
		[ "$got" = "$2" ] && return 0
		sleep 0.5
	done
	echo "  $1: got '$got', wanted '$2' ($(db "SELECT output FROM svc_checks WHERE service = 'dmz-more' AND key LIKE '$1'"))" >&2
	return 1
}
t_check "$T: a tls check run by the agent is OK" more_state "tls %from $host" OK/1
out=$(db "SELECT output FROM svc_checks WHERE service = 'dmz-more' AND key LIKE 'tls %'")
case "$out" in *"valid for 36"*" days"*) t_pass "$T: ... and says how long the certificate is valid" ;;
*) t_fail "$T: tls output: $out" ;; esac
exp=$(db "SELECT cert_expiry FROM svc_checks WHERE service = 'dmz-more' AND key LIKE 'tls %'")
now=$(date +%s)
[ "${exp:-0}" -gt $((now + 30 * 86400)) ] && [ "${exp:-0}" -lt $((now + 400 * 86400)) ] &&
	t_pass "$T: ... and the console keeps its certificate's expiry date ($(date -u -d "@$exp" +%F))" ||
	t_fail "$T: tls check's expiry kept: '$exp'"
t_check "$T: a dns check to a server on a port, run by the agent, is OK" more_state "dns %from $host" OK/1
t_check "$T: an http check of a JSON field run by the agent is OK" more_state "http %health.json from $host" OK/1
t_check "$T: ... and one whose field is not as expected is CRITICAL" more_state "http %?x from $host" CRITICAL/1
out=$(db "SELECT output FROM svc_checks WHERE service = 'dmz-more' AND key LIKE 'http %?x from $host'")
case "$out" in *'json "status.database" is "up", expected "down"'*) t_pass "$T: ... with the field's value" ;;
*) t_fail "$T: json output: $out" ;; esac

"$CTL" -s "$tmp/agent.sock" agent status >"$tmp/astatus.out" 2>&1
grep -q '^probe_checks=7$' "$tmp/astatus.out" && grep -q '^probe_runs=[1-9]' "$tmp/astatus.out" &&
	grep -q '^probe_results_unstored=0$' "$tmp/astatus.out" &&
	t_pass "$T: kastroctl agent status counts the agent's checks and runs" ||
	t_fail "$T: agent status: $(grep probe "$tmp/astatus.out" | tr '\n' ' ')"

# ---- a link outage: the console away while the tcp stand-in goes down ----------
stop_console
cp "$log" "$tmp/first.log"      # start_console begins a new log
t_down=$(date +%s)
kill "$tcp_pid" 2>/dev/null
sleep 12
t_up=$(date +%s)
start_console || { t_fail "$T: console did not start again: $(tail -n 5 "$log")"; t_done; }
t_check "$T: after the outage the tcp check is CRITICAL (results from the spool)" \
	wait_state "tcp %from $host" CRITICAL/1 30
t_check "$T: ... and check_tcp too" wait_state "tcp_local from $host" CRITICAL/1 30
at=$(db "SELECT min(ts) FROM svc_history WHERE service = 'dmz-web' AND key LIKE 'tcp %from $host' AND state = 'CRITICAL'")
if [ -n "$at" ] && [ "$at" -ge "$t_down" ] && [ "$at" -lt "$t_up" ]; then
	t_pass "$T: the outage is recorded when the agent saw it ($((at - t_down)) s after the stand-in went down, while the console was away)"
else
	t_fail "$T: history: CRITICAL at '$at', console away $t_down..$t_up"
fi
late=$(db "SELECT count(*) FROM events WHERE sensor_id = '$sid' AND event_type = 'probe_result' AND received >= $t_up AND body LIKE '%CRITICAL%'")
[ "${late:-0}" -ge 2 ] && t_pass "$T: $late results made while the console was away arrived after it came back" ||
	t_fail "$T: results delivered late: '$late'"
grep -q 'service dmz-web: tcp .* is CRITICAL (hard)' "$log" &&
	t_pass "$T: the hard problem goes through the console's state machine (logged, alerted)" ||
	t_fail "$T: no hard problem in the log: $(grep dmz-web "$log" | tail -n 3)"
a=$(db "SELECT count(*) FROM alerts WHERE kind = 'service' AND signature LIKE '%dmz-web%'")
[ "${a:-0}" -ge 1 ] && t_pass "$T: ... and a service alert" || t_fail "$T: service alerts: '$a'"

# ---- a result for a check not assigned to this sensor ----------------------------
post() {  # post BODY: the status of POST /sensor/v1/events with the agent's identity
	curl -s -o "$tmp/post.out" -w '%{http_code}' --max-time 10 --cacert "$data/ca.crt" \
		--cert "$tmp/agent/cert.pem" --key "$tmp/agent/key.pem" \
		-H 'Content-Type: application/json' --data-binary "$1" \
		"https://127.0.0.1:$SP/sensor/v1/events"
}
now=$(date +%s)
ev() {  # ev SERVICE KEY: a probe_result event
	printf '{"event_type":"probe_result","probe":{"service":"%s","check":"%s","state":"OK","ms":1,"output":"forged","time":%s}}' "$1" "$2" "$now"
}
before=$(db "SELECT count(*) FROM events WHERE sensor_id = '$sid'")
code=$(post "{\"first_seq\":900000000,\"events\":[$(ev dmz-web "tcp 127.0.0.1:$TCP from other-host")]}")
if [ "$code" = 400 ] && grep -q 'not assigned to this sensor' "$tmp/post.out"; then
	t_pass "$T: a result for another sensor's check is refused (400: $(head -c 120 "$tmp/post.out"))"
else
	t_fail "$T: unassigned result: $code $(head -c 200 "$tmp/post.out")"
fi
code=$(post "{\"first_seq\":900000001,\"events\":[$(ev dmz-web "tcp 127.0.0.1:1 from $host")]}")
[ "$code" = 400 ] && t_pass "$T: a result for a check the inventory does not have is refused" ||
	t_fail "$T: unknown check: $code $(head -c 200 "$tmp/post.out")"
code=$(post '{"first_seq":900000002,"events":[{"event_type":"probe_result","probe":{"service":"dmz-web"}}]}')
[ "$code" = 400 ] && grep -q 'events\[0\]: probe' "$tmp/post.out" &&
	t_pass "$T: a malformed result is refused, naming the event" ||
	t_fail "$T: malformed result: $code $(head -c 200 "$tmp/post.out")"
after=$(db "SELECT count(*) FROM events WHERE sensor_id = '$sid' AND seq >= 900000000")
st=$(db "SELECT state FROM svc_checks WHERE service = 'dmz-web' AND key LIKE '%from other-host'")
[ "$after" = 0 ] && [ "$st" = new ] && t_pass "$T: nothing of the refused results is stored or applied" ||
	t_fail "$T: refused results stored: $after, other-host state '$st' (before: $before)"

ctl console status >"$tmp/status.out" 2>&1
grep -q '^sensor_probe_refused=3$' "$tmp/status.out" && grep -q '^sensor_probe_results=[1-9]' "$tmp/status.out" &&
	t_pass "$T: kastroctl console status counts the results applied and refused" ||
	t_fail "$T: status: $(grep sensor_probe "$tmp/status.out" | tr '\n' ' ')"

# ---- recovery and the agent's restart ------------------------------------------
python3 "$here/standin.py" "$TCP" "$tmp/www" &
pids="$pids $!"
t_check "$T: the tcp check recovers" wait_state "tcp %from $host" OK/1 30
stop_agent
cmds=$(db "SELECT count(*) FROM commands WHERE sensor_id = '$sid'")
evs=$(db "SELECT count(*) FROM events WHERE sensor_id = '$sid' AND event_type = 'probe_result'")
start_agent
more() { [ "$(db "SELECT count(*) FROM events WHERE sensor_id = '$sid' AND event_type = 'probe_result'")" -ge $((evs + 3)) ]; }
ok=0
for _i in $(seq 1 40); do more && { ok=1; break; }; sleep 0.5; done
[ $ok = 1 ] && [ "$(db "SELECT count(*) FROM commands WHERE sensor_id = '$sid'")" = "$cmds" ] &&
	t_pass "$T: a restarted agent runs its checks from probes.json, with no new command" ||
	t_fail "$T: after the agent's restart: commands $cmds -> $(db "SELECT count(*) FROM commands WHERE sensor_id = '$sid'"), results $evs -> $(db "SELECT count(*) FROM events WHERE sensor_id = '$sid' AND event_type = 'probe_result'")"
grep -q 'probe checks' "$alog" && t_fail "$T: agent complained: $(grep 'probe checks' "$alog" | head -n 2)" ||
	t_pass "$T: the agent's log has no probe-check warnings"
# ---- the inventory reloaded: the agent gets its new assignment at once ----------
ncmd() { db "SELECT count(*) FROM commands WHERE sensor_id = '$sid' AND type = 'probes'"; }
last_probes_done() { [ "$(db "SELECT status FROM commands WHERE sensor_id = '$sid' AND type = 'probes' ORDER BY id DESC LIMIT 1")" = done ]; }
agent_checks() { "$CTL" -s "$tmp/agent.sock" agent status 2>/dev/null | sed -n 's/^probe_checks=//p'; }
reassigned() {  # reassigned BEFORE WANT: a new probes command, done, and the agent runs WANT checks
	local ok=0
	for _i in $(seq 1 30); do
		[ "$(ncmd)" -gt "$1" ] && last_probes_done && [ "$(agent_checks)" = "$2" ] && { ok=1; break; }
		sleep 0.5
	done
	[ $ok = 1 ]
}
had=$(agent_checks)
sed -i "/^    check tcp \"127.0.0.1\" port $TCP every 5s retries 1 from \"$host\"/d" "$tmp/services.conf"
n0=$(ncmd)
if ctl console reload >"$tmp/reload1.out" 2>&1 && grep -qx 'sensor_probe_commands=1' "$tmp/reload1.out" &&
	reassigned "$n0" $((had - 1)); then
	t_pass "$T: after a reload that takes a check from the agent, it gets its new list at once ($had -> $((had - 1)) checks)"
else
	t_fail "$T: reload 1: $(tr '\n' ' ' <"$tmp/reload1.out"); commands $n0 -> $(ncmd); agent checks $(agent_checks)"
fi
sed -i "/from \"$host\"/d" "$tmp/services.conf"
n0=$(ncmd)
if ctl console reload >"$tmp/reload2.out" 2>&1 && reassigned "$n0" 0 &&
	[ "$(db "SELECT args FROM commands WHERE sensor_id = '$sid' AND type = 'probes' ORDER BY id DESC LIMIT 1")" = '{"checks":[]}' ]; then
	t_pass "$T: an agent that lost all its checks gets an empty list and stops them"
else
	t_fail "$T: reload 2: $(tr '\n' ' ' <"$tmp/reload2.out"); commands $n0 -> $(ncmd); agent checks $(agent_checks)"
fi
stop_agent
stop_console
if grep -q 'ERROR: AddressSanitizer\|runtime error\|LeakSanitizer' "$tmp/first.log" "$log" "$alog"; then
	t_fail "$T: sanitizer report: $(grep -h -m 3 'ERROR\|runtime error' "$tmp/first.log" "$log" "$alog")"
fi
t_done
