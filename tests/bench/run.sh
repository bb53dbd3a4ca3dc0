#!/bin/sh
# Kastro benchmarks: each section times Kastro against references run
# alongside it on the same input, and prints a small table.
#
# usage: tests/bench/run.sh BUILD_DIR [SECTION...]
#
#   BUILD_DIR   holds kastrod and bench/ (mkbig, refloop), e.g. build/out
#   SECTION     which sections to run (default: all): classify setupdate
#               blocklatency scan ingest hooks backup continuity
#
# Environment:
#   KASTRO_TESTDATA        shared test data (default: ../shared/testdata
#                          beside the project)
#   KASTRO_BENCH_PACKETS   minimum packets in the big capture (1000000)
#   KASTRO_BENCH_RUNS      runs per tool, in rounds; the best counts (5)
#   KASTRO_BENCH_TIMEOUT   seconds one run may take before it counts as
#                          hung (180)
#   KASTRO_BENCH_SETELEMS  flow elements inserted by setupdate (100000)
#   KASTRO_BENCH_BLOCKFLOWS  blocked flows sent by blocklatency (300)
#   KASTRO_BENCH_SCAN_MB   size of the tree scan scans, MiB (300)
#   KASTRO_BENCH_INGEST_EVENTS  events the 50 sensors of ingest send (1000000)
#   KASTRO_BENCH_INGEST_ALERTS  alerts stored when ingest times the API (1000000)
#   KASTRO_BENCH_INGEST_HOOK_EVENTS  events of each run of ingest's comparison
#                               without and with four alert hooks (200000)
#   KASTRO_BENCH_HOOK_ALERTS    alerts sent through three hooks (20000)
#   KASTRO_BENCH_BACKUP_MB      data in the restic and borg repositories of backup (200)
#   KASTRO_BENCH_PROBES         HTTP probes (and push checks) of continuity (1000)
#   KASTRO_BENCH_PROBE_PHASE    seconds of each continuity phase (120)
#
# A benchmark, not a test: a missed target is printed as MISSED and the exit
# status stays 0. It exits 1 when something is broken (a tool missing,
# crashing, hanging or printing what it should not, test data absent) and
# 2 on a usage error. Needs: packaging/deps.sh bench (ndpiReader, GNU time)
# and about 450 MiB free in $TMPDIR (or /tmp) for the big capture; setupdate
# needs root (it works in a network namespace of its own) and nft;
# blocklatency needs root and the network lab (packaging/deps.sh test);
# scan needs yara, yarac and python3 and about 350 MiB more in $TMPDIR;
# ingest needs python3, openssl and sqlite3 and about 2 GiB in $TMPDIR.
#
# Adding a benchmark: name it in ALL_SECTIONS and write section_NAME, using
# need_big (the shared capture), measure (one timed run) and row (a line of
# the table); every tool of a section runs in the same rounds.
# Tool results live in variables named after the tool, set through eval:
# shellcheck disable=SC2154
set -eu
export LC_ALL=C

ALL_SECTIONS="classify setupdate blocklatency inline scan ingest hooks backup continuity"

die() { echo "bench: error: $*" >&2; exit 1; }

usage() {
	echo "usage: $0 BUILD_DIR [SECTION...]   (sections: $ALL_SECTIONS)" >&2
	exit 2
}

[ $# -ge 1 ] || usage
BUILD=$1; shift
SECTIONS=${*:-$ALL_SECTIONS}
for s in $SECTIONS; do
	case " $ALL_SECTIONS " in *" $s "*) ;; *) usage ;; esac
done

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
TESTDATA=$(t_testdata)
PACKETS=${KASTRO_BENCH_PACKETS:-1000000}
RUNS=${KASTRO_BENCH_RUNS:-5}
TIMEOUT=${KASTRO_BENCH_TIMEOUT:-180}
case $PACKETS in ''|*[!0-9]*) die "KASTRO_BENCH_PACKETS='$PACKETS' is not a number" ;; esac
case $RUNS in ''|*[!0-9]*|0) die "KASTRO_BENCH_RUNS='$RUNS' is not a positive number" ;; esac
case $TIMEOUT in ''|*[!0-9]*|0) die "KASTRO_BENCH_TIMEOUT='$TIMEOUT' is not a positive number" ;; esac

