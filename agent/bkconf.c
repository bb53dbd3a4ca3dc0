/*
 * bkconf.c - see bkconf.h. A small hand-written scanner: the file has one
 * statement and no nesting beyond one block, and a grammar of its own in
 * agent.conf's bison file would tie two programs' releases together. The
 * messages, numbers and units are lib/cfg's, as in the other grammars.
 */
#include "bkconf.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "errf.h"

enum tok { T_EOF, T_WORD, T_STR, T_LBRACE, T_RBRACE, T_ERR };

struct bx {
	struct cfg_src f;
	size_t off;
	int line, col;
	enum tok t;
	struct cfg_loc loc;
	char s[BKC_PATH_MAX];           /* a string's text, unescaped */
};

const char *bkc_kind_name(enum bkc_kind k)
{
	static const char *const n[] = { "restic", "borg", "dir" };

	return (unsigned)k < 3 ? n[k] : "?";
}

static void adv(struct bx *x)
{
	if (x->f.text[x->off] == '\n') {
		x->line++;
		x->col = 1;
	} else {
		x->col++;
	}
	x->off++;
}

static enum tok next(struct bx *x)
{
	const char *t = x->f.text;
	size_t n = x->f.len;

	for (;;) {
		while (x->off < n && isspace((unsigned char)t[x->off]))
			adv(x);
		if (x->off < n && t[x->off] == '#') {
			while (x->off < n && t[x->off] != '\n')
				adv(x);
			continue;
		}
		break;
	}
	x->loc.line = x->line;
	x->loc.col = x->col;
	x->loc.off = x->off;
	x->loc.len = 0;
	if (x->off >= n)
		return x->t = T_EOF;
	if (t[x->off] == '{' || t[x->off] == '}') {
		x->loc.len = 1;
		x->t = t[x->off] == '{' ? T_LBRACE : T_RBRACE;
		adv(x);
		return x->t;
	}
	if (t[x->off] == '"') {
		size_t k = 0;

		adv(x);
		for (;;) {
			char c;

			if (x->off >= n || t[x->off] == '\n') {
				x->loc.len = x->off - x->loc.off;
				cfg_error(&x->f, &x->loc, "unterminated string, expected a closing '\"'");
				return x->t = T_ERR;
			}
			c = t[x->off];
			if (c == '"')
				break;
			if (c == '\\' && x->off + 1 < n && (t[x->off + 1] == '"' || t[x->off + 1] == '\\')) {
				adv(x);
				c = t[x->off];
			}
			if ((unsigned char)c < 0x20 && c != '\t') {
				x->loc.len = x->off - x->loc.off + 1;
				cfg_error(&x->f, &x->loc, "control character in a string");
				return x->t = T_ERR;
			}
			if (k + 1 >= sizeof(x->s)) {
				x->loc.len = x->off - x->loc.off;
				cfg_error(&x->f, &x->loc, "string longer than %zu bytes", sizeof(x->s) - 1);
				return x->t = T_ERR;
			}
			x->s[k++] = c;
			adv(x);
		}
		adv(x);
		x->s[k] = '\0';
		x->loc.len = x->off - x->loc.off;
		return x->t = T_STR;
	}
	while (x->off < n && !isspace((unsigned char)t[x->off]) && t[x->off] != '{' &&
	       t[x->off] != '}' && t[x->off] != '"' && t[x->off] != '#')
		adv(x);
	x->loc.len = x->off - x->loc.off;
	return x->t = T_WORD;
}

static bool is(const struct bx *x, const char *w)
{
	return x->t == T_WORD && strlen(w) == x->loc.len &&
	       memcmp(x->f.text + x->loc.off, w, x->loc.len) == 0;
}

static int expected(struct bx *x, const char *what)
{
	char tok[64];

	if (x->t == T_ERR)
		return -1;
	if (x->t == T_EOF)
		return cfg_error(&x->f, &x->loc, "unexpected end of file, expected %s", what);
	cfg_show(tok, sizeof(tok), x->f.text + x->loc.off, x->loc.len);
	return cfg_error(&x->f, &x->loc, "unexpected '%s', expected %s", tok, what);
}

