#!/bin/bash
# Bench section ingest (called by tests/bench/run.sh): kastro-console's
# durable ingest rate, and its officers' API with a million alerts stored.
#
# usage: tests/bench/ingest.sh BUILD_DIR EVENTS ALERTS RESULTS [ingest-only]
#
# 1. A console on loopback (kastro-console init in a scratch directory),
#    50 gateway sensors enrolled through its enrolment endpoint with
#    one-time tokens (tests/console/sensor.py, pinning the CA).
# 2. ingestload: the 50 sensors send EVENTS events at once over mutual TLS,
#    each batch of 500 after the ack of the one before; the rate is events
#    acknowledged (so committed with synchronous=FULL) per second. The
#    database must then hold every event once, and as many alert events as
#    the alert rows count.
# 3. sqliteref: the same rows, bare SQLite inserts in the same batched
#    transactions, same schema and settings: the reference.
# 4. The console stopped, alertfill brings its database to ALERTS alert
#    rows (30 days of them); the console started again on it; an officer
#    logs in through the REST API and the dashboard and alert list
#    requests are timed, each best of API_RUNS on a kept-alive connection.
#
# KASTRO_BENCH_INGEST_HOOKS=4 runs it with four alert hooks active (syslog
# over TCP in CEF, LEEF, ECS and text to a local rsyslog, every alert to
# each), so that the rate can be compared with a run without (0, default).
# With ingest-only, steps 1 to 3 alone.
#
# Writes key=value lines to RESULTS for section_ingest to print; the
# section's lines about progress go to stdout. Exits 1 when something is
# broken (a tool missing or failing, a count wrong, the console dying).
set -u
here=$(cd "$(dirname "$0")" && pwd)

BUILD=$1
EVENTS=$2
ALERTS=$3
RESULTS=$4
ONLY=${5:-}
SENSORS=50
BATCH=500
API_RUNS=5
CONSOLE=$BUILD/kastro-console
CTL=$BUILD/kastroctl
die() { echo "bench: error: ingest: $*" >&2; exit 1; }