[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) missing: run packaging/deps.sh bench"
command -v timeout >/dev/null || die "timeout (coreutils) missing"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kastro-bench.XXXXXX")
BENCH_NETNS=""          # a namespace a section made, deleted on exit
bench_cleanup() {
	if [ -n "$BENCH_NETNS" ]; then
		for _p in $(ip netns pids "$BENCH_NETNS" 2>/dev/null); do kill -KILL "$_p" 2>/dev/null; done
		ip netns del "$BENCH_NETNS" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# ---- helpers ------------------------------------------------------------

# need_tool PATH WHAT: PATH must be an executable file.
need_tool() {
	[ -x "$1" ] || die "$2 not found at $1: build it with 'make bench'"
}

# need_big: build $BIG (the repeated developer captures) once per run and
# set BIG_PACKETS and BIG_DESC.
BIG=
need_big() {
	[ -z "$BIG" ] || return 0
	need_tool "$BUILD/bench/mkbig" mkbig
	_d=$TESTDATA/pcap
	[ -d "$_d" ] || die "test captures not found in $_d (set KASTRO_TESTDATA)"
	_d=$(cd "$_d" && pwd)
	set --
	for _f in "$_d"/*.pcap "$_d"/*.pcapng; do
		[ -f "$_f" ] && set -- "$@" "$_f"
	done
	[ $# -gt 0 ] || die "no .pcap or .pcapng files in $_d"
	echo "bench: building a capture of >= $PACKETS packets from $# files in $_d ..."
	"$BUILD/bench/mkbig" -o "$TMP/big.pcap" -n "$PACKETS" "$@" >"$TMP/mkbig.out" ||
		die "mkbig failed (message above)"
	BIG_PACKETS=$(sed -n 's/^mkbig: wrote \([0-9]*\) packets .*/\1/p' "$TMP/mkbig.out")
	[ -n "$BIG_PACKETS" ] || die "mkbig printed no packet count: $(cat "$TMP/mkbig.out")"
	_reps=$(sed -n 's/.*(\([0-9]*\) repetitions of \([0-9]*\) files.*/\1 x \2 captures/p' "$TMP/mkbig.out")
	_mb=$(($(stat -c %s "$TMP/big.pcap") / 1048576))
	BIG_DESC="$BIG_PACKETS packets, $_reps, $_mb MiB"
	BIG=$TMP/big.pcap
}

# measure NAME RUN CMD...: run CMD once (stdout and stderr to $TMP/NAME.out)
# and keep NAME's best (lowest) and worst wall-clock seconds in M_BEST_NAME
# and M_WORST_NAME, the CPU seconds (user + system) of the best run in
# M_CPU_NAME and the largest peak RSS (KiB) of all runs in M_KB_NAME. A run that
# fails, crashes or exceeds $TIMEOUT seconds ends the benchmark with an
# error. When it exists, the hook NAME_before is called first. Sections call
# it in rounds (every tool once, then again) so that load from elsewhere on
# the machine hits all tools alike. NAME must be a shell identifier.
measure() {
	_name=$1 _run=$2; shift 2
	if command -v "${_name}_before" >/dev/null 2>&1; then "${_name}_before"; fi
	_t0=$(date +%s%N)
	_rc=0
	/usr/bin/time -f '%e %M %U %S' -o "$TMP/$_name.time" \
		timeout -k 5 "$TIMEOUT" "$@" >"$TMP/$_name.out" 2>&1 || _rc=$?
	_t1=$(date +%s%N)
	if [ $_rc -ne 0 ]; then
		echo "bench: $_name: run $_run of $RUNS failed (exit $_rc): $*" >&2
		[ $_rc -eq 124 ] && echo "bench: $_name: no result after $TIMEOUT s" >&2
		sed 's/^/  | /' "$TMP/$_name.time" >&2 2>/dev/null || true
		tail -n 20 "$TMP/$_name.out" | sed 's/^/  | /' >&2
		die "$_name did not complete"
	fi
	_kb=$(tail -n 1 "$TMP/$_name.time" | awk '{print $2}')
	case $_kb in ''|*[!0-9]*) die "$_name: cannot read GNU time's output: $(cat "$TMP/$_name.time")" ;; esac
	_s=$(awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	_c=$(tail -n 1 "$TMP/$_name.time" | awk '{ printf "%.2f", $3 + $4 }')
	if [ "$_run" -eq 1 ]; then
		eval "M_BEST_$_name=\$_s M_WORST_$_name=\$_s M_KB_$_name=\$_kb M_CPU_$_name=\$_c"
		return 0
	fi
	eval "_b=\$M_BEST_$_name _w=\$M_WORST_$_name _k=\$M_KB_$_name"
	awk -v a="$_s" -v b="$_b" 'BEGIN { exit !(a < b) }' &&
		eval "M_BEST_$_name=\$_s M_CPU_$_name=\$_c"
	awk -v a="$_s" -v b="$_w" 'BEGIN { exit !(a > b) }' && eval "M_WORST_$_name=\$_s"
	[ "$_kb" -gt "$_k" ] && eval "M_KB_$_name=\$_kb"
	return 0
}

# row NAME PACKETS: one line of a timing table for what measure kept.
row() {
	eval "_b=\$M_BEST_$1 _w=\$M_WORST_$1 _k=\$M_KB_$1 _c=\$M_CPU_$1"
	awk -v n="$1" -v b="$_b" -v w="$_w" -v c="$_c" -v p="$2" -v kb="$_k" 'BEGIN {
		printf "  %-12s %8.3f %8.3f %7.2f %8.3f %13.1f\n", n, b, w, c, p / b / 1e6, kb / 1024 }'
}
row_head() {
	printf "  %-12s %8s %8s %7s %8s %13s\n" tool "best s" "worst s" "cpu s" "Mpkt/s" "peak RSS MiB"
}

# ratio A_SECONDS B_SECONDS: throughput of A relative to B (B's time / A's).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2f", b / a; else printf "-" }'
}

# ---- section: classify --------------------------------------------------
# Classification throughput: kastrod reading a capture file against the two
# references, ndpiReader (nDPI's own demo reader: the same library plus its
# own flow table and statistics) and refloop (libpcap + flow hash + nDPI,
# nothing else: the floor). Target: kastrod >= 0.8 x refloop.
CLASSIFY_TARGET=0.80

kastrod_before() { rm -f "$TMP/eve.json"; }

section_classify() {
	need_tool "$BUILD/kastrod" kastrod
	need_tool "$BUILD/bench/refloop" refloop
	NDPIREADER=$(command -v ndpiReader) ||
		die "ndpiReader not found: run packaging/deps.sh bench (package libndpi-bin)"
	need_big

	i=0
	while [ $i -lt "$RUNS" ]; do
		i=$((i + 1))
		measure kastrod $i "$BUILD/kastrod" -r "$BIG" --eve "$TMP/eve.json"
		[ -s "$TMP/eve.json" ] || die "kastrod exited 0 but its --eve file stayed empty"
		measure ndpiReader $i "$NDPIREADER" -q -i "$BIG"
		measure refloop $i "$BUILD/bench/refloop" "$BIG"
	done
	k_s=$M_BEST_kastrod n_s=$M_BEST_ndpiReader r_s=$M_BEST_refloop
	k_lines=$(wc -l <"$TMP/eve.json")
	r_line=$(grep '^refloop: ' "$TMP/refloop.out") ||
		die "refloop printed no result: $(cat "$TMP/refloop.out")"
	r_pk=$(echo "$r_line" | sed -n 's/.* packets \([0-9]*\) .*/\1/p')
	[ "$r_pk" = "$BIG_PACKETS" ] ||
		die "refloop read $r_pk packets, mkbig wrote $BIG_PACKETS"
	r_flows=$(echo "$r_line" | sed -n 's/.* flows \([0-9]*\) .*/\1/p')
	r_class=$(echo "$r_line" | sed -n 's/.* classified \([0-9]*\) .*/\1/p')

	kr=$(ratio "$k_s" "$r_s")
	kn=$(ratio "$k_s" "$n_s")
	if awk -v k="$k_s" -v r="$r_s" -v t="$CLASSIFY_TARGET" 'BEGIN { exit !(k > 0 && r / k >= t) }'; then
		verdict=met
	else
		verdict=MISSED
	fi

	echo
	echo "== classify: $BIG_DESC; $RUNS rounds, Mpkt/s from the best =="
	row_head
	row kastrod "$BIG_PACKETS"
	row ndpiReader "$BIG_PACKETS"
	row refloop "$BIG_PACKETS"
	printf "  %-20s %5s   target >= %s   %-6s   (by CPU time: %s)\n" kastrod/refloop \
		"$kr" "$CLASSIFY_TARGET" "$verdict" "$(ratio "$M_CPU_kastrod" "$M_CPU_refloop")"
	printf "  %-20s %5s                          (by CPU time: %s)\n" kastrod/ndpiReader \
		"$kn" "$(ratio "$M_CPU_kastrod" "$M_CPU_ndpiReader")"
	# kastrod's closing stats line, when it has the usual words in it
	k_flows=$(sed -n 's/.*flows \([0-9]*\) created.*/\1/p' "$TMP/kastrod.out" | tail -n 1)
	k_class=$(sed -n 's/.*classified \([0-9]*\).*/\1/p' "$TMP/kastrod.out" | tail -n 1)
	if [ -n "$k_flows" ] && [ -n "$k_class" ]; then
		echo "  flows (with a protocol): kastrod $k_flows ($k_class), refloop $r_flows ($r_class); kastrod wrote $k_lines EVE lines"
	else
		echo "  flows (with a protocol): refloop $r_flows ($r_class); kastrod wrote $k_lines EVE lines"
	fi
}

