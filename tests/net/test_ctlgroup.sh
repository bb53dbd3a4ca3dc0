#!/bin/bash
# Group kastro and the control sockets: kastrod (in a lab namespace),
# kastro-console and kastro-agent (on loopback) started as root with a group
# kastro in /etc/group (a copy bind-mounted in each daemon's own mount
# namespace, so the host's file is never touched). Their sockets are 0660
# with that group; kastroctl run by an unprivileged user in the group
# (setpriv) gets the read-only commands of each daemon answered and every
# changing command refused with "permission denied: ... needs root", with
# no effect; a user outside the group gets nothing; root still does
# everything.
#
# usage: tests/net/test_ctlgroup.sh KASTROD   (kastro-console, kastro-agent and
#        kastroctl are looked for beside it)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lab.sh"

T=net_ctlgroup
if [ $# -ne 1 ]; then
	echo "usage: $0 KASTROD" >&2
	exit 2
fi
KASTROD=$1
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac
B=$(dirname "$KASTROD")
CTL=$B/kastroctl
CONSOLE=$B/kastro-console
AGENT=$B/kastro-agent
for b in "$KASTROD" "$CTL" "$CONSOLE" "$AGENT"; do
	[ -x "$b" ] || { t_fail "$T: $b not built"; t_done; }
done
for c in setpriv unshare python3 sqlite3; do
	command -v "$c" >/dev/null 2>&1 || { t_fail "$T: $c not installed (packaging/deps.sh test)"; t_done; }
done

LAB_SERVICES=0
lab_test_begin "$T"
cpid="" apid=""
end() { t_stop_pid "$apid"; t_stop_pid "$cpid"; _lab_test_end; }
trap end EXIT
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }

# The group: the host's kastro when it has one, else a free gid in a copy of /etc/group.
if gid=$(getent group kastro | cut -d: -f3) && [ -n "$gid" ]; then
	grp=/etc/group
else
	gid=64200
	while getent group "$gid" >/dev/null; do gid=$((gid + 1)); done
	grp=$tmp/group
	cp /etc/group "$grp"
	echo "kastro:x:$gid:" >>"$grp"
	chmod 644 "$grp"
fi
NOBODY=65534
# with_group CMD... &: CMD with $grp as /etc/group (its own mount namespace).
# Only in the background: the job's subshell becomes CMD (exec), so $! is
# CMD's pid and the trap stops CMD itself, not a shell above it.
with_group() {
	exec unshare --mount --propagation private sh -c 'mount --bind "$0" /etc/group && exec "$@"' "$grp" "$@"
}
member() { setpriv --reuid=$NOBODY --regid=$NOBODY --groups=$gid --inh-caps=-all "$CTL" "$@"; }
outsider() { setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups --inh-caps=-all "$CTL" "$@"; }

# ---- the three daemons ------------------------------------------------------------
read -r HP SP < <(t_free_ports 2)
data=$tmp/console
csock=$tmp/console.sock
"$CONSOLE" init --data "$data" --name 127.0.0.1 >"$tmp/init.out" 2>&1 ||
	{ t_fail "$T: console init: $(head -n 3 "$tmp/init.out")"; t_done; }
cat >"$tmp/console.conf" <<EOF
data "$data"
listen https on 127.0.0.1 port $HP
listen sensors on 127.0.0.1 port $SP
control "$csock"
EOF
with_group "$CONSOLE" -c "$tmp/console.conf" >"$tmp/console.log" 2>&1 &
cpid=$!
t_wait_for 10 test -S "$csock" && t_wait_for 10 grep -q ready "$tmp/console.log" ||
	{ t_fail "$T: console did not start: $(tail -n 5 "$tmp/console.log")"; t_done; }

mkdir -p "$tmp/rules" "$tmp/tree"
printf 'rule T : quarantine_me { strings: $a = "KASTRO-CTLGROUP" condition: $a }\n' >"$tmp/rules/t.yar"
asock=$tmp/agent.sock
cat >"$tmp/agent.conf" <<EOF
console { address "127.0.0.1" port $SP enroll-port $HP }
dir "$tmp/agent"
rules "$tmp/rules"
scan { path "$tmp/tree" }
quarantine { tags { "quarantine_me" } dir "$tmp/quarantine" }
EOF
fp=$(sed -n 's/^CA fingerprint: //p' "$tmp/init.out")
t_agent_enroll "$CTL" "$csock" "$AGENT" "$tmp/agent.conf" "$fp" >"$tmp/enroll.out" 2>&1 ||
	{ t_fail "$T: agent enrol: $(tail -n 3 "$tmp/enroll.out")"; t_done; }
with_group "$AGENT" -c "$tmp/agent.conf" -s "$asock" >"$tmp/agent.log" 2>&1 &
apid=$!
t_wait_for 20 test -S "$asock" ||
	{ t_fail "$T: agent did not start: $(tail -n 5 "$tmp/agent.log")"; t_done; }

