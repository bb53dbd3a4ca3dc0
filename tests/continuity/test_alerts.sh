#!/bin/bash
# Service problems as alerts, through the real console on loopback: a
# stand-in taken down raises one alert of type `service` (severity from
# the service's criticality) in the officers' alert list within interval x
# retries, and only one while it stays down; brought back, the alert is
# resolved with a note. A service whose dependency is down (UNREACHABLE)
# and one in its maintenance window raise none. A certificate 10 days from
# its end raises a WARNING alert; a push check reporting a failure raises
# one and its next success resolves it; a push check that stops pinging
# raises one when it goes late (period 1m: this test takes about 70 s).
# Then the month's SLA report of that history (GET /api/v1/sla, JSON and
# CSV): outages, downtime, maintenance left out, RPO met or not; the
# printable SLA page in Chromium; the public status page (/status).
#
# usage: tests/continuity/test_alerts.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=continuity/alerts
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
python3 -c 'import cryptography' 2>/dev/null ||
	{ t_fail "$T: python3-cryptography not installed (packaging/deps.sh test)"; t_done; }
. "$here/../console/console_lib.sh"
# the console runs as its own user: it reads what the test writes here
chmod 755 "$tmp"
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }
pids=""
alerts_cleanup() {
	stop_console
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	console_cleanup
}
trap alerts_cleanup EXIT

