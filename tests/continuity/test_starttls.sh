#!/bin/bash
# TLS certificate checks over STARTTLS, for real, on loopback: the console
# checks SMTP servers (python3-aiosmtpd with STARTTLS: a good certificate,
# one soon to expire, an expired one, one for another name, and a server
# that offers no STARTTLS) and Dovecot's IMAP and POP3 (dovecot-imapd,
# dovecot-pop3d, run from a config made here), with certificates made
# here; a port that speaks another protocol is CRITICAL with its answer.
#
# usage: tests/continuity/test_starttls.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

T=continuity/starttls
B=$1
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
# Debian's python3, which has Debian's python modules
py=/usr/bin/python3; [ -x "$py" ] || py=python3
"$py" -c 'import cryptography, aiosmtpd' 2>/dev/null ||
	{ t_fail "$T: python3-cryptography or python3-aiosmtpd not installed (packaging/deps.sh test)"; t_done; }
command -v dovecot >/dev/null 2>&1 && [ -x /usr/lib/dovecot/imap-login ] && [ -x /usr/lib/dovecot/pop3-login ] ||
	{ t_fail "$T: dovecot-imapd or dovecot-pop3d not installed (packaging/deps.sh test)"; t_done; }
. "$here/../console/console_lib.sh"
. "$here/svc_lib.sh"
pids=""
dovecot_up=""
starttls_cleanup() {
	stop_console
	[ -z "$dovecot_up" ] || dovecot -c "$tmp/dovecot/dovecot.conf" stop 2>/dev/null
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	console_cleanup
}
trap starttls_cleanup EXIT

