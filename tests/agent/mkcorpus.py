#!/usr/bin/env python3
"""mkcorpus.py - build a file tree to scan with YARA rules: copies of files
Debian installs (/usr/bin, /usr/share, /usr/lib) plus planted samples made
to match chosen rules of a rule set, and a list of the (rule, path) pairs
the planted samples must produce.

usage: mkcorpus.py --rules DIR --out DIR --expect FILE
                   [--system-files N] [--min-mb M] [--generic K]

  --rules DIR        the rule set (read only, to pick rules and check names)
  --out DIR          the tree to create (must not exist)
  --expect FILE      written: "RULE PATH" per planted sample, PATH as a scan
                     of --out prints it
  --system-files N   copies of system files (default 300)
  --min-mb M         copy more system files (and copies of copies) until the
                     tree holds at least M MiB (for benchmarks)
  --generic K        samples for K rules picked from the rule text (default 20)

The planted samples:
  - the EICAR test file, written from its published 68-byte string;
  - by hand, for rules of signature-base that test the external variables
    (filename, filepath, extension, filetype) with a few bytes of content:
    an MZ file named photo.jpg, Thumbs.db and AcroRd32.exe, a GIF web shell,
    a scriptlet under "Temporary Internet Files"; each only when a rule of
    that name is in the set;
  - generically: rules whose whole condition is "1 of them", "any of them" or
    "all of them" over plain text strings (no escapes, modifiers only ascii,
    wide, nocase, fullword) get a file holding all their strings, one per
    line (UTF-16LE for strings that are wide only). K of them, spread evenly
    over the rule names in sorted order, so the choice is stable.

Names are kept to [A-Za-z0-9._+-] starting with a letter (and never a word
the yara command would read as a number or boolean), so that the yara
command's -d NAME=VALUE takes every value as a string.
"""

import argparse
import os
import re
import shutil
import stat
import sys

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
NAME_OK = re.compile(r"^[A-Za-z][A-Za-z0-9._+-]*$")
NOT_STRINGS = {"true", "false", "inf", "infinity", "nan"}
MAX_FILE = 8 << 20


def good_name(n):
    return NAME_OK.match(n) is not None and n.lower() not in NOT_STRINGS and len(n) < 60


def rule_texts(rules_dir):
    """(name, body) of every rule in the *.yar/*.yara files of rules_dir."""
    out = []
    for fn in sorted(os.listdir(rules_dir)):
        if not (fn.endswith(".yar") or fn.endswith(".yara")):
            continue
        with open(os.path.join(rules_dir, fn), "rb") as f:
            text = f.read().decode("utf-8", "replace")
        # drop /* */ comments so commented-out rules are not picked
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        for m in re.finditer(r"^\s*rule\s+(\w+)[^{]*\{(.*?)^\}", text, flags=re.S | re.M):
            out.append((m.group(1), m.group(2)))
    return out


STR_RE = re.compile(r'^\s*(\$\w*)\s*=\s*"([^"\\]*)"\s*([a-z ]*)$')


def generic_sample(body):
    """The bytes of a file matching body's rule, or None if not simple."""
    m = re.search(r"\bstrings:(.*?)\bcondition:(.*)$", body, flags=re.S)
    if not m or "meta:" in m.group(2):
        return None
    cond = " ".join(m.group(2).split())
    if cond not in ("1 of them", "any of them", "all of them"):
        return None
    parts = []
    for line in m.group(1).splitlines():
        line = re.sub(r"//.*$", "", line).rstrip()
        if not line.strip():
            continue
        s = STR_RE.match(line)
        if not s or len(s.group(2)) < 4:
            return None
        mods = set(s.group(3).split())
        if not mods <= {"ascii", "wide", "nocase", "fullword"}:
            return None
        txt = s.group(2)
        if not all(32 <= ord(c) < 127 for c in txt):
            return None
        if "wide" in mods and "ascii" not in mods:
            parts.append(txt.encode("utf-16-le"))
        else:
            parts.append(txt.encode("ascii"))
    if not parts:
        return None
    return b"\n" + b"\n\n".join(parts) + b"\n"


def plant(out, expect, names, rel, data, rule):
    if rule not in names:
        return
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    expect.append("%s %s" % (rule, path))


def system_files():
    """Regular files under the system directories, in a stable order, taking
    from each in turn so that a prefix is a mix of programs, libraries and
    data."""
    walks = [walk_top(t) for t in ("/usr/bin", "/usr/share", "/usr/lib")]
    while walks:
        for w in list(walks):
            try:
                yield next(w)
            except StopIteration:
                walks.remove(w)


