#!/bin/bash
# Backup checks for real, on loopback: repositories made here with Debian's
# restic and borg (fresh, stale, shrunk, with a bit flipped in a data pack
# or a segment) and a directory of dumps with its SHA256SUMS; an enrolled
# kastro-agent checks the backups its backups.conf names, the console
# takes what the inventory gives that agent and judges it against the
# service's RPO: a stale snapshot, a failed integrity check, a failed
# restore test and a shrink raise service alerts, and a fresh snapshot
# resolves the stale one. A backup the inventory gives another host is
# refused. The repository password is never in the agent's log or events.
# Then borgmatic with its healthchecks hook pointed at the console's
# /ping/UUID records start, success and fail.
#
# usage: tests/continuity/test_backup.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=continuity/backup
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
CONSOLE=$B/kastro-console
AGENT=$B/kastro-agent
CTL=$B/kastroctl
UUID=5b6c7d8e-1f2a-4b3c-8d4e-5f6a7b8c9d0e

for tool in curl sqlite3 python3 restic borg; do
	command -v "$tool" >/dev/null 2>&1 || { t_fail "$T: $tool not installed (packaging/deps.sh test)"; t_done; }
done
[ -x "$AGENT" ] && [ -x "$CONSOLE" ] || { t_fail "$T: kastro-agent or kastro-console not built"; t_done; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kastro-backup-test.XXXXXX") || { t_fail "$T: no scratch dir"; t_done; }
chmod 755 "$tmp"
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }
cpid="" apid=""
cleanup() { t_stop_pid "$apid"; t_stop_pid "$cpid"; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r HP SP < <(t_free_ports 2)
data=$tmp/console
clog=$tmp/console.log
csock=$tmp/console.sock
adir=$tmp/agent
alog=$tmp/agent.log
CA=$data/ca.crt
URL=https://127.0.0.1:$HP
HOST=$(hostname)
db() { sqlite3 -cmd '.timeout 5000' "$data/console.db" "$@"; }
ctl() { "$CTL" -s "$csock" "$@"; }

# ---- repositories -------------------------------------------------------------------
PASS=kastro-test-$RANDOM-$RANDOM-secret
printf '%s\n' "$PASS" >"$tmp/repo.pass"
chmod 600 "$tmp/repo.pass"
export RESTIC_PASSWORD_FILE=$tmp/repo.pass RESTIC_CACHE_DIR=$tmp/restic-cache BORG_BASE_DIR=$tmp/borg-base
mkdir -p "$tmp/src/docs" "$tmp/small"
for i in 1 2 3 4 5 6; do head -c $((20000 + i * 1000)) /dev/urandom >"$tmp/src/docs/f$i.bin"; done
printf 'Πληρωμές\n' >"$tmp/src/readme.txt"
printf 'x\n' >"$tmp/small/only.txt"
mkrestic() {  # mkrestic REPO [restic backup args...]
	_r=$1; shift
	restic -r "$_r" init -q >/dev/null 2>&1 && restic -r "$_r" backup -q "$@" >/dev/null 2>&1
}
mkrestic "$tmp/restic-fresh" "$tmp/src" || { t_fail "$T: restic: cannot make a repository"; t_done; }
mkrestic "$tmp/restic-stale" --time "$(date -d '-2 days' '+%Y-%m-%d %H:%M:%S')" "$tmp/src"
mkrestic "$tmp/restic-shrunk" "$tmp/src" && restic -r "$tmp/restic-shrunk" backup -q "$tmp/small" >/dev/null 2>&1
mkrestic "$tmp/restic-flipped" "$tmp/src"
# one bit of the largest pack (file data, not trees): reading it back must fail
pack=$(ls -S "$tmp"/restic-flipped/data/*/* | head -n 1)
chmod 600 "$pack"
python3 -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0x10; open(p, "wb").write(b)' "$pack"
mkborg() {  # mkborg REPO
	borg init -e repokey "$1" 3<"$tmp/repo.pass" >/dev/null 2>&1 &&
		BORG_PASSPHRASE_FD=3 borg create "$1::a1" "$tmp/src" 3<"$tmp/repo.pass" >/dev/null 2>&1
}
export BORG_PASSPHRASE_FD=3
mkborg "$tmp/borg-fresh" || { t_fail "$T: borg: cannot make a repository"; t_done; }
mkborg "$tmp/borg-corrupt"
seg=$(ls -S "$tmp"/borg-corrupt/data/*/* | head -n 1)
python3 -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0x10; open(p, "wb").write(b)' "$seg"
unset BORG_PASSPHRASE_FD
mkdir -p "$tmp/dumps"
printf 'dump one\n' >"$tmp/dumps/erp-1.sql"
touch -d '-1 hour' "$tmp/dumps/erp-1.sql"
printf 'dump two, a bit longer\n' >"$tmp/dumps/erp-2.sql"
(cd "$tmp/dumps" && sha256sum erp-1.sql erp-2.sql >SHA256SUMS)
t_pass "$T: repositories made: restic fresh, stale, shrunk, flipped; borg fresh, corrupt; a dump directory"

# ---- console and inventory -------------------------------------------------------------
"$CONSOLE" init --data "$data" --name 127.0.0.1 >"$tmp/init.out" 2>&1 || { t_fail "$T: console init: $(cat "$tmp/init.out")"; t_done; }
fp=$(sed -n 's/^CA fingerprint: //p' "$tmp/init.out")
cat >"$tmp/services.conf" <<EOF
service "e-payments" {
    address 10.20.0.17
    owner "finance" rpo 1h rto 4h
    backup restic "$tmp/restic-fresh" host "$HOST"
    backup borg "$tmp/borg-fresh" host "$HOST"
    backup dir "$tmp/dumps" host "$HOST"
    check push "nightly-backup" uuid "$UUID" period 1d grace 1h
}
service "archives" {
    address 10.20.0.18
    owner "culture" rpo 1h criticality high
    backup restic "$tmp/restic-stale" host "$HOST"
    backup restic "$tmp/restic-shrunk" host "$HOST"
}
service "erp" {
    address 10.20.0.30
    owner "it" rpo 1d
    backup restic "$tmp/restic-flipped" host "$HOST"
    backup borg "$tmp/borg-corrupt" host "$HOST"
    backup restic "$tmp/restic-fresh-elsewhere" host "another-host"
    backup restic "$tmp/restic-missing" host "$HOST"
}
EOF
cat >"$tmp/console.conf" <<EOF
data "$data"
listen https on 127.0.0.1 port $HP
listen sensors on 127.0.0.1 port $SP
control "$csock"
include "services.conf"
EOF
"$CONSOLE" -c "$tmp/console.conf" >>"$clog" 2>&1 &
cpid=$!
t_wait_for 10 test -S "$csock" && t_wait_for 10 grep -q ready "$clog" || { t_fail "$T: console did not start: $(tail -n 5 "$clog")"; t_done; }

# ---- the agent ---------------------------------------------------------------------------
mkdir -p "$tmp/rules"
printf 'rule Kastro_Test_Nothing { condition: false }\n' >"$tmp/rules/t.yar"
cat >"$tmp/agent.conf" <<EOF
console { address "127.0.0.1" port $SP enroll-port $HP }
dir "$adir"
rules "$tmp/rules"
heartbeat 10s
EOF
bk() {  # bk NAME KIND REPO SERVICE: a backups.conf block, every part of the data read
	printf 'backup "%s" {\n    service "%s"\n    %s "%s"\n' "$1" "$4" "$2" "$3"
	[ "$2" = dir ] || printf '    password-file "%s"\n' "$tmp/repo.pass"
	printf '    verify-every 1d verify-over 1d restore-sample 3\n}\n'
}
{
	bk fresh restic "$tmp/restic-fresh" e-payments
	bk bfresh borg "$tmp/borg-fresh" e-payments
	bk dumps dir "$tmp/dumps" e-payments
	bk stale restic "$tmp/restic-stale" archives
	bk shrunk restic "$tmp/restic-shrunk" archives
	bk flipped restic "$tmp/restic-flipped" erp | sed "s/restore-sample 3/restore-sample 20/"
	# every file restored: the flipped bit is in one of them
	bk bcorrupt borg "$tmp/borg-corrupt" erp | sed 's/restore-sample 3/restore-sample 20/'
	# the inventory gives this one to another host: the console refuses it
	bk elsewhere restic "$tmp/restic-fresh" erp
	# no repository there: the agent cannot list it
	bk missing restic "$tmp/restic-missing" erp
} >"$tmp/backups.conf"
if "$AGENT" -n -c "$tmp/agent.conf" >/dev/null 2>"$tmp/n.err" &&
	grep -q "backup \"fresh\": restic $tmp/restic-fresh of service e-payments" "$tmp/n.err"; then
	t_pass "$T: kastro-agent -n reads backups.conf beside agent.conf"
else
	t_fail "$T: -n: $(tr '\n' '|' <"$tmp/n.err")"
fi
mkdir -p "$tmp/badbk"
printf 'backup "x" {\n  service "s"\n  restic "/r"\n  evry 5m\n}\n' >"$tmp/badbk/backups.conf"
cp "$tmp/agent.conf" "$tmp/badbk/agent.conf"
if ! "$AGENT" -n -c "$tmp/badbk/agent.conf" >/dev/null 2>"$tmp/bad.err" &&
	grep -q "backups.conf:4:3: unexpected 'evry', expected service" "$tmp/bad.err"; then
	t_pass "$T: an error in backups.conf names file:line:col"
else
	t_fail "$T: bad backups.conf: $(head -n 1 "$tmp/bad.err")"
fi
chmod 644 "$tmp/repo.pass"
if out=$("$AGENT" backup -c "$tmp/agent.conf" fresh status) ||
	! echo "$out" | grep -q 'others may read it'; then
	t_fail "$T: a password file others may read was used: $out"
else
	t_pass "$T: a password file others may read is refused"
fi
chmod 600 "$tmp/repo.pass"

sid=$(t_agent_enroll "$CTL" "$csock" "$AGENT" "$tmp/agent.conf" "$fp" 2>"$tmp/e1.err") ||
	{ t_fail "$T: enrol: $(cat "$tmp/e1.err")"; t_done; }
start_agent() {
	"$AGENT" -c "$tmp/agent.conf" -s "$tmp/agent.sock" >>"$alog" 2>&1 &
	apid=$!
	t_wait_for 20 grep -q 'running as sensor' "$alog"
}
: >"$alog"
start_agent || { t_fail "$T: agent did not start: $(tail -n 5 "$alog")"; t_done; }

st() {  # st SERVICE REPO COLUMN
	db "select $3 from backup_state where service='$1' and repo='$2'"
}
# every check of every backup reported: the last is the missing one's restore test
all_in() { [ "$(st erp "$tmp/restic-missing" restore_at)" -gt 0 ] 2>/dev/null; }
if t_wait_for 90 all_in; then
	t_pass "$T: the agent's checks reached the console ($(db 'select count(*) from events where event_type="backup"') events)"
else
	t_fail "$T: backup states: $(db 'select service, repo, last_report from backup_state' | tr '\n' ' '); $(tail -n 5 "$alog")"
fi

alert_of() {  # alert_of SERVICE KEY-PART: status of the service's alert for it, "" if none
	db "select status from alerts where kind='service' and host='$1' and signature like '%$2%' order by id desc limit 1"
}
# fresh: RPO met, verified, restored, no alert
[ "$(st e-payments "$tmp/restic-fresh" "rpo_state||verify_ok||restore_ok")" = OK11 ] &&
	[ -z "$(alert_of e-payments "restic-fresh")" ] &&
	t_pass "$T: restic, fresh: RPO met, integrity check and restore test passed, no alert" ||
	t_fail "$T: restic fresh: $(db "select * from backup_state where repo='$tmp/restic-fresh'")"
[ "$(st e-payments "$tmp/borg-fresh" "rpo_state||verify_ok||restore_ok")" = OK11 ] &&
	[ -z "$(alert_of e-payments "borg-fresh")" ] &&
	t_pass "$T: borg, fresh: RPO met, verify-data and restore test passed, no alert" ||
	t_fail "$T: borg fresh: $(db "select * from backup_state where repo='$tmp/borg-fresh'")"
[ "$(st e-payments "$tmp/dumps" "rpo_state||verify_ok||newest_id||size")" = "OK1erp-2.sql23" ] &&
	t_pass "$T: dump directory: newest file erp-2.sql, 23 bytes, manifest verified" ||
	t_fail "$T: dumps: $(db "select * from backup_state where repo='$tmp/dumps'")"
# stale: an alert for the RPO
[ "$(st archives "$tmp/restic-stale" rpo_state)" = CRITICAL ] &&
	[ "$(alert_of archives "restic-stale: rpo")" = new ] &&
	t_pass "$T: restic, snapshot 2 days old against an RPO of 1h: RPO missed, alert raised" ||
	t_fail "$T: stale: $(st archives "$tmp/restic-stale" rpo_state) alert '$(alert_of archives "restic-stale: rpo")'"
sev=$(db "select severity from alerts where kind='service' and signature like '%restic-stale: rpo%'")
[ "$sev" = 2 ] && t_pass "$T: ... severity 2 for a service of criticality high" || t_fail "$T: severity '$sev'"
# shrunk: a warning
[ "$(st archives "$tmp/restic-shrunk" "shrunk||size")" = "1$(stat -c %s "$tmp/small/only.txt")" ] &&
	[ "$(alert_of archives "restic-shrunk: size")" = new ] &&
	t_pass "$T: restic, newest snapshot shrunk to a file of 2 bytes: size warning raised" ||
	t_fail "$T: shrunk: $(st archives "$tmp/restic-shrunk" "shrunk, size, prev_size") alert '$(alert_of archives "restic-shrunk: size")'"
# a flipped bit: integrity and restore fail
[ "$(st erp "$tmp/restic-flipped" "verify_ok||restore_ok")" = 00 ] &&
	[ "$(alert_of erp "restic-flipped: integrity")" = new ] && [ "$(alert_of erp "restic-flipped: restore")" = new ] &&
	t_pass "$T: restic, a bit flipped in a data pack: check --read-data-subset and the restore test fail, two alerts" ||
	t_fail "$T: flipped: $(db "select verify_ok, verify_error, restore_ok, restore_error from backup_state where repo='$tmp/restic-flipped'")"
[ "$(st erp "$tmp/borg-corrupt" "verify_ok||restore_ok")" = 00 ] &&
	[ "$(alert_of erp "borg-corrupt: integrity")" = new ] && [ "$(alert_of erp "borg-corrupt: restore")" = new ] &&
	t_pass "$T: borg, a bit flipped in a segment: check --verify-data and the restore test fail, two alerts" ||
	t_fail "$T: borg corrupt: $(db "select verify_ok, verify_error, restore_ok, restore_error from backup_state where repo='$tmp/borg-corrupt'")"
# a repository the agent cannot list: UNKNOWN, with the tool's message
[ "$(st erp "$tmp/restic-missing" "rpo_state||status_ok")" = UNKNOWN0 ] &&
	[ "$(alert_of erp "restic-missing: rpo")" = new ] &&
	[ -n "$(db "select 1 from alerts where kind='service' and signature like '%restic-missing: rpo%' and severity = 4")" ] &&
	t_pass "$T: a repository the agent cannot list: RPO state UNKNOWN, an alert one severity lower (4 for a medium service)" ||
	t_fail "$T: missing: $(db "select rpo_state, status_ok, status_error from backup_state where repo='$tmp/restic-missing'")"
# not this agent's: refused
[ -z "$(st erp "$tmp/restic-fresh" service)" ] && grep -q "refused: the inventory gives it no such backup" "$clog" &&
	t_pass "$T: a backup the inventory does not give this agent is refused" ||
	t_fail "$T: unassigned: '$(st erp "$tmp/restic-fresh" service)'"
st_agent=$("$CTL" -s "$tmp/agent.sock" agent status 2>&1)
runs=$(echo "$st_agent" | sed -n 's/^backup_checks=//p')
failed=$(echo "$st_agent" | sed -n 's/^backup_checks_failed=//p')
# 9 backups, 3 checks each but the dump directory's 2; 7 failed: the flipped ones' and the missing one's
if echo "$st_agent" | grep -q '^backups=9$' && [ "${runs:-0}" -eq 26 ] && [ "${failed:-0}" -eq 7 ]; then
	t_pass "$T: kastroctl agent status: 9 backups, $runs checks run, $failed failed"
else
	t_fail "$T: agent status: $(echo "$st_agent" | grep backup | tr '\n' ' ')"
fi
# the password stays on the agent
if grep -rq "$PASS" "$alog" "$clog" || [ -n "$(db "select 1 from events where body like '%$PASS%' limit 1")" ]; then
	t_fail "$T: the repository password is in a log or an event"
else
	t_pass "$T: the repository password is in no log and no event"
fi
# the REST API and what it costs
pw=$(sed -n 's/^admin password: //p' "$tmp/init.out")
api() { curl -sS --cacert "$CA" -b "$tmp/cj" -c "$tmp/cj" "$@"; }
api -o /dev/null -X POST -H 'Content-Type: application/json' \
	--data "{\"user\":\"admin\",\"password\":\"$pw\"}" "$URL/api/v1/login"
if api -o "$tmp/svc.json" "$URL/api/v1/services/archives" &&
	python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
b = {x["repository"]: x for x in s["backups"]}
st = b[sys.argv[2] + "/restic-stale"]
assert st["rpo_state"] == "CRITICAL" and st["age"] > 86400 and st["rpo"] == 3600, st
assert st["verify_ok"] is True and st["restore_ok"] is True, st
sh = b[sys.argv[2] + "/restic-shrunk"]
assert sh["shrunk"] is True and len(sh["sizes"]) >= 1, sh' "$tmp/svc.json" "$tmp"; then
	t_pass "$T: the REST API shows each backup's age against the RPO, last verified and last restore test"
else
	t_fail "$T: REST: $(head -c 600 "$tmp/svc.json" 2>/dev/null)"
fi
# the month's SLA report: each backup's newest snapshot against the RPO
if api -o "$tmp/sla.json" "$URL/api/v1/sla" && python3 -c 'import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["services"]}
r = {c["check"]: c for x in s.values() for c in x["rpo_checks"]}
t = sys.argv[2]
assert r["backup restic " + t + "/restic-stale"]["met"] is False, r
assert r["backup restic " + t + "/restic-shrunk"]["met"] is True, r
assert r["backup borg " + t + "/borg-fresh"]["met"] is True, r
assert r["backup dir " + t + "/dumps"]["met"] is True, r
assert r["backup restic " + t + "/restic-missing"]["met"] is None, r' "$tmp/sla.json" "$tmp"; then
	t_pass "$T: the SLA report judges the newest snapshot of each backup against the RPO (missed, met, unknown)"
else
	t_fail "$T: SLA: $(head -c 800 "$tmp/sla.json")"
fi
# the Services page in headless Chromium (trusting exactly this console's key)
spki=$(openssl pkey -in "$data/server.key" -pubout -outform DER | openssl dgst -sha256 -binary | base64)
py=/usr/bin/python3; [ -x "$py" ] || py=python3
"$py" "$here/ui_backups.py" "$URL" "$pw" "$spki" "$tmp" >"$tmp/ui.out" 2>&1
case $? in
0) t_pass "$T: the Services page shows each service's backup age against its RPO, last verified and last restore test" ;;
77) t_skip "$T: the Services page: chromium or python3-selenium missing" ;;
*) t_fail "$T: the Services page: $(tail -n 3 "$tmp/ui.out" | tr '\n' ' ')" ;;
esac
cost=$(db "select json_extract(body, '$.backup.check')||' '||json_extract(body, '$.backup.duration_ms')||'ms cpu '||json_extract(body, '$.backup.cpu_ms')||'ms read '||json_extract(body, '$.backup.read_bytes')||' written '||json_extract(body, '$.backup.write_bytes') from events where event_type='backup' and body like '%restic-fresh\"%' and body like '%\"name\":\"fresh\"%'" | tr '\n' ';')
echo "$T: restic-fresh checks: $cost"