# ---- section: setupdate ---------------------------------------------------
# The set-update path of enforcement, in a network namespace of its own:
# inserting N flow elements (N/2 flows, both directions) into flows4 through
# nft_block_flows (kastrod's netlink batches), against `nft -f` with one
# file holding the same N elements and against one `nft add element`
# process per element (for a sample, extrapolated); the latency of a
# one-flow batch (the floor from classification to element in place); and
# 1,000,000-entry IPv4 and IPv6 blocklists loaded through nft_table_replace
# (the first round into an empty set, later rounds replace the contents).
# Targets: >= 100,000 elements/s through kastro, a blocklist in < 10 s.
SETUPDATE_RATE_TARGET=100000
SETUPDATE_TABLE_TARGET=10
SETUPDATE_SAMPLE=500

nft_f_before() { ip netns exec "$BENCH_NETNS" nft flush set inet kastro flows4; }
nft_each_before() { nft_f_before; }
kastro_before() { nft_f_before; }

# rate COUNT SECONDS: COUNT / SECONDS, rounded.
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }'; }
# table_secs NAME: the seconds nftbench printed for its last table load.
table_secs() { sed -n 's/^nftbench: table .* seconds \([0-9.]*\)$/\1/p' "$TMP/$1.out"; }

section_setupdate() {
	echo
	if [ "$(id -u)" != 0 ]; then
		echo "== setupdate: skipped (needs root for a network namespace) =="
		return 0
	fi
	need_tool "$BUILD/bench/nftbench" nftbench
	command -v nft >/dev/null || die "nft not found (package nftables)"
	_n=${KASTRO_BENCH_SETELEMS:-100000}
	case $_n in ''|*[!0-9]*) die "KASTRO_BENCH_SETELEMS='$_n' is not a number" ;; esac
	_flows=$((_n / 2))
	[ "$_flows" -gt 0 ] || die "KASTRO_BENCH_SETELEMS must be at least 2"
	_n=$((_flows * 2))
	_sample=$SETUPDATE_SAMPLE
	[ "$_sample" -gt "$_n" ] && _sample=$_n

	BENCH_NETNS=kastro-bench-$$-setupdate
	ip netns add "$BENCH_NETNS" || die "cannot create network namespace $BENCH_NETNS"
	set -- ip netns exec "$BENCH_NETNS"
	cat >"$TMP/ruleset.nft" <<-'EOF'
	table inet kastro {
		set flows4 { type ipv4_addr . inet_proto . inet_service . ipv4_addr . inet_service; flags timeout; }
		set t4 { type ipv4_addr; flags interval; }
		set t6 { type ipv6_addr; flags interval; }
		chain forward {
			type filter hook forward priority 0; policy accept;
			ip saddr . meta l4proto . th sport . ip daddr . th dport @flows4 drop
			ip daddr @t4 drop
			ip6 daddr @t6 drop
		}
	}
	EOF
	"$@" "$BUILD/bench/nftbench" apply "$TMP/ruleset.nft" >"$TMP/apply.out" 2>&1 ||
		die "nftbench apply failed: $(cat "$TMP/apply.out")"
	# the same elements for nft: one file with all of them, one line each
	"$BUILD/bench/nftbench" gen-nft "$_flows" 3600 >"$TMP/elems.txt" || die "nftbench gen-nft failed"
	{ echo "add element inet kastro flows4 {"; sed 's/$/,/' "$TMP/elems.txt"; echo "}"; } >"$TMP/elems.nft"
	head -n "$_sample" "$TMP/elems.txt" >"$TMP/sample.txt"
	awk 'BEGIN { for (i = 0; i < 1000000; i++) { v = 335544320 + i * 4
		printf "%d.%d.%d.%d\n", int(v / 16777216), int(v / 65536) % 256, int(v / 256) % 256, v % 256 } }' >"$TMP/t4.txt"
	awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "2001:db8:%x:%x::/64\n", int(i / 32768), (i % 32768) * 2 }' >"$TMP/t6.txt"

	_best_in=0 _cnt=""
	i=0
	while [ $i -lt "$RUNS" ]; do
		i=$((i + 1))
		measure kastro $i "$@" "$BUILD/bench/nftbench" block-gen "$_flows" 3600
		_r=$(sed -n 's/^nftbench: block .* elements \([0-9]*\) .* elements\/s \([0-9]*\)$/\1 \2/p' "$TMP/kastro.out")
		[ "${_r% *}" = "$_n" ] || die "nftbench wrote '${_r% *}' elements, want $_n: $(cat "$TMP/kastro.out")"
		[ "${_r#* }" -gt "$_best_in" ] && _best_in=${_r#* }
		[ -n "$_cnt" ] || _cnt=$("$@" nft list set inet kastro flows4 | grep -o ' timeout 1h' | wc -l)
		measure nft_f $i "$@" nft -f "$TMP/elems.nft"
		# shellcheck disable=SC2016 # $e and $1 belong to the inner shell
		measure nft_each $i "$@" sh -c 'while read -r e; do nft add element inet kastro flows4 "{ $e }" || exit 1; done <"$1"' sh "$TMP/sample.txt"
	done
	[ "$_cnt" = "$_n" ] || die "flows4 holds $_cnt elements after nft_block_flows, want $_n"
	"$@" "$BUILD/bench/nftbench" latency 1000 3600 >"$TMP/latency.out" 2>&1 ||
		die "nftbench latency failed: $(cat "$TMP/latency.out")"
	_lat=$(sed -n 's/^nftbench: latency rounds \([0-9]*\) min_us \([0-9.]*\) median_us \([0-9.]*\) p99_us \([0-9.]*\)$/min \2 us, median \3 us, p99 \4 us (\1 calls)/p' "$TMP/latency.out")
	# Blocklists after the flow rounds: nft's own commands slow down a lot
	# once a set holds a million elements (nft 1.0.6 reads them all first).
	i=0
	while [ $i -lt "$RUNS" ]; do
		i=$((i + 1))
		measure table4 $i "$@" "$BUILD/bench/nftbench" table t4 4 "$TMP/t4.txt"
		[ $i -eq 1 ] && _t4in=$(table_secs table4)
		measure table6 $i "$@" "$BUILD/bench/nftbench" table t6 6 "$TMP/t6.txt"
		[ $i -eq 1 ] && _t6in=$(table_secs table6)
	done
	_t4=$(table_secs table4) _t6=$(table_secs table6)
	ip netns del "$BENCH_NETNS" 2>/dev/null
	BENCH_NETNS=""

	_r_proc=$(rate "$_n" "$M_BEST_kastro")
	_r_f=$(rate "$_n" "$M_BEST_nft_f")
	_r_each=$(rate "$_sample" "$M_BEST_nft_each")
	if [ "$_best_in" -ge "$SETUPDATE_RATE_TARGET" ]; then _v=met; else _v=MISSED; fi
	tv() { awk -v w="$1" -v t="$SETUPDATE_TABLE_TARGET" 'BEGIN { print (w < t) ? "met" : "MISSED" }'; }

	echo "== setupdate: $_n flow elements ($_flows flows, both directions) into flows4; $RUNS rounds, best =="
	printf "  %-36s %8s %12s\n" tool "best s" "elements/s"
	printf "  %-36s %8s %12s\n" "kastro nft_block_flows (in process)" "-" "$_best_in"
	printf "  %-36s %8.3f %12s\n" "kastro (nftbench process, wall)" "$M_BEST_kastro" "$_r_proc"
	printf "  %-36s %8.3f %12s\n" "nft -f, one file of all" "$M_BEST_nft_f" "$_r_f"
	printf "  %-36s %8.3f %12s   (%s elements, extrapolated)\n" "nft add element, one per element" \
		"$M_BEST_nft_each" "$_r_each" "$_sample"
	printf "  %-36s %8s\n" "kastro / nft -f (process wall)" "$(ratio "$M_BEST_kastro" "$M_BEST_nft_f")"
	printf "  %-36s %8s\n" "kastro / nft add element" \
		"$(awk -v a="$_r_proc" -v b="$_r_each" 'BEGIN { if (b > 0) printf "%.0f", a / b; else print "-" }')"
	printf "  %-36s target >= %s elements/s   %s\n" "kastro rate (in process)" "$SETUPDATE_RATE_TARGET" "$_v"
	echo "  latency of a one-flow batch into the kernel (without the sensor-to-parent message): $_lat"
	echo "  blocklist of 1,000,000 prefixes through nft_table_replace, seconds (wall includes reading the file):"
	printf "    %-5s %14s %16s %10s %11s   target < %s s (worst wall)\n" "" "into empty set" "replace (last)" "best wall" "worst wall" \
		"$SETUPDATE_TABLE_TARGET"
	printf "    %-5s %14.3f %16.3f %10.3f %11.3f   %s\n" IPv4 "$_t4in" "$_t4" "$M_BEST_table4" "$M_WORST_table4" "$(tv "$M_WORST_table4")"
	printf "    %-5s %14.3f %16.3f %10.3f %11.3f   %s\n" IPv6 "$_t6in" "$_t6" "$M_BEST_table6" "$M_WORST_table6" "$(tv "$M_WORST_table6")"
}

