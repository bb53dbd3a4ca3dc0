/*
 * conf_inv.c - the services inventory in kastrod.conf (docs/config.md,
 * "service" and "inventory from console").
 *
 * `service` blocks in kastrod.conf and the files it includes: the grammar
 * (conf_parse.y) hands each block to the shared inventory parser
 * (lib/inventory.c), the one the console reads the same files with, and
 * the policy takes the gateway's part of it (pol_service_inv). The checks
 * between services (dependencies) run at the end of the load, as in the
 * console, so a file one program accepts the other accepts too.
 *
 * Or `inventory from console "COPY"`: the services are the text the
 * console pushed, which the parent keeps in COPY (daemon/invpush.c); a
 * reload after a push loads the pushed text from c->inv.candidate instead
 * and moves it to COPY only once the whole policy loaded. Until the first
 * push the statement's fallback file, if any, is read. The two ways do
 * not mix: with the statement, a `service` block is an error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf_parse.h"
#include "inventory.h"
#include "sha256hex.h"

void conf_inv_begin(struct conf_state *st)
{
	struct conf_inv *ci = &st->c->inv;
	char cand[PATH_MAX];

	memcpy(cand, ci->candidate, sizeof(cand));
	memset(ci, 0, sizeof(*ci));
	memcpy(ci->candidate, cand, sizeof(cand));
	memcpy(ci->source, "none", sizeof("none"));
}

int conf_service(struct conf_pctx *pc, const struct cfg_loc *kw, void *scanner)
{
	struct conf_state *st = pc->st;
	size_t end;

	if (st->c->inv.from_console)
		return cfg_error(&pc->f, kw, "a `service` block after `inventory from console`: "
				 "the services come from the console's inventory, not from "
				 "this file");
	if (st->inv == NULL) {
		st->inv = inv_new();
		if (st->inv == NULL)
			return cfg_error(&pc->f, kw, "out of memory");
	}
	if (inv_parse_service(st->inv, &pc->f, kw, &end) < 0)
		return -1;
	conf_scan_skip(pc, scanner, end);
	memcpy(st->c->inv.source, "local", sizeof("local"));
	return pol_service_inv(pc, kw, &st->inv->svc[st->inv->n - 1]);
}

int conf_inventory(struct conf_pctx *pc, const struct cfg_loc *loc, const char *copy,
		   const struct cfg_loc *fb_loc, const char *fallback)
{
	struct conf_state *st = pc->st;
	struct conf_inv *ci = &st->c->inv;
	char fb[PATH_MAX], err[4096];
	const char *path = NULL, *source = "none";
	struct inventory *inv;
	struct stat sb;

	if (ci->from_console)
		return cfg_error(&pc->f, loc, "`inventory from console` is given twice");
	if (st->inv != NULL && st->inv->n > 0)
		return cfg_error(&pc->f, loc, "`inventory from console` after `service` blocks "
				 "(the first at %s): the inventory comes either from the "
				 "console or from this file's blocks, not both", st->inv->svc[0].at);
	if (conf_resolve(pc, loc, copy, ci->copy) < 0)
		return -1;
	if (fallback != NULL && conf_resolve(pc, fb_loc, fallback, fb) < 0)
		return -1;
	ci->from_console = true;
	if (ci->candidate[0] != '\0') {
		path = ci->candidate;
		source = "console";
	} else if (stat(ci->copy, &sb) == 0) {
		path = ci->copy;
		source = "console";
	} else if (errno != ENOENT) {
		return cfg_error(&pc->f, loc, "cannot read the console's inventory copy %s: %s",
				 ci->copy, strerror(errno));
	} else if (fallback != NULL) {
		path = fb;
		source = "fallback";
	}
	memcpy(ci->source, source, strlen(source) + 1);
	if (path == NULL)
		return 0;
	inv = inv_new();
	if (inv == NULL)
		return cfg_error(&pc->f, loc, "out of memory");
	inv_free(st->inv);
	st->inv = inv;
	/* the console's text holds service blocks only: no include there */
	inv->no_include = strcmp(source, "console") == 0;
	if (inv_load_file(path, inv, err, sizeof(err)) < 0)
		return cfg_error(&pc->f, strcmp(source, "fallback") == 0 ? fb_loc : loc,
				 "the inventory %s: %s",
				 strcmp(source, "fallback") == 0 ? "file" : "from the console", err);
	for (int i = 0; i < inv->n; i++)
		if (pol_service_inv(pc, loc, &inv->svc[i]) < 0)
			return -1;
	snprintf(ci->path, sizeof(ci->path), "%s", path == ci->candidate ? ci->copy : path);
	if (stat(path, &sb) == 0)
		ci->mtime = (int64_t)sb.st_mtime;
	sha256_hex(inv->src != NULL ? inv->src : "", inv->src_len, ci->sha256);
	return 0;
}

int conf_inv_end(struct conf_state *st, bool check)
{
	int r = 0;

	if (check && st->inv != NULL && inv_finish(st->inv, st->ld.err, st->ld.errlen) < 0) {
		st->ld.failed = true;
		r = -1;
	}
	if (r == 0 && check && !st->c->inv.from_console && st->inv != NULL)
		sha256_hex(st->inv->src != NULL ? st->inv->src : "", st->inv->src_len,
			   st->c->inv.sha256);
	st->c->inv.candidate[0] = '\0';      /* an input of this load only */
	inv_free(st->inv);
	st->inv = NULL;
	return r;
}
