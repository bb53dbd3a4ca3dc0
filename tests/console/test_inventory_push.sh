#!/bin/bash
# The console pushes its services inventory to a gateway, for real: a
# console (services.conf included by its console.conf) runs in the lab's
# gateway namespace, kastrod is enrolled and runs live with
# `inventory from console COPY fallback SEED` and a rule
# `pass from lan to service "web"`. Then:
#   - before any push kastrod enforces the seed (the service at another
#     address: HTTP from the LAN to the DMZ server is dropped);
#   - at the gateway's first poll the console queues the push; kastrod
#     fetches, checks and loads it: the kernel's nft table has the pushed
#     address, HTTP passes, COPY holds the text (0640, the console's
#     SHA-256), the command is done and `kastroctl status` shows source,
#     hash and age;
#   - a push kastrod's policy cannot take (the rule's service is gone) is
#     refused: the command fails with why, the running policy and COPY stay;
#   - an inventory pushed with synproxy reaches the kernel as a synproxy rule;
#   - with the console stopped, a restarted kastrod enforces with COPY;
#   - the console back with the same inventory: no reload on the gateway;
#   - `kastroctl console reload` after a change: the gateway has it within 10 s.
#
# usage: tests/console/test_inventory_push.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../net/lab.sh"

T=inventory_push
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
KASTROD=$B/kastrod
CONSOLE=$B/kastro-console
CTL=$B/kastroctl
HP=18453
SP=17453

for tool in sqlite3 curl sha256sum nft; do
	command -v "$tool" >/dev/null 2>&1 || { t_fail "$T: $tool not installed"; t_done; }
done
[ -x "$CONSOLE" ] && [ -x "$KASTROD" ] || { t_fail "$T: binaries not built in $B"; t_done; }

lab_test_begin "$T"
t_console_user || { t_fail "$T: cannot create the user kastro-console"; t_done; }
cpid=""
stop_console() {
	if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
		kill -TERM "$cpid" 2>/dev/null
		for _i in $(seq 1 50); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$cpid" 2>/dev/null
	fi
	[ -n "$cpid" ] && wait "$cpid" 2>/dev/null
	cpid=""
}
stop_kastrod() {
	if [ -n "$kpid" ] && kill -0 "$kpid" 2>/dev/null; then
		kill -TERM "$kpid" 2>/dev/null
		for _i in $(seq 1 100); do kill -0 "$kpid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$kpid" 2>/dev/null
	fi
	[ -n "$kpid" ] && wait "$kpid" 2>/dev/null
	kpid=""
}
trap 'stop_console; stop_kastrod; _lab_test_end' EXIT

# ---- the console, in the gateway's namespace --------------------------------------
data=$tmp/console
clog=$tmp/console.log
csock=$tmp/console.sock
if ! "$CONSOLE" init --data "$data" --name 127.0.0.1 >"$tmp/init.out" 2>&1; then
	t_fail "$T: console init: $(head -n 3 "$tmp/init.out" | tr '\n' ' ')"
	t_done
fi
fp=$(sed -n 's/^CA fingerprint: //p' "$tmp/init.out")
cconf=$tmp/console.conf
services=$tmp/services.conf
cat >"$cconf" <<EOF2
data "$data"
listen https on 127.0.0.1 port $HP
listen sensors on 127.0.0.1 port $SP
control "$csock"
include "services.conf"
EOF2
write_services() {  # $1: the web service's extra statements; $2: its name
	cat >"$services" <<EOF2
service "db" { address 10.20.0.40 ports tcp 5432 owner "it" }
service "${2:-web}" {
	address $LAB_DMZ_IP4
	ports tcp 80
	owner "it" rpo 1h rto 4h criticality high
	check http "http://$LAB_DMZ_IP4/" every 30s
	depends "db"
	$1
}
EOF2
}
write_services ""
start_console() {
	: >"$clog"
	ip netns exec "$(lab_ns gw)" "$CONSOLE" -c "$cconf" >>"$clog" 2>&1 &
	cpid=$!
	lab_wait_until 10 test -S "$csock" && lab_wait_until 10 grep -q ready "$clog"
}
console_sha() { sed -n 's/.*services inventory: .* sha256 \([0-9a-f]\{64\}\),.*/\1/p' "$clog" | tail -n 1; }
start_console || { t_fail "$T: console did not start: $(tail -n 5 "$clog" | tr '\n' ' ')"; t_done; }
db() { sqlite3 -cmd '.timeout 5000' "$data/console.db" "$@"; }

tok=$("$CTL" -s "$csock" token create --kind gateway | sed -n 's/^token=//p')
link=$tmp/link
id=$(lab_exec gw "$KASTROD" enroll --console "127.0.0.1:$HP" --dir "$link" --token "$tok" \
	--ca-fingerprint "$fp" 2>"$tmp/enroll.err")
[ -n "$id" ] || { t_fail "$T: enroll: $(cat "$tmp/enroll.err")"; t_done; }