# ---- section: blocklatency -------------------------------------------------
# Inline: the deciding packet's arrival to its verdict, through the live
# daemon: see tests/bench/blocklatency.sh.
section_blocklatency() {
	need_tool "$BUILD/kastrod" kastrod
	need_tool "$BUILD/kastroctl" kastroctl
	_f=${KASTRO_BENCH_BLOCKFLOWS:-300}
	case $_f in ''|*[!0-9]*|0) die "KASTRO_BENCH_BLOCKFLOWS='$_f' is not a positive number" ;; esac
	if [ "$(id -u)" != 0 ]; then
		echo
		echo "== blocklatency: skipped (needs root for the network lab) =="
		return 0
	fi
	bash "$here/blocklatency.sh" "$BUILD" "$_f" || die "blocklatency failed (message above)"
}

# Inline forwarding against plain forwarding in the lab: see tests/bench/inline.sh.
section_inline() {
	need_tool "$BUILD/kastrod" kastrod
	need_tool "$BUILD/kastroctl" kastroctl
	_c=${KASTRO_BENCH_INLINE_CONNS:-500}
	case $_c in ''|*[!0-9]*|0) die "KASTRO_BENCH_INLINE_CONNS='$_c' is not a positive number" ;; esac
	if [ "$(id -u)" != 0 ]; then
		echo
		echo "== inline: skipped (needs root for the network lab) =="
		return 0
	fi
	bash "$here/inline.sh" "$BUILD" "$_c" || die "inline failed (message above)"
}

# ---- section: scan ---------------------------------------------------------
# YARA scanning of a tree of >= KASTRO_BENCH_SCAN_MB MiB (tests/agent/
# mkcorpus.py: files Debian installs under /usr, copied, plus planted
# samples) with signature-base: `kastro-agent scan` against
# `yara -r -p CORES` with the same rules compiled by yarac, in the same
# rounds; then a rescan of the unchanged tree through the scan cache. yara
# gets the five external variables once for all files (-d, empty): rules
# that test them may match other files than in kastro-agent, which sets
# them per file (tests/agent/test_yara_agree.sh checks agreement per file);
# the work is the same.
#
# Compared is the scan itself, with the rules in memory: that is what a
# scheduled scan of the agent costs, which compiles its rules once per
# update. For kastro-agent, the duration in its scan_summary; for yara, its
# wall time less that of the same command on an empty directory (loading
# the compiled rules, starting, exiting). The process wall times are shown
# too: kastro-agent's include compiling signature-base from source (about
# a second), yara's loading it precompiled.
# Targets: first scan >= 1.0 x yara's speed, rescan >= 20 x the first scan.
SCAN_FIRST_TARGET=1.0
SCAN_RESCAN_TARGET=20