ksock=$tmp/kastrod.sock
cat >"$tmp/kastrod.conf" <<EOF
interfaces { "gw-lan" "gw-dmz" }
eve "$tmp/eve.json"
interface lan { device "gw-lan" networks { 10.10.0.0/24 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 } }
default pass
EOF
lab_spawn gw kastrod unshare --mount --propagation private sh -c \
	'mount --bind "$0" /etc/group && exec "$@"' "$grp" "$KASTROD" -c "$tmp/kastrod.conf" --control "$ksock"
kpid=$LAB_LAST_PID
t_wait_for 15 test -S "$ksock" && t_wait_for 10 "$CTL" -s "$ksock" status >/dev/null ||
	{ t_fail "$T: kastrod did not start: $(tail -n 5 "$LAB_DIR/kastrod.log")"; t_done; }

for s in "$ksock" "$csock" "$asock"; do
	m=$(stat -c '%a %u %g' "$s")
	[ "$m" = "660 0 $gid" ] && t_pass "$T: ${s##*/} is 0660 root:kastro" ||
		t_fail "$T: ${s##*/} mode, owner, group: $m (want 660 0 $gid)"
done

# ---- read-only commands: a member is answered -----------------------------------
reads_ok() {  # reads_ok SOCKET WHAT KEY CMD...: the answer has KEY
	local s=$1 what=$2 key=$3
	shift 3
	if out=$(member -s "$s" "$@" 2>&1) && printf '%s\n' "$out" | grep -q "$key"; then
		t_pass "$T: a member of kastro reads: $what"
	else
		t_fail "$T: a member of kastro reads $what: $(printf '%s' "$out" | head -n 3)"
	fi
}
reads_ok "$ksock" "kastrod status" '^pid=' status
reads_ok "$ksock" "kastrod policy" '' policy
reads_ok "$ksock" "kastrod quarantine list" '' quarantine list
reads_ok "$csock" "console status" '^events_stored=' console status
reads_ok "$csock" "console sensor list" 'agent' sensor list
reads_ok "$csock" "console hooks" '' hooks
reads_ok "$csock" "console api-token list" '' api-token list
reads_ok "$asock" "agent status" '^sensor_id=' agent status
reads_ok "$asock" "agent quarantined" '' agent quarantined

# ---- changing commands: a member is refused, nothing changes --------------------
refused() {  # refused SOCKET NAME CMD...: refused with "'NAME' needs root"
	local s=$1 name=$2
	shift 2
	if out=$(member -s "$s" "$@" 2>&1); then
		t_fail "$T: a member of kastro did '$*': $out"
	elif printf '%s' "$out" | grep -q "permission denied: '$name' needs root"; then
		t_pass "$T: a member of kastro is refused '$*' ('$name' needs root)"
	else
		t_fail "$T: '$*' refused without saying why: $out"
	fi
}
reloads0=$("$CTL" -s "$ksock" status | sed -n 's/^reloads=//p')
tokens0=$(sqlite3 -cmd '.timeout 5000' "$data/console.db" 'select count(*) from enrol_tokens')
refused "$ksock" reload reload
refused "$ksock" "quarantine 10.10.0.9" quarantine 10.10.0.9
refused "$ksock" release release 10.10.0.9
refused "$ksock" confirm confirm
refused "$csock" token token create
refused "$csock" "sensor revoke" sensor revoke "$(sed -n 1p "$tmp/agent/sensor_id" 2>/dev/null || echo x)"
refused "$csock" "hooks retry" hooks retry 1
refused "$csock" "api-token create" api-token create admin t1
refused "$csock" reload console reload
refused "$asock" scan agent scan
refused "$asock" restore agent restore 0123
reloads1=$("$CTL" -s "$ksock" status | sed -n 's/^reloads=//p')
tokens1=$(sqlite3 -cmd '.timeout 5000' "$data/console.db" 'select count(*) from enrol_tokens')
q=$("$CTL" -s "$ksock" quarantine list)
state=$("$CTL" -s "$csock" sensor list | grep -c revoked)
if [ "$reloads0" = "$reloads1" ] && [ "$tokens0" = "$tokens1" ] && ! printf '%s' "$q" | grep -q 10.10.0.9 &&
	[ "$state" = 0 ]; then
	t_pass "$T: the refused commands changed nothing (reloads $reloads1, tokens $tokens1, no quarantine, no revocation)"
else
	t_fail "$T: refused commands had an effect: reloads $reloads0->$reloads1 tokens $tokens0->$tokens1 revoked=$state q=$q"
fi

# ---- outside the group: nothing; root: everything -------------------------------
for s in "$ksock" "$csock" "$asock"; do
	if out=$(outsider -s "$s" status 2>&1); then
		t_fail "$T: a user outside kastro was answered by ${s##*/}: $out"
	else
		t_pass "$T: a user outside kastro gets nothing from ${s##*/} ($(printf '%s' "$out" | head -c 80)...)"
	fi
done
if "$CTL" -s "$ksock" reload >/dev/null && "$CTL" -s "$csock" token create >/dev/null &&
	"$CTL" -s "$asock" agent scan >/dev/null; then
	t_pass "$T: root still reloads kastrod, creates a console token, starts an agent scan"
else
	t_fail "$T: root's changing commands"
fi
t_done
