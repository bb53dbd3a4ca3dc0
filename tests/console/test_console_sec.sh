#!/bin/bash
# The console against a hostile sensor and a hostile officer's neighbour,
# for real on loopback: what sensors may claim (the enrolled host, bounded
# times, the claim kept beside), per-sensor quotas refused before the
# acknowledgement, retention, the audit chain (and a tampered database)
# and the console running as its own user without capabilities.
#
# usage: tests/console/test_console_sec.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=console-sec
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
SENSOR="python3 $here/sensor.py"
. "$here/console_lib.sh"
extra=""       # more console.conf lines for the next start
# start_sec: the console with the common lines plus $extra
start_sec() { write_conf "$extra"; start_console; }
start_sec || { t_fail "$T: console did not start: $(tail -n 5 "$log" | tr '\n' ' ')"; t_done; }
t_pass "$T: console runs (HTTPS $HP, sensors $SP)"

tok() { "$CTL" -s "$sock" token create "$@" | sed -n 's/^token=//p'; }
post() {  # post NAME SENSOR_DIR BODY_FILE -> HTTP status; body in $tmp/NAME.body
	curl -s -o "$tmp/$1.body" -w '%{http_code}' --max-time 20 -k --cert "$2/cert.pem" --key "$2/key.pem" \
		-H 'Content-Type: application/json' --data-binary @"$3" "https://127.0.0.1:$SP/sensor/v1/events" 2>/dev/null
}
# jget FILE EXPR: EXPR over the JSON in FILE as d (this test's own, over console_lib's)
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@" 2>/dev/null; }

ag=$($SENSOR enroll "127.0.0.1:$HP" "$(tok --kind agent)" "$fp" "$tmp/ag" clerk-pc 2>"$tmp/e1.err") ||
	{ t_fail "$T: enrolment: $(cat "$tmp/e1.err")"; t_done; }

# ---- what sensors may claim -------------------------------------------------------------------
now_iso=$(date -u +%Y-%m-%dT%H:%M:%SZ)
next_year=$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)
cat >"$tmp/claims.json" <<EOF2
{"first_seq": 1, "events": [
 {"timestamp": "$now_iso", "event_type": "finding", "host": "mayor-pc", "finding": {"rule": "Claim_Host"}},
 {"timestamp": "1970-01-01T00:00:00Z", "event_type": "finding", "host": "clerk-pc", "finding": {"rule": "Claim_1970"}},
 {"timestamp": "$next_year", "event_type": "finding", "finding": {"rule": "Claim_Next_Year"}},
 {"timestamp": "$now_iso", "event_type": "finding", "host": "CLERK-PC", "finding": {"rule": "Claim_None"}}
]}
EOF2
code=$(post claims "$tmp/ag" "$tmp/claims.json")
[ "$code" = 200 ] && grep -q '"ack":4' "$tmp/claims.body" && t_pass "$T: a batch with claims is stored and acknowledged" ||
	t_fail "$T: claims batch: $code $(cat "$tmp/claims.body" 2>/dev/null)"
r=$(db "select signature||' '||host||' '||claimed_host||' '||flags from alerts where sensor_id='$ag' order by signature")
want="Claim_1970 clerk-pc  2
Claim_Host clerk-pc mayor-pc 1
Claim_Next_Year clerk-pc  4
Claim_None clerk-pc  0"
[ "$r" = "$want" ] && t_pass "$T: alerts show the enrolled host; another host and out-of-bounds times are flagged claims" ||
	t_fail "$T: claims in alerts: '$r'"
n=$(db "select count(*) from events where sensor_id='$ag' and abs(ts - received) < 120 and seq in (2, 3)")
c=$(db "select claim from events where sensor_id='$ag' and seq = 2")
[ "$n" = 2 ] && [ "$c" = '{"timestamp":"1970-01-01T00:00:00Z"}' ] &&
	t_pass "$T: events dated 1970 or next year are stored at the receive time, the sensor's time kept as its claim" ||
	t_fail "$T: bounded times: $n of 2 at receive time, claim '$c'"
code=$(api login POST /api/v1/login "{\"user\":\"admin\",\"password\":\"$pw\"}" -c "$tmp/cj")
csrf=$(jget "$tmp/login.json" 'd["csrf"]')
aid=$(db "select id from alerts where signature='Claim_Host'")
code=$(api alert GET "/api/v1/alerts/$aid" "" -b "$tmp/cj")
h=$(jget "$tmp/alert.json" '(d.get("alert", d)["host"], d.get("alert", d)["claimed_host"])')
[ "$code" = 200 ] && [ "$h" = "('clerk-pc', 'mayor-pc')" ] &&
	t_pass "$T: the API gives the enrolled host and the claimed one beside it" ||
	t_fail "$T: API alert: $code $h $(head -c 300 "$tmp/alert.json")"