# ---- kastrod with the seed inventory ----------------------------------------------
state=$tmp/state
mkdir -m 755 "$state"
copy=$state/inventory.conf
cat >"$tmp/seed.conf" <<EOF2
service "web" { address 10.20.0.99 ports tcp 80 }
EOF2
conf=$tmp/kastrod.conf
cat >"$conf" <<EOF2
interfaces { "gw-lan" "gw-dmz" }
eve "$tmp/eve.json"
console { address "127.0.0.1" port $SP dir "$link" }
inventory from console "$copy" fallback "seed.conf"
interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
default block
pass from lan to service "web"
EOF2
klog=$tmp/kastrod.log
ksock=$tmp/kastrod.sock
kstat() { "$CTL" -s "$ksock" status | sed -n "s/^$1=//p"; }
kstat_is() { [ "$(kstat "$1")" = "$2" ]; }
start_kastrod() {
	lab_exec gw "$KASTROD" -c "$conf" --control "$ksock" >>"$klog" 2>&1 &
	kpid=$!
	lab_wait_until 15 test -S "$ksock" && lab_wait_until 15 kstat_is sensor_capturing 1
}
# The seed is read before kastrod starts the link: check what it loads first.
if "$KASTROD" -n -c "$conf" 2>&1 | grep -q 'ip daddr 10.20.0.99 .*tcp . 80'; then
	t_pass "$T: with no pushed copy yet kastrod -n loads the fallback file"
else
	t_fail "$T: kastrod -n: $("$KASTROD" -n -c "$conf" 2>&1 | head -n 5 | tr '\n' ' ')"
fi
start_kastrod || { t_fail "$T: kastrod did not start: $(tail -n 5 "$klog" | tr '\n' ' ')"; t_done; }
nft_rules() { lab_exec gw nft list chain inet kastro forward 2>/dev/null; }
http_ok() { lab_exec lan curl -s -o /dev/null --max-time 3 "http://$LAB_DMZ_IP4:80/"; }
cmd_status() { db "SELECT status FROM commands WHERE type = 'inventory' AND id = $1"; }
cmd_result() { db "SELECT result FROM commands WHERE type = 'inventory' AND id = $1"; }
cmd_ended() { case "$(cmd_status "$1")" in done | failed) return 0 ;; esac; return 1; }
last_cmd() { db "SELECT coalesce(max(id), 0) FROM commands WHERE type = 'inventory' AND sensor_id = '$id'"; }
last_cmd_gt() { [ "$(last_cmd)" -gt "$1" ]; }

# ---- 1. the first push ---------------------------------------------------------------
lab_wait_until 20 last_cmd_gt 0
c1=$(last_cmd)
if [ "$c1" -gt 0 ] && lab_wait_until 20 cmd_ended "$c1" && [ "$(cmd_status "$c1")" = done ]; then
	t_pass "$T: the console queued the inventory at the gateway's first poll; done ($(cmd_result "$c1"))"
else
	t_fail "$T: push 1: command ${c1:-none} $(cmd_status "${c1:-0}") $(cmd_result "${c1:-0}"); $(grep -i inventory "$klog" | tail -n 3 | tr '\n' ' ')"
fi
sha=$(console_sha)
if nft_rules | grep -q "ip daddr $LAB_DMZ_IP4 .*tcp . 80" && ! nft_rules | grep -q 10.20.0.99; then
	t_pass "$T: the kernel's table enforces the pushed service's address"
else
	t_fail "$T: nft after push: $(nft_rules | grep 'daddr' | tr '\n' ' ')"
fi
http_ok && t_pass "$T: HTTP from the LAN to the pushed service passes" ||
	t_fail "$T: HTTP to the pushed service refused"
fsha=$(sha256sum "$copy" 2>/dev/null | cut -d' ' -f1)
mode=$(stat -c %a "$copy" 2>/dev/null)
if [ -n "$sha" ] && [ "$fsha" = "$sha" ] && [ "$mode" = 640 ]; then
	t_pass "$T: the copy is kept, mode 0640, with the console's SHA-256 (${sha:0:12}...)"
else
	t_fail "$T: copy: sha '$fsha' (console '$sha'), mode '$mode'"
fi
src=$(kstat inventory_source) ksha=$(kstat inventory_sha256) age=$(kstat inventory_age_s)
if [ "$src" = console ] && [ "$ksha" = "$sha" ] && [ "${age:--1}" -ge 0 ] 2>/dev/null; then
	t_pass "$T: kastroctl status: inventory_source=console, its hash, age ${age} s"
else
	t_fail "$T: status: source '$src' sha '$ksha' age '$age'"
fi

# ---- 2. a push the gateway's policy cannot take -----------------------------------------
stop_console
write_services "" "website"        # the rule names "web": gone
"$CONSOLE" -n -c "$cconf" >/dev/null 2>&1 && t_pass "$T: the console accepts the renamed service" ||
	t_fail "$T: the console refuses the renamed service"
