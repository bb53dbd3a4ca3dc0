#!/usr/bin/env python3
"""Compare kastrod's nDPI verdicts (EVE JSON) with ndpiReader's expected output.

usage:
  compare.py [options] EXPECTED EVE            one capture
  compare.py [options] --list FILE             lines "NAME<TAB>EXPECTED<TAB>EVE"
  compare.py [options] --dir EXPDIR EVEDIR     EXPDIR/NAME.expected with
                                               EVEDIR/NAME.eve.json
  compare.py --self-test

EXPECTED is an nDPI 4.2 ndpiReader result ("-v 2" flow list). Flows are
matched by L4 protocol, the unordered pair of (address, port) and the VLAN id
(ndpiReader keeps only the innermost tag; 0 when untagged). A flow agrees when
kastrod's ndpi.protocol equals the name ndpiReader printed after the "/" in
"[proto: ...]". An expected flow with no kastrod flow is "missing" and counts
against agreement. When kastrod split one flow (idle timeout, eviction), the
earliest kastrod flow with that key is compared and the others are "extra";
extra flows are reported but do not count against agreement.

Exit status: 0 when the overall agreement is at least --min-overall and every
capture is at least --min-pcap; 1 otherwise; 2 on usage or input errors.
"""

import argparse
import datetime
import ipaddress
import json
import math
import os
import re
import sys

# ndpiReader's ipProto2Name() and the names kastrod (Suricata style) uses.
EXPECTED_L4 = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPV6": 58, "VRRP": 112, "IGMP": 2}
EVE_L4 = {"TCP": 6, "UDP": 17, "ICMP": 1, "IPV6-ICMP": 58, "ICMPV6": 58,
          "IGMP": 2, "VRRP": 112, "SCTP": 132, "GRE": 47, "ESP": 50, "AH": 51}
L4_NAME = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "ICMPV6", 2: "IGMP", 112: "VRRP"}
PORTED = (6, 17)  # ndpiReader records ports for TCP and UDP only

_EP = r"(\[[^\]\s]+\]|[^\s\[\]:]+):(\d+)"
FLOW_RE = re.compile(r"^\t(\d+)\t(\S+) " + _EP + r" (<->|->) " + _EP + r" (.*)$")
PROTO_RE = re.compile(r"\[proto: (?:([A-Za-z0-9_]+):)?([0-9]+(?:\.[0-9]+)?)/([^\]]*)\]")
VLAN_RE = re.compile(r"\[VLAN: (\d+)\]")


class InputError(Exception):
    pass


def _endpoint(addr, port):
    ip = ipaddress.ip_address(addr[1:-1] if addr.startswith("[") else addr)
    return (ip.version, int(ip), int(port))


def _ep_str(ep):
    ip = ipaddress.ip_address(ep[1]) if ep[0] == 4 else ipaddress.IPv6Address(ep[1])
    return ("%s:%d" if ep[0] == 4 else "[%s]:%d") % (ip, ep[2])


def make_key(l4, a, b, vlan):
    if l4 not in PORTED:
        a, b = (a[0], a[1], 0), (b[0], b[1], 0)
    lo, hi = sorted((a, b))
    return (l4, vlan, lo, hi)


def key_str(key):
    l4, vlan, lo, hi = key
    s = "%s %s <-> %s" % (L4_NAME.get(l4, str(l4)), _ep_str(lo), _ep_str(hi))
    return s + (" [VLAN: %d]" % vlan if vlan else "")


# ---- expected files -------------------------------------------------------