# ---- privileges: its own user, no capabilities, seccomp --------------------------------------------
st=/proc/$cpid/status
uid=$(id -u kastro-console)
u=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$st")
g=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "$st")
caps=$(awk '/^Cap(Inh|Prm|Eff|Bnd|Amb):/ {printf "%s%s ", $1, $2}' "$st")
sec=$(awk '/^(NoNewPrivs|Seccomp):/ {printf "%s%s ", $1, $2}' "$st")
grp=$(awk '/^Groups:/ {$1=""; print}' "$st" | tr -d ' ')
if [ "$u" = "$uid $uid $uid $uid" ] && [ "$g" = "$(id -g kastro-console) $(id -g kastro-console) $(id -g kastro-console) $(id -g kastro-console)" ] &&
	[ "$caps" = "CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 CapAmb:0000000000000000 " ] &&
	[ "$sec" = "NoNewPrivs:1 Seccomp:2 " ] && [ -z "$grp" ]; then
	t_pass "$T: /proc/$cpid/status: uid $uid (kastro-console), no supplementary groups, no capabilities (bounding set empty), no_new_privs, seccomp filter"
else
	t_fail "$T: /proc status: Uid '$u' Gid '$g' groups '$grp' $caps $sec"
fi
# the parse thread: a filter of its own on top (2 filters)
pt=""
for t in /proc/$cpid/task/*; do
	[ "$(awk '/^Seccomp_filters:/ {print $2}' "$t/status")" = 2 ] && pt=$t
done
[ -n "$pt" ] && t_pass "$T: the thread that parses sensors' JSON runs under a second, stricter filter ($(basename "$pt"))" ||
	t_fail "$T: no thread with two seccomp filters: $(grep -h Seccomp_filters /proc/$cpid/task/*/status | tr '\n' ' ')"
o=$(stat -c '%U' "$data" "$data/console.db" "$data/ca.key" | tr '\n' ' ')
[ "$o" = "kastro-console kastro-console root " ] && t_pass "$T: the data directory and database are the console user's; the keys stay root's" ||
	t_fail "$T: owners of data, console.db, ca.key: $o"

# ---- the audit log: refusals aggregated, canonical accounts, the chain --------------------------
code=$(api mkv POST /api/v1/users '{"name":"Viewer1","role":"viewer","password":"a long viewer password"}' \
	-b "$tmp/cj" -H "X-CSRF-Token: $csrf")
code=$(api vlogin POST /api/v1/login '{"user":"viewer1","password":"a long viewer password"}' -c "$tmp/vcj")
vcsrf=$(jget "$tmp/vlogin.json" 'd["csrf"]')
code=$(api v403 POST "/api/v1/alerts/$aid/status" '{"status":"acknowledged"}' -b "$tmp/vcj" -H "X-CSRF-Token: $vcsrf")
r=$(db "select user || ' ' || detail from audit where action = 'role.refused'")
[ "$code" = 403 ] && case "$r" in "Viewer1 POST /api/v1/alerts/$aid/status: role viewer may not "*) true ;; *) false ;; esac &&
	t_pass "$T: a 403 by role is audited with the account and what it tried" || t_fail "$T: 403 audit: $code '$r'"
# 300 requests with a wrong CSRF token: one entry at once, one summary at the window's end
for i in $(seq 1 300); do printf 'url = "https://127.0.0.1:%s/api/v1/alerts/%s/status"\noutput = "/dev/null"\n' "$HP" "$aid"; done >"$tmp/csrf.cfg"
curl -s --max-time 60 --cacert "$data/ca.crt" -X POST -H 'Content-Type: application/json' \
	-H 'X-CSRF-Token: wrong' -b "$tmp/cj" --data-binary '{"status":"acknowledged"}' -K "$tmp/csrf.cfg" 2>/dev/null
n1=$(db "select count(*) from audit where action = 'csrf.refused'")
for _i in $(seq 1 70); do
	[ "$(db "select count(*) from audit where action = 'csrf.refused' and detail like 'and 299 more like it in%'")" = 1 ] && break
	sleep 0.2
done
n2=$(db "select count(*) || ' ' || group_concat(user || '@' || addr, ',') from audit where action = 'csrf.refused'")
m=$(db "select detail from audit where action = 'csrf.refused' order by id desc limit 1")
st=$("$CTL" -s "$sock" console status 2>&1)
[ "$n1" = 1 ] && [ "$n2" = "2 admin@127.0.0.1,admin@127.0.0.1" ] && case "$m" in "and 299 more like it in "*) true ;; *) false ;; esac &&
	echo "$st" | grep -q '^audit_refusals_aggregated=299$' &&
	t_pass "$T: 300 CSRF failures are 2 audit entries: the first at once, then 'and 299 more' (none dropped)" ||
	t_fail "$T: CSRF audit: at once $n1, then '$n2', last '$m'"
