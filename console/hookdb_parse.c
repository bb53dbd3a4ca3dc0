/*
 * hookdb_parse.c - the check of a hook made in the console (hookdb.h): its
 * text must be one console.conf `hook NAME { ... }` block, which
 * console.conf's own grammar then checks (cconf_load_fragment). Apart from
 * hookdb.c so that it links without the store (fuzz_hookdb).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cconf.h"
#include "errf.h"
#include "hookdb.h"

/*
 * Where text's bytes outside strings and comments are braces: exactly one
 * '{' and one '}' after it, the text starting with the word `hook` and
 * nothing but blanks and comments after the '}'. The grammar checks the
 * rest; this keeps the text to one hook block (no `include` of a file of
 * the console's host, no other setting).
 */
static int one_block(const char *t, char *err, size_t errlen)
{
	int open = 0, close = 0;
	bool str = false, after = false;
	const char *p = t;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '#') {
		if (*p == '#')
			p += strcspn(p, "\n");
		else
			p++;
	}
	if (strncmp(p, "hook", 4) != 0 || (p[4] != ' ' && p[4] != '\t' && p[4] != '"')) {
		errf(err, errlen, "expected one hook block: hook NAME { ... }");
		return -1;
	}
	for (; *p != '\0'; p++) {
		if (str) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"' || *p == '\n')
				str = false;
			continue;
		}
		if (*p == '#') {
			p += strcspn(p, "\n");
			if (*p == '\0')
				break;
			continue;
		}
		if (after && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			errf(err, errlen, "expected one hook block: nothing but comments after its '}'");
			return -1;
		}
		if (*p == '"')
			str = true;
		else if (*p == '{')
			open++;
		else if (*p == '}')
			after = ++close > 0;
		if (open > 1 || close > open) {
			errf(err, errlen, "expected one hook block: hook NAME { ... } holds no braces "
			     "but in strings");
			return -1;
		}
	}
	if (open != 1 || close != 1) {
		errf(err, errlen, "expected one hook block: hook NAME { ... }");
		return -1;
	}
	return 0;
}

int hookdb_parse(const struct console_conf *base, const char *text, struct hook_def *out,
		 char *err, size_t errlen)
{
	struct console_conf *c;
	size_t n = strlen(text);
	int r = -1;

	if (n == 0 || n > HOOKDB_TEXT_MAX) {
		errf(err, errlen, "a hook's text is %s, expected 1 to %d bytes",
		     n == 0 ? "empty" : "too long", HOOKDB_TEXT_MAX);
		return -1;
	}
	if (one_block(text, err, errlen) < 0)
		return -1;
	c = malloc(sizeof(*c));
	if (c == NULL) {
		errf(err, errlen, "out of memory");
		return -1;
	}
	*c = *base;
	/* the load replaces these: they stay the running configuration's */
	c->inv = NULL;
	c->plugins = NULL;
	if (cconf_load_fragment("hook", text, n, "/", c, err, errlen) == 0) {
		if (c->n_hooks == 1) {
			*out = c->hooks[0];
			snprintf(out->at, sizeof(out->at), "the console");
			r = 0;
		} else {
			errf(err, errlen, "expected one hook block: hook NAME { ... }");
		}
		cconf_free(c);
	}
	free(c);
	return r;
}
