/*
 * blocklist.h - reads address lists for the policy's file tables, in the
 * usual feed formats: one IPv4 or IPv6 address or prefix per line, `#`
 * comments (whole-line or after the entry), FireHOL .netset files, Spamhaus
 * DROP ("1.2.3.0/24 ; SBL123"), CRLF line ends. A malformed line is reported
 * (file:line: why) and skipped; the rest of the list is kept. Host bits of a
 * prefix are cleared. Duplicates and overlaps are left in: nft_table_replace
 * merges them.
 */
#ifndef KASTRO_BLOCKLIST_H
#define KASTRO_BLOCKLIST_H

#include <stddef.h>
#include <stdint.h>

#define BLOCKLIST_MAX_ENTRIES (16u << 20)  /* prefixes in one file */
#define BLOCKLIST_MAX_LINE    1024         /* bytes in one line */
#define BLOCKLIST_MAX_WARN    100          /* malformed lines reported one by one */

/* Prefixes by family, in the form nft_table_replace() takes. */
struct blocklist {
	uint8_t (*addr4)[16];           /* IPv4 in the first 4 bytes */
	uint8_t *plen4;
	size_t n4;
	uint8_t (*addr6)[16];
	uint8_t *plen6;
	size_t n6;
	uint64_t lines;                 /* lines read */
	uint64_t skipped;               /* malformed lines skipped */
	size_t cap4, cap6;
};

/*
 * Called for each of the first BLOCKLIST_MAX_WARN malformed lines, and
 * once more with line 0 when further ones were skipped without a word.
 */
typedef void (*blocklist_warn_fn)(void *ctx, const char *path, uint64_t line,
				  const char *why);

/*
 * Read the list at path into *bl (zeroed by the caller or by a previous
 * blocklist_free()). Returns 0, or -1 with a message in err when the file
 * cannot be read or holds more than BLOCKLIST_MAX_ENTRIES prefixes; *bl is
 * then empty. warn may be NULL.
 */
int blocklist_load(const char *path, struct blocklist *bl, blocklist_warn_fn warn,
		   void *ctx, char *err, size_t errlen);

void blocklist_free(struct blocklist *bl);

#endif
