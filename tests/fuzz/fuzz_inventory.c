/*
 * fuzz_inventory.c - libFuzzer target: arbitrary bytes as a services
 * inventory file (lib/inventory.c).
 *
 * Checks that inv_load_buffer() neither crashes, leaks nor hangs, that a
 * failure always comes with a "name:..." message, and that an accepted
 * inventory holds only what the console can use: named services within
 * the bounds, checks of a known kind with a target and sane timings, push
 * checks with a lower-case UUID found again by inv_find_uuid(), and
 * dependencies that name services of the inventory; and that the text
 * kept for pushing to the gateways reads back as the same services.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv = inv_new();
	char err[1024];

	if (inv == NULL)
		return 0;
	if (inv_load_buffer("fuzz.conf", (const char *)data, size, inv, err, sizeof(err)) < 0) {
		check(strncmp(err, "fuzz.conf", 9) == 0 || err[0] == '/' ||
		      strncmp(err, "out of memory", 13) == 0);
		inv_free(inv);
		return 0;
	}
	check(inv->n >= 0 && inv->n <= INV_MAX_SERVICES);
	for (int i = 0; i < inv->n; i++) {
		const struct inv_service *s = &inv->svc[i];

		check(s->name[0] != '\0' && inv_find(inv, s->name) == s);
		check(s->n_checks >= 0 && s->n_checks <= INV_MAX_CHECKS);
		check(s->n_addrs <= INV_MAX_ADDRS && s->n_ports <= INV_MAX_PORTS);
		for (int p = 0; p < s->n_ports; p++)
			check(s->ports[p].lo >= 1 && s->ports[p].lo <= s->ports[p].hi);
		for (int c = 0; c < s->n_checks; c++) {
			const struct inv_check *k = &s->checks[c];

			check((unsigned)k->kind < INV_CHK_KINDS && k->target[0] != '\0');
			check(k->every >= 5 && k->timeout >= 1 && k->retries >= 1 &&
			      k->retry_every >= 5);
			if (k->kind == INV_CHK_PUSH) {
				const struct inv_service *o;

				check(strlen(k->uuid) == INV_UUID_LEN);
				check(inv_find_uuid(inv, k->uuid, &o) == k && o == s);
				check(k->period >= 60 && k->grace >= 60);
			}
			if (k->kind == INV_CHK_TCP)
				check(k->port >= 1);
		}
		for (int d = 0; d < s->n_deps; d++)
			check(inv_find(inv, s->deps[d]) != NULL);
	}
	/*
	 * The text the console pushes (the blocks as written) is read back by
	 * a gateway, includes refused: the same services come out.
	 */
	if (!inv->src_over && inv->n > 0) {
		struct inventory *back = inv_new();

		if (back != NULL) {
			back->no_include = true;
			check(inv_load_buffer("pushed", inv->src, inv->src_len, back, err,
					      sizeof(err)) == 0);
			check(back->n == inv->n && back->src_len == inv->src_len &&
			      memcmp(back->src, inv->src, inv->src_len) == 0);
			for (int i = 0; i < inv->n; i++)
				check(strcmp(back->svc[i].name, inv->svc[i].name) == 0 &&
				      back->svc[i].n_checks == inv->svc[i].n_checks &&
				      back->svc[i].synproxy == inv->svc[i].synproxy);
			inv_free(back);
		}
	}
	/* the listing of any accepted inventory */
	FILE *out = fopen("/dev/null", "w");
	if (out != NULL) {
		inv_print(inv, out);
		fclose(out);
	}
	inv_free(inv);
	return 0;
}
