#!/bin/bash
# ICMP and DNS checks for real, in the network lab: the console runs in
# the gateway's namespace. Without net.ipv4.ping_group_range an icmp check
# is UNKNOWN and says what to set; with the range set (as
# packaging/sysctl.d/60-kastro-console-ping.conf does) the DMZ host answers
# (OK) and an unused DMZ address does not (CRITICAL). The DMZ's dnsmasq
# answers dns checks: the right address (A and AAAA) is OK, a wrong
# expected answer CRITICAL, NXDOMAIN as expected OK and unexpected
# CRITICAL, a server that does not answer CRITICAL; asked on its IPv6
# address and, as a second dnsmasq, on another port (IPv4 and IPv6), and
# over TCP when its answer is truncated.
#
# usage: tests/continuity/test_lab.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../net/lab.sh"

T=continuity/lab
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
CONSOLE=$B/kastro-console
[ -x "$CONSOLE" ] || { t_fail "$T: $CONSOLE not built"; t_done; }
command -v sqlite3 >/dev/null 2>&1 || { t_fail "$T: sqlite3 not installed"; t_done; }

lab_test_begin continuity-lab
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
trap 'stop_console; _lab_test_end' EXIT

# A second dnsmasq in the DMZ on another port, with its own answers and a
# TXT record too long for UDP without EDNS (its answer comes truncated).
DNS2_PORT=5353
DNS_CLOSED=5354
big=""
for _i in 1 2 3 4 5 6; do big="$big,$(printf 'k%.0s' $(seq 1 200))"; done
lab_spawn dmz dns2 dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
	--no-poll --bind-interfaces --listen-address="$LAB_DMZ_IP4" --listen-address="$LAB_DMZ_IP6" \
	--port="$DNS2_PORT" --local="/$LAB_DOMAIN/" --pid-file="$tmp/dns2.pid" \
	--host-record="portal.$LAB_DOMAIN,10.20.0.123" --txt-record="big.$LAB_DOMAIN$big"
lab_wait_listen dmz udp "$DNS2_PORT" 10 || { t_fail "$T: the second dnsmasq did not start"; t_done; }

data=$tmp/data
"$CONSOLE" init --data "$data" --name 127.0.0.1 >/dev/null 2>&1 || { t_fail "$T: init"; t_done; }
cat >"$tmp/services.conf" <<CONF
service "dmz-host" { check icmp "$LAB_DMZ_IP4" every 5s timeout 2s retries 1 }
service "nobody" { check icmp "10.20.0.99" every 5s timeout 1s retries 1 }
service "dns-a" { check dns "e-payments.$LAB_DOMAIN" server "$LAB_DMZ_IP4" expect "$LAB_DMZ_IP4" every 5s retries 1 }
service "dns-aaaa" { check dns "e-payments.$LAB_DOMAIN" type AAAA server "$LAB_DMZ_IP4" expect "$LAB_DMZ_IP6" every 5s retries 1 }
service "dns-wrong" { check dns "e-payments.$LAB_DOMAIN" server "$LAB_DMZ_IP4" expect "10.20.0.77" every 5s retries 1 }
service "dns-nx" { check dns "nothere.$LAB_DOMAIN" server "$LAB_DMZ_IP4" rcode NXDOMAIN every 5s retries 1 }
service "dns-nx-bad" { check dns "nothere.$LAB_DOMAIN" server "$LAB_DMZ_IP4" every 5s retries 1 }
service "dns-silent" { check dns "e-payments.$LAB_DOMAIN" server "10.20.0.99" timeout 1s every 5s retries 1 }
service "dns-v6" { check dns "e-payments.$LAB_DOMAIN" server "$LAB_DMZ_IP6" expect "$LAB_DMZ_IP4" every 5s retries 1 }
service "dns-v6-aaaa" { check dns "e-payments.$LAB_DOMAIN" type AAAA server "[$LAB_DMZ_IP6]:53" expect "$LAB_DMZ_IP6" every 5s retries 1 }
service "dns-v6-port" { check dns "portal.$LAB_DOMAIN" server "[$LAB_DMZ_IP6]:$DNS2_PORT" expect "10.20.0.123" every 5s retries 1 }
service "dns-v4-port" { check dns "portal.$LAB_DOMAIN" server "$LAB_DMZ_IP4:$DNS2_PORT" expect "10.20.0.123" every 5s retries 1 }
service "dns-v6-tcp" { check dns "big.$LAB_DOMAIN" type TXT server "[$LAB_DMZ_IP6]:$DNS2_PORT" every 5s retries 1 }
service "dns-v6-silent" { check dns "e-payments.$LAB_DOMAIN" server "[$LAB_DMZ_IP6]:$DNS_CLOSED" timeout 1s every 5s retries 1 }
CONF
cat >"$tmp/console.conf" <<CONF
data "$data"
listen https on 127.0.0.1 port 8443
listen sensors on 127.0.0.1 port 7443
control "$tmp/console.sock"
include "services.conf"
CONF

