#!/bin/sh
# test_yara_agree.sh BUILD_DIR - kastro-agent scan finds what the yara
# command finds, with the same rules and the same external variables.
#
# The corpus (tests/agent/mkcorpus.py, in a temporary directory): a few
# hundred files Debian installs, samples planted to hit chosen rules of
# signature-base (the EICAR test file, files for rules on filename,
# filepath, extension and filetype, files holding the strings of rules
# picked from the rule text), and files with unusual names and types.
# Some files are given to user nobody (when run as root).
#
# Two rule sets: signature-base from the shared test data, and
# tests/agent/rules (rules on each external variable). For each, the set of
# "RULE PATH" lines of `kastro-agent scan --rules SET CORPUS` must equal the
# yara command's. yara takes external variables per run (-d), so to give
# each file its own filename, filepath, extension, filetype and owner (as
# kastro-agent does; the values computed here from the rules in
# agent/scan.h, independently), the rule files that mention one of the five
# names are compiled apart (yarac) and run once per file; the other rule
# files, which cannot depend on them, run once over the whole tree
# (yara -r). Both parts are the same rules in the same default namespace.
# Also checked: every planted sample is found, the exit codes and the
# --json output of the scan command.
#
# Needs: yara and yarac (package yara), python3. Takes about 20 s.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$1
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
AGENT=$BUILD/kastro-agent
SB=$(t_testdata)/yara/signature-base
OWN=$here/rules

if [ ! -d "$SB" ]; then
	t_skip "agent/yara-agree: signature-base rules not found at $SB (set KASTRO_TESTDATA)"
	t_done
fi
for tool in yara yarac python3; do
	if ! command -v $tool >/dev/null; then
		t_skip "agent/yara-agree: $tool not installed (packaging/deps.sh test)"
		t_done
	fi
done
if [ ! -x "$AGENT" ]; then
	t_fail "agent/yara-agree: $AGENT not built"
	t_done
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kastro-agree.XXXXXX")
U=
trap 'rm -rf "$TMP" ${U:+"$U"}' EXIT
trap 'exit 130' INT TERM
C=$TMP/corpus
mkdir "$TMP/clean0"

if ! python3 "$here/mkcorpus.py" --rules "$SB" --out "$C" --expect "$TMP/expect" >"$TMP/mk.out" 2>&1; then
	cat "$TMP/mk.out"
	t_fail "agent/yara-agree: mkcorpus failed"
	t_done
fi
cat "$TMP/mk.out"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$C/planted/ext/notes.txt" "$C/planted/eicar.com" "$C/planted/ext/run.sh"
fi
find "$C" -type f | sort >"$TMP/files"
nfiles=$(wc -l <"$TMP/files")

