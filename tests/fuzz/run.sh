#!/bin/sh
# Build every libFuzzer target (tests/fuzz/fuzz_*.c) with clang-14 and run
# each for SECONDS; a crash, leak or sanitizer report fails it and leaves
# the input that triggered it in build/fuzz/.
#
# usage: tests/fuzz/run.sh [--build | --prebuilt] SECONDS
#   --build     build the targets only (make check does it early, at low
#               priority, beside the suites that mostly wait)
#   --prebuilt  run the targets --build made, without building them again
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/../lib.sh"

mode=all
case ${1:-} in
--build) mode=build; shift ;;
--prebuilt) mode=run; shift ;;
esac
secs=${1:-20}
out=$root/build/fuzz
gen=$out/gen
mkdir -p "$gen"

# build_all: the instrumented sources and every target's binary
build_all() {
	if ! command -v clang-14 >/dev/null 2>&1; then
		t_fail "fuzz: clang-14 not found (packaging/deps.sh fuzz installs it)"
		t_done
	fi

	# The grammar's generated parser, as the Makefile makes it.
	gensrcs="$gen/conf_parse.c $gen/conf_lex.c"
	if [ -f "$root/console/cconf_parse.y" ]; then
		gensrcs="$gensrcs $gen/cconf_parse.c $gen/cconf_lex.c"
		bison --defines="$gen/cconf_parse.h" -o "$gen/cconf_parse.c" "$root/console/cconf_parse.y" &&
			flex -o "$gen/cconf_lex.c" "$root/console/cconf_lex.l" || {
			t_fail "fuzz: cannot generate the console's config parser"
			t_done
		}
	fi
	if [ -f "$root/agent/aconf_parse.y" ]; then
		gensrcs="$gensrcs $gen/aconf_parse.c $gen/aconf_lex.c"
		bison --defines="$gen/aconf_parse.h" -o "$gen/aconf_parse.c" "$root/agent/aconf_parse.y" &&
			flex -o "$gen/aconf_lex.c" "$root/agent/aconf_lex.l" || {
			t_fail "fuzz: cannot generate the agent's config parser"
			t_done
		}
	fi
	sh "$root/console/www-embed.sh" "$gen/www.c" $(ls "$root"/console/www/* 2>/dev/null) || {
		t_fail "fuzz: cannot embed the web UI"
		t_done
	}
	gensrcs="$gensrcs $gen/www.c"
	bison --defines="$gen/conf_parse.h" -o "$gen/conf_parse.c" "$root/daemon/conf_parse.y" &&
		flex -o "$gen/conf_lex.c" "$root/daemon/conf_lex.l" || {
		t_fail "fuzz: cannot generate the config parser"
		t_done
	}

	# the same libraries as the Makefile's PKGS
	pkgs="libpcap libndpi libcap-ng libnftables libnftnl libmnl libnetfilter_queue libnetfilter_conntrack libseccomp sqlite3 openssl libevent libevent_openssl libargon2 libcurl jansson yara"
	srcs=$(ls "$root"/daemon/*.c "$root"/lib/*.c "$root"/console/*.c "$root"/agent/*.c 2>/dev/null |
		grep -v -e '/kastrod\.c$' -e '/kastro-console\.c$' -e '/kastro-agent\.c$')
	# shellcheck disable=SC2046
	cflags="-g -O1 -std=gnu11 -D_GNU_SOURCE -pthread -fno-sanitize-recover=all \
	-I$root/lib -I$root/daemon -I$root/console -I$root/agent -I$gen $(pkg-config --cflags $pkgs)"
	flags="$cflags -fsanitize=fuzzer,address,undefined"
	libs="$(pkg-config --libs $pkgs) -lresolv"

	# The sources every target links are compiled once, instrumented, into one
	# archive (in parallel, one job per core); each target then only links.
	objdir=$out/obj
	rm -rf "$objdir" "$out/libkastro-fuzz.a"
	mkdir -p "$objdir"
	export CLANG_FLAGS="$cflags -fsanitize=fuzzer-no-link,address,undefined" objdir
	# shellcheck disable=SC2016,SC2086
	if ! printf '%s\n' $srcs $gensrcs | xargs -P "$(nproc)" -n 1 sh -c \
		'clang-14 $CLANG_FLAGS -c -o "$objdir/$(printf %s "$1" | tr / _).o" "$1"' sh \
		>"$out/objects.build.log" 2>&1 ||
		! ar rcs "$out/libkastro-fuzz.a" "$objdir"/*.o >>"$out/objects.build.log" 2>&1; then
		cat "$out/objects.build.log"
		t_fail "fuzz: the sources do not build"
		t_done
	fi

	for src in "$here"/fuzz_*.c; do
		name=$(basename "$src" .c)
		rm -f "$out/$name"
		# shellcheck disable=SC2086
		if ! clang-14 $flags -o "$out/$name" "$src" "$out/libkastro-fuzz.a" $libs \
			>"$out/$name.build.log" 2>&1; then
			cat "$out/$name.build.log"
			t_fail "fuzz/$name: does not build"
		fi
	done
}

[ "$mode" = run ] || build_all
[ "$mode" = build ] && t_done

pcaps=$(t_testdata)/pcap
for src in "$here"/fuzz_*.c; do
	name=$(basename "$src" .c)
	bin=$out/$name
	# a target that did not build has said so already
	[ -x "$bin" ] || { [ "$mode" = run ] && t_fail "fuzz/$name: not built (tests/fuzz/run.sh --build)"; continue; }
	corpus=$out/corpus-$name
	mkdir -p "$corpus"
	case $name in
	fuzz_packets | fuzz_engine)
		if [ -d "$pcaps" ]; then
			python3 "$here/seeds.py" "$corpus" "$pcaps"/*.pcap
		fi
		;;
	fuzz_conf)
		cp "$root"/rules/*.conf "$root"/tests/ndpi/*.conf "$corpus"/ 2>/dev/null
		;;
	fuzz_cconf)
		cp "$here"/seeds/cconf-*.conf "$corpus"/ 2>/dev/null
		;;
	fuzz_hookdb)
		# one hook block a file: what an admin writes in the console
		grep -h '^hook' "$here"/seeds/cconf-hooks.conf | while IFS= read -r l; do
			printf '%s\n' "$l" >"$corpus/seed-$(printf '%s' "$l" | cksum | cut -d' ' -f1)"
		done
		;;
	fuzz_plugin)
		printf '%s\n' "DISK WARNING - free space: / 3326 MB (56%); | '/ used'=2643MB;4000;4500;0;6000" \
			'long output' "more | 'in odes'=5%;80:;90: t=0.5s;;;0;10" >"$corpus/seed-disk"
		printf 'TCP OK - 0.001 second response time on 127.0.0.1 port 80|time=0.000512s;;;0.000000;10.000000\n' \
			>"$corpus/seed-tcp"
		;;
	fuzz_starttls)
		# first byte: protocol (0 smtp, 1 imap, 2 pop3) + 3 x step (0 greeting, 1 caps, 2 go)
		printf '\003250-mail.kavala.gr\r\n250-SIZE 1000\r\n250 STARTTLS\r\n' >"$corpus/seed-smtp"
		printf '\004* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\nK1 OK done\r\n' >"$corpus/seed-imap"
		printf '\005+OK\r\nUSER\r\nSTLS\r\n.\r\n' >"$corpus/seed-pop3"
		printf '\000220 mail ESMTP\r\n' >"$corpus/seed-greet"
		;;
	fuzz_jsonpath)
		# condition byte (0 is, 1 below, 2 above), path, value, body
		printf '\000status.database\nup\n{"status":{"database":"up"}}' >"$corpus/seed-is"
		printf '\001queue[0].depth\n100\n{"queue":[{"depth":42.5}],"x":[true,null,"a\\u00e9"]}' \
			>"$corpus/seed-below"
		;;
	fuzz_dnsq)
		# first byte: the type asked (A, AAAA, CNAME, MX, NS, TXT by index), 0x80: a server
		printf '\000\022\064\201\200\000\001\000\001\000\000\000\000\003erp\006kavala\002gr\000\000\001\000\001\300\014\000\001\000\001\000\000\000\074\000\004\012\024\000\036' \
			>"$corpus/seed-a"
		printf '\005\022\064\201\200\000\001\000\001\000\000\000\000\001x\000\000\020\000\001\300\014\000\020\000\001\000\000\000\074\000\006\002ok\002up' \
			>"$corpus/seed-txt"
		printf '\200[fd00:20::2]:5353' >"$corpus/seed-server6"
		printf '\20010.20.0.2:53' >"$corpus/seed-server4"
		;;
	fuzz_ping)
		for s in 0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11 0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11/start \
			0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11/fail 0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11/255/; do
			printf '%s' "$s" >"$corpus/seed-$(printf '%s' "$s" | tr / _)"
		done
		;;
	fuzz_backup)
		printf '\000[{"time":"2026-12-06T10:00:00.5Z","id":"aa"},{"time":"2026-12-06T12:00:00+02:00","id":"bb"}]' \
			>"$corpus/seed-snapshots"
		printf '\001{"archives":[{"name":"one","start":"2026-12-06T10:00:00.000000"}]}' >"$corpus/seed-borg"
		printf '\002{"total_size":300006,"total_file_count":3}' >"$corpus/seed-stats"
		printf '\003{"archives":[{"stats":{"original_size":1,"nfiles":2}}]}' >"$corpus/seed-info"
		printf '\004{"type":"file","path":"/src/a","size":6,"struct_type":"node"}' >"$corpus/seed-ls"
		printf '\005{"type":"-","path":"src/a","size":6,"sha256":"%064d"}' 0 >"$corpus/seed-item"
		printf '\006backup "x" { service "erp" restic "/r" password-file "/p" every 5m shrink 30%% }' \
			>"$corpus/seed-conf"
		printf '\007{"event_type":"backup","backup":{"service":"erp","kind":"restic","repository":"/r","check":"status","ok":true,"newest":"2026-12-06T23:06:35.000000+0000","size":1,"files":2}}' \
			>"$corpus/seed-event"
		;;
	fuzz_inventory)
		cp "$root"/rules/kavala-services.conf "$corpus"/
		printf '%s\n' 'service "erp" { address { 10.20.0.30 fd00:20::30 } ports tcp { 443 8000-8010 }' \
			'owner "it" rpo 15m rto 2h criticality high public depends "db"' \
			'check https "https://erp/" every 30s keyword "ok" regex "^a+" status 200 redirects no' \
			'check tcp "erp" port 5432 check tls "erp" warn 21d 14d 7d check icmp "erp"' \
			'check dns "erp.kavala.gr" type AAAA server "10.20.0.2" expect "x" rcode NOERROR' \
			'check plugin "q" check push "j" uuid "0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11" period 1d grace 1h' \
			'maintenance weekly sun 02:00 for 2h maintenance once "2026-12-24 22:00" for 1d' \
			'backup restic "/srv/r" host "b" }' 'service "db" { }' >"$corpus/seed-all"
		;;
	fuzz_policy)
		printf '%s\n' 'default block log' 'pass proto tcp from <t> to self port 22' \
			'nat from { lan !10.10.9.0/24 } to wan' 'nat from dmz to wan address 192.0.2.1' \
			'rdr proto tcp from wan port 443 to service "web"' >"$corpus/seed-gw"
		printf '%s\n' 'service "s" { address 10.20.0.11 ports tcp 25 synproxy }' 'table <o> { }' \
			'pass from wan to service "s" max-src-conn 10 max-src-conn-rate 20/5 overload <o> 10m' \
			>"$corpus/seed-limits"
		;;
	fuzz_fmt)
		printf '\001ET SCAN \316\232\316\261\316\262\316\254\316\273\316\261 a=b|c\\d\nx\000pc-1\000gw-1\000Attempted Recon\000blocked\000TLS\000alert\000raised\000{"src_ip":"10.0.0.2","dest_ip":"10.0.0.3","src_port":1234,"dest_port":80,"proto":"TCP"}' \
			>"$corpus/seed-alert"
		;;
	fuzz_agentcmd)
		printf '%s' '{"version":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","paths":["/home","/tmp/x"],"files":[{"name":"a.yar","data_b64":"cnVsZSBhIHsgY29uZGl0aW9uOiB0cnVlIH0="},{"name":"b.yara","data_b64":""}]}' \
			>"$corpus/seed-bundle"
		;;
	fuzz_cron)
		for s in '0 2 * * *' '*/15 9-17 * * mon-fri' '0 3 15 * fri' '10-20/5,45 4 1,15 jan-mar,dec 0,7' '@weekly'; do
			printf '%s' "$s" >"$corpus/seed-$(printf '%s' "$s" | md5sum | cut -c1-8)"
		done
		;;
	fuzz_sprobe)
		printf '%s' '{"checks":[{"service":"web","key":"http http://10.0.0.1/ from gw","kind":"http","target":"http://10.0.0.1/","every":30,"retry_every":10,"timeout":5,"status":200,"keyword":"ok","regex":"^<h1>","redirects":"no"},{"service":"db","key":"tcp db:5432 from gw","kind":"tcp","target":"db","port":5432,"every":60,"retry_every":30,"timeout":10},{"service":"db","key":"disk from gw","kind":"plugin","target":"disk","every":60,"retry_every":60,"timeout":10}]}' \
			>"$corpus/seed-args"
		printf '%s' '{"checks":[{"service":"mail","key":"tls mail:587 from gw","kind":"tls","target":"mail","port":587,"every":60,"retry_every":30,"timeout":10,"warn":[21,14,7],"starttls":"smtp"},{"service":"dns","key":"dns x A from gw","kind":"dns","target":"x","every":60,"retry_every":30,"timeout":5,"dns_type":"AAAA","rcode":"NOERROR","server":"[fd00:20::2]:5353","expect":"fd00:20::30"},{"service":"web","key":"http http://x/h from gw","kind":"http","target":"http://x/h","every":30,"retry_every":10,"timeout":5,"json":{"path":"a.b[0]","op":"below","value":"100"},"warn_ms":500,"crit_ms":2000}]}' \
			>"$corpus/seed-args-more"
		printf '%s' '{"event_type":"probe_result","timestamp":"2026-12-06T23:00:00.000000+0000","probe":{"service":"web","check":"tcp db:5432 from gw","state":"CRITICAL","ms":12,"output":"CRITICAL - refused","time":1796684400}}' \
			>"$corpus/seed-event"
		;;
	fuzz_httphead)
		printf '\000\000\001\000\000\000\000\000POST /sensor/v1/events HTTP/1.1\r\nHost: c\r\nContent-Length: 10\r\n\r\n' \
			>"$corpus/seed-post"
		;;
	fuzz_ingest)
		printf '%s' '{"first_seq":1,"events":[{"event_type":"alert","timestamp":"2026-01-01T00:00:00.000000+0000","src_ip":"10.10.0.2","alert":{"action":"blocked","signature_id":1,"signature":"rule 1","category":"Test","severity":2}},{"event_type":"finding","host":"pc","finding":{"rule":"EICAR","path":"/tmp/x"}},{"event_type":"flow"}]}' \
			>"$corpus/seed-batch"
		;;
	fuzz_web)
		# The first byte says who asks: 0 nobody, 1 admin, 2 analyst, 3 viewer,
		# 4 admin without CSRF header, 6 admin's API token (see fuzz_web.c).
		n=0
		for s in '\001GET /api/v1/alerts?severity_max=2&status=open&limit=5\n\n' \
			'\003GET /api/v1/dashboard?hours=48\n\n' '\001GET /api/v1/alerts/1\n\n' \
			'\002POST /api/v1/alerts/1/notes\nContent-Type: application/json\n\n{"text":"seen it"}' \
			'\002POST /api/v1/alerts/2/status\n\n{"status":"acknowledged"}' \
			'\001POST /api/v1/alerts/1/assign\n\n{"assignee":"analyst"}' \
			'\001POST /api/v1/users/2\n\n{"role":"viewer","disabled":false}' \
			'\001PUT /api/v1/users/3\n\n{"role":"analyst"}' '\001PATCH /api/v1/users/3\n\n{"disabled":true}' \
			'\001POST /api/v1/users\n\n{"name":"ops","role":"viewer","password":"a long password"}' \
			'\006POST /api/v1/tokens\n\n{"kind":"gateway","ttl":3600}' '\006GET /api/v1/users\n\n' \
			'\003POST /api/v1/api-tokens\n\n{"name":"script"}' '\004POST /api/v1/logout\n\n' \
			'\001POST /api/v1/me/password\n\n{"old":"fuzz-admin-password","new":"another long one"}' \
			'\001POST /api/v1/me/totp/confirm\n\n{"secret":"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP","code":"123456"}' \
			'\001GET /api/v1/audit?before_id=9&limit=3\n\n' '\003GET /api/v1/sensors\n\n' \
			'\001POST /api/v1/sensors/s-fuzz/revoke\n\n' '\000GET /api/v1/me\n\n' \
			'\000POST /api/v1/login\n\n{"user":"admin","password":"fuzz-admin-password"}' \
			'\000GET /\n\n' '\000GET /ui/app.js\n\n' '\000GET /ui/style.css\n\n' \
			'\003GET /api/v1/services?owner=finance&criticality=high\n\n' '\003GET /api/v1/services/x\n\n' \
			'\000HEAD /ping/0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11/start\n\n'; do
			n=$((n + 1))
			printf '%b' "$s" >"$corpus/seed-$n"
		done
		csr=$(openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
			-subj /CN=seed 2>/dev/null | awk '{ printf "%s\\n", $0 }')
		{
			printf '\000POST /sensor/v1/enroll\n\n'
			printf '{"token":"kastro-fuzz-enrolment-token-0123456789abcde","csr":"%s","hostname":"pc","facts":{"os":"linux"}}' "$csr"
		} >"$corpus/seed-enroll"
		;;
	esac
	log=$out/$name.log
	if (cd "$out" && "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 "$corpus" >"$log" 2>&1); then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		t_pass "fuzz/$name: ${secs}s, ${execs:-?} inputs, no crash"
	else
		tail -40 "$log"
		t_fail "fuzz/$name: crashed (log: $log; reproducer in $out)"
	fi
done
t_done