read -r WEB DB SOON < <(python3 -c 'import socket
s=[socket.socket() for _ in range(3)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
python3 "$here/mkcerts.py" "$tmp" || { t_fail "$T: cannot make certificates"; t_done; }
mkdir -p "$tmp/www"
printf '<html><body>ok</body></html>\n' >"$tmp/www/index.html"

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
standin web "$WEB"
standin db "$DB"
standin soon "$SOON" soon

mstart=$(date -d '-10 min' +%H:%M)
UB=6f1c2a3b-0d4e-4f50-8a61-72b3c4d5e6f7
US=0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11

cat >"$tmp/services.conf" <<CONF
service "web" {
    owner "it" criticality high public
    check tcp "127.0.0.1" port $WEB every 5s retries 2 retry-every 5s
}
service "db" { owner "it" criticality critical check tcp "127.0.0.1" port $DB every 5s retries 1 }
service "erp" { owner "it" depends "db" check tcp "127.0.0.1" port $DB every 5s retries 2 retry-every 5s }
service "library" {
    owner "libraries"
    maintenance daily $mstart for 1h
    check tcp "127.0.0.1" port $DB every 5s retries 1
}
service "soon" { owner "culture" public check tls "127.0.0.1" port $SOON every 5s retries 1 ca "ca.pem" }
service "backups" { owner "it" rpo 30s check push "nightly" uuid "$UB" period 1m grace 1m }
service "files" { owner "it, archives" criticality medium rpo 1h check push "sync" uuid "$US" period 1d grace 1h }
CONF
write_conf 'sensor offline-after 30s' 'include "services.conf"'
start_console || { t_fail "$T: the console did not start: $(tail -n 5 "$log")"; t_done; }
URL=https://127.0.0.1:$HP

ping() { curl -fsS -o /dev/null --cacert "$tmp/data/ca.crt" "$URL/ping/$1"; }
api() { curl -sS --cacert "$tmp/data/ca.crt" -b "$tmp/cj" -c "$tmp/cj" "$@"; }
for _i in $(seq 1 40); do
	api -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data "{\"user\":\"admin\",\"password\":\"$pw\"}" "$URL/api/v1/login" 2>/dev/null && break
	sleep 0.25
done
ping "$UB" || t_fail "$T: the first ping of backups/nightly"
ping "$US" || t_fail "$T: the first ping of files/sync"
pinged=$(date +%s)

# alerts HOST STATUS|any: "id severity count signature" of the console's alerts of HOST
alerts() {
	local st="&status=$2"
	[ "$2" = any ] && st=""
	api "$URL/api/v1/alerts?sensor=console&host=$1$st" | python3 -c '
import json, sys
for a in json.load(sys.stdin)["alerts"]:
    assert a["kind"] == "service" and a["sensor_id"] == "console", a
    print(a["id"], a["severity"], a["count"], a["signature"])'
}
# wait_alerts HOST STATUS N SECONDS: until HOST has N alerts in STATUS
wait_alerts() {
	local n=""
	for _i in $(seq 1 $(($4 * 2))); do
		n=$(alerts "$1" "$2" | wc -l)
		[ "$n" = "$3" ] && return 0
		sleep 0.5
	done
	echo "  $1 $2: $n alerts, wanted $3" >&2
	return 1
}

t_check "$T: all is well at first: no service alerts" wait_alerts web open 0 1
sleep 6
n=$(api "$URL/api/v1/alerts?sensor=console" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["alerts"]))')
t_check "$T: nothing up raises an alert" test "$n" = 1   # soon's certificate only
t_check "$T: a certificate 10 days from its end raises a WARNING alert" wait_alerts soon open 1 10
set -- $(alerts soon open)
t_check "$T: ... severity 4 (medium criticality, WARNING), signature names the check and the warn figure (10 days left: under 14)" \
	test "$2 ${*:4}" = "4 Service problem: soon: tls 127.0.0.1:$SOON (certificate: under 14 days)"

# a stand-in down: CRITICAL after retries 2 x retry-every 5s
kill "$pid_web"
t0=$(date +%s)
t_check "$T: web down raises an alert" wait_alerts web open 1 20
t1=$(date +%s)
t_check "$T: ... within interval x retries (and a little)" test $((t1 - t0)) -le 17
set -- $(alerts web open)
web_id=$1
t_check "$T: ... severity 2 (criticality high, CRITICAL)" test "$2" = 2
sleep 11
t_check "$T: still down after more checks: still one alert" wait_alerts web open 1 1
standin web "$WEB"
t_check "$T: web back: the alert is resolved" wait_alerts web resolved 1 12
api "$URL/api/v1/alerts/$web_id" >"$tmp/web.json"
if python3 - "$tmp/web.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
a = d["alert"]
assert a["status"] == "resolved" and a["status_by"] == "console", a
assert any(n["text"].startswith("recovered: ") and n["user"] == "console" for n in d["notes"]), d["notes"]
assert d["event"] is not None, d
PY
then
	t_pass "$T: ... by the console, with a note saying it recovered"
else
	t_fail "$T: alert $web_id: $(head -c 400 "$tmp/web.json")"
fi

# the database down: db alerts; erp (UNREACHABLE) and library (maintenance) do not
kill "$pid_db"
t_check "$T: db down raises an alert" wait_alerts db open 1 10
set -- $(alerts db open)
t_check "$T: ... severity 1 (criticality critical)" test "$2" = 1
n=$(sqlite3 "$tmp/data/console.db" "SELECT state || '/' || hard FROM svc_checks WHERE service = 'erp'")
for _i in $(seq 1 40); do
	[ "$n" = UNREACHABLE/1 ] && break
	sleep 0.5
	n=$(sqlite3 "$tmp/data/console.db" "SELECT state || '/' || hard FROM svc_checks WHERE service = 'erp'")
done
t_check "$T: erp, which depends on db, is UNREACHABLE (hard)" test "$n" = UNREACHABLE/1
t_check "$T: ... and raises no alert" wait_alerts erp any 0 1
t_check "$T: library, down inside its maintenance window, raises no alert" wait_alerts library any 0 1
standin db "$DB"
t_check "$T: db back: resolved" wait_alerts db resolved 1 10

# a push check's job fails, then succeeds
ping "$US/fail"
t_check "$T: a push check reporting a failure raises an alert" wait_alerts files open 1 3
set -- $(alerts files open)
t_check "$T: ... severity 3 (medium, down)" test "$2" = 3
ping "$US/1"
t_check "$T: ... a second failure while it is open makes no second one" wait_alerts files any 1 1
ping "$US"
t_check "$T: ... the next success resolves it" wait_alerts files resolved 1 3

# a push check that stops pinging goes late after its period (1m)
left=$((pinged + 60 - $(date +%s)))
[ "$left" -gt 0 ] && t_check "$T: backups is on time before its period" wait_alerts backups any 0 1
t_check "$T: a push check with no ping for its period raises an alert (late)" \
	wait_alerts backups open 1 $((left > 0 ? left + 8 : 8))
set -- $(alerts backups open)
t_check "$T: ... severity 4 (medium, late)" test "$2" = 4

# the SLA report of this month (the test's history is all in it, unless
# it runs across midnight at a month's end)
api -o "$tmp/sla.json" "$URL/api/v1/sla"
if python3 - "$tmp/sla.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["services"]}
assert len(s) == 7, s.keys()
w = s["web"]
assert w["outages"] == 1 and 5 <= w["down_s"] <= 40, w
assert 0 < w["availability"] < 1 and w["known_s"] >= w["up_s"] + w["down_s"] - 1, w
assert s["db"]["outages"] == 1, s["db"]
assert s["library"]["maintenance_s"] > 0 and s["library"]["outages"] == 0, s["library"]
assert s["library"]["down_s"] == 0, s["library"]
assert s["erp"]["outages"] == 1, s["erp"]      # UNREACHABLE: not available either
assert s["files"]["rpo_checks"][0]["met"] is True, s["files"]
assert s["backups"]["rpo_checks"][0]["met"] is False, s["backups"]
assert s["soon"]["availability"] == 1.0, s["soon"]
PY
then
	t_pass "$T: GET /api/v1/sla: outages, downtime, availability, maintenance left out, RPO met or not"
else
	t_fail "$T: /api/v1/sla: $(head -c 800 "$tmp/sla.json") history: $(sqlite3 "$tmp/data/console.db" "SELECT service, key, ts, state FROM svc_history" | tr "\n" " ")"
fi
api -D "$tmp/csv.head" -o "$tmp/sla.csv" "$URL/api/v1/sla?format=csv"
if grep -qi '^content-type: text/csv' "$tmp/csv.head" &&
	head -n 1 "$tmp/sla.csv" | grep -q '^month,service,owner,criticality,availability_percent,' &&
	grep -q "^$(date +%Y-%m),files,\"it, archives\",medium,[0-9.]*,[0-9]*,[0-9]*,[0-9]*,0,3600,yes.$" "$tmp/sla.csv" &&
	grep -q "^$(date +%Y-%m),backups,it,medium,.*,30,no" "$tmp/sla.csv" &&
	[ "$(wc -l <"$tmp/sla.csv")" = 8 ]; then
	t_pass "$T: ?format=csv: a header and one row per service, quoted where needed"
else
	t_fail "$T: csv: $(head -c 600 "$tmp/sla.csv")"
fi
# the printable page in headless Chromium (trusting exactly this console's key)
spki=$(openssl pkey -in "$tmp/data/server.key" -pubout -outform DER | openssl dgst -sha256 -binary | base64)
py=/usr/bin/python3; [ -x "$py" ] || py=python3
"$py" "$here/ui_sla.py" "$URL" "$pw" "$spki" "$tmp" >"$tmp/ui.out" 2>&1
case $? in
0) t_pass "$T: the SLA page: one row per service, CSV link, Greek, printable without the menus" ;;
77) t_skip "$T: the SLA page: chromium or python3-selenium missing" ;;
*) t_fail "$T: the SLA page: $(tail -n 3 "$tmp/ui.out" | tr '\n' ' ')" ;;
esac
code=$(api -o /dev/null -w '%{http_code}' "$URL/api/v1/sla?month=2026-13")
t_check "$T: a malformed month is 400" test "$code" = 400
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$tmp/data/ca.crt" "$URL/api/v1/sla")
t_check "$T: the SLA report needs a session" test "$code" = 401

