#!/bin/bash
# Hooks made by an admin in the console (REST API and web UI): a hook's
# text is checked by console.conf's grammar (line:col errors, close
# matches), stored in the database, audited, sent through at once, changed
# and deleted without a restart, and loaded again after one; hooks of
# console.conf are read-only; no text but one hook block is taken; a
# webhook's URL and text are never read back. A real rsyslog (imtcp on
# loopback) receives what the hooks send.
#
# usage: tests/console/test_hooks_edit.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
T=hooks_edit
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
. "$here/console_lib.sh"
PY=/usr/bin/python3
SENSOR="$PY $here/sensor.py"
rsyslog_tcp

write_conf "alerts dedup-window 0" \
	"hook filehook { syslog \"tcp://127.0.0.1:$P_TCP\" format cef sensor \"nobody\" }"
start_console || { t_fail "$T: console did not start: $(tail -n 5 "$log" | tr '\n' ' ')"; t_done; }
[ "$(login adm admin "$pw")" = 200 ] || { t_fail "$T: admin login"; t_done; }

# a JSON body {"config": TEXT}
cfg() { $PY -c 'import json,sys; print(json.dumps({"config": sys.argv[1]}))' "$1"; }
hooks_json() { as adm list GET /api/v1/hooks >/dev/null; cat "$tmp/list.json"; }
field() { # NAME KEY: a hook's member in GET /api/v1/hooks
	as adm list GET /api/v1/hooks >/dev/null
	$PY -c 'import json,sys
h=[x for x in json.load(open(sys.argv[1]))["hooks"] if x["name"]==sys.argv[2]]
print(h[0].get(sys.argv[3], "") if h else "(none)")' "$tmp/list.json" "$1" "$2"
}

SIEM="hook siem { syslog \"tcp://127.0.0.1:$P_TCP\" format cef rule \"test rule\" }"
code=$(as adm mk POST /api/v1/hooks "$(cfg "$SIEM")")
if [ "$code" = 201 ] && [ "$(db "select count(*) from hook_defs where name='siem'")" = 1 ] &&
	[ "$(db "select count(*) from audit where action='hook.create' and user='admin' and detail like 'siem: syslog tcp://127.0.0.1:%'")" = 1 ]; then
	t_pass "$T: an admin makes a hook through the API: stored, audited"
else
	t_fail "$T: create: $code $(cat "$tmp/mk.json")"
fi
[ "$(field siem source)" = console ] && [ "$(field siem config)" = "$SIEM" ] && [ "$(field filehook source)" = file ] &&
	t_pass "$T: GET /api/v1/hooks tells hooks of console.conf from those made in the console, with their text" ||
	t_fail "$T: listing: $(hooks_json)"

