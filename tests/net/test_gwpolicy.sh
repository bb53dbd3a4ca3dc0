#!/bin/bash
# The gateway's own traffic and NAT, on real connections in the lab (with a
# third segment, wan): traffic to the gateway itself is refused except what
# the policy passes (`to self`), and counted; IPv6 neighbour discovery and
# DHCP on the zone that uses it pass implicitly; masquerade carries LAN
# connections out of wan with the gateway's address (IPv6 routed as it
# is); port forwarding (`rdr`) carries a connection from wan to a DMZ
# service, which sees the real client. kastrod -n warns about a policy that
# leaves no way to manage the gateway.
#
# usage: tests/net/test_gwpolicy.sh KASTROD
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lab.sh"

T=net_gwpolicy
KASTROD=$1
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac

lab_segment wan 10.30.0 fd00:30
lab_test_begin "$T"
py=$(lab_python)

KASTROCTL=$(dirname "$KASTROD")/kastroctl

# ---- kastrod --list, and a category of one's own -------------------------------------
apps=$("$KASTROD" --list apps 2>&1)
cats=$("$KASTROD" --list categories 2>&1)
risks=$("$KASTROD" --list risks 2>&1)
if printf '%s\n' "$apps" | grep -qP '^BitTorrent\tDownload\t' &&
	printf '%s\n' "$cats" | grep -qP '^Banned_Site\t102\t' &&
	printf '%s\n' "$risks" | grep -qP '^SQL Injection\tSevere$' &&
	! "$KASTROD" --list colours >/dev/null 2>&1; then
	t_pass "$T: kastrod --list prints nDPI's applications, categories (with ids) and risks"
else
	t_fail "$T: kastrod --list: $(printf '%s' "$apps" | head -c 200) / $(printf '%s' "$cats" | grep Banned)"
fi
# nDPI 4.2 has no gambling category: a categories file puts sites in Banned_Site.
pcap=$(t_testdata)/pcap/http_auth.pcap
if [ -f "$pcap" ]; then
	printf 'browserspy.dk\t102\n' >"$tmp/cats.txt"
	printf 'ndpi { categories "%s" }\nblock log category Banned_Site\n' "$tmp/cats.txt" >"$tmp/cat.conf"
	if "$KASTROD" -c "$tmp/cat.conf" -r "$pcap" --eve - 2>/dev/null |
		grep -q '"event_type":"alert".*"signature":"block log category Banned_Site"'; then
		t_pass "$T: a host put in Banned_Site by the categories file matches 'category Banned_Site'"
	else
		t_fail "$T: categories file entry with id 102 does not match 'category Banned_Site'"
	fi
else
	t_skip "$T: categories file: $pcap missing"
fi

# ---- kastrod -n: the management warning -----------------------------------
cat >"$tmp/nomgmt.conf" <<EOF2
interface lan { device "gw-lan" networks 10.10.0.0/24 }
default block
pass from lan to any port 80
EOF2
if "$KASTROD" -n -c "$tmp/nomgmt.conf" >/dev/null 2>"$tmp/nomgmt.err" &&
	grep -q "warning: no rule passes SSH (tcp port 22) to the gateway itself" "$tmp/nomgmt.err"; then
	t_pass "$T: kastrod -n warns when no rule lets anyone manage the gateway"
else
	t_fail "$T: kastrod -n management warning: $(head -c 300 "$tmp/nomgmt.err")"
fi

eve=$tmp/eve.json
conf=$tmp/kastrod.conf
cat >"$conf" <<EOF2
interfaces { "gw-lan" "gw-dmz" "gw-wan" }
eve "$eve"
interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
interface wan { device "gw-wan" dhcp }
service "portal" { address { 10.20.0.2 fd00:20::2 } ports tcp 80 }
default block
# management: SSH stand-in on 2222 from the LAN, ping from the LAN
pass proto tcp from lan to self port { 22 2222 }
pass proto { icmp icmpv6 } from lan to self
pass proto tcp from lan to { dmz wan } port { 80 8000 }
pass from wan to service "portal"
nat from lan to wan
rdr proto tcp from wan port 8080 to service "portal"
block log host "*.blocked.kavala.example"
EOF2
if ! "$KASTROD" -n -c "$conf" >"$tmp/check.out" 2>"$tmp/check.err"; then
	t_fail "$T: policy accepted: $(head -n 5 "$tmp/check.err" | tr '\n' ' ')"
	t_done
