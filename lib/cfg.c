/*
 * cfg.c - the machinery every configuration grammar shares (see cfg.h):
 * messages with a source excerpt, syntax errors in words, strings, numbers
 * with units, files, includes and paths.
 *
 * Columns count bytes from 1; the caret line copies tabs so that it lines
 * up under the source line, and skips UTF-8 continuation bytes. The
 * configuration language is our own, so no library parses it (the
 * grammars are bison and flex, as in OpenBSD's daemons).
 */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "textdist.h"

#define KB (UINT64_C(1) << 10)
#define MB (UINT64_C(1) << 20)
#define GB (UINT64_C(1) << 30)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define SHOW_MAX    40   /* bytes of a token quoted in a message */
#define EXCERPT_MAX 120  /* bytes of a long source line shown */

void cfg_load_init(struct cfg_load *ld, char *err, size_t errlen,
		   const struct stat *top)
{
	memset(ld, 0, sizeof(*ld));
	ld->err = err;
	ld->errlen = errlen;
	if (top != NULL) {
		ld->dev[0] = top->st_dev;
		ld->ino[0] = top->st_ino;
		ld->n_open = 1;
	}
}

/* ---- messages ------------------------------------------------------------ */

/* A message being written into a fixed buffer; what does not fit is cut. */
struct ebuf {
	char *p;
	size_t cap;
	size_t len;
};

static void __attribute__((format(printf, 2, 0)))
eb_vadd(struct ebuf *b, const char *fmt, va_list ap)
{
	int n;

	if (b->cap == 0 || b->len + 1 >= b->cap)
		return;
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len)
		b->len = b->cap - 1;
	else
		b->len += (size_t)n;
}

static void __attribute__((format(printf, 2, 3)))
eb_add(struct ebuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	eb_vadd(b, fmt, ap);
	va_end(ap);
}

static void eb_ch(struct ebuf *b, char ch)
{
	if (b->len + 1 < b->cap) {
		b->p[b->len++] = ch;
		b->p[b->len] = '\0';
	}
}

void cfg_show(char *out, size_t outlen, const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n && i < SHOW_MAX && k + 4 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[k++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	if (i < n && k + 4 < outlen) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
}

/*
 * The source line of loc, then a caret line: '^' under its first byte, '~'
 * under the rest of the token. Tabs are copied so the caret lines up; UTF-8
 * continuation bytes take no column. A long line is shown around the token.
 */
static void excerpt(struct ebuf *b, const struct cfg_src *f,
		    const struct cfg_loc *loc)
{
	const char *s = f->text;
	size_t ls, le, ws, we, i, tl;

	if (loc->off > f->len)
		return;
	ls = loc->off;
	while (ls > 0 && s[ls - 1] != '\n')
		ls--;
	le = loc->off;
	while (le < f->len && s[le] != '\n')
		le++;
	ws = ls;
	we = le;
	if (we - ws > EXCERPT_MAX) {
		if (loc->off - ws > EXCERPT_MAX / 3)
			ws = loc->off - EXCERPT_MAX / 3;
		if (we - ws > EXCERPT_MAX)
			we = ws + EXCERPT_MAX;
	}

	eb_add(b, "\n%s", ws > ls ? "..." : "");
	for (i = ws; i < we; i++) {
		unsigned char ch = (unsigned char)s[i];

		eb_ch(b, (ch < 0x20 && ch != '\t') || ch == 0x7f ? '?' : (char)ch);
	}
	eb_add(b, "%s\n%s", we < le ? "..." : "", ws > ls ? "   " : "");
	for (i = ws; i < loc->off; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\t')
			eb_ch(b, '\t');
		else if ((ch & 0xc0) != 0x80)
			eb_ch(b, ' ');
	}
	eb_ch(b, '^');
	tl = loc->len < we - loc->off ? loc->len : we - loc->off;
	for (i = 1; i < tl; i++)
		if (((unsigned char)s[loc->off + i] & 0xc0) != 0x80)
			eb_ch(b, '~');
}

/* The whole message into b, whatever the load's state. */
static void __attribute__((format(printf, 4, 0)))
format_msg(struct ebuf *b, const struct cfg_src *f, const struct cfg_loc *loc,
	   const char *fmt, va_list ap)
{
	if (b->cap > 0)
		b->p[0] = '\0';
	if (loc != NULL)
		eb_add(b, "%s:%d:%d: ", f->name, loc->line, loc->col);
	else
		eb_add(b, "%s: ", f->name);
	eb_vadd(b, fmt, ap);
	if (loc != NULL)
		excerpt(b, f, loc);
}

int cfg_verror(struct cfg_src *f, const struct cfg_loc *loc, const char *fmt,
	       va_list ap)
{
	struct cfg_load *ld = f->ld;
	struct ebuf b = { ld->err, ld->errlen, 0 };

	if (ld->failed)
		return -1;
	ld->failed = true;
	format_msg(&b, f, loc, fmt, ap);
	return -1;
}

int cfg_error(struct cfg_src *f, const struct cfg_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verror(f, loc, fmt, ap);
	va_end(ap);
	return -1;
}

static bool is_close(const char *w, size_t wn, const char *name)
{
	size_t limit = strlen(name) / 3;

	if (!isalpha((unsigned char)name[0]) || strchr(name, ' ') != NULL)
		return false;
	return textdist(w, wn, name, false) <= (limit > 0 ? limit : 1);
}

const char *cfg_choices(char *out, size_t outlen, const char *w, size_t wn,
			const char *const *names, int n)
{
	struct ebuf b = { out, outlen, 0 };
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	int pass, i;

	out[0] = '\0';
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			bool close = w != NULL && is_close(w, wn, names[i]);

			if (close != (pass == 0))
				continue;
			eb_add(&b, "%s%s", b.len > 0 ? ", " : "", names[i]);
			if (close && textdist(w, wn, names[i], false) < best_d) {
				best_d = textdist(w, wn, names[i], false);
				best = names[i];
			}
		}
	}
	return best;
}

