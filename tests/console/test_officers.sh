#!/bin/bash
# The officers' credentials on a real console over HTTPS on loopback: a
# password, role or second-factor change ends the user's other sessions
# and API tokens; API tokens expire, are listed and revoked (REST and
# kastroctl) and cannot make tokens or change passwords or second factors;
# a second factor is replaced only with proof and reset by an admin, and
# a missing code answers as a wrong password; the login limiter keyed on
# the account whatever the case of its name and counted per client network
# apart from other accounts' successes.
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

# totp SECRET [SECONDS]: the code of a base32 secret now (or SECONDS later).
totp() {
	python3 -c 'import base64,hmac,hashlib,struct,sys,time
k=base64.b32decode(sys.argv[1]+"="*(-len(sys.argv[1])%8))
c=int(time.time()+float(sys.argv[2]))//30
h=hmac.new(k,struct.pack(">Q",c),hashlib.sha1).digest()
o=h[-1]&15
print("%06d"%((struct.unpack(">I",h[o:o+4])[0]&0x7fffffff)%1000000))' "$1" "${2:-0}"
}
uid_of() { db "select id from users where name='$1'"; }
bearer() { api "$1" GET /api/v1/me "" -H "Authorization: Bearer $2"; }

# ---- revocation ---------------------------------------------------------------------
# The officer has two sessions and an API token; changing the password from
# one of the sessions ends the other session and the token, not itself.
login o1 officer "$opw" >/dev/null
login o2 officer "$opw" >/dev/null
as o1 otok POST /api/v1/api-tokens '{"name":"script"}' >/dev/null
otok=$(jget otok token)
b1=$(as o2 me1 GET /api/v1/me)$(bearer b1 "$otok")
opw2="officer password 2"
code=$(as o1 pwchg POST /api/v1/me/password "{\"old\":\"$opw\",\"new\":\"$opw2\"}")
a1=$(as o1 me2 GET /api/v1/me)
a2=$(as o2 me3 GET /api/v1/me)
a3=$(bearer b2 "$otok")
[ "$b1" = 200200 ] && [ "$code" = 200 ] && [ "$a1" = 200 ] && [ "$a2" = 401 ] && [ "$a3" = 401 ] &&
	[ "$(jget pwchg ended)" = 2 ] &&
	t_pass "$T: an own password change ends the user's other session and API token, not the session making it" ||
	t_fail "$T: own password change: before $b1, change $code, own $a1, other $a2, token $a3, $(cat "$tmp/pwchg.json")"
# An admin's reset ends every session and token of the user.
oid=$(uid_of officer)
login o3 officer "$opw2" >/dev/null
as o3 otok2 POST /api/v1/api-tokens '{"name":"script2"}' >/dev/null
otok2=$(jget otok2 token)
opw3="officer password 3"
code=$(as adm reset POST "/api/v1/users/$oid" "{\"password\":\"$opw3\"}")
a1=$(as o3 me4 GET /api/v1/me)
a2=$(bearer b3 "$otok2")
a3=$(as adm me5 GET /api/v1/me)
[ "$code" = 200 ] && [ "$a1" = 401 ] && [ "$a2" = 401 ] && [ "$a3" = 200 ] &&
	t_pass "$T: an admin's password reset ends every session and API token of the user (the admin's own stays)" ||
	t_fail "$T: admin reset: $code, user's session $a1, user's token $a2, admin $a3"
# A role change does too.
login o4 officer "$opw3" >/dev/null
as o4 otok3 POST /api/v1/api-tokens '{"name":"script3"}' >/dev/null
otok3=$(jget otok3 token)
code=$(as adm role POST "/api/v1/users/$oid" '{"role":"viewer"}')
a1=$(as o4 me6 GET /api/v1/me)
a2=$(bearer b4 "$otok3")
[ "$code" = 200 ] && [ "$a1" = 401 ] && [ "$a2" = 401 ] &&
	t_pass "$T: a role change ends every session and API token of the user" ||
	t_fail "$T: role change: $code, session $a1, token $a2"
as adm role2 POST "/api/v1/users/$oid" '{"role":"analyst"}' >/dev/null
grep -q '"action":"user.update","detail":"officer: role viewer; 2 sessions and API tokens ended"' \
	<(api aud GET "/api/v1/audit?limit=50" "" -b "$tmp/adm.cj"; cat "$tmp/aud.json") &&
	t_pass "$T: the audit log says how many sessions and tokens a change ended" ||
	t_fail "$T: audit of the role change: $(grep -o '"action":"user.update"[^}]*' "$tmp/aud.json" | head -n 3)"

