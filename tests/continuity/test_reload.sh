#!/bin/bash
# The services inventory read again without a restart, for real on
# loopback: a running console, `kastroctl console reload` and SIGHUP. A
# service and a check are added (the new check runs within its interval),
# a keyword is changed so that a kept check fails (its state carried, its
# alert raised), a service with an open alert is removed (the alert
# resolved with a note saying it left the inventory), a bad file (a
# misspelt keyword, a duplicate uuid) changes nothing and is what kastroctl
# prints with a non-zero exit, a push check's uuid keeps working across
# reloads (also renamed: its uuid is its identity), the reload is
# audited, a setting outside the inventory is named as needing a
# restart, and 20 reloads in a row while checks run every 5 s
# leave the console serving (under the sanitizers when BUILD_DIR is the
# sanitized build), runs of removed checks in progress at a reload being
# dropped, every service removed and brought back, and a console that
# started with no probe check starts them when a reload brings some.
#
# usage: tests/continuity/test_reload.sh BUILD_DIR   (KASTRO_RELOADS=N: N reloads in a row)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=continuity/reload
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
UUID=0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11
. "$here/../console/console_lib.sh"
. "$here/svc_lib.sh"
chmod 755 "$tmp"
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }
CA=$data/ca.crt
URL=https://127.0.0.1:$HP

pids=""
rl_cleanup() {
	stop_console
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	console_cleanup
}
trap rl_cleanup EXIT