def parse_flow_line(line):
    """Parse one ndpiReader per-flow line; None if it is not one."""
    m = FLOW_RE.match(line.rstrip("\n"))
    if not m:
        return None
    num, l4name, sa, sp, arrow, da, dp, rest = m.groups()
    if l4name in EXPECTED_L4:
        l4 = EXPECTED_L4[l4name]
    elif l4name.isdigit():
        l4 = int(l4name)
    else:
        raise InputError("unknown L4 protocol %r" % l4name)
    pm = PROTO_RE.search(rest)
    if not pm:
        raise InputError("no [proto: ...] field")
    vm = VLAN_RE.search(rest[:pm.start()])
    vlan = int(vm.group(1)) if vm else 0
    src, dst = _endpoint(sa, sp), _endpoint(da, dp)
    return {
        "num": int(num), "l4": l4, "src": src, "dst": dst,
        "bidirectional": arrow == "<->", "vlan": vlan,
        "tunnel": pm.group(1), "proto_id": pm.group(2), "protocol": pm.group(3),
        "key": make_key(l4, src, dst, vlan),
    }


def parse_expected(text, name="expected"):
    """Return the flows of an ndpiReader result, each exactly once.

    In nDPI 4.2 the main list holds only flows with a known protocol and
    "Undetected flows:" holds the Unknown ones (disjoint walkers in
    ndpiReader). Should a version ever repeat a flow in both lists, the
    repeat (same line apart from its running number) is dropped."""
    flows, seen_main = [], set()
    section = "main"
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("Undetected flows:"):
            section = "undetected"
            continue
        if line.startswith("JA3 Host Stats:"):
            section = "ja3"
            continue
        if not line.startswith("\t"):
            continue
        try:
            f = parse_flow_line(line)
        except (InputError, ValueError) as e:
            raise InputError("%s:%d: %s" % (name, n, e))
        if f is None:
            if section == "ja3":
                continue
            raise InputError("%s:%d: unparsable flow line: %r" % (name, n, line[:120]))
        if section == "ja3":
            section = "main"
        body = line.split("\t", 2)[2]
        if section == "undetected" and body in seen_main:
            continue
        if section == "main":
            seen_main.add(body)
        f["section"] = section
        f["line"] = n
        flows.append(f)
    return flows


# ---- EVE files ------------------------------------------------------------

def _parse_ts(s):
    if not isinstance(s, str):
        return None
    try:
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        pass
    try:
        return datetime.datetime.fromisoformat(s).timestamp()
    except ValueError:
        return None


def _eve_l4(proto):
    if isinstance(proto, int):
        return proto
    if isinstance(proto, str):
        if proto.isdigit():
            return int(proto)
        if proto.upper() in EVE_L4:
            return EVE_L4[proto.upper()]
    raise InputError("unknown proto %r" % (proto,))


def eve_flow(ev):
    """Turn one EVE flow event into the comparison record."""
    l4 = _eve_l4(ev.get("proto"))
    sp = ev.get("src_port", 0) if l4 in PORTED else 0
    dp = ev.get("dest_port", 0) if l4 in PORTED else 0
    src, dst = _endpoint(ev["src_ip"], sp), _endpoint(ev["dest_ip"], dp)
    vlans = ev.get("vlan") or []
    vlan = int(vlans[-1]) if vlans else 0  # ndpiReader keeps the innermost tag
    fl = ev.get("flow") or {}
    nd = ev.get("ndpi")
    start = _parse_ts(fl.get("start"))
    if start is None:
        start = _parse_ts(ev.get("timestamp"))
    return {
        "l4": l4, "src": src, "dst": dst, "vlan": vlan, "vlans": list(vlans),
        "protocol": nd.get("protocol") if isinstance(nd, dict) else None,
        "tunnel": nd.get("tunnel") if isinstance(nd, dict) else None,
        "flow_id": ev.get("flow_id"), "reason": fl.get("reason"),
        "start": start, "key": make_key(l4, src, dst, vlan),
    }