int cfg_syntax_error(struct cfg_src *f, const struct cfg_loc *loc,
		     const char *const *expected, int n_expected,
		     const char *const *hidden, int n_hidden,
		     const char *hidden_what)
{
	const char *t = f->text + loc->off;
	bool eof = loc->len == 0 || loc->off >= f->len;
	bool word = !eof && (isalpha((unsigned char)t[0]) || t[0] == '_');
	bool first = !f->ld->failed;
	char what[80], tok[64], list[1024], hidden_list[256], hint[96] = "";
	const char *best, *hbest;
	struct ebuf b;

	if (n_expected == 0 && n_hidden > 0) {
		expected = hidden;
		n_expected = n_hidden;
		n_hidden = 0;
	}
	if (eof) {
		snprintf(what, sizeof(what), "end of file");
	} else {
		cfg_show(tok, sizeof(tok), t, loc->len);
		if (t[0] == '"')
			snprintf(what, sizeof(what), "string %s", tok);
		else if (isdigit((unsigned char)t[0]))
			snprintf(what, sizeof(what), "number '%s'", tok);
		else
			snprintf(what, sizeof(what), "'%s'", tok);
	}
	if (n_expected == 0)
		return cfg_error(f, loc, "unexpected %s", what);
	best = cfg_choices(list, sizeof(list), word ? t : NULL, loc->len,
			   expected, n_expected);
	hbest = cfg_choices(hidden_list, sizeof(hidden_list), word ? t : NULL,
			    loc->len, hidden, n_hidden);
	if (hbest != NULL && (best == NULL || textdist(t, loc->len, hbest, false) <
					      textdist(t, loc->len, best, false)))
		best = hbest;
	if (best != NULL)
		snprintf(hint, sizeof(hint), "; did you mean '%s'?", best);
	cfg_error(f, loc, "unexpected %s, expected %s%s%s", what,
		  n_expected > 1 ? "one of: " : "", list, hint);
	if (first && n_hidden > 0 && best == NULL && f->ld->errlen > 0) {
		b.p = f->ld->err;
		b.cap = f->ld->errlen;
		b.len = strlen(b.p);
		eb_add(&b, "\n(or %s: %s)", hidden_what, hidden_list);
	}
	return -1;
}

