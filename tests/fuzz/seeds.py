#!/usr/bin/env python3
"""Make seed inputs for fuzz_packets / fuzz_engine from capture files.

usage: seeds.py OUTDIR PCAP...

Reads classic pcap files (pcapng ones are skipped) and writes, per file, one
seed in the targets' input format: a link-type selector byte, then frames as
2-byte big-endian length + bytes (the first 16 frames of the file).
"""
import os
import struct
import sys

# Index of each link type in the targets' tables (first entries agree).
SELECTOR = {1: 0, 12: 3, 101: 3, 113: 4, 0: 1}


def frames(path, limit):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return None, []
        magic = hdr[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            end = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            end = ">"
        else:
            return None, []
        linktype = struct.unpack(end + "I", hdr[20:24])[0] & 0xFFFF
        out = []
        while len(out) < limit:
            rec = f.read(16)
            if len(rec) < 16:
                break
            incl = struct.unpack(end + "I", rec[8:12])[0]
            if incl > 65535:
                break
            data = f.read(incl)
            if len(data) < incl:
                break
            out.append(data)
        return linktype, out


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for path in sys.argv[2:]:
        lt, fr = frames(path, 16)
        if lt is None or lt not in SELECTOR or not fr:
            continue
        seed = bytes([SELECTOR[lt]]) + b"".join(struct.pack(">H", len(x)) + x for x in fr)
        name = os.path.basename(path).replace(".", "_")
        with open(os.path.join(outdir, "seed_" + name), "wb") as f:
            f.write(seed)


if __name__ == "__main__":
    main()
