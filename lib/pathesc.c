/*
 * pathesc.c - see pathesc.h. Written by hand: the display form is ours
 * (no library escapes invalid UTF-8 this way); base64 is OpenSSL's.
 */
#include "pathesc.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

/*
 * The length of the valid UTF-8 sequence at s (1..4), or 0 when the
 * byte at s does not start one (a stray or invalid byte, an overlong
 * form, a surrogate, past U+10FFFF). *cp gets the code point.
 */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
	uint32_t c;
	size_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;       /* also stops at the NUL */
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool pathesc_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (*p) {
		size_t n = utf8_seq(p, &cp);

		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

static bool shown(uint32_t cp)
{
	return cp >= 0x20 && cp != 0x7f && cp != '\\' && !(cp >= 0x80 && cp <= 0x9f);
}

bool pathesc_plain(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (*p) {
		size_t n = utf8_seq(p, &cp);

		if (n == 0 || !shown(cp))
			return false;
		p += n;
	}
	return true;
}

long pathesc_display(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (outlen == 0)
		return -1;
	while (*p) {
		uint32_t cp;
		size_t n = utf8_seq(p, &cp);

		if (n > 0 && shown(cp)) {
			if (o + n >= outlen)
				goto full;
			memcpy(out + o, p, n);
			o += n;
			p += n;
			continue;
		}
		if (n == 0)
			n = 1;          /* an invalid byte: itself, escaped */
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '\\') {
				if (o + 2 >= outlen)
					goto full;
				out[o++] = '\\';
				out[o++] = '\\';
				continue;
			}
			if (o + 4 >= outlen)
				goto full;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 15];
		}
		p += n;
	}
	out[o] = '\0';
	return (long)o;
full:
	out[0] = '\0';
	return -1;
}

int pathesc_b64(const char *s, char *out, size_t outlen)
{
	size_t n = strlen(s);

	if (n > INT_MAX / 2 || 4 * ((n + 2) / 3) + 1 > outlen)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return 0;
}