# ---- API tokens ---------------------------------------------------------------------
login o5 officer "$opw3" >/dev/null
code=$(as o5 t1 POST /api/v1/api-tokens '{"name":"siem","ttl":3600}')
tok=$(jget t1 token)
exp=$(jget t1 expires_at)
now=$(date +%s)
[ "$code" = 200 ] && [ -n "$tok" ] && [ "$exp" -ge $((now + 3590)) ] && [ "$exp" -le $((now + 3610)) ] &&
	t_pass "$T: an API token is made with an expiry (ttl 3600: expires_at now+1h)" ||
	t_fail "$T: API token with ttl: $code $(cat "$tmp/t1.json")"
code=$(as o5 t2 POST /api/v1/api-tokens '{"name":"dflt"}')
exp=$(jget t2 expires_at)
c_bad=$(as o5 t3 POST /api/v1/api-tokens '{"name":"long","ttl":99999999}')
[ "$code" = 200 ] && [ "$exp" -ge $((now + 90 * 86400 - 10)) ] && [ "$exp" -le $((now + 90 * 86400 + 10)) ] &&
	[ "$c_bad" = 400 ] &&
	t_pass "$T: without a ttl a token is valid 90 days; more than a year is refused (400)" ||
	t_fail "$T: default ttl: $code $exp; a ttl over a year: $c_bad"
c1=$(api tt1 POST /api/v1/api-tokens '{"name":"minted"}' -H "Authorization: Bearer $tok")
c2=$(api tt2 POST /api/v1/me/password "{\"old\":\"$opw3\",\"new\":\"a token's password\"}" -H "Authorization: Bearer $tok")
c3=$(api tt3 POST /api/v1/me/totp "" -H "Authorization: Bearer $tok")
c4=$(api tt4 POST /api/v1/me/totp/confirm '{"secret":"x","code":"1"}' -H "Authorization: Bearer $tok")
c5=$(api tt5 POST "/api/v1/users/$oid" '{"password":"set by a token!"}' -H "Authorization: Bearer $tok")
[ "$c1 $c2 $c3 $c4 $c5" = "403 403 403 403 403" ] &&
	[ "$(db "select count(*) from api_tokens where name='minted'")" = 0 ] &&
	t_pass "$T: an API token cannot make tokens, change a password or the second factor (403)" ||
	t_fail "$T: what a token may not do: $c1 $c2 $c3 $c4 $c5"
code=$(as o5 tl GET /api/v1/api-tokens)
python3 - "$tmp/tl.json" <<'PY' && t_pass "$T: GET /api/v1/api-tokens lists the caller's tokens with expiry and last use, no secrets" ||
import json, sys
d = json.load(open(sys.argv[1]))
names = sorted(t["name"] for t in d["tokens"])
ok = names == ["dflt", "siem"] and all(set(t) == {"name", "user", "user_id", "created_at", "last_used", "expires_at"} for t in d["tokens"])
sys.exit(0 if ok else 1)
PY
	t_fail "$T: token list: $code $(cat "$tmp/tl.json")"
c1=$(as o5 ta GET "/api/v1/api-tokens?all=1")
c2=$(as adm tall GET "/api/v1/api-tokens?all=1")
[ "$c1" = 403 ] && [ "$c2" = 200 ] && grep -q '"user":"officer"' "$tmp/tall.json" &&
	t_pass "$T: every user's tokens are listed for admins only (?all=1: analyst 403, admin 200)" ||
	t_fail "$T: all tokens: analyst $c1, admin $c2"
# expiry, as the database holds it
db "update api_tokens set expires_at = $((now - 1)) where name = 'siem'"
code=$(bearer texp "$tok")
[ "$code" = 401 ] && grep -q 'expired' "$tmp/texp.json" &&
	t_pass "$T: an expired API token is refused (401)" || t_fail "$T: expired token: $code $(cat "$tmp/texp.json")"
tok2=$(jget t2 token)
c1=$(bearer tr1 "$tok2")
c2=$(as o5 rv POST /api/v1/api-tokens/dflt/revoke)
c3=$(bearer tr2 "$tok2")
c4=$(as o5 rv2 POST /api/v1/api-tokens/dflt/revoke)
[ "$c1 $c2 $c3 $c4" = "200 200 401 404" ] &&
	t_pass "$T: an officer revokes an own token by name; it stops working at once" ||
	t_fail "$T: revoke own token: $c1 $c2 $c3 $c4"
