#!/bin/bash
# The hooks section of `make bench` (tests/bench/run.sh): alerts delivered
# per second through the console's outbox, against the same receiver fed by
# a bare sender in the same run (hook_peers.py bare-*: the same messages
# over one connection, no database), and the latency from an alert stored
# (its batch acknowledged to the sensor) to the receiver writing it.
#
#   syslog over TLS  -> rsyslog (imtcp, ossl driver)
#   syslog over RELP -> rsyslog (imrelp)
#   webhook (HTTPS)  -> hook_peers.py webhook (Python, checks signatures)
#
# usage: tests/bench/hooks.sh BUILD_DIR ALERTS RESULT_FILE
# Writes KEY=VALUE lines to RESULT_FILE; exit 1 when something broke.
set -u
here=$(cd "$(dirname "$0")" && pwd)
B=$1 N=$2 RES=$3
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
PY=/usr/bin/python3
C=$here/../console
PEERS="$PY $C/hook_peers.py"
SENSOR="$PY $C/sensor.py"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kastro-bench-hooks.XXXXXX") || exit 1
# the console drops root for its own user, which reads the CA and the secret here
chmod 755 "$tmp"
id kastro-console >/dev/null 2>&1 ||
	useradd --system --no-create-home --shell /usr/sbin/nologin kastro-console >/dev/null 2>&1
cpid="" rpid="" wpid=""
stop() { [ -n "$1" ] && { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }; return 0; }
cleanup() { stop "$cpid"; stop "$rpid"; stop "$wpid"; rm -rf "$tmp"; }
trap cleanup EXIT
die() { echo "bench hooks: $*" >&2; exit 1; }

