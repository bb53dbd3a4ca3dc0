#!/bin/sh
# Install the Debian packages Kastro needs, only those that are missing.
#
# usage: packaging/deps.sh GROUP...   (groups: build test demo bench fuzz deb install)
#
# Idempotent and silent when nothing is missing; runs `apt-get update` once
# before the first install so a fresh machine works. Needs root to install.
set -eu

pkgs_build="build-essential pkg-config bison flex libpcap-dev libndpi-dev libcap-ng-dev libgcrypt20-dev libnftables-dev libnftnl-dev libmnl-dev libnetfilter-queue-dev libnetfilter-conntrack-dev libseccomp-dev libsqlite3-dev libssl-dev libevent-dev libargon2-dev libcurl4-openssl-dev libjansson-dev libyara-dev libsystemd-dev"
pkgs_test="libcmocka-dev conntrack clang-14 libclang-rt-14-dev iproute2 iputils-ping nftables curl openssl dnsmasq-base bind9-dnsutils python3 procps time jq sqlite3 python3-selenium chromium chromium-driver yara hping3 python3-cryptography monitoring-plugins-basic python3-aiosmtpd dovecot-imapd dovecot-pop3d rsyslog rsyslog-openssl rsyslog-relp prometheus restic borgbackup borgmatic"
pkgs_demo="iproute2 curl openssl dnsmasq-base bind9-dnsutils procps python3 jq rsyslog python3-aiosmtpd sqlite3"
pkgs_bench="libndpi-bin time python3 iproute2 nftables iperf3 jq openssl dnsmasq-base procps yara sqlite3 rsyslog restic borgbackup curl"
pkgs_fuzz="clang-14 libclang-rt-14-dev"
pkgs_deb="debhelper dpkg-dev lintian mandoc"
pkgs_install="debootstrap systemd-container nftables curl prometheus"

want=""
for g in "$@"; do
	case "$g" in
	build) want="$want $pkgs_build" ;;
	test) want="$want $pkgs_build $pkgs_test" ;;
	demo) want="$want $pkgs_build $pkgs_demo" ;;
	bench) want="$want $pkgs_build $pkgs_bench" ;;
	fuzz) want="$want $pkgs_build $pkgs_fuzz" ;;
	deb) want="$want $pkgs_build $pkgs_deb" ;;
	install) want="$want $pkgs_build $pkgs_deb $pkgs_install" ;;
	*) echo "deps.sh: unknown group '$g' (build test demo bench fuzz deb install)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing Debian packages:$missing" >&2
	echo "deps.sh: run as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing
fi

# Test peers that are servers: the tests start instances of their own, on
# loopback or in their namespaces. The system's copies that Debian starts on
# install (an IMAP/POP3 server, a Prometheus server) are not wanted on a
# developer's machine: stopped and disabled when this script installed them.
if [ -d /run/systemd/system ]; then
	for p in $missing; do
		case $p in
		dovecot-imapd|dovecot-pop3d) u=dovecot.service ;;
		prometheus) u=prometheus.service ;;
		*) continue ;;
		esac
		systemctl disable --now "$u" >/dev/null 2>&1 &&
			echo "deps.sh: $u (installed for the tests only) stopped and disabled"
	done
fi
exit 0
