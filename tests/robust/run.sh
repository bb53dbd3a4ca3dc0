#!/bin/bash
# kastrod against bad and hostile input: damaged and foreign capture files,
# packets that lie about their lengths, a flood of new flows against the
# flow cap, replays that must give the same output, and the signals.
#
# usage: tests/robust/run.sh KASTROD...   (each binary is tested in turn,
#        e.g. the normal build and the ASan+UBSan build)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

tmp=$(mktemp -d)
ns=""
cleanup() {
	[ -n "$ns" ] && ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# A process killed by a signal (a crash) exits with 128+N.
no_crash() { [ "$1" -lt 128 ]; }

stat_of() {  # stat_of EVEFILE JQPATH
	grep '"event_type":"stats"' "$1" | tail -1 | python3 -c \
		"import json,sys; d=json.load(sys.stdin)['stats']; print(eval('d'+sys.argv[1]))" "$2"
}

python3 "$here/mkpcap.py" bogus "$tmp/bogus.pcap"
python3 "$here/mkpcap.py" linktype "$tmp/linktype.pcap"
python3 "$here/mkpcap.py" flood "$tmp/flood.pcap"
head -c 4000 /dev/urandom >"$tmp/garbage.pcap"
: >"$tmp/empty.pcap"
pcaps=$(t_testdata)/pcap

for k in "$@"; do
	case $k in */san/*) tag=" (asan+ubsan)" ;; *) tag="" ;; esac
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	rm -f "$tmp"/*.json    # EVE output is appended to

	# Lying headers: every bad packet counted and skipped, the good ones classified.
	"$k" -r "$tmp/bogus.pcap" --eve "$tmp/bogus.json" 2>"$tmp/bogus.err"
	rc=$?
	if [ $rc -eq 0 ] && [ "$(stat_of "$tmp/bogus.json" "['decoder']['bad_ip']")" -ge 3 ] &&
		[ "$(stat_of "$tmp/bogus.json" "['decoder']['bad_l4']")" -ge 4 ] &&
		[ "$(stat_of "$tmp/bogus.json" "['decoder']['truncated']")" -ge 4 ] &&
		[ "$(stat_of "$tmp/bogus.json" "['decoder']['fragment']")" -eq 1 ] &&
		grep -q '"event_type":"dns".*"rrname":"www.example.com"' "$tmp/bogus.json" &&
		grep -q 'packet 3: truncated' "$tmp/bogus.err"; then
		t_pass "robust/lying-headers$tag: counted, skipped, good packets classified"
	else
		cat "$tmp/bogus.err"
		t_fail "robust/lying-headers$tag: rc=$rc"
	fi

	"$k" -r "$tmp/linktype.pcap" --eve "$tmp/lt.json" 2>"$tmp/lt.err"
	rc=$?
	if [ $rc -eq 1 ] && grep -q 'link type 147 .*not supported' "$tmp/lt.err"; then
		t_pass "robust/unknown-linktype$tag: clear error, exit 1"
	else
		cat "$tmp/lt.err"
		t_fail "robust/unknown-linktype$tag: rc=$rc"
	fi

	for f in garbage empty; do
		"$k" -r "$tmp/$f.pcap" --eve "$tmp/$f.json" 2>"$tmp/$f.err"
		rc=$?
		if [ $rc -eq 1 ] && grep -q "cannot read capture file $tmp/$f.pcap" "$tmp/$f.err"; then
			t_pass "robust/$f-file$tag: clear error, exit 1"
		else
			cat "$tmp/$f.err"
			t_fail "robust/$f-file$tag: rc=$rc"
		fi
	done

	if [ -f "$pcaps/exe_download.pcap" ]; then
		# Cut a real capture in the middle of a packet record.
		head -c 300001 "$pcaps/exe_download.pcap" >"$tmp/cut.pcap"
		"$k" -r "$tmp/cut.pcap" --eve "$tmp/cut.json" 2>"$tmp/cut.err"
		rc=$?
		if [ $rc -eq 2 ] && grep -q 'read error after [0-9]* packets' "$tmp/cut.err" &&
			grep -q '"event_type":"flow".*"protocol":"HTTP"' "$tmp/cut.json"; then
			t_pass "robust/truncated-file$tag: packets before the cut classified, exit 2"
		else
			cat "$tmp/cut.err"
			t_fail "robust/truncated-file$tag: rc=$rc"
		fi
		# The same capture twice gives the same output, byte for byte.
		"$k" -r "$pcaps/exe_download.pcap" --eve "$tmp/r1.json" 2>/dev/null
		"$k" -r "$pcaps/exe_download.pcap" --eve "$tmp/r2.json" 2>/dev/null
		if cmp -s "$tmp/r1.json" "$tmp/r2.json" && [ -s "$tmp/r1.json" ]; then
			t_pass "robust/replay-deterministic$tag"
		else
			t_fail "robust/replay-deterministic$tag: two runs differ"
		fi
	else
		t_skip "robust/truncated-file$tag: no test captures at $pcaps"
	fi

	# A flood of 100,000 new flows against a cap of 1,000.
	printf 'flows { max 1000 }\n' >"$tmp/cap.conf"
	/usr/bin/time -f %M -o "$tmp/rss" "$k" -c "$tmp/cap.conf" -r "$tmp/flood.pcap" \
		--eve "$tmp/flood.json" 2>"$tmp/flood.err"
	rc=$?
	evicted=$(stat_of "$tmp/flood.json" "['flow']['evicted']" 2>/dev/null)
	peak=$(stat_of "$tmp/flood.json" "['flow']['active_peak']" 2>/dev/null)
	forced=$(grep -c '"reason":"forced"' "$tmp/flood.json")
	if [ $rc -eq 0 ] && [ "$evicted" = 99000 ] && [ "$peak" = 1000 ] && [ "$forced" = 99000 ]; then
		t_pass "robust/flow-flood$tag: cap held (peak $peak), $evicted evictions counted and reported, peak RSS $(cat "$tmp/rss") KiB"
	else
		cat "$tmp/flood.err"
		t_fail "robust/flow-flood$tag: rc=$rc evicted=$evicted peak=$peak forced-events=$forced"
	fi

	# A configuration error names file:line:col and changes nothing.
	printf 'flows {\n  max 0\n}\n' >"$tmp/bad.conf"
	"$k" -c "$tmp/bad.conf" -r "$tmp/bogus.pcap" --eve "$tmp/badconf.json" 2>"$tmp/badconf.err"
	rc=$?
	if [ $rc -eq 1 ] && grep -q "bad.conf:2:" "$tmp/badconf.err" && [ ! -s "$tmp/badconf.json" ]; then
		t_pass "robust/config-error$tag: file:line:col, nothing written"
	else
		cat "$tmp/badconf.err"
		t_fail "robust/config-error$tag: rc=$rc"
	fi
done

# Signals on a live capture: SIGUSR1 writes stats, SIGTERM flushes flows.
k=$1
if [ "$(id -u)" != 0 ] || ! ip netns add "kastro-rb-$$" 2>/dev/null; then
	t_skip "robust/signals: needs root and network namespaces"
else
	ns=kastro-rb-$$
	ip -n "$ns" link set lo up
	ip netns exec "$ns" "$k" -i lo --eve "$tmp/live.json" 2>"$tmp/live.err" &
	kpid=$!
	for _ in $(seq 50); do grep -q 'capturing on' "$tmp/live.err" && break; sleep 0.1; done
	ip netns exec "$ns" ping -c 3 -i 0.2 -q 127.0.0.1 >/dev/null
	kill -USR1 $kpid
	for _ in $(seq 50); do grep -q '"event_type":"stats"' "$tmp/live.json" 2>/dev/null && break; sleep 0.1; done
	grep -q '"event_type":"stats"' "$tmp/live.json" 2>/dev/null && usr1=ok || usr1=missing
	kill -TERM $kpid
	wait $kpid
	rc=$?
	if [ "$usr1" = ok ]; then
		t_pass "robust/sigusr1: stats event written while running"
	else
		t_fail "robust/sigusr1: no stats event after SIGUSR1"
	fi
	if [ $rc -eq 0 ] && grep -q '"event_type":"flow".*"proto":"ICMP".*"reason":"shutdown"' "$tmp/live.json"; then
		t_pass "robust/sigterm: open flows flushed, exit 0"
	else
		cat "$tmp/live.err"
		t_fail "robust/sigterm: rc=$rc, no flushed ICMP flow"
	fi
fi
t_done
