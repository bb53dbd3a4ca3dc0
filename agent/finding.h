/*
 * finding.h - the agent's YARA findings and scan summaries as events for the
 * spool and the console (event_type "finding" and "scan_summary").
 *
 * A finding is one rule matching one file; a file matching three rules
 * makes three findings. Its event:
 *
 *   {"timestamp":"2026-11-27T21:00:00.123456+0000","event_type":"finding",
 *    "host":"pc-12","finding":{"rule":"SUSP_Just_EICAR","namespace":"default",
 *    "tags":["t1"],"meta":{"score":40,"hash1":["..",".."]},"meta_truncated":0,
 *    "strings":[{"id":"$s1","offset":0,"length":68}],"strings_truncated":0,
 *    "path":"/home/x/eicar.com","size":68,"sha256":"275a02..","mtime":"2026-..",
 *    "owner":"x","severity":4,"category":"malware"}}
 *
 * The timestamp has the form of kastrod's EVE events (UTC, microseconds).
 * Meta keys that occur more than once in a rule (signature-base writes
 * several hash1 = ... lines) become one key with an array of the values, so
 * the object has unique keys. Bounds, so an event stays far below the
 * console's 64 KiB: at most FINDING_MAX_STRINGS strings with
 * FINDING_MAX_MATCHES matches each (the matches left out are counted in
 * strings_truncated), FINDING_MAX_META meta values of at most
 * FINDING_META_VALUE_MAX bytes each (values cut, or left out, are counted
 * in meta_truncated). Should it still not fit, strings and meta are left
 * out and "truncated":true says so; rule, path and hash always stay.
 *
 * Severity (1 highest .. 4, as in alerts): a meta "severity" that is an
 * integer 1..4 (larger counts as 4) or one of the words critical, high,
 * medium, low, is taken as is; else a meta "score" (integer, or a string of
 * digits; signature-base's 0-100 scale, some rules above 100) maps >= 80
 * to 1, >= 60 to 2, >= 40 to 3, anything lower to 4; with neither, 2 (a
 * YARA hit on an endpoint is serious unless the rule says otherwise, the
 * console's default too).
 *
 * Strings are written as valid UTF-8 JSON (lib/jw.h). A path that is not
 * UTF-8 is written losslessly: "path" holds its display form (pathesc.h:
 * every byte that is not printable UTF-8 as \xHH) and "path_b64" the
 * bytes in base64; a UTF-8 path is "path" alone (JSON escapes its control
 * characters without loss). Nothing here allocates or logs.
 */
#ifndef KASTRO_FINDING_H
#define KASTRO_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FINDING_MAX_STRINGS    16
#define FINDING_MAX_MATCHES    4      /* per string */
#define FINDING_MAX_META       32
#define FINDING_META_VALUE_MAX 1024   /* bytes of one meta string value */
#define FINDING_MAX_TAGS       32
#define FINDING_JSON_MAX       (60 * 1024)  /* buffer for one event */

enum finding_meta_type { FINDING_META_INT, FINDING_META_STR, FINDING_META_BOOL };

struct finding_meta {
	const char *key;
	enum finding_meta_type type;
	const char *s;        /* FINDING_META_STR */
	int64_t i;            /* FINDING_META_INT; FINDING_META_BOOL: 0 or 1 */
};

/* One match of one string: "$a" at offset, length bytes. */
struct finding_match {
	const char *id;
	uint64_t offset;
	uint32_t length;
};

/*
 * Everything a finding event says. Pointers belong to the caller and only
 * need to live during the call that is given the struct. matches are
 * grouped by string id (the strings' order in the rule); the builder
 * applies the bounds above itself, so they may be longer.
 */
struct finding {
	const char *rule;
	const char *ns;                      /* YARA namespace */
	const char *const *tags;
	size_t ntags;
	const struct finding_meta *meta;
	size_t nmeta;
	const struct finding_match *matches;
	size_t nmatches;
	uint64_t matches_dropped;            /* matches the caller already left out */
	const char *path;
	uint64_t size;                       /* bytes scanned */
	const char *sha256;                  /* 64 lowercase hex digits of those bytes */
	int64_t mtime_ns;                    /* unix time, nanoseconds */
	const char *owner;                   /* user name, or the uid in digits */
	int severity;                        /* 1..4; 0: finding_severity() of meta */
};

/* struct scan_summary, from scan.h */
struct scan_summary;

/* The severity (1..4) the meta gives, per the rules above. */
int finding_severity(const struct finding_meta *meta, size_t nmeta);

/*
 * ISO 8601 UTC with microseconds, as EVE events have it:
 * "2026-11-27T21:00:00.123456+0000". buf has at least FINDING_TIME_LEN bytes.
 */
#define FINDING_TIME_LEN 40
void finding_time(int64_t unix_ns, char *buf);

/*
 * The finding event for f into buf (cap bytes, NUL-terminated), at time
 * now_ns (unix nanoseconds) from host. Returns the length or -1 with a
 * message in err (buf too small even for the event without strings and
 * meta, or a required field missing).
 */
long finding_json(const struct finding *f, const char *host, int64_t now_ns, char *buf,
		  size_t cap, char *err, size_t errlen);

/*
 * The scan_summary event: {"timestamp":..,"event_type":"scan_summary",
 * "host":..,"scan":{"kind":kind,"rules_version":..,"rules":N,"files_seen":N,
 * "scanned":N,"skipped":N,"skipped_by":{"too-large":N,..},"cache_hits":N,
 * "cache_misses":N,"matched_files":N,"findings":N,"bytes_read":N,
 * "errors":N,"duration_ms":N,"cpu_ms":N,"cpu_percent":12.5,
 * "cpu_ceiling_percent":25,"stopped":false}}. kind says why the scan ran
 * ("scheduled", "on-demand", "on-change", "cli"; any word). Returns the
 * length or -1 with a message in err.
 */
long finding_summary_json(const struct scan_summary *s, const char *kind, const char *host,
			  int64_t now_ns, char *buf, size_t cap, char *err, size_t errlen);

#endif
