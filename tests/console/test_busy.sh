#!/bin/bash
# One hostile host does not lock the officers out. A real console on
# loopback, attacked from 127.0.0.2 by about 1,030 TLS connections that
# each send a request head one header line every 3 s and never finish it,
# reconnecting when dropped (slowclients.py), for 30 s; meanwhile a
# signed-in officer on 127.0.0.1 asks for /api/v1/me every half second on
# a new connection and must be answered, each time within 1 s. Then the
# reserved slots: with a small connection cap filled by one host, a
# request without credentials gets 503 while the officer's session and
# API token are still served.
#
# usage: tests/console/test_busy.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=busy
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
. "$here/console_lib.sh"

# ~1,100 sockets on each side: past the usual soft limit of 1,024.
ulimit -n 8192 2>/dev/null || { t_skip "$T: cannot raise the open files limit to 8192"; t_done; }

ATTACK_S=30
write_conf "limits { head-timeout 10s }"
if ! start_console; then
	t_fail "$T: console did not start: $(tail -n 5 "$log" | tr '\n' ' ')"
	t_done
fi
code=$(login adm admin "$pw")
[ "$code" = 200 ] || { t_fail "$T: admin login: $code $(cat "$tmp/adm.json")"; t_done; }

python3 "$here/slowclients.py" 127.0.0.1 "$HP" 127.0.0.2 1030 "$ATTACK_S" --every 3 --reconnect \
	--cafile "$data/ca.crt" >"$tmp/attack.json" 2>"$tmp/attack.err" &
apid=$!
sleep 3
# The officer: a new connection each time (curl), every half second.
: >"$tmp/officer.txt"
end=$(( $(date +%s) + ATTACK_S - 5 ))
while [ "$(date +%s)" -lt "$end" ]; do
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 5 --cacert "$data/ca.crt" \
		--interface 127.0.0.1 -b "$tmp/adm.cj" "https://127.0.0.1:$HP/api/v1/me" \
		>>"$tmp/officer.txt" 2>/dev/null || echo "000 5" >>"$tmp/officer.txt"
	sleep 0.5
done
status_mid=$("$CTL" -s "$sock" console status 2>&1)
wait "$apid"
n=$(wc -l <"$tmp/officer.txt")
bad=$(awk '$1 != 200 || $2 >= 1.0' "$tmp/officer.txt" | wc -l)
worst=$(sort -k2 -n "$tmp/officer.txt" | tail -n 1 | cut -d' ' -f2)
if [ "$n" -ge 20 ] && [ "$bad" = 0 ]; then
	t_pass "$T: during the attack the officer's $n requests were all answered within 1 s (slowest ${worst} s)"
else
	t_fail "$T: officer's requests during the attack: $bad of $n failed or took 1 s or more: $(awk '$1 != 200 || $2 >= 1.0' "$tmp/officer.txt" | head -n 5 | tr '\n' ' ')"
fi
read -r up held closed refused att <<<"$(python3 -c 'import json,sys
a=json.load(open(sys.argv[1])); print(a["max_up"], a["max_hold"], a["closed"], a["refused"], a["attempts"])' "$tmp/attack.json" 2>/dev/null)"
if [ -n "${up:-}" ] && [ "$up" -le 64 ] && [ "$refused" -gt 0 ]; then
	t_pass "$T: the attacking host held at most $up connections at once (per-address 64); $refused of $att attempts refused"
else
	t_fail "$T: attack: $(cat "$tmp/attack.json" "$tmp/attack.err" 2>/dev/null | head -c 400)"
fi
if [ -n "${held:-}" ] && [ "$closed" -gt 0 ] && python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 13 else 1)' "$held"; then
	t_pass "$T: a head sent a line at a time is cut at the head deadline ($closed closed, the longest after ${held} s of 10 s)"
else
	t_fail "$T: trickling heads: closed ${closed:-?}, longest ${held:-?} s"
fi
st=$("$CTL" -s "$sock" console status 2>&1)
pa=$(echo "$st" | sed -n 's/^https_connections_refused_per_address=//p')
cs=$(echo "$st" | sed -n 's/^https_connections_closed_slow=//p')
live=$(echo "$status_mid" | sed -n 's/^https_connections=//p')
[ "${pa:-0}" -gt 0 ] && [ "${cs:-0}" -gt 0 ] &&
	t_pass "$T: the console counts what it refused ($pa over the per-address cap, $cs closed at a deadline; $live open mid-attack)" ||
	t_fail "$T: console status: $st"