tmp=""
cpid=""
rpid=""
HOOKS=${KASTRO_BENCH_INGEST_HOOKS:-0}
case $HOOKS in 0|4) ;; *) die "KASTRO_BENCH_INGEST_HOOKS='$HOOKS': expected 0 or 4" ;; esac
stop_console() {
	if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
		kill -TERM "$cpid" 2>/dev/null
		for _i in $(seq 1 50); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$cpid" 2>/dev/null
	fi
	[ -n "$cpid" ] && wait "$cpid" 2>/dev/null
	cpid=""
}
cleanup() {
	trap - EXIT INT TERM
	stop_console
	[ -n "$rpid" ] && { kill -TERM "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null; }
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for t in python3 openssl sqlite3; do
	command -v $t >/dev/null || die "$t not found: run packaging/deps.sh bench"
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kastro-bench-ingest.XXXXXX") || die "no scratch directory"
# the console drops root for its own user (made when absent), which must
# reach its data here
chmod 755 "$tmp"
id kastro-console >/dev/null 2>&1 ||
	useradd --system --no-create-home --shell /usr/sbin/nologin kastro-console >/dev/null 2>&1 ||
	id kastro-console >/dev/null 2>&1 || die "cannot create the user kastro-console"
data=$tmp/data
log=$tmp/console.log
sock=$tmp/console.sock
conf=$tmp/console.conf
: >"$RESULTS"
res() { echo "$1=$2" >>"$RESULTS"; }

"$CONSOLE" init --data "$data" --name 127.0.0.1 >"$tmp/init.out" 2>&1 ||
	die "kastro-console init: $(head -n 5 "$tmp/init.out")"
pw=$(sed -n 's/^admin password: //p' "$tmp/init.out")
fp=$(sed -n 's/^CA fingerprint: //p' "$tmp/init.out")
[ -n "$pw" ] || die "kastro-console init printed no admin password: $(head -n 5 "$tmp/init.out")"
[ -n "$fp" ] || die "kastro-console init printed no CA fingerprint: $(head -n 5 "$tmp/init.out")"
read -r HP SP < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
cat >"$conf" <<EOF
data "$data"
listen https on 127.0.0.1 port $HP
listen sensors on 127.0.0.1 port $SP
control "$sock"
log level warning
sensor offline-after 1h
EOF
if [ "$HOOKS" = 4 ]; then
	command -v rsyslogd >/dev/null || die "rsyslogd not found: run packaging/deps.sh bench"
	P_SYS=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p "$tmp/rs"
	cat >"$tmp/rsyslog.conf" <<EOF
global(workDirectory="$tmp/rs" maxMessageSize="256k")
module(load="imtcp")
template(name="raw" type="string" string="%rawmsg%\n")
input(type="imtcp" port="$P_SYS" address="127.0.0.1" ruleset="out")
ruleset(name="out") { action(type="omfile" file="$tmp/syslog.out" template="raw") }
EOF
	rsyslogd -n -f "$tmp/rsyslog.conf" -i "$tmp/rs.pid" >"$tmp/rsyslog.log" 2>&1 &
	rpid=$!
	for f in cef leef ecs text; do
		echo "hook bench-$f { syslog \"tcp://127.0.0.1:$P_SYS\" format $f }" >>"$conf"
	done
fi

start_console() {
	: >"$log"
	"$CONSOLE" -c "$conf" >>"$log" 2>&1 &
	cpid=$!
	for _i in $(seq 1 100); do
		[ -S "$sock" ] && grep -q 'ready' "$log" 2>/dev/null && return 0
		[ -S "$sock" ] && "$CTL" -s "$sock" console status >/dev/null 2>&1 && return 0
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	die "the console did not start: $(tail -n 5 "$log")"
}
# cpu_ticks PID: user + system clock ticks the process used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# hook_ticks PID: those of its alert hooks' delivery threads (named "hook NAME")
hook_ticks() {
	local t n=0
	for t in /proc/"$1"/task/*; do
		case $(cat "$t/comm" 2>/dev/null) in
		"hook "*) n=$((n + $(sed 's/.*) //' "$t/stat" | awk '{ print $12 + $13 }'))) ;;
		esac
	done
	echo "$n"
}
db() { sqlite3 -cmd '.timeout 5000' "$data/console.db" "$@"; }

# ---- 1. console and sensors ---------------------------------------------------
start_console
t0=$(date +%s%N)
i=0
set --
while [ $i -lt $SENSORS ]; do
	i=$((i + 1))
	tok=$("$CTL" -s "$sock" token create --kind gateway | sed -n 's/^token=//p')
	[ -n "$tok" ] || die "kastroctl token create printed no token"
	echo "$tok" >>"$tmp/tokens"
	set -- "$@" "$tmp/s$i"
done
# sensor.py's enrolment, four at a time in one process (each runs openssl
# three times)
python3 - "$here/../console" "127.0.0.1:$HP" "$fp" "$tmp" >"$tmp/enroll.out" 2>&1 <<'PY' ||
import concurrent.futures, sys
sys.path.insert(0, sys.argv[1])
import sensor
hostport, fp, tmp = sys.argv[2:5]
toks = [t.strip() for t in open(tmp + "/tokens")]
with concurrent.futures.ThreadPoolExecutor(4) as ex:
    for f in [ex.submit(sensor.enroll, hostport, t, fp, "%s/s%d" % (tmp, i + 1), "gw-%d" % (i + 1))
              for i, t in enumerate(toks)]:
        f.result()
PY
	die "enrolment failed: $(tail -n 5 "$tmp/enroll.out")"
for d in "$@"; do
	[ -s "$d/cert.pem" ] || die "enrolment of $d failed: $(tail -n 5 "$tmp/enroll.out")"
done
res enrol_seconds "$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')"

# ---- 2. ingest -----------------------------------------------------------------
c0=$(cpu_ticks "$cpid") h0=$(hook_ticks "$cpid")
/usr/bin/time -f '%U %S' -o "$tmp/load.time" \
	timeout -k 5 600 "$BUILD/bench/ingestload" -e "$EVENTS" -b $BATCH -w "$tmp/plan" \
	"127.0.0.1:$SP" "$@" >"$tmp/load.out" 2>&1 ||
	die "ingestload failed: $(tail -n 5 "$tmp/load.out"; tail -n 5 "$log")"
c1=$(cpu_ticks "$cpid") h1=$(hook_ticks "$cpid")
kill -0 "$cpid" 2>/dev/null || die "the console died during ingest: $(tail -n 5 "$log")"
line=$(grep '^ingestload: ' "$tmp/load.out") || die "ingestload printed no result: $(cat "$tmp/load.out")"
get() { echo "$line" | sed -n "s|.* $1 \([0-9.]*\).*|\1|p"; }
res ingest_seconds "$(get seconds)"
res ingest_rate "$(get 'events/s')"
res ingest_connections "$(get connections)"
res ingest_batches "$(get batches)"
res ack_p50 "$(get p50)"
res ack_p99 "$(get p99)"
res ack_max "$(get max)"
res console_cpu "$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) / hz }')"
res hook_cpu "$(awk -v a="$h0" -v b="$h1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) / hz }')"
res load_cpu "$(awk '{ printf "%.1f", $1 + $2 }' "$tmp/load.time")"
stored=$(db "select count(*) from events where seq > 0") || die "cannot read the console's database"
[ "$stored" = "$EVENTS" ] || die "the console's database holds $stored events, $EVENTS were acknowledged"
ae=$(db "select count(*) from events where event_type = 'alert'")
ac=$(db "select coalesce(sum(count), 0) || ' ' || count(*) from alerts where kind = 'alert'")
[ "${ac% *}" = "$ae" ] || die "$ae alert events stored, but the alert rows count ${ac% *}"
res ingest_alert_events "$ae"
res ingest_alert_rows "${ac#* }"
res db_mib "$(du -sm "$data" | awk '{ print $1 }')"
res hooks "$HOOKS"
if [ "$HOOKS" = 4 ]; then
	res hook_delivered "$(db "select count(*) from hook_deliveries where state = 'delivered'")"
	# queued: in the hooks' queues, or not claimed from the outbox yet
	_q="select count(*) from hook_deliveries where state = 'queued'"
	for f in cef leef ecs text; do
		_q="$_q union all select count(*) from hook_outbox where instr(',' || hooks || ',', ',bench-$f,') > 0
			and id > coalesce((select upto from hook_cursor where hook = 'bench-$f'), 0)"
	done
	res hook_queued "$(db "select sum(n) from (select 0 as n union all $_q)")"
fi

# ---- 3. reference ----------------------------------------------------------------
timeout -k 5 600 "$BUILD/bench/sqliteref" "$tmp/plan" "$tmp/ref.db" >"$tmp/ref.out" 2>&1 ||
	die "sqliteref failed: $(tail -n 5 "$tmp/ref.out")"
line=$(grep '^sqliteref: ' "$tmp/ref.out") || die "sqliteref printed no result: $(cat "$tmp/ref.out")"
res ref_seconds "$(get seconds)"
res ref_rate "$(get 'events/s')"
rm -f "$tmp/ref.db" "$tmp/ref.db-wal" "$tmp/ref.db-shm" "$tmp/plan"

[ "$ONLY" = ingest-only ] && exit 0

# ---- 4. a million alerts ------------------------------------------------------------
stop_console
timeout -k 5 600 "$BUILD/bench/alertfill" -n "$ALERTS" "$data/console.db" >"$tmp/fill.out" 2>&1 ||
	die "alertfill failed: $(tail -n 5 "$tmp/fill.out")"
line=$(grep '^alertfill: ' "$tmp/fill.out") || die "alertfill printed no result: $(cat "$tmp/fill.out")"
res fill_seconds "$(get seconds)"
n=$(db "select count(*) from alerts")
[ "$n" = "$ALERTS" ] || die "$n alert rows after alertfill, want $ALERTS"
res fill_open "$(db "select count(*) from alerts where status <> 'resolved'")"
res fill_db_mib "$(du -sm "$data" | awk '{ print $1 }')"
# the host and the cursor of the row in the middle of the list
host=$(db "select host from alerts order by id limit 1 offset $((ALERTS / 2))")
mid=$(db "select last_seen || ' ' || id from alerts order by last_seen desc, id desc limit 1 offset $((ALERTS / 2))")
start_console

python3 - "$HP" "$pw" "$API_RUNS" "$host" "$mid" "$data/ca.crt" >"$tmp/api.out" 2>"$tmp/api.err" <<'PY' ||
import http.client, json, ssl, sys, time, urllib.parse
port, pw, runs, host, mid, ca = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5].split(), sys.argv[6]
ctx = ssl.create_default_context(cafile=ca)     # init --name 127.0.0.1
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
c.request("POST", "/api/v1/login", json.dumps({"user": "admin", "password": pw}),
          {"Content-Type": "application/json"})
r = c.getresponse()
body = r.read()
if r.status != 200:
    sys.exit("login: %d %s" % (r.status, body[:200]))
cookie = None
for k, v in r.getheaders():
    if k.lower() == "set-cookie" and v.startswith("__Host-kastro="):
        cookie = v.split(";")[0]
if cookie is None:
    sys.exit("login: no session cookie")
q = urllib.parse.urlencode
reqs = [
    ("dashboard_24h", "/api/v1/dashboard", "dashboard (24 hours)"),
    ("dashboard_30d", "/api/v1/dashboard?hours=720", "dashboard (30 days)"),
    ("alerts_first", "/api/v1/alerts", "alerts, first page"),
    ("alerts_open_sev", "/api/v1/alerts?" + q({"status": "open", "severity_max": 1}),
     "alerts, open with severity 1"),
    ("alerts_host", "/api/v1/alerts?" + q({"host": host}), "alerts, one host"),
    ("alerts_text", "/api/v1/alerts?" + q({"q": "tor"}), "alerts, signature text \"tor\""),
    ("alerts_nomatch", "/api/v1/alerts?" + q({"q": "no such rule"}), "alerts, text found nowhere"),
    ("alerts_deep", "/api/v1/alerts?" + q({"after_last_seen": mid[0], "after_id": mid[1]}),
     "alerts, cursor at the middle row"),
]
# Per request: the whole answer (what the officer waits for) and its
# first bytes (the console sends the head once the answer is made, so
# this is about the console's own time).
for key, path, desc in reqs:
    best = worst = head = None
    for i in range(runs):
        t = time.perf_counter()
        c.request("GET", path, headers={"Cookie": cookie})
        r = c.getresponse()
        h = (time.perf_counter() - t) * 1000
        body = r.read()
        ms = (time.perf_counter() - t) * 1000
        if r.status != 200:
            sys.exit("%s: %d %s" % (path, r.status, body[:200]))
        best = ms if best is None else min(best, ms)
        worst = ms if worst is None else max(worst, ms)
        head = h if head is None else min(head, h)
    j = json.loads(body)
    rows = len(j["alerts"]) if "alerts" in j else sum(j["open_by_severity"].values())
    print("api %s %.1f %.1f %.1f %d %s" % (key, best, worst, head, rows, desc))
PY
	die "timing the REST API failed: $(tail -n 5 "$tmp/api.err"; tail -n 5 "$log")"
kill -0 "$cpid" 2>/dev/null || die "the console died while answering: $(tail -n 5 "$log")"
sed 's/^api \([a-z0-9_]*\) /api_\1=/' "$tmp/api.out" >>"$RESULTS"
stop_console
exit 0