int cfg_defer(struct cfg_src *f, struct cfg_defer *d, const struct cfg_loc *loc,
	      const char *fmt, ...)
{
	size_t cap = f->ld->errlen;
	struct ebuf b;
	va_list ap;

	if (d->msg == NULL && cap > 0) {
		d->msg = malloc(cap);
		if (d->msg == NULL)
			return cfg_error(f, loc, "out of memory");
	}
	b.p = d->msg;
	b.cap = d->msg != NULL ? cap : 0;
	b.len = 0;
	va_start(ap, fmt);
	format_msg(&b, f, loc, fmt, ap);
	va_end(ap);
	d->set = true;
	return 0;
}

int cfg_defer_report(struct cfg_load *ld, struct cfg_defer *d)
{
	if (!d->set)
		return 0;
	if (!ld->failed && ld->errlen > 0 && d->msg != NULL)
		memcpy(ld->err, d->msg, strlen(d->msg) + 1);
	ld->failed = true;
	return -1;
}

void cfg_defer_clear(struct cfg_defer *d)
{
	free(d->msg);
	d->msg = NULL;
	d->set = false;
}

/* ---- the scanner's share ------------------------------------------------- */

void cfg_scan_init(struct cfg_scan *sc)
{
	sc->line = 1;
	sc->col = 1;
	sc->off = 0;
	memset(&sc->last, 0, sizeof(sc->last));
	sc->slen = 0;
}

void cfg_scan_step(struct cfg_scan *sc, struct cfg_loc *loc, const char *text,
		   size_t len)
{
	size_t i;

	loc->line = sc->line;
	loc->col = sc->col;
	loc->off = sc->off;
	loc->len = len;
	for (i = 0; i < len; i++) {
		if (text[i] == '\n') {
			sc->line++;
			sc->col = 1;
		} else {
			sc->col++;
		}
	}
	sc->off += len;
}

void cfg_str_begin(struct cfg_scan *sc, const struct cfg_loc *loc)
{
	sc->str_loc = *loc;
	sc->slen = 0;
}

int cfg_str_append(struct cfg_src *f, struct cfg_scan *sc,
		   const struct cfg_loc *loc, const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			struct cfg_loc at = *loc;

			at.col += (int)i;
			at.off += i;
			at.len = 1;
			return cfg_error(f, &at, "control character 0x%02x in a string",
					 ch);
		}
	}
	if (len > sizeof(sc->sbuf) - sc->slen)
		return cfg_error(f, &sc->str_loc,
				 "string too long, the limit is %zu bytes",
				 sizeof(sc->sbuf));
	memcpy(sc->sbuf + sc->slen, text, len);
	sc->slen += len;
	return 0;
}

int cfg_str_end(struct cfg_src *f, struct cfg_scan *sc, struct cfg_loc *loc,
		char **out)
{
	char *s = malloc(sc->slen + 1);

	loc->len = loc->off + loc->len - sc->str_loc.off;
	loc->line = sc->str_loc.line;
	loc->col = sc->str_loc.col;
	loc->off = sc->str_loc.off;
	if (s == NULL)
		return cfg_error(f, loc, "out of memory");
	memcpy(s, sc->sbuf, sc->slen);
	s[sc->slen] = '\0';
	*out = s;
	return 0;
}

/* Underline the string from its opening quote to end. */
int cfg_str_unterminated(struct cfg_src *f, const struct cfg_scan *sc,
			 size_t end, const char *what)
{
	struct cfg_loc at = sc->str_loc;

	at.len = end - at.off;
	return cfg_error(f, &at, "unterminated string: end of %s before the "
			 "closing '\"'", what);
}

void cfg_scan_eof(const struct cfg_scan *sc, struct cfg_loc *loc)
{
	if (sc->last.len == 0) {
		loc->line = 1;
		loc->col = 1;
		loc->off = 0;
	} else {
		loc->line = sc->last.line;
		loc->col = sc->last.col + (int)sc->last.len;
		loc->off = sc->last.off + sc->last.len;
	}
	loc->len = 0;
}

/* ---- numbers ------------------------------------------------------------- */