start_console || { t_fail "$T: console did not start again"; t_done; }
lab_wait_until 40 last_cmd_gt "$c1"
c2=$(last_cmd)
if [ "$c2" -gt "$c1" ] && lab_wait_until 20 cmd_ended "$c2" && [ "$(cmd_status "$c2")" = failed ] &&
	cmd_result "$c2" | grep -q 'unknown service \\"web\\"'; then
	t_pass "$T: the bad push is refused, and the command says why"
else
	t_fail "$T: push 2: command $c2 $(cmd_status "$c2") $(cmd_result "$c2")"
fi
[ "$(sha256sum "$copy" | cut -d' ' -f1)" = "$sha" ] && [ "$(kstat inventory_sha256)" = "$sha" ] &&
	nft_rules | grep -q "ip daddr $LAB_DMZ_IP4 .*tcp . 80" && http_ok &&
	t_pass "$T: after the refusal the running policy and the copy are the old ones" ||
	t_fail "$T: after the refusal: copy $(sha256sum "$copy" | cut -c1-12), status $(kstat inventory_sha256 | cut -c1-12)"

# ---- 3. synproxy comes with the inventory -------------------------------------------
stop_console
write_services "synproxy"
start_console || { t_fail "$T: console did not start again"; t_done; }
lab_wait_until 40 last_cmd_gt "$c2"
c3=$(last_cmd)
lab_wait_until 20 cmd_ended "$c3"
sha3=$(console_sha)
if [ "$(cmd_status "$c3")" = done ] && lab_exec gw nft list table inet kastro | grep -q 'synproxy' &&
	[ "$(kstat inventory_sha256)" = "$sha3" ]; then
	t_pass "$T: a service pushed with synproxy gets a synproxy rule in the kernel"
else
	t_fail "$T: push 3: $(cmd_status "$c3") $(cmd_result "$c3"); synproxy in nft: $(lab_exec gw nft list table inet kastro | grep -c synproxy)"
fi

# ---- 4. console away, kastrod restarted: the copy --------------------------------------
stop_console
stop_kastrod
lab_exec gw nft delete table inet kastro 2>/dev/null
start_kastrod || { t_fail "$T: kastrod did not start again: $(tail -n 5 "$klog" | tr '\n' ' ')"; t_done; }
# the sensor may report capturing a moment before the parent has loaded the
# policy into the table deleted above: wait for both (bounded)
from_copy() {
	[ "$(kstat inventory_source)" = console ] && [ "$(kstat inventory_sha256)" = "$sha3" ] &&
		nft_rules | grep -q "ip daddr $LAB_DMZ_IP4 .*tcp . 80"
}
if lab_wait_until 15 from_copy && http_ok; then
	t_pass "$T: with the console down, a restarted kastrod enforces with its last copy"
else
	t_fail "$T: restart: source $(kstat inventory_source), nft: $(nft_rules | grep daddr | tr '\n' ' ')"
fi

# ---- 5. the console back: the same inventory, no reload --------------------------------
reloads=$(kstat reloads)
start_console || { t_fail "$T: console did not start again"; t_done; }
lab_wait_until 40 last_cmd_gt "$c3"
c5=$(last_cmd)
lab_wait_until 20 cmd_ended "$c5"
if [ "$(cmd_status "$c5")" = done ] && cmd_result "$c5" | grep -q unchanged &&
	[ "$(kstat reloads)" = "$reloads" ]; then
	t_pass "$T: the console back with the same inventory: answered unchanged, no reload"
else
	t_fail "$T: push 5: $(cmd_status "$c5") $(cmd_result "$c5"); reloads $reloads -> $(kstat reloads)"
fi
# ---- 6. the inventory reloaded without restarting the console: pushed at once ----------
write_services ""                  # synproxy dropped
if "$CTL" -s "$csock" console reload >"$tmp/reload.out" 2>&1; then
	t_pass "$T: kastroctl console reload takes the changed inventory"
else
	t_fail "$T: reload: $(tr '\n' ' ' <"$tmp/reload.out")"
fi
sha6=$(console_sha)
lab_wait_until 10 last_cmd_gt "$c5"
c6=$(last_cmd)
if [ "$c6" -gt "$c5" ] && lab_wait_until 10 cmd_ended "$c6" && [ "$(cmd_status "$c6")" = done ] &&
	[ "$sha6" != "$sha3" ] && [ "$(kstat inventory_sha256)" = "$sha6" ] &&
	! lab_exec gw nft list table inet kastro | grep -q synproxy; then
	t_pass "$T: the reloaded inventory reaches the gateway within 10 s (no synproxy rule any more)"
else
	t_fail "$T: push 6: command $c6 $(cmd_status "$c6") $(cmd_result "$c6"); sha ${sha6:0:12} gateway $(kstat inventory_sha256 | cut -c1-12)"
fi
[ -n "${KASTRO_DEBUG:-}" ] && sed 's/^/    kastrod: /' "$klog"
t_done