grep -q 'https: connection from 127.0.0.2:[0-9]* closed: request head not complete within 10 s' "$log" &&
	grep -q 'https: connection from 127.0.0.2:[0-9]* refused: 64 connections from its network open' "$log" &&
	t_pass "$T: closed and refused connections are logged with the peer" ||
	t_fail "$T: log lines missing: $(grep -m3 'https: connection' "$log" | tr '\n' ' ')"

# ---- reserved slots ----------------------------------------------------------------
stop_console
write_conf "limits { connections 100 reserved 20 per-address 0 head-timeout 60s body-timeout 3s }"
if ! start_console; then
	t_fail "$T: console did not restart: $(tail -n 5 "$log" | tr '\n' ' ')"
	t_done
fi
code=$(login adm admin "$pw")
code2=$(as adm tok POST /api/v1/api-tokens '{"name":"busy-test"}')
apitok=$(jget tok token)
[ "$code" = 200 ] && [ "$code2" = 200 ] && [ -n "$apitok" ] || {
	t_fail "$T: login and API token: $code $code2"
	t_done
}
python3 "$here/slowclients.py" 127.0.0.1 "$HP" 127.0.0.2 80 40 --every 3 \
	--cafile "$data/ca.crt" --ready "$tmp/ready" >"$tmp/hold.json" 2>"$tmp/hold.err" &
hpid=$!
for _i in $(seq 1 100); do
	[ "$(cat "$tmp/ready" 2>/dev/null)" = 80 ] && break
	sleep 0.2
done
up=$(cat "$tmp/ready" 2>/dev/null)
c_anon=$(api anon GET /api/v1/dashboard "")
c_cookie=$(api me GET /api/v1/me "" -b "$tmp/adm.cj")
c_token=$(api tme GET /api/v1/me "" -H "Authorization: Bearer $apitok")
c_badtok=$(api btok GET /api/v1/me "" -H "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
if [ "$up" = 80 ] && [ "$c_anon" = 503 ] && [ "$c_cookie" = 200 ] && [ "$c_token" = 200 ] &&
	[ "$c_badtok" = 503 ]; then
	t_pass "$T: with 80 of 100 slots taken, the reserved 20 serve the officer's session and API token (200) and nobody else (503)"
else
	t_fail "$T: reserved slots: $up held; anonymous $c_anon, session $c_cookie, token $c_token, bad token $c_badtok"
fi
# A connection on a reserved slot that sends nothing is closed within 2 s.
s0=$(date +%s%N)
python3 - "$HP" "$data/ca.crt" <<'PY' >"$tmp/idle.out" 2>&1
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="127.0.0.1")
s.settimeout(10)
try:
    print("read", len(s.recv(100)))
except Exception as e:
    print("closed", type(e).__name__)
PY
ms=$(( ($(date +%s%N) - s0) / 1000000 ))
[ "$ms" -lt 4000 ] && t_pass "$T: an idle connection on a reserved slot is closed (after ${ms} ms)" ||
	t_fail "$T: idle connection on a reserved slot lived ${ms} ms: $(cat "$tmp/idle.out")"
kill "$hpid" 2>/dev/null
wait "$hpid" 2>/dev/null
sleep 1
# A body sent a byte a second is cut at the body deadline (3 s here).
s0=$(date +%s%N)
python3 - "$HP" "$data/ca.crt" <<'PY' >"$tmp/body.out" 2>&1
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="127.0.0.1")
s.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: 100\r\n\r\n{")
s.settimeout(1)
for _ in range(20):
    try:
        if not s.recv(100):
            print("closed"); break
    except socket.timeout:
        s.sendall(b" ")
    except OSError as e:
        print("closed", type(e).__name__); break
else:
    print("still open")
PY
ms=$(( ($(date +%s%N) - s0) / 1000000 ))
grep -q closed "$tmp/body.out" && [ "$ms" -lt 6000 ] &&
	grep -q 'closed: request body not complete within 3 s' "$log" &&
	t_pass "$T: a body sent a byte at a time is cut at the body deadline (after ${ms} ms of 3 s)" ||
	t_fail "$T: slow body: $(cat "$tmp/body.out") after ${ms} ms"
st=$("$CTL" -s "$sock" console status 2>&1)
rb=$(echo "$st" | sed -n 's/^https_reserved_refused=//p')
[ "${rb:-0}" -ge 2 ] && t_pass "$T: requests refused on reserved slots are counted ($rb)" ||
	t_fail "$T: https_reserved_refused: ${rb:-none}"

stop_console
if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$log"; then
	t_fail "$T: sanitizer report in the console's log: $(grep -m1 'ERROR:\|runtime error:' "$log")"
else
	t_pass "$T: no sanitizer or runtime error report in the console's log"
fi
t_done
