/*
 * fmt_check.h - parsers that say whether a hook's message is well formed,
 * shared by tests/fuzz/fuzz_fmt.c and tests/unit/test_fmt.c: RFC 5424
 * (header, one SD element, MSG), CEF (7 header fields, key=value
 * extension with '=' escaped), LEEF 2.0 (6 header fields, tab-separated
 * attributes), JSON (jansson) and a MIME mail (ASCII, CRLF, lines of at
 * most 998, RFC 2047 subject and base64 parts that decode to UTF-8).
 * Each returns NULL when the text is well formed, else what is wrong.
 */
#ifndef KASTRO_FMT_CHECK_H
#define KASTRO_FMT_CHECK_H

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

static bool fc_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t len;
		unsigned c;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			len = 2, c = p[i] & 0x1f;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			len = 3, c = p[i] & 0x0f;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			len = 4, c = p[i] & 0x07;
		else
			return false;
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
		    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
			return false;
		i += len;
	}
	return true;
}

static bool fc_no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return false;
	return true;
}

/* CEF: 7 '|'-separated header fields ('\|', '\\' escapes), then extension. */
static const char *fc_cef(const char *s)
{
	int bars = 0;

	if (strncmp(s, "CEF:0|", 6) != 0)
		return "no CEF:0| prefix";
	if (!fc_no_controls(s) || strchr(s, '\t') != NULL)
		return "control character in CEF";
	for (; *s && bars < 7; s++) {
		if (*s == '\\') {
			if (s[1] != '\\' && s[1] != '|')
				return "bad escape in a CEF header";
			s++;
		} else if (*s == '|') {
			bars++;
		}
	}
	if (bars != 7)
		return "CEF header without 7 fields";
	/* extension: every unescaped '=' ends a key [A-Za-z0-9_] after a space or the start */
	const char *start = s;

	for (; *s; s++) {
		if (*s == '\\') {
			if (s[1] != '\\' && s[1] != '=' && s[1] != 'n' && s[1] != 'r')
				return "bad escape in a CEF value";
			s++;
			continue;
		}
		if (*s == '=') {
			const char *k = s;

			while (k > start && (isalnum((unsigned char)k[-1]) || k[-1] == '_'))
				k--;
			if (k == s || (k > start && k[-1] != ' '))
				return "CEF '=' not after a key";
		}
	}
	return NULL;
}

/* LEEF 2.0: "LEEF:2.0|" + 5 more fields, then tab-separated key=value. */
static const char *fc_leef(const char *s)
{
	int bars = 0;

	if (strncmp(s, "LEEF:2.0|", 9) != 0)
		return "no LEEF:2.0| prefix";
	s += 9;
	for (; *s && bars < 5; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
		} else if (*s == '|') {
			bars++;
		}
	}
	if (bars != 5)
		return "LEEF header without 6 fields";
	if (!fc_no_controls(s))
		return "control character in LEEF";
	while (*s) {
		size_t n = strcspn(s, "\t");
		const char *eq = memchr(s, '=', n);

		if (eq == NULL || eq == s)
			return "LEEF attribute without key=";
		for (const char *k = s; k < eq; k++)
			if (!isalnum((unsigned char)*k))
				return "LEEF key not alphanumeric";
		s += n;
		if (*s == '\t')
			s++;
	}
	return NULL;
}

static const char *fc_json(const char *s)
{
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
	bool obj = json_is_object(j);

	json_decref(j);
	if (!obj)
		return "not a JSON object";
	if (strchr(s, '\n') != NULL)
		return "newline in JSON";
	return NULL;
}

/*
 * RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD-ID params] MSG.
 * *msg gets the MSG. sdid: the SD-ID expected.
 */
static const char *fc_5424(const char *s, const char *sdid, const char **msg)
{
	int i;

	if (!fc_utf8(s, strlen(s)))
		return "syslog message not UTF-8";
	if (strpbrk(s, "\r\n") != NULL)
		return "newline in syslog message";
	if (s[0] != '<')
		return "no PRI";
	s++;
	i = 0;
	while (isdigit((unsigned char)*s) && i < 4)
		s++, i++;
	if (i == 0 || *s != '>' || strncmp(s, ">1 ", 3) != 0)
		return "bad PRI or VERSION";
	s += 3;
	for (i = 0; i < 5; i++) {         /* TIMESTAMP HOSTNAME APP-NAME PROCID MSGID */
		size_t n = strcspn(s, " ");

		if (n == 0 || s[n] != ' ')
			return "header field missing";
		for (size_t k = 0; k < n; k++)
			if ((unsigned char)s[k] <= 0x20 || (unsigned char)s[k] >= 0x7f)
				return "header field not PRINTUSASCII";
		s += n + 1;
	}
	if (*s != '[' || strncmp(s + 1, sdid, strlen(sdid)) != 0)
		return "no SD element with the SD-ID";
	s += 1 + strlen(sdid);
	while (*s == ' ') {
		s++;
		while (*s && *s != '=' && *s != ' ' && *s != ']' && *s != '"')
			s++;
		if (s[0] != '=' || s[1] != '"')
			return "SD-PARAM without =\"";
		s += 2;
		while (*s && *s != '"') {
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == ']'))
				s++;
			else if (*s == ']' || *s == '\\')
				return "SD-PARAM value with ] or \\ unescaped";
			s++;
		}
		if (*s != '"')
			return "SD-PARAM value not closed";
		s++;
	}
	if (s[0] != ']' || s[1] != ' ')
		return "SD element not closed";
	*msg = s + 2;
	return NULL;
}