static int take_str(struct bx *x, const char *what, char *out, size_t cap)
{
	if (next(x) != T_STR)
		return expected(x, what);
	if (strlen(x->s) >= cap)
		return cfg_error(&x->f, &x->loc, "%s longer than %zu bytes", what, cap - 1);
	memcpy(out, x->s, strlen(x->s) + 1);
	return 0;
}

static int take_path(struct bx *x, const char *what, char *out, size_t cap)
{
	if (take_str(x, what, out, cap) < 0)
		return -1;
	if (out[0] != '/')
		return cfg_error(&x->f, &x->loc, "relative path, expected an absolute path such "
				 "as \"/srv/backup/erp\"");
	return 0;
}

static int take_num(struct bx *x, const struct cfg_range *r, uint32_t *out, bool percent)
{
	struct cfg_loc l;
	uint64_t v;

	if (next(x) != T_WORD)
		return expected(x, r->unit == CFG_DURATION ? "a duration such as 15m" : "a number");
	l = x->loc;
	if (percent) {
		if (l.len < 2 || x->f.text[l.off + l.len - 1] != '%')
			return expected(x, "a percentage such as 50%");
		l.len--;
	}
	if (cfg_number_in(&x->f, &l, r, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static const struct cfg_range r_every = { "every", CFG_DURATION, 60, 86400, false };
static const struct cfg_range r_verify = { "verify-every", CFG_DURATION, 60, 90 * 86400, true };
static const struct cfg_range r_over = { "verify-over", CFG_DURATION, 60, 365 * 86400, false };
static const struct cfg_range r_restore = { "restore-every", CFG_DURATION, 60, 90 * 86400, true };
static const struct cfg_range r_sample = { "restore-sample", CFG_COUNT, 1, 100, false };
static const struct cfg_range r_shrink = { "shrink", CFG_COUNT, 1, 100, false };
static const struct cfg_range r_timeout = { "timeout", CFG_DURATION, 10, 7 * 86400, false };

static const char settings[] = "service, restic, borg, dir, password-file, every, verify-every, "
			       "verify-over, restore-every, restore-sample, shrink, timeout, '}'";

static int parse_backup(struct bx *x, struct bkc *c)
{
	struct bkc_backup *b;
	struct cfg_loc at = x->loc;
	bool have_repo = false;

	if (c->n >= BKC_MAX)
		return cfg_error(&x->f, &x->loc, "too many backups, the limit is %d", BKC_MAX);
	b = &c->b[c->n];
	memset(b, 0, sizeof(*b));
	b->every = 900;
	b->verify_every = 86400;
	b->verify_over = 7 * 86400;
	b->restore_every = 86400;
	b->restore_sample = 3;
	b->shrink = 50;
	b->timeout = 3600;
	snprintf(b->at, sizeof(b->at), "%.300s:%d", x->f.name, at.line);
	if (take_str(x, "the backup's name in quotes", b->name, sizeof(b->name)) < 0)
		return -1;
	if (b->name[0] == '\0')
		return cfg_error(&x->f, &x->loc, "empty name, expected a name such as \"erp-restic\"");
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->b[i].name, b->name) == 0)
			return cfg_error(&x->f, &x->loc, "backup \"%s\" is already defined at %s",
					 b->name, c->b[i].at);
	if (next(x) != T_LBRACE)
		return expected(x, "'{'");
	for (;;) {
		next(x);
		if (x->t == T_RBRACE)
			break;
		if (is(x, "service")) {
			if (take_str(x, "a service name in quotes", b->service, sizeof(b->service)) < 0)
				return -1;
		} else if (is(x, "restic") || is(x, "borg") || is(x, "dir")) {
			if (have_repo)
				return cfg_error(&x->f, &x->loc, "a backup has one repository or "
						 "directory, this is a second");
			b->kind = is(x, "restic") ? BKC_RESTIC : is(x, "borg") ? BKC_BORG : BKC_DIR;
			if (take_path(x, b->kind == BKC_DIR ? "a directory in quotes" :
					 "a repository in quotes", b->repo, sizeof(b->repo)) < 0)
				return -1;
			have_repo = true;
		} else if (is(x, "password-file")) {
			if (take_path(x, "a file in quotes", b->password_file,
				      sizeof(b->password_file)) < 0)
				return -1;
		} else if (is(x, "every")) {
			if (take_num(x, &r_every, &b->every, false) < 0)
				return -1;
		} else if (is(x, "verify-every")) {
			if (take_num(x, &r_verify, &b->verify_every, false) < 0)
				return -1;
		} else if (is(x, "verify-over")) {
			if (take_num(x, &r_over, &b->verify_over, false) < 0)
				return -1;
		} else if (is(x, "restore-every")) {
			if (take_num(x, &r_restore, &b->restore_every, false) < 0)
				return -1;
		} else if (is(x, "restore-sample")) {
			if (take_num(x, &r_sample, &b->restore_sample, false) < 0)
				return -1;
		} else if (is(x, "shrink")) {
			if (take_num(x, &r_shrink, &b->shrink, true) < 0)
				return -1;
		} else if (is(x, "timeout")) {
			if (take_num(x, &r_timeout, &b->timeout, false) < 0)
				return -1;
		} else {
			return expected(x, settings);
		}
	}
	if (b->service[0] == '\0')
		return cfg_error(&x->f, &at, "backup \"%s\" names no service, expected "
				 "service \"NAME\" as in the inventory", b->name);
	if (!have_repo)
		return cfg_error(&x->f, &at, "backup \"%s\" names no repository, expected restic "
				 "\"PATH\", borg \"PATH\" or dir \"PATH\"", b->name);
	if (b->kind != BKC_DIR && b->password_file[0] == '\0')
		return cfg_error(&x->f, &at, "backup \"%s\" has no password-file, expected "
				 "password-file \"/etc/kastro/NAME.pass\" (a file only root reads)",
				 b->name);
	if (b->verify_every != 0 && b->verify_over < b->verify_every)
		return cfg_error(&x->f, &at, "backup \"%s\": verify-over is shorter than "
				 "verify-every", b->name);
	c->n++;
	return 0;
}

static int loader(const char *name, const char *dir, const char *src, size_t len,
		  const struct stat *sb, void *out, char *err, size_t errlen)
{
	struct cfg_load ld;
	struct bkc *c = out;
	struct bx x;

	memset(&x, 0, sizeof(x));
	cfg_load_init(&ld, err, errlen, sb);
	x.f.ld = &ld;
	x.f.name = name;
	x.f.text = src;
	x.f.len = len;
	x.f.dir = dir;
	x.line = x.col = 1;
	memset(c, 0, sizeof(*c));
	while (next(&x) != T_EOF) {
		if (!is(&x, "backup"))
			return expected(&x, "backup");
		if (parse_backup(&x, c) < 0)
			return -1;
	}
	return 0;
}

int bkc_load(const char *path, struct bkc *out, char *err, size_t errlen)
{
	return cfg_load_file(path, loader, out, err, errlen);
}

int bkc_load_buffer(const char *name, const char *buf, size_t len, struct bkc *out, char *err,
		    size_t errlen)
{
	return cfg_load_buffer(name, buf, len, "/", loader, out, err, errlen);
}

int bkc_path_for(const char *conf_path, char *out, size_t outlen)
{
	char abs[PATH_MAX], dir[PATH_MAX], why[256];
	int n;

	if (cfg_abs_path(conf_path, abs, why, sizeof(why)) < 0)
		return -1;
	cfg_dir_of(abs, dir);
	n = snprintf(out, outlen, "%s/backups.conf", dir);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