# scan_ms NAME FIELD: the FIELD (duration_ms, cpu_ms) of the scan_summary
# kastro-agent printed
scan_ms() {
	sed -n "s/.*\"event_type\":\"scan_summary\".*\"$2\":\([0-9]*\),.*/\1/p" "$TMP/$1.out"
}
# secs MS: milliseconds as seconds
secs() { awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }'; }
# the scan command exits 1 when something matched: that is success here
SCAN_RUN='"$@"; [ $? -le 1 ]'

section_scan() {
	need_tool "$BUILD/kastro-agent" kastro-agent
	for _t in yara yarac python3; do
		command -v $_t >/dev/null || die "$_t not found: run packaging/deps.sh bench (packages yara, python3)"
	done
	_sb=$TESTDATA/yara/signature-base
	[ -d "$_sb" ] || die "signature-base rules not found in $_sb (set KASTRO_TESTDATA)"
	_mb=${KASTRO_BENCH_SCAN_MB:-300}
	case $_mb in ''|*[!0-9]*|0) die "KASTRO_BENCH_SCAN_MB='$_mb' is not a positive number" ;; esac
	_cores=$(nproc)
	_tree=$TMP/scantree
	echo "bench: building a tree of >= $_mb MiB from files under /usr ..."
	python3 "$here/../agent/mkcorpus.py" --rules "$_sb" --out "$_tree" --expect "$TMP/scan.expect" \
		--min-mb "$_mb" >"$TMP/mkcorpus.out" 2>&1 || die "mkcorpus failed: $(cat "$TMP/mkcorpus.out")"
	_files=$(find "$_tree" -type f | wc -l)
	_bytes=$(find "$_tree" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')
	mkdir "$TMP/scanempty"
	set -- -d filename= -d filepath= -d extension= -d filetype= -d owner=
	# shellcheck disable=SC2046
	yarac -w "$@" $(find "$_sb" -maxdepth 1 \( -name '*.yar' -o -name '*.yara' \) | sort) \
		"$TMP/sb.yarc" >"$TMP/yarac.out" 2>&1 || die "yarac failed: $(tail -n 5 "$TMP/yarac.out")"
	# files written less than 2 s ago are not cached (agent/scan.h); and
	# let the writes reach the disk before timing reads
	sync
	sleep 2
	# the cache the rescans read: filled once by a first scan
	_rc=0
	"$BUILD/kastro-agent" scan --rules "$_sb" --max-size 1G --cache "$TMP/scan.cache" \
		"$_tree" >"$TMP/scan_prime.out" 2>&1 || _rc=$?
	[ $_rc -le 1 ] || die "kastro-agent scan --cache failed: $(tail -n 5 "$TMP/scan_prime.out")"

	_k_ms="" _r_ms="" _k_cpu="" _r_cpu=""
	i=0
	while [ $i -lt "$RUNS" ]; do
		i=$((i + 1))
		measure kastro_agent $i sh -c "$SCAN_RUN" sh "$BUILD/kastro-agent" scan --rules "$_sb" --json \
			--max-size 1G --threads "$_cores" "$_tree"
		_ms=$(scan_ms kastro_agent duration_ms)
		[ -n "$_ms" ] || die "kastro-agent printed no scan_summary: $(tail -n 5 "$TMP/kastro_agent.out")"
		if [ -z "$_k_ms" ] || [ "$_ms" -lt "$_k_ms" ]; then
			_k_ms=$_ms _k_cpu=$(scan_ms kastro_agent cpu_ms)
		fi
		measure yara $i yara -w -C -r -p "$_cores" "$@" "$TMP/sb.yarc" "$_tree"
		measure yara_empty $i yara -w -C -r -p "$_cores" "$@" "$TMP/sb.yarc" "$TMP/scanempty"
		measure kastro_rescan $i sh -c "$SCAN_RUN" sh "$BUILD/kastro-agent" scan --rules "$_sb" --json \
			--max-size 1G --threads "$_cores" --cache "$TMP/scan.cache" "$_tree"
		_ms=$(scan_ms kastro_rescan duration_ms)
		[ -n "$_ms" ] || die "kastro-agent printed no scan_summary: $(tail -n 5 "$TMP/kastro_rescan.out")"
		if [ -z "$_r_ms" ] || [ "$_ms" -lt "$_r_ms" ]; then
			_r_ms=$_ms _r_cpu=$(scan_ms kastro_rescan cpu_ms)
		fi
	done
	# the planted samples must all be found, the rescan must hit the cache
	grep '"event_type":"finding"' "$TMP/kastro_agent.out" |
		sed 's/.*"rule":"\([^"]*\)".*"path":"\([^"]*\)".*/\1 \2/' | sort -u >"$TMP/scan.found"
	sort -o "$TMP/scan.expect" "$TMP/scan.expect"
	_miss=$(comm -23 "$TMP/scan.expect" "$TMP/scan.found" | wc -l)
	[ "$_miss" -eq 0 ] || die "kastro-agent missed $_miss planted samples: $(comm -23 "$TMP/scan.expect" "$TMP/scan.found" | head -n 3)"
	_hits=$(sed -n 's/.*"cache_hits":\([0-9]*\),.*/\1/p' "$TMP/kastro_rescan.out")
	_ymatch=$(wc -l <"$TMP/yara.out")
	_kmatch=$(wc -l <"$TMP/scan.found")

	_y_s=$(awk -v w="$M_BEST_yara" -v e="$M_BEST_yara_empty" 'BEGIN { printf "%.3f", w - e }')
	_k_s=$(awk -v m="$_k_ms" 'BEGIN { printf "%.3f", m / 1000 }')
	_r_s=$(awk -v m="$_r_ms" 'BEGIN { printf "%.3f", (m > 0 ? m : 1) / 1000 }')
	_first=$(ratio "$_k_s" "$_y_s")
	_re=$(ratio "$_r_s" "$_k_s")
	if awk -v r="$_first" -v t="$SCAN_FIRST_TARGET" 'BEGIN { exit !(r >= t) }'; then _v1=met; else _v1=MISSED; fi
	if awk -v r="$_re" -v t="$SCAN_RESCAN_TARGET" 'BEGIN { exit !(r >= t) }'; then _v2=met; else _v2=MISSED; fi

	echo
	echo "== scan: $_files files, $((_bytes / 1048576)) MiB; signature-base; $_cores threads; $RUNS rounds, best =="
	_y_cpu=$(awk -v a="$M_CPU_yara" -v b="$M_CPU_yara_empty" 'BEGIN { printf "%.2f", a - b }')
	printf "  %-22s %8s %8s %7s %8s %8s %9s %13s\n" run "wall s" "scan s" "cpu s" "scan cpu" "MB/s" \
		"files/s" "peak RSS MiB"
	srow() {
		awk -v n="$1" -v w="$2" -v s="$3" -v c="$4" -v sc="$5" -v kb="$6" -v b="$_bytes" -v f="$_files" 'BEGIN {
			printf "  %-22s %8.3f %8.3f %7.2f %8.2f %8.1f %9.0f %13.1f\n", n, w, s, c, sc, b / s / 1e6, f / s, kb / 1024 }'
	}
	srow "kastro-agent" "$M_BEST_kastro_agent" "$_k_s" "$M_CPU_kastro_agent" "$(secs "$_k_cpu")" "$M_KB_kastro_agent"
	srow "yara -r -p $_cores" "$M_BEST_yara" "$_y_s" "$M_CPU_yara" "$_y_cpu" "$M_KB_yara"
	srow "kastro-agent rescan" "$M_BEST_kastro_rescan" "$_r_s" "$M_CPU_kastro_rescan" "$(secs "$_r_cpu")" "$M_KB_kastro_rescan"
	echo "  (scan: kastro-agent's own figures; yara's less its run on an empty directory, $M_BEST_yara_empty s)"
	printf "  %-28s %6s   target >= %s   %-6s   (by scan CPU: %s; process wall: %s)\n" \
		"first scan kastro/yara" "$_first" "$SCAN_FIRST_TARGET" "$_v1" \
		"$(ratio "$(secs "$_k_cpu")" "$_y_cpu")" \
		"$(ratio "$M_BEST_kastro_agent" "$M_BEST_yara")"
	printf "  %-28s %6s   target >= %s    %-6s   (process wall: %s)\n" "rescan speed-up (cache)" \
		"$_re" "$SCAN_RESCAN_TARGET" "$_v2" "$(ratio "$M_BEST_kastro_rescan" "$M_BEST_kastro_agent")"
	echo "  matches: kastro-agent $_kmatch, yara $_ymatch (externals per file vs empty); rescan cache hits $_hits"
}