/* base64 lines up to the next "--" boundary line into UTF-8 text. */
static const char *fc_b64_part(const char *p, const char *end)
{
	size_t cap = (size_t)(end - p);
	unsigned char *out = malloc(cap + 4), *q = out;
	const char *why = NULL;

	if (out == NULL)
		return "out of memory";
	while (p < end) {
		const char *eol = strstr(p, "\r\n");
		int m;

		if (eol == NULL || eol > end)
			eol = end;
		if (eol - p > 76) {
			why = "base64 line too long";
			break;
		}
		if (eol > p) {
			m = EVP_DecodeBlock(q, (const unsigned char *)p, (int)(eol - p));
			if (m < 0) {
				why = "bad base64";
				break;
			}
			/* EVP_DecodeBlock counts padding as zero bytes */
			if (eol - p >= 2 && eol[-1] == '=')
				m--;
			if (eol - p >= 2 && eol[-2] == '=')
				m--;
			q += m;
		}
		p = eol + 2;
	}
	if (why == NULL && !fc_utf8((const char *)out, (size_t)(q - out)))
		why = "MIME part not UTF-8";
	free(out);
	return why;
}

/* The Subject, decoded from RFC 2047 B words, into out (cap bytes). */
static const char *fc_subject(const char *v, const char *vend, char *out, size_t cap)
{
	size_t len = 0;

	while (v < vend) {
		if (*v == '\r' || *v == '\n' || *v == ' ') {
			v++;
			continue;
		}
		if (strncmp(v, "=?UTF-8?B?", 10) == 0) {
			const char *e = strstr(v + 10, "?=");
			unsigned char dec[128];
			int m;

			if (e == NULL || e > vend || e - v > 75)
				return "bad encoded word";
			m = EVP_DecodeBlock(dec, (const unsigned char *)v + 10, (int)(e - v - 10));
			if (m < 0)
				return "bad base64 in subject";
			if (e[-1] == '=')
				m--;
			if (e[-2] == '=')
				m--;
			if (len + (size_t)m >= cap)
				return "subject too long";
			memcpy(out + len, dec, (size_t)m);
			len += (size_t)m;
			v = e + 2;
		} else {
			const char *e = v;

			while (e < vend && *e != '\r')
				e++;
			if (len + (size_t)(e - v) >= cap)
				return "subject too long";
			memcpy(out + len, v, (size_t)(e - v));
			len += (size_t)(e - v);
			v = e;
		}
	}
	out[len] = '\0';
	return fc_utf8(out, len) ? NULL : "subject not UTF-8";
}

static const char *fc_mail(const char *s, char *subject, size_t subjcap)
{
	const char *p, *body, *b, *e;
	char bound[128];
	int parts = 0;

	for (p = s; *p; p++) {
		if ((unsigned char)*p >= 0x80)
			return "8-bit byte in the mail";
		if (*p == '\n' && (p == s || p[-1] != '\r'))
			return "bare LF in the mail";
		if (*p == '\r' && p[1] != '\n')
			return "bare CR in the mail";
	}
	for (p = s; *p;) {
		e = strstr(p, "\r\n");
		if (e == NULL)
			break;
		if (e - p > 998)
			return "line longer than 998";
		p = e + 2;
	}
	body = strstr(s, "\r\n\r\n");
	if (body == NULL)
		return "no end of headers";
	if (strncmp(s, "Date: ", 6) != 0 || strstr(s, "\r\nMessage-ID: <") == NULL ||
	    strstr(s, "\r\nMIME-Version: 1.0\r\n") == NULL)
		return "missing Date, Message-ID or MIME-Version";
	p = strstr(s, "\r\nSubject: ");
	if (p == NULL || p > body)
		return "no Subject";
	p += 11;
	e = p;
	while (!(e[0] == '\r' && e[1] == '\n' && e[2] != ' '))
		e++;
	if (fc_subject(p, e, subject, subjcap) != NULL)
		return "bad Subject";
	p = strstr(s, "\r\nContent-Type: multipart/alternative; boundary=\"");
	if (p == NULL || p > body)
		return "no boundary";
	p += 49;
	e = strchr(p, '"');
	if (e == NULL || (size_t)(e - p) + 3 > sizeof(bound))
		return "bad boundary";
	memcpy(bound, "--", 2);
	memcpy(bound + 2, p, (size_t)(e - p));
	bound[e - p + 2] = '\0';
	for (b = strstr(body, bound); b != NULL; b = strstr(b + 1, bound)) {
		const char *h = b + strlen(bound), *next, *why;

		if (strncmp(h, "--", 2) == 0)
			return parts == 2 ? NULL : "not two parts";
		h = strstr(h, "\r\n\r\n");
		next = h != NULL ? strstr(h, bound) : NULL;
		if (next == NULL)
			return "part not closed";
		why = fc_b64_part(h + 4, next - 2);
		if (why != NULL)
			return why;
		parts++;
	}
	return "no closing boundary";
}

#endif