fi
if grep -q "warning: no rule passes SSH" "$tmp/check.err"; then
	t_fail "$T: kastrod -n warns although SSH to the gateway is passed"
fi

# Listeners on the gateway itself: one the policy passes, one it does not,
# and a DHCP client port; a web server on the wan host.
lab_spawn gw self_ok "$py" -m http.server 2222 --bind :: --directory "$tmp"
lab_spawn gw self_no "$py" -m http.server 2223 --bind :: --directory "$tmp"
cat >"$tmp/udp68.py" <<'EOF2'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 68))
while True:
    data, peer = s.recvfrom(2048)
    print("got %s from %s:%d" % (data.decode(errors="replace"), peer[0], peer[1]), flush=True)
EOF2
lab_spawn gw udp68 "$py" "$tmp/udp68.py"
mkdir -p "$tmp/wanroot" && echo wan-ok >"$tmp/wanroot/index.html"
lab_spawn wan wanweb "$py" -m http.server 8000 --bind :: --directory "$tmp/wanroot"
for p in 2222 2223; do
	lab_wait_listen gw tcp "$p" 10 || t_fail "$T: listener on the gateway's port $p"
done
lab_wait_listen gw udp 68 10 || t_fail "$T: udp 68 listener on the gateway"
lab_wait_listen wan tcp 8000 10 || t_fail "$T: web server on the wan host"

klog=$tmp/kastrod.log
lab_exec gw "$KASTROD" -c "$conf" --control "$tmp/kastrod.sock" >"$klog" 2>&1 &
kpid=$!
if ! lab_wait_until 15 grep -q 'capturing on\|inspecting queued' "$klog"; then
	t_fail "$T: kastrod did not start"
	sed 's/^/    kastrod: /' "$klog" | head -20
	t_done
fi
if ! lab_exec gw nft list chain inet kastro self_in >/dev/null 2>&1 ||
	! lab_exec gw nft list chain inet kastro nat_post >/dev/null 2>&1; then
	t_fail "$T: kastrod loaded no self_in or nat_post chain"
	t_done
fi
# Forget neighbours learnt before the rules were in place: ND must pass now.
for ns in gw lan dmz wan; do lab_exec "$ns" ip -6 neigh flush all 2>/dev/null; done

get() {  # get NS URL -> HTTP status ("000" when refused or timed out)
	lab_exec "$1" curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$2" 2>/dev/null
}
self_default() {  # packets counted by the default rule of self_in
	lab_exec gw nft list chain inet kastro self_in |
		sed -n 's/.*counter packets \([0-9]*\) .*kastro self default.*/\1/p'
}

# ---- 1. traffic to the gateway itself ----------------------------------------
before=$(self_default)
c=$(get lan "http://$LAB_GW_LAN_IP4:2222/")
[ "$c" = 200 ] && t_pass "$T: self: a port the policy passes answers the LAN (IPv4)" ||
	t_fail "$T: self: passed port from the LAN (IPv4): got $c"
c=$(get lan "http://[$LAB_GW_LAN_IP6]:2222/")
[ "$c" = 200 ] && t_pass "$T: self: a port the policy passes answers the LAN (IPv6, neighbour discovery implicit)" ||
	t_fail "$T: self: passed port from the LAN (IPv6): got $c"
c=$(get lan "http://$LAB_GW_LAN_IP4:2223/")
[ "$c" = 000 ] && t_pass "$T: self: a port the policy does not name is refused" ||
	t_fail "$T: self: unnamed port 2223 from the LAN: got $c"
c=$(get dmz "http://$LAB_GW_DMZ_IP4:2222/")
[ "$c" = 000 ] && t_pass "$T: self: the passed port is refused from a zone the rule does not name" ||
	t_fail "$T: self: port 2222 from the DMZ: got $c"
c=$(get wan "http://[$LAB_GW_WAN_IP6]:2222/")
[ "$c" = 000 ] && t_pass "$T: self: the passed port is refused from wan (IPv6)" ||
	t_fail "$T: self: port 2222 from wan over IPv6: got $c"