def parse_eve(lines, name="eve", warn=None):
    """Return the final flow record of every flow in an EVE stream.

    Per flow_id the last record whose flow.reason is not "active" is used;
    a flow with only "active" records falls back to the last of those (and
    is reported through warn)."""
    final, active, order = {}, {}, []
    bad = 0
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if not isinstance(ev, dict) or ev.get("event_type") != "flow":
            continue
        try:
            rec = eve_flow(ev)
        except (InputError, KeyError, ValueError, TypeError) as e:
            raise InputError("%s:%d: bad flow event: %s" % (name, n, e))
        rec["order"] = n
        fid = ev.get("flow_id")
        if fid is None:
            fid = ("line", n)
        if fid not in final and fid not in active:
            order.append(fid)
        if rec["reason"] == "active":
            active[fid] = rec
        else:
            final[fid] = rec
    flows = []
    only_active = 0
    for fid in order:
        if fid in final:
            flows.append(final[fid])
        else:
            only_active += 1
            flows.append(active[fid])
    if warn:
        if bad:
            warn("%s: %d lines are not JSON" % (name, bad))
        if only_active:
            warn("%s: %d flows have only 'active' records (last one used)" % (name, only_active))
    return flows


# ---- matching -------------------------------------------------------------

def compare(expected, got):
    """Match expected flows to kastrod flows. Returns a result dict."""
    by_key = {}
    for g in sorted(got, key=lambda g: (g["start"] if g["start"] is not None else math.inf,
                                        g["order"])):
        by_key.setdefault(g["key"], []).append(g)
    agree, disagree, missing = [], [], []
    for e in expected:
        cands = by_key.get(e["key"])
        if not cands:
            missing.append(e)
            continue
        g = cands.pop(0)
        (agree if g["protocol"] == e["protocol"] else disagree).append((e, g))
    extra = [g for lst in by_key.values() for g in lst]
    extra.sort(key=lambda g: g["order"])
    # Hints for missing flows: an extra flow that differs only by VLAN.
    novlan = {}
    for g in extra:
        l4, _v, lo, hi = g["key"]
        novlan.setdefault((l4, lo, hi), []).append(g)
    hints = {}
    for e in missing:
        l4, _v, lo, hi = e["key"]
        near = novlan.get((l4, lo, hi))
        if near:
            hints[id(e)] = "kastrod has it with vlan %s" % (near[0]["vlans"],)
    return {"expected": len(expected), "agree": agree, "disagree": disagree,
            "missing": missing, "extra": extra, "hints": hints}


def pct(a, n):
    return 100.0 if n == 0 else 100.0 * a / n


# ---- reporting ------------------------------------------------------------

HEADER = "%-30s %8s %6s %8s %7s %6s %8s" % ("pcap", "expected", "agree", "disagree",
                                             "missing", "extra", "agree%")


def row(name, n, a, d, m, x):
    return "%-30s %8d %6d %8d %7d %6d %8.2f" % (name, n, a, d, m, x, pct(a, n))


def details(name, r, max_lines, out):
    lines = []
    for e, g in r["disagree"]:
        note = ""
        if (e["tunnel"] or None) != (g["tunnel"] or None):
            note = " (tunnel: expected %s, got %s)" % (e["tunnel"], g["tunnel"])
        lines.append("  %s: %s: expected %s, got %s%s" % (
            name, key_str(e["key"]), e["protocol"], g["protocol"], note))
    for e in r["missing"]:
        hint = r["hints"].get(id(e))
        lines.append("  %s: %s: expected %s, MISSING%s" % (
            name, key_str(e["key"]), e["protocol"], " (%s)" % hint if hint else ""))
    for g in r["extra"]:
        lines.append("  %s: %s: extra kastrod flow %s (flow_id %s, reason %s)" % (
            name, key_str(g["key"]), g["protocol"], g["flow_id"], g["reason"]))
    for e, g in r["agree"]:
        if (e["tunnel"] or None) != (g["tunnel"] or None):
            lines.append("  %s: %s: note: tunnel expected %s, got %s" % (
                name, key_str(e["key"]), e["tunnel"], g["tunnel"]))
    if max_lines is not None and len(lines) > max_lines:
        rest = len(lines) - max_lines
        lines = lines[:max_lines] + ["  %s: ... %d more" % (name, rest)]
    for l in lines:
        print(l, file=out)


