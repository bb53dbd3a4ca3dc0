#!/bin/bash
# Push checks for real, on loopback: the contract of the services
# inventory (docs/services.md) exactly as written. A fresh console whose
# console.conf takes in a services.conf holding only the e-payments block;
# `kastro-console -n -c FILE` lists the service and both its checks;
# `curl -fsS --cacert CA https://CONSOLE:PORT/ping/UUID` answers 200 and
# marks the check up, `/fail` marks it down; then the rest of the ping API
# (start, exit codes, HEAD, POST with a body kept to 10 KB), unknown and
# malformed UUIDs (404 and nothing else), the rate limit per source, and
# the states kept across a restart.
#
# usage: tests/continuity/test_push.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=continuity/push
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
UUID=0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11
. "$here/../console/console_lib.sh"
# the console runs as its own user: it reads what the test writes here
chmod 755 "$tmp"
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }
CA=$data/ca.crt
URL=https://127.0.0.1:$HP

# The contract's block, standing alone in the inventory file.
cat >"$tmp/services.conf" <<'CONF'
service "e-payments" {
    address 10.20.0.17
    ports tcp 443
    owner "finance" rpo 1h rto 4h
    check https "https://10.20.0.17/" every 30s keyword "Πληρωμές"
    check push "nightly-backup" uuid "0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11" period 1d grace 1h
}
CONF
write_conf 'include "services.conf"'

if "$CONSOLE" -n -c "$conf" >"$tmp/n.out" 2>&1 &&
	grep -q '^1 service, 2 checks$' "$tmp/n.out" &&
	grep -q '^service "e-payments" criticality medium owner "finance" rpo 1h rto 4h$' "$tmp/n.out" &&
	grep -q '^    check https "https://10.20.0.17/" every 30s .* keyword "Πληρωμές"' "$tmp/n.out" &&
	grep -q "^    check push \"nightly-backup\" uuid \"$UUID\" period 1d grace 1h\$" "$tmp/n.out"; then
	t_pass "$T: kastro-console -n lists the service and both its checks"
else
	t_fail "$T: kastro-console -n: $(tr '\n' '|' <"$tmp/n.out")"
fi

# A misspelt keyword in the included inventory: file:line:col and a hint.
sed 's/keyword "/keywrd "/' "$tmp/services.conf" >"$tmp/bad.conf"
sed 's/services.conf/bad.conf/' "$conf" >"$tmp/bad-console.conf"
if ! "$CONSOLE" -n -c "$tmp/bad-console.conf" >"$tmp/bad.out" 2>&1 &&
	head -n 1 "$tmp/bad.out" | grep -q "bad.conf:5:49: unexpected 'keywrd', .*did you mean 'keyword'?"; then
	t_pass "$T: an error in the inventory names file:line:col and the close match"
else
	t_fail "$T: bad inventory: $(head -n 1 "$tmp/bad.out")"
fi

start_console || { t_fail "$T: the console did not start: $(tail -n 5 "$log")"; t_done; }

state() {
	sqlite3 "$data/console.db" "SELECT state FROM svc_checks WHERE service = 'e-payments' AND key = 'nightly-backup'"
}

# ---- the contract ---------------------------------------------------------
t_check "$T: before any ping the push check is new" test "$(state)" = new
if out=$(curl -fsS --cacert "$CA" "$URL/ping/$UUID") && [ "$out" = OK ] && [ "$(state)" = up ]; then
	t_pass "$T: curl -fsS --cacert CA .../ping/UUID answers 200 and the check is up"
else
	t_fail "$T: ping: '$out', state $(state)"
fi
if curl -fsS --cacert "$CA" "$URL/ping/$UUID/fail" >/dev/null && [ "$(state)" = down ]; then
	t_pass "$T: /ping/UUID/fail marks it down"
else
	t_fail "$T: /fail: state $(state)"
fi

# ---- the rest of the ping API ---------------------------------------------
code=$(curl -sS -o /dev/null -w '%{http_code}' -I --cacert "$CA" "$URL/ping/$UUID/start")
starts=$(sqlite3 "$data/console.db" "SELECT last_start > 0 FROM svc_checks WHERE key = 'nightly-backup'")
t_check "$T: HEAD /start answers 200, records the start and leaves the state" \
	test "$code:$starts:$(state)" = "200:1:down"
curl -fsS --cacert "$CA" "$URL/ping/$UUID/0" >/dev/null
t_check "$T: exit status 0 is a success" test "$(state)" = up
curl -fsS --cacert "$CA" "$URL/ping/$UUID/2" >/dev/null
ex=$(sqlite3 "$data/console.db" "SELECT last_exit FROM svc_checks WHERE key = 'nightly-backup'")
t_check "$T: exit status 2 is a failure, kept" test "$(state):$ex" = "down:2"
head -c 20000 /dev/zero | tr '\0' 'b' >"$tmp/body"
printf 'restic: snapshot 4f3a saved' | curl -fsS --cacert "$CA" --data-binary @- "$URL/ping/$UUID" >/dev/null
curl -fsS --cacert "$CA" --data-binary @"$tmp/body" "$URL/ping/$UUID/fail" >/dev/null
bodies=$(sqlite3 "$data/console.db" "SELECT what || ':' || length(body) FROM svc_pings ORDER BY id DESC LIMIT 2" | tr '\n' ' ')
t_check "$T: POST bodies are kept, cut at 10 KB" test "$bodies" = "fail:10240 success:27 "
curl -fsS --cacert "$CA" -X POST "$URL/ping/${UUID^^}" >/dev/null
t_check "$T: an upper-case UUID is the same check" test "$(state)" = up

ok404=1
for p in /ping/0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e12 /ping/0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e12/fail \
	/ping/nonsense "/ping/$UUID/256" "/ping/$UUID/log" /ping/; do
	r=$(curl -sS -w ' %{http_code}' --cacert "$CA" "$URL$p")
	[ "$r" = "not found
 404" ] || { ok404=0; echo "  $p: $r"; }
done
t_check "$T: unknown or malformed UUIDs and paths get the same bare 404" test "$ok404" = 1
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE --cacert "$CA" "$URL/ping/$UUID")
t_check "$T: other methods get 405" test "$code" = 405
t_check "$T: an unknown UUID changed nothing" test "$(state)" = up

# ---- rate limit per source ------------------------------------------------
urls=()
for _i in $(seq 1 300); do urls+=("$URL/ping/0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e12"); done
codes=$(curl -s -w '\n%{http_code}\n' --cacert "$CA" "${urls[@]}" | grep -x '[0-9][0-9][0-9]' |
	sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
case "$codes" in
*429:*) t_pass "$T: a flood from one source is limited ($codes)" ;;
*) t_fail "$T: 300 pings at once, none limited: $codes" ;;
esac
sleep 1.5
t_check "$T: after a pause the source may ping again" curl -fsS -o /dev/null --cacert "$CA" "$URL/ping/$UUID/fail"

# ---- across a restart ------------------------------------------------------
stop_console
cp "$log" "$tmp/first.log"      # start_console begins a new log
start_console || { t_fail "$T: restart failed"; t_done; }
t_check "$T: the state survives a restart" test "$(state)" = down
curl -fsS --cacert "$CA" "$URL/ping/$UUID" >/dev/null
t_check "$T: and moves again after it" test "$(state)" = up
stop_console
if grep -q 'ERROR: AddressSanitizer\|runtime error' "$tmp/first.log" "$log"; then
	t_fail "$T: sanitizer report: $(grep -h -m 3 'ERROR\|runtime error' "$tmp/first.log" "$log")"
fi
t_done