def walk_top(top):
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if good_name(d))
        for fn in sorted(files):
            if not good_name(fn):
                continue
            p = os.path.join(root, fn)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and 0 < st.st_size <= MAX_FILE and os.access(p, os.R_OK):
                yield p, st.st_size


def copy_system(out, nfiles, min_bytes):
    total = 0
    copied = []
    # spread over the tops: every k-th file of the walk
    every = 1 if min_bytes else 7
    for i, (p, size) in enumerate(system_files()):
        if i % every:
            continue
        if len(copied) >= nfiles and total >= min_bytes:
            break
        dst = os.path.join(out, "sys", p.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        try:
            shutil.copyfile(p, dst)
        except OSError:
            continue
        copied.append(dst)
        total += size
    rnd = 2
    while total < min_bytes and copied:
        # not enough distinct files: copies of the copies, renamed
        for src in list(copied):
            if total >= min_bytes:
                break
            rel = os.path.relpath(src, os.path.join(out, "sys"))
            dst = os.path.join(out, "sys%d" % rnd, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)
            total += os.path.getsize(dst)
        rnd += 1
    return len(copied), total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--expect", required=True)
    ap.add_argument("--system-files", type=int, default=300)
    ap.add_argument("--min-mb", type=int, default=0)
    ap.add_argument("--generic", type=int, default=20)
    a = ap.parse_args()

    if os.path.exists(a.out):
        sys.exit("mkcorpus: %s exists" % a.out)
    rules = rule_texts(a.rules)
    names = {n for n, _ in rules}
    if not rules:
        sys.exit("mkcorpus: no rules in %s" % a.rules)
    os.makedirs(a.out)
    out = a.out.rstrip("/")
    expect = []

    nsys, nbytes = copy_system(out, a.system_files, a.min_mb << 20)

    mz = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 240
    plant(out, expect, names, "planted/eicar.com", EICAR, "SUSP_Just_EICAR")
    plant(out, expect, names, "planted/photo.jpg", mz, "SUSP_Known_Type_Cloaked_as_JPG")
    plant(out, expect, names, "planted/Thumbs.db", mz, "Exe_Cloaked_as_ThumbsDb")
    plant(out, expect, names, "planted/AcroRd32.exe", mz, "Fake_AdobeReader_EXE")
    plant(out, expect, names, "planted/logo.gif",
          b"GIF89a\x01\x00\x01\x00<%eval request(\"x\")%>\n", "GIFCloaked_Webshell_A")
    plant(out, expect, names, "planted/Temporary Internet Files/Content.IE5/page.sct",
          b'<?XML version="1.0"?>\n<scriptlet>\n<script>\nnew ActiveXObject("WScript.Shell")'
          b'.Run("calc");\n</script>\n</scriptlet>\n', "SCT_Scriptlet_in_Temp_Inet_Files")

    # no rule to hit: files whose external variables differ in every way
    extras = {
        "planted/ext/.profile": b"# a dot file\n",
        "planted/ext/Report.PDF": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        "planted/ext/notes.txt": b"plain text\n",
        "planted/ext/archive.tar.gz": b"\x1f\x8b\x08\x00" + b"\x00" * 16,
        "planted/ext/image.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 16,
        "planted/ext/run.sh": b"#!/bin/sh\necho hi\n",
        "planted/ext/page.php": b"<?php echo 1; ?>\n",
        "planted/ext/trailing.": b"dot at the end\n",
        "planted/ext/Setup.EXE": b"MZ" + b"\x00" * 62,
        "planted/ext/empty": b"",
    }
    for rel, data in sorted(extras.items()):
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    simple = []
    for name, body in sorted(rules):
        data = generic_sample(body)
        if data is not None:
            simple.append((name, data))
    if simple and a.generic > 0:
        step = max(1, len(simple) // a.generic)
        for name, data in simple[::step][: a.generic]:
            plant(out, expect, names, "planted/generic/%s.bin" % name, data, name)

    with open(a.expect, "w") as f:
        for line in expect:
            f.write(line + "\n")
    print("mkcorpus: %d system files (%d MiB), %d planted samples (%d rules of the "
          "simple form) in %s" % (nsys, nbytes >> 20, len(expect), len(simple), out))


if __name__ == "__main__":
    main()