# kastroctl api-token (root, on the control socket)
out=$("$CTL" -s "$sock" api-token create officer cli --ttl 2h 2>&1)
ctok=$(echo "$out" | sed -n 's/^token=//p')
c1=$(bearer k1 "$ctok")
lst=$("$CTL" -s "$sock" api-token list officer 2>&1)
all=$("$CTL" -s "$sock" api-token list 2>&1)
rv=$("$CTL" -s "$sock" api-token revoke officer cli 2>&1)
c2=$(bearer k2 "$ctok")
bad=$("$CTL" -s "$sock" api-token revoke officer cli 2>&1; echo "rc=$?")
if [ "$c1" = 200 ] && echo "$lst" | grep -q '^officer cli created=[0-9]* expires=[0-9]* last_used=' &&
	echo "$all" | grep -q '^officer cli ' && echo "$rv" | grep -q '^revoked=cli' && [ "$c2" = 401 ] &&
	echo "$bad" | grep -q 'rc=1' && echo "$bad" | grep -q 'no API token cli of officer'; then
	t_pass "$T: kastroctl api-token create, list and revoke (a revoked token is refused)"
else
	t_fail "$T: kastroctl api-token: create '$out' use $c1; list '$lst'; revoke '$rv' then $c2; again '$bad'"
fi
"$CTL" -s "$sock" token create >/dev/null 2>&1 && "$CTL" -s "$sock" api-token create officer "two words" >/dev/null 2>&1
[ $? = 2 ] && t_pass "$T: kastroctl token stays the enrolment tokens; api-token names are one word" ||
	t_fail "$T: kastroctl token / api-token argument checks"
# an admin revokes another user's token
as o5 t4 POST /api/v1/api-tokens '{"name":"laptop"}' >/dev/null
tok4=$(jget t4 token)
c1=$(as adm arv POST "/api/v1/users/$oid/api-tokens/laptop/revoke")
c2=$(bearer t4u "$tok4")
c3=$(as o5 arv2 POST "/api/v1/users/$(uid_of admin)/api-tokens/x/revoke")
[ "$c1 $c2 $c3" = "200 401 403" ] &&
	t_pass "$T: an admin revokes another user's token; an analyst may not" ||
	t_fail "$T: admin revoke: $c1 $c2 $c3"

# ---- second factor ------------------------------------------------------------------
code=$(as adm mk2 POST /api/v1/users '{"name":"mfa","role":"analyst","password":"mfa password 01"}')
mid=$(uid_of mfa)
login m1 mfa "mfa password 01" >/dev/null
login m2 mfa "mfa password 01" >/dev/null
as m1 s1 POST /api/v1/me/totp >/dev/null
sec=$(jget s1 secret)
c1=$(as m1 cf1 POST /api/v1/me/totp/confirm "{\"secret\":\"$sec\",\"code\":\"$(totp "$sec")\"}")
c2=$(as m1 cf2 POST /api/v1/me/totp/confirm "{\"secret\":\"$sec\",\"code\":\"$(totp "$sec")\",\"password\":\"not it at all\"}")
used=$(totp "$sec")
c3=$(as m1 cf3 POST /api/v1/me/totp/confirm "{\"secret\":\"$sec\",\"code\":\"$used\",\"password\":\"mfa password 01\"}")
c4=$(as m1 me7 GET /api/v1/me)
c5=$(as m2 me8 GET /api/v1/me)
[ "$c1 $c2 $c3 $c4 $c5" = "403 403 200 200 401" ] &&
	t_pass "$T: setting a second factor needs the current password; it ends the user's other sessions" ||
	t_fail "$T: enable TOTP: no proof $c1, wrong password $c2, password $c3, own session $c4, other session $c5"
