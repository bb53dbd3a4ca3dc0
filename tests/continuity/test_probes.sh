#!/bin/bash
# Probes for real, on loopback: the console runs the inventory's https,
# http, tcp and tls checks against stand-in servers made by this test
# (python3 http.server with certificates made here: good, soon to expire,
# expired), and the states change within interval x retries when a
# server is taken down and brought back, a keyword breaks, a certificate
# is near its end or past it; a service whose dependency is down is
# UNREACHABLE, and a failure inside a maintenance window is marked so.
#
# usage: tests/continuity/test_probes.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=continuity/probes
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
python3 -c 'import cryptography' 2>/dev/null ||
	{ t_fail "$T: python3-cryptography not installed (packaging/deps.sh test)"; t_done; }
PLUGINS=/usr/lib/nagios/plugins
[ -x "$PLUGINS/check_http" ] && [ -x "$PLUGINS/check_tcp" ] ||
	{ t_fail "$T: monitoring-plugins-basic not installed (packaging/deps.sh test)"; t_done; }
. "$here/../console/console_lib.sh"
. "$here/svc_lib.sh"
# the console runs as its own user: it reads what the test writes here
chmod 755 "$tmp"
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }
pids=""
probes_cleanup() {
	stop_console
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	console_cleanup
}
trap probes_cleanup EXIT

read -r WEB PLAIN SOON EXP DB CLOSED < <(python3 -c 'import socket
s=[socket.socket() for _ in range(6)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
python3 "$here/mkcerts.py" "$tmp" || { t_fail "$T: cannot make certificates"; t_done; }
mkdir -p "$tmp/www"
printf '<html><body><h1>Ηλεκτρονικές Πληρωμές</h1></body></html>\n' >"$tmp/www/index.html"

# standin NAME PORT [CERT]: start a stand-in server, its pid in pid_NAME
standin() {
	if [ $# -eq 3 ]; then
		python3 "$here/standin.py" "$2" "$tmp/www" "$tmp/$3.pem" "$tmp/$3.key" &
	else
		python3 "$here/standin.py" "$2" "$tmp/www" &
	fi
	eval "pid_$1=$!"
	pids="$pids $!"
}
standin web "$WEB" good
standin plain "$PLAIN"
standin soon "$SOON" soon
standin exp "$EXP" expired
standin db "$DB"

# a maintenance window around now, in local time as the console reads it
mstart=$(date -d '-10 min' +%H:%M)

cat >"$tmp/services.conf" <<CONF
service "e-payments" {
    owner "finance" criticality critical
    check https "https://127.0.0.1:$WEB/" every 5s retries 2 retry-every 5s keyword "Πληρωμές" ca "ca.pem"
    check tls "127.0.0.1" port $WEB every 5s ca "ca.pem"
}
service "e-ticketing" {
    owner "culture-and-sports"
    check http "http://127.0.0.1:$PLAIN/" every 5s retries 1 regex "<h1>.*</h1>"
    check plugin "http_plain" every 5s retries 1
    check plugin "tcp_web" every 5s retries 1
    check plugin "not_configured" every 5s retries 1
}
service "soon" { owner "it" check tls "127.0.0.1" port $SOON every 5s retries 1 ca "ca.pem" }
service "expired" { owner "it" check https "https://127.0.0.1:$EXP/" every 5s retries 1 ca "ca.pem" }
service "db" { owner "it" check tcp "127.0.0.1" port $DB every 5s retries 1 }
service "erp" {
    owner "it" depends "db"
    check tcp "127.0.0.1" port $DB every 5s retries 2 retry-every 5s
}
service "backup-host" { owner "it" check push "nightly" uuid "6f1c2a3b-0d4e-4f50-8a61-72b3c4d5e6f7" }
service "archive" { owner "it" depends "backup-host" check tcp "127.0.0.1" port $CLOSED every 5s retries 1 }
service "library" {
    owner "libraries"
    maintenance daily $mstart for 1h
    check tcp "127.0.0.1" port $DB every 5s retries 1
}
CONF
write_conf 'include "services.conf"' \
	"plugin \"http_plain\" command \"$PLUGINS/check_http -H 127.0.0.1 -p $PLAIN -s Πληρωμές\"" \
	"plugin \"tcp_web\" command \"$PLUGINS/check_tcp -H 127.0.0.1 -p $WEB\""
"$CONSOLE" -n -c "$conf" >"$tmp/n.out" 2>&1
if grep -q '^9 services, 13 checks$' "$tmp/n.out" &&
	grep -q "^plugin \"tcp_web\" command $PLUGINS/check_tcp -H 127.0.0.1 -p $WEB\$" "$tmp/n.out"; then
	t_pass "$T: kastro-console -n lists the services, checks and plugin commands"
else
	t_fail "$T: -n: $(head -n 3 "$tmp/n.out" | tr '\n' '|')"
fi
start_console || { t_fail "$T: the console did not start: $(tail -n 5 "$log")"; t_done; }

t_check "$T: https with keyword and CA is OK" wait_state e-payments 'https %' OK/1 8
t_check "$T: http with regex is OK" wait_state e-ticketing 'http %' OK/1 8
t_check "$T: plugin check_http with a string is OK" wait_state e-ticketing http_plain OK/1 8
t_check "$T: plugin check_tcp is OK" wait_state e-ticketing tcp_web OK/1 8
t_check "$T: a plugin without a command in console.conf is UNKNOWN" \
	wait_state e-ticketing not_configured UNKNOWN/1 8
out=$(q "SELECT output FROM svc_checks WHERE key = 'tcp_web'")
case "$out" in "TCP OK - "*) t_pass "$T: the plugin's output is kept without its perfdata" ;;
*) t_fail "$T: tcp_web output: $out" ;; esac
t_check "$T: tls with a year left is OK" wait_state e-payments 'tls %' OK/1 8
t_check "$T: tls expiring in 10 days is a WARNING" wait_state soon 'tls %' WARNING/1 8
t_check "$T: an expired certificate is CRITICAL" wait_state expired 'https %' CRITICAL/1 8
out=$(q "SELECT output FROM svc_checks WHERE service = 'soon'")
case "$out" in *"expires in 10 days"*) t_pass "$T: the output says when it expires" ;;
*) t_fail "$T: soon's output: $out" ;; esac
exp=$(q "SELECT cert_expiry > strftime('%s','now') + 9*86400 FROM svc_checks WHERE service = 'soon'")
t_check "$T: the certificate's expiry is stored" test "$exp" = 1
ms=$(q "SELECT ms >= 0 FROM svc_checks WHERE service = 'e-payments' AND key LIKE 'https %'")
t_check "$T: the response time is stored" test "$ms" = 1