# a service's page: GET /api/v1/services/NAME, then the page in Chromium
curl -fsS -o /dev/null --cacert "$tmp/data/ca.crt" \
	--data-binary '<script>window.__pwned=1</script><b>sync ok</b>' "$URL/ping/$US" ||
	t_fail "$T: a ping of files/sync with a body"
for s in web files library erp; do
	api -o "$tmp/svc-$s.json" "$URL/api/v1/services/$s"
done
api -o "$tmp/svc-web1.json" "$URL/api/v1/services/web?days=1"
if python3 - "$tmp" "$mstart" <<'PY'
import json, sys, time
tmp, mstart = sys.argv[1:3]
g = lambda n: json.load(open("%s/svc-%s.json" % (tmp, n)))
w, f, l, e = g("web"), g("files"), g("library"), g("erp")
now = time.time()
assert w["name"] == "web" and w["owner"] == "it" and w["criticality"] == "high" and w["public"], w
assert w["state"] == "OK" and w["window"]["days"] == 7, w
assert abs(w["window"]["to"] - now) < 60 and w["window"]["to"] - w["window"]["from"] == 7 * 86400, w["window"]
c = w["checks"][0]
assert c["kind"] == "tcp" and c["target"] == "127.0.0.1" and c["runs_on"] == "console", c
assert c["every"] == 5 and c["sensor"] is None and c["output"], c
h = [x["state"] for x in c["history"]]
assert "CRITICAL" in h and h[-1] == "OK" and h.index("CRITICAL") > 0, h
assert all(w["window"]["from"] <= x["ts"] <= w["window"]["to"] for x in c["history"]), c["history"]
assert not c["history_cut"], c
r = c["response"]
assert 2 <= len(r) <= 300 and all(p["ms"] >= 0 and p["max"] >= p["ms"] for p in r), r
assert [p["ts"] for p in r] == sorted(p["ts"] for p in r), r
assert g("web1")["window"]["days"] == 1, g("web1")["window"]
fc = f["checks"][0]
assert fc["kind"] == "push" and fc["name"] == "sync", fc
assert fc["last_body"] == "<script>window.__pwned=1</script><b>sync ok</b>", fc
assert "down" in [x["state"] for x in fc["history"]], fc["history"]
assert l["maintenance"] == [{"kind": "daily", "at": mstart, "length": 3600}], l["maintenance"]
assert any(m["from"] <= now <= m["to"] + 5 for m in l["maintenance_spans"]), l["maintenance_spans"]
assert e["depends"] == ["db"] and "UNREACHABLE" in [x["state"] for x in e["checks"][0]["history"]], e
assert w["addresses"] == [] and w["ports"] == [] and w["backups"] == [], w
PY
then
	t_pass "$T: GET /api/v1/services/NAME: facts, checks, state history, response times, maintenance spans, push body"