# Replacing it: a current code of the old factor is proof enough (the step
# after the one just used; a wrong or used code is not).
as m1 s2 POST /api/v1/me/totp >/dev/null
sec2=$(jget s2 secret)
c1=$(as m1 rp1 POST /api/v1/me/totp/confirm "{\"secret\":\"$sec2\",\"code\":\"$(totp "$sec2")\",\"current_code\":\"123456\"}")
c2=$(as m1 rp2 POST /api/v1/me/totp/confirm "{\"secret\":\"$sec2\",\"code\":\"$(totp "$sec2")\",\"current_code\":\"$used\"}")
c3=$(as m1 rp3 POST /api/v1/me/totp/confirm "{\"secret\":\"$sec2\",\"code\":\"$(totp "$sec2")\",\"current_code\":\"$(totp "$sec" 30)\"}")
[ "$c1" = 403 ] && [ "$c2" = 403 ] && [ "$c3" = 200 ] &&
	t_pass "$T: replacing the second factor takes a current code of the old one (a wrong or used one: 403)" ||
	t_fail "$T: replace TOTP: wrong code $c1, used code $c2, current code $c3 $(cat "$tmp/rp3.json")"
# The right password without a code answers exactly as a wrong password.
FROM=127.0.0.7
c1=$(api nocode POST /api/v1/login '{"user":"mfa","password":"mfa password 01"}')
c2=$(api wrongpw POST /api/v1/login '{"user":"mfa","password":"mfa password 02"}')
c3=$(api wrongcode POST /api/v1/login '{"user":"mfa","password":"mfa password 01","totp":"000000"}')
if [ "$c1 $c2 $c3" = "401 401 401" ] && cmp -s "$tmp/nocode.json" "$tmp/wrongpw.json" &&
	cmp -s "$tmp/wrongpw.json" "$tmp/wrongcode.json"; then
	t_pass "$T: the right password without a code, or with a wrong one, answers exactly as a wrong password"
else
	t_fail "$T: answers differ: $c1 $(cat "$tmp/nocode.json") / $c2 $(cat "$tmp/wrongpw.json") / $c3 $(cat "$tmp/wrongcode.json")"
fi
code=$(login m3 mfa "mfa password 01" "$(totp "$sec2" 30)")
unset FROM
[ "$code" = 200 ] && t_pass "$T: the password and a code of the new factor sign in" ||
	t_fail "$T: login with code: $code $(cat "$tmp/m3.json")"
# An admin resets a lost one; audited with what was done.
c1=$(api trs POST "/api/v1/users/$mid/totp-reset" "" -H "Authorization: Bearer $tok4")
c2=$(as o5 trs2 POST "/api/v1/users/$mid/totp-reset")
c3=$(as adm trs3 POST "/api/v1/users/$mid/totp-reset")
c4=$(as m3 me9 GET /api/v1/me)
c5=$(login m4 mfa "mfa password 01")
c6=$(as adm trs4 POST "/api/v1/users/$mid/totp-reset")
det=$(db "select detail from audit where action='user.totp.reset' order by id desc limit 1")
[ "$c1" = 401 ] && [ "$c2" = 403 ] && [ "$c3" = 200 ] && [ "$c4" = 401 ] && [ "$c5" = 200 ] && [ "$c6" = 409 ] &&
	echo "$det" | grep -q '^mfa: second factor removed by an admin (lost); [0-9]* sessions and API tokens ended' &&
	t_pass "$T: an admin resets a lost second factor (audited: '$det'); the user signs in with the password" ||
	t_fail "$T: TOTP reset: revoked token $c1, analyst $c2, admin $c3, user's session $c4, login $c5, again $c6; audit '$det'"

# ---- HEAD, 405 and reason phrases --------------------------------------------------
# raw METHOD PATH [CURL ARGS...]: the answer's head and body as received.
raw() {
	local m=$1 p=$2
	shift 2
	curl -s -i --max-time 10 --cacert "$data/ca.crt" --interface 127.0.0.1 -X "$m" "$@" \
		"https://127.0.0.1:$HP$p" 2>/dev/null | tr -d '\r'
}
headok=1
for p in /api/v1/me /api/v1/dashboard /api/v1/alerts /api/v1/users /api/v1/audit /api/v1/api-tokens / /ui/app.js; do
	g=$(raw GET "$p" -b "$tmp/adm.cj")
	h=$(curl -s -I --max-time 10 --cacert "$data/ca.crt" --interface 127.0.0.1 -b "$tmp/adm.cj" \
		"https://127.0.0.1:$HP$p" 2>/dev/null | tr -d '\r')
	gs=$(echo "$g" | head -n 1)
	hs=$(echo "$h" | head -n 1)
	gt=$(echo "$g" | grep -i '^content-type:')
	ht=$(echo "$h" | grep -i '^content-type:')
	# the head alone: nothing after the empty line
	hb=$(echo "$h" | sed '1,/^$/d' | wc -c)
	if [ "$gs" != "$hs" ] || [ "$gt" != "$ht" ] || [ "$hb" != 0 ] || ! echo "$gs" | grep -q ' 200 OK$'; then
		headok=0
		t_fail "$T: HEAD $p: '$hs' $ht ($hb bytes of body) against GET '$gs' $gt"
	fi