# ---- the officers' API -------------------------------------------------------
api() {
	curl -sS --cacert "$tmp/data/ca.crt" -b "$tmp/cj" -c "$tmp/cj" "$@"
}
api -o /dev/null -X POST -H 'Content-Type: application/json' \
	--data "{\"user\":\"admin\",\"password\":\"$pw\"}" "https://127.0.0.1:$HP/api/v1/login"
# uptime needs time since the first result: not the same second
for _i in $(seq 1 20); do
	[ "$(date +%s)" -gt "$(q "SELECT max(since) FROM svc_checks WHERE service = 'e-payments'")" ] && break
	sleep 0.2
done
api -o "$tmp/list.json" "https://127.0.0.1:$HP/api/v1/services"
if python3 - "$tmp/list.json" <<'PY'
import json, sys
d = {s["name"]: s for s in json.load(open(sys.argv[1]))["services"]}
assert len(d) == 9, d.keys()
assert d["e-ticketing"]["state"] == "UNKNOWN", d["e-ticketing"]
e = d["e-payments"]
assert e["state"] == "OK" and e["owner"] == "finance" and e["criticality"] == "critical", e
assert e["response_ms"] is not None and e["cert_expiry"] is not None, e
assert e["uptime_24h"] == 1.0, e
assert d["soon"]["state"] == "WARNING" and d["expired"]["state"] == "CRITICAL", d["soon"]
assert d["erp"]["depends"] == ["db"], d["erp"]
assert d["library"]["in_maintenance"] is True, d["library"]
PY
then
	t_pass "$T: GET /api/v1/services: state, owner, criticality, response time, certificate, uptime"
else
	t_fail "$T: /api/v1/services: $(head -c 600 "$tmp/list.json")"
fi
n=$(api "https://127.0.0.1:$HP/api/v1/services?owner=it&criticality=medium" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["services"]))')
t_check "$T: filters by owner and criticality" test "$n" = 6
out=$(api "https://127.0.0.1:$HP/api/v1/services/soon" | python3 -c 'import json,sys; print(json.load(sys.stdin)["checks"][0]["output"])')
case "$out" in *"expires in 10 days"*) t_pass "$T: GET /api/v1/services/NAME shows each check's output" ;;
*) t_fail "$T: /api/v1/services/soon: $out" ;; esac
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$tmp/data/ca.crt" "https://127.0.0.1:$HP/api/v1/services")
t_check "$T: the services API needs a session" test "$code" = 401

