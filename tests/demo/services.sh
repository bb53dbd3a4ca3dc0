# shellcheck shell=bash
# The demo's services component (sourced by demo.sh): the console probes
# the lab's stand-in services, and its Services page shows them green; the
# demo then takes the e-payments stand-in down (it turns red) and brings it
# back, and the file server's nightly backup, which pinged once at the
# start and then never again, goes late and then down (stale).
#
# Functions: demo_services_prepare (the inventory, included by the
# console), demo_services_banner, demo_services_start, demo_services_stop.
# DEMO_SERVICES_DOWN_AFTER / DEMO_SERVICES_DOWN_FOR: seconds (default 40, 40).

DEMO_SVC_PORT=8081              # the e-payments stand-in, on the DMZ host
DEMO_SVC_UUID=d3e0c0a1-5c4f-4f59-9a44-3c2c8a7f0e11
DEMO_SERVICES_DOWN_AFTER=${DEMO_SERVICES_DOWN_AFTER:-40}
DEMO_SERVICES_DOWN_FOR=${DEMO_SERVICES_DOWN_FOR:-40}
SVCPID=""

demo_services_prepare() {
	mkdir -p "$DEMO_DIR/epay"
	printf '<html><body><h1>Ηλεκτρονικές Πληρωμές</h1></body></html>\n' >"$DEMO_DIR/epay/index.html"
	cat >"$DEMO_DIR/services.conf" <<EOF
service "portal" {
    address $LAB_DMZ_IP4
    owner "it" criticality high public
    check http "http://$LAB_DMZ_IP4/" every 10s retries 1 keyword "Municipality of Kavala"
}
service "dns" {
    address $LAB_DMZ_IP4
    owner "it" criticality critical
    check tcp "$LAB_DMZ_IP4" port $LAB_DNS_PORT every 10s retries 1
}
service "e-payments" {
    address $LAB_DMZ_IP4
    owner "finance" rpo 1h rto 4h criticality critical public
    check http "http://$LAB_DMZ_IP4:$DEMO_SVC_PORT/" every 5s retries 2 retry-every 5s keyword "Πληρωμές"
}
service "file-server" {
    owner "it" rpo 1d
    check push "nightly-backup" uuid "$DEMO_SVC_UUID" period 1m grace 1m
}
EOF
	echo 'include "services.conf"' >>"$DEMO_DIR/console.conf"
}

demo_services_banner() {
	say "  services    the console probes portal, dns and e-payments in the DMZ (Services page: all green);"
	say "              e-payments goes down after ${DEMO_SERVICES_DOWN_AFTER}s and comes back ${DEMO_SERVICES_DOWN_FOR}s later;"
	say "              file-server's nightly backup pinged once at the start, never again: late, then down"
}

# The e-payments stand-in on the DMZ host; its pid in DEMO_SVC_SERVER.
_demo_svc_serve() {
	lab_spawn dmz epay "$(lab_python)" -m http.server "$DEMO_SVC_PORT" --bind 0.0.0.0 \
		--directory "$DEMO_DIR/epay"
	DEMO_SVC_SERVER=$LAB_LAST_PID
	lab_wait_listen dmz tcp "$DEMO_SVC_PORT" 10
}

_demo_svc_state() {
	sqlite3 -cmd '.timeout 2000' "$CDATA/console.db" \
		"SELECT group_concat(state) FROM svc_checks WHERE service = '$1'" 2>/dev/null
}

demo_services_start() {
	_demo_svc_serve || { say "demo: the e-payments stand-in did not start"; return 1; }
	# the backup's only ping, as borgmatic's healthchecks hook would send it
	lab_exec gw curl -fsS -m 10 --cacert "$CDATA/ca.crt" \
		"https://127.0.0.1:$CONSOLE_HTTPS/ping/$DEMO_SVC_UUID" >/dev/null ||
		say "demo: the backup's ping was not taken"
	(
		# sleeps in the background, so that TERM is taken at once
		nap() { sleep "$1" & wait $!; }
		trap 'kill "$DEMO_SVC_SERVER" $(jobs -p) 2>/dev/null; exit 0' TERM
		nap 15
		say "services: $(for s in portal dns e-payments file-server; do printf '%s=%s ' "$s" "$(_demo_svc_state "$s")"; done)"
		nap "$((DEMO_SERVICES_DOWN_AFTER > 15 ? DEMO_SERVICES_DOWN_AFTER - 15 : 0))"
		kill "$DEMO_SVC_SERVER" 2>/dev/null
		say "services: e-payments taken down (red on the Services page within ~15 s)"
		nap 15
		say "services: $(for s in e-payments file-server; do printf '%s=%s ' "$s" "$(_demo_svc_state "$s")"; done)"
		nap "$((DEMO_SERVICES_DOWN_FOR > 15 ? DEMO_SERVICES_DOWN_FOR - 15 : 0))"
		_demo_svc_serve
		say "services: e-payments back (green again within ~5 s)"
		nap 10
		say "services: $(for s in portal dns e-payments file-server; do printf '%s=%s ' "$s" "$(_demo_svc_state "$s")"; done)"
		while :; do nap 3600; done
	) &
	SVCPID=$!
}

demo_services_stop() {
	[ -n "$SVCPID" ] && kill "$SVCPID" 2>/dev/null && wait "$SVCPID" 2>/dev/null
	SVCPID=""
}