else
	t_fail "$T: /api/v1/services/NAME: $(head -c 800 "$tmp/svc-web.json")"
fi
code=$(api -o /dev/null -w '%{http_code}' "$URL/api/v1/services/nosuch")
t_check "$T: ... an unknown service is 404" test "$code" = 404
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$tmp/data/ca.crt" "$URL/api/v1/services/web")
t_check "$T: ... it needs a session" test "$code" = 401
bad=""
for q in 0 366 abc 7x -1; do
	code=$(api -o /dev/null -w '%{http_code}' "$URL/api/v1/services/web?days=$q")
	[ "$code" = 400 ] || bad="$bad $q:$code"
done
t_check "$T: ... days out of 1..365 or not a number is 400" test -z "$bad"
code=$(api -o /dev/null -w '%{http_code}' -I "$URL/api/v1/services/web")
t_check "$T: ... HEAD answers as GET does" test "$code" = 200
"$py" "$here/ui_service.py" "$URL" "$pw" "$spki" "$tmp" >"$tmp/ui-svc.out" 2>&1
case $? in
0) t_pass "$T: the service page: timeline with the outage, response-time chart, outputs as text, maintenance, dependencies, Greek" ;;
77) t_skip "$T: the service page: chromium or python3-selenium missing" ;;
*) t_fail "$T: the service page: $(tail -n 3 "$tmp/ui-svc.out" | tr '\n' ' ')" ;;
esac

