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
CONSOLE=$B/kastro-console
CTL=$B/kastroctl
SENSOR="python3 $here/sensor.py"

for tool in openssl curl sqlite3 python3; do
	command -v "$tool" >/dev/null 2>&1 || { t_fail "$T: $tool not installed (packaging/deps.sh test installs it)"; t_done; }
done
[ -x "$CONSOLE" ] || { t_fail "$T: $CONSOLE not built"; t_done; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kastro-console-sec.XXXXXX") || { t_fail "$T: no scratch dir"; t_done; }
chmod 755 "$tmp"
cpid=""
stop_console() {
	if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
		kill -TERM "$cpid" 2>/dev/null
		for _i in $(seq 1 25); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$cpid" 2>/dev/null
	fi
	[ -n "$cpid" ] && wait "$cpid" 2>/dev/null
	cpid=""
}
cleanup() { stop_console; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r HP SP < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
data=$tmp/data
log=$tmp/console.log
sock=$tmp/console.sock
conf=$tmp/test.conf
extra=""       # more console.conf lines for the next start

"$CONSOLE" init --data "$data" --name 127.0.0.1 --name localhost >"$tmp/init.out" 2>&1 ||
	{ t_fail "$T: init: $(head -n 5 "$tmp/init.out" | tr '\n' ' ')"; t_done; }
pw=$(sed -n 's/^admin password: //p' "$tmp/init.out")
fp=$(sed -n 's/^CA fingerprint: //p' "$tmp/init.out")

start_console() {
	cat >"$conf" <<EOF2
data "$data"
listen https on 127.0.0.1 port $HP
listen sensors on 127.0.0.1 port $SP
control "$sock"
$extra
EOF2
	: >"$log"
	"$CONSOLE" -c "$conf" >>"$log" 2>&1 &
	cpid=$!
	for _i in $(seq 1 100); do
		grep -q 'ready' "$log" 2>/dev/null && [ -S "$sock" ] && return 0
		kill -0 "$cpid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
start_console || { t_fail "$T: console did not start: $(tail -n 5 "$log" | tr '\n' ' ')"; t_done; }
t_pass "$T: console runs (HTTPS $HP, sensors $SP)"

db() { sqlite3 -cmd '.timeout 5000' "$data/console.db" "$@"; }
tok() { "$CTL" -s "$sock" token create "$@" | sed -n 's/^token=//p'; }
api() {  # api NAME METHOD PATH [BODY] [EXTRA CURL ARGS...] -> HTTP status; body in $tmp/NAME.json
	local n=$1 m=$2 p=$3 b=${4:-}
	shift 4 2>/dev/null || shift $#
	curl -s -o "$tmp/$n.json" -w '%{http_code}' --max-time 10 --cacert "$data/ca.crt" \
		-X "$m" -H 'Content-Type: application/json' ${b:+--data-binary "$b"} "$@" \
		"https://127.0.0.1:$HP$p" 2>/dev/null
}
post() {  # post NAME SENSOR_DIR BODY_FILE -> HTTP status; body in $tmp/NAME.body
	curl -s -o "$tmp/$1.body" -w '%{http_code}' --max-time 20 -k --cert "$2/cert.pem" --key "$2/key.pem" \
		-H 'Content-Type: application/json' --data-binary @"$3" "https://127.0.0.1:$SP/sensor/v1/events" 2>/dev/null
}
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

# ---- quotas: refused before the acknowledgement, counted, alerted, nothing lost -----------------
stop_console
extra='quota { events-per-second 10 bytes-per-second 16KB burst 2s }'
start_console || { t_fail "$T: console with a small quota did not start: $(tail -n 5 "$log" | tr '\n' ' ')"; t_done; }
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
start_console || { t_fail "$T: console with retention did not start: $(tail -n 5 "$log" | tr '\n' ' ')"; t_done; }
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