# failed logins under another spelling record the account; the lockout too
for i in 1 2 3 4 5 6; do api lf POST /api/v1/login '{"user":"VIEWER1","password":"wrong password here"}' >/dev/null; done
for i in $(seq 1 12); do   # the limiter's wait doubles; a wrong try inside it gets 429
	code=$(api lf POST /api/v1/login '{"user":"vIeWeR1","password":"wrong password here"}')
	[ "$code" = 429 ] && break
done
f=$(db "select count(*) from audit where action = 'login.failed' and user = 'Viewer1' and detail = 'user VIEWER1'")
l=$(db "select user || ' ' || detail from audit where action = 'login.locked' order by id limit 1")
[ "$code" = 429 ] && [ "$f" -ge 5 ] && case "$l" in "Viewer1 login as vIeWeR1 refused: wait "*) true ;; *) false ;; esac &&
	t_pass "$T: failed logins and the lockout record the canonical account ($f failures as Viewer1)" ||
	t_fail "$T: login audit: $code, $f failures as Viewer1, lockout '$l'"
# refused enrolment and sensor handshake
$SENSOR enroll "127.0.0.1:$HP" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$fp" "$tmp/bad" evil-pc >/dev/null 2>&1
curl -s -o /dev/null --max-time 10 -k "https://127.0.0.1:$SP/sensor/v1/commands" 2>/dev/null
for _i in $(seq 1 20); do
	[ "$(db "select count(*) from audit where action = 'sensor.handshake_refused'")" -ge 1 ] && break
	sleep 0.1
done
e=$(db "select addr || ' ' || detail from audit where action = 'sensor.enroll_refused'")
h=$(db "select addr from audit where action = 'sensor.handshake_refused' limit 1")
case "$e" in "127.0.0.1 host evil-pc: unknown token") ;; *) e="bad: $e" ;; esac
[ "$e" = "127.0.0.1 host evil-pc: unknown token" ] && [ "$h" = 127.0.0.1 ] &&
	t_pass "$T: refused enrolments and sensor handshakes are audited with the address" ||
	t_fail "$T: enrolment/handshake audit: '$e' '$h'"
if out=$("$CONSOLE" audit verify -c "$conf" 2>&1); then
	case "$out" in "audit chain OK: "*" entries verified; head entry "*) t_pass "$T: audit verify on the running console: $out" ;;
	*) t_fail "$T: audit verify: $out" ;; esac
else
	t_fail "$T: audit verify failed on an untouched log: $out"
fi
# tampered: the triggers dropped, an entry changed, the triggers put back
bad=$(db "select id from audit where action = 'role.refused'")
orig=$(db "select detail from audit where id = $bad" | sed "s/'/''/g")
db "drop trigger audit_no_update; update audit set detail = 'nothing happened' where id = $bad;
    create trigger audit_no_update before update on audit begin select raise(abort, 'the audit log is append-only'); end;"
out=$("$CONSOLE" audit verify -c "$conf" 2>&1); rc=$?
[ "$rc" = 1 ] && case "$out" in *"audit chain BROKEN at entry $bad: its hash does not match its contents"*) true ;; *) false ;; esac &&
	t_pass "$T: a tampered database: audit verify exits 1 and names entry $bad" ||
	t_fail "$T: tampered audit: exit $rc: $out"
db "drop trigger audit_no_update; update audit set detail = '$orig' where id = $bad;
    create trigger audit_no_update before update on audit begin select raise(abort, 'the audit log is append-only'); end;"
"$CONSOLE" audit verify -c "$conf" >/dev/null 2>&1 && t_pass "$T: the entry put back as it was: the chain holds again" ||
	t_fail "$T: audit verify after restoring entry $bad"

# ---- quotas: refused before the acknowledgement, counted, alerted, nothing lost -----------------
stop_console
extra='quota { events-per-second 10 bytes-per-second 16KB burst 2s }'
start_sec || { t_fail "$T: console with a small quota did not start: $(tail -n 5 "$log" | tr '\n' ' ')"; t_done; }
# A sender that behaves as a sensor's spool: what is not acknowledged is
# sent again after Retry-After. It checks that a refused batch left nothing.
cat >"$tmp/flood.py" <<'EOF2'
import http.client, json, os, ssl, sqlite3, sys, time
port, d, db, first, total, per = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False
ctx.load_verify_locations(os.path.join(d, "ca.pem")); ctx.load_cert_chain(os.path.join(d, "cert.pem"), os.path.join(d, "key.pem"))
sid = open(os.path.join(d, "sensor_id")).read().strip()
seq, refused, leaked, end = first, 0, 0, time.time() + 60
while seq < first + total and time.time() < end:
    n = min(per, first + total - seq)
    ev = [{"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event_type": "flow", "pad": "x" * 200} for _ in range(n)]
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
    c.request("POST", "/sensor/v1/events", json.dumps({"first_seq": seq, "events": ev}), {"Content-Type": "application/json"})
    r = c.getresponse(); body = r.read(); c.close()
    if r.status == 200:
        seq += n
    elif r.status == 429:
        refused += 1
        k = sqlite3.connect(db, timeout=5).execute("select count(*) from events where sensor_id=? and seq between ? and ?", (sid, seq, seq + n - 1)).fetchone()[0]
        leaked += k
        time.sleep(float(r.getheader("Retry-After", "1")))
    else:
        print("status %d %s" % (r.status, body)); sys.exit(1)
