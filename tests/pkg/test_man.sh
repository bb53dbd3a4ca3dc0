#!/bin/sh
# The manual pages (man/*.[58]) are clean for `mandoc -Tlint`: no message
# of any level (style included), except that a page names another page of
# Kastro's, or one of a package not installed here (nft, yara), which is not
# yet in this machine's manual database.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

n=0
for f in "$top"/man/*.[58]; do
	n=$((n + 1))
	name=$(basename "$f")
	out=$(mandoc -Tlint -W style "$f" 2>&1 |
		grep -v 'STYLE: referenced manual not found: Xr \(kastro[a-z.-]*\|kastrod\|kastroctl\|console.conf\|agent.conf\|nft\|yara\) [158]' |
		grep -v 'outdated mandoc.db' || true)
	if [ -z "$out" ]; then
		t_pass "man: $name is mandoc -Tlint clean"
	else
		t_fail "man: $name: $(echo "$out" | head -3 | tr '\n' ' ')"
	fi
done
for want in kastrod.8 kastroctl.8 kastro-console.8 kastro-agent.8 kastro.conf.5 console.conf.5 agent.conf.5; do
	[ -f "$top/man/$want" ] || t_fail "man: $want is missing"
done
[ "$n" -ge 7 ] && t_pass "man: all seven pages present"
t_done
