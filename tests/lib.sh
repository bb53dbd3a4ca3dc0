# Shared helpers for Kastro's shell tests. Source it; do not run it.
#
# Every test reports each check as one line: "PASS name", "FAIL name: why"
# or "SKIP name: why". When KASTRO_RESULTS names a file, the same lines are
# appended there so tests/check.sh can print one total.

t_pass() { echo "PASS $*"; [ -n "${KASTRO_RESULTS:-}" ] && echo "PASS $*" >>"$KASTRO_RESULTS"; return 0; }
t_fail() { echo "FAIL $*"; [ -n "${KASTRO_RESULTS:-}" ] && echo "FAIL $*" >>"$KASTRO_RESULTS"; T_FAILED=1; return 0; }
t_skip() { echo "SKIP $*"; [ -n "${KASTRO_RESULTS:-}" ] && echo "SKIP $*" >>"$KASTRO_RESULTS"; return 0; }

# t_check NAME CMD...: run CMD, PASS if it exits 0, FAIL otherwise.
t_check() {
	_n=$1; shift
	if "$@"; then t_pass "$_n"; else t_fail "$_n: '$*' failed"; fi
}

# Directory of shared test data: ../shared/testdata beside the project
# root (the folder holding the Makefile), or $KASTRO_TESTDATA.
t_testdata() {
	_d=$(cd "$(dirname "$0")" && pwd)
	while [ "$_d" != / ] && ! { [ -f "$_d/Makefile" ] && [ -d "$_d/daemon" ]; }; do
		_d=$(dirname "$_d")
	done
	echo "${KASTRO_TESTDATA:-$_d/../shared/testdata}"
}

T_FAILED=0
# Finish a test script: exit 1 if any check failed.
t_done() { exit "$T_FAILED"; }

# t_console_user: make sure the user kastro-console runs as by default
# exists (a system user without login or home, made when absent). 0 when
# it exists afterwards.
t_console_user() {
	id kastro-console >/dev/null 2>&1 && return 0
	useradd --system --no-create-home --shell /usr/sbin/nologin kastro-console >/dev/null 2>&1
	id kastro-console >/dev/null 2>&1
}

# t_stop_pid PID: stop a process the test started: TERM, up to 5 s, then
# KILL; reaped. Nothing for an empty PID; 0 always.
t_stop_pid() {
	[ -n "$1" ] || return 0
	if kill -0 "$1" 2>/dev/null; then
		kill -TERM "$1" 2>/dev/null
		for _i in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	return 0
}

# t_wait_for SECONDS CMD...: until CMD succeeds (tried every 0.1 s, its
# output dropped); 1 when SECONDS have passed.
t_wait_for() {
	_s=$1; shift
	for _i in $(seq 1 $((_s * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

# t_wait_eq SECONDS WANT CMD...: until CMD prints WANT; 1 when SECONDS
# have passed.
t_wait_eq() {
	_s=$1 _w=$2; shift 2
	for _i in $(seq 1 $((_s * 10))); do [ "$("$@" 2>/dev/null)" = "$_w" ] && return 0; sleep 0.1; done
	return 1
}

# t_free_ports N: N free TCP ports on 127.0.0.1, on one line.
t_free_ports() {
	python3 -c 'import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])' "$1"
}

# t_agent_enroll KASTROCTL CONSOLE_SOCKET AGENT AGENT_CONF CA_FINGERPRINT:
# a new agent token from the console, and the agent of AGENT_CONF enrolled
# with it, the console's CA pinned; prints the sensor id. The agent's
# messages go to stderr; not 0 when the enrolment failed.
t_agent_enroll() {
	_tok=$("$1" -s "$2" token create --kind agent | sed -n 's/^token=//p')
	"$3" enroll -c "$4" --token "$_tok" --ca-fingerprint "$5"
}
