#!/bin/bash
# Push checks on a cron schedule, for real on loopback: a console with a
# check that runs every minute ("* * * * *", grace 1m) and one at 02:00
# UTC; kastro-console -n shows them; a bad schedule is refused with
# file:line:col; after a ping the minute check is up, and late from the
# next minute on (the job's next run is due then), not yet down.
#
# usage: tests/continuity/test_push_schedule.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=continuity/push-schedule
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
. "$here/../console/console_lib.sh"
chmod 755 "$tmp"
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }

U1=5a0c2d1e-5c4f-4f59-9a44-3c2c8a7f0e11
U2=5a0c2d1e-5c4f-4f59-9a44-3c2c8a7f0e12
cat >"$tmp/services.conf" <<CONF
service "files" {
    owner "it"
    check push "minutely" uuid "$U1" schedule "* * * * *" grace 1m
    check push "nightly" uuid "$U2" schedule "0 2 * * *" tz "UTC" grace 2h
}
CONF
write_conf 'include "services.conf"'
"$CONSOLE" -n -c "$conf" >"$tmp/n.out" 2>&1
if grep -q "check push \"minutely\" uuid \"$U1\" schedule \"\* \* \* \* \*\" tz \"local\" grace 1m" "$tmp/n.out" &&
	grep -q "check push \"nightly\" uuid \"$U2\" schedule \"0 2 \* \* \*\" tz \"UTC\" grace 2h" "$tmp/n.out"; then
	t_pass "$T: kastro-console -n shows the schedules and their zones"
else
	t_fail "$T: -n: $(grep push "$tmp/n.out" | tr '\n' '|')"
fi
printf 'service "x" {\n    check push "j" uuid "%s" schedule "0 25 * * *"\n}\n' "$U1" >"$tmp/bad.conf"
write_conf 'include "bad.conf"'
"$CONSOLE" -n -c "$conf" >"$tmp/bad.out" 2>&1
grep -q "bad.conf:2:.*the hour field '25' is out of range, expected 0 to 23" "$tmp/bad.out" &&
	t_pass "$T: a bad schedule is refused with file:line:col and the field" ||
	t_fail "$T: bad schedule: $(head -n 2 "$tmp/bad.out" | tr '\n' '|')"
printf 'service "x" {\n    check push "j" uuid "%s" schedule "@daily" period 1d\n}\n' "$U1" >"$tmp/bad.conf"
"$CONSOLE" -n -c "$conf" >"$tmp/bad.out" 2>&1
grep -q "bad.conf:2:.*a period or a schedule, not both" "$tmp/bad.out" &&
	t_pass "$T: a period and a schedule together are refused" ||
	t_fail "$T: period and schedule: $(head -n 2 "$tmp/bad.out" | tr '\n' '|')"

write_conf 'include "services.conf"'
start_console || { t_fail "$T: console did not start: $(tail -n 5 "$log")"; t_done; }
state() { db "SELECT state FROM svc_checks WHERE service = 'files' AND key = '$1'"; }
# ping early in a minute, so that "up" is seen before the minute ends
while [ "$(date +%S)" -gt 45 ]; do sleep 1; done
curl -fsS --cacert "$data/ca.crt" "https://127.0.0.1:$HP/ping/$U1" >/dev/null ||
	t_fail "$T: ping refused"
sleep 1
[ "$(state minutely)" = up ] && t_pass "$T: after a ping the minute check is up" ||
	t_fail "$T: after a ping: '$(state minutely)'"
# the next run was due at the start of the next minute; grace 1m: late, not down
sleep $((62 - $(date +%S | sed 's/^0//')))
[ "$(state minutely)" = late ] && t_pass "$T: when the next scheduled run passes without a ping it is late" ||
	t_fail "$T: after the next minute: '$(state minutely)'"
[ "$(state nightly)" = new ] && t_pass "$T: the nightly check waits for its first ping" ||
	t_fail "$T: nightly: '$(state nightly)'"
t_done
