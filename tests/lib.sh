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