print("acked %d refused %d leaked %d" % (seq - 1, refused, leaked))
EOF2
t0=$(date +%s)
out=$(python3 "$tmp/flood.py" "$SP" "$tmp/ag" "$data/console.db" 100 60 20 2>&1)
t1=$(date +%s)
n=$(db "select count(*) from events where sensor_id='$ag' and seq between 100 and 159")
case "$out" in
"acked 159 refused "[1-9]*" leaked 0")
	[ "$n" = 60 ] && t_pass "$T: a sensor over its quota gets 429 and Retry-After, nothing of a refused batch stored; resent, all 60 events stored once ($out, $((t1 - t0)) s)" ||
		t_fail "$T: quota: $out but $n of 60 stored" ;;
*) t_fail "$T: quota: $out ($n stored)" ;;
esac
sleep 1.5
r=$(db "select refused_batches > 0, refused_events >= 20 from sensor_quota where sensor_id='$ag'")
a=$(db "select count(*) from alerts where kind='quota_exceeded' and sensor_id='$ag' and signature like 'Sensor over its quota: clerk-pc%'")
st=$("$CTL" -s "$sock" console status 2>&1)
if [ "$r" = "1|1" ] && [ "$a" = 1 ] && echo "$st" | grep -q '^quota_refused_batches=[1-9]' &&
	grep -q "sensor $ag over its quota: .* refused" "$log"; then
	t_pass "$T: refusals are counted (database, kastroctl console status), logged and alerted"
else
	t_fail "$T: quota accounting: row '$r', alerts $a, status $(echo "$st" | grep quota_ | tr '\n' ' ')"
fi
head -c 40000 /dev/zero | tr '\0' 'x' | sed 's/^/{"first_seq":500,"events":[{"event_type":"flow","pad":"/; s/$/"}]}/' >"$tmp/big.json"
code=$(post big "$tmp/ag" "$tmp/big.json")
[ "$code" = 413 ] && grep -q "more than the sensor's quota allows at once" "$tmp/big.body" &&
	t_pass "$T: a batch larger than the quota allows at once gets 413 (the sensor halves its batches)" ||
	t_fail "$T: oversized for the quota: $code $(cat "$tmp/big.body")"

# ---- retention: old events and resolved alerts go, open alerts and their events stay --------------
stop_console
extra='retention { events 1d resolved-alerts 2d }'
# everything so far was received three days ago (ids keep arrival order)
db "update events set received = received - 3 * 86400;
    update alerts set status = 'resolved', last_seen = last_seen - 3 * 86400 where signature = 'Claim_None'"
before=$(db "select count(*) from events where sensor_id='$ag'")
start_sec || { t_fail "$T: console with retention did not start: $(tail -n 5 "$log" | tr '\n' ' ')"; t_done; }
for _i in $(seq 1 30); do
	[ "$(db "select count(*) from events where sensor_id='$ag' and seq between 100 and 159")" = 0 ] && break
	sleep 0.2
done
left=$(db "select group_concat(seq) from (select seq from events where sensor_id='$ag' and seq between 1 and 159 order by seq)")
qa=$(db "select count(*) from events e join alerts a on a.event_sensor_id = e.sensor_id and a.event_seq = e.seq where a.kind = 'quota_exceeded'")
al=$(db "select group_concat(signature) from (select signature from alerts where sensor_id='$ag' and kind='finding' order by signature)")
st=$("$CTL" -s "$sock" console status 2>&1)
if [ "$left" = "1,2,3" ] && [ "$qa" = 1 ] && [ "$al" = "Claim_1970,Claim_Host,Claim_Next_Year" ] &&
	echo "$st" | grep -q '^events_pruned=6[0-9]$' && echo "$st" | grep -q '^alerts_pruned=1$'; then
	t_pass "$T: retention deletes old events and old resolved alerts; open alerts and their first events stay ($before events before)"
else
	t_fail "$T: retention: events left '$left', alerts '$al', $(echo "$st" | grep pruned | tr '\n' ' ')"
fi

t_done