static const struct {
	const char *sfx;
	enum cfg_unit unit;
	uint64_t mul;
} units[] = {
	{ "K", CFG_SIZE, KB }, { "KB", CFG_SIZE, KB },
	{ "M", CFG_SIZE, MB }, { "MB", CFG_SIZE, MB },
	{ "G", CFG_SIZE, GB }, { "GB", CFG_SIZE, GB },
	{ "s", CFG_DURATION, 1 }, { "m", CFG_DURATION, 60 },
	{ "h", CFG_DURATION, 3600 }, { "d", CFG_DURATION, 86400 },
};

static const char *const unit_expected[] = {
	[CFG_COUNT] = "a plain number",
	[CFG_SIZE] = "a size such as 1024, 64KB, 256MB or 1GB",
	[CFG_DURATION] = "a duration such as 30s, 5m, 1h or 1d",
};
static const char *const unit_suffixes[] = {
	[CFG_COUNT] = "no unit",
	[CFG_SIZE] = "K, KB, M, MB, G or GB",
	[CFG_DURATION] = "s, m, h or d",
};
static const char *const unit_is[] = {
	[CFG_COUNT] = "a number", [CFG_SIZE] = "a size", [CFG_DURATION] = "a duration",
};

int cfg_number(struct cfg_src *f, const struct cfg_loc *loc, enum cfg_unit want,
	       uint64_t *out)
{
	const char *s = f->text + loc->off;
	size_t n = loc->len, i, k, sn;
	uint64_t v = 0, mul = 1;
	char tok[64], sfx[64], hint[64] = "";
	int u = -1;

	cfg_show(tok, sizeof(tok), s, n);
	for (i = 0; i < n && isdigit((unsigned char)s[i]); i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return cfg_error(f, loc, "'%s' is too large", tok);
		v = v * 10 + d;
	}
	sn = n - i;
	if (sn > 0) {
		for (k = i; k < n && isalpha((unsigned char)s[k]); k++)
			;
		if (k < n || i == 0)
			return cfg_error(f, loc, "'%s' is not a number, expected %s",
					 tok, unit_expected[want]);
		for (k = 0; k < NELEM(units); k++)
			if (strlen(units[k].sfx) == sn &&
			    memcmp(units[k].sfx, s + i, sn) == 0)
				u = (int)k;
		if (u < 0 && want == CFG_COUNT)
			return cfg_error(f, loc, "'%s' is not a number, expected %s",
					 tok, unit_expected[want]);
		if (u < 0) {
			cfg_show(sfx, sizeof(sfx), s + i, sn);
			for (k = 0; k < NELEM(units); k++)
				if (units[k].unit == want &&
				    strlen(units[k].sfx) == sn &&
				    strncasecmp(units[k].sfx, s + i, sn) == 0)
					snprintf(hint, sizeof(hint),
						 "; did you mean '%s'?", units[k].sfx);
			return cfg_error(f, loc, "unknown unit '%s' in '%s', expected %s%s",
					 sfx, tok, unit_suffixes[want], hint);
		}
		if (units[u].unit != want && want == CFG_COUNT)
			return cfg_error(f, loc, "'%s' has a unit, expected %s",
					 tok, unit_expected[want]);
		if (units[u].unit != want)
			return cfg_error(f, loc, "'%s' is %s, expected %s", tok,
					 unit_is[units[u].unit], unit_expected[want]);
		mul = units[u].mul;
	}
	if (v > UINT64_MAX / mul)
		return cfg_error(f, loc, "'%s' is too large", tok);
	*out = v * mul;
	return 0;
}

void cfg_format(char *out, size_t outlen, enum cfg_unit unit, uint64_t v)
{
	static const struct {
		enum cfg_unit unit;
		uint64_t mul;
		const char *sfx;
	} fmt[] = {
		{ CFG_SIZE, GB, "GB" }, { CFG_SIZE, MB, "MB" }, { CFG_SIZE, KB, "KB" },
		{ CFG_DURATION, 86400, "d" }, { CFG_DURATION, 3600, "h" },
		{ CFG_DURATION, 60, "m" }, { CFG_DURATION, 1, "s" },
	};
	size_t i;

	for (i = 0; i < NELEM(fmt); i++) {
		if (fmt[i].unit == unit && v % fmt[i].mul == 0 &&
		    (v > 0 || fmt[i].mul == 1)) {
			snprintf(out, outlen, "%" PRIu64 "%s", v / fmt[i].mul, fmt[i].sfx);
			return;
		}
	}
	snprintf(out, outlen, "%" PRIu64, v);
}