def run(items, args):
    """items: list of (name, expected_path, eve_path). Returns exit status."""
    def warn(msg):
        print("compare.py: warning: " + msg, file=sys.stderr)

    print(HEADER)
    tot = [0, 0, 0, 0, 0]
    failed = []
    tsv = []
    for name, exp_path, eve_path in items:
        with open(exp_path, encoding="utf-8", errors="replace") as f:
            expected = parse_expected(f.read(), exp_path)
        if os.path.exists(eve_path):
            with open(eve_path, encoding="utf-8", errors="replace") as f:
                got = parse_eve(f, eve_path, warn)
        else:
            warn("%s: no EVE file %s (every flow counts as missing)" % (name, eve_path))
            got = []
        r = compare(expected, got)
        c = [r["expected"], len(r["agree"]), len(r["disagree"]), len(r["missing"]),
             len(r["extra"])]
        tot = [t + v for t, v in zip(tot, c)]
        print(row(name, *c))
        ok = pct(c[1], c[0]) >= args.min_pcap
        if not ok:
            failed.append(name)
        tsv.append("pcap\t%s\t%d\t%d\t%d\t%d\t%d\t%.2f\t%s" % (
            name, c[0], c[1], c[2], c[3], c[4], pct(c[1], c[0]), "ok" if ok else "low"))
        if args.verbose:
            details(name, r, args.max_details, sys.stdout)
    overall = pct(tot[1], tot[0])
    print(row("TOTAL", *tot))
    ok_all = overall >= args.min_overall
    tsv.append("overall\tTOTAL\t%d\t%d\t%d\t%d\t%d\t%.2f\t%s" % (
        tot[0], tot[1], tot[2], tot[3], tot[4], overall, "ok" if ok_all else "low"))
    print("overall agreement %.2f%% (minimum %g%%); captures below %g%%: %s" % (
        overall, args.min_overall, args.min_pcap, " ".join(failed) if failed else "none"))
    if args.tsv:
        with open(args.tsv, "w") as f:
            f.write("\n".join(tsv) + "\n")
    return 0 if ok_all and not failed else 1


def read_list(path):
    items = []
    f = sys.stdin if path == "-" else open(path)
    with f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split("\t") if "\t" in line else line.split()
            if len(parts) != 3:
                raise InputError("%s:%d: want NAME EXPECTED EVE" % (path, n))
            items.append(tuple(parts))
    return items


def read_dir(expdir, evedir):
    items = []
    for fn in sorted(os.listdir(expdir)):
        if fn.endswith(".expected"):
            name = fn[:-len(".expected")]
            items.append((name, os.path.join(expdir, fn),
                          os.path.join(evedir, name + ".eve.json")))
    if not items:
        raise InputError("no *.expected files in %s" % expdir)
    return items


# ---- self-test ------------------------------------------------------------

