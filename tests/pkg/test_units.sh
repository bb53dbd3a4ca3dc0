#!/bin/sh
# The systemd units of the packages (packaging/debian/*.service): print
# `systemd-analyze security` for each, offline (the unit files as shipped),
# and hold each to its target: kastro-console 2.0 or less, kastrod and
# kastro-agent 4.0 or less. Each unit says in its header what keeps its
# score above zero. Also checks that each is Type=notify with a watchdog
# and a restart limit, as the packages promise.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
d=$top/packaging/debian

for spec in kastrod:4.0 kastro-console:2.0 kastro-agent:4.0; do
	u=${spec%%:*}
	max=${spec#*:}
	f=$d/$u.service
	if [ ! -f "$f" ]; then
		t_fail "units: $u.service is missing"
		continue
	fi
	line=$(systemd-analyze security --offline=true "$f" 2>&1 | grep 'Overall exposure level')
	score=$(echo "$line" | sed -n 's/.*: \([0-9][0-9.]*\) .*/\1/p')
	echo "  $u.service: exposure ${score:-?} (target <= $max)"
	if [ -z "$score" ]; then
		t_fail "units: systemd-analyze security gave no score for $u.service"
	elif awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }'; then
		t_pass "units: $u.service exposure $score <= $max"
	else
		t_fail "units: $u.service exposure $score > $max"
	fi
	ok=1
	for k in '^Type=notify$' '^WatchdogSec=' '^Restart=on-failure$' '^StartLimitBurst=' \
		'^NoNewPrivileges=yes$' '^ProtectSystem=strict$' '^CapabilityBoundingSet=' \
		'^SystemCallFilter=@system-service seccomp$' '^MemoryDenyWriteExecute=yes$'; do
		grep -q "$k" "$f" || { ok=0; t_fail "units: $u.service lacks $k"; }
	done
	[ "$ok" = 1 ] && t_pass "units: $u.service is Type=notify with watchdog, restart limit and sandbox"
done
# The metrics job (oneshot, not a daemon): no target of the issue's, shown
# for completeness and held to the console's.
line=$(systemd-analyze security --offline=true "$d/kastro-metrics.service" 2>&1 | grep 'Overall exposure level')
score=$(echo "$line" | sed -n 's/.*: \([0-9][0-9.]*\) .*/\1/p')
echo "  kastro-metrics.service: exposure ${score:-?} (target <= 2.0)"
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
	t_pass "units: kastro-metrics.service exposure $score <= 2.0"
else
	t_fail "units: kastro-metrics.service exposure '${score}' > 2.0"
fi
t_done
