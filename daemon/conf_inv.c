/*
 * conf_inv.c - `service` blocks in kastrod.conf and the files it includes:
 * the grammar (conf_parse.y) hands each block to the shared inventory
 * parser (lib/inventory.c), the one the console reads the same files with,
 * and the policy takes the gateway's part of it (pol_service_inv). The
 * checks between services (dependencies) run at the end of the load, as in
 * the console, so a file one program accepts the other accepts too.
 */
#include <stdlib.h>

#include "conf_parse.h"
#include "inventory.h"

int conf_service(struct conf_pctx *pc, const struct cfg_loc *kw, void *scanner)
{
	struct conf_state *st = pc->st;
	size_t end;

	if (st->inv == NULL) {
		st->inv = inv_new();
		if (st->inv == NULL)
			return cfg_error(&pc->f, kw, "out of memory");
	}
	if (inv_parse_service(st->inv, &pc->f, kw, &end) < 0)
		return -1;
	conf_scan_skip(pc, scanner, end);
	return pol_service_inv(pc, kw, &st->inv->svc[st->inv->n - 1]);
}

int conf_inv_end(struct conf_state *st, bool check)
{
	int r = 0;

	if (check && st->inv != NULL && inv_finish(st->inv, st->ld.err, st->ld.errlen) < 0) {
		st->ld.failed = true;
		r = -1;
	}
	inv_free(st->inv);
	st->inv = NULL;
	return r;
}