read -r WEB DEAD SLOW < <(python3 -c 'import socket
s=[socket.socket() for _ in range(3)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
mkdir -p "$tmp/www"
printf '<html><body><h1>Ηλεκτρονικές Πληρωμές</h1></body></html>\n' >"$tmp/www/index.html"
python3 "$here/standin.py" "$WEB" "$tmp/www" &
pids="$pids $!"
# a service that takes connections and never answers: its check runs 3 s
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(128); time.sleep(86400)' "$SLOW" &
pids="$pids $!"

# v1: web (http with a keyword, a push check, a tcp check of a port where nothing
# listens: CRITICAL), gone (the same) and slow
v1() {
	cat >"$tmp/services.conf" <<CONF
service "web" {
    owner "it"
    check http "http://127.0.0.1:$WEB/" every 5s retries 1 keyword "${1:-Πληρωμές}"
    check push "nightly-backup" uuid "$UUID" period 1d grace 1h
    check tcp "127.0.0.1" port $DEAD every 5s retries 1 timeout 2s
}
service "gone" {
    check tcp "127.0.0.1" port $DEAD every 5s retries 1 timeout 2s
}
service "slow" {
    check http "http://127.0.0.1:$SLOW/" every 5s retries 1 timeout 3s
}
CONF
}
# v2: gone and slow removed, newsvc added, web's keyword changed so that it
# fails and its tcp check removed
v2() {
	cat >"$tmp/services.conf" <<CONF
service "web" {
    owner "it"
    check http "http://127.0.0.1:$WEB/" every 5s retries 1 keyword "${1:-Λείπει}"
    check push "nightly-backup" uuid "$UUID" period 1d grace 1h
}
service "newsvc" {
    check tcp "127.0.0.1" port $WEB every 5s retries 1
}
CONF
}
v1
write_conf 'include "services.conf"'
start_console || { t_fail "$T: the console did not start: $(tail -n 5 "$log")"; t_done; }
ctl() { "$CTL" -s "$sock" "$@"; }
# open_alerts SERVICE [SIGNATURE-LIKE]
open_alerts() {
	q "SELECT count(*) FROM alerts WHERE kind = 'service' AND host = '$1' AND status <> 'resolved' AND signature LIKE '${2:-%}'"
}
quiet_reload() { ctl console reload >"$tmp/rq.out" 2>&1; }
ping() { curl -fsS --max-time 10 --cacert "$CA" "$URL/ping/$UUID${1:-}" 2>&1; }

t_check "$T: web's http check is OK before the reload" wait_state web 'http %' OK/1 10
t_check "$T: gone's tcp check is CRITICAL before the reload" wait_state gone 'tcp %' CRITICAL/1 10
t_check "$T: gone has an open alert" test "$(open_alerts gone)" = 1
t_check "$T: web's tcp check is CRITICAL before the reload" wait_state web 'tcp %' CRITICAL/1 10
t_check "$T: ... with an open alert" test "$(open_alerts web '%: tcp %')" = 1
ping "" >/dev/null
t_check "$T: the push check is up after a ping" wait_state web nightly-backup up/1 5
runs_before=$(ctl console status | sed -n 's/^probes_run=//p')

# A setting outside the inventory changes too: named, not taken.
v2
write_conf 'include "services.conf"' 'log level debug'
if ctl console reload >"$tmp/r1.out" 2>&1; then
	t_pass "$T: kastroctl console reload answers ok"
else
	t_fail "$T: reload: $(tr '\n' '|' <"$tmp/r1.out")"
fi
for kv in services=2 checks=3 services_added=1 services_removed=2 services_changed=1 \
	checks_added=1 checks_removed=3 checks_changed=1 'needs_restart=log level'; do
	grep -qx "$kv" "$tmp/r1.out" || t_fail "$T: reload answer lacks $kv: $(tr '\n' '|' <"$tmp/r1.out")"
done
t_check "$T: the new service's check runs within its interval" wait_state newsvc 'tcp %' OK/1 8
t_check "$T: the changed keyword makes the kept check CRITICAL" wait_state web 'http %' CRITICAL/1 12
t_check "$T: ... and raises its alert" test "$(open_alerts web '%: http %')" = 1
t_check "$T: the removed service's alert is resolved" test "$(open_alerts gone)" = 0
note=$(q "SELECT n.text FROM alert_notes n JOIN alerts a ON a.id = n.alert_id WHERE a.host = 'gone' ORDER BY n.id DESC LIMIT 1")
t_check "$T: ... with a note saying it left the inventory" \
	grep -q 'left the inventory' <<<"$note"
t_check "$T: the alert of a check removed from a kept service is resolved" \
	test "$(open_alerts web '%: tcp %')" = 0
note=$(q "SELECT n.text FROM alert_notes n JOIN alerts a ON a.id = n.alert_id WHERE a.host = 'web' AND a.signature LIKE '%: tcp %' ORDER BY n.id DESC LIMIT 1")
t_check "$T: ... with the note 'check left the inventory (reload)'" \
	test "$note" = "check left the inventory (reload)"
t_check "$T: the removed check is no longer run" \
	test "$(q "SELECT last_check FROM svc_checks WHERE service = 'gone'")" = \
	"$(sleep 7; q "SELECT last_check FROM svc_checks WHERE service = 'gone'")"
t_check "$T: the push check kept its state (up) across the reload" wait_state web nightly-backup up/1 2
t_check "$T: its uuid still answers after the reload" test "$(ping /fail)" = OK
t_check "$T: ... and /fail marks it down" wait_state web nightly-backup down/1 5
audit=$(q "SELECT user || ' ' || action || ' ' || detail FROM audit WHERE action = 'inventory.reload' ORDER BY id DESC LIMIT 1")
t_check "$T: the reload is audited with who and what changed" \
	test "$audit" = "root inventory.reload services +1 -2 ~1, checks +1 -3 ~1; needs a restart: log level"
t_check "$T: the log says log level needs a restart" \
	grep -q 'only after a restart: log level' "$log"

# A bad file: nothing changes, the error is what kastroctl prints.
write_conf 'include "services.conf"'
cp "$tmp/services.conf" "$tmp/good.conf"
sed -i 's/every 5s retries 1 keyword/every 5s retries 1 keywrd/' "$tmp/services.conf"
if ctl console reload >"$tmp/bad.out" 2>&1; then
	t_fail "$T: a bad file was taken: $(tr '\n' '|' <"$tmp/bad.out")"
else
	t_pass "$T: a bad file makes kastroctl console reload exit non-zero"
fi
t_check "$T: ... printing file:line:col and the close match" \
	grep -q "services.conf:3:.*unexpected 'keywrd'.*did you mean 'keyword'" "$tmp/bad.out"
t_check "$T: ... and logging it" grep -q "reload: .*services.conf:3:" "$log"
# a duplicate uuid
cp "$tmp/good.conf" "$tmp/services.conf"
cat >>"$tmp/services.conf" <<CONF
service "dup" {
    check push "again" uuid "$UUID" period 1d grace 1h
}
CONF
if ! ctl console reload >"$tmp/dup.out" 2>&1 && grep -q 'services.conf:[0-9]*:[0-9]*: .*uuid' "$tmp/dup.out"; then
	t_pass "$T: a duplicate uuid is refused with file:line:col"
else
	t_fail "$T: duplicate uuid: $(tr '\n' '|' <"$tmp/dup.out")"
fi
t_check "$T: the old inventory stays in force (newsvc still run)" \
	test "$(q "SELECT last_check FROM svc_checks WHERE service = 'newsvc'")" != \
	"$(sleep 6; q "SELECT last_check FROM svc_checks WHERE service = 'newsvc'")"
t_check "$T: ... and the ping still answers" test "$(ping)" = OK
t_check "$T: a failed reload is counted" \
	test "$(ctl console status | sed -n 's/^inventory_reload_failures=//p')" = 2
t_check "$T: ... and audited" \
	test "$(q "SELECT count(*) FROM audit WHERE action = 'inventory.reload_failed'")" = 2

# SIGHUP does the same: the keyword back, the check recovers, its alert resolved.
v2 "Πληρωμές"
kill -HUP "$cpid"
t_check "$T: SIGHUP reloads: the keyword back makes the check OK" wait_state web 'http %' OK/1 12
t_check "$T: ... its alert is resolved" test "$(open_alerts web '%: http %')" = 0
t_check "$T: ... the console still runs" kill -0 "$cpid"
t_check "$T: ... the audit entry names SIGHUP" \
	test "$(q "SELECT user FROM audit WHERE action = 'inventory.reload' ORDER BY id DESC LIMIT 1")" = SIGHUP

# A push check renamed keeps its identity, its uuid: state, pings, history.
pings0=$(q "SELECT pings FROM svc_checks WHERE service = 'web' AND key = 'nightly-backup'")
sed -i 's/check push "nightly-backup"/check push "nightly-db-backup"/' "$tmp/services.conf"
if ctl console reload >"$tmp/r4.out" 2>&1 && grep -qx checks_changed=1 "$tmp/r4.out" &&
	grep -qx checks_added=0 "$tmp/r4.out" && grep -qx checks_removed=0 "$tmp/r4.out"; then
	t_pass "$T: a renamed push check (same uuid) counts as changed, not removed and added"
else
	t_fail "$T: rename: $(tr '\n' '|' <"$tmp/r4.out")"
fi
t_check "$T: ... it keeps its state under its new name" wait_state web nightly-db-backup up/1 2
t_check "$T: ... and its pings ($pings0)" \
	test "$(q "SELECT pings FROM svc_checks WHERE service = 'web' AND key = 'nightly-db-backup'")" = "${pings0:-x}"
t_check "$T: ... and nothing is left under the old name" \
	test "$(q "SELECT count(*) FROM svc_checks WHERE key = 'nightly-backup'")" = 0

# 20 reloads in a row (KASTRO_RELOADS), alternating two inventories, while
# checks run every 5 s
N=${KASTRO_RELOADS:-20}
ok=0
for i in $(seq 1 "$N"); do
	if [ $((i % 2)) = 1 ]; then v1 "Πληρωμές"; else v2 "Πληρωμές"; fi
	ctl console reload >/dev/null 2>&1 && ok=$((ok + 1))
	sleep 0.3
done
t_check "$T: $N reloads in a row all succeed" test "$ok" = "$N"
sleep 6
t_check "$T: the console still runs after them" kill -0 "$cpid"
runs_after=$(ctl console status | sed -n 's/^probes_run=//p')
t_check "$T: the checks ran on through them" test "${runs_after:-0}" -gt "${runs_before:-0}"
t_check "$T: runs of removed checks in progress at a reload finished and were dropped" \
	grep -q 'probes: http http://127.0.0.1:'"$SLOW"'/ of service slow finished after it left the inventory' "$log"
t_check "$T: the last inventory is in force (web OK, newsvc OK)" wait_state newsvc 'tcp %' OK/1 8

# Every service removed: an empty inventory in force, nothing run.
printf '# no services for now\n' >"$tmp/services.conf"
if ctl console reload >"$tmp/r5.out" 2>&1 && grep -qx services=0 "$tmp/r5.out" &&
	grep -qx checks=0 "$tmp/r5.out"; then
	t_pass "$T: a reload that removes every service leaves an empty inventory"
else
	t_fail "$T: empty: $(tr '\n' '|' <"$tmp/r5.out")"
fi
t_check "$T: ... no open service alert is left" test "$(q "SELECT count(*) FROM alerts WHERE kind = 'service' AND status <> 'resolved'")" = 0
t_check "$T: ... no check runs any more" \
	test "$(q "SELECT max(last_check) FROM svc_checks")" = "$(sleep 6; q "SELECT max(last_check) FROM svc_checks")"
v2 "Πληρωμές"
t_check "$T: ... and a reload after it brings them back" quiet_reload
t_check "$T: ... running again" wait_state newsvc 'tcp %' OK/1 10

# A console that started with no probe check (nothing ran its workers) and
# no check from a sensor: a reload that adds them starts them.
stop_console
cat >"$tmp/services.conf" <<CONF
service "web" {
    check push "nightly-backup" uuid "$UUID" period 1d grace 1h
}
CONF
start_console || { t_fail "$T: the console did not start again: $(tail -n 5 "$log")"; t_done; }
v2 "Πληρωμές"
t_check "$T: a reload into the first probe checks succeeds" quiet_reload
t_check "$T: ... and they run" wait_state web 'http %' OK/1 10
t_check "$T: ... all of them" wait_state newsvc 'tcp %' OK/1 10
stop_console
if grep -qE 'AddressSanitizer|ThreadSanitizer|runtime error|LeakSanitizer' "$log" "$log.prev" 2>/dev/null; then
	t_fail "$T: the sanitizers reported: $(grep -h -m 3 -E 'ERROR|WARNING: ThreadSanitizer|runtime error' "$log" | tr '\n' '|')"
else
	t_pass "$T: no sanitizer report in the console's log"
fi
t_done
