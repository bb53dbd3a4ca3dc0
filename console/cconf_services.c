/*
 * cconf_services.c - `service` blocks in console.conf and the files it
 * includes (usually one services.conf): the scanner hands each block to the
 * shared inventory parser (lib/inventory.c), which reads it into the
 * load's inventory; the checks between services (dependencies) run at the
 * end of the load. And `plugin "NAME" command "CMD"`: the command a plugin
 * check of that name runs on the console.
 */
#include <stdlib.h>
#include <string.h>

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

int cconf_add_plugin(struct ccf_pctx *pc, const struct cfg_loc *name_loc, const char *name,
		     const struct cfg_loc *cmd_loc, const char *cmd)
{
	struct cconf_state *st = pc->st;
	struct cconf_plugins *pl = st->plugins;
	char why[128];

	if (strlen(name) >= sizeof(pl->cmd[0].name) || name[0] == '\0')
		return cfg_error(&pc->f, name_loc, "a plugin name is 1 to %zu bytes",
				 sizeof(pl->cmd[0].name) - 1);
	if (pl == NULL) {
		pl = st->plugins = calloc(1, sizeof(*pl));
		if (pl == NULL || (pl->cmd = calloc(CCONF_MAX_PLUGINS, sizeof(*pl->cmd))) == NULL)
			return cfg_error(&pc->f, name_loc, "out of memory");
	}
	for (int i = 0; i < pl->n; i++)
		if (strcmp(pl->cmd[i].name, name) == 0)
			return cfg_error(&pc->f, name_loc, "plugin \"%s\" is already defined", name);
	if (pl->n == CCONF_MAX_PLUGINS)
		return cfg_error(&pc->f, name_loc, "too many plugins, the limit is %d",
				 CCONF_MAX_PLUGINS);
	if (plugin_cmd_split(&pl->cmd[pl->n], cmd, why, sizeof(why)) < 0)
		return cfg_error(&pc->f, cmd_loc, "plugin \"%s\": %s", name, why);
	memcpy(pl->cmd[pl->n].name, name, strlen(name) + 1);
	pl->n++;
	return 0;
}

void cconf_plugins_free(struct cconf_plugins *pl)
{
	if (pl == NULL)
		return;
	for (int i = 0; pl->cmd != NULL && i < pl->n; i++)
		plugin_cmd_free(&pl->cmd[i]);
	free(pl->cmd);
	free(pl);
}

void cconf_free(struct console_conf *c)
{
	inv_free(c->inv);
	c->inv = NULL;
	cconf_plugins_free(c->plugins);
	c->plugins = NULL;
}

const struct plugin_cmd *cconf_plugin(const struct console_conf *c, const char *name)
{
	for (int i = 0; c->plugins != NULL && i < c->plugins->n; i++)
		if (strcmp(c->plugins->cmd[i].name, name) == 0)
			return &c->plugins->cmd[i];
	return NULL;
}
