#!/bin/bash
# kastroctl metrics for a console with something to count, on loopback: a
# push check that is told it failed (a hard problem: a service alert of
# severity 3, the service being of medium criticality) and a syslog hook
# whose receiver is not there (the alert waits in its queue). The output
# passes Prometheus' `promtool check metrics`; it says 1 open alert of
# severity 3 (as the database has it), the hook's queue and the check's
# state down, and after the check recovers (the alert is resolved) 0 open
# alerts and state up. GET /api/v1/metrics answers 401 without an API
# token and the same values (plus ingest counters) with one. Run as a
# member of group kastro too (read-only).
#
# usage: tests/console/test_metrics.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=console/metrics
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
CONSOLE=$B/kastro-console
CTL=$B/kastroctl
UUID=6f1e3c2a-8b4d-4e5f-9a1b-2c3d4e5f6a7b

for tool in curl sqlite3 python3 promtool; do
	command -v "$tool" >/dev/null 2>&1 || { t_fail "$T: $tool not installed (packaging/deps.sh test)"; t_done; }
done
[ -x "$CONSOLE" ] && [ -x "$CTL" ] || { t_fail "$T: $CONSOLE or $CTL not built"; t_done; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kastro-metrics-test.XXXXXX") || { t_fail "$T: no scratch dir"; t_done; }
chmod 755 "$tmp"
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }
cpid=""
cleanup() {
	if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
		kill -TERM "$cpid" 2>/dev/null
		for _i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$cpid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$cpid" 2>/dev/null
	fi
	[ -n "$cpid" ] && wait "$cpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# three free ports: the console's two and one where nothing listens (the hook's)
read -r HP SP NP < <(python3 -c 'import socket
s=[socket.socket() for _ in range(3)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
data=$tmp/data
sock=$tmp/console.sock
URL=https://127.0.0.1:$HP
"$CONSOLE" init --data "$data" --name 127.0.0.1 >"$tmp/init.out" 2>&1 ||
	{ t_fail "$T: init: $(head -n 3 "$tmp/init.out" | tr '\n' ' ')"; t_done; }
cat >"$tmp/services.conf" <<CONF
service "e-payments" {
    address 10.20.0.17
    ports tcp 443
    check push "nightly-backup" uuid "$UUID" period 1d grace 1h
}
CONF
cat >"$tmp/console.conf" <<CONF
data "$data"
listen https on 127.0.0.1 port $HP
listen sensors on 127.0.0.1 port $SP
control "$sock"
include "services.conf"
hook soc { syslog "tcp://127.0.0.1:$NP" format cef }
CONF
"$CONSOLE" -c "$tmp/console.conf" >"$tmp/console.log" 2>&1 &
cpid=$!
for _i in $(seq 1 50); do
	curl -s -o /dev/null --cacert "$data/ca.crt" "$URL/" && break
	sleep 0.1
done
[ -S "$sock" ] || { t_fail "$T: the console did not start: $(tail -n 5 "$tmp/console.log")"; t_done; }

db() { sqlite3 -cmd '.timeout 5000' "$data/console.db" "$@"; }
m() { "$CTL" -s "$sock" metrics console 2>"$tmp/m.err"; }
val() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/m.txt"; }

# ---- a problem: one open alert, queued for the hook ------------------------------
curl -fsS --cacert "$data/ca.crt" "$URL/ping/$UUID/fail" >/dev/null
for _i in $(seq 1 50); do
	[ "$(db "select count(*) from alerts where kind = 'service' and status <> 'resolved'")" = 1 ] && break
	sleep 0.1
done
m >"$tmp/m.txt"
if promtool check metrics <"$tmp/m.txt" >"$tmp/promtool.txt" 2>&1; then
	t_pass "$T: kastroctl metrics console passes promtool check metrics ($(grep -vc '^#' "$tmp/m.txt") samples)"
else
	t_fail "$T: promtool: $(head -n 5 "$tmp/promtool.txt" | tr '\n' ' ')"
fi
dbsev=$(db "select count(*) from alerts where status <> 'resolved' and severity = 3")
if [ "$(val 'kastro_console_alerts_open{severity="3"}')" = 1 ] && [ "$dbsev" = 1 ] &&
	[ "$(val 'kastro_console_alerts_open{severity="1"}')" = 0 ]; then
	t_pass "$T: one open alert of severity 3, as the database has it"
else
	t_fail "$T: alerts_open: $(grep alerts_open "$tmp/m.txt" | tr '\n' ' ') (database: $dbsev of severity 3)"
fi
# the hook's worker claims the alert into its queue within a quarter second
# (docs/hooks.md): read again until it has
q=$(val 'kastro_console_hook_queue{hook="soc"}')
for _i in $(seq 1 30); do
	[ -n "$q" ] && [ "$q" -ge 1 ] && break
	sleep 0.1
	m >"$tmp/m.txt"
	q=$(val 'kastro_console_hook_queue{hook="soc"}')
done
qdb=$(db "select count(*) from hook_outbox" 2>/dev/null || echo "?")
if [ -n "$q" ] && [ "$q" -ge 1 ] && grep -q '^kastro_console_hook_failed_total{hook="soc"} ' "$tmp/m.txt"; then
	t_pass "$T: the hook soc's queue holds the alert its receiver did not take (queue $q)"
else
	t_fail "$T: hook metrics: $(grep hook_ "$tmp/m.txt" | tr '\n' ' ') (outbox rows: $qdb)"
fi
s='kastro_console_service_state{service="e-payments",check="nightly-backup",kind="push",state="down"}'
[ "$(val "$s")" = 1 ] && t_pass "$T: the push check's state is down" ||
	t_fail "$T: service state: $(grep service_state "$tmp/m.txt" | tr '\n' ' ')"

# ---- the same over HTTPS, for Prometheus to scrape with an API token --------------
code=$(curl -s -o "$tmp/h0.txt" -w '%{http_code}' --cacert "$data/ca.crt" "$URL/api/v1/metrics")
[ "$code" = 401 ] && t_pass "$T: GET /api/v1/metrics without a token: 401" ||
	t_fail "$T: GET /api/v1/metrics without a token: $code"
tok=$("$CTL" -s "$sock" api-token create admin prometheus | sed -n 's/^token=//p')
code=$(curl -s -D "$tmp/h.head" -o "$tmp/h.txt" -w '%{http_code}' --cacert "$data/ca.crt" \
	-H "Authorization: Bearer $tok" "$URL/api/v1/metrics")
cp "$tmp/h.txt" "$tmp/m.txt"
if [ "$code" = 200 ] && grep -qi '^content-type: text/plain; version=0.0.4' "$tmp/h.head" &&
	promtool check metrics <"$tmp/h.txt" >"$tmp/promtool.txt" 2>&1 &&
	[ "$(val 'kastro_console_alerts_open{severity="3"}')" = 1 ] && [ "$(val "$s")" = 1 ] &&
	[ -n "$(val kastro_console_events_stored_total)" ] && [ -n "$(val kastro_console_sensors_online)" ]; then
	t_pass "$T: GET /api/v1/metrics with an API token: text format 0.0.4, promtool clean, the same values"
else
	t_fail "$T: GET /api/v1/metrics: $code $(head -c 300 "$tmp/h.txt" | tr '\n' ' ') $(head -n 3 "$tmp/promtool.txt" | tr '\n' ' ')"
fi

# ---- recovery: no open alert, state up --------------------------------------------
curl -fsS --cacert "$data/ca.crt" "$URL/ping/$UUID" >/dev/null
for _i in $(seq 1 50); do
	[ "$(db "select count(*) from alerts where status <> 'resolved'")" = 0 ] && break
	sleep 0.1
done
m >"$tmp/m.txt"
s='kastro_console_service_state{service="e-payments",check="nightly-backup",kind="push",state="up"}'
if [ "$(val 'kastro_console_alerts_open{severity="3"}')" = 0 ] && [ "$(val "$s")" = 1 ] &&
	promtool check metrics <"$tmp/m.txt" >/dev/null 2>&1; then
	t_pass "$T: after the recovery: no open alert, the check up, promtool clean"
else
	t_fail "$T: after recovery: $(grep 'alerts_open\|service_state' "$tmp/m.txt" | tr '\n' ' ')"
fi

# ---- the read-only request of group kastro ------------------------------------------
if getent group kastro >/dev/null && [ "$(stat -c %G "$sock")" = kastro ]; then
	if setpriv --reuid=65534 --regid=65534 --groups="$(getent group kastro | cut -d: -f3)" \
		--inh-caps=-all "$CTL" -s "$sock" metrics console 2>&1 | promtool check metrics >/dev/null 2>&1; then
		t_pass "$T: a member of kastro reads the metrics"
	else
		t_fail "$T: a member of kastro cannot read the metrics"
	fi
fi
t_done