# ---- the grammar's checks, and nothing but one hook block ----
code=$(as adm bad POST /api/v1/hooks "$(cfg 'hook x { syslog "tcp://127.0.0.1:514" format cfe }')")
[ "$code" = 400 ] && grep -q "hook:1:46: unknown format 'cfe', expected one of: text, cef" "$tmp/bad.json" &&
	t_pass "$T: a bad format is refused with console.conf's line:col error and the choices" ||
	t_fail "$T: bad format: $code $(cat "$tmp/bad.json")"
code=$(as adm bad2 POST /api/v1/hooks "$(cfg 'hook y { email "smtp://mail.example:587" }')")
[ "$code" = 400 ] && grep -q "hook 'y'" "$tmp/bad2.json" &&
	t_pass "$T: a hook the grammar finds incomplete (mail without from and to) is refused" ||
	t_fail "$T: incomplete: $code $(cat "$tmp/bad2.json")"
code=$(as adm inj POST /api/v1/hooks "$(cfg 'hook z { syslog "tcp://127.0.0.1:514" } include "/etc/shadow"')")
code2=$(as adm inj2 POST /api/v1/hooks "$(cfg 'data "/tmp" hook z { syslog "tcp://127.0.0.1:514" }')")
[ "$code" = 400 ] && [ "$code2" = 400 ] && ! grep -q 'root:' "$tmp/inj.json" &&
	t_pass "$T: text besides the one hook block (include, other settings) is refused" ||
	t_fail "$T: injection: $code $code2 $(cat "$tmp/inj.json" "$tmp/inj2.json")"
code=$(as adm clash POST /api/v1/hooks "$(cfg "hook filehook { syslog \"tcp://127.0.0.1:$P_TCP\" }")")
code2=$(as adm dup POST /api/v1/hooks "$(cfg "$SIEM")")
code3=$(as adm fdel POST /api/v1/hooks/filehook/delete)
[ "$code" = 409 ] && grep -q 'console.conf' "$tmp/clash.json" && [ "$code2" = 409 ] && [ "$code3" = 404 ] &&
	t_pass "$T: hooks of console.conf cannot be replaced or deleted; a name is made once" ||
	t_fail "$T: clash $code dup $code2 file delete $code3"
code=$(as adm mkv POST /api/v1/users '{"name":"vera","role":"analyst","password":"analyst-password-0123"}')
[ "$(login ana vera analyst-password-0123)" = 200 ] || t_fail "$T: analyst login ($code)"
code=$(as ana an POST /api/v1/hooks "$(cfg 'hook an { syslog "tcp://127.0.0.1:514" }')")
code2=$(as ana an2 POST /api/v1/hooks/siem/delete)
code3=$(as ana an3 GET /api/v1/hooks)
[ "$code" = 403 ] && [ "$code2" = 403 ] && [ "$code3" = 200 ] && [ "$(db "select count(*) from hook_defs")" = 1 ] &&
	t_pass "$T: an analyst sees the hooks but cannot make or delete one (403)" ||
	t_fail "$T: analyst: create $code delete $code2 list $code3"
curl -s -o /dev/null --cacert "$data/ca.crt" -X POST -H 'Content-Type: application/json' \
	--data-binary "$(cfg 'hook q { syslog "tcp://127.0.0.1:514" }')" -b "$tmp/adm.cj" "https://127.0.0.1:$HP/api/v1/hooks"
[ "$(db "select count(*) from hook_defs where name='q'")" = 0 ] &&
	t_pass "$T: a change without the session's CSRF token is refused" || t_fail "$T: CSRF"

# ---- alerts go through at once ----
tok=$("$CTL" -s "$sock" token create --kind gateway | sed -n 's/^token=//p')
$SENSOR enroll "127.0.0.1:$HP" "$tok" "$fp" "$tmp/s1" gw-1 >/dev/null 2>"$tmp/e1.err" || { t_fail "$T: enrol: $(cat "$tmp/e1.err")"; t_done; }
$SENSOR send "127.0.0.1:$SP" "$tmp/s1" 1 5 5 >/dev/null 2>&1 || t_fail "$T: send 5 events"
for _i in $(seq 1 50); do [ "$(cat "$tmp/syslog.out" 2>/dev/null | grep -c 'CEF:0|Kastro')" -ge 5 ] && break; sleep 0.2; done
n=$(grep -c 'CEF:0|Kastro' "$tmp/syslog.out" 2>/dev/null)
[ "$n" = 5 ] && [ "$(db "select count(*) from hook_deliveries where hook='siem' and state='delivered'")" = 5 ] &&
	t_pass "$T: the new hook sends without a restart: rsyslog received 5 CEF messages" ||
	t_fail "$T: delivery: rsyslog has $n, $(db "select state, count(*) from hook_deliveries group by state")"

# ---- changed: the new filter holds at once ----
code=$(as adm upd POST /api/v1/hooks/siem "$(cfg "hook siem { syslog \"tcp://127.0.0.1:$P_TCP\" format leef rule \"test rule 2\" }")")
code2=$(as adm ren POST /api/v1/hooks/siem "$(cfg "hook other { syslog \"tcp://127.0.0.1:$P_TCP\" }")")
[ "$code" = 200 ] && [ "$code2" = 400 ] &&
	[ "$(db "select count(*) from audit where action='hook.update' and detail like 'siem:%'")" = 1 ] &&
	t_pass "$T: an admin changes a hook (audited); its name stays" || t_fail "$T: update $code rename $code2 $(cat "$tmp/upd.json")"
$SENSOR send "127.0.0.1:$SP" "$tmp/s1" 6 6 6 >/dev/null 2>&1 || t_fail "$T: send 6 events"
for _i in $(seq 1 50); do [ "$(cat "$tmp/syslog.out" 2>/dev/null | grep -c 'LEEF:2.0|Kastro')" -ge 2 ] && break; sleep 0.2; done
sleep 0.5
n=$(grep -c 'LEEF:2.0|Kastro' "$tmp/syslog.out" 2>/dev/null)
c=$(grep -c 'CEF:0|Kastro' "$tmp/syslog.out" 2>/dev/null)
[ "$n" = 2 ] && [ "$c" = 5 ] && t_pass "$T: after the change the hook sends LEEF, only for 'test rule 2' (2 of 6)" ||
	t_fail "$T: after update: $n LEEF, $c CEF"

# ---- a webhook: its URL (the secret) and its text are never read back ----
code=$(as adm wh POST /api/v1/hooks "$(cfg 'hook chat2 { webhook "https://127.0.0.1:1/hooks/topsecret-path" secret-file "/etc/kastro/chat.secret" sensor "nobody" }')")
[ "$code" = 201 ] && hooks_json | grep -q '"chat2"' && ! hooks_json | grep -q 'topsecret' &&
	! db "select detail from audit" | grep -q topsecret && [ "$(field chat2 url)" = "https://127.0.0.1:1/..." ] &&
	t_pass "$T: a webhook made in the console: its path shown nowhere (API, audit)" ||
	t_fail "$T: webhook: $code $(hooks_json)"
"$CTL" -s "$sock" hooks >"$tmp/ctl.out" 2>&1
grep -q '^siem kind=syslog format=leef ' "$tmp/ctl.out" && grep -q '^chat2 kind=webhook' "$tmp/ctl.out" &&
	t_pass "$T: kastroctl hooks lists the hooks made in the console" || t_fail "$T: kastroctl hooks: $(cat "$tmp/ctl.out")"

# ---- the audit trail through a hook of type audit, queued with each entry ----
code=$(as adm al POST /api/v1/hooks "$(cfg "hook auditlog { syslog \"tcp://127.0.0.1:$P_TCP\" format cef type audit }")")
a0=$(db "select max(id) from audit")
as adm upd2 POST /api/v1/hooks/siem "$(cfg "hook siem { syslog \"tcp://127.0.0.1:$P_TCP\" format leef rule \"test rule 2\" }")" >/dev/null
"$CTL" -s "$sock" hooks test siem >/dev/null 2>&1
for _i in $(seq 1 50); do grep -q 'hook.test by root' "$tmp/syslog.out" 2>/dev/null && break; sleep 0.2; done
na=$(db "select count(*) from audit where id > $a0")
nd=$(db "select count(*) from hook_deliveries where hook='auditlog' and reason='audit' and alert_id > $a0")
if [ "$code" = 201 ] && grep -q 'CEF:0|Kastro|Kastro|.*|audit|hook.update by admin: siem: syslog tcp://127.0.0.1:' "$tmp/syslog.out" &&
	grep -q 'hook.test by root: siem' "$tmp/syslog.out" && [ "$na" = "$nd" ] && [ "$na" -ge 2 ] &&
	[ "$(db "select count(*) from hook_deliveries where hook='auditlog' and reason<>'audit'")" = 0 ]; then
	t_pass "$T: audit entries go out through a hook of type audit ($nd of $na entries queued with them, none of the alerts)"
else
	t_fail "$T: audit hook: $code, $na entries, $nd deliveries: $(grep -c 'by admin\|by root' "$tmp/syslog.out")"
fi
[ "$(db "select count(*) from hook_deliveries where hook in ('siem','filehook') and reason='audit'")" = 0 ] &&
	t_pass "$T: hooks without type audit get no audit entries" || t_fail "$T: audit entries in other hooks"

# ---- kept across a restart ----
stop_console
start_console || { t_fail "$T: console did not restart"; t_done; }
[ "$(login adm admin "$pw")" = 200 ] || t_fail "$T: login after restart"
[ "$(field siem format)" = leef ] && [ "$(field chat2 source)" = console ] && grep -q 'hook siem: syslog .*(made in the console)' "$log" &&
	t_pass "$T: after a restart the hooks made in the console are loaded from the database" ||
	t_fail "$T: after restart: $(hooks_json)"

# ---- deleted: its waiting deliveries given up ----
code=$(as adm del POST /api/v1/hooks/chat2/delete)
[ "$code" = 200 ] && [ "$(field chat2 name)" = "(none)" ] && [ "$(db "select count(*) from hook_defs where name='chat2'")" = 0 ] &&
	[ "$(db "select count(*) from audit where action='hook.delete' and detail='chat2'")" = 1 ] &&
	t_pass "$T: an admin deletes a hook made in the console, audited" || t_fail "$T: delete: $code $(cat "$tmp/del.json")"

# ---- the web UI (headless Chromium) ----
KASTRO_RESULTS=${KASTRO_RESULTS:-} $PY "$here/hooks_edit_ui.py" "$HP" "$pw" "$data/server.key" "$P_TCP" "$tmp" || T_FAILED=1
[ "$(db "select count(*) from audit where action='hook.create' and detail like 'webui:%'")" = 1 ] &&
	[ "$(db "select count(*) from hook_defs where name='webui'")" = 0 ] &&
	t_pass "$T: the UI's create and delete reached the database and the audit log" ||
	t_fail "$T: UI: $(db "select action, detail from audit where action like 'hook.%'")"
grep -q 'topsecret' "$log" && t_fail "$T: a webhook's path in the log" || t_pass "$T: no webhook path in the console's log"

# ---- console.conf takes the name of a stored hook: that one is not used, and deleting it spares the file's ----
stop_console
echo "hook siem { syslog \"tcp://127.0.0.1:$P_TCP\" format cef sensor \"nobody\" }" >>"$conf"
start_console || { t_fail "$T: console did not start with a hook of the same name"; t_done; }
[ "$(login adm admin "$pw")" = 200 ] || t_fail "$T: login"
r=$(as adm list GET /api/v1/hooks >/dev/null; $PY -c 'import json,sys
h=[x for x in json.load(open(sys.argv[1]))["hooks"] if x["name"]=="siem"]
print(" ".join(sorted(x["source"] for x in h)), "config" in [k for x in h for k in x if x["source"]=="console"],
      [x.get("last_error","")[:8] for x in h if x["source"]=="console"])' "$tmp/list.json")
[ "$r" = "console file False ['not used']" ] && grep -q "hook siem (made in the console) is not used" "$log" &&
	t_pass "$T: a stored hook whose name console.conf took is logged and listed as not used, its text not shown" ||
	t_fail "$T: shadowed: $r"
fa=$(db "select min(id) from alerts")
db "insert into hook_deliveries (hook, alert_id, reason, severity, created) values ('siem', $fa, 'raised', 2, 0)"
code=$(as adm del2 POST /api/v1/hooks/siem/delete)
sleep 1
[ "$code" = 200 ] && [ "$(db "select count(*) from hook_defs where name='siem'")" = 0 ] &&
	[ "$(db "select count(*) from hook_deliveries where hook='siem' and answer='the hook was deleted'")" = 0 ] &&
	"$CTL" -s "$sock" hooks | grep -q '^siem kind=syslog format=cef ' &&
	t_pass "$T: deleting it leaves the console.conf hook of that name and its deliveries alone" ||
	t_fail "$T: delete shadowed: $code $(cat "$tmp/del2.json")"
t_done
