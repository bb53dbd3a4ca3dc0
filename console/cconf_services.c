/*
 * cconf_services.c - `service` blocks in console.conf and the files it
 * includes (usually one services.conf): the scanner hands each block to the
 * shared inventory parser (lib/inventory.c), which reads it into the
 * load's inventory; the checks between services (dependencies) run at the
 * end of the load.
 */
#include <stdlib.h>

#include "cconf.h"
#include "cconf_parse.h"
#include "inventory.h"

int cconf_service(struct ccf_pctx *pc, const struct cfg_loc *kw, size_t *end)
{
	struct cconf_state *st = pc->st;

	if (st->inv == NULL) {
		st->inv = inv_new();
		if (st->inv == NULL)
			return cfg_error(&pc->f, kw, "out of memory");
	}
	return inv_parse_service(st->inv, &pc->f, kw, end);
}

void cconf_free(struct console_conf *c)
{
	inv_free(c->inv);
	c->inv = NULL;
}
