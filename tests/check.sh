#!/bin/sh
# Run every test suite of `make check` and print one total.
#
# usage: tests/check.sh BUILD_DIR SAN_BUILD_DIR
#
# Each suite prints PASS/FAIL/SKIP lines (tests/lib.sh); all of them are
# collected in BUILD_DIR/test-results.txt. A failing suite does not stop the
# others. The last line is "check: N passed, N failed, N skipped"; the exit
# status is 1 when anything failed.
here=$(cd "$(dirname "$0")" && pwd)
b=$1
san=$2
KASTRO_RESULTS=$(pwd)/$b/test-results.txt
export KASTRO_RESULTS
: >"$KASTRO_RESULTS"

# suite TITLE COMMAND...: one suite, and how long it took (the whole run
# has a budget of 20 minutes on two cores).
suite() {
	echo "== $1"
	shift
	_t0=$(date +%s)
	"$@" || true
	echo "== ($(($(date +%s) - _t0)) s)"
}

# suite_bg NAME TITLE COMMAND...: a suite started in the background, beside
# the ones that follow (for suites that mostly wait, or to use both cores);
# suite_wait NAME waits for it and prints what it printed.
bgdir=$(mktemp -d "${TMPDIR:-/tmp}/kastro-check.XXXXXX")
trap 'rm -rf "$bgdir"' EXIT
suite_bg() {
	_n=$1
	echo "$2" >"$bgdir/$_n.title"
	shift 2
	(
		_t0=$(date +%s)
		"$@" >"$bgdir/$_n.out" 2>&1
		echo "$(($(date +%s) - _t0))" >"$bgdir/$_n.secs"
	) &
	echo $! >"$bgdir/$_n.pid"
}
suite_wait() {
	wait "$(cat "$bgdir/$1.pid")"
	echo "== $(cat "$bgdir/$1.title") (beside the others)"
	cat "$bgdir/$1.out"
	echo "== ($(cat "$bgdir/$1.secs") s)"
}

# The fuzz targets build at the lowest priority while the suites run; they
# run at the end.
suite_bg fuzzbuild "fuzz targets built" nice -n 19 "$here/fuzz/run.sh" --build
suite_bg unit "unit tests" "$here/run-unit.sh" "$b"/tests/test_*
suite_bg cron "continuity: push checks on a cron schedule (loopback, ASan+UBSan)" \
	"$here/continuity/test_push_schedule.sh" "$san"
suite "unit tests under ASan+UBSan" "$here/run-unit.sh" "$san"/tests/test_*
suite_wait unit
suite_wait cron
suite "bad input" "$here/robust/run.sh" "$b/kastrod" "$san/kastrod"
suite "nDPI agreement" "$here/ndpi/run.sh" "$b/kastrod"
suite "network (namespaces)" "$here/net/run.sh" "$b/kastrod"
# The console's own test runs it under ASan+UBSan: every request path of
# the sensor port and the API meets the sanitizers there.
suite "console (loopback, ASan+UBSan)" "$here/console/test_console.sh" "$san"
suite "officers' credentials (loopback, ASan+UBSan)" "$here/console/test_officers.sh" "$san"
suite "one hostile host and the officers' port (loopback, ASan+UBSan)" "$here/console/test_busy.sh" "$san"
suite "console against hostile sensors (loopback)" "$here/console/test_console_sec.sh" "$b"
suite "the officers' port counts IPv6 clients by /64 (namespaces)" "$here/console/test_busy6.sh" "$b"
suite "continuity: push checks (loopback, ASan+UBSan)" "$here/continuity/test_push.sh" "$san"
suite "continuity: probes against stand-in services (loopback, ASan+UBSan)" "$here/continuity/test_probes.sh" "$san"
suite "continuity: probes run from an agent, through its spool (loopback, ASan+UBSan)" "$here/continuity/test_sensor_probes.sh" "$san"
suite "continuity: the plain HTTP ping listener (loopback, ASan+UBSan)" "$here/continuity/test_ping_listen.sh" "$san"
suite "continuity: tls checks over STARTTLS against aiosmtpd and dovecot (loopback, ASan+UBSan)" "$here/continuity/test_starttls.sh" "$san"
suite "continuity: http checks of a JSON field and of response times (loopback, ASan+UBSan)" "$here/continuity/test_http_json.sh" "$san"
suite "continuity: icmp and dns checks (namespaces)" "$here/continuity/test_lab.sh" "$b"
suite "continuity: service alerts, SLA report, status page (loopback, ASan+UBSan, Chromium)" "$here/continuity/test_alerts.sh" "$san"
suite "continuity: backup checks of restic, borg and dump directories, borgmatic (loopback, ASan+UBSan)" "$here/continuity/test_backup.sh" "$san"
suite "continuity: the inventory reloaded without a restart (loopback, ASan+UBSan)" "$here/continuity/test_reload.sh" "$san"
suite "gateway link to the console (namespaces)" "$here/console/test_gateway_link.sh" "$b"
suite "the console pushes the inventory to a gateway (namespaces)" "$here/console/test_inventory_push.sh" "$b"
# The agent beside the console, both under ASan+UBSan; then the agent's
# findings against the yara command's on the same files and rules.
# Alert hooks against rsyslog, aiosmtpd and a webhook receiver (~1 min).
suite "alert hooks (loopback, real receivers)" "$here/console/test_hooks.sh" "$b"
suite "console metrics (loopback, ASan+UBSan, promtool)" "$here/console/test_metrics.sh" "$san"
suite "alert hooks made in the console (REST, Chromium, rsyslog, ASan+UBSan)" "$here/console/test_hooks_edit.sh" "$san"
suite "alert hooks: escalation (rsyslog, ASan+UBSan)" "$here/console/test_hooks_escalate.sh" "$san"
suite "agent and console (loopback, ASan+UBSan)" "$here/agent/test_agent.sh" "$san"
suite "agent agrees with yara" "$here/agent/test_yara_agree.sh" "$b"
suite "console web UI (headless Chromium)" /usr/bin/python3 "$here/console/test_browser.py" "$b" "$b/test-artifacts/console"
suite "man pages (mandoc -Tlint)" "$here/pkg/test_man.sh"
suite "systemd units (systemd-analyze security)" "$here/pkg/test_units.sh"
# make check-install: the packages on a fresh Debian 12 in systemd-nspawn.
suite "fresh-machine install (debootstrap, systemd-nspawn)" "$here/pkg/test_install.sh" "$(dirname "$b")/deb-install"
suite_wait fuzzbuild
suite "fuzz (short)" "$here/fuzz/run.sh" --prebuilt "${KASTRO_FUZZ_SECONDS:-3}"

pass=$(grep -c '^PASS' "$KASTRO_RESULTS")
fail=$(grep -c '^FAIL' "$KASTRO_RESULTS")
skip=$(grep -c '^SKIP' "$KASTRO_RESULTS")
if [ "$fail" -gt 0 ]; then
	echo "== failed:"
	grep '^FAIL' "$KASTRO_RESULTS"
fi
echo "check: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
