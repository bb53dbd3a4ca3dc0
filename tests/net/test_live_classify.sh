#!/bin/bash
# Live classification: a LAN client talks HTTP, DNS and TLS (and HTTP over
# IPv6) to the DMZ services through the gateway namespace, where kastrod
# captures on both of the gateway's interfaces. Its EVE output must hold a
# classified flow for each, the dns/tls/http events with the names used, and
# a stats event; while it runs it must hold no capabilities and not be root.
#
# usage: tests/net/test_live_classify.sh KASTROD
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lab.sh"

T=net_live
if [ $# -ne 1 ]; then
	echo "usage: $0 KASTROD" >&2
	exit 2
fi
KASTROD=$1

lab_need "$T" jq curl dig openssl dnsmasq ss
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac
if [ ! -x "$KASTROD" ]; then
	t_fail "$T: kastrod binary '$KASTROD' missing or not executable"
	t_done
fi

HTTP_HOST=portal.kavala.example
HTTP_PATH=/index.html
HTTP6_HOST=e-ticketing.kavala.example
DNS_NAME=portal.kavala.example
TLS_SNI=e-payments.kavala.example

lab_test_begin "$T"
eve="$tmp/eve.json"
klog="$tmp/kastrod.log"
t_pass "$T: lab up ($LAB_NS_LAN -> $LAB_NS_GW -> $LAB_NS_DMZ)"

# ---- start kastrod in the gateway namespace ------------------------------
ip netns exec "$LAB_NS_GW" "$KASTROD" -i "$LAB_GW_IFACES" --eve "$eve" >"$klog" 2>&1 </dev/null &
kpid=$!

show_log() { sed -n '1,20s/^/    kastrod: /p' "$klog"; }

# Ready when it holds a packet socket bound to each gateway interface and
# says so: a bound socket alone is not yet reading (libpcap sets up its ring
# after binding), kastrod logs "capturing on" once every handle is active.
capturing() { lab_capturing gw "$kpid" "$LAB_GW_IFACES" && grep -q 'capturing on' "$klog"; }
if lab_wait_until 15 capturing; then
	t_pass "$T: kastrod capturing on $LAB_GW_IFACES"
elif lab_alive "$kpid"; then
	t_fail "$T: kastrod capturing on $LAB_GW_IFACES: no packet sockets on both after 15 s"
	show_log
else
	wait "$kpid"; rc=$?
	t_fail "$T: kastrod capturing on $LAB_GW_IFACES: exited early with status $rc"
	show_log
	kpid=""
	t_done
fi

# ---- privileges while running ---------------------------------------------
# kastrod is a privileged parent and a packet-parsing child: the child must
# hold nothing (tests/net/test_privsep.sh checks the parent).
child_pid() { ps -o pid= --ppid "$kpid" | tr -d ' ' | head -1; }
status_field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "/proc/$(child_pid)/status" 2>/dev/null; }
dropped() {
	local u
	for c in CapEff CapPrm CapBnd; do
		[ "$(status_field $c)" = 0000000000000000 ] || return 1
	done
	u=$(status_field Uid)
	[ -n "$u" ] || return 1
	for id in $u; do [ "$id" != 0 ] || return 1; done
}
# Capabilities are dropped right after the capture handles are opened.
lab_wait_until 5 dropped
got="CapEff=$(status_field CapEff) CapPrm=$(status_field CapPrm) CapBnd=$(status_field CapBnd) Uid=$(status_field Uid | tr '\t' ' ')"
if dropped; then
	t_pass "$T: kastrod's packet process runs without capabilities and not as root ($got)"
else
	t_fail "$T: kastrod's packet process runs without capabilities and not as root: $got"
fi

# ---- traffic from the LAN client ------------------------------------------
code=$(lab_exec lan curl -sS -o /dev/null -w '%{http_code}' --max-time 10 \
	-H "Host: $HTTP_HOST" "http://$LAB_DMZ_IP4$HTTP_PATH" 2>"$tmp/curl.err")
if [ "$code" = 200 ]; then t_pass "$T: traffic: HTTP GET $HTTP_HOST"; else
	t_fail "$T: traffic: HTTP GET $HTTP_HOST: status '$code' $(head -c 200 "$tmp/curl.err")"; fi

ans=$(lab_exec lan dig +time=3 +tries=2 +short "@$LAB_DMZ_IP4" "$DNS_NAME" A 2>&1)
if [ "$ans" = "$LAB_DMZ_IP4" ]; then t_pass "$T: traffic: DNS $DNS_NAME A"; else
	t_fail "$T: traffic: DNS $DNS_NAME A: got '$ans'"; fi