if lab_exec lan ping -c 1 -W 2 "$LAB_GW_LAN_IP4" >/dev/null 2>&1 &&
	lab_exec lan ping -6 -c 1 -W 2 "$LAB_GW_LAN_IP6" >/dev/null 2>&1; then
	t_pass "$T: self: ping from the LAN answered (both families)"
else
	t_fail "$T: self: ping from the LAN answered"
fi
if lab_exec dmz ping -c 1 -W 1 "$LAB_GW_DMZ_IP4" >/dev/null 2>&1; then
	t_fail "$T: self: ping from the DMZ refused (it was answered)"
else
	t_pass "$T: self: ping from the DMZ refused"
fi
after=$(self_default)
if [ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ]; then
	t_pass "$T: self: refused packets are counted ($before -> $after)"
else
	t_fail "$T: self: refused packets counted: '$before' -> '$after'"
fi

# DHCP replies (udp 67 -> 68) reach the gateway on wan, which uses DHCP, not on lan.
dhcp_send() {  # dhcp_send NS DST TEXT
	lab_exec "$1" "$py" -c 'import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind(("0.0.0.0",67)); s.sendto(sys.argv[2].encode(),(sys.argv[1],68))' "$2" "$3"
}
dhcp_send wan "$LAB_GW_WAN_IP4" from-wan
dhcp_send lan "$LAB_GW_LAN_IP4" from-lan
sleep 0.5
if grep -q "got from-wan" "$LAB_DIR/udp68.log" && ! grep -q "got from-lan" "$LAB_DIR/udp68.log"; then
	t_pass "$T: self: DHCP to the gateway passes on the zone marked dhcp only"
else
	t_fail "$T: self: DHCP on the dhcp zone only: $(tr '\n' ' ' <"$LAB_DIR/udp68.log")"
fi

# ---- 2. masquerade -----------------------------------------------------------------
c=$(get lan "http://$LAB_WAN_IP4:8000/")
if [ "$c" = 200 ] && grep -q "^::ffff:$LAB_GW_WAN_IP4 .*GET / " "$LAB_DIR/wanweb.log" &&
	! grep -q "^::ffff:$LAB_LAN_IP4 " "$LAB_DIR/wanweb.log"; then
	t_pass "$T: nat: a LAN connection leaves wan with the gateway's address"
else
	t_fail "$T: nat: masquerade (status $c): $(tr '\n' ' ' <"$LAB_DIR/wanweb.log" | head -c 300)"
fi
c=$(get lan "http://[$LAB_WAN_IP6]:8000/")
if [ "$c" = 200 ] && grep -q "^$LAB_LAN_IP6 .*GET / " "$LAB_DIR/wanweb.log"; then
	t_pass "$T: nat: IPv6 passes routed, with the client's own address"
else
	t_fail "$T: nat: IPv6 routed (status $c): $(tr '\n' ' ' <"$LAB_DIR/wanweb.log" | head -c 300)"
fi

# ---- 3. port forwarding --------------------------------------------------------------
c=$(get wan "http://$LAB_GW_WAN_IP4:8080/health")
if [ "$c" = 200 ] && grep -q "^::ffff:$LAB_WAN_IP4 .*GET /health " "$LAB_DIR/http.log"; then
	t_pass "$T: rdr: wan's connection to the gateway's port 8080 reaches the DMZ service, which sees the client"
else
	t_fail "$T: rdr: port forwarding (status $c): $(grep health "$LAB_DIR/http.log" | tail -2 | tr '\n' ' ')"
fi
c=$(get wan "http://$LAB_GW_WAN_IP4:8081/health")
[ "$c" = 000 ] && t_pass "$T: rdr: another port of the gateway is not forwarded" ||
	t_fail "$T: rdr: port 8081 of the gateway: got $c"
n=$(lab_exec gw nft list chain inet kastro nat_pre | sed -n 's/.*counter packets \([0-9]*\) .*kastro rdr.*/\1/p')
[ "${n:-0}" -ge 1 ] && t_pass "$T: rdr: its rule counts the connection ($n packets)" ||
	t_fail "$T: rdr: rule counter: '$n'"