# ---- section: ingest -------------------------------------------------------
# kastro-console's durable ingest: 50 gateway sensors over mutual TLS send
# KASTRO_BENCH_INGEST_EVENTS events at once, each batch of 500 after the
# ack of the one before (ingestload); the rate is of events acknowledged,
# so committed with synchronous=FULL. The reference, in the same run: the
# same rows as bare SQLite inserts in the same batched transactions
# (sqliteref). Then, with KASTRO_BENCH_INGEST_ALERTS alerts stored (alertfill
# adds 30 days of them), the officers' dashboard and alert list through the
# REST API, logged in as an officer. See tests/bench/ingest.sh. One round:
# the ingest is one long run and the API figures are the best of 5.
# Targets: >= 20,000 events/s; every API answer in < 200 ms.
INGEST_RATE_TARGET=20000
INGEST_API_TARGET_MS=200
# The same ingest with four alert hooks active (syslog over TCP to rsyslog,
# every alert to each) against without, in the same run: runs of
# KASTRO_BENCH_INGEST_HOOK_EVENTS events, without and with taking turns,
# three of each, the best of each kept. Target: with / without >= 0.95 (no
# slower, within what runs of the same thing differ by on a 2-core machine).
INGEST_HOOKS_TARGET=0.95

section_ingest() {
	need_tool "$BUILD/kastro-console" kastro-console
	need_tool "$BUILD/kastroctl" kastroctl
	for _t in ingestload sqliteref alertfill; do need_tool "$BUILD/bench/$_t" $_t; done
	_ev=${KASTRO_BENCH_INGEST_EVENTS:-1000000}
	_al=${KASTRO_BENCH_INGEST_ALERTS:-1000000}
	case $_ev in ''|*[!0-9]*) die "KASTRO_BENCH_INGEST_EVENTS='$_ev' is not a number" ;; esac
	case $_al in ''|*[!0-9]*) die "KASTRO_BENCH_INGEST_ALERTS='$_al' is not a number" ;; esac
	[ "$_ev" -ge 50 ] || die "KASTRO_BENCH_INGEST_EVENTS must be at least 50 (one per sensor)"
	echo "bench: ingest: a console, 50 sensors, $_ev events, then $_al alerts ..."
	KASTRO_BENCH_INGEST_HOOKS=0 bash "$here/ingest.sh" "$BUILD" "$_ev" "$_al" "$TMP/ingest.res" ||
		die "ingest failed (message above)"
	_hev=${KASTRO_BENCH_INGEST_HOOK_EVENTS:-200000}
	case $_hev in ''|*[!0-9]*) die "KASTRO_BENCH_INGEST_HOOK_EVENTS='$_hev' is not a number" ;; esac
	[ "$_hev" -ge 50 ] || die "KASTRO_BENCH_INGEST_HOOK_EVENTS must be at least 50 (one per sensor)"
	echo "bench: ingest: $_hev events without and with four alert hooks, three runs of each ..."
	_best0=0 _best4=0
	for _round in 1 2 3; do
		for _h in 0 4; do
			KASTRO_BENCH_INGEST_HOOKS=$_h bash "$here/ingest.sh" "$BUILD" "$_hev" 0 \
				"$TMP/ingest$_h.res" ingest-only || die "ingest with $_h hooks failed (message above)"
			_r=$(sed -n 's/^ingest_rate=//p' "$TMP/ingest$_h.res")
			[ -n "$_r" ] || die "ingest.sh wrote no rate: $(cat "$TMP/ingest$_h.res")"
			if [ "$_h" = 0 ]; then
				[ "$_r" -gt "$_best0" ] && _best0=$_r
			elif [ "$_r" -gt "$_best4" ]; then
				_best4=$_r
				cp "$TMP/ingest4.res" "$TMP/ingest4.best"
			fi
		done
	done
	# v KEY: a value ingest.sh wrote
	v() { sed -n "s/^$1=//p" "$TMP/ingest.res"; }
	_rate=$(v ingest_rate) _ref=$(v ref_rate) _cpu=$(v console_cpu) _s=$(v ingest_seconds)
	[ -n "$_rate" ] || die "ingest.sh wrote no rate: $(cat "$TMP/ingest.res")"
	[ -n "$_ref" ] || die "ingest.sh wrote no reference rate: $(cat "$TMP/ingest.res")"
	if [ "$_rate" -ge "$INGEST_RATE_TARGET" ]; then _v=met; else _v=MISSED; fi

	echo
	echo "== ingest: 50 gateway sensors, mutual TLS 1.3, $_ev events (5% alerts) in batches of 500, one round =="
	printf "  %-48s %8s %10s %7s\n" store "wall s" "events/s" "cpu s"
	printf "  %-48s %8.3f %10s %7s\n" "kastro-console (acknowledged, synchronous=FULL)" "$_s" "$_rate" "$_cpu"
	printf "  %-48s %8.3f %10s %7s\n" "reference: bare SQLite inserts, same rows" "$(v ref_seconds)" "$_ref" "-"
	printf "  %-48s %8s\n" "kastro / reference" \
		"$(awk -v a="$_rate" -v b="$_ref" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
	printf "  %-48s target >= %s events/s   %s\n" "kastro rate" "$INGEST_RATE_TARGET" "$_v"
	echo "  ack of a batch: median $(v ack_p50) ms, p99 $(v ack_p99) ms, max $(v ack_max) ms;" \
		"$(v ingest_connections) TLS connections for $(v ingest_batches) batches"
	echo "  CPU while ingesting: console $_cpu s ($(awk -v c="$_cpu" -v s="$_s" 'BEGIN { printf "%.0f", 100 * c / s }')% of the wall time)," \
		"load generator $(v load_cpu) s; enrolment of the sensors took $(v enrol_seconds) s"
	echo "  stored: $_ev events, $(v ingest_alert_events) of them alerts, in $(v ingest_alert_rows) alert rows; database $(v db_mib) MiB"
	_hr=$(awk -v a="$_best4" -v b="$_best0" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "0" }')
	if awk -v r="$_hr" -v t="$INGEST_HOOKS_TARGET" 'BEGIN { exit !(r >= t) }'; then _v=met; else _v=MISSED; fi
	h() { sed -n "s/^$1=//p" "$TMP/ingest4.best"; }
	echo "  $_hev events, best of three runs each: without hooks $_best0 events/s, with four syslog hooks" \
		"to rsyslog $_best4 events/s"
	printf "  %-48s %8s   target >= %s   %s\n" "with four hooks / without" "$_hr" "$INGEST_HOOKS_TARGET" "$_v"
	echo "  (with hooks: console CPU $(h console_cpu) s, of it the hooks' delivery threads $(h hook_cpu) s;" \
		"$(h hook_delivered) deliveries done and $(h hook_queued) queued when the last batch was acknowledged)"

	echo "  REST API with $_al alerts stored ($(v fill_open) open; filled in $(v fill_seconds) s; database $(v fill_db_mib) MiB), best of 5:"
	printf "    %-36s %8s %9s %8s %5s   %s\n" request "best ms" "worst ms" "head ms" rows "target < $INGEST_API_TARGET_MS ms"
	for _k in dashboard_24h dashboard_30d alerts_first alerts_open_sev alerts_host alerts_text \
		alerts_nomatch alerts_deep; do
		# shellcheck disable=SC2046 # the fields of the line
		set -- $(v "api_$_k")
		[ $# -ge 5 ] || die "ingest.sh wrote no timing for $_k: $(cat "$TMP/ingest.res")"
		_b=$1 _w=$2 _h=$3 _r=$4
		shift 4
		if awk -v b="$_b" -v t="$INGEST_API_TARGET_MS" 'BEGIN { exit !(b < t) }'; then _v=met; else _v=MISSED; fi
		printf "    %-36s %8s %9s %8s %5s   %s\n" "$*" "$_b" "$_w" "$_h" "$_r" "$_v"
	done
	echo "  (head ms: until the answer's head arrived, the console sends it once the answer is made;"
	echo "  rows: alerts in the answer, for the dashboard the open alerts it counted)"
}

