#!/bin/sh
# The fresh-machine test (make check-install): Kastro's Debian packages on
# a clean Debian 12 that has never seen them, booted with systemd-nspawn.
#
# usage: tests/pkg/test_install.sh OUT_DIR
#
# 1. builds the packages with packaging/mkdeb.sh (OUT_DIR/v1, as the
#    changelog says) and makes them a newer version VERSION+upgradetest1
#    with dpkg-deb (OUT_DIR/v2), for the upgrade;
# 2. takes the cached debootstrap root file system (tests/pkg/rootfs.sh;
#    the first run downloads it and prints how long that took), copies it,
#    fetches the packages' dependencies into a cache of .deb files beside it
#    (only the first run downloads them), and boots the copy with
#    `systemd-nspawn --boot --private-network`: the container has its own
#    network namespace with only loopback and three dummy interfaces
#    (eth0..eth2, the shipped policy's devices);
# 3. installs the four packages with apt from the local files and checks
#    users, group, directories, conffiles and man pages;
# 4. runs the documented first-run steps (console init, enrolment tokens,
#    kastrod enroll, kastro-agent enroll, the policy edit) and asserts:
#    every unit active, the console answers on HTTPS with its CA, both
#    sensors enrolled and online, kastrod's table in the container's
#    network namespace, not the host's;
# 5. upgrades to the newer build while the table is watched: it must never vanish;
#    the console data, CA, enrolments and edited conffiles stay;
# 6. purges everything and checks that nothing is left.
#
# The container and its processes are removed by a trap, also on failure.
# Nothing leaves the machine but the first run's downloads from the Debian
# archive apt uses (rootfs.sh, and apt in the container's copy for the
# dependencies).
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-build/deb-install}
cache=${KASTRO_INSTALL_CACHE:-/var/cache/kastro-test}
T=install

if [ "$(id -u)" != 0 ]; then t_skip "$T: needs root"; t_done; fi
for c in debootstrap systemd-nspawn nsenter curl nft dpkg-buildpackage promtool; do
	command -v "$c" >/dev/null || { t_skip "$T: $c is not installed"; t_done; }
done