# ---- 4. seeing what it does: kastroctl policy, quarantine list ---------------------
ctl() { "$KASTROCTL" -s "$tmp/kastrod.sock" "$@"; }
# a DPI verdict for rule 5
lab_exec lan curl -s -o /dev/null --max-time 3 -H "Host: www.blocked.kavala.example" \
	"http://$LAB_DMZ_IP4/" >/dev/null 2>&1
dpi_counted() { ctl policy 2>/dev/null | grep -qE '^rule 5 verdicts=[1-9][0-9]* .*host "\*\.blocked\.kavala\.example"$'; }
if lab_wait_until 5 dpi_counted; then
	t_pass "$T: kastroctl policy: DPI verdicts counted for the DPI rule"
else
	t_fail "$T: kastroctl policy: DPI verdicts of rule 5: $(ctl policy 2>&1 | grep '^rule 5')"
fi
pol=$(ctl policy 2>&1)
# rule 1 passed the LAN's connections to 2222; the rdr and the nat carried theirs
r1=$(printf '%s\n' "$pol" | sed -n 's/^rule 1 packets=\([0-9]*\) bytes=\([0-9]*\) .*to self port { 22 2222 }$/\1 \2/p')
nat=$(printf '%s\n' "$pol" | sed -n 's/^nat 1 packets=\([0-9]*\) .*nat from lan to wan$/\1/p')
rdr=$(printf '%s\n' "$pol" | sed -n 's/^rdr 2 packets=\([0-9]*\) .*rdr proto tcp from wan port 8080 to service "portal" (port 80)$/\1/p')
self=$(printf '%s\n' "$pol" | sed -n 's/^self default packets=\([0-9]*\) .*/\1/p')
if [ "$(printf '%s\n' "$pol" | head -n 1)" = ok ] && [ "${r1%% *}" -ge 2 ] 2>/dev/null &&
	[ "${r1#* }" -gt 0 ] && [ "${nat:-0}" -ge 1 ] && [ "${rdr:-0}" -ge 1 ] && [ "${self:-0}" -ge 1 ]; then
	t_pass "$T: kastroctl policy: per-rule packet and byte counts (rule 1: $r1, nat: $nat, rdr: $rdr, self default: $self)"
else
	t_fail "$T: kastroctl policy: $(printf '%s' "$pol" | head -c 600 | tr '\n' '|')"
fi
if printf '%s\n' "$pol" | grep -q '^rule 4 packets=[0-9]* bytes=[0-9]* .*pass from wan to service "portal"$'; then
	t_pass "$T: kastroctl policy: forward rules listed with their place and text"
else
	t_fail "$T: kastroctl policy lists the forward rule 4"
fi
ctl quarantine 10.10.0.77 --ttl 1h >/dev/null 2>&1
ctl quarantine fd00:10::77 >/dev/null 2>&1
ql=$(ctl quarantine list 2>&1)
if printf '%s\n' "$ql" | grep -qE '^10\.10\.0\.77 expires in [0-9]+s$' &&
	printf '%s\n' "$ql" | grep -qx 'fd00:10::77 until released'; then
	t_pass "$T: kastroctl quarantine list: both hosts, with and without a time limit"
else
	t_fail "$T: kastroctl quarantine list: $(printf '%s' "$ql" | tr '\n' '|')"
fi
ctl release 10.10.0.77 >/dev/null 2>&1
out=$(ctl release 10.10.0.77 2>&1)
out2=$(ctl quarantine 10.10.0.300 2>&1); rc=$?
case "$out$out2" in
*quarantine4* | *quarantine6*) t_fail "$T: a message names an internal set: '$out' '$out2'" ;;
*) if [ "$rc" = 1 ] && [ "$out2" = "error: '10.10.0.300' is not an IPv4 or IPv6 address (quarantine ADDRESS [SECONDS])" ] &&
	[ "$out" = "error: 10.10.0.77 is not in quarantine" ]; then
	t_pass "$T: kastroctl says a malformed address is one, and names no internal set"
else
	t_fail "$T: malformed address / not in quarantine: '$out2' (rc $rc), '$out'"
fi ;;
esac

kill -TERM "$kpid"
wait "$kpid"
kpid=""
t_done