# ---- section: hooks --------------------------------------------------------
# Alerts through the console's outbox to three receivers at once (syslog
# over TLS and RELP to rsyslog, a webhook), each against a bare sender of
# the same messages to the same receiver in the same run; and the latency
# from an alert acknowledged to the sensor to rsyslog writing it (TLS), one
# alert at a time. See tests/bench/hooks.sh. Targets: syslog over TLS
# >= 5,000 alerts/s; latency p99 < 1 s.
HOOKS_TLS_TARGET=5000
HOOKS_P99_TARGET_MS=1000

section_hooks() {
	need_tool "$BUILD/kastro-console" kastro-console
	command -v rsyslogd >/dev/null 2>&1 || die "rsyslogd not installed (packaging/deps.sh bench)"
	_n=${KASTRO_BENCH_HOOK_ALERTS:-20000}
	case $_n in ''|*[!0-9]*) die "KASTRO_BENCH_HOOK_ALERTS='$_n' is not a number" ;; esac
	echo "bench: hooks: $_n alerts through three hooks ..."
	bash "$here/hooks.sh" "$BUILD" "$_n" "$TMP/hooks.res" || die "hooks failed (message above)"
	v() { sed -n "s/^$1=//p" "$TMP/hooks.res"; }
	echo
	echo "== hooks: $_n alerts stored in $(v store_seconds) s, sent through three hooks at once =="
	printf "  %-34s %12s %12s %14s %7s\n" receiver "kastro /s" "backlog /s" "bare sender /s" ratio
	for _k in tls relp web; do
		case $_k in tls) _d="rsyslog, syslog over TLS (CEF)" ;; relp) _d="rsyslog, RELP (CEF)" ;;
		web) _d="webhook, HTTPS (signed JSON)" ;; esac
		printf "  %-34s %12s %12s %14s %7s\n" "$_d" "$(v rate_$_k)" "$(v drain_$_k)" "$(v ref_$_k)" \
			"$(awk -v a="$(v rate_$_k)" -v b="$(v ref_$_k)" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
	done
	_best=$(v rate_tls)
	case $(v drain_tls) in ''|-) ;; *) [ "$(v drain_tls)" -gt "$_best" ] && _best=$(v drain_tls) ;; esac
	if [ "$_best" -ge "$HOOKS_TLS_TARGET" ]; then _v=met; else _v=MISSED; fi
	printf "  %-34s target >= %s alerts/s   %s\n" "syslog over TLS" "$HOOKS_TLS_TARGET" "$_v"
	if awk -v p="$(v lat_p99)" -v t="$HOOKS_P99_TARGET_MS" 'BEGIN { exit !(p < t) }'; then _v=met; else _v=MISSED; fi
	echo "  stored -> rsyslog wrote it (TLS), 200 alerts one at a time: p50 $(v lat_p50) ms, p99 $(v lat_p99) ms," \
		"max $(v lat_max) ms   target p99 < $HOOKS_P99_TARGET_MS ms   $_v"
	echo "  (kastro /s: all alerts from the first batch sent to the last delivered, so no more than ingest"
	echo "  feeds; backlog /s: what was still queued when the last batch was stored, drained; the three"
	echo "  hooks run at once, each its own worker; the bare senders one after another)"
}

