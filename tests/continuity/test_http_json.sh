#!/bin/bash
# HTTP checks of a JSON health document and of response times, for real,
# on loopback: the console checks a stand-in server (standin.py) that
# serves a JSON document made here; a field that changes, a missing field
# and a body that is not JSON are CRITICAL with the reason; a slow answer
# (standin.py's ?delay=) is a WARNING or CRITICAL past warn-time or
# critical-time, and the output says so.
#
# usage: tests/continuity/test_http_json.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=continuity/http-json
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
. "$here/../console/console_lib.sh"
. "$here/svc_lib.sh"
pids=""
json_cleanup() {
	stop_console
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	console_cleanup
}
trap json_cleanup EXIT

read -r WEB < <(python3 -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/www"
health() {
	printf '{"status": {"database": "%s", "web": "up"}, "queue": {"depth": %s},
 "checks": [{"name": "db", "ok": true}, {"name": "smtp", "ok": false}]}\n' "$1" "$2" >"$tmp/www/health.tmp"
	mv "$tmp/www/health.tmp" "$tmp/www/health.json"
}
health up 42
printf '<html><body>Υγεία: εντάξει</body></html>\n' >"$tmp/www/index.html"
python3 "$here/standin.py" "$WEB" "$tmp/www" &
pids="$pids $!"
U="http://127.0.0.1:$WEB"

cat >"$tmp/services.conf" <<CONF
service "erp" {
    owner "it"
    check http "$U/health.json" every 5s retries 1 json "status.database" is "up"
    check http "$U/health.json?q" every 5s retries 1 json "queue.depth" below 100
    check http "$U/health.json?c" every 5s retries 1 json "checks[1].ok" is "false"
}
service "missing" { owner "it" check http "$U/health.json" every 5s retries 1 json "status.mail" is "up" }
service "html" { owner "it" check http "$U/" every 5s retries 1 json "status" is "up" }
service "fast" { owner "it" check http "$U/health.json" every 5s retries 1 warn-time 3s critical-time 5s }
service "slow" { owner "it" check http "$U/health.json?delay=1200" every 5s retries 1 warn-time 300ms critical-time 5s }
service "slower" { owner "it" check http "$U/health.json?delay=1200" every 5s retries 1 warn-time 100ms critical-time 500ms }
CONF
write_conf 'include "services.conf"'
"$CONSOLE" -n -c "$conf" >"$tmp/n.out" 2>&1
if grep -q '^6 services, 8 checks$' "$tmp/n.out" &&
	grep -q 'json "queue.depth" below 100' "$tmp/n.out" &&
	grep -q 'warn-time 300ms critical-time 5s' "$tmp/n.out"; then
	t_pass "$T: kastro-console -n lists the json conditions and time thresholds"
else
	t_fail "$T: -n: $(head -n 4 "$tmp/n.out" | tr '\n' '|')"
fi
start_console || { t_fail "$T: the console did not start: $(tail -n 5 "$log")"; t_done; }

t_check "$T: json \"status.database\" is \"up\": OK" wait_state erp '%health.json' OK/1 10
t_check "$T: json \"queue.depth\" below 100: OK" wait_state erp '%?q' OK/1 10
t_check "$T: json \"checks[1].ok\" is \"false\": OK" wait_state erp '%?c' OK/1 10
t_check "$T: a missing field is CRITICAL" wait_state missing '%' CRITICAL/1 10
t_check "$T: ... and says which" output_has missing '%' 'json "status.mail": no member "mail"'
t_check "$T: a body that is not JSON is CRITICAL" wait_state html '%' CRITICAL/1 10
t_check "$T: ... and says so" output_has html '%' 'the body is not JSON'
t_check "$T: a fast answer under warn-time is OK" wait_state fast '%' OK/1 10
t_check "$T: an answer slower than warn-time is a WARNING" wait_state slow '%' WARNING/1 10
t_check "$T: ... and the output says so" output_has slow '%' 'over the warn-time 300 ms'
t_check "$T: an answer slower than critical-time is CRITICAL" wait_state slower '%' CRITICAL/1 10
t_check "$T: ... and the output says so" output_has slower '%' 'over the critical-time 500 ms'

health down 150
t_check "$T: the database down in the document: CRITICAL" wait_state erp '%health.json' CRITICAL/1 10
t_check "$T: ... with the field's value and the one expected" \
	output_has erp '%health.json' 'json "status.database" is "down", expected "up"'
t_check "$T: the queue over 100: CRITICAL" wait_state erp '%?q' CRITICAL/1 10
t_check "$T: ... with the number and its bound" output_has erp '%?q' 'json "queue.depth" is 150, expected below 100'
health up 7
t_check "$T: the database back: OK" wait_state erp '%health.json' OK/1 10
t_check "$T: the queue back under 100: OK" wait_state erp '%?q' OK/1 10

kill -TERM "$cpid"
wait "$cpid"
rc=$?
cpid=""
t_check "$T: the console stops cleanly with its workers" test "$rc" = 0
if grep -q 'ERROR: AddressSanitizer\|runtime error\|ThreadSanitizer' "$log"; then
	t_fail "$T: sanitizer report: $(grep -m 3 'ERROR\|runtime error' "$log")"
fi
t_done