t_start=$(date +%s)
"$here/rootfs.sh" "$cache" || { t_fail "$T: cannot make the Debian 12 root file system"; t_done; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
# v1: the version of packaging/debian/changelog, built with mkdeb.sh; v2:
# the same packages made a newer version by dpkg-deb (control's Version and
# the exact dependencies between them raised, contents and maintainer
# scripts as built): what an upgrade exercises is the packaging, and a
# second compile of the same tree would only cost minutes.
ver1=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
ver2=$ver1+upgradetest1
if ! "$top/packaging/mkdeb.sh" "$out/v1" >"$out/mkdeb-v1.log" 2>&1; then
	t_fail "$T: make deb failed: $(tail -3 "$out/mkdeb-v1.log" | tr '\n' ' ')"
	t_done
fi
# repack DEB: DEB as version $ver2 into $out/v2
repack() {
	_d=$out/v2/unpacked
	rm -rf "$_d"
	dpkg-deb -R "$1" "$_d" || return 1
	sed -i -e "s/^Version: .*/Version: $ver2/" -e "s/(= $ver1)/(= $ver2)/g" "$_d/DEBIAN/control" &&
		dpkg-deb -b "$_d" "$out/v2" >/dev/null && rm -rf "$_d"
}
rm -rf "$out/v2"
mkdir -p "$out/v2"
for deb in "$out"/v1/*.deb; do
	repack "$deb" || { t_fail "$T: repacking $(basename "$deb") as $ver2 failed"; t_done; }
done
[ "$(dpkg-deb -f "$(ls "$out"/v2/kastro-console_*.deb)" Version)" = "$ver2" ] ||
	{ t_fail "$T: the repacked console package is not version $ver2"; t_done; }
t_pass "$T: packages built ($ver1 and $ver2), lintian clean"
t_built=$(date +%s)

run=$(mktemp -d /var/tmp/kastro-install.XXXXXX)
name=kastro-inst-$$
npid=
L=
cleanup() {
	if [ -n "$npid" ] && kill -0 "$npid" 2>/dev/null; then
		kill "$npid" 2>/dev/null           # nspawn: power the container off
		i=0
		while kill -0 "$npid" 2>/dev/null && [ $i -lt 40 ]; do sleep 0.5; i=$((i + 1)); done
		kill -9 "$npid" 2>/dev/null
		[ -n "$L" ] && kill -9 "$L" 2>/dev/null
		sleep 0.5
	fi
	[ -n "${watch_pid:-}" ] && kill "$watch_pid" 2>/dev/null
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

cp -a "$cache/rootfs" "$run/root"
mkdir -p "$cache/debs/partial"
debs1=$(cd "$out/v1" && ls kastro-common_*.deb kastro-gateway_*.deb kastro-console_*.deb kastro-agent_*.deb | sed 's,^,/tmp/kastro/v1/,')
debs2=$(cd "$out/v2" && ls kastro-common_*.deb kastro-gateway_*.deb kastro-console_*.deb kastro-agent_*.deb | sed 's,^,/tmp/kastro/v2/,')
# The dependencies, fetched with the container's own apt into the cache
# of .deb files (a no-op when they are there already).
if ! systemd-nspawn -q --register=no --keep-unit -M "$name-dl" -D "$run/root" \
	--bind="$cache/debs:/var/cache/apt/archives" --bind-ro="$out:/tmp/kastro" \
	-E DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --download-only $debs1 >"$run/download.log" 2>&1; then
	t_fail "$T: cannot fetch the packages' dependencies: $(tail -3 "$run/download.log" | tr '\n' ' ')"
	t_done
fi

systemd-nspawn -q --boot --register=no --keep-unit --private-network -M "$name" -D "$run/root" \
	--bind="$cache/debs:/var/cache/apt/archives" --bind-ro="$out:/tmp/kastro" \
	>"$run/console.log" 2>&1 &
npid=$!
i=0
while [ -z "$L" ] && [ $i -lt 50 ]; do
	sleep 0.2
	L=$(ps -o pid= --ppid "$npid" | head -1 | tr -d ' ')
	i=$((i + 1))
done
[ -n "$L" ] || { t_fail "$T: the container did not start: $(tail -3 "$run/console.log")"; t_done; }

# Run a command inside the container (every namespace, a clean environment).
ct() {
	nsenter -t "$L" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}
innet() { nsenter -t "$L" -n "$@"; }

i=0
state=
while [ $i -lt 120 ]; do
	state=$(ct systemctl is-system-running 2>/dev/null)
	case "$state" in running|degraded) break ;; esac
	sleep 0.5
	i=$((i + 1))
done
case "$state" in
running|degraded) t_pass "$T: Debian 12 booted in systemd-nspawn ($state)" ;;
*) t_fail "$T: the container did not finish booting ($state)"; t_done ;;
esac
t_booted=$(date +%s)

if [ "$(readlink /proc/"$L"/ns/net)" != "$(readlink /proc/self/ns/net)" ]; then
	t_pass "$T: the container has its own network namespace"
else
	t_fail "$T: the container shares the host's network namespace"
	t_done
fi
# The shipped policy's devices, as veth pairs inside the container.
for d in eth0 eth1 eth2; do
	innet ip link add "$d" type veth peer name "${d}p" && innet ip link set "$d" up &&
		innet ip link set "${d}p" up || t_fail "$T: cannot make $d in the container"
done

# ---- install ---------------------------------------------------------------
if ct apt-get install -y -q $debs1 >"$run/install.log" 2>&1; then
	t_pass "$T: apt installs the four packages from the local files"
else
	t_fail "$T: apt install failed: $(tail -5 "$run/install.log" | tr '\n' ' ')"
	t_done
fi

ct getent passwd _kastrod >/dev/null && t_pass "$T: user _kastrod exists" || t_fail "$T: no user _kastrod"
ct getent passwd _kastro-console >/dev/null && t_pass "$T: user _kastro-console exists" || t_fail "$T: no user _kastro-console"
ct getent group kastro >/dev/null && t_pass "$T: group kastro exists" || t_fail "$T: no group kastro"
ct getent passwd _kastro-scan >/dev/null && [ "$(ct id -nG _kastro-scan)" = _kastro-scan ] &&
	t_pass "$T: user _kastro-scan exists (the agent's scanning child), in no group but its own" ||
	t_fail "$T: user _kastro-scan: $(ct id _kastro-scan 2>&1)"
members=$(ct getent group kastro | cut -d: -f4)
gw_groups=$(ct id -nG _kastrod)
co_groups=$(ct id -nG _kastro-console)
case " $gw_groups $co_groups " in
*" kastro "*) t_fail "$T: a daemon user is in the kastro group ($gw_groups / $co_groups)" ;;
*) [ -z "$members" ] && t_pass "$T: no daemon user in the kastro group" ||
	t_fail "$T: the kastro group has members: $members" ;;
esac
[ "$(ct id -u _kastrod)" != "$(ct id -u _kastro-console)" ] &&
	t_pass "$T: the console's user is not kastrod's" || t_fail "$T: one user for console and kastrod"

perm() { ct stat -c '%a %U:%G' "$1" 2>/dev/null; }
for spec in "/var/lib/kastro-console|700 _kastro-console:_kastro-console" \
	"/var/lib/kastro/link|700 _kastrod:_kastrod" "/var/lib/kastro|755 root:root" \
	"/var/lib/kastro-agent|700 root:root" "/var/log/kastro|2750 root:adm" "/run/kastro|2755 root:kastro" \
	"/run/kastro/console|2750 _kastro-console:kastro"; do
	p=${spec%%|*}
	want=${spec#*|}
	got=$(perm "$p")
	[ "$got" = "$want" ] && t_pass "$T: $p is $want" || t_fail "$T: $p is '$got', want '$want'"
done
conff=$(ct dpkg-query -W -f='${Conffiles}\n' kastro-gateway kastro-console kastro-agent)
for f in /etc/kastro/kastro.conf /etc/kastro/kavala-services.conf /etc/kastro/console.conf \
	/etc/kastro/agent.conf /etc/kastro/agent-rules/kastro-test.yar; do
	echo "$conff" | grep -q " $f " && t_pass "$T: $f is a conffile" || t_fail "$T: $f is not a conffile"
done
for m in man8/kastrod.8 man8/kastroctl.8 man8/kastro-console.8 man8/kastro-agent.8 \
	man5/kastro.conf.5 man5/console.conf.5 man5/agent.conf.5; do
	ct test -f "/usr/share/man/$m.gz" || t_fail "$T: /usr/share/man/$m.gz is not installed"
done
t_pass "$T: the seven man pages are installed"
[ "$(ct cat /proc/sys/net/ipv4/ip_forward)" = 1 ] &&
	t_pass "$T: the gateway's sysctl.d file turned forwarding on" ||
	t_fail "$T: net.ipv4.ip_forward is not 1 after install"

# ---- first run, the documented steps -----------------------------------------
# 1. the console
if ct runuser -u _kastro-console -- kastro-console init --data /var/lib/kastro-console \
	>"$run/init.out" 2>&1 && ct systemctl start kastro-console; then
	t_pass "$T: console init, then systemctl start kastro-console"
else
	t_fail "$T: console init or start failed: $(tail -3 "$run/init.out" | tr '\n' ' ')"
fi
fp=$(sed -n 's/^CA fingerprint: //p' "$run/init.out")
# 2. the gateway: a token, enrolment as _kastrod, the link in the policy
tok=$(ct kastroctl token create --kind gateway | sed -n 's/^token=//p')
if [ -n "$tok" ] && ct kastrod enroll --console 127.0.0.1 --token "$tok" --ca-fingerprint "$fp" \
	--user _kastrod >"$run/enroll-gw.out" 2>&1; then
	t_pass "$T: kastrod enroll with a gateway token from kastroctl"
else
	t_fail "$T: kastrod enroll failed: $(tail -3 "$run/enroll-gw.out" | tr '\n' ' ')"
fi
ct sh -c 'printf "\n# the link to the console (first-run step)\nconsole { address \"127.0.0.1\" }\n" >>/etc/kastro/kastro.conf'
ts_start=$(date +%s)
ct systemctl restart kastrod
# 3. the agent: its console address, a token, enrolment
ct sed -i 's/address "console.kavala.example"/address "127.0.0.1"/' /etc/kastro/agent.conf
tok=$(ct kastroctl token create --kind agent | sed -n 's/^token=//p')
if [ -n "$tok" ] && ct kastro-agent enroll --console 127.0.0.1 --token "$tok" --ca-fingerprint "$fp" \
	-c /etc/kastro/agent.conf >"$run/enroll-ag.out" 2>&1 && ct systemctl start kastro-agent; then
	t_pass "$T: kastro-agent enroll with an agent token, then systemctl start kastro-agent"
else
	t_fail "$T: kastro-agent enroll failed: $(tail -3 "$run/enroll-ag.out" | tr '\n' ' ')"
fi

units_active() {
	_bad=
	for u in kastrod kastro-console kastro-agent; do
		[ "$(ct systemctl is-active "$u")" = active ] || _bad="$_bad $u"
	done
	echo "$_bad"
}
sleep 2
bad=$(units_active)
if [ -z "$bad" ]; then
	t_pass "$T: kastrod, kastro-console and kastro-agent are active"
else
	t_fail "$T: not active:$bad"
	for u in $bad; do ct journalctl -u "$u" --no-pager -n 15 | sed 's/^/    /'; done
fi
# the agent's scanning child, started by the unit: its own user, one capability
scan_st=$(ct sh -c 'for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = kastro-scan ] && cat "$p/status" && break; done')
if echo "$scan_st" | grep -q "^Uid:[[:space:]]*$(ct id -u _kastro-scan)[[:space:]]" &&
	echo "$scan_st" | grep -q '^CapEff:[[:space:]]*0000000000000004$' &&
	echo "$scan_st" | grep -q '^Seccomp:[[:space:]]*2$'; then
	t_pass "$T: kastro-agent's scanning child runs as _kastro-scan with CAP_DAC_READ_SEARCH only, under seccomp"
else
	t_fail "$T: the scanning child: $(echo "$scan_st" | grep -E '^(Name|Uid|CapEff|Seccomp)' | tr '\n' ' ')"
fi
ca=$run/root/var/lib/kastro-console/ca.crt
code=$(innet curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" https://127.0.0.1:8443/)
case "$code" in
2??|3??) t_pass "$T: the console answers on HTTPS with a certificate of its CA ($code)" ;;
*) t_fail "$T: https://127.0.0.1:8443/ gave '$code'" ;;
esac

# Both sensors report: a gateway and an agent row, online, each seen by
# the console after its service started.
# kastroctl sensor list: ID KIND STATE HOST last_seen=EPOCH
reporting() {
	awk -v t="$1" '$2 == "gateway" || $2 == "agent" {
		split($5, a, "="); if ($3 == "online" && a[2] + 0 >= t) seen[$2] = 1 }
		END { exit !(seen["gateway"] && seen["agent"]) }' "$2"
}
i=0
while [ $i -lt 30 ]; do
	ct kastroctl sensor list >"$run/sensors.txt" 2>&1
	reporting "$ts_start" "$run/sensors.txt" && break
	sleep 1
	i=$((i + 1))
done
if [ $i -lt 30 ]; then
	t_pass "$T: a gateway and an agent are enrolled and online"
else
	t_fail "$T: sensors at the console: $(tr '\n' ' ' <"$run/sensors.txt")"
fi
# Metrics: kastroctl metrics from the three running daemons, checked by
# Prometheus' own promtool; then the textfile unit as node_exporter would
# have it run.
if ct kastroctl metrics >"$run/metrics.txt" 2>"$run/metrics.err" &&
	promtool check metrics <"$run/metrics.txt" >"$run/promtool.txt" 2>&1; then
	t_pass "$T: kastroctl metrics passes promtool check metrics ($(grep -vc '^#' "$run/metrics.txt") samples)"
else
	t_fail "$T: kastroctl metrics: $(cat "$run/metrics.err" "$run/promtool.txt" | head -5 | tr '\n' ' ')"
fi
for d in gateway console agent; do
	grep -qx "kastro_${d}_up 1" "$run/metrics.txt" || t_fail "$T: metrics: kastro_${d}_up is not 1"
done
awk '$1 == "kastro_console_events_stored_total" && $2 > 0 { ok = 1 } END { exit !ok }' "$run/metrics.txt" &&
	t_pass "$T: metrics: all three daemons up, the console counts stored events" ||
	t_fail "$T: metrics: kastro_console_events_stored_total is not above 0"
grep -qx 'kastro_console_sensors{kind="gateway",state="online"} 1' "$run/metrics.txt" &&
	grep -qx 'kastro_console_sensors{kind="agent",state="online"} 1' "$run/metrics.txt" &&
	t_pass "$T: metrics: the console counts one gateway and one agent online" ||
	t_fail "$T: metrics: $(grep kastro_console_sensors "$run/metrics.txt" | tr '\n' ' ')"
ct mkdir -p /var/lib/prometheus/node-exporter
if ct systemctl start kastro-metrics.service &&
	ct cat /var/lib/prometheus/node-exporter/kastro.prom >"$run/textfile.prom" &&
	promtool check metrics <"$run/textfile.prom" >/dev/null 2>&1 &&
	[ "$(grep -c '^kastro_[a-z]*_up 1$' "$run/textfile.prom")" = 3 ]; then
	t_pass "$T: kastro-metrics.service writes node_exporter's textfile (promtool clean, three daemons up)"
else
	t_fail "$T: kastro-metrics.service: $(ct journalctl -u kastro-metrics --no-pager -n 5 | tr '\n' ' ')"
fi
ct rm -rf /var/lib/prometheus

# Group kastro: an officer in it uses the read-only commands of each daemon
# (and kastroctl metrics); changing ones are root's.
for s in /run/kastro/kastrod.sock /run/kastro/agent.sock /run/kastro/console/console.sock; do
	m=$(ct stat -c '%a %G' "$s" 2>/dev/null)
	[ "$m" = "660 kastro" ] || t_fail "$T: $s is '$m', want 0660 group kastro"
done
ct useradd --no-create-home --shell /usr/sbin/nologin --groups kastro officer
officer() { ct runuser -u officer -- kastroctl "$@"; }
if officer status >/dev/null 2>&1 && officer console status >/dev/null 2>&1 &&
	officer agent status >/dev/null 2>&1 && officer sensor list >/dev/null 2>&1 &&
	officer metrics 2>/dev/null | promtool check metrics >/dev/null 2>&1; then
	t_pass "$T: an officer in group kastro reads kastrod, console and agent status, sensors, metrics"
else
	t_fail "$T: an officer in group kastro: $(officer status 2>&1 | head -1) / $(officer console status 2>&1 | head -1) / $(officer agent status 2>&1 | head -1)"
fi
den=0
for c in "reload" "token create" "agent scan" "quarantine 10.99.0.1"; do
	# shellcheck disable=SC2086
	officer $c 2>&1 | grep -q "permission denied: '.*' needs root" && den=$((den + 1))
done
[ "$den" = 4 ] && t_pass "$T: the officer's reload, token create, agent scan, quarantine are refused (need root)" ||
	t_fail "$T: $((4 - den)) of 4 changing commands not refused to the officer"
ct userdel officer

if innet nft list table inet kastro >"$run/table.txt" 2>&1; then
	t_pass "$T: kastrod's table inet kastro is in the container's network namespace"
else
	t_fail "$T: no table inet kastro in the container: $(head -2 "$run/table.txt")"
fi
rules_before=$(grep -c 'kastro rule' "$run/table.txt")
wd=$(ct systemctl show kastrod -p WatchdogUSec --value)
[ -n "$wd" ] && [ "$wd" != 0 ] && [ "$wd" != infinity ] &&
	t_pass "$T: kastrod runs under a watchdog ($wd)" || t_fail "$T: kastrod has no watchdog ($wd)"

# Log rotation as logrotate does it: the file moved away, then the
# package's own postrotate script; kastrod opens the file again and the
# sensor takes it.
post=$(ct sed -n '/postrotate/,/endscript/{/postrotate\|endscript/d;p}' /etc/logrotate.d/kastro-gateway)
if ct test -f /var/log/kastro/eve.json && ct mv /var/log/kastro/eve.json /var/log/kastro/eve.json.1 &&
	[ -n "$post" ] && ct sh -ec "$post" && ct test -f /var/log/kastro/eve.json; then
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(ct kastroctl status | sed -n 's/^eve_reopens=//p')" = 1 ] && break
		sleep 0.5
	done
	[ "$i" -lt 10 ] && t_pass "$T: logrotate's postrotate (kastroctl reopen) gives the sensor a new eve.json" ||
		t_fail "$T: after postrotate: eve_reopens=$(ct kastroctl status | sed -n 's/^eve_reopens=//p')"
else
	t_fail "$T: EVE rotation: postrotate '$post' or /var/log/kastro/eve.json missing"
fi

# ---- upgrade -------------------------------------------------------------------
gw_id=$(ct cat /var/lib/kastro/link/sensor_id)
ag_id=$(ct cat /var/lib/kastro-agent/sensor_id)
kpid=$(ct systemctl show kastrod -p MainPID --value)
awk '$2 == "gateway" || $2 == "agent" {print $1}' "$run/sensors.txt" | sort >"$run/ids-before.txt"
ts_up=$(date +%s)
# The table is looked for ten times a second for the whole upgrade.
(
	while :; do
		nsenter -t "$L" -n nft list table inet kastro >/dev/null 2>&1 || echo gone >>"$run/watch.txt"
		echo x >>"$run/polls.txt"
		sleep 0.1
	done
) &
watch_pid=$!
if ct apt-get install -y -q $debs2 >"$run/upgrade.log" 2>&1; then
	t_pass "$T: apt upgrades the four packages to $ver2"
else
	t_fail "$T: the upgrade failed: $(tail -5 "$run/upgrade.log" | tr '\n' ' ')"
fi
sleep 3
kill "$watch_pid" 2>/dev/null
wait "$watch_pid" 2>/dev/null
watch_pid=
polls=$(wc -l <"$run/polls.txt" 2>/dev/null || echo 0)
if [ ! -s "$run/watch.txt" ] && [ "$polls" -gt 5 ]; then
	t_pass "$T: table inet kastro stayed in force through the upgrade ($polls looks)"
else
	t_fail "$T: table inet kastro was missing $(wc -l <"$run/watch.txt" 2>/dev/null) of $polls times"
fi
v=$(ct dpkg-query -W -f='${Version}' kastro-gateway)
[ "$v" = "$ver2" ] && t_pass "$T: kastro-gateway is $ver2" || t_fail "$T: kastro-gateway is '$v', not $ver2"
kpid2=$(ct systemctl show kastrod -p MainPID --value)
[ "$kpid2" != "$kpid" ] && [ "$kpid2" != 0 ] && t_pass "$T: the upgrade restarted kastrod" ||
	t_fail "$T: kastrod was not restarted by the upgrade ($kpid, $kpid2)"
bad=$(units_active)
if [ -z "$bad" ]; then
	t_pass "$T: every unit active after the upgrade"
else
	t_fail "$T: not active after the upgrade:$bad"
	for u in $bad; do ct journalctl -u "$u" --no-pager -n 25 | sed 's/^/    /'; done
fi
innet nft list table inet kastro >"$run/table2.txt" 2>&1
[ "$(grep -c 'kastro rule' "$run/table2.txt")" = "$rules_before" ] && [ "$rules_before" -gt 0 ] &&
	t_pass "$T: the same $rules_before logged rules in force after the upgrade" ||
	t_fail "$T: logged rules before $rules_before, after $(grep -c 'kastro rule' "$run/table2.txt")"
[ "$(ct cat /var/lib/kastro/link/sensor_id)" = "$gw_id" ] && [ "$(ct cat /var/lib/kastro-agent/sensor_id)" = "$ag_id" ] &&
	t_pass "$T: both enrolments kept" || t_fail "$T: an enrolment changed in the upgrade"
fp2=$(ct kastroctl token create --kind agent | sed -n 's/^ca_fingerprint=//p')
fp_init=$(echo "$fp" | sed 's/^SHA256://')
case "$fp2" in
*"$fp_init"*) t_pass "$T: the console's CA kept" ;;
*) t_fail "$T: CA fingerprint before $fp, after '$fp2'" ;;
esac
i=0
while [ $i -lt 30 ]; do
	ct kastroctl sensor list >"$run/sensors2.txt" 2>&1
	reporting "$ts_up" "$run/sensors2.txt" && break
	sleep 1
	i=$((i + 1))
done
awk '$2 == "gateway" || $2 == "agent" {print $1}' "$run/sensors2.txt" | sort >"$run/ids-after.txt"
cmp -s "$run/ids-before.txt" "$run/ids-after.txt" && [ $i -lt 30 ] &&
	t_pass "$T: the console database kept both sensors, online again" ||
	t_fail "$T: sensors after the upgrade: $(tr '\n' ' ' <"$run/sensors2.txt")"
ct grep -q 'address "127.0.0.1"' /etc/kastro/kastro.conf && ct grep -q 'address "127.0.0.1"' /etc/kastro/agent.conf &&
	t_pass "$T: the officer's edits of kastro.conf and agent.conf kept" ||
	t_fail "$T: an edited conffile was replaced"

# ---- purge ---------------------------------------------------------------------
if ct apt-get purge -y -q kastro-gateway kastro-console kastro-agent kastro-common >"$run/purge.log" 2>&1; then
	t_pass "$T: apt purges the four packages"
else
	t_fail "$T: purge failed: $(tail -5 "$run/purge.log" | tr '\n' ' ')"
fi
left=
for p in /etc/kastro /var/lib/kastro /var/lib/kastro-console /var/lib/kastro-agent /var/log/kastro \
	/run/kastro /usr/sbin/kastrod /usr/bin/kastroctl /lib/systemd/system/kastrod.service \
	/etc/logrotate.d/kastro-gateway /usr/lib/sysctl.d/60-kastro-gateway.conf; do
	ct test -e "$p" && left="$left $p"
done
for u in _kastrod _kastro-console _kastro-scan; do ct getent passwd "$u" >/dev/null && left="$left user:$u"; done
ct getent group kastro >/dev/null && left="$left group:kastro"
ct dpkg -l 'kastro*' 2>/dev/null | grep -q '^[a-z][a-z] *kastro' && left="$left dpkg:$(ct dpkg -l 'kastro*' | grep '^[a-z][a-z] *kastro' | awk '{print $1 "/" $2}' | tr '\n' ' ')"
ct sh -c 'cat /proc/[0-9]*/comm 2>/dev/null | grep -q "^kastro"' && left="$left processes"
[ -z "$left" ] && t_pass "$T: purge left no file, user, group, package or process behind" ||
	t_fail "$T: left after purge:$left"
if grep -q -- '--flush' "$top/daemon/kastrod.c"; then
	innet nft list table inet kastro >/dev/null 2>&1 &&
		t_fail "$T: table inet kastro outlived kastro-gateway" ||
		t_pass "$T: removing kastro-gateway removed table inet kastro (kastrod --flush)"
else
	t_skip "$T: table inet kastro after removal: this kastrod has no --flush yet"
fi

t_end=$(date +%s)
echo "  times: packages $((t_built - t_start)) s, boot $((t_booted - t_built)) s, install to purge $((t_end - t_booted)) s; $(cat "$cache/made" 2>/dev/null)"
t_done