done
[ "$headok" = 1 ] && t_pass "$T: HEAD answers as GET does, with the head alone, on the UI and every GET endpoint"
# On one kept-alive connection: HEAD, then GET of the same. The HEAD answer
# has no body (the GET's status line follows its head at once) and gives
# the GET's Content-Length.
cookie=$(awk '$6 == "__Host-kastro" { print $7 }' "$tmp/adm.cj")
python3 - "$HP" "$data/ca.crt" "$cookie" >"$tmp/pipe.out" 2>&1 <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="127.0.0.1")
bad = []
for path in ("/ui/app.js", "/api/v1/dashboard"):
    req = "%%s %s HTTP/1.1\r\nHost: x\r\nCookie: __Host-kastro=%s\r\n\r\n" % (path, sys.argv[3])
    s.sendall((req % "HEAD" + req % "GET").encode())
    buf = b""
    s.settimeout(5)
    def head():
        global buf
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                raise SystemExit("closed early")
            buf += d
        h, _, buf = buf.partition(b"\r\n\r\n")
        lines = h.decode().split("\r\n")
        hdr = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        return lines[0], int(hdr.get("content-length", "-1"))
    hs, hl = head()
    gs, gl = head()
    while len(buf) < gl:
        buf += s.recv(65536)
    if hs != gs or hl != gl or hl <= 0 or len(buf) != gl:
        bad.append("%s: HEAD %r %d, GET %r %d, %d body bytes" % (path, hs, hl, gs, gl, len(buf)))
print("ok" if not bad else "; ".join(bad))
PY
grep -qx ok "$tmp/pipe.out" &&
	t_pass "$T: a HEAD answer sends no body and the GET's Content-Length (HEAD then GET on one connection)" ||
	t_fail "$T: HEAD then GET on one connection: $(head -c 400 "$tmp/pipe.out")"
phr=""
a=$(raw DELETE /api/v1/alerts -b "$tmp/adm.cj" -H "X-CSRF-Token: $(cat "$tmp/adm.csrf")")
b=$(raw GET /api/v1/login)
c=$(raw GET /sensor/v1/enroll)
d=$(raw POST /ui/app.js -H "X-CSRF-Token: x")
if echo "$a" | grep -q '^HTTP/1.1 405 Method Not Allowed$' && echo "$a" | grep -q '^Allow: GET, HEAD$' &&
	echo "$b" | grep -q '^Allow: POST$' && echo "$c" | grep -q '^Allow: POST$' &&
	echo "$d" | grep -q '^Allow: GET, HEAD$' && echo "$a" | grep -q '"error":"method not allowed here'; then
	t_pass "$T: a 405 says Method Not Allowed and carries Allow (GET, HEAD / POST) with a JSON reason"
else
	t_fail "$T: 405: $(echo "$a" | head -n 8 | tr '\n' ' ') / $(echo "$b" | grep -i '^allow') / $(echo "$c" | grep -i '^allow') / $(echo "$d" | grep -i '^allow')"
fi
# (a Bearer header that is no token is a wrong credential: 401)
AUTHZ="Bearer -"
for x in "GET /api/v1/me:401 Unauthorized"; do
	got=$(raw GET /api/v1/me -H "Authorization: $AUTHZ" | head -n 1)
	[ "$got" = "HTTP/1.1 401 Unauthorized" ] || phr="$phr [GET /api/v1/me with a bad token: '$got']"
done
unset AUTHZ
for x in "GET /api/v1/nothing:404 Not Found" \
	"POST /api/v1/login:400 Bad Request" "POST /api/v1/users:403 Forbidden"; do
	m=${x%% *}
	rest=${x#* }
	p=${rest%%:*}
	want=${rest#*:}
	got=$(raw "$m" "$p" -b "$tmp/adm.cj" | head -n 1)
	[ "$got" = "HTTP/1.1 $want" ] || phr="$phr [$m $p: '$got', wanted '$want']"
done
[ -z "$phr" ] && t_pass "$T: reason phrases match the status (404 Not Found, 401 Unauthorized, 400 Bad Request, 403 Forbidden)" ||
	t_fail "$T: reason phrases:$phr"

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
