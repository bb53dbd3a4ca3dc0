#!/bin/bash
# kastro-agent for real beside a real kastro-console on loopback: enrolment
# (a wrong CA pin refused), findings of an on-demand scan stored as alerts,
# quarantine and restore, a rescan of a changed file in a watched
# directory, heartbeats with the host's inventory, a rule bundle pushed from
# the console (a broken one refused, the old rules kept), an on-demand scan
# from the console, the console killed during a scan, the agent killed
# (-9) with a full spool whose last record is then cut: every finding
# arrives exactly once and the damage is reported. The scanning child:
# started before any thread, long-lived, replaced after a kill or a hang
# with the scan still reported. The quarantine through the REST API and
# the web UI's Quarantine page (headless Chromium, quarantine_ui.py).
#
# usage: tests/agent/test_agent.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=agent
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
CONSOLE=$B/kastro-console
AGENT=$B/kastro-agent
CTL=$B/kastroctl

for tool in curl sqlite3 python3 sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || { t_fail "$T: $tool not installed (packaging/deps.sh test)"; t_done; }
done
[ -x "$AGENT" ] && [ -x "$CONSOLE" ] || { t_fail "$T: kastro-agent or kastro-console not built"; t_done; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kastro-agent-test.XXXXXX") || { t_fail "$T: no scratch dir"; t_done; }
# the console drops root for its own user, which must reach its data and
# the rules pushed from here
chmod 755 "$tmp"
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }
cpid="" apid="" a2pid="" ppid=""
cleanup() { t_stop_pid "$apid"; t_stop_pid "$a2pid"; t_stop_pid "$ppid"; t_stop_pid "$cpid"; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r HP SP < <(t_free_ports 2)
data=$tmp/console
clog=$tmp/console.log
csock=$tmp/console.sock
adir=$tmp/agent
alog=$tmp/agent.log
asock=$tmp/agent.sock
db() { sqlite3 -cmd '.timeout 5000' "$data/console.db" "$@"; }
ctl() { "$CTL" -s "$csock" "$@"; }
actl() { "$CTL" -s "$asock" "$@"; }

"$CONSOLE" init --data "$data" --name 127.0.0.1 >"$tmp/init.out" 2>&1 || { t_fail "$T: console init: $(cat "$tmp/init.out")"; t_done; }
fp=$(sed -n 's/^CA fingerprint: //p' "$tmp/init.out")
cat >"$tmp/console.conf" <<EOF
data "$data"
listen https on 127.0.0.1 port $HP
listen sensors on 127.0.0.1 port $SP
control "$csock"
sensor offline-after 30s
EOF
start_console() {
	"$CONSOLE" -c "$tmp/console.conf" >>"$clog" 2>&1 &
	cpid=$!
	t_wait_for 10 test -S "$csock" && t_wait_for 10 grep -q ready "$clog"
}
: >"$clog"
start_console || { t_fail "$T: console did not start: $(tail -n 5 "$clog")"; t_done; }

# ---- rules, files, configuration --------------------------------------------
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
mkdir -p "$tmp/rules" "$tmp/tree/sub" "$tmp/watch" "$tmp/big" "$tmp/big2"
cat >"$tmp/rules/test.yar" <<'EOF'
rule Kastro_Test_EICAR : malware_test
{
	meta:
		description = "The EICAR anti-virus test file"
		score = 70
	strings:
		$e = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
	condition:
		$e
}
rule Kastro_Test_Quarantine : quarantine_me
{
	strings:
		$q = "KASTRO-QUARANTINE-ME"
	condition:
		$q
}
EOF
printf '%s' "$EICAR" >"$tmp/tree/eicar.com"
printf 'harmless text\n' >"$tmp/tree/readme.txt"
cp /bin/true "$tmp/tree/sub/true.bin"
printf 'xx KASTRO-QUARANTINE-ME xx\n' >"$tmp/tree/sub/bad.doc"
chmod 640 "$tmp/tree/sub/bad.doc"
qsum=$(sha256sum <"$tmp/tree/sub/bad.doc")
cat >"$tmp/agent.conf" <<EOF
console { address "127.0.0.1" port $SP enroll-port $HP }
dir "$adir"
rules "$tmp/rules"
heartbeat 10s
scan {
	path { "$tmp/tree" "$tmp/big" "$tmp/big2" }
	watch "$tmp/watch"
	schedule every 1d
}
quarantine { tags { "quarantine_me" } dir "$tmp/quarantine" }
EOF
if "$AGENT" -n -c "$tmp/agent.conf" >"$tmp/n.out" 2>"$tmp/n.err" && grep -q 'configuration OK; rules [0-9a-f]\{64\}: 2 rules' "$tmp/n.err"; then
	t_pass "$T: -n checks the configuration and compiles the rules"
	grep -q '^	max-size 64MB$' "$tmp/n.out" && grep -q '^	file-timeout 30s$' "$tmp/n.out" &&
		grep -q '^# kastro-agent scan on the command line has the same defaults: max-size 64MB, file-timeout 30s$' "$tmp/n.out" &&
		t_pass "$T: -n prints the size and time limits of the daemon and of the scan command, the same" ||
		t_fail "$T: -n limits: $(grep 'max-size\|timeout' "$tmp/n.out")"
else
	t_fail "$T: -n: $(cat "$tmp/n.err")"
fi
printf 'scan { path "relative" }\n' >"$tmp/bad.conf"
"$AGENT" -n -c "$tmp/bad.conf" >/dev/null 2>"$tmp/bad.err"
grep -q "bad.conf:1:" "$tmp/bad.err" && t_pass "$T: a bad configuration names file and line" ||
	t_fail "$T: bad configuration: $(cat "$tmp/bad.err")"

# ---- enrolment -------------------------------------------------------------------
tok=$(ctl token create --kind agent | sed -n 's/^token=//p')
if "$AGENT" enroll -c "$tmp/agent.conf" --token "$tok" --ca-fingerprint "SHA256:$(printf '%064d' 0)" >/dev/null 2>"$tmp/e0.err"; then
	t_fail "$T: enrolment with a wrong CA fingerprint succeeded"
elif grep -q 'does not match' "$tmp/e0.err" && [ ! -e "$adir/key.pem" ]; then
	t_pass "$T: enrolment refuses a console whose CA does not match the fingerprint"
else
	t_fail "$T: wrong pin: $(cat "$tmp/e0.err")"
fi
if sid=$("$AGENT" enroll -c "$tmp/agent.conf" --token "$tok" --ca-fingerprint "$fp" 2>"$tmp/e1.err") &&
	[ "$(stat -c %a "$adir/key.pem")" = 600 ] && [ "$(stat -c %a "$adir")" = 700 ]; then
	t_pass "$T: enrolled as $sid; key 0600 in a 0700 dir"
else
	t_fail "$T: enrol: $(cat "$tmp/e1.err")"
	t_done
fi
[ "$(db "select kind from sensors where id='$sid'")" = agent ] && t_pass "$T: the console knows it as an agent" ||
	t_fail "$T: sensor kind: $(db "select kind from sensors where id='$sid'")"

# a third agent enrols and never connects: pending, never offline (checked at the end)
cat >"$tmp/agent3.conf" <<EOF
console { address "127.0.0.1" port $SP enroll-port $HP }
dir "$tmp/agent3"
rules "$tmp/rules"
EOF
sid3=$(t_agent_enroll "$CTL" "$csock" "$AGENT" "$tmp/agent3.conf" "$fp" 2>"$tmp/e3.err")
enrolled3=$(date +%s)

start_agent() {
	"$AGENT" -c "$tmp/agent.conf" -s "$asock" >>"$alog" 2>&1 &
	apid=$!
	t_wait_for 20 test -S "$asock" && t_wait_for 10 grep -q 'running as sensor' "$alog"
}
: >"$alog"
start_agent || { t_fail "$T: agent did not start: $(tail -n 5 "$alog")"; t_done; }
t_pass "$T: agent runs"

# ---- an on-demand scan: findings, quarantine ---------------------------------------
findings() {  # findings PATH-PATTERN: finding events stored for paths like it
	db "select count(*) from events where sensor_id='$sid' and event_type='finding' and body like '%$1%'"
}
actl agent scan >/dev/null
if t_wait_eq 30 1 findings "$tmp/tree/eicar.com"; then
	t_pass "$T: the EICAR file's finding is in the console"
else
	t_fail "$T: EICAR finding: $(findings eicar.com) events; $(tail -n 5 "$alog")"
fi
a=$(db "select kind||' '||signature||' '||severity from alerts where sensor_id='$sid' and signature='Kastro_Test_EICAR'")
[ "$a" = "finding Kastro_Test_EICAR 2" ] && t_pass "$T: ... as an alert of kind finding (score 70: severity 2)" || t_fail "$T: alert: '$a'"
body=$(db "select body from events where sensor_id='$sid' and event_type='finding' and body like '%eicar.com%'")
if echo "$body" | python3 -c '
import json, sys, hashlib
e = json.load(sys.stdin); f = e["finding"]
eicar = sys.argv[1].encode()
assert f["rule"] == "Kastro_Test_EICAR", f
assert f["tags"] == ["malware_test"], f
assert f["size"] == len(eicar) and f["sha256"] == hashlib.sha256(eicar).hexdigest(), f
assert f["strings"][0]["id"] == "$e" and f["strings"][0]["offset"] == 28, f
assert f["action"] == "detected" and f["owner"] == "root", f
' "$EICAR"; then
	t_pass "$T: the finding carries rule, tags, meta, strings with offsets, size, sha256, owner"
else
	t_fail "$T: finding body: $body"
fi
if t_wait_eq 20 1 findings "bad.doc" && [ ! -e "$tmp/tree/sub/bad.doc" ]; then
	t_pass "$T: a file matched by a rule tagged for quarantine is moved away"
else
	t_fail "$T: quarantine: $(findings bad.doc) events, file $(ls "$tmp/tree/sub")"
fi
qid=$(actl agent quarantined | awk 'NR>1 && /bad.doc/ {print $1}')
qbody=$(db "select body from events where sensor_id='$sid' and event_type='finding' and body like '%bad.doc%'")
echo "$qbody" | grep -q "\"action\":\"quarantined\",\"quarantine_id\":\"$qid\"" &&
	t_pass "$T: the finding says quarantined, with the item's id ($qid)" || t_fail "$T: quarantine finding: $qbody"
if actl agent restore "$qid" >/dev/null && [ "$(sha256sum <"$tmp/tree/sub/bad.doc")" = "$qsum" ] &&
	[ "$(stat -c %a "$tmp/tree/sub/bad.doc")" = 640 ]; then
	t_pass "$T: kastroctl agent restore puts it back, same content and mode"
else
	t_fail "$T: restore of $qid: $(ls -l "$tmp/tree/sub")"
fi
sum=$(db "select body from events where sensor_id='$sid' and event_type='scan_summary' order by seq desc limit 1")
echo "$sum" | python3 -c '
import json, sys
s = json.load(sys.stdin)["scan"]
assert s["kind"] == "on-demand" and s["files_seen"] == 4 and s["findings"] == 2, s
assert "skipped_by" in s and "cache_hits" in s and "cpu_percent" in s, s
' && t_pass "$T: a scan summary with files seen, findings, skips, cache hits, CPU" || t_fail "$T: summary: $sum"

# ---- on-change --------------------------------------------------------------------
printf '%s' "$EICAR" >"$tmp/watch/download.com"
t_wait_eq 20 1 findings "$tmp/watch/download.com" &&
	t_pass "$T: a file written in a watched directory is scanned at once" ||
	t_fail "$T: on-change: $(findings download.com) events"

# ---- allowlist: a restored false positive stays -----------------------------------------
printf 'xx KASTRO-QUARANTINE-ME false positive xx\n' >"$tmp/watch/fp.doc"
fpsum=$(sha256sum <"$tmp/watch/fp.doc" | cut -d' ' -f1)
fpid() { actl agent quarantined | awk -v p="$tmp/watch/fp.doc" '$5 == p {print $1}' | tail -n 1; }
t_wait_for 20 sh -c "[ -n \"\$('$CTL' -s '$asock' agent quarantined | grep ' $tmp/watch/fp.doc\$')\" ]"
id1=$(fpid)
# without an allowlist the restored file is taken again at its next change event
actl agent restore "$id1" >/dev/null
if t_wait_for 20 sh -c "[ ! -e '$tmp/watch/fp.doc' ]" && [ -n "$(fpid)" ] && [ "$(fpid)" != "$id1" ]; then
	t_pass "$T: (without an allowlist a restored file is quarantined again on its change event)"
else
	t_fail "$T: restore without allowlist: $(ls "$tmp/watch"), $(fpid)"
fi
printf '# false positives\nsha256 %s\npath /nowhere/*\n' "$fpsum" >"$tmp/allow.txt"
out=$(ctl allow push "$tmp/allow.txt" "$sid")
acid=$(db "select id from commands where sensor_id='$sid' and type='allow' order by id desc limit 1")
astat() { db "select status from commands where id=$acid"; }
if echo "$out" | grep -q '^sha256=1$' && t_wait_eq 30 done astat &&
	db "select result from commands where id=$acid" | grep -q '"sha256":1'; then
	t_pass "$T: kastroctl allow push: the agent took the allowlist (1 sha256, 1 glob)"
else
	t_fail "$T: allow push: $out; $(db "select status, result from commands where type='allow'")"
fi
a0=$(actl agent status | sed -n 's/^allowed=//p')
actl agent restore "$(fpid)" >/dev/null
if t_wait_for 20 sh -c "[ \"\$('$CTL' -s '$asock' agent status | sed -n 's/^allowed=//p')\" -gt $a0 ]" &&
	sleep 1 && [ -f "$tmp/watch/fp.doc" ] && [ "$(sha256sum <"$tmp/watch/fp.doc" | cut -d' ' -f1)" = "$fpsum" ] &&
	[ -z "$(fpid)" ] && grep -q "allowed by sha256: rule Kastro_Test_Quarantine matches $tmp/watch/fp.doc" "$alog"; then
	t_pass "$T: with its sha256 allowed, a restored false positive is scanned on its change event and stays"
else
	t_fail "$T: allowlisted restore: $(ls "$tmp/watch"); $(actl agent status | grep allow); $(grep allowed "$alog" | tail -n 2)"
fi
if [ "$(db "select count(*) from audit where action='allow.push'")" -ge 1 ]; then
	t_pass "$T: ... the push is in the console's audit log"
else
	t_fail "$T: allow.push not audited"
fi

# ---- file names with a newline and not UTF-8 -------------------------------------------
nl_name="$tmp/watch/a
kastro-agent: error: forged line.com"
bad_name=$(printf '%s/watch/\377\376-bad.com' "$tmp")
printf '%s' "$EICAR" >"$nl_name"
printf '%s' "$EICAR" >"$bad_name"
printf 'xx KASTRO-QUARANTINE-ME xx\n' >"$tmp/watch/q
uar.doc"
t_wait_eq 20 1 findings "forged line.com"
b64_want=$(printf '%s' "$bad_name" | base64 -w0)
if t_wait_eq 20 1 db "select count(*) from events where sensor_id='$sid' and event_type='finding' and json_extract(body, '\$.finding.path_b64') = '$b64_want'" &&
	[ "$(db "select json_extract(body, '\$.finding.path') from events where sensor_id='$sid' and json_extract(body, '\$.finding.path_b64') = '$b64_want'")" = "$tmp/watch/\\xff\\xfe-bad.com" ]; then
	t_pass "$T: a path that is not UTF-8 arrives as path_b64 (the exact bytes) beside an escaped display form"
else
	t_fail "$T: non-UTF-8 path: $(db "select body from events where body like '%bad.com%'")"
fi
nlp=$(db "select json_extract(body, '\$.finding.path') from events where sensor_id='$sid' and body like '%forged line.com%' limit 1")
[ "$nlp" = "$nl_name" ] && t_pass "$T: a path with a newline arrives exactly (JSON escapes it)" || t_fail "$T: newline path: '$nlp'"
t_wait_for 20 sh -c "'$CTL' -s '$asock' agent quarantined | grep -q 'q\\\\x0auar.doc$'"
if ! grep -q '^kastro-agent: error: forged line' "$alog" && grep -q 'a\\x0akastro-agent: error: forged line.com' "$alog" &&
	grep -q -- '\\xff\\xfe-bad.com' "$alog"; then
	t_pass "$T: the agent's log shows those names escaped, never a forged line"
else
	t_fail "$T: log: $(grep -a -n 'forged\|bad.com' "$alog" | head -n 5)"
fi
if actl agent quarantined | grep -q "^q-[0-9a-f]* [0-9]* [0-9a-f]* [^ ]* $tmp/watch/q\\\\x0auar.doc$"; then
	t_pass "$T: kastroctl agent quarantined shows a name with a newline escaped, on one line"
else
	t_fail "$T: quarantined: $(actl agent quarantined | tail -n 3)"
fi

# ---- heartbeat ---------------------------------------------------------------------
hb=$(db "select body from events where sensor_id='$sid' and event_type='heartbeat' order by seq desc limit 1")
echo "$hb" | python3 -c '
import json, sys
a = json.load(sys.stdin)["agent"]
for k in ("agent_version", "os", "addresses", "rules_version", "last_scan", "spool", "cache"):
    assert k in a, k
assert len(a["rules_version"]) == 64
' && t_pass "$T: heartbeats carry the inventory (version, OS, addresses, rules, last scan)" || t_fail "$T: heartbeat: $hb"

# ---- rules pushed from the console ---------------------------------------------------
old=$(actl agent status | sed -n 's/^rules_version=//p')
# a tree as public sets are laid out: rules in subdirectories, an index
# that includes one of them (compiled once)
mkdir -p "$tmp/rules2/sub/deep"
cp "$tmp/rules/test.yar" "$tmp/rules2/"
cat >"$tmp/rules2/sub/deep/pushed.yar" <<'EOF'
rule Kastro_Test_Pushed { strings: $p = "KASTRO-PUSHED-RULE" condition: $p }
EOF
printf 'include "./sub/deep/pushed.yar"\n' >"$tmp/rules2/index.yar"
printf 'xx KASTRO-PUSHED-RULE xx\n' >"$tmp/tree/pushed.txt"
out=$(ctl rules push "$tmp/rules2")
ver=$(echo "$out" | sed -n 's/^version=//p')
if [ -n "$ver" ] && t_wait_for 30 sh -c "'$CTL' -s '$asock' agent status | grep -q '^rules_version=$ver$'"; then
	t_pass "$T: a rule tree pushed from the console is verified, compiled and in use ($ver)"
else
	t_fail "$T: rules push: $out; agent: $(actl agent status | grep rules)"
fi
rstat() { db "select status from commands where sensor_id='$sid' and type='rules' order by id desc limit 1"; }
t_wait_eq 20 done rstat &&
	t_pass "$T: ... and the agent reported the new version" || t_fail "$T: rules command: $(db "select status, result from commands where type='rules'")"
[ -f "$adir/rules/sub/deep/pushed.yar" ] && actl agent status | grep -q '^rules=3$' &&
	t_pass "$T: ... kept as a tree in the agent's dir, each rule compiled once" ||
	t_fail "$T: pushed tree: $(find "$adir/rules"), $(actl agent status | grep '^rules=')"
mkdir -p "$tmp/rules3"
printf 'rule broken { strings: $a = "x" condition: $b }\n' >"$tmp/rules3/broken.yar"
ctl rules push "$tmp/rules3" >/dev/null
t_wait_eq 30 failed rstat
res=$(db "select result from commands where sensor_id='$sid' and type='rules' order by id desc limit 1")
if echo "$res" | grep -q 'broken.yar:1' && actl agent status | grep -q "^rules_version=$ver$"; then
	t_pass "$T: a bundle that does not compile is refused with file:line, the rules in use stay"
else
	t_fail "$T: broken bundle: $res"
fi
mkdir -p "$tmp/rules4/sub" "$tmp/outside"
printf 'rule Outside { condition: true }\n' >"$tmp/outside/x.yar"
printf 'include "../../outside/x.yar"\n' >"$tmp/rules4/sub/index.yar"
out=$(ctl rules push "$tmp/rules4" 2>&1)
ver4=$(echo "$out" | sed -n 's/^version=//p')
# the push queues the command before it answers: rstat sees it pending first
t_wait_eq 30 failed rstat
res=$(db "select result from commands where sensor_id='$sid' and type='rules' order by id desc limit 1")
if [ -n "$ver4" ] && echo "$res" | grep -q 'outside/x.yar.*outside the rules root' &&
	actl agent status | grep -q "^rules_version=$ver$"; then
	t_pass "$T: an include outside the rules root is refused with a clear message, the rules in use stay"
else
	t_fail "$T: include outside: push '$out', result $res"
fi
cid=$(ctl sensor scan "$sid" "$tmp/tree" | sed -n 's/^command=//p')
cstat() { db "select status from commands where id=$cid"; }
t_wait_eq 60 done cstat
if [ "$(findings pushed.txt)" = 1 ] && db "select result from commands where id=$cid" | grep -q '"findings":'; then
	t_pass "$T: kastroctl sensor scan: an on-demand scan from the console, with the pushed rule"
else
	t_fail "$T: console scan: $(db "select status, result from commands where id=$cid"), $(findings pushed.txt)"
fi

res=$(db "select result from commands where id=$cid")
if [ "$(echo "$res" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["cpu_ceiling_percent"], "cpu_ms" in r, r["threads"])')" = "25 True 1" ]; then
	t_pass "$T: a console scan keeps the configured CPU ceiling (25%, one worker) and reports the CPU it used"
else
	t_fail "$T: console scan ceiling: $res"
fi
cid=$(ctl sensor scan "$sid" cpu=150 "$tmp/tree" | sed -n 's/^command=//p')
t_wait_eq 60 done cstat
res=$(db "select result from commands where id=$cid")
if [ "$(echo "$res" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["cpu_ceiling_percent"], r["threads"] <= 2, r["cpu_ms"] >= 0)')" = "150 True True" ]; then
	t_pass "$T: kastroctl sensor scan ID cpu=150: the scan carries its own ceiling"
else
	t_fail "$T: cpu=150 scan: $res"
fi
out=$(ctl sensor scan "$sid" cpu=9999 "$tmp/tree" 2>&1)
echo "$out" | grep -q 'cpu=9999: expected cpu=PERCENT once, 0 (no ceiling) to 6400' &&
	t_pass "$T: a ceiling out of range is refused by the console" || t_fail "$T: cpu=9999: $out"

# ---- the console's view of an agent's quarantine ------------------------------------------
mkdir -p "$tmp/qv"
printf 'xx KASTRO-QUARANTINE-ME view xx\n' >"$tmp/qv/x.doc"
cid=$(ctl sensor scan "$sid" "$tmp/qv" | sed -n 's/^command=//p')
t_wait_eq 60 done cstat
cid=$(ctl sensor quarantine "$sid" | sed -n 's/^command=//p')
t_wait_eq 30 done cstat
res=$(db "select result from commands where id=$cid")
qv=$(echo "$res" | python3 -c '
import json, sys
r = json.load(sys.stdin)
it = [i for i in r["items"] if i["path"] == sys.argv[1]]
assert r["total"] >= len(r["items"]) and len(it) == 1 and len(it[0]["sha256"]) == 64, r
print(it[0]["id"])' "$tmp/qv/x.doc")
if [ -n "$qv" ] && [ ! -e "$tmp/qv/x.doc" ]; then
	t_pass "$T: kastroctl sensor quarantine: the console lists the agent's quarantined items"
else
	t_fail "$T: console quarantine list: $res"
fi
cid=$(ctl sensor restore "$sid" "$qv" | sed -n 's/^command=//p')
if t_wait_eq 30 done cstat && [ -f "$tmp/qv/x.doc" ] &&
	[ "$(db "select count(*) from audit where action='quarantine.restore' and detail like '$qv on %'")" = 1 ]; then
	t_pass "$T: kastroctl sensor restore: the console puts an item back, audited"
else
	t_fail "$T: console restore: $(db "select status, result from commands where id=$cid")"
fi

printf 'xx KASTRO-QUARANTINE-ME purge xx\n' >"$tmp/qv/y.doc"
cid=$(ctl sensor scan "$sid" "$tmp/qv/y.doc" | sed -n 's/^command=//p')
t_wait_eq 60 done cstat
qy=$(actl agent quarantined | awk -v p="$tmp/qv/y.doc" '$5 == p {print $1}')
cid=$(ctl sensor purge "$sid" "$qy" | sed -n 's/^command=//p')
if [ -n "$qy" ] && t_wait_eq 30 done cstat && [ ! -e "$tmp/qv/y.doc" ] &&
	! actl agent quarantined | grep -q "^$qy " && ! ls "$tmp/quarantine" | grep -q "^$qy" &&
	[ "$(db "select count(*) from audit where action='quarantine.delete' and detail like '$qy on %'")" = 1 ]; then
	t_pass "$T: kastroctl sensor purge: the console deletes a quarantined item for good, audited"
else
	t_fail "$T: console purge of '$qy': $(db "select status, result from commands where id=$cid")"
fi

# ---- the quarantine through the REST API and the web UI --------------------------------
printf 'xx KASTRO-QUARANTINE-ME ui one xx\n' >"$tmp/qv/ui1.doc"
printf 'xx KASTRO-QUARANTINE-ME ui two xx\n' >"$tmp/qv/ui2.doc"
cid=$(ctl sensor scan "$sid" "$tmp/qv" | sed -n 's/^command=//p')
t_wait_eq 60 done cstat
q1=$(actl agent quarantined | awk -v p="$tmp/qv/ui1.doc" '$5 == p {print $1}')
q2=$(actl agent quarantined | awk -v p="$tmp/qv/ui2.doc" '$5 == p {print $1}')
atok=$(ctl api-token create admin qrest | sed -n 's/^token=//p')
# rapi NAME METHOD PATH BODY TOKEN: the status; the answer in $tmp/NAME.json
rapi() {
	curl -s -k -o "$tmp/$1.json" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $5" \
		-H 'Content-Type: application/json' ${4:+--data "$4"} "https://127.0.0.1:$HP$3"
}
# rcmd NAME: wait for the command in $tmp/NAME.json, its answer in $tmp/NAME.cmd.json
rcmd() {
	_c=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["command"])' "$tmp/$1.json" 2>/dev/null)
	[ -n "$_c" ] || return 1
	for _i in $(seq 1 300); do
		rapi "$1.cmd" GET "/api/v1/sensors/$sid/commands/$_c" "" "$atok" >/dev/null
		grep -q '"status": *"\(done\|failed\)"' "$tmp/$1.cmd.json" && return 0
		sleep 0.1
	done
	return 1
}
code=$(rapi ql POST "/api/v1/sensors/$sid/quarantine" '{"from":0}' "$atok")
if [ "$code" = 202 ] && rcmd ql && python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["command"]
items = {i["id"]: i for i in c["result"]["items"]}
assert c["status"] == "done" and c["type"] == "quarantine", c
for q, p in ((sys.argv[2], sys.argv[3]), (sys.argv[4], sys.argv[5])):
    assert items[q]["path"] == p and len(items[q]["sha256"]) == 64 and "Kastro_Test_Quarantine" in items[q]["rule"], items[q]
    assert items[q]["time"] > 0
' "$tmp/ql.cmd.json" "$q1" "$tmp/qv/ui1.doc" "$q2" "$tmp/qv/ui2.doc"; then
	t_pass "$T: REST: POST /sensors/ID/quarantine (202) and GET /sensors/ID/commands/N list the agent's files with path, sha256, rule, time"
else
	t_fail "$T: REST quarantine list: $code $(cat "$tmp/ql.json") $(head -c 300 "$tmp/ql.cmd.json" 2>/dev/null)"
fi
vpw="viewer-pass-$$-quarantine"
rapi vu POST /api/v1/users "{\"name\":\"watcher\",\"role\":\"viewer\",\"password\":\"$vpw\"}" "$atok" >/dev/null
vtok=$(ctl api-token create watcher qview | sed -n 's/^token=//p')
c1=$(rapi vl POST "/api/v1/sensors/$sid/quarantine" '{}' "$vtok")
c2=$(rapi vr POST "/api/v1/sensors/$sid/quarantine/$q1/restore" "" "$vtok")
c3=$(rapi bad POST "/api/v1/sensors/$sid/quarantine/q-xyz/restore" "" "$atok")
c4=$(rapi none POST "/api/v1/sensors/no-such-sensor/quarantine" '{}' "$atok")
c5=$(curl -s -k -o /dev/null -D "$tmp/allow.h" -w '%{http_code}' -H "Authorization: Bearer $atok" \
	"https://127.0.0.1:$HP/api/v1/sensors/$sid/quarantine")
if [ "$c1" = 202 ] && [ "$c2" = 403 ] && [ "$c3" = 400 ] && [ "$c4" = 404 ] && [ "$c5" = 405 ] &&
	grep -qi '^allow: POST' "$tmp/allow.h" && [ ! -e "$tmp/qv/ui1.doc" ]; then
	t_pass "$T: REST: a viewer lists but may not restore (403); a bad id 400, an unknown sensor 404, GET 405 with Allow"
else
	t_fail "$T: REST roles and errors: viewer list $c1, viewer restore $c2, bad id $c3, unknown $c4, GET $c5"
fi
pw=$(sed -n 's/^admin password: //p' "$tmp/init.out")
# a signed-in session must send its CSRF token with a restore
curl -s -k -o "$tmp/login.json" -c "$tmp/cj" -H 'Content-Type: application/json' \
	--data "{\"user\":\"admin\",\"password\":\"$pw\"}" "https://127.0.0.1:$HP/api/v1/login"
csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$tmp/login.json" 2>/dev/null)
c1=$(curl -s -k -o /dev/null -w '%{http_code}' -b "$tmp/cj" -X POST "https://127.0.0.1:$HP/api/v1/sensors/$sid/quarantine/$q1/restore")
c2=$(curl -s -k -o "$tmp/csrf.json" -w '%{http_code}' -b "$tmp/cj" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	--data '{"from":0}' "https://127.0.0.1:$HP/api/v1/sensors/$sid/quarantine")
[ -n "$csrf" ] && [ "$c1" = 403 ] && [ "$c2" = 202 ] && [ ! -e "$tmp/qv/ui1.doc" ] &&
	t_pass "$T: REST: a session's restore without its CSRF token is refused (403), with it the call is taken" ||
	t_fail "$T: CSRF: without $c1, with $c2 ($(cat "$tmp/csrf.json"))"
if /usr/bin/python3 "$here/quarantine_ui.py" "$HP" "$pw" "$data/server.key" "$sid" "$q1" "$tmp/qv/ui1.doc" \
	"$q2" watcher "$vpw" "$tmp"; then
	:
else
	T_FAILED=1
fi
[ -f "$tmp/qv/ui1.doc" ] && ! actl agent quarantined | grep -q "^$q2 " &&
	[ "$(db "select count(*) from audit where action='quarantine.restore' and user='admin' and detail='$q1 on $sid'")" = 1 ] &&
	[ "$(db "select count(*) from audit where action='quarantine.delete' and user='admin' and detail='$q2 on $sid'")" = 1 ] &&
	t_pass "$T: the UI's restore and purge reached the agent, audited under the officer's name" ||
	t_fail "$T: after the UI: ui1 $(ls "$tmp/qv/ui1.doc" 2>&1), $q2 $(actl agent quarantined | grep -c "^$q2 "), audit $(db "select action, user, detail from audit where action like 'quarantine.%'" | tr '\n' ' ')"

# ---- the scanning child: no privilege but reading, under seccomp; a crash ---------------
mkdir -p "$tmp/slow"
for i in $(seq 1 300); do head -c 20000 /dev/urandom >"$tmp/slow/r$i.bin"; done
cid=$(ctl sensor scan "$sid" cpu=1 "$tmp/slow" | sed -n 's/^command=//p')
# _kastro-scan when the package made it, nobody otherwise
suser=nobody
getent passwd _kastro-scan >/dev/null && suser=_kastro-scan
child=""
for _i in $(seq 1 100); do
	child=$(ps -o pid= --ppid "$apid" | tr -d ' ' | head -n 1)
	[ -n "$child" ] && grep -q '^Seccomp:[[:space:]]*2' "/proc/$child/status" 2>/dev/null && break
	sleep 0.1
done
if [ -n "$child" ] && st=$(cat "/proc/$child/status") &&
	echo "$st" | grep -q "^Uid:[[:space:]]*$(id -u $suser)[[:space:]]$(id -u $suser)[[:space:]]$(id -u $suser)" &&
	echo "$st" | grep -q '^CapEff:[[:space:]]*0000000000000004$' &&
	echo "$st" | grep -q '^CapPrm:[[:space:]]*0000000000000004$' &&
	echo "$st" | grep -q '^CapInh:[[:space:]]*0000000000000000$' &&
	echo "$st" | grep -q '^NoNewPrivs:[[:space:]]*1$' &&
	echo "$st" | grep -q '^Seccomp:[[:space:]]*2$'; then
	t_pass "$T: the scan runs in a child as $suser with only CAP_DAC_READ_SEARCH, no_new_privs, under seccomp (/proc/$child/status)"
else
	t_fail "$T: scanning child '$child': $(grep -E '^(Uid|Cap|NoNew|Seccomp)' "/proc/$child/status" 2>&1 | tr '\n' ' ')"
fi
# RLIMIT_AS: 1 GiB, and per worker (2 CPUs, walker, caller: 4) twice 64 MiB and 64 MiB
want_as=$(( (1 << 30) + ($(nproc) + 2) * (2 * (64 << 20) + (64 << 20)) ))
if grep -q __asan_init "$AGENT"; then
	t_skip "$T: the child's address space is not capped under AddressSanitizer (its shadow memory)"
elif grep -q "^Max address space[[:space:]]*$want_as[[:space:]]*$want_as[[:space:]]*bytes" "/proc/$child/limits"; then
	t_pass "$T: ... its address space capped by the configuration ($want_as bytes)"
else
	t_fail "$T: child limits: $(grep 'address space' "/proc/$child/limits")"
fi
[ "$(grep '^CapEff:' "/proc/$apid/status")" = "$(grep '^CapEff:' /proc/$$/status)" ] &&
	t_pass "$T: ... while the agent's parent stays root (quarantine, restore, enrolment)" ||
	t_fail "$T: parent caps: $(grep CapEff "/proc/$apid/status")"
[ -n "$child" ] && kill -9 "$child"
t_wait_eq 60 done cstat
res=$(db "select result from commands where id=$cid")
if echo "$res" | grep -q '"files_seen":300' &&
	grep -q "scanning child (pid $child) was killed by signal 9; a new scanning child ran the scan again" "$alog" &&
	actl agent status | grep -q '^scan_child_failures=1$' && actl agent status | grep -q '^scan_child_restarts=1$'; then
	t_pass "$T: a scanning child killed mid-scan is logged and counted, a new one started, and the scan run again reports its result"
else
	t_fail "$T: child crash: $res; $(grep 'scanning child' "$alog" | tail -n 2)"
fi
n0=$(findings "$tmp/slow/")
printf '%s' "$EICAR" >"$tmp/slow/late.com"
cid=$(ctl sensor scan "$sid" "$tmp/slow" | sed -n 's/^command=//p')
if t_wait_eq 60 done cstat && [ "$(findings "$tmp/slow/late.com")" = 1 ]; then
	t_pass "$T: ... and the next scan runs in a new child and finds what it should"
else
	t_fail "$T: scan after the crash: $(db "select status, result from commands where id=$cid")"
fi

# ---- the scanning child: started before any thread, long-lived, replaced by exec --------
if actl agent status | grep -q '^scan_child_first_parent_threads=1$' &&
	grep -q "scanning child (pid [0-9]*) runs as $suser; this process had 1 thread(s) when it started" "$alog"; then
	t_pass "$T: the first scanning child started while the agent had one thread (the agent never forks while threaded), as $suser"
else
	t_fail "$T: first child: $(actl agent status | grep scan_child); $(grep 'runs as' "$alog" | head -n 1)"
fi
child=$(ps -o pid= --ppid "$apid" | tr -d ' ' | head -n 1)
if [ -n "$child" ] && [ "$(readlink "/proc/$child/exe")" = "$(readlink -f "$AGENT")" ] &&
	grep -q '^Name:[[:space:]]*kastro-scan$' "/proc/$child/status" &&
	[ "$(tr '\0' ' ' <"/proc/$child/cmdline")" = "kastro-agent scan-child " ] &&
	[ "$(grep '^Threads:' "/proc/$apid/status" | tr -dc 0-9)" -gt 1 ]; then
	t_pass "$T: a replacement child is the agent's program run afresh (execve), not a copy of the threaded agent"
else
	t_fail "$T: replacement child '$child': $(tr '\0' ' ' <"/proc/$child/cmdline" 2>&1)"
fi
cid=$(ctl sensor scan "$sid" "$tmp/tree" | sed -n 's/^command=//p')
t_wait_eq 60 done cstat
[ -n "$child" ] && [ "$(ps -o pid= --ppid "$apid" | tr -d ' ' | head -n 1)" = "$child" ] &&
	t_pass "$T: ... and it serves scan after scan (pid $child)" ||
	t_fail "$T: the child changed across a clean scan: $child -> $(ps -o pid= --ppid "$apid")"

# a child that hangs (stopped mid-scan): killed after 15 s of silence, replaced, the scan run again
mkdir -p "$tmp/hang"
for i in $(seq 1 300); do head -c 20000 /dev/urandom >"$tmp/hang/r$i.bin"; done
printf '%s' "$EICAR" >"$tmp/hang/late.com"
for i in 1 2 3 4 5; do printf '%s' "$EICAR" >"$tmp/hang/e$i.com"; done
cid=$(ctl sensor scan "$sid" cpu=1 "$tmp/hang" | sed -n 's/^command=//p')
t_wait_for 30 sh -c "'$CTL' -s '$asock' agent status | grep -q '^busy=1$'"
sleep 0.5
child=$(ps -o pid= --ppid "$apid" | tr -d ' ' | head -n 1)
[ -n "$child" ] && kill -STOP "$child"
t_wait_eq 90 done cstat
res=$(db "select result from commands where id=$cid")
if echo "$res" | grep -q '"files_seen":306' && [ "$(findings "$tmp/hang/late.com")" = 1 ] &&
	[ "$(findings "$tmp/hang/e")" = 5 ] &&
	grep -q "scanning child (pid $child) said nothing for 15 s; a new scanning child ran the scan again" "$alog" &&
	actl agent status | grep -q '^scan_child_restarts=2$' && ! kill -0 "$child" 2>/dev/null; then
	t_pass "$T: a scanning child that hangs mid-scan is killed after 15 s of silence, a new one runs the scan, its result reported, each finding once"
else
	t_fail "$T: hung child $child: $res; findings $(findings "$tmp/hang/"); $(grep 'scanning child' "$alog" | tail -n 1)"
fi

# the child dies while it compiles a pushed rule set: the push is refused, the agent runs on
# with the rules in use, and a new child scans with them
ver_in_use=$(actl agent status | sed -n 's/^rules_version=//p')
RL=$(t_testdata)/yara/reversinglabs/yara
[ -d "$RL" ] || t_fail "$T: no public rule set at $RL (set KASTRO_TESTDATA)"
ctl rules push "$RL" >"$tmp/rlpush.out" 2>&1
child=$(ps -o pid= --ppid "$apid" | tr -d ' ' | head -n 1)
for _i in $(seq 1 600); do [ -d "$adir/rules.new" ] && break; sleep 0.05; done
[ -n "$child" ] && kill -SEGV "$child"
t_wait_eq 60 failed rstat
res=$(db "select result from commands where sensor_id='$sid' and type='rules' order by id desc limit 1")
n0=$(findings "$tmp/slow/late.com")
cid=$(ctl sensor scan "$sid" "$tmp/slow" | sed -n 's/^command=//p')
if echo "$res" | grep -q "scanning child (pid $child)" && kill -0 "$apid" &&
	actl agent status | grep -q "^rules_version=$ver_in_use$" && t_wait_eq 60 done cstat &&
	[ "$(findings "$tmp/slow/late.com")" -gt "$n0" ]; then
	t_pass "$T: a child that dies compiling a pushed rule set: the push is refused, the agent runs on and scans with the rules in use"
else
	t_fail "$T: child death while compiling: $res; $(cat "$tmp/rlpush.out"); scan $(cstat)"
fi

# a rule that runs past the per-file timeout: that file is skipped (timeout), the scan goes on
cat >"$tmp/slowrule.yar" <<'EOF'
rule Kastro_Test_Slow { condition: for all i in (0..filesize) : ( for all j in (0..filesize) : ( uint8(j) <= 255 ) ) }
rule Kastro_Test_EICAR { strings: $e = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" condition: $e }
EOF
head -c 200000 /dev/urandom >"$tmp/slowfile.bin"
out=$("$AGENT" scan --rules "$tmp/slowrule.yar" --timeout 2 "$tmp/slowfile.bin" "$tmp/tree/eicar.com" 2>&1); rc=$?
if [ "$rc" = 1 ] && echo "$out" | grep -q "skipped (timeout) $tmp/slowfile.bin" &&
	echo "$out" | grep -q "^Kastro_Test_EICAR $tmp/tree/eicar.com$"; then
	t_pass "$T: a rule set that runs past the per-file timeout: that file is skipped (timeout), the others scanned (kastro-agent scan, through the same child)"
else
	t_fail "$T: slow rule: rc $rc: $out"
fi

# ---- console away during a scan ------------------------------------------------------
for i in $(seq 1 40); do
	printf 'padding %d %s\n' "$i" "$(head -c 3000 /dev/urandom | base64 -w0)" >"$tmp/big/f$i.txt"
	[ $((i % 4)) = 0 ] && printf '%s' "$EICAR" >"$tmp/big/e$i.com"
done
kill -9 "$cpid"; wait "$cpid" 2>/dev/null; cpid=""
scans() { grep -c 'on-demand scan done' "$alog"; }
n0=$(scans)
actl agent scan >/dev/null
t_wait_eq 60 $((n0 + 1)) scans
pending() { actl agent status | sed -n 's/^spool_pending=//p'; }
for _i in $(seq 1 30); do pend=$(pending); [ "${pend:-0}" -gt 0 ] && break; sleep 0.1; done
[ "${pend:-0}" -gt 0 ] && t_pass "$T: console down: findings wait in the spool ($pend records)" || t_fail "$T: spool while console down: $pend"
start_console || { t_fail "$T: console restart: $(tail -n 5 "$clog")"; t_done; }
want=10
if t_wait_eq 60 "$want" findings "$tmp/big/e"; then
	t_pass "$T: after the console's return all $want findings of the scan arrived"
else
	t_fail "$T: findings after console restart: $(findings "$tmp/big/e") of $want"
fi
dups=$(db "select count(*) from (select body from events where sensor_id='$sid' and event_type='finding' group by seq having count(*) > 1)")
[ "$dups" = 0 ] && t_pass "$T: ... each exactly once" || t_fail "$T: duplicated events: $dups"

# ---- agent killed with a full spool, its last record cut -----------------------------------
kill -9 "$cpid"; wait "$cpid" 2>/dev/null; cpid=""
for i in $(seq 1 12); do printf '%s %d' "$EICAR" "$i" >"$tmp/big2/x$i.com"; done
n0=$(scans)
actl agent scan >/dev/null
t_wait_eq 60 $((n0 + 1)) scans
sleep 0.5
kill -9 "$apid"; wait "$apid" 2>/dev/null; apid=""
last=$(ls -t "$adir"/spool/*.seg 2>/dev/null | head -n 1)
size=$(stat -c %s "$last")
truncate -s $((size - 7)) "$last"
start_console || { t_fail "$T: console restart: $(tail -n 5 "$clog")"; t_done; }
start_agent || { t_fail "$T: agent restart after kill -9: $(tail -n 5 "$alog")"; t_done; }
t_wait_for 30 sh -c "'$CTL' -s '$asock' agent status | grep -q '^allow_sha256=1\$'" &&
	t_pass "$T: the pushed allowlist outlives a restart (DIR/allow.json)" ||
	t_fail "$T: allowlist after restart: $(actl agent status | grep allow)"
if t_wait_eq 60 12 findings "$tmp/big2/x"; then
	t_pass "$T: agent killed -9 with the console away: all 12 findings arrived"
else
	t_fail "$T: findings after kill -9: $(findings "$tmp/big2/x") of 12"
fi
dups=$(db "select count(*) from (select 1 from events where sensor_id='$sid' and event_type='finding' and body like '%big2/x%' group by json_extract(body, '$.finding.path'), json_extract(body, '$.timestamp') having count(*) > 1)")
[ "$dups" = 0 ] && t_pass "$T: ... each exactly once" || t_fail "$T: duplicates after kill -9: $dups"
notices() { db "select count(*) from events where sensor_id='$sid' and event_type='agent_notice' and body like '%spool-damage%'"; }
if t_wait_eq 30 1 notices; then
	t_pass "$T: the cut record is reported to the console as spool damage"
else
	t_fail "$T: no damage notice; agent log: $(grep -i spool "$alog" | tail -n 3)"
fi

# ---- a long quarantine list: every item, none cut -------------------------------------
nq0=$(actl agent quarantined | tail -n +2 | wc -l)
mkdir -p "$tmp/qmany"
for i in $(seq 1 230); do printf 'KASTRO-QUARANTINE-ME %d\n' "$i" >"$tmp/qmany/q$i.doc"; done
cid=$(ctl sensor scan "$sid" "$tmp/qmany" | sed -n 's/^command=//p')
t_wait_eq 120 done cstat
actl agent quarantined >"$tmp/qlist" 2>"$tmp/qlist.err"; rc=$?
nq=$(tail -n +2 "$tmp/qlist" | wc -l)
if [ $rc = 0 ] && [ "$nq" = $((nq0 + 230)) ] && [ "$(head -n 1 "$tmp/qlist")" = ok ] &&
	[ "$(tail -n +2 "$tmp/qlist" | grep -cE '^q-[0-9a-f]{16} [0-9]+ [0-9a-f]{64} ')" = "$nq" ] &&
	[ "$(tail -n +2 "$tmp/qlist" | awk '{print $1}' | sort -u | wc -l)" = "$nq" ] &&
	[ "$(grep -c "$tmp/qmany/q[0-9]*\.doc$" "$tmp/qlist")" = 230 ] && ! grep -q '^more:' "$tmp/qlist"; then
	t_pass "$T: kastroctl agent quarantined lists all $nq items ($(wc -c <"$tmp/qlist") bytes, in pages), each whole and once"
else
	t_fail "$T: quarantined: exit $rc, $nq lines of $((nq0 + 230)); $(tail -n 2 "$tmp/qlist") $(cat "$tmp/qlist.err")"
fi

# ---- enrolled, never connected: pending -------------------------------------------------
left=$((enrolled3 + 33 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
st3=$(ctl sensor list | awk -v id="$sid3" '$1 == id {print $3}')
al3=$(db "select count(*) from alerts where sensor_id='$sid3'")
if [ -n "$sid3" ] && [ "$st3" = pending ] && [ "$al3" = 0 ] &&
	curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$HP/" >/dev/null; then
	t_pass "$T: an agent enrolled 30 s (offline-after) ago that never connected is pending, with no alert"
else
	t_fail "$T: never-connected agent: '$st3', $al3 alerts ($(cat "$tmp/e3.err"))"
fi
st1=$(ctl sensor list | awk -v id="$sid" '$1 == id {print $3}')
[ "$st1" = online ] && t_pass "$T: ... while the running agent is online" || t_fail "$T: running agent: $st1"

# ---- through an HTTP proxy ---------------------------------------------------------------
python3 "$here/connect_proxy.py" "$tmp/proxy.port" "$tmp/proxy.log" &
ppid=$!
t_wait_for 10 test -s "$tmp/proxy.port"
PP=$(cat "$tmp/proxy.port")
cat >"$tmp/agent2.conf" <<EOF
console { address "127.0.0.1" port $SP enroll-port $HP proxy "http://127.0.0.1:$PP" }
dir "$tmp/agent2"
rules "$tmp/rules"
heartbeat 10s
EOF
if sid2=$(t_agent_enroll "$CTL" "$csock" "$AGENT" "$tmp/agent2.conf" "$fp" 2>"$tmp/e2.err") &&
	grep -q "^CONNECT 127.0.0.1:$HP$" "$tmp/proxy.log"; then
	t_pass "$T: enrolment through an HTTP proxy (CONNECT), the CA still pinned"
else
	t_fail "$T: enrolment through the proxy: $(cat "$tmp/e2.err")"
fi
: >"$tmp/agent2.log"
"$AGENT" -c "$tmp/agent2.conf" -s "$tmp/agent2.sock" >>"$tmp/agent2.log" 2>&1 &
a2pid=$!
hb2() { db "select count(*) > 0 from events where sensor_id='$sid2' and event_type='heartbeat'"; }
if t_wait_eq 30 1 hb2 && grep -q "^CONNECT 127.0.0.1:$SP$" "$tmp/proxy.log"; then
	t_pass "$T: the link through the proxy: heartbeats arrive"
else
	t_fail "$T: link through the proxy: $(tail -n 3 "$tmp/agent2.log")"
fi
t_stop_pid "$a2pid"; a2pid=""
t_stop_pid "$apid"; apid=""
grep -q 'ERROR: AddressSanitizer\|runtime error:' "$alog" "$clog" "$tmp/agent2.log" && t_fail "$T: a sanitizer report in the logs" ||
	t_pass "$T: no sanitizer report"
t_done