# externals FILE: set "$@" to yara's -d options for FILE, as agent/scan.h says
filetype_of() {
	case $(od -An -tx1 -N8 "$1" | tr -d ' \n') in
	4d5a*) echo EXE ;;
	7f454c46*) echo ELF ;;
	feedface*|feedfacf*|cefaedfe*|cffaedfe*) echo MACH-O ;;
	25504446*) echo PDF ;;
	504b0304*|504b0506*) echo ZIP ;;
	526172211a07*) echo RAR ;;
	377abcaf271c*) echo 7Z ;;
	1f8b*) echo GZIP ;;
	474946383761*|474946383961*) echo GIF ;;
	ffd8ff*) echo JPEG ;;
	89504e470d0a1a0a*) echo PNG ;;
	7b5c727466*) echo RTF ;;
	4d444d50*) echo MDMP ;;
	d0cf11e0a1b11ae1*) echo OLE ;;
	3c3f706870*) echo PHP ;;
	2321*) echo SCRIPT ;;
	*) echo "" ;;
	esac
}
# ASCII letters only are lowered, as agent/scan.c does
# shellcheck disable=SC2018,SC2019
extension_of() {
	_b=${1##*/}
	_t=${_b#"${_b%%[!.]*}"}          # without leading dots
	case $_t in
	*.*) _e=.$(printf '%s' "${_t##*.}" | tr 'A-Z' 'a-z') ;;
	*) _e= ;;
	esac
	[ ${#_e} -lt 64 ] || _e=
	printf '%s' "$_e"
}
owner_of() {
	_o=$(stat -c %U "$1")
	[ "$_o" = UNKNOWN ] && _o=$(stat -c %u "$1")
	printf '%s' "$_o"
}

D0="-d filename= -d filepath= -d extension= -d filetype= -d owner="
# yara_set NAME FILE...: the yara command's "RULE PATH" lines for the rule
# files given, into $TMP/NAME.yara
yara_set() {
	_n=$1; shift
	: >"$TMP/ext.list"
	: >"$TMP/rest.list"
	for _f in "$@"; do
		if grep -qwE 'filename|filepath|extension|filetype|owner' "$_f"; then
			echo "$_f" >>"$TMP/ext.list"
		else
			echo "$_f" >>"$TMP/rest.list"
		fi
	done
	: >"$TMP/$_n.yara"
	if [ -s "$TMP/rest.list" ]; then
		# shellcheck disable=SC2046,SC2086
		yarac -w $D0 $(cat "$TMP/rest.list") "$TMP/rest.yarc" 2>"$TMP/yarac.err" ||
			{ cat "$TMP/yarac.err"; return 1; }
		# shellcheck disable=SC2086
		yara -w -C -r -p 2 $D0 "$TMP/rest.yarc" "$C" >>"$TMP/$_n.yara" 2>"$TMP/yara.err" ||
			{ cat "$TMP/yara.err"; return 1; }
	fi
	if [ -s "$TMP/ext.list" ]; then
		# shellcheck disable=SC2046,SC2086
		yarac -w $D0 $(cat "$TMP/ext.list") "$TMP/ext.yarc" 2>"$TMP/yarac.err" ||
			{ cat "$TMP/yarac.err"; return 1; }
		while IFS= read -r _f; do
			yara -w -C -d "filename=${_f##*/}" -d "filepath=$_f" \
				-d "extension=$(extension_of "$_f")" -d "filetype=$(filetype_of "$_f")" \
				-d "owner=$(owner_of "$_f")" "$TMP/ext.yarc" "$_f" ||
				{ echo "yara failed on $_f" >&2; return 1; }
		done <"$TMP/files" >>"$TMP/$_n.yara"
	fi
	sort -u -o "$TMP/$_n.yara" "$TMP/$_n.yara"
}

# compare NAME RULES [EMPTY-OK]: kastro-agent against yara for one rule set
# (a directory is a tree: its rule files at any depth)
compare() {
	_n=$1 _rules=$2 _empty_ok=${3:-}
	_t0=$(date +%s%N)
	"$AGENT" scan --rules "$_rules" --max-size 1G "$C" >"$TMP/$_n.kastro" 2>"$TMP/$_n.err"
	_rc=$?
	_t1=$(date +%s%N)
	if [ $_rc -gt 1 ] || [ -s "$TMP/$_n.err" ]; then
		cat "$TMP/$_n.err"
		t_fail "agent/yara-agree/$_n: kastro-agent scan exited $_rc or complained (above)"
		return
	fi
	sort -u -o "$TMP/$_n.kastro" "$TMP/$_n.kastro"
	if [ -d "$_rules" ]; then
		_files=$(find "$_rules" -name '.*' -prune -o -type f \( -name '*.yar' -o -name '*.yara' \) -print | sort)
	else
		_files=$_rules
	fi
	# shellcheck disable=SC2086
	if ! yara_set "$_n" $_files; then
		t_fail "agent/yara-agree/$_n: the yara command failed (above)"
		return
	fi
	_t2=$(date +%s%N)
	_k=$(wc -l <"$TMP/$_n.kastro")
	_y=$(wc -l <"$TMP/$_n.yara")
	echo "  $_n: kastro-agent $_k matches in $(( (_t1 - _t0) / 1000000 )) ms," \
		"yara $_y in $(( (_t2 - _t1) / 1000000 )) ms, $nfiles files"
	if cmp -s "$TMP/$_n.kastro" "$TMP/$_n.yara"; then
		if [ "$_k" -gt 0 ] || [ -n "$_empty_ok" ]; then
			t_pass "agent/yara-agree/$_n: the same $_k (rule, file) pairs as yara"
		else
			t_fail "agent/yara-agree/$_n: neither found anything: the test proves nothing"
		fi
	else
		echo "  only kastro-agent:"; comm -23 "$TMP/$_n.kastro" "$TMP/$_n.yara" | head -20 | sed 's/^/    /'
		echo "  only yara:"; comm -13 "$TMP/$_n.kastro" "$TMP/$_n.yara" | head -20 | sed 's/^/    /'
		t_fail "agent/yara-agree/$_n: kastro-agent $_k pairs, yara $_y, not the same"
	fi
}

compare signature-base "$SB"
compare externals "$OWN"

# ReversingLabs' public set is laid out in folders: the whole tree is
# compiled (every rule of every file) and agrees with yara given the same
# files. Its rules look for Windows malware, which the corpus has none of:
# here agreement on nothing found is the expected answer.
RL=$(t_testdata)/yara/reversinglabs/yara
if [ -d "$RL" ]; then
	compare reversinglabs "$RL" empty-ok
	"$AGENT" scan --rules "$RL" --stats "$TMP/clean0" 2>"$TMP/rl.err" >/dev/null
	# the yara command's count: the rules a file does not match, and those it does
	echo x >"$TMP/clean0.txt"
	# shellcheck disable=SC2046
	want=$( { yara -w -n $(find "$RL" -type f \( -name '*.yar' -o -name '*.yara' \)) "$TMP/clean0.txt"
		yara -w $(find "$RL" -type f \( -name '*.yar' -o -name '*.yara' \)) "$TMP/clean0.txt"; } | wc -l)
	got=$(sed -n 's/.*threads, \([0-9]*\) rules$/\1/p' "$TMP/rl.err")
	if [ "$got" = "$want" ] && [ "$want" -gt 100 ]; then
		t_pass "agent/yara-agree/reversinglabs: the tree's $got rules of $(find "$RL" -name '*.yara' | wc -l) files in subdirectories compiled"
	else
		cat "$TMP/rl.err"
		t_fail "agent/yara-agree/reversinglabs: $got rules compiled, the tree holds $want"
	fi
else
	t_skip "agent/yara-agree/reversinglabs: not found at $RL (set KASTRO_TESTDATA)"
fi

# every planted sample found
sort -o "$TMP/expect" "$TMP/expect"
missing=$(comm -23 "$TMP/expect" "$TMP/signature-base.kastro" | wc -l)
planted=$(wc -l <"$TMP/expect")
if [ "$planted" -ge 6 ] && [ "$missing" -eq 0 ]; then
	t_pass "agent/yara-agree: all $planted planted samples found (EICAR, externals, rule strings)"
else
	comm -23 "$TMP/expect" "$TMP/signature-base.kastro" | sed 's/^/  missed: /'
	t_fail "agent/yara-agree: $missing of $planted planted samples not found"
fi
# the rules on externals hit what they were written for
for r in ext_filetype_elf ext_filetype_gzip ext_filetype_image ext_extension_upper \
	ext_filename_dotfile ext_owner_nobody; do
	if [ "$r" = ext_owner_nobody ] && [ "$(id -u)" != 0 ]; then continue; fi
	grep -q "^$r " "$TMP/externals.kastro" || t_fail "agent/yara-agree: rule $r matched nothing"
done

# ---- the scan command itself ----
mkdir "$TMP/clean" && echo "nothing here" >"$TMP/clean/a.txt"
out=$("$AGENT" scan --rules "$SB" "$TMP/clean" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then
	t_pass "agent/scan-cli: a clean tree exits 0, prints nothing"
else
	t_fail "agent/scan-cli: clean tree: exit $rc, output '$out'"
fi
"$AGENT" scan --rules "$SB" "$C/planted/eicar.com" >"$TMP/one.out" 2>&1; rc=$?
if [ $rc -eq 1 ] && [ "$(cat "$TMP/one.out")" = "SUSP_Just_EICAR $C/planted/eicar.com" ]; then
	t_pass "agent/scan-cli: a match exits 1 and prints 'RULE PATH' as yara does"
else
	t_fail "agent/scan-cli: EICAR: exit $rc, output '$(cat "$TMP/one.out")'"
fi
mkdir "$TMP/names"
printf 'X5O!P%%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$TMP/names/a
kastro-agent: forged.com"
"$AGENT" scan --rules "$SB" "$TMP/names" >"$TMP/names.out" 2>&1; rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$TMP/names.out")" -eq 1 ] &&
	[ "$(cat "$TMP/names.out")" = "SUSP_Just_EICAR $TMP/names/a\\x0akastro-agent: forged.com" ]; then
	t_pass "agent/scan-cli: a file name with a newline is printed escaped, on one line"
else
	t_fail "agent/scan-cli: newline name: exit $rc, '$(cat "$TMP/names.out")'"
fi
# a file that cannot be read: exit 2 unless something matched (as clamscan)
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	U=$(mktemp -d "${TMPDIR:-/tmp}/kastro-agree-u.XXXXXX")
	chmod 755 "$U"
	mkdir "$U/rules" "$U/t"
	printf 'rule Eicar_Test { strings: $e = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" condition: $e }\n' >"$U/rules/e.yar"
	echo clean >"$U/t/ok.txt"
	echo secret >"$U/t/locked.txt"
	chmod -R a+rX "$U"
	chmod 000 "$U/t/locked.txt"
	asnobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$AGENT" scan --rules "$U/rules" "$@"; }
	asnobody "$U/t" >"$TMP/u.out" 2>"$TMP/u.err"; rc=$?
	if [ $rc -eq 2 ] && [ ! -s "$TMP/u.out" ] &&
		grep -qx "kastro-agent: skipped (unreadable: Permission denied) $U/t/locked.txt" "$TMP/u.err"; then
		t_pass "agent/scan-cli: nothing matched and a file could not be read: exit 2, the file on stderr with the reason"
	else
		t_fail "agent/scan-cli: unreadable file: exit $rc, '$(cat "$TMP/u.out" "$TMP/u.err")'"
	fi
	printf 'X5O!P%%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$U/t/eicar.com"
	chmod a+r "$U/t/eicar.com"
	asnobody "$U/t" >"$TMP/u.out" 2>"$TMP/u.err"; rc=$?
	if [ $rc -eq 1 ] && [ "$(cat "$TMP/u.out")" = "Eicar_Test $U/t/eicar.com" ] && grep -q locked.txt "$TMP/u.err"; then
		t_pass "agent/scan-cli: a match wins: exit 1 even with a file that could not be read"
	else
		t_fail "agent/scan-cli: match and unreadable: exit $rc, '$(cat "$TMP/u.out" "$TMP/u.err")'"
	fi
	rm -rf "$U"
else
	t_skip "agent/scan-cli: exit 2 on an unreadable file needs root, user nobody and setpriv"
fi
out=$("$AGENT" scan --help)
if echo "$out" | grep -q "default $((64))M, as agent.conf" && echo "$out" | grep -q "per file (default 30, as agent.conf)"; then
	t_pass "agent/scan-cli: the size and time limits default to agent.conf's (64M, 30 s)"
else
	t_fail "agent/scan-cli: defaults: $out"
fi
mkdir "$TMP/bad" && printf 'rule ok { condition: true }\nrule bad {\n condition: nope\n}\n' >"$TMP/bad/x.yar"
out=$("$AGENT" scan --rules "$TMP/bad" "$TMP/clean" 2>&1); rc=$?
case $rc:$out in
2:*"$TMP/bad/x.yar:3:"*nope*) t_pass "agent/scan-cli: rules that do not compile exit 2, naming file:line" ;;
*) t_fail "agent/scan-cli: bad rules: exit $rc, '$out'" ;;
esac
out=$("$AGENT" scan --rules "$SB" "$TMP/absent" 2>&1); rc=$?
if [ $rc -eq 2 ]; then t_pass "agent/scan-cli: a missing PATH exits 2"
else t_fail "agent/scan-cli: missing PATH: exit $rc, '$out'"; fi
out=$("$AGENT" scan --rules "$SB" --threads 0 "$TMP/clean" 2>&1); rc=$?
if [ $rc -eq 2 ]; then t_pass "agent/scan-cli: a bad option value exits 2"
else t_fail "agent/scan-cli: --threads 0: exit $rc, '$out'"; fi
ln -s "$TMP/clean/a.txt" "$TMP/clean/link"
mkfifo "$TMP/clean/fifo"
head -c 2000 /dev/zero >"$TMP/clean/big"
"$AGENT" scan --rules "$SB" --max-size 1K "$TMP/clean" >"$TMP/skip.out" 2>"$TMP/skip.err"; rc=$?
if [ $rc -eq 0 ] && [ ! -s "$TMP/skip.out" ] &&
	grep -qx "kastro-agent: skipped (symlink) $TMP/clean/link" "$TMP/skip.err" &&
	grep -qx "kastro-agent: skipped (special) $TMP/clean/fifo" "$TMP/skip.err" &&
	grep -qx "kastro-agent: skipped (too-large) $TMP/clean/big" "$TMP/skip.err" &&
	[ "$(wc -l <"$TMP/skip.err")" -eq 3 ]; then
	t_pass "agent/scan-cli: skipped files go to stderr, one line each with the reason"
else
	cat "$TMP/skip.err"
	t_fail "agent/scan-cli: skips: exit $rc (above)"
fi
"$AGENT" scan --rules "$SB" --json "$C/planted" >"$TMP/json.out" 2>"$TMP/json.err"
if python3 - "$TMP/json.out" "$TMP/signature-base.kastro" "$C/planted/" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
want = sorted(l.rstrip("\n") for l in open(sys.argv[2]) if l.split(" ", 1)[1].startswith(sys.argv[3]))
got = sorted("%s %s" % (e["finding"]["rule"], e["finding"]["path"]) for e in lines if e["event_type"] == "finding")
assert got == want, (len(got), len(want))
s = [e for e in lines if e["event_type"] == "scan_summary"]
assert len(s) == 1 and lines[-1] is s[0]
f = [e["finding"] for e in lines if e["event_type"] == "finding"]
assert all(len(x["sha256"]) == 64 and 1 <= x["severity"] <= 4 and x["category"] == "malware" for x in f)
assert s[0]["scan"]["findings"] == len(f)
EOF
then
	t_pass "agent/scan-cli: --json gives one finding event per match and a summary"
else
	t_fail "agent/scan-cli: --json output wrong"
fi
t_done
