#!/usr/bin/env python3
"""Write crafted capture files for kastrod's bad-input tests.

usage: mkpcap.py KIND OUT
  bogus      Ethernet frames with lying lengths and header fields, cut
             packets (caplen < len), fragments, non-IP frames, and a few
             good packets between them
  linktype   a valid file whose link type kastrod does not decode (USER0)
  flood      N (default 100000) TCP SYNs, each to a new port: a flow flood
"""
import struct
import sys


def pcap_header(linktype=1, snaplen=65535):
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)


def record(ts, frame, wire_len=None):
    wire = len(frame) if wire_len is None else wire_len
    return struct.pack("<IIII", ts, 0, len(frame), wire) + frame


def eth(payload, etype=0x0800):
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02" + struct.pack(">H", etype) + payload


def ipv4(proto, payload, src=b"\x0a\x0a\x00\x02", dst=b"\x0a\x14\x00\x03", ihl=5,
         tot=None, frag=0):
    tot = 20 + len(payload) if tot is None else tot
    return struct.pack(">BBHHHBBH", 0x40 | ihl, 0, tot, 1, frag, 64, proto, 0) + src + dst + payload


def tcp(sport, dport, flags=0x02, doff=5, payload=b""):
    return struct.pack(">HHIIBBHHH", sport, dport, 1, 0, doff << 4, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload=b""):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def bogus():
    out = [pcap_header()]
    t = 1600000000
    good = eth(ipv4(17, udp(40000, 53, b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                   b"\x03www\x07example\x03com\x00\x00\x01\x00\x01")))
    frames = [
        good,
        eth(b""),                                     # no IP header at all
        eth(ipv4(6, tcp(1, 2))[:10]),                 # cut inside the IP header
        eth(ipv4(6, tcp(1, 2), ihl=3)),               # IHL shorter than a header
        eth(ipv4(6, tcp(1, 2), ihl=15)),              # IHL past the frame
        eth(ipv4(6, tcp(1, 2), tot=8)),               # total length < header
        eth(ipv4(6, tcp(1, 2), tot=9000)),            # total length past the frame
        eth(ipv4(6, tcp(1, 2, doff=2))),              # TCP data offset too small
        eth(ipv4(6, tcp(1, 2, doff=15))),             # TCP data offset past the end
        eth(ipv4(17, b"\x00\x35")),                   # UDP header cut
        eth(ipv4(17, udp(5, 6), frag=0x0100)),        # non-first fragment
        eth(ipv4(17, udp(5, 6), frag=0x2000)),        # first fragment
        eth(b"\x60" + b"\x00" * 10, 0x86DD),          # IPv6 header cut
        eth(b"\x00" * 28, 0x0806),                    # ARP
        eth(b"\x00\x01" * 40, 0x8100),                # VLAN tags all the way down
        eth(b"\x70" + b"\x00" * 40),                  # IP version 7
        b"\x01\x02\x03",                              # shorter than Ethernet
        good,
    ]
    for i, f in enumerate(frames):
        out.append(record(t + i, f))
    # a packet cut by the snap length: caplen < wire length
    out.append(record(t + 100, good[:40], wire_len=len(good)))
    return b"".join(out)


def linktype():
    return pcap_header(linktype=147) + record(1600000000, b"\x00" * 60)


def flood(n=100000):
    out = [pcap_header()]
    t = 1600000000
    for i in range(n):
        out.append(record(t + i // 1000, eth(ipv4(6, tcp(1024 + i % 60000, 80 + i // 60000)))))
    return b"".join(out)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    data = {"bogus": bogus, "linktype": linktype, "flood": flood}[kind]()
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
