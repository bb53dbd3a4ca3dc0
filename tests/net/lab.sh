# Kastro network lab: a gateway namespace with one host namespace per
# segment, joined by veth pairs, and stand-in municipal services on the DMZ.
# Source it from bash; do not run it.
#
#        lan (staff PC)              gw (kastrod)              dmz (services)
#   eth0 10.10.0.2/24  <--veth-->  gw-lan 10.10.0.1/24
#        fd00:10::2/64             fd00:10::1/64
#                                  gw-dmz 10.20.0.1/24  <--veth-->  eth0 10.20.0.2/24
#                                  fd00:20::1/64                    fd00:20::2/64
#
#   lab_up                 build the namespaces, links, addresses and routes
#                          (and start the DMZ services unless LAB_SERVICES=0)
#   lab_down               stop every process in the lab, delete it (idempotent)
#   lab_exec ROLE CMD...   run CMD in a lab namespace (ROLE: gw, lan, dmz, ...)
#   lab_spawn ROLE NAME CMD...  same, in the background; output in
#                          $LAB_DIR/NAME.log, pid recorded and returned in
#                          LAB_LAST_PID
#   lab_wait_listen ROLE tcp|udp PORT [SECONDS]   wait until a socket listens
#   lab_wait_until SECONDS CMD...                 poll CMD until it succeeds
#   lab_alive PID          the process runs (not exited, not a zombie)
#   lab_kill_ns ROLE       end every process in a lab namespace (TERM, then KILL)
#   lab_capturing ROLE PID IFACES   PID has packet sockets on all IFACES
#
# Extending: call lab_segment NAME NET4 NET6 before lab_up to add another
# segment (a host namespace "NAME" on interface gw-NAME of the gateway), e.g.
#   lab_segment wan 10.30.0 fd00:30
# Every host gets routes to every other segment through the gateway, and the
# gateway interfaces are listed in LAB_GW_IFACES. Hooks run by lab_up after
# the base lab is ready: any function named in LAB_UP_HOOKS.
#
# Traffic never leaves the lab: hosts have routes to lab segments only (no
# default route) and the gateway has no link outside the lab.
#
# After lab_up, for each segment NAME (upper-cased in variable names):
#   LAB_NS_<NAME>   the host's namespace     LAB_NS_GW  the gateway's
#   LAB_<NAME>_IP4, LAB_<NAME>_IP6           the host's addresses
#   LAB_GW_<NAME>_IP4, LAB_GW_<NAME>_IP6     the gateway's on that segment
#   LAB_DIR                                  scratch dir (logs, cert, docroot)

LAB_PREFIX=${LAB_PREFIX:-kastro}
# Unique per run: pid of the sourcing shell plus a random suffix. The pid lets
# lab_cleanup_stale tell a leftover of a dead run from a running one.
if [ -z "${LAB_ID:-}" ]; then
	LAB_ID="$$-$(od -An -N2 -tx2 /dev/urandom | tr -d ' \n')"
fi
LAB_SERVICES=${LAB_SERVICES:-1}
LAB_UP_HOOKS=${LAB_UP_HOOKS:-}

# Municipal names served by the DMZ's DNS server; all point at the DMZ host.
LAB_DOMAIN=${LAB_DOMAIN:-kavala.example}
LAB_DNS_NAMES=${LAB_DNS_NAMES:-"portal e-payments e-ticketing libraries smart-parking cemetery budget-consultation"}
LAB_HTTP_PORT=80
LAB_DNS_PORT=53
LAB_TLS_PORT=443

LAB_SEGMENTS=""
LAB_NAMESPACES=""
LAB_PIDS=""
LAB_DIR=""
LAB_IS_UP=0

_lab_log() { echo "lab: $*" >&2; }

_lab_upper() { echo "$1" | tr 'a-z-' 'A-Z_'; }

# lab_ns ROLE: the namespace name of a role (a full name is passed through).
lab_ns() {
	case "$1" in
	"$LAB_PREFIX-$LAB_ID-"*) echo "$1" ;;
	*) echo "$LAB_PREFIX-$LAB_ID-$1" ;;
	esac
}

