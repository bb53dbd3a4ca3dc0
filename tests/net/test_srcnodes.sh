#!/bin/bash
# The bound of per-source limits (`src-nodes`), in the lab, IPv4: with
# src-nodes 16, twenty LAN addresses open connections under two limited
# rules that share an overload table. The limit set of the first rule takes
# 16 sources: those are put into <flooders> at their second connection
# (which fills it); the four it cannot take are not limited, and
# `kastroctl status` counts their connections (src_nodes_full). Under the
# second rule those four are over their rate, but <flooders> is full: the
# connection is dropped all the same and counted (overload_full).
#
# usage: tests/net/test_srcnodes.sh KASTROD
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lab.sh"

T=net_srcnodes
KASTROD=$1
case "$KASTROD" in /*) ;; *) KASTROD="$PWD/$KASTROD" ;; esac
KASTROCTL=$(dirname "$KASTROD")/kastroctl
lab_test_begin "$T"

conf=$tmp/kastrod.conf
sock=$tmp/kastrod.sock
klog=$tmp/kastrod.log
cat >"$conf" <<EOF2
interfaces { "gw-lan" "gw-dmz" }
eve "$tmp/eve.json"
src-nodes 16
interface lan { device "gw-lan" networks { 10.10.0.0/24 fd00:10::/64 } }
interface dmz { device "gw-dmz" networks { 10.20.0.0/24 fd00:20::/64 } }
table <flooders> { }
default block
pass proto tcp from lan to dmz port 80 max-src-conn-rate 1/60 overload <flooders> 10m
pass proto tcp from lan to dmz port 443 max-src-conn-rate 1/60 overload <flooders> 10m
EOF2
if ! "$KASTROD" -n -c "$conf" >"$tmp/check.out" 2>&1; then
	t_fail "$T: policy accepted: $(grep -v '^warning' "$tmp/check.out" | head -n 5 | tr '\n' ' ')"
	t_done
fi
grep -q 'size 16$' "$tmp/check.out" && ! grep -q 'size 65536' "$tmp/check.out" &&
	t_pass "$T: src-nodes 16 sizes the limit sets and the overload table" ||
	t_fail "$T: src-nodes 16 not in the sets: $(grep -m 3 'size' "$tmp/check.out" | tr '\n' ' ')"

# twenty more LAN addresses
for i in $(seq 100 119); do
	lab_exec lan ip addr add "10.10.0.$i/24" dev eth0 || t_fail "$T: address 10.10.0.$i"
done

lab_exec gw "$KASTROD" -c "$conf" --control "$sock" >"$klog" 2>&1 &
kpid=$!
if ! lab_wait_until 15 grep -q 'capturing on' "$klog"; then
	t_fail "$T: kastrod did not start"
	sed 's/^/    kastrod: /' "$klog" | head -20
	t_done
fi
status() { lab_exec gw "$KASTROCTL" -s "$sock" status | sed -n "s/^$1=//p"; }

# connect FIRST LAST PORT: one connection from each of 10.10.0.FIRST..LAST
# (in parallel); prints "ok" or "no" per source, in order
connect() {
	lab_exec lan "$(lab_python)" - "$LAB_DMZ_IP4" "$@" <<'PY'
import socket, sys, threading
dst, first, last, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
res = {}
def one(i):
    try:
        s = socket.create_connection((dst, port), timeout=1.5, source_address=("10.10.0.%d" % i, 0))
        s.close()
        res[i] = "ok"
    except OSError:
        res[i] = "no"
ts = [threading.Thread(target=one, args=(i,)) for i in range(first, last + 1)]
for t in ts: t.start()
for t in ts: t.join()
print(" ".join(res[i] for i in range(first, last + 1)))
PY
}
count() { printf '%s\n' "$1" | tr ' ' '\n' | grep -c "^$2$"; }

# Sources one at a time into the first rule's set: the first 16 in order.
for i in $(seq 100 115); do connect "$i" "$i" 80 >/dev/null; done
a=$(connect 116 119 80)
b=$(connect 100 119 80)
in_fl=$(lab_exec gw nft list set inet kastro t_flooders_4 | grep -o '10\.10\.0\.[0-9]*' | sort -u | wc -l)
full=$(status src_nodes_full)
echo "    port 80: sources 117-120 first: $a; all again: $b; <flooders> holds $in_fl; src_nodes_full=$full"
# the 16 tracked are over their rate (1/60): dropped, into <flooders>
# the 4 untracked are not limited: their second connection works
[ "$(count "$b" no)" = 16 ] && [ "$(printf '%s' "$b" | cut -d' ' -f17-)" = "ok ok ok ok" ] &&
	t_pass "$T: the 16 sources the set holds are limited; the 4 it cannot take are not" ||
	t_fail "$T: second connections: $b"
[ "$in_fl" = 16 ] && t_pass "$T: the overload table takes 16 sources (its size)" ||
	t_fail "$T: <flooders> holds $in_fl sources"
[ "${full:-0}" -ge 8 ] &&
	t_pass "$T: kastroctl status counts the connections the full limit set could not track ($full)" ||
	t_fail "$T: src_nodes_full=$full after 8 untracked connections"

# The 4 untracked sources, over their rate under the second rule: the full
# overload table cannot take them, the connection is dropped all the same.
connect 116 119 443 >/dev/null
c=$(connect 116 119 443)
ofull=$(status overload_full)
echo "    port 443: the 4 again: $c; overload_full=$ofull"
[ "$c" = "no no no no" ] && [ "${ofull:-0}" -ge 4 ] &&
	t_pass "$T: over the rate with the overload table full: dropped all the same, counted ($ofull)" ||
	t_fail "$T: with <flooders> full: $c, overload_full=$ofull"

grep -q 'ERROR\|error:' "$klog" && { t_fail "$T: errors in kastrod's log"; grep 'ERROR\|error:' "$klog" | head -5; }
t_done
