# Shared set-up for the console's shell tests: a console made with init in
# a scratch directory, on two free loopback ports, started and stopped by
# the test. Source it after tests/lib.sh with T and B set; it sets tmp,
# data, log, sock, conf, HP, SP, pw (the admin's password), fp (the CA's
# fingerprint) and defines write_conf, start_console, stop_console, db and
# api. init's output is in $tmp/init.out. Each start_console moves the log
# of the run before to $log.prev, so a check over the whole test reads both.
# The scratch directory and the console go away when the test exits.

CONSOLE=$B/kastro-console
CTL=$B/kastroctl
for tool in openssl curl sqlite3 python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		t_fail "$T: $tool not installed (packaging/deps.sh test installs it)"
		t_done
	fi
done
[ -x "$CONSOLE" ] || { t_fail "$T: $CONSOLE not built"; t_done; }
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kastro-${T//\//-}-test.XXXXXX") || { t_fail "$T: no scratch dir"; t_done; }
# the console drops root for its own user, which must reach its data here
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
console_cleanup() { stop_console; rm -rf "$tmp"; }
trap console_cleanup EXIT
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
if ! "$CONSOLE" init --data "$data" --name 127.0.0.1 --name localhost >"$tmp/init.out" 2>&1; then
	t_fail "$T: init: $(head -n 5 "$tmp/init.out" | tr '\n' ' ')"
	t_done
fi
pw=$(sed -n 's/^admin password: //p' "$tmp/init.out")
fp=$(sed -n 's/^CA fingerprint: //p' "$tmp/init.out")

# write_conf [MORE STATEMENTS...]: the test's console.conf.
write_conf() {
	{
		echo "data \"$data\""
		echo "listen https on 127.0.0.1 port $HP"
		echo "listen sensors on 127.0.0.1 port $SP"
		echo "control \"$sock\""
		for _s in "$@"; do echo "$_s"; done
	} >"$conf"
}
start_console() {
	[ -s "$log" ] && cat "$log" >>"$log.prev"
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
db() { sqlite3 -cmd '.timeout 5000' "$data/console.db" "$@"; }

# api NAME METHOD PATH [BODY] [EXTRA CURL ARGS...]: the HTTP status; the
# answer's body in $tmp/NAME.json. Source address: $FROM (default 127.0.0.1).
api() {
	local n=$1 m=$2 p=$3 b=${4:-}
	shift 4 2>/dev/null || shift $#
	curl -s -o "$tmp/$n.json" -w '%{http_code}' --max-time 20 --cacert "$data/ca.crt" \
		--interface "${FROM:-127.0.0.1}" \
		-X "$m" -H 'Content-Type: application/json' ${b:+--data-binary "$b"} "$@" \
		"https://127.0.0.1:$HP$p" 2>/dev/null
}
# jget NAME KEY: a top-level member of $tmp/NAME.json.
jget() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$tmp/$1.json" "$2" 2>/dev/null; }
# login NAME USER PASSWORD [TOTP]: log in into cookie jar $tmp/NAME.cj; the
# CSRF token in $tmp/NAME.csrf; the HTTP status.
login() {
	local body
	if [ -n "${4:-}" ]; then
		body="{\"user\":\"$2\",\"password\":\"$3\",\"totp\":\"$4\"}"
	else
		body="{\"user\":\"$2\",\"password\":\"$3\"}"
	fi
	local code
	code=$(api "$1" POST /api/v1/login "$body" -c "$tmp/$1.cj")
	jget "$1" csrf >"$tmp/$1.csrf"
	echo "$code"
}
# as NAME NAME2 METHOD PATH [BODY] [CURL ARGS...]: a request with session NAME.
as() {
	local s=$1
	shift
	local n=$1 m=$2 p=$3 b=${4:-}
	shift 4 2>/dev/null || shift $#
	api "$n" "$m" "$p" "$b" -b "$tmp/$s.cj" -H "X-CSRF-Token: $(cat "$tmp/$s.csrf")" "$@"
}

# rsyslog_tcp: Debian's rsyslog on a free loopback port (P_TCP) with imtcp,
# writing each message as received to $tmp/syslog.out; stopped with the
# console when the test exits.
rpid=""
rsyslog_tcp() {
	command -v rsyslogd >/dev/null 2>&1 || { t_fail "$T: rsyslogd not installed (packaging/deps.sh test)"; t_done; }
	P_TCP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p "$tmp/rs"
	cat >"$tmp/rsyslog.conf" <<EOC
global(workDirectory="$tmp/rs")
module(load="imtcp")
template(name="raw" type="string" string="%rawmsg%\n")
input(type="imtcp" port="$P_TCP" address="127.0.0.1" ruleset="out")
ruleset(name="out") { action(type="omfile" file="$tmp/syslog.out" template="raw") }
EOC
	rsyslogd -n -f "$tmp/rsyslog.conf" -i "$tmp/rs.pid" >"$tmp/rsyslog.log" 2>&1 &
	rpid=$!
	trap 'if [ -n "$rpid" ]; then kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null; fi; console_cleanup' EXIT
}
