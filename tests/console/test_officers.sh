#!/bin/bash
# The officers' credentials on a real console over HTTPS on loopback: the
# login limiter keyed on the account whatever the case of its name and
# counted per client network apart from other accounts' successes.
# Clients come from several loopback addresses (127.0.0.2 ...) so each
# check starts from a network with no failures.
#
# usage: tests/console/test_officers.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=officers
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
. "$here/console_lib.sh"

write_conf
if ! start_console; then
	t_fail "$T: console did not start: $(tail -n 5 "$log" | tr '\n' ' ')"
	t_done
fi
code=$(login adm admin "$pw")
[ "$code" = 200 ] || { t_fail "$T: admin login: $code $(cat "$tmp/adm.json")"; t_done; }
opw="officer password 1"
code=$(as adm mk POST /api/v1/users "{\"name\":\"officer\",\"role\":\"analyst\",\"password\":\"$opw\"}")
[ "$code" = 200 ] || { t_fail "$T: create officer: $code $(cat "$tmp/mk.json")"; t_done; }

# ---- the login limiter ------------------------------------------------------------
# Lock the account from one address: wrong passwords until a wait of 2 s
# or more (each failure past the fifth doubles it).
FROM=127.0.0.2
locked=0
for _i in $(seq 1 14); do
	code=$(api bad POST /api/v1/login '{"user":"officer","password":"wrong password here"}')
	ra=$(jget bad retry_after)
	if [ "$code" = 429 ] && [ "${ra:-0}" -ge 2 ]; then
		locked=1
		break
	fi
	[ "$code" = 429 ] && sleep "${ra:-1}.2"
done
[ "$locked" = 1 ] && t_pass "$T: repeated failures lock the account (429, retry_after $ra)" ||
	t_fail "$T: the account never locked: $code $(cat "$tmp/bad.json")"
# Every other spelling of the name, from a fresh address, is the same account.
FROM=127.0.0.3
codes=""
for n in Officer oFFicer OFFICER; do
	codes="$codes $(api case POST /api/v1/login "{\"user\":\"$n\",\"password\":\"$opw\"}")"
done
[ "$codes" = " 429 429 429" ] &&
	t_pass "$T: while 'officer' is locked, Officer, oFFicer and OFFICER with the right password get 429 too" ||
	t_fail "$T: other spellings of a locked account: $codes"

# A network's failures are not cleared by another account's success: five
# free failures at unknown names, a good login of the admin, then more
# failures: the network waits after the next one or two (had the success
# cleared its count, five more would be free).
FROM=127.0.0.4
for n in ghost1 ghost2 ghost3 ghost4 ghost5; do
	api ghost POST /api/v1/login "{\"user\":\"$n\",\"password\":\"wrong password here\"}" >/dev/null
done
c_ok=$(api okadm POST /api/v1/login "{\"user\":\"admin\",\"password\":\"$pw\"}")
after=""
for n in ghost6 ghost7 ghost8 ghost9; do
	code=$(api ghost POST /api/v1/login "{\"user\":\"$n\",\"password\":\"wrong password here\"}")
	after="$after $code"
	[ "$code" = 429 ] && break
done
[ "$c_ok" = 200 ] && [ "$code" = 429 ] &&
	t_pass "$T: another account's login does not reset the network's failures (200, then$after)" ||
	t_fail "$T: network count after another account's success: login $c_ok, then$after"
# Unknown names are one key whatever their case too.
FROM=127.0.0.5
for _i in $(seq 1 14); do
	code=$(api gh POST /api/v1/login '{"user":"nobody","password":"wrong password here"}')
	ra=$(jget gh retry_after)
	[ "$code" = 429 ] && [ "${ra:-0}" -ge 2 ] && break
	[ "$code" = 429 ] && sleep "${ra:-1}.2"
done
FROM=127.0.0.6
code=$(api gh2 POST /api/v1/login '{"user":"NoBody","password":"wrong password here"}')
[ "$code" = 429 ] && t_pass "$T: an unknown name is limited whatever its case (NoBody: 429)" ||
	t_fail "$T: unknown name in another case: $code"
unset FROM

stop_console
if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$log"; then
	t_fail "$T: sanitizer report in the console's log: $(grep -m1 'ERROR:\|runtime error:' "$log")"
else
	t_pass "$T: no sanitizer or runtime error report in the console's log"
fi
t_done
