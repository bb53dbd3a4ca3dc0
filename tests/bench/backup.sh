#!/bin/bash
# The backup checks' cost (tests/bench/run.sh, section backup): a restic
# and a borg repository of MB MiB of incompressible files made here, two
# snapshots each, then each check `kastro-agent backup` runs (status,
# verify reading all the data, restore of 3 files) timed by the agent
# itself: wall time, CPU of the tool, bytes it read and wrote.
#
# usage: tests/bench/backup.sh BUILD_DIR MB RESULT_FILE
#   RESULT_FILE gets one line per check: KIND CHECK OK MS CPU_MS READ WRITE
#   (READ: bytes the tool read, page cache included; WRITE: bytes it wrote
#   to storage)
set -eu
B=$1 MB=$2 OUT=$3
for t in restic borg python3; do
	command -v $t >/dev/null 2>&1 || { echo "backup bench: $t not installed (packaging/deps.sh bench)" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kastro-bench-backup.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src"
n=$(( MB / 8 + 1 ))
for i in $(seq 1 $n); do head -c $((8 << 20)) /dev/urandom >"$tmp/src/f$i.bin"; done
printf 'bench-%s\n' "$RANDOM$RANDOM" >"$tmp/pass"
chmod 600 "$tmp/pass"
export RESTIC_PASSWORD_FILE=$tmp/pass RESTIC_CACHE_DIR=$tmp/rc BORG_BASE_DIR=$tmp/bb
restic -r "$tmp/restic" init -q >/dev/null
restic -r "$tmp/restic" backup -q "$tmp/src" >/dev/null
restic -r "$tmp/restic" backup -q "$tmp/src" >/dev/null
BORG_PASSPHRASE_FD=3 borg init -e repokey "$tmp/borg" 3<"$tmp/pass" >/dev/null 2>&1
BORG_PASSPHRASE_FD=3 borg create "$tmp/borg::a1" "$tmp/src" 3<"$tmp/pass" >/dev/null 2>&1
BORG_PASSPHRASE_FD=3 borg create "$tmp/borg::a2" "$tmp/src" 3<"$tmp/pass" >/dev/null 2>&1
printf 'console address "127.0.0.1"\ndir "%s/agent"\n' "$tmp" >"$tmp/agent.conf"
for k in restic borg; do
	printf 'backup "%s" { service "bench" %s "%s/%s" password-file "%s/pass" verify-every 1d verify-over 1d }\n' \
		$k $k "$tmp" $k "$tmp"
done >"$tmp/backups.conf"
sync
: >"$OUT"
for k in restic borg; do
	for c in status verify restore; do
		"$B/kastro-agent" backup -c "$tmp/agent.conf" $k $c >"$tmp/ev.json" || true
		python3 -c 'import json, sys
b = json.load(open(sys.argv[1]))["backup"]
print(sys.argv[2], b["check"], "ok" if b["ok"] else "FAILED:" + b["error"][:60].replace(" ", "_"),
      b["duration_ms"], b["cpu_ms"], b["read_chars"], b["write_bytes"])' "$tmp/ev.json" $k >>"$OUT"
	done
done