# the Services page in headless Chromium (trusting exactly this console's key)
spki=$(openssl pkey -in "$tmp/data/server.key" -pubout -outform DER | openssl dgst -sha256 -binary | base64)
py=/usr/bin/python3; [ -x "$py" ] || py=python3
"$py" "$here/ui_services.py" "https://127.0.0.1:$HP" "$pw" "$spki" "$tmp" >"$tmp/ui.out" 2>&1
case $? in
0) t_pass "$T: the Services page shows one row per service with its state, certificate and uptime; the owner filter works" ;;
77) t_skip "$T: the Services page: chromium or python3-selenium missing" ;;
*) t_fail "$T: the Services page: $(tail -n 3 "$tmp/ui.out" | tr '\n' ' ')" ;;
esac

# a broken keyword: soft first, hard after 2 results (5s apart)
printf '<html><body><h1>Συντήρηση</h1></body></html>\n' >"$tmp/www/index.html"
t_check "$T: a broken keyword is a soft problem first" wait_state e-payments 'https %' CRITICAL/0 8
t_check "$T: ... and hard after retries x retry-every" wait_state e-payments 'https %' CRITICAL/1 8
printf '<html><body><h1>Ηλεκτρονικές Πληρωμές</h1></body></html>\n' >"$tmp/www/index.html"
t_check "$T: the keyword back: recovered at once" wait_state e-payments 'https %' OK/1 8

# the plain server down and up
kill "$pid_plain"
t_check "$T: the http server down is CRITICAL (retries 1: hard)" wait_state e-ticketing 'http %' CRITICAL/1 8
t_check "$T: ... and check_http says so too" wait_state e-ticketing http_plain CRITICAL/1 8
standin plain "$PLAIN"
t_check "$T: the http server back is OK" wait_state e-ticketing 'http %' OK/1 8

# the database down: db CRITICAL, erp (depends on db) UNREACHABLE, library in maintenance
kill "$pid_db"
t_check "$T: db down is CRITICAL" wait_state db 'tcp %' CRITICAL/1 8
t_check "$T: erp, which depends on db, is UNREACHABLE" wait_state erp 'tcp %' UNREACHABLE/1 14
t_check "$T: library's failure inside its window is marked maintenance" \
	wait_state library 'tcp %' CRITICAL/1 8
m=$(q "SELECT maintenance FROM svc_checks WHERE service = 'library'")
t_check "$T: ... with the maintenance flag" test "$m" = 1
if grep -q 'service erp: .*UNREACHABLE (no alert)' "$log" &&
	grep -q 'service library: .*in maintenance (no alert)' "$log" &&
	! grep -q 'warning: service erp' "$log"; then
	t_pass "$T: neither raises a problem of its own"
else
	t_fail "$T: log: $(grep 'service erp\|service library' "$log" | head -4 | tr '\n' '|')"
fi
standin db "$DB"
t_check "$T: db back is OK" wait_state db 'tcp %' OK/1 8
t_check "$T: erp back is OK" wait_state erp 'tcp %' OK/1 8
# a push check down makes the services that depend on it UNREACHABLE
t_check "$T: archive (its port closed) is CRITICAL" wait_state archive 'tcp %' CRITICAL/1 8
curl -fsS -o /dev/null --cacert "$tmp/data/ca.crt" "https://127.0.0.1:$HP/ping/6f1c2a3b-0d4e-4f50-8a61-72b3c4d5e6f7/fail"
t_check "$T: its dependency's push check failed: archive is UNREACHABLE" \
	wait_state archive 'tcp %' UNREACHABLE/1 8
"$B/kastroctl" -s "$sock" console status >"$tmp/status.out" 2>&1
if grep -q '^pings=1$' "$tmp/status.out" && grep -q '^pings_limited=0$' "$tmp/status.out" &&
	[ "$(sed -n 's/^probes_run=//p' "$tmp/status.out")" -gt 20 ]; then
	t_pass "$T: kastroctl console status counts pings and probe runs"
else
	t_fail "$T: status: $(grep 'ping\|probe' "$tmp/status.out" | tr '\n' ' ')"
fi

n=$(q "SELECT count(*) FROM svc_history WHERE service = 'db'")
t_check "$T: hard state changes are kept as history" test "$n" -ge 3

kill -TERM "$cpid"
wait "$cpid"
rc=$?
cpid=""
t_check "$T: the console stops cleanly with its workers" test "$rc" = 0
if grep -q 'ERROR: AddressSanitizer\|runtime error\|ThreadSanitizer' "$log"; then
	t_fail "$T: sanitizer report: $(grep -m 3 'ERROR\|runtime error' "$log")"
fi
t_done
