/*
 * scancmd.h - `kastro-agent scan`: one scan from the command line, printing
 * matches as the yara command does.
 *
 *   kastro-agent scan [--rules DIR|FILE] [--json] [--threads N]
 *                     [--max-size SIZE] [--exclude GLOB]... [--include GLOB]...
 *                     [--timeout SECONDS] [--cpu PERCENT] [--nice]
 *                     [--cross-fs] [--cache FILE] [--stats] [--warnings] PATH...
 *
 * Directories are scanned recursively (symlinks never followed, one file
 * system per PATH unless --cross-fs), files as they are. --rules defaults
 * to SCANCMD_DEFAULT_RULES. Output on stdout, one line per (rule, file):
 * "RULE PATH", as `yara -r RULES PATH` prints it; with --json, the finding
 * event (finding.h) per match and the scan_summary event at the end. On
 * stderr, one line per skipped file: "kastro-agent: skipped (REASON[:
 * DETAIL]) PATH", and with --stats a summary line. SIZE is bytes with an
 * optional K, M or G (powers of 1024). No CPU ceiling unless --cpu, no
 * scan cache unless --cache FILE (read before, written after the scan).
 *
 * Exit status: 0 nothing matched, 1 something matched, 2 an error (bad
 * arguments, a PATH that does not exist, rules that do not compile), or
 * nothing matched and a file could not be scanned (unreadable, timeout,
 * a YARA error: each on stderr with its reason), as clamscan says "some
 * error occurred". A match wins: 1 even when files could not be scanned.
 * Skips by design (too large, excluded, symlinks, special files, other
 * file systems, files gone before they were read) do not count. The
 * size and time limits default to agent.conf's (SCAN_DEFAULT_*).
 */
#ifndef KASTRO_SCANCMD_H
#define KASTRO_SCANCMD_H

#define SCANCMD_DEFAULT_RULES "/etc/kastro/agent-rules"

/* argv[0] is "scan"; returns the exit status. */
int scancmd_main(int argc, char **argv);

#endif