# Real lines from nDPI 4.2's tests/result/*.out (some cut after the fields
# that matter here).
SAMPLE = "\n".join([
    "Guessed flow protos:\t2",
    "",
    "DPI Packets (TCP):\t111\t(15.86 pkts/flow)",
    "Confidence Unknown          : 2 (flows)",
    "Confidence DPI              : 5 (flows)",
    "",
    "Unknown\t356\t25081\t2",
    "Sina(Weibo)\t10\t1000\t1",
    "",
    "JA3 Host Stats: ",
    "\t\t IP Address                  \t # JA3C     ",
    "\t1\t 192.168.1.34             \t 3      ",
    "",
    "",
    "\t1\tTCP 192.168.1.34:50028 <-> 157.56.126.211:443 [proto: 91.125/TLS.Skype_Teams]"
    "[Encrypted][Confidence: DPI][cat: VoIP/10][187 pkts/42539 bytes <-> 200 pkts/155551 bytes]"
    "[Goodput ratio: 71/96][166.15 sec][Hostname/SNI: 157.56.126.211]",
    "\t2\t50 [2a01:4c8:c014:144e:1:2:945b:6761]:0 -> [2a01:4c8:f000:f49::4]:0 [VLAN: 2]"
    "[proto: GTP:79/IPsec][Encrypted][Confidence: DPI][cat: VPN/2][1 pkts/166 bytes -> 0 pkts/0 bytes]",
    "\t3\tUDP [2607:fc20:4052:39e:490a:ea4d:17fe:e09c]:49120 -> [fd00:976a:bc67:193e::7]:25658 "
    "[VLAN: 5][proto: GTP:87/RTP][ClearText][Confidence: DPI][cat: Media/1]",
    "\t4\tTCP 100.67.35.238:35035 -> 51.137.28.239:1883 [VLAN: 1008][proto: 222/MQTT][ClearText]"
    "[Confidence: DPI][cat: RPC/16][1 pkts/355 bytes -> 0 pkts/0 bytes]",
    "\t5\tTCP 192.168.0.1:1089 -> 10.0.0.1:210 [proto: 260/Z39.50][ClearText]"
    "[Confidence: Match by port]",
    "\t6\tTCP 10.0.0.2:1433 -> 10.0.0.9:50000 [proto: 114/MsSQL-TDS][ClearText]"
    "[Confidence: Match by port][cat: Database/11]",
    "\t7\tTCP 10.0.0.3:80 <-> 10.0.0.10:50001 [proto: 7.200/HTTP.Sina(Weibo)][ClearText]"
    "[Confidence: DPI][cat: SocialNetwork/6][Hostname/SNI: weibo.com]",
    "\t8\tICMPV6 [fe80::2e7e:81ff:feb0:4aa1]:0 -> [ff02::1]:0 [proto: 102/ICMPV6][ClearText]"
    "[Confidence: DPI][cat: Network/14][16 pkts/2784 bytes -> 0 pkts/0 bytes]",
    "\t9\tIGMP 10.0.0.213:0 -> 224.0.0.2:0 [proto: 82/IGMP][ClearText][Confidence: DPI]"
    "[cat: Network/14][2 pkts/92 bytes -> 0 pkts/0 bytes]",
    "",
    "",
    "Undetected flows:",
    "\t1\tTCP 172.16.238.10:55408 <-> 10.10.10.31:9001 [proto: 0/Unknown][ClearText]"
    "[Confidence: Unknown][178 pkts/12940 bytes <-> 176 pkts/12009 bytes][Goodput ratio: 6/0]",
    "\t2\tTCP 172.16.238.10:55498 <-> 10.10.10.31:9001 [proto: 0/Unknown][ClearText]"
    "[Confidence: Unknown][1 pkts/76 bytes <-> 1 pkts/56 bytes][Goodput ratio: 0/0][0.00 sec]",
    "",
])


def _eve(fid, proto, src, sp, dst, dp, name, reason="shutdown", start="2022-02-01T10:00:00.000000+0000",
         vlan=None, tunnel=None):
    ev = {"timestamp": start, "flow_id": fid, "event_type": "flow", "src_ip": src,
          "dest_ip": dst, "proto": proto,
          "flow": {"start": start, "end": start, "reason": reason},
          "ndpi": {"protocol": name}}
    if sp is not None:
        ev["src_port"], ev["dest_port"] = sp, dp
    if vlan:
        ev["vlan"] = vlan
    if tunnel:
        ev["ndpi"]["tunnel"] = tunnel
    return json.dumps(ev)