int cfg_check_range(struct cfg_src *f, const struct cfg_loc *loc,
		    const struct cfg_range *r, uint64_t v)
{
	char tok[64], lo[32], hi[32];

	if ((v >= r->min || (r->zero_ok && v == 0)) && v <= r->max)
		return 0;
	cfg_show(tok, sizeof(tok), f->text + loc->off, loc->len);
	cfg_format(lo, sizeof(lo), r->unit, r->min);
	cfg_format(hi, sizeof(hi), r->unit, r->max);
	return cfg_error(f, loc, "%s %s is out of range, expected %s%s .. %s",
			 r->name, tok, r->zero_ok ? "0 or " : "", lo, hi);
}

int cfg_number_in(struct cfg_src *f, const struct cfg_loc *loc,
		  const struct cfg_range *r, uint64_t *v)
{
	uint64_t x;

	if (cfg_number(f, loc, r->unit, &x) < 0 ||
	    cfg_check_range(f, loc, r, x) < 0)
		return -1;
	*v = x;
	return 0;
}

/* ---- files and paths ----------------------------------------------------- */

int cfg_read_file(const char *path, size_t max, char **buf, size_t *len,
		  struct stat *sb, char *why, size_t whylen)
{
	size_t cap = 4096, n = 0;
	char *p = NULL, *q;
	ssize_t r;
	int fd;