# lab_segment NAME NET4 NET6: declare a segment; NET4 is the first three
# octets of a /24, NET6 the first part of a /64 (gateway .1/::1, host .2/::2).
lab_segment() {
	local _n=$1 _u
	_u=$(_lab_upper "$1")
	case " $LAB_SEGMENTS " in *" $_n "*) return 0 ;; esac
	LAB_SEGMENTS="$LAB_SEGMENTS $_n"
	eval "LAB_NS_$_u=\$(lab_ns \"\$_n\")"
	eval "LAB_${_u}_NET4=$2.0/24 LAB_${_u}_NET6=$3::/64"
	eval "LAB_${_u}_IP4=$2.2 LAB_${_u}_IP6=$3::2"
	eval "LAB_GW_${_u}_IP4=$2.1 LAB_GW_${_u}_IP6=$3::1"
	LAB_GW_IFACES=$(for _s in $LAB_SEGMENTS; do printf '%s,' "gw-$_s"; done)
	LAB_GW_IFACES=${LAB_GW_IFACES%,}
}

LAB_NS_GW=$(lab_ns gw)
lab_segment lan 10.10.0 fd00:10
lab_segment dmz 10.20.0 fd00:20

lab_exec() {
	local _ns
	_ns=$(lab_ns "$1"); shift
	ip netns exec "$_ns" "$@"
}

lab_spawn() {
	local _ns _name=$2
	_ns=$(lab_ns "$1"); shift 2
	# ip netns exec execs CMD, so the pid is CMD's own.
	ip netns exec "$_ns" "$@" >"$LAB_DIR/$_name.log" 2>&1 </dev/null &
	LAB_LAST_PID=$!
	LAB_PIDS="$LAB_PIDS $LAB_LAST_PID"
}