def self_test():
    fails = []

    def check(what, got, want):
        if got != want:
            fails.append("%s: got %r, want %r" % (what, got, want))

    flows = parse_expected(SAMPLE, "sample")
    check("flow count (main + undetected, JA3 table ignored)", len(flows), 11)
    check("protocols", [f["protocol"] for f in flows],
          ["TLS.Skype_Teams", "IPsec", "RTP", "MQTT", "Z39.50", "MsSQL-TDS",
           "HTTP.Sina(Weibo)", "ICMPV6", "IGMP", "Unknown", "Unknown"])
    check("sections", [f["section"] for f in flows], ["main"] * 9 + ["undetected"] * 2)
    f = flows[0]
    check("tls key", key_str(f["key"]), "TCP 157.56.126.211:443 <-> 192.168.1.34:50028")
    check("tls bidirectional", f["bidirectional"], True)
    check("tls proto id", f["proto_id"], "91.125")
    f = flows[1]
    check("esp l4", f["l4"], 50)
    check("esp tunnel", f["tunnel"], "GTP")
    check("esp vlan", f["vlan"], 2)
    check("esp one-way", f["bidirectional"], False)
    check("esp key", key_str(f["key"]),
          "50 [2a01:4c8:c014:144e:1:2:945b:6761]:0 <-> [2a01:4c8:f000:f49::4]:0 [VLAN: 2]")
    check("rtp ports", (flows[2]["src"][2], flows[2]["dst"][2]), (49120, 25658))
    check("rtp tunnel", flows[2]["tunnel"], "GTP")
    check("mqtt vlan", flows[3]["vlan"], 1008)
    check("icmpv6 l4", flows[7]["l4"], 58)
    check("igmp l4", flows[8]["l4"], 2)
    check("untagged vlan", flows[0]["vlan"], 0)

    # A flow repeated under "Undetected flows:" (not done by 4.2) counts once.
    rep = SAMPLE.replace("Undetected flows:\n",
                         "Undetected flows:\n\t9\tTCP 192.168.0.1:1089 -> 10.0.0.1:210 "
                         "[proto: 260/Z39.50][ClearText][Confidence: Match by port]\n")
    check("repeat counted once", len(parse_expected(rep, "rep")), 11)
    try:
        parse_expected("\t1\tTCP 1.2.3.4:1 <-> garbage\n", "bad")
        fails.append("garbage flow line was accepted")
    except InputError:
        pass

    eve = [
        # the TLS flow, reversed direction, plus an idle-timeout split
        _eve(1, "TCP", "157.56.126.211", 443, "192.168.1.34", 50028, "TLS.Skype_Teams",
             reason="timeout", start="2022-02-01T10:00:00.000000+0000"),
        _eve(9, "TCP", "192.168.1.34", 50028, "157.56.126.211", 443, "TLS",
             start="2022-02-01T10:05:00.000000+0000"),
        # ESP in GTP: inner addresses, other zero compression, QinQ
        _eve(2, "50", "2a01:4c8:c014:144e:1:2:945b:6761", None,
             "2a01:04c8:f000:0f49:0:0:0:4", None, "IPsec", vlan=[3231, 2], tunnel="GTP"),
        # RTP: VLAN differs (outer tag only) -> missing + extra with a hint
        _eve(3, "UDP", "2607:fc20:4052:39e:490a:ea4d:17fe:e09c", 49120,
             "fd00:976a:bc67:193e::7", 25658, "RTP", vlan=[3233]),
        # MQTT: periodic update followed by the final record
        _eve(4, "TCP", "100.67.35.238", 35035, "51.137.28.239", 1883, "Unknown", reason="active",
             vlan=[1008]),
        _eve(4, "TCP", "100.67.35.238", 35035, "51.137.28.239", 1883, "MQTT", reason="forced",
             vlan=[1008]),
        _eve(5, "TCP", "10.0.0.1", 210, "192.168.0.1", 1089, "Z39.50"),
        _eve(6, "TCP", "10.0.0.2", 1433, "10.0.0.9", 50000, "MsSQL-TDS"),
        _eve(7, "TCP", "10.0.0.3", 80, "10.0.0.10", 50001, "HTTP"),  # disagrees
        _eve(8, "IPv6-ICMP", "fe80::2e7e:81ff:feb0:4aa1", None, "ff02::1", None, "ICMPV6"),
        # IGMP missing; one unknown flow present, one absent
        _eve(10, "TCP", "10.10.10.31", 9001, "172.16.238.10", 55408, "Unknown"),
        '{"event_type":"stats","stats":{}}',
        "not json",
        # flow with only an 'active' record: used, with a warning
        _eve(11, "UDP", "10.9.9.9", 53, "10.9.9.8", 5353, "DNS", reason="active"),
    ]
    warnings = []
    got = parse_eve(eve, "sample-eve", warnings.append)
    check("eve flows", len(got), 11)
    check("eve warnings", len(warnings), 2)
    r = compare(flows, got)
    check("agree", sorted(e["num"] for e, g in r["agree"]), [1, 1, 2, 4, 5, 6, 8])
    check("agree tls uses earliest", [g["flow_id"] for e, g in r["agree"]][0], 1)
    check("disagree", [(e["protocol"], g["protocol"]) for e, g in r["disagree"]],
          [("HTTP.Sina(Weibo)", "HTTP")])
    check("missing", [e["protocol"] for e in r["missing"]], ["RTP", "IGMP", "Unknown"])
    check("extra", sorted(g["flow_id"] for g in r["extra"]), [3, 9, 11])
    check("vlan hint", list(r["hints"].values()), ["kastrod has it with vlan [3233]"])
    check("pct", round(pct(len(r["agree"]), r["expected"]), 2), 63.64)

    for f in fails:
        print("self-test FAIL: " + f, file=sys.stderr)
    print("self-test: %s" % ("ok" if not fails else "%d failures" % len(fails)))
    return 1 if fails else 0