read -r GOOD SOON EXP PLAIN IMAP POP3 < <(python3 -c 'import socket
s=[socket.socket() for _ in range(6)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
"$py" "$here/mkcerts.py" "$tmp" || { t_fail "$T: cannot make certificates"; t_done; }

# smtp PORT [CERT]: an SMTP server on 127.0.0.1:PORT, with STARTTLS when CERT is given
smtp() {
	if [ $# -eq 2 ]; then
		"$py" -m aiosmtpd -n -l "127.0.0.1:$1" --tlscert "$tmp/$2.pem" --tlskey "$tmp/$2.key" \
			-c aiosmtpd.handlers.Sink >"$tmp/smtp-$1.out" 2>&1 &
	else
		"$py" -m aiosmtpd -n -l "127.0.0.1:$1" -c aiosmtpd.handlers.Sink >"$tmp/smtp-$1.out" 2>&1 &
	fi
	pids="$pids $!"
}
smtp "$GOOD" good
smtp "$SOON" soon
smtp "$EXP" expired
smtp "$PLAIN"

mkdir -p "$tmp/dovecot/run" "$tmp/dovecot/state"
cat >"$tmp/dovecot/dovecot.conf" <<CONF
base_dir = $tmp/dovecot/run
state_dir = $tmp/dovecot/state
log_path = $tmp/dovecot/dovecot.log
instance_name = kastro-starttls-test-$$
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <$tmp/good.pem
ssl_key = <$tmp/good.key
mail_location = maildir:$tmp/dovecot/mail/%u
passdb {
  driver = static
  args = password=unused-$$-$RANDOM
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$tmp/dovecot/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP3
  }
  inet_listener pop3s {
    port = 0
  }
}
CONF
if ! dovecot -c "$tmp/dovecot/dovecot.conf" >"$tmp/dovecot/start.out" 2>&1; then
	t_fail "$T: dovecot did not start: $(tail -n 3 "$tmp/dovecot/start.out" "$tmp/dovecot/dovecot.log" 2>/dev/null | tr '\n' ' ')"
	t_done
fi
dovecot_up=1

listening() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1).close()' "$1" 2>/dev/null; }
for port in "$GOOD" "$SOON" "$EXP" "$PLAIN" "$IMAP" "$POP3"; do
	for _i in $(seq 1 50); do listening "$port" && break; sleep 0.2; done
	listening "$port" || { t_fail "$T: nothing listens on port $port: $(cat "$tmp"/smtp-*.out | tail -n 3)"; t_done; }
done

cat >"$tmp/services.conf" <<CONF
service "mail" {
    owner "it"
    check tls "127.0.0.1" port $GOOD starttls smtp every 5s retries 1 ca "ca.pem"
    check tls "127.0.0.1" port $IMAP starttls imap every 5s retries 1 ca "ca.pem"
    check tls "127.0.0.1" port $POP3 starttls pop3 every 5s retries 1 ca "ca.pem"
}
service "soon" { owner "it" check tls "127.0.0.1" port $SOON starttls smtp every 5s retries 1 ca "ca.pem" }
service "expired" { owner "it" check tls "127.0.0.1" port $EXP starttls smtp every 5s retries 1 ca "ca.pem" }
service "wrong-name" { owner "it" check tls "localhost" port $GOOD starttls smtp every 5s retries 1 ca "ca.pem" }
service "no-starttls" { owner "it" check tls "127.0.0.1" port $PLAIN starttls smtp every 5s retries 1 ca "ca.pem" }
service "not-smtp" { owner "it" check tls "127.0.0.1" port $IMAP starttls smtp every 5s timeout 2s retries 1 ca "ca.pem" }
CONF
write_conf 'include "services.conf"'
"$CONSOLE" -n -c "$conf" >"$tmp/n.out" 2>&1
if grep -q '^6 services, 8 checks$' "$tmp/n.out" &&
	grep -q "check tls \"127.0.0.1\" port $IMAP .* starttls imap" "$tmp/n.out"; then
	t_pass "$T: kastro-console -n lists the tls checks with their starttls protocol"
else
	t_fail "$T: -n: $(head -n 4 "$tmp/n.out" | tr '\n' '|')"
fi
start_console || { t_fail "$T: the console did not start: $(tail -n 5 "$log")"; t_done; }

t_check "$T: SMTP STARTTLS with a year left is OK" wait_state mail "%:$GOOD%" OK/1 10
t_check "$T: IMAP STARTTLS (dovecot) is OK" wait_state mail "%:$IMAP%" OK/1 10
t_check "$T: POP3 STLS (dovecot) is OK" wait_state mail "%:$POP3%" OK/1 10
t_check "$T: ... and says how long the certificate is valid" output_has mail "%:$IMAP%" "valid for 36"
t_check "$T: SMTP STARTTLS, certificate expiring in 10 days: WARNING" wait_state soon '%' WARNING/1 10
t_check "$T: ... the output says when" output_has soon '%' "expires in 10 days"
exp=$(q "SELECT cert_expiry > strftime('%s','now') + 9*86400 FROM svc_checks WHERE service = 'soon'")
t_check "$T: ... and its expiry is stored" test "$exp" = 1
t_check "$T: SMTP STARTTLS, expired certificate: CRITICAL" wait_state expired '%' CRITICAL/1 10
t_check "$T: ... the output says so" output_has expired '%' "expired"
t_check "$T: SMTP STARTTLS, certificate for another name: CRITICAL" wait_state wrong-name '%' CRITICAL/1 10
t_check "$T: ... the output says it does not verify" output_has wrong-name '%' "does not verify"
t_check "$T: a server that does not offer STARTTLS: CRITICAL" wait_state no-starttls '%' CRITICAL/1 10
t_check "$T: ... with the server's answer" output_has no-starttls '%' "does not offer STARTTLS: 250 HELP"
t_check "$T: an IMAP server asked for SMTP: CRITICAL" wait_state not-smtp '%' CRITICAL/1 10
t_check "$T: ... with what it said" output_has not-smtp '%' "not an SMTP reply line: \"* OK"

kill -TERM "$cpid"
wait "$cpid"
rc=$?
cpid=""
t_check "$T: the console stops cleanly with its workers" test "$rc" = 0
if grep -q 'ERROR: AddressSanitizer\|runtime error\|ThreadSanitizer' "$log"; then
	t_fail "$T: sanitizer report: $(grep -m 3 'ERROR\|runtime error' "$log")"
fi
t_done