printf 'GET / HTTP/1.0\r\n\r\n' | lab_exec lan timeout 15 openssl s_client -ign_eof \
	-connect "$LAB_DMZ_IP4:$LAB_TLS_PORT" -servername "$TLS_SNI" >"$tmp/tls.out" 2>&1
if grep -q '^HTTP/1.0 200' "$tmp/tls.out"; then t_pass "$T: traffic: TLS to $TLS_SNI"; else
	t_fail "$T: traffic: TLS to $TLS_SNI: $(tail -n 3 "$tmp/tls.out" | tr '\n' ' ')"; fi

code=$(lab_exec lan curl -sS -g -o /dev/null -w '%{http_code}' --max-time 10 \
	-H "Host: $HTTP6_HOST" "http://[$LAB_DMZ_IP6]/health" 2>"$tmp/curl.err")
if [ "$code" = 200 ]; then t_pass "$T: traffic: HTTP over IPv6 $HTTP6_HOST"; else
	t_fail "$T: traffic: HTTP over IPv6 $HTTP6_HOST: status '$code' $(head -c 200 "$tmp/curl.err")"; fi

# ---- stats, then stop ------------------------------------------------------
kill -USR1 "$kpid" 2>/dev/null
has_stats() { grep -q '"event_type" *: *"stats"' "$eve" 2>/dev/null; }
lab_wait_until 5 has_stats

kill -TERM "$kpid" 2>/dev/null
gone() { ! lab_alive "$kpid"; }
lab_wait_until 20 gone
if lab_alive "$kpid"; then
	t_fail "$T: kastrod exits after SIGTERM: still running after 20 s"
	kill -KILL "$kpid" 2>/dev/null
	wait "$kpid" 2>/dev/null
else
	wait "$kpid"; rc=$?
	if [ "$rc" = 0 ]; then t_pass "$T: kastrod exits 0 after SIGTERM"; else
		t_fail "$T: kastrod exits 0 after SIGTERM: exit status $rc"; show_log; fi
fi
kpid=""

# ---- the EVE output --------------------------------------------------------
if [ ! -s "$eve" ]; then
	t_fail "$T: EVE file written: '$eve' missing or empty"
	show_log
	t_done
fi
all=$(wc -l <"$eve")
jq -c -R 'fromjson? // empty' "$eve" >"$tmp/valid.json" 2>/dev/null
ok=$(wc -l <"$tmp/valid.json")
if [ "$ok" = "$all" ]; then t_pass "$T: EVE: all $all lines are JSON"; else
	t_fail "$T: EVE: $((all - ok)) of $all lines are not JSON"
	jq -R 'select((fromjson? // null) == null)' "$eve" 2>/dev/null | head -n 3 | sed 's/^/    bad: /'
fi

# ev FILTER: the matching events, one compact line each.
ev() { jq -c "select($1)" "$tmp/valid.json"; }
# show LINES: print up to 5 events under a failure.
show() { printf '%s\n' "$1" | head -n 5 | cut -c1-1000 | sed '/^$/d; s/^/    got: /'; }

# check_flow NAME PROTO SRC DST DPORT APP NDPI_PROTO [HOSTNAME]
check_flow() {
	local name=$1 proto=$2 src=$3 dst=$4 dport=$5 app=$6 np=$7 host=${8:-} sel f bad
	sel=".event_type == \"flow\" and .proto == \"$proto\" and .src_ip == \"$src\" and .dest_ip == \"$dst\" and .dest_port == $dport"
	f=$(ev "$sel")
	if [ -z "$f" ]; then
		t_fail "$T: flow $name: no flow event $proto $src -> $dst:$dport"
		show "$(ev '.event_type == "flow"')"
		return
	fi
	t_pass "$T: flow $name: $proto $src -> $dst:$dport ($(printf '%s\n' "$f" | wc -l) event(s))"
	bad=$(printf '%s\n' "$f" | jq -c "select(.app_proto != \"$app\" or .ndpi.protocol != \"$np\")")
	if [ -z "$bad" ]; then t_pass "$T: flow $name: app_proto $app, ndpi.protocol $np"; else
		t_fail "$T: flow $name: app_proto $app, ndpi.protocol $np: got $(printf '%s\n' "$bad" | jq -r '"app_proto=\(.app_proto) ndpi.protocol=\(.ndpi.protocol)"' | sort -u | tr '\n' ' ')"
		show "$bad"; fi
	if [ -n "$host" ]; then
		bad=$(printf '%s\n' "$f" | jq -c "select(.ndpi.hostname != \"$host\")")
		if [ -z "$bad" ]; then t_pass "$T: flow $name: ndpi.hostname $host"; else
			t_fail "$T: flow $name: ndpi.hostname $host: got $(printf '%s\n' "$bad" | jq -r '.ndpi.hostname' | sort -u | tr '\n' ' ')"
			show "$bad"; fi
	fi
	bad=$(printf '%s\n' "$f" | jq -c 'select((.flow.pkts_toserver // 0) < 1 or (.flow.pkts_toclient // 0) < 1)')
	if [ -z "$bad" ]; then t_pass "$T: flow $name: packets counted both ways"; else
		t_fail "$T: flow $name: packets counted both ways"; show "$bad"; fi
	bad=$(printf '%s\n' "$f" | jq -c "select(.in_iface as \$i | \"$LAB_GW_IFACES\" | split(\",\") | index([\$i]) | not)")
	if [ -z "$bad" ]; then t_pass "$T: flow $name: in_iface is a gateway interface"; else
		t_fail "$T: flow $name: in_iface is a gateway interface ($LAB_GW_IFACES)"; show "$bad"; fi
}