	/* O_NONBLOCK: a FIFO named by mistake must not hang the daemon. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, sb) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb->st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto fail;
	}
	for (;;) {
		if (n == cap || p == NULL) {
			if (n == cap)
				cap *= 2;
			if (cap > max + 1)
				cap = max + 1;
			q = realloc(p, cap);
			if (q == NULL) {
				snprintf(why, whylen, "out of memory");
				goto fail;
			}
			p = q;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, whylen, "%s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			snprintf(why, whylen, "larger than %zu bytes", max);
			goto fail;
		}
	}
	close(fd);
	*buf = p;
	*len = n;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(p);
	return -1;
}

int cfg_join(const char *dir, const char *path, char out[PATH_MAX])
{
	size_t dl = strlen(dir);
	int n;

	if (path[0] == '/') {
		n = snprintf(out, PATH_MAX, "%s", path);
	} else {
		while (path[0] == '.' && path[1] == '/') {
			path += 2;
			while (path[0] == '/')
				path++;
		}
		n = snprintf(out, PATH_MAX, "%s%s%s", dir,
			     dl > 0 && dir[dl - 1] == '/' ? "" : "/", path);
	}
	return n < 0 || n >= PATH_MAX ? -1 : 0;
}

void cfg_dir_of(const char *p, char out[PATH_MAX])
{
	size_t n = (size_t)(strrchr(p, '/') - p);

	if (n == 0)
		n = 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

int cfg_abs_path(const char *name, char out[PATH_MAX], char *err, size_t errlen)
{
	char cwd[PATH_MAX];

	if (name[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(err, errlen, "%s: cannot find the working directory: %s",
			 name, strerror(errno));
		return -1;
	}
	if (cfg_join(name[0] == '/' ? "" : cwd, name, out) < 0) {
		snprintf(err, errlen, "%s: path too long once made absolute, "
			 "the limit is %d bytes", name, PATH_MAX - 1);
		return -1;
	}
	return 0;
}

int cfg_resolve(struct cfg_src *f, const struct cfg_loc *loc, const char *s,
		char out[PATH_MAX])
{
	char tok[64];

	if (cfg_join(f->dir, s, out) == 0)
		return 0;
	cfg_show(tok, sizeof(tok), s, strlen(s));
	return cfg_error(f, loc, "path '%s' is too long once made absolute, "
			 "the limit is %d bytes", tok, PATH_MAX - 1);
}

int cfg_include_begin(struct cfg_src *f, const struct cfg_loc *loc, const char *s,
		      char path[PATH_MAX], char **buf, size_t *len)
{
	struct cfg_load *ld = f->ld;
	char why[128], tok[64];
	struct stat sb;
	int i;

	if (s[0] == '\0')
		return cfg_error(f, loc, "empty file name in include");
	if (f->depth + 1 > CFG_MAX_DEPTH)
		return cfg_error(f, loc, "includes nested too deeply, the limit is %d",
				 CFG_MAX_DEPTH);
	if (cfg_resolve(f, loc, s, path) < 0)
		return -1;
	cfg_show(tok, sizeof(tok), path, strlen(path));
	if (cfg_read_file(path, CFG_MAX_FILE, buf, len, &sb, why, sizeof(why)) < 0)
		return cfg_error(f, loc, "cannot include '%s': %s", tok, why);
	for (i = 0; i < ld->n_open; i++) {
		if (ld->dev[i] == sb.st_dev && ld->ino[i] == sb.st_ino) {
			free(*buf);
			*buf = NULL;
			return cfg_error(f, loc, "include cycle: '%s' is already "
					 "being read", tok);
		}
	}
	ld->dev[ld->n_open] = sb.st_dev;
	ld->ino[ld->n_open] = sb.st_ino;
	ld->n_open++;
	return 0;
}

void cfg_include_end(struct cfg_load *ld, char *buf)
{
	ld->n_open--;
	free(buf);
}

int cfg_parse_text(struct cfg_load *ld, const char *name, const char *dir, const char *src,
		   size_t len, int depth, cfg_parse_fn fn, void *st)
{
	char d[PATH_MAX];
	struct cfg_src f;

	snprintf(d, sizeof(d), "%s", dir);
	f = (struct cfg_src){ .ld = ld, .name = name, .text = src, .len = len, .dir = d,
			      .depth = depth };
	return fn(st, &f);
}

int cfg_include(struct cfg_src *f, const struct cfg_loc *loc, const char *s, cfg_parse_fn fn,
		void *st)
{
	char path[PATH_MAX], dir[PATH_MAX];
	size_t len;
	char *buf;
	int r;

	if (cfg_include_begin(f, loc, s, path, &buf, &len) < 0)
		return -1;
	cfg_dir_of(path, dir);
	r = cfg_parse_text(f->ld, path, dir, buf, len, f->depth + 1, fn, st);
	cfg_include_end(f->ld, buf);
	return r;
}

int cfg_load_file(const char *path, cfg_loader fn, void *out, char *err, size_t errlen)
{
	char abs[PATH_MAX], dir[PATH_MAX], why[128];
	struct stat sb;
	size_t len;
	char *buf;
	int r;

	if (errlen > 0)
		err[0] = '\0';
	if (cfg_abs_path(path, abs, err, errlen) < 0)
		return -1;
	if (cfg_read_file(abs, CFG_MAX_FILE, &buf, &len, &sb, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, why);
		return -1;
	}
	cfg_dir_of(abs, dir);
	r = fn(path, dir, buf, len, &sb, out, err, errlen);
	free(buf);
	return r;
}

int cfg_load_buffer(const char *name, const char *buf, size_t len, const char *dir,
		    cfg_loader fn, void *out, char *err, size_t errlen)
{
	char abs[PATH_MAX], d[PATH_MAX];

	if (errlen > 0)
		err[0] = '\0';
	if (name == NULL)
		name = "(buffer)";
	if (dir != NULL) {
		if (cfg_abs_path(dir, d, err, errlen) < 0)
			return -1;
	} else {
		if (cfg_abs_path(name, abs, err, errlen) < 0)
			return -1;
		cfg_dir_of(abs, d);
	}
	return fn(name, d, buf, len, NULL, out, err, errlen);
}

int cfg_quote(const char *s, char *out, size_t outlen)
{
	size_t i, k = 0;

	if (outlen < 3)
		return -1;
	out[k++] = '"';
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return -1;
		if (k + 4 >= outlen)
			return -1;
		if (ch == '"' || ch == '\\')
			out[k++] = '\\';
		out[k++] = (char)ch;
	}
	out[k++] = '"';
	out[k] = '\0';
	return 0;
}