# lab_wait_until SECONDS CMD...: poll CMD every 0.1 s, at most SECONDS.
lab_wait_until() {
	local _tries
	_tries=$(( $1 * 10 )); shift
	while [ "$_tries" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		_tries=$((_tries - 1))
		sleep 0.1
	done
	return 1
}

# lab_alive PID: the process exists and has not exited (a zombie has).
lab_alive() {
	local _st
	_st=$(awk '$1 == "State:" { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$_st" ] && [ "$_st" != Z ]
}

# lab_capturing ROLE PID IFACE[,IFACE...]: PID (or a child of it) holds a
# packet socket bound to each IFACE in ROLE's namespace.
lab_capturing() {
	local _socks _i _pids
	lab_alive "$2" || return 1
	_pids=$(ps -o pid= --ppid "$2" | tr -d ' ' | tr '\n' '|')
	_socks=$(lab_exec "$1" ss -H -0 -p 2>/dev/null | grep -E "pid=(${_pids}$2),")
	for _i in ${3//,/ }; do
		printf '%s\n' "$_socks" | grep -q ":$_i " || return 1
	done
}

_lab_listening() {
	[ -n "$(lab_exec "$1" ss -Hln "--$2" "sport = :$3" 2>/dev/null)" ]
}

_lab_tls_listening() {
	[ "$(lab_exec dmz ss -Hltn "sport = :$LAB_TLS_PORT" 2>/dev/null | wc -l)" -ge 2 ]
}

lab_wait_listen() {
	lab_wait_until "${4:-10}" _lab_listening "$1" "$2" "$3"
}

_lab_add_ns() {
	local _ns
	_ns=$(lab_ns "$1")
	ip netns add "$_ns" || return 1
	LAB_NAMESPACES="$LAB_NAMESPACES $_ns"
	ip -n "$_ns" link set lo up
	# Addresses usable at once (no duplicate address detection in a lab).
	ip netns exec "$_ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

_lab_no_tentative() {
	local _ns
	for _ns in $LAB_NAMESPACES; do
		[ -z "$(ip -n "$_ns" -6 addr show tentative 2>/dev/null)" ] || return 1
	done
}

# lab_up: build the lab; returns nonzero (after tearing down) on failure.
lab_up() {
	[ "$LAB_IS_UP" = 1 ] && return 0
	lab_cleanup_stale
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/$LAB_PREFIX-lab-$LAB_ID.XXXX") || return 1
	LAB_IS_UP=1
	if ! _lab_build; then
		_lab_log "building the lab failed"
		lab_down
		return 1
	fi
	if [ "$LAB_SERVICES" = 1 ] && ! lab_services_up; then
		_lab_log "starting the DMZ services failed"
		lab_down
		return 1
	fi
	local _h
	for _h in $LAB_UP_HOOKS; do
		if ! "$_h"; then
			_lab_log "hook $_h failed"
			lab_down
			return 1
		fi
	done
	return 0
}

_lab_build() {
	local _s _u _o _ou _hns _h4 _h6 _g4 _g6 _n4 _n6
	_lab_add_ns gw || return 1
	ip netns exec "$LAB_NS_GW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
	for _s in $LAB_SEGMENTS; do
		_u=$(_lab_upper "$_s")
		eval "_hns=\$LAB_NS_$_u _h4=\$LAB_${_u}_IP4 _h6=\$LAB_${_u}_IP6 _g4=\$LAB_GW_${_u}_IP4 _g6=\$LAB_GW_${_u}_IP6"
		_lab_add_ns "$_s" || return 1
		# Both ends are created inside their namespaces: no names in the
		# host namespace, so parallel runs never collide.
		ip -n "$LAB_NS_GW" link add "gw-$_s" type veth peer name eth0 netns "$_hns" || return 1
		ip -n "$LAB_NS_GW" addr add "$_g4/24" dev "gw-$_s" || return 1
		ip -n "$LAB_NS_GW" addr add "$_g6/64" dev "gw-$_s" nodad || return 1
		ip -n "$LAB_NS_GW" link set "gw-$_s" up || return 1
		ip -n "$_hns" addr add "$_h4/24" dev eth0 || return 1
		ip -n "$_hns" addr add "$_h6/64" dev eth0 nodad || return 1
		ip -n "$_hns" link set eth0 up || return 1
	done
	# Routes to every other lab segment through the gateway; nothing else.
	for _s in $LAB_SEGMENTS; do
		_u=$(_lab_upper "$_s")
		eval "_hns=\$LAB_NS_$_u _g4=\$LAB_GW_${_u}_IP4 _g6=\$LAB_GW_${_u}_IP6"
		for _o in $LAB_SEGMENTS; do
			[ "$_o" = "$_s" ] && continue
			_ou=$(_lab_upper "$_o")
			eval "_n4=\$LAB_${_ou}_NET4 _n6=\$LAB_${_ou}_NET6"
			ip -n "$_hns" route add "$_n4" via "$_g4" || return 1
			ip -n "$_hns" -6 route add "$_n6" via "$_g6" || return 1
		done
	done
	lab_wait_until 5 _lab_no_tentative || { _lab_log "IPv6 addresses stay tentative"; return 1; }
	return 0
}

# ---- DMZ services -------------------------------------------------------

lab_python() {
	if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi
}

lab_services_up() {
	_lab_http_up && _lab_dns_up && _lab_tls_up
}

_lab_http_up() {
	local _root
	_root="$LAB_DIR/www"
	mkdir -p "$_root"
	cat >"$_root/index.html" <<-EOF
	<!doctype html>
	<title>Municipality of Kavala</title>
	<h1>Municipality of Kavala - e-services</h1>
	<p>Lab stand-in for the municipal portal.</p>
	EOF
	echo ok >"$_root/health"
	# "::" is dual-stack: one server answers IPv4 and IPv6.
	lab_spawn dmz http "$(lab_python)" -m http.server "$LAB_HTTP_PORT" --bind :: --directory "$_root"
	lab_wait_listen dmz tcp "$LAB_HTTP_PORT" 15 || { _lab_log "HTTP server not listening"; cat "$LAB_DIR/http.log" >&2; return 1; }
}

_lab_dns_up() {
	set -- --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--no-poll --bind-interfaces --listen-address="$LAB_DMZ_IP4" \
		--listen-address="$LAB_DMZ_IP6" --port="$LAB_DNS_PORT" \
		--local="/$LAB_DOMAIN/" --domain-needed --bogus-priv \
		--pid-file="$LAB_DIR/dnsmasq.pid" --log-queries --log-facility=-
	local _h
	for _h in $LAB_DNS_NAMES; do
		set -- "$@" --host-record="$_h.$LAB_DOMAIN,$LAB_DMZ_IP4,$LAB_DMZ_IP6"
	done
	lab_spawn dmz dns dnsmasq "$@"
	lab_wait_listen dmz udp "$LAB_DNS_PORT" 10 || { _lab_log "DNS server not listening"; cat "$LAB_DIR/dns.log" >&2; return 1; }
}

_lab_tls_up() {
	local _names="" _h
	for _h in $LAB_DNS_NAMES; do _names="$_names,DNS:$_h.$LAB_DOMAIN"; done
	# A throwaway self-signed certificate, made for this run only.
	if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 2 -subj "/O=Municipality of Kavala (lab)/CN=e-payments.$LAB_DOMAIN" \
		-addext "subjectAltName=${_names#,}" \
		-keyout "$LAB_DIR/tls.key" -out "$LAB_DIR/tls.crt" >"$LAB_DIR/tls-cert.log" 2>&1; then
		_lab_log "making the TLS certificate failed"; cat "$LAB_DIR/tls-cert.log" >&2; return 1
	fi
	# -www answers each request with a status page. s_server listens on one
	# address family, so one server per family.
	lab_spawn dmz tls openssl s_server -accept "$LAB_DMZ_IP4:$LAB_TLS_PORT" \
		-cert "$LAB_DIR/tls.crt" -key "$LAB_DIR/tls.key" -www -quiet
	lab_spawn dmz tls6 openssl s_server -accept "[$LAB_DMZ_IP6]:$LAB_TLS_PORT" \
		-cert "$LAB_DIR/tls.crt" -key "$LAB_DIR/tls.key" -www -quiet
	lab_wait_until 10 _lab_tls_listening || { _lab_log "TLS server not listening"; cat "$LAB_DIR/tls.log" "$LAB_DIR/tls6.log" >&2; return 1; }
}

# ---- teardown -----------------------------------------------------------

# lab_kill_ns ROLE: end every process in a lab namespace (TERM, then KILL).
lab_kill_ns() { _lab_kill_netns "$(lab_ns "$1")"; }

# _lab_kill_netns NAME: the same, by full namespace name.
_lab_kill_netns() {
	local _p _i=0
	_p=$(ip netns pids "$1" 2>/dev/null)
	[ -z "$_p" ] && return 0
	kill -TERM $_p 2>/dev/null
	while [ $_i -lt 30 ] && [ -n "$(ip netns pids "$1" 2>/dev/null)" ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	_p=$(ip netns pids "$1" 2>/dev/null)
	[ -n "$_p" ] && kill -KILL $_p 2>/dev/null
	return 0
}

_lab_del_ns() {
	local _i=0
	ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF "$1" || return 0
	_lab_kill_netns "$1"
	until ip netns del "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -ge 20 ] && { _lab_log "could not delete namespace $1"; return 1; }
		sleep 0.1
		_lab_kill_netns "$1"
	done
}

lab_down() {
	local _p _ns
	for _p in $LAB_PIDS; do kill -TERM "$_p" 2>/dev/null; done
	# Gateway first so that nothing keeps capturing while hosts go away.
	for _ns in $LAB_NS_GW $LAB_NAMESPACES; do _lab_del_ns "$_ns"; done
	for _p in $LAB_PIDS; do wait "$_p" 2>/dev/null; done
	LAB_PIDS="" LAB_NAMESPACES=""
	[ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ] && rm -rf "$LAB_DIR"
	LAB_DIR="" LAB_IS_UP=0
	return 0
}

# lab_cleanup_stale: delete namespaces of earlier runs whose shell is gone
# (names are PREFIX-PID-RANDOM-ROLE); those of live runs are left alone.
lab_cleanup_stale() {
	local _d _pid
	ip netns list 2>/dev/null | awk '{print $1}' | while read -r _ns; do
		case "$_ns" in "$LAB_PREFIX-"*) ;; *) continue ;; esac
		_rest=${_ns#"$LAB_PREFIX-"}
		_pid=${_rest%%-*}
		case "$_pid" in ''|*[!0-9]*) continue ;; esac
		[ "$_rest" = "$_pid" ] && continue
		kill -0 "$_pid" 2>/dev/null && continue
		_lab_log "removing stale namespace $_ns"
		_lab_del_ns "$_ns"
	done
	for _d in "${TMPDIR:-/tmp}/$LAB_PREFIX-lab-"*; do
		[ -d "$_d" ] || continue
		_pid=${_d##*/"$LAB_PREFIX"-lab-}
		_pid=${_pid%%-*}
		case "$_pid" in ''|*[!0-9]*) continue ;; esac
		kill -0 "$_pid" 2>/dev/null || rm -rf "$_d"
	done
	return 0
}

# lab_usable: 0 if this process can build a lab; else prints why and returns 1.
lab_usable() {
	if [ "$(id -u)" != 0 ]; then echo "needs root to make network namespaces"; return 1; fi
	if ! command -v ip >/dev/null 2>&1; then echo "ip (iproute2) is not installed"; return 1; fi
	local _probe="$LAB_PREFIX-$LAB_ID-probe"
	if ! ip netns add "$_probe" 2>/dev/null; then echo "'ip netns add' does not work here"; return 1; fi
	ip netns del "$_probe" 2>/dev/null
	return 0
}

# lab_need NAME TOOL...: before a network test's set-up (after sourcing
# tests/lib.sh and this file): skips the test when no lab can be built
# here, fails it when a TOOL, or python3 for the lab's services, is not
# installed.
lab_need() {
	local _t=$1 _why _c _missing=""
	shift
	if ! _why=$(lab_usable); then
		t_skip "$_t: $_why"
		t_done
	fi
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 || _missing="$_missing $_c"
	done
	[ -n "$(lab_python)" ] || _missing="$_missing python3"
	if [ -n "$_missing" ]; then
		t_fail "$_t: tools missing:$_missing (packaging/deps.sh test installs them)"
		t_done
	fi
}

# lab_test_begin NAME: the start of a network test script (after sourcing
# tests/lib.sh and this file). Skips the test when no lab can be built here;
# makes the scratch dir $tmp and the lab. At exit, even on failure or
# interrupt, it stops the process in $kpid (TERM, then KILL), takes the lab
# down and removes $tmp.
lab_test_begin() {
	local _why
	if ! _why=$(lab_usable); then
		t_skip "$1: $_why"
		t_done
	fi
	tmp=""
	kpid=""
	trap _lab_test_end EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# Named like the lab's own dir, so a later run removes it if this one is killed.
	if ! tmp=$(mktemp -d "${TMPDIR:-/tmp}/$LAB_PREFIX-lab-$LAB_ID-$1.XXXXXX"); then
		t_fail "$1: no scratch directory"
		t_done
	fi
	chmod 755 "$tmp"
	if ! lab_up; then
		t_fail "$1: lab could not be built"
		t_done
	fi
}

_lab_test_end() {
	local _i
	trap - EXIT INT TERM
	if [ -n "${kpid:-}" ] && kill -0 "$kpid" 2>/dev/null; then
		kill -TERM "$kpid" 2>/dev/null
		for _i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$kpid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$kpid" 2>/dev/null
		wait "$kpid" 2>/dev/null
	fi
	lab_down
	[ -n "${tmp:-}" ] && rm -rf "$tmp"
}
