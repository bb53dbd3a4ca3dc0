/*
 * cfgcheck.h - the checks every test of a configuration parser makes:
 * text accepted, text refused with a whole message, or with a first line.
 *
 * For the one test file that includes it. That file defines, before the
 * include, `static char err[...]` and `static int parse(const char *text)`
 * (0 when the text loads, -1 with the whole message in err). With
 * CFGCHECK_FILES defined it also defines `static char tmpdir[...]`, and
 * gets put() and tmp() for files under it.
 */
#ifndef KASTRO_CFGCHECK_H
#define KASTRO_CFGCHECK_H

#define CFGCHECK_UNUSED __attribute__((unused))

/* The text must load. */
static CFGCHECK_UNUSED void ok(const char *text)
{
	if (parse(text) != 0)
		fail_msg("rejected: %s\n%s", text, err);
}

/* The text must be refused, and the whole message must be msg. */
static CFGCHECK_UNUSED void fails_with(const char *text, const char *msg)
{
	if (parse(text) != -1)
		fail_msg("accepted: %s", text);
	if (strcmp(err, msg) != 0)
		fail_msg("got:\n%s\nwanted:\n%s", err, msg);
}

/* The text must be refused; the message's first line must be line1. */
static CFGCHECK_UNUSED void fails_first(const char *text, const char *line1)
{
	size_t n;

	if (parse(text) != -1)
		fail_msg("accepted: %s", text);
	n = strcspn(err, "\n");
	if (n != strlen(line1) || memcmp(err, line1, n) != 0)
		fail_msg("got:\n%s\nwanted first line:\n%s", err, line1);
}

#ifdef CFGCHECK_FILES
/* The path of name under tmpdir, in a static buffer. */
static CFGCHECK_UNUSED const char *tmp(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/* Write text to name under tmpdir; its path, in a static buffer. */
static CFGCHECK_UNUSED const char *put(const char *name, const char *text)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}
#endif

#endif