read -r HP SP P_TLS P_RELP P_WEB < <($PY -c 'import socket
s=[socket.socket() for _ in range(5)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
mkdir -p "$tmp/pki" "$tmp/rs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=localhost" \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$tmp/pki/key.pem" -out "$tmp/pki/cert.pem" 2>/dev/null ||
	die "cannot make a certificate"
printf 'bench-secret\n' >"$tmp/web.secret"
chmod 600 "$tmp/web.secret"
chown kastro-console "$tmp/web.secret" 2>/dev/null
cat >"$tmp/rsyslog.conf" <<EOF
global(workDirectory="$tmp/rs" maxMessageSize="256k" parser.escapeControlCharacterTab="off"
       defaultNetstreamDriverCAFile="$tmp/pki/cert.pem"
       defaultNetstreamDriverCertFile="$tmp/pki/cert.pem"
       defaultNetstreamDriverKeyFile="$tmp/pki/key.pem")
module(load="imtcp")
module(load="imrelp")
template(name="raw" type="string" string="%rawmsg%\n")
input(type="imtcp" port="$P_TLS" address="127.0.0.1" ruleset="tls"
      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imrelp" port="$P_RELP" address="127.0.0.1" ruleset="relp")
ruleset(name="tls") { action(type="omfile" file="$tmp/tls.out" template="raw" asyncWriting="off") }
ruleset(name="relp") { action(type="omfile" file="$tmp/relp.out" template="raw") }
EOF
rsyslogd -n -f "$tmp/rsyslog.conf" -i "$tmp/rs.pid" >"$tmp/rsyslog.log" 2>&1 &
rpid=$!
$PEERS webhook "$P_WEB" "$tmp/pki/cert.pem" "$tmp/pki/key.pem" "$tmp/web.secret" "$tmp/web.out" >"$tmp/web.log" 2>&1 &
wpid=$!
for _i in $(seq 1 50); do
	$PY -c "import socket; [socket.create_connection(('127.0.0.1',p),1) for p in ($P_TLS,$P_RELP,$P_WEB)]" 2>/dev/null && break
	sleep 0.2
done

"$B/kastro-console" init --data "$tmp/data" --name 127.0.0.1 >"$tmp/init.out" 2>&1 || die "init"
fp=$(sed -n 's/^CA fingerprint: //p' "$tmp/init.out")
cat >"$tmp/c.conf" <<EOF
data "$tmp/data"
listen https on 127.0.0.1 port $HP
listen sensors on 127.0.0.1 port $SP
control "$tmp/c.sock"
alerts dedup-window 0
hook tls { syslog "tls://127.0.0.1:$P_TLS" format cef ca "$tmp/pki/cert.pem" }
hook relp { syslog "relp://127.0.0.1:$P_RELP" format cef }
hook web { webhook "https://127.0.0.1:$P_WEB/in" ca "$tmp/pki/cert.pem" secret-file "$tmp/web.secret" }
EOF
"$B/kastro-console" -c "$tmp/c.conf" >"$tmp/console.log" 2>&1 &
cpid=$!
for _i in $(seq 1 100); do grep -q ready "$tmp/console.log" && [ -S "$tmp/c.sock" ] && break; sleep 0.1; done
tok=$("$B/kastroctl" -s "$tmp/c.sock" token create --kind gateway | sed -n 's/^token=//p')
$SENSOR enroll "127.0.0.1:$HP" "$tok" "$fp" "$tmp/s1" gw-bench >/dev/null 2>"$tmp/e.err" || die "enrol: $(cat "$tmp/e.err")"
db() { sqlite3 -cmd '.timeout 5000' "$tmp/data/console.db" "$@"; }
now() { date +%s.%N; }

# all three hooks take every alert: time until each hook has all N delivered
t0=$(now)
$SENSOR send "127.0.0.1:$SP" "$tmp/s1" 1 "$N" 500 >/dev/null 2>&1 || die "send"
t_stored=$(now)
# what was delivered while ingest still ran: the rest is a backlog drained after
for h in tls relp web; do
	eval "b_$h=$(db "select count(*) from hook_deliveries where hook='$h' and state='delivered'")"
done
d_tls="" d_relp="" d_web=""
while [ -z "$d_tls" ] || [ -z "$d_relp" ] || [ -z "$d_web" ]; do
	for h in tls relp web; do
		eval "[ -n \"\$d_$h\" ]" && continue
		[ "$(db "select count(*) from hook_deliveries where hook='$h' and state='delivered'")" -ge "$N" ] &&
			eval "d_$h=$(now)"
	done
	awk -v a="$(now)" -v b="$t0" 'BEGIN { exit !(a - b > (ENVIRON["KASTRO_BENCH_HOOK_WAIT"] ? ENVIRON["KASTRO_BENCH_HOOK_WAIT"] : 600)) }' && die "not all delivered in 600 s: $(db "select hook, state, count(*) from hook_deliveries group by 1, 2" | tr "\n" " ") $(db "select hook, answer from hook_deliveries where state='queued' limit 3" | tr "\n" " ")"
	sleep 0.05
done
rate() { awk -v n="$N" -v a="$1" -v b="$t0" 'BEGIN { printf "%.0f", n / (a - b) }'; }
# the backlog left when the last batch was stored, over the time it took
drain() { awk -v n="$N" -v d="$2" -v a="$1" -v b="$t_stored" 'BEGIN { if (n - d < 500 || a <= b) print "-"; else printf "%.0f", (n - d) / (a - b) }'; }
{
	echo "alerts=$N"
	echo "store_seconds=$(awk -v a="$t_stored" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')"
	echo "rate_tls=$(rate "$d_tls")"
	echo "rate_relp=$(rate "$d_relp")"
	echo "rate_web=$(rate "$d_web")"
	echo "drain_tls=$(drain "$d_tls" "$b_tls")"
	echo "drain_relp=$(drain "$d_relp" "$b_relp")"
	echo "drain_web=$(drain "$d_web" "$b_web")"
} >"$RES"
# the same receivers from a bare sender, the same messages
body=$(head -n 1 "$tmp/tls.out")
for k in tls relp web; do
	case $k in tls) p=$P_TLS ;; relp) p=$P_RELP ;; web) p=$P_WEB ;; esac
	r=$($PEERS bare "$k" "$p" "$N" "$tmp/$k.out" "$tmp/web.secret" "$body" 2>&1) || die "bare $k: $r"
	echo "ref_$k=$r" >>"$RES"
done
# latency: one alert at a time, from its batch's acknowledgement to the
# receiver's file growing (syslog over TLS)
r=$($PEERS latency "127.0.0.1:$SP" "$tmp/s1" $((N + 1)) 200 "$tmp/tls.out" 2>&1) || die "latency: $r"
echo "$r" >>"$RES"
