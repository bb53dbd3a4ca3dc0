/*
 * blocklist.c - see blocklist.h.
 *
 * Written by hand: the formats are a line each and no Debian library reads
 * them. Lines are read with getline() (so the file may be large; a line
 * over BLOCKLIST_MAX_LINE bytes is reported and skipped) and parsed with
 * inet_pton(); a million lines take well under a second.
 */
#include "blocklist.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void blocklist_free(struct blocklist *bl)
{
	free(bl->addr4);
	free(bl->plen4);
	free(bl->addr6);
	free(bl->plen6);
	memset(bl, 0, sizeof(*bl));
}

static int push(uint8_t (**addr)[16], uint8_t **plen, size_t *n, size_t *cap,
		const uint8_t *a, uint8_t len)
{
	if (*n == *cap) {
		size_t nc = *cap == 0 ? 1024 : *cap * 2;
		uint8_t (*na)[16] = realloc(*addr, nc * sizeof(**addr));
		uint8_t *np;

		if (na == NULL)
			return -1;
		*addr = na;
		np = realloc(*plen, nc);
		if (np == NULL)
			return -1;
		*plen = np;
		*cap = nc;
	}
	memcpy((*addr)[*n], a, 16);
	(*plen)[*n] = len;
	(*n)++;
	return 0;
}

/*
 * One entry, s[0..n) with no white space: address, optional /len. Returns
 * the family (4, 6) with a[] and *len filled, or 0 with *why set.
 */
static int parse_entry(char *s, size_t n, uint8_t a[16], uint8_t *len,
		       const char **why)
{
	char *slash = memchr(s, '/', n);
	unsigned long pl;
	int fam, max, i;
	char *end;

	memset(a, 0, 16);
	if (slash != NULL)
		*slash = '\0';
	else
		s[n] = '\0';
	if (inet_pton(AF_INET, s, a) == 1) {
		fam = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, s, a) == 1) {
		fam = 6;
		max = 128;
	} else {
		*why = "not an IPv4 or IPv6 address or prefix";
		return 0;
	}
	pl = (unsigned long)max;
	if (slash != NULL) {
		s[n] = '\0';
		if (!isdigit((unsigned char)slash[1])) {
			*why = "bad prefix length";
			return 0;
		}
		errno = 0;
		pl = strtoul(slash + 1, &end, 10);
		if (errno != 0 || *end != '\0' || pl > (unsigned long)max) {
			*why = "bad prefix length";
			return 0;
		}
	}
	*len = (uint8_t)pl;
	for (i = 0; i < 16; i++) {
		unsigned bit = (unsigned)i * 8;

		if (bit >= pl)
			a[i] = 0;
		else if (bit + 8 > pl)
			a[i] &= (uint8_t)(0xff << (8 - (pl - bit)));
	}
	return fam;
}

static void warn_line(blocklist_warn_fn warn, void *ctx, const char *path,
		      struct blocklist *bl, const char *why)
{
	bl->skipped++;
	if (warn != NULL && bl->skipped <= BLOCKLIST_MAX_WARN)
		warn(ctx, path, bl->lines, why);
}

int blocklist_load(const char *path, struct blocklist *bl, blocklist_warn_fn warn,
		   void *ctx, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t r;

	memset(bl, 0, sizeof(*bl));
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	while ((r = getline(&line, &cap, f)) >= 0) {
		size_t n = (size_t)r, b, e;
		const char *why = NULL;
		uint8_t a[16], len;
		int fam;

		bl->lines++;
		/* a comment ('#' anywhere, ';' as in Spamhaus DROP) ends the entry */
		for (e = 0; e < n && line[e] != '#' && line[e] != ';'; e++)
			;
		while (e > 0 && isspace((unsigned char)line[e - 1]))
			e--;
		for (b = 0; b < e && isspace((unsigned char)line[b]); b++)
			;
		if (b == e)
			continue;
		if (n > BLOCKLIST_MAX_LINE) {
			warn_line(warn, ctx, path, bl, "line too long");
			continue;
		}
		if (memchr(line + b, '\0', e - b) != NULL) {
			warn_line(warn, ctx, path, bl, "NUL byte");
			continue;
		}
		for (n = b; n < e && !isspace((unsigned char)line[n]); n++)
			;
		if (n < e) {
			warn_line(warn, ctx, path, bl, "more than one entry on the line");
			continue;
		}
		fam = parse_entry(line + b, e - b, a, &len, &why);
		if (fam == 0) {
			warn_line(warn, ctx, path, bl, why);
			continue;
		}
		if (bl->n4 + bl->n6 >= BLOCKLIST_MAX_ENTRIES) {
			snprintf(err, errlen, "%s:%llu: more than %u entries", path,
				 (unsigned long long)bl->lines, BLOCKLIST_MAX_ENTRIES);
			goto fail;
		}
		if ((fam == 4 ? push(&bl->addr4, &bl->plen4, &bl->n4, &bl->cap4, a, len)
			      : push(&bl->addr6, &bl->plen6, &bl->n6, &bl->cap6, a, len)) < 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	if (warn != NULL && bl->skipped > BLOCKLIST_MAX_WARN)
		warn(ctx, path, 0, "more malformed lines skipped");
	free(line);
	fclose(f);
	return 0;
fail:
	free(line);
	fclose(f);
	blocklist_free(bl);
	return -1;
}