# the public status page: no session; web and soon only, nothing internal
curl -sS --cacert "$tmp/data/ca.crt" -D "$tmp/status.head" -o "$tmp/status.html" "$URL/status"
curl -sS --cacert "$tmp/data/ca.crt" -o "$tmp/status-en.html" "$URL/status?lang=en"
api -o "$tmp/status-session.html" "$URL/status?lang=en"
if python3 - "$tmp/status.html" "$tmp/status-en.html" "$tmp/status-session.html" "$WEB $DB $SOON $HP" <<'PY'
import re, sys
el, en, ses = (open(p, encoding="utf-8").read() for p in sys.argv[1:4])
rows = lambda h: dict(re.findall(r'<tr><td>([^<]*)</td><td class="[a-z]+" data-state="([a-z]+)"', h))
assert rows(el) == {"web": "ok", "soon": "degraded"}, rows(el)
assert rows(en) == rows(el), rows(en)
assert "Κατάσταση υπηρεσιών" in el and "Σε λειτουργία" in el and "Με προβλήματα" in el, el
assert "Service status" in en and "Operational" in en and "Degraded" in en, en
assert re.search(r"<td>web</td>.*<td class=\"num\">[0-9]+\.[0-9]{2} %</td>", el), el
# nothing internal: addresses, ports, check names or kinds, outputs, owners, other services
for h in (el, en):
    for bad in ["127.0.0.1", "tcp", "tls", "expires", "culture", "nightly", "sync",
                "erp", "library", "backups", "files", "critical", "high"] + sys.argv[4].split():
        assert bad not in h, (bad, h)
    assert not re.search(r"\bdb\b", h), h
# a session shows no more
assert ses == en or rows(ses) == rows(en) and len(ses) == len(en), ses
PY
then
	t_pass "$T: /status without a session: public services only, Greek and English, no addresses, outputs or other names"
else
	t_fail "$T: /status: $(head -c 600 "$tmp/status.html")"
fi
code=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$tmp/status.head")
if [ "$code" = 200 ] && grep -qi "^content-security-policy: default-src 'none'" "$tmp/status.head" &&
	! grep -qi '^set-cookie' "$tmp/status.head"; then
	t_pass "$T: ... 200 with a policy that allows no script, and no cookie"
else
	t_fail "$T: /status head: $(tr '\r\n' '  ' <"$tmp/status.head")"
fi

# the console's sensor row
api "$URL/api/v1/sensors" >"$tmp/sensors.json"
if python3 - "$tmp/sensors.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["sensors"] if x["id"] == "console"]
assert len(s) == 1 and s[0]["kind"] == "console", d
PY
then
	t_pass "$T: the console appears as a sensor of kind console"
else
	t_fail "$T: sensors: $(head -c 400 "$tmp/sensors.json")"
fi
csrf=$(api "$URL/api/v1/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
code=$(api -o "$tmp/revoke.json" -w '%{http_code}' -X POST -H "X-CSRF-Token: $csrf" \
	"$URL/api/v1/sensors/console/revoke")
if [ "$code" = 400 ] && grep -q 'cannot be revoked' "$tmp/revoke.json"; then
	t_pass "$T: ... which cannot be revoked"
else
	t_fail "$T: revoking the console: $code $(head -c 200 "$tmp/revoke.json")"
fi
n=$(sqlite3 "$tmp/data/console.db" "SELECT count(*) FROM alerts WHERE kind = 'sensor_offline'")
t_check "$T: ... and is never alerted offline (offline-after 30s, the test runs longer)" test "$n" = 0

kill -TERM "$cpid"
wait "$cpid"
rc=$?
cpid=""
t_check "$T: the console stops cleanly" test "$rc" = 0
if grep -q 'ERROR: AddressSanitizer\|runtime error' "$log"; then
	t_fail "$T: sanitizer report: $(grep -m 3 'ERROR\|runtime error' "$log")"
fi
t_done