check_flow "http" TCP "$LAB_LAN_IP4" "$LAB_DMZ_IP4" "$LAB_HTTP_PORT" http HTTP "$HTTP_HOST"
check_flow "dns" UDP "$LAB_LAN_IP4" "$LAB_DMZ_IP4" "$LAB_DNS_PORT" dns DNS
check_flow "tls" TCP "$LAB_LAN_IP4" "$LAB_DMZ_IP4" "$LAB_TLS_PORT" tls TLS "$TLS_SNI"
check_flow "http-ipv6" TCP "$LAB_LAN_IP6" "$LAB_DMZ_IP6" "$LAB_HTTP_PORT" http HTTP "$HTTP6_HOST"

# check_event NAME SELECT DETAIL_SELECT: some event matches SELECT (the
# subject), and one of those matches DETAIL_SELECT too.
check_event() {
	local name=$1 sel=$2 detail=$3 type=$4 e
	e=$(ev "$sel")
	if [ -z "$e" ]; then
		t_fail "$T: $name: no such event"
		show "$(ev ".event_type == \"$type\"")"
		return
	fi
	if [ -n "$(printf '%s\n' "$e" | jq -c "select($detail)")" ]; then t_pass "$T: $name"; else
		t_fail "$T: $name: fields differ"; show "$e"; fi
}

check_event "http event: hostname $HTTP_HOST, GET $HTTP_PATH, status 200" \
	".event_type == \"http\" and .http.hostname == \"$HTTP_HOST\"" \
	".http.url == \"$HTTP_PATH\" and .http.http_method == \"GET\" and .http.status == 200" http
check_event "http event over IPv6: hostname $HTTP6_HOST" \
	".event_type == \"http\" and .http.hostname == \"$HTTP6_HOST\"" \
	".src_ip == \"$LAB_LAN_IP6\" and .dest_ip == \"$LAB_DMZ_IP6\"" http
check_event "dns event: rrname $DNS_NAME" \
	".event_type == \"dns\" and .dns.rrname == \"$DNS_NAME\"" "true" dns
check_event "dns event: answer $DNS_NAME A $LAB_DMZ_IP4" \
	".event_type == \"dns\" and .dns.type == \"answer\" and .dns.rrname == \"$DNS_NAME\"" \
	"any(.dns.answers[]?; .rrtype == \"A\" and .rdata == \"$LAB_DMZ_IP4\")" dns
check_event "tls event: sni $TLS_SNI" \
	".event_type == \"tls\" and .tls.sni == \"$TLS_SNI\"" "true" tls
check_event "tls event: version TLS 1.3 (Suricata's spelling)" \
	".event_type == \"tls\" and .tls.sni == \"$TLS_SNI\"" ".tls.version == \"TLS 1.3\"" tls

if [ -n "$(ev '.event_type == "stats"')" ]; then t_pass "$T: stats event (SIGUSR1)"; else
	t_fail "$T: stats event (SIGUSR1): none in $all events"; fi

if [ "$T_FAILED" != 0 ]; then
	echo "    --- EVE output ($all lines, first 40) ---"
	head -n 40 "$eve" | cut -c1-1000 | sed 's/^/    /'
	show_log
fi
t_done
