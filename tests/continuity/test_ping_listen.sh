#!/bin/bash
# The ping listener of its own, for real on loopback: console.conf's
# `ping-listen 127.0.0.1 port P` serves the push checks' /ping/ paths over
# plain HTTP (a success marks the check up, /fail down, an unknown UUID a
# bare 404) and nothing else (the web UI, the API and the status page are
# 404 there); pings are rate limited per source (429); a body over the
# bound is refused; a ping-listen on the officers' port is a configuration
# error with file:line:col.
#
# usage: tests/continuity/test_ping_listen.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=continuity/ping-listen
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
. "$here/../console/console_lib.sh"
chmod 755 "$tmp"
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }

PP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
U=7b0c2d1e-5c4f-4f59-9a44-3c2c8a7f0e11
cat >"$tmp/services.conf" <<CONF
service "files" { owner "it" public check push "nightly" uuid "$U" period 1d grace 1h }
CONF
write_conf 'include "services.conf"' "ping-listen 127.0.0.1 port $HP"
"$CONSOLE" -n -c "$conf" >"$tmp/bad.out" 2>&1
grep -q "test.conf:6:13: port $HP is the officers' port" "$tmp/bad.out" &&
	t_pass "$T: ping-listen on the officers' port is refused with file:line:col" ||
	t_fail "$T: same port: $(head -n 1 "$tmp/bad.out")"
write_conf 'include "services.conf"' "ping-listen 127.0.0.1 port $PP"
"$CONSOLE" -n -c "$conf" >"$tmp/n.out" 2>&1
grep -q "^ping-listen 127.0.0.1 port $PP\$" "$tmp/n.out" && t_pass "$T: kastro-console -n shows the ping listener" ||
	t_fail "$T: -n: $(tail -n 2 "$tmp/n.out" | tr '\n' '|')"
start_console || { t_fail "$T: console did not start: $(tail -n 5 "$log")"; t_done; }
state() { db "SELECT state FROM svc_checks WHERE service = 'files' AND key = 'nightly'"; }
get() {  # get PATH [CURL ARGS...]: the status over plain HTTP on the ping listener
	local p=$1
	shift
	curl -s -o "$tmp/get.out" -w '%{http_code}' --max-time 10 "$@" "http://127.0.0.1:$PP$p"
}

[ "$(get "/ping/$U")" = 200 ] && [ "$(cat "$tmp/get.out")" = OK ] && [ "$(state)" = up ] &&
	t_pass "$T: a plain HTTP ping marks the check up" || t_fail "$T: ping: $(cat "$tmp/get.out"), state $(state)"
[ "$(get "/ping/$U/fail" -X POST --data-binary 'borg: repository locked')" = 200 ] && [ "$(state)" = down ] &&
	t_pass "$T: /fail with the job's output marks it down" || t_fail "$T: fail: state $(state)"
[ "$(get "/ping/$U/0" -I)" = 200 ] && [ "$(state)" = up ] &&
	t_pass "$T: HEAD /ping/UUID/0 marks it up again" || t_fail "$T: HEAD exit 0: state $(state)"
code=$(get "/ping/7b0c2d1e-5c4f-4f59-9a44-3c2c8a7f0e99")
[ "$code" = 404 ] && [ "$(cat "$tmp/get.out")" = "not found" ] &&
	t_pass "$T: an unknown UUID is a bare 404" || t_fail "$T: unknown UUID: $code"
bad=""
for p in / /index.html /api/v1/alerts /api/v1/login /status /sensor/v1/events /pingx/$U; do
	code=$(get "$p")
	[ "$code" = 404 ] && [ "$(cat "$tmp/get.out")" = "not found" ] || bad="$bad $p:$code"
done
[ -z "$bad" ] && t_pass "$T: the web UI, API, status page and sensor paths are 404 there" ||
	t_fail "$T: paths served:$bad"
head -c 20000 /dev/zero | tr '\0' x >"$tmp/big"
code=$(get "/ping/$U" -X POST --data-binary @"$tmp/big")
[ "$code" = 413 ] && t_pass "$T: a body over 16 KB is refused (413)" || t_fail "$T: big body: $code"
# 300 pings on one connection, faster than 120 at once and 20 a second
urls=$(for _i in $(seq 1 300); do printf 'http://127.0.0.1:%s/ping/%s ' "$PP" "$U"; done)
# shellcheck disable=SC2086
over=$(curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 $urls | grep -c '^429$')
[ "$over" -ge 1 ] && t_pass "$T: pings over the per-source rate are refused ($over of 300 got 429)" ||
	t_fail "$T: no 429 in 300 quick pings"
"$CTL" -s "$sock" console status >"$tmp/status.out" 2>&1
grep -q '^ping_listener_refused=[1-9]' "$tmp/status.out" && grep -q '^pings_limited=[1-9]' "$tmp/status.out" &&
	t_pass "$T: kastroctl console status counts refused paths and limited pings" ||
	t_fail "$T: status: $(grep 'ping' "$tmp/status.out" | tr '\n' ' ')"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$data/ca.crt" "https://127.0.0.1:$HP/ping/$U")
[ "$code" = 200 ] || [ "$code" = 429 ] && t_pass "$T: the HTTPS listener still takes pings ($code)" ||
	t_fail "$T: HTTPS ping: $code"
grep -q 'ping listener: plain HTTP on 127.0.0.1' "$log" && t_pass "$T: the console warns that the listener is plain HTTP" ||
	t_fail "$T: no warning in the log"
t_done