start() {
	ip netns exec "$(lab_ns gw)" "$CONSOLE" -c "$tmp/console.conf" >>"$tmp/console.log" 2>&1 &
	cpid=$!
}
q() { sqlite3 "$data/console.db" "$1" 2>/dev/null; }
wait_state() {
	local got=""
	for _i in $(seq 1 $(($3 * 2))); do
		got=$(q "SELECT state FROM svc_checks WHERE service = '$1'")
		[ "$got" = "$2" ] && return 0
		sleep 0.5
	done
	echo "  $1: got '$got', wanted '$2'" >&2
	return 1
}

lab_exec gw sysctl -q -w net.ipv4.ping_group_range="1 0"
start
t_check "$T: without ping_group_range the check is UNKNOWN" wait_state dmz-host UNKNOWN 8
out=$(q "SELECT output FROM svc_checks WHERE service = 'dmz-host'")
case "$out" in *ping_group_range*) t_pass "$T: ... and its output says what to set" ;;
*) t_fail "$T: output: $out" ;; esac
stop_console

lab_exec gw sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
start
t_check "$T: the DMZ host answers echo: OK" wait_state dmz-host OK 10
t_check "$T: an unused address does not: CRITICAL" wait_state nobody CRITICAL 10
ms=$(q "SELECT ms >= 0 FROM svc_checks WHERE service = 'dmz-host'")
t_check "$T: the round trip time is kept" test "$ms" = 1
t_check "$T: dns A with the right answer is OK" wait_state dns-a OK 8
t_check "$T: dns AAAA with the right answer is OK" wait_state dns-aaaa OK 8
t_check "$T: dns with a wrong expected answer is CRITICAL" wait_state dns-wrong CRITICAL 8
out=$(q "SELECT output FROM svc_checks WHERE service = 'dns-wrong'")
case "$out" in *"10.20.0.77"*"not in the answer ($LAB_DMZ_IP4)"*) t_pass "$T: ... and says what came instead" ;;
*) t_fail "$T: dns-wrong output: $out" ;; esac
t_check "$T: NXDOMAIN when expected is OK" wait_state dns-nx OK 8
t_check "$T: NXDOMAIN when NOERROR is expected is CRITICAL" wait_state dns-nx-bad CRITICAL 8
t_check "$T: a server that does not answer is CRITICAL" wait_state dns-silent CRITICAL 8
t_check "$T: dns to the DMZ's IPv6 address is OK" wait_state dns-v6 OK 8
t_check "$T: dns AAAA to [IPv6]:53 is OK" wait_state dns-v6-aaaa OK 8
t_check "$T: dns to [IPv6]:PORT, another server, is OK" wait_state dns-v6-port OK 8
t_check "$T: dns to IPv4:PORT is OK" wait_state dns-v4-port OK 8
t_check "$T: a truncated answer is asked again over TCP: OK" wait_state dns-v6-tcp OK 8
out=$(q "SELECT output FROM svc_checks WHERE service = 'dns-v6-tcp'")
case "$out" in *"NOERROR, kkkkkkkk"*) t_pass "$T: ... with the whole TXT record" ;;
*) t_fail "$T: dns-v6-tcp output: $out" ;; esac
t_check "$T: an IPv6 server that is not there is CRITICAL" wait_state dns-v6-silent CRITICAL 8
out=$(q "SELECT output FROM svc_checks WHERE service = 'dns-v6-silent'")
case "$out" in *"from [$LAB_DMZ_IP6]:$DNS_CLOSED: "*) t_pass "$T: ... and says which server and why" ;;
*) t_fail "$T: dns-v6-silent output: $out" ;; esac
stop_console
t_done