# The agent's backup checks: what each costs, as the agent measures it (the
# tool's wall time, CPU, storage read and written). See tests/bench/backup.sh.
section_backup() {
	need_tool "$BUILD/kastro-agent" kastro-agent
	_mb=${KASTRO_BENCH_BACKUP_MB:-200}
	case $_mb in ''|*[!0-9]*|0) die "KASTRO_BENCH_BACKUP_MB='$_mb' is not a positive number" ;; esac
	echo "bench: backup: restic and borg repositories of $_mb MiB, each check once ..."
	bash "$here/backup.sh" "$BUILD" "$_mb" "$TMP/backup.res" || die "backup failed (message above)"
	echo
	echo "== backup checks on $_mb MiB (two snapshots; verify reads all of it; restore: 3 files) =="
	printf "  %-7s %-8s %-8s %10s %10s %12s %12s\n" tool check result "wall ms" "cpu ms" "read MiB" "written MiB"
	while read -r _k _c _ok _ms _cpu _r _w; do
		awk -v k="$_k" -v c="$_c" -v ok="$_ok" -v ms="$_ms" -v cpu="$_cpu" -v r="$_r" -v w="$_w" \
			'BEGIN { printf "  %-7s %-8s %-8s %10s %10s %12.1f %12.1f\n", k, c, ok, ms, cpu, r / 1048576, w / 1048576 }'
	done <"$TMP/backup.res"
	grep -q FAILED "$TMP/backup.res" && die "a backup check failed on a sound repository"
	return 0
}

# ---- section: continuity ---------------------------------------------------
# A console with 1,000 HTTP probes every 30 s against a small HTTP server on
# loopback, then the same with 1,000 push checks pinged every minute (see
# tests/bench/continuity.sh). The reference in the same run: curl making a
# round's requests. Targets: scheduling lateness p99 < 1 s, console CPU
# < 10% of one core.
CONT_P99_TARGET_MS=1000
CONT_CPU_TARGET_PCT=10

section_continuity() {
	need_tool "$BUILD/kastro-console" kastro-console
	need_tool "$BUILD/kastroctl" kastroctl
	command -v curl >/dev/null 2>&1 || die "curl not installed"
	command -v sqlite3 >/dev/null 2>&1 || die "sqlite3 not installed (packaging/deps.sh bench)"
	_n=${KASTRO_BENCH_PROBES:-1000}
	_ph=${KASTRO_BENCH_PROBE_PHASE:-120}
	case $_n in ''|*[!0-9]*) die "KASTRO_BENCH_PROBES='$_n' is not a number" ;; esac
	case $_ph in ''|*[!0-9]*) die "KASTRO_BENCH_PROBE_PHASE='$_ph' is not a number" ;; esac
	echo "bench: continuity: $_n probes and $_n push checks, two phases of $_ph s ..."
	bash "$here/continuity.sh" "$BUILD" "$_n" "$_ph" "$TMP/cont.res" || die "continuity failed (message above)"
	v() { sed -n "s/^$1=//p" "$TMP/cont.res"; }
	echo
	echo "== continuity: $_n HTTP probes every 30 s ($(v probe_runs) runs in $_ph s), then also $_n push checks pinged every minute =="
	printf "  %-52s %10s\n" "" "value"
	printf "  %-52s %9s%%\n" "console CPU, probes (share of one core)" "$(v cpu_probes_pct)"
	printf "  %-52s %9s%%\n" "console CPU, probes and pings" "$(v cpu_push_pct)"
	printf "  %-52s %10s\n" "console CPU per round of $_n probes, s" "$(v cpu_probes_round_s)"
	printf "  %-52s %10s\n" "reference: curl, the same $_n requests, CPU s" "$(v ref_cpu_s)"
	printf "  %-52s %10s\n" "console / reference (CPU per round)" \
		"$(awk -v a="$(v cpu_probes_round_s)" -v b="$(v ref_cpu_s)" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
	if awk -v p="$(v late_p99_ms)" -v t="$CONT_P99_TARGET_MS" 'BEGIN { exit !(p < t) }'; then _v=met; else _v=MISSED; fi
	echo "  scheduling lateness: p50 $(v late_p50_ms) ms, p99 $(v late_p99_ms) ms, max $(v late_max_ms) ms" \
		"  target p99 < $CONT_P99_TARGET_MS ms   $_v"
	if awk -v c="$(v cpu_push_pct)" -v t="$CONT_CPU_TARGET_PCT" 'BEGIN { exit !(c < t) }'; then _v=met; else _v=MISSED; fi
	echo "  console CPU with probes and pings: $(v cpu_push_pct)%   target < $CONT_CPU_TARGET_PCT% of one core   $_v"
	echo "  pings taken: $(v pings); push checks pinged (up, or late a minute on): $(v push_up) of $_n"
	echo "  (lateness: from a check due to a worker taking it, since the console started; CPU per"
	echo "  round: the console also keeps states and writes each result to its database; the"
	echo "  reference is one curl process per 100 URLs, a new connection each, nothing stored)"
}

# ---- main -----------------------------------------------------------------
for s in $SECTIONS; do
	"section_$s"
done
