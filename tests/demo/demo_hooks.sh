# demo_hooks.sh - the demo's alert hooks (sourced by tests/demo/demo.sh): a
# local rsyslog (imtcp) and a local mail catcher (python3 -m aiosmtpd with
# STARTTLS), both on the gateway namespace's loopback beside the console,
# and the two hooks that send every alert to them. What they received is
# in the demo's scratch directory; the banner says where.
HOOKS_SYSLOG_PORT=5514
HOOKS_SMTP_PORT=8025
HOOKS_CONF=""           # the hook blocks demo_console_prepare adds to console.conf
HRPID=""
HMPID=""

demo_hooks_prepare() {
	HDIR=$DEMO_DIR/hooks
	# (aiosmtpd's Mailbox makes the maildir itself, with its tmp, new and cur)
	mkdir -p "$HDIR/rs" && chmod 755 "$HDIR" || return 1
	# the mail catcher's certificate, which the console's mail hook trusts
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$HDIR/smtp.key" -out "$HDIR/smtp.pem" 2>/dev/null || return 1
	chmod 644 "$HDIR/smtp.pem"
	cat >"$HDIR/rsyslog.conf" <<EOF
global(workDirectory="$HDIR/rs")
module(load="imtcp")
template(name="raw" type="string" string="%rawmsg%\n")
input(type="imtcp" port="$HOOKS_SYSLOG_PORT" address="127.0.0.1" ruleset="kastro")
ruleset(name="kastro") { action(type="omfile" file="$HDIR/syslog.log" template="raw") }
EOF
	HOOKS_CONF="hook demo-siem { syslog \"tcp://127.0.0.1:$HOOKS_SYSLOG_PORT\" format cef }
hook demo-mail { email \"smtp://127.0.0.1:$HOOKS_SMTP_PORT\" from \"kastro@kavala.example\" to \"officers@kavala.example\" ca \"$HDIR/smtp.pem\" max-per-hour 20 }"
}

demo_hooks_banner() {
	say "  hooks       every alert to rsyslog (imtcp 127.0.0.1:$HOOKS_SYSLOG_PORT, CEF) and by mail (aiosmtpd, STARTTLS,"
	say "              127.0.0.1:$HOOKS_SMTP_PORT; 20 an hour, then one digest), both in netns $LAB_NS_GW:"
	say "              syslog:  $HDIR/syslog.log"
	say "              mail:    $HDIR/mail/new/   (kastroctl -s $DEMO_DIR/console.sock hooks: queues and counters)"
}

demo_hooks_listening() { [ -n "$(lab_exec gw ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

demo_hooks_start() {
	ip netns exec "$LAB_NS_GW" setsid rsyslogd -n -f "$HDIR/rsyslog.conf" -i "$HDIR/rsyslog.pid" \
		>"$HDIR/rsyslog.out" 2>&1 </dev/null &
	HRPID=$!
	ip netns exec "$LAB_NS_GW" setsid "$(lab_python)" -m aiosmtpd -n -l "127.0.0.1:$HOOKS_SMTP_PORT" \
		--tlscert "$HDIR/smtp.pem" --tlskey "$HDIR/smtp.key" -c aiosmtpd.handlers.Mailbox "$HDIR/mail" \
		>"$HDIR/smtp.out" 2>&1 </dev/null &
	HMPID=$!
	if ! lab_wait_until 10 demo_hooks_listening "$HOOKS_SYSLOG_PORT" ||
		! lab_wait_until 10 demo_hooks_listening "$HOOKS_SMTP_PORT"; then
		say "demo: the hooks' receivers did not start:"
		tail -n 5 "$HDIR/rsyslog.out" "$HDIR/smtp.out"
		return 1
	fi
}

demo_hooks_stop() {
	[ -z "$HRPID" ] || say "Hooks: $(cat "$HDIR/syslog.log" 2>/dev/null | wc -l) messages in rsyslog, $(find "$HDIR/mail/new" -type f 2>/dev/null | wc -l) mails caught"
	demo_console_kill HMPID
	demo_console_kill HRPID
}
