#!/bin/bash
# test_nftgen_load.sh - the ruleset `kastrod -n` prints for the shipped
# policy (rules/kastro.conf) is valid nftables 1.0.6 syntax and loads for
# real, twice (as a reload) without losing set elements, in a throwaway
# network namespace; nothing outside that namespace is touched.
#
# usage: tests/net/test_nftgen_load.sh KASTROD
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/../lib.sh"

kastrod=${1:?usage: $0 KASTROD}
if [ "$(id -u)" != 0 ] || ! command -v nft >/dev/null || ! command -v ip >/dev/null; then
	t_skip "net: nftgen load: needs root, nft and ip"
	t_done
fi

ns="kastro-nftgen-$$-$(od -An -N2 -tx2 /dev/urandom | tr -d ' \n')"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kastro-nftgen.XXXXXX")
cleanup() {
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! "$kastrod" -n -c "$root/rules/kastro.conf" >"$tmp/out" 2>"$tmp/err"; then
	cat "$tmp/err"
	t_fail "net: nftgen load: kastrod -n rejects rules/kastro.conf"
	t_done
fi
if head -1 "$tmp/out" | grep -q ': configuration OK$'; then
	t_pass "net: nftgen load: kastrod -n says configuration OK"
else
	t_fail "net: nftgen load: first line of kastrod -n is not 'configuration OK'"
fi
# The script is everything after that first line.
sed 1d "$tmp/out" >"$tmp/kastro.nft"

if nft -c -f "$tmp/kastro.nft" 2>"$tmp/nft.err"; then
	t_pass "net: nftgen load: nft -c accepts the script"
else
	cat "$tmp/nft.err"
	t_fail "net: nftgen load: nft -c rejects the script"
fi

ip netns add "$ns" || { t_fail "net: nftgen load: cannot create a namespace"; t_done; }
if ip netns exec "$ns" nft -f "$tmp/kastro.nft" 2>"$tmp/nft.err"; then
	t_pass "net: nftgen load: script loads in a namespace"
else
	cat "$tmp/nft.err"
	t_fail "net: nftgen load: script does not load"
	t_done
fi
listing=$(ip netns exec "$ns" nft list ruleset)
for want in "set quarantine4" "set quarantine6" \
	"set t_feeds_4" "set t_feeds_6" "set t_admins_4" "chain forward" "chain input" \
	"policy drop"; do
	if ! grep -q "$want" <<<"$listing"; then
		t_fail "net: nftgen load: '$want' missing from the loaded ruleset"
	fi
done
t_pass "net: nftgen load: loaded ruleset has every set and chain"

# A reload of the same script keeps the elements the daemon added.
ip netns exec "$ns" nft add element inet kastro quarantine4 '{ 10.10.0.9 }' &&
	ip netns exec "$ns" nft add element inet kastro t_feeds_4 '{ 198.51.100.0/24 }' ||
	t_fail "net: nftgen load: cannot add set elements"
if ip netns exec "$ns" nft -f "$tmp/kastro.nft" 2>"$tmp/nft.err"; then
	listing=$(ip netns exec "$ns" nft list ruleset)
	if grep -q "10.10.0.9" <<<"$listing" && grep -q "198.51.100.0/24" <<<"$listing"; then
		t_pass "net: nftgen load: loading again keeps set elements"
	else
		t_fail "net: nftgen load: set elements lost on the second load"
	fi
else
	cat "$tmp/nft.err"
	t_fail "net: nftgen load: second load fails"
fi
t_done