def main(argv):
    ap = argparse.ArgumentParser(
        description="Compare kastrod EVE flow verdicts with nDPI 4.2 expected results.")
    ap.add_argument("files", nargs="*", metavar="FILE",
                    help="EXPECTED EVE (one capture), or EXPDIR EVEDIR with --dir")
    ap.add_argument("--list", metavar="FILE",
                    help="file of NAME<TAB>EXPECTED<TAB>EVE lines ('-' = stdin)")
    ap.add_argument("--dir", action="store_true",
                    help="FILE arguments are EXPDIR EVEDIR (NAME.expected, NAME.eve.json)")
    ap.add_argument("--name", help="capture name in one-capture mode")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print every disagreement, missing and extra flow")
    ap.add_argument("--max-details", type=int, metavar="N",
                    help="with -v, at most N detail lines per capture")
    ap.add_argument("--min-overall", type=float, default=99.0, metavar="PCT",
                    help="minimum overall agreement (default 99)")
    ap.add_argument("--min-pcap", type=float, default=95.0, metavar="PCT",
                    help="minimum agreement of every capture (default 95)")
    ap.add_argument("--tsv", metavar="FILE",
                    help="also write machine-readable results "
                         "(pcap|overall, name, expected, agree, disagree, missing, extra, pct, ok|low)")
    ap.add_argument("--self-test", action="store_true", help="test the parsers and matcher")
    args = ap.parse_args(argv)

    if args.self_test:
        return self_test()
    try:
        if args.list:
            if args.files or args.dir:
                ap.error("--list takes no other FILE arguments")
            items = read_list(args.list)
        elif args.dir:
            if len(args.files) != 2:
                ap.error("--dir needs EXPDIR EVEDIR")
            items = read_dir(*args.files)
        else:
            if len(args.files) != 2:
                ap.error("need EXPECTED EVE, --list FILE, --dir EXPDIR EVEDIR or --self-test")
            exp = args.files[0]
            name = args.name or os.path.basename(exp)
            if not args.name and name.endswith(".expected"):
                name = name[:-len(".expected")]
            items = [(name, exp, args.files[1])]
        return run(items, args)
    except (InputError, OSError) as e:
        print("compare.py: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