# ---- recovery: a fresh snapshot resolves the stale alert -------------------------------
restic -r "$tmp/restic-stale" backup -q "$tmp/src" >/dev/null 2>&1
t_stop_pid "$apid"
apid=""
start_agent
if t_wait_eq 60 OK st archives "$tmp/restic-stale" rpo_state && t_wait_eq 10 resolved alert_of archives "restic-stale: rpo"; then
	t_pass "$T: a fresh snapshot: RPO met again, the alert resolved with a note"
else
	t_fail "$T: recovery: $(st archives "$tmp/restic-stale" rpo_state) alert '$(alert_of archives "restic-stale: rpo")'"
fi

# ---- borgmatic's healthchecks hook against the console's ping API -------------------------
if command -v borgmatic >/dev/null 2>&1; then
	cat >"$tmp/borgmatic.yaml" <<EOF
location:
    source_directories:
        - $tmp/src
    repositories:
        - $tmp/borg-fresh
storage:
    encryption_passcommand: cat $tmp/repo.pass
    borg_base_directory: $tmp/borg-base
retention:
    keep_daily: 7
hooks:
    healthchecks: $URL/ping/$UUID
EOF
	pings() { db "select group_concat(what, ',') from (select what from svc_pings where service='e-payments' order by ts, rowid)"; }
	REQUESTS_CA_BUNDLE=$CA borgmatic -c "$tmp/borgmatic.yaml" create >"$tmp/bm1.log" 2>&1
	if [ "$(db "select state from svc_checks where service='e-payments' and key='nightly-backup'")" = up ] &&
		pings | grep -q 'start,success'; then
		t_pass "$T: borgmatic's healthchecks hook: start then success recorded, the push check is up"
	else
		t_fail "$T: borgmatic success: pings '$(pings)'; $(tail -n 5 "$tmp/bm1.log")"
	fi
	sed "s#- $tmp/borg-fresh#- $tmp/no-such-repo#" "$tmp/borgmatic.yaml" >"$tmp/borgmatic-bad.yaml"
	REQUESTS_CA_BUNDLE=$CA borgmatic -c "$tmp/borgmatic-bad.yaml" create >"$tmp/bm2.log" 2>&1
	if [ "$(db "select state from svc_checks where service='e-payments' and key='nightly-backup'")" = down ] &&
		pings | grep -q 'fail'; then
		t_pass "$T: borgmatic failing: fail recorded, the push check is down"
	else
		t_fail "$T: borgmatic fail: pings '$(pings)'; $(tail -n 5 "$tmp/bm2.log")"
	fi
else
	t_fail "$T: borgmatic not installed (packaging/deps.sh test)"
fi
t_done
