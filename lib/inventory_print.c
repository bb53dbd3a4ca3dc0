/*
 * inventory_print.c - inv_print() of inventory.h: the loaded inventory,
 * one line per service and per check, as `kastro-console -n` and
 * `kastrod -n` list it (values quoted and escaped as the grammar reads
 * them).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <time.h>

#include "inventory.h"

static void put_str(FILE *out, const char *s)
{
	char q[INV_TEXT_MAX * 2 + 3];

	if (cfg_quote(s, q, sizeof(q)) == 0)
		fputs(q, out);
	else
		fputs("\"?\"", out);
}

static void put_dur(FILE *out, const char *word, uint32_t v)
{
	char d[32];

	cfg_format(d, sizeof(d), CFG_DURATION, v);
	fprintf(out, " %s %s", word, d);
}

static void print_check(const struct inv_check *c, FILE *out)
{
	fprintf(out, "    check %s ", inv_kind_name(c->kind));
	put_str(out, c->kind == INV_CHK_PUSH || c->kind == INV_CHK_PLUGIN ? c->name : c->target);
	if (c->kind == INV_CHK_PUSH) {
		fprintf(out, " uuid \"%s\"", c->uuid);
		if (c->schedule[0] != '\0') {
			fputs(" schedule ", out);
			put_str(out, c->schedule);
			fprintf(out, " tz \"%s\"", c->sched_utc ? "UTC" : "local");
		} else
			put_dur(out, "period", c->period);
		put_dur(out, "grace", c->grace);
		fputc('\n', out);
		return;
	}
	if (c->port != 0)
		fprintf(out, " port %u", c->port);
	put_dur(out, "every", c->every);
	put_dur(out, "timeout", c->timeout);
	fprintf(out, " retries %u", c->retries);
	put_dur(out, "retry-every", c->retry_every);
	if (c->kind == INV_CHK_HTTP || c->kind == INV_CHK_HTTPS) {
		if (c->status != 0)
			fprintf(out, " status %u", c->status);
		if (c->keyword[0] != '\0') {
			fputs(" keyword ", out);
			put_str(out, c->keyword);
		}
		if (c->regex[0] != '\0') {
			fputs(" regex ", out);
			put_str(out, c->regex);
		}
		fprintf(out, " redirects %s", c->redirects == INV_REDIR_FOLLOW ? "follow" : "no");
		if (c->json_op != JSONPATH_NONE) {
			fputs(" json ", out);
			put_str(out, c->json_path);
			fputs(c->json_op == JSONPATH_IS ? " is " : c->json_op == JSONPATH_BELOW ?
			      " below " : " above ", out);
			if (c->json_op == JSONPATH_IS)
				put_str(out, c->json_value);
			else
				fputs(c->json_value, out);
		}
		if (c->warn_ms != 0)
			fprintf(out, " warn-time %u%s", c->warn_ms % 1000 ? c->warn_ms :
				c->warn_ms / 1000, c->warn_ms % 1000 ? "ms" : "s");
		if (c->crit_ms != 0)
			fprintf(out, " critical-time %u%s", c->crit_ms % 1000 ? c->crit_ms :
				c->crit_ms / 1000, c->crit_ms % 1000 ? "ms" : "s");
	}
	if (c->from[0] != '\0')
		fprintf(out, " from \"%s\"", c->from);
	if (c->kind == INV_CHK_TLS)
		fprintf(out, " warn %ud %ud %ud", c->warn_days[0], c->warn_days[1],
			c->warn_days[2]);
	if (c->starttls[0] != '\0')
		fprintf(out, " starttls %s", c->starttls);
	if (c->ca[0] != '\0') {
		fputs(" ca ", out);
		put_str(out, c->ca);
	}
	if (c->kind == INV_CHK_DNS) {
		fprintf(out, " type %s rcode %s", c->dns_type, c->dns_rcode);
		if (c->dns_server[0] != '\0')
			fprintf(out, " server \"%s\"", c->dns_server);
		if (c->dns_expect[0] != '\0') {
			fputs(" expect ", out);
			put_str(out, c->dns_expect);
		}
	}
	fputc('\n', out);
}

void inv_print(const struct inventory *inv, FILE *out)
{
	static const char *const bk[] = { "restic", "borg", "dir" };
	static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	int n_checks = 0;

	for (int i = 0; inv != NULL && i < inv->n; i++)
		n_checks += inv->svc[i].n_checks;
	fprintf(out, "%d service%s, %d check%s\n", inv == NULL ? 0 : inv->n,
		inv != NULL && inv->n == 1 ? "" : "s", n_checks, n_checks == 1 ? "" : "s");
	for (int i = 0; inv != NULL && i < inv->n; i++) {
		const struct inv_service *sv = &inv->svc[i];

		fputs("service ", out);
		put_str(out, sv->name);
		fprintf(out, " criticality %s", inv_crit_name(sv->crit));
		if (sv->owner[0] != '\0') {
			fputs(" owner ", out);
			put_str(out, sv->owner);
		}
		if (sv->rpo != 0)
			put_dur(out, "rpo", sv->rpo);
		if (sv->rto != 0)
			put_dur(out, "rto", sv->rto);
		if (sv->is_public)
			fputs(" public", out);
		if (sv->synproxy)
			fputs(" synproxy", out);
		fputc('\n', out);
		for (int a = 0; a < sv->n_addrs; a++)
			fprintf(out, "    address %s\n", sv->addrs[a]);
		for (int a = 0; a < sv->n_ports; a++) {
			fprintf(out, "    ports %s %u", sv->ports[a].proto == IPPROTO_TCP ? "tcp" :
				sv->ports[a].proto == IPPROTO_UDP ? "udp" : "sctp", sv->ports[a].lo);
			if (sv->ports[a].hi != sv->ports[a].lo)
				fprintf(out, "-%u", sv->ports[a].hi);
			fputc('\n', out);
		}
		for (int c = 0; c < sv->n_checks; c++)
			print_check(&sv->checks[c], out);
		for (int d = 0; d < sv->n_deps; d++) {
			fputs("    depends ", out);
			put_str(out, sv->deps[d]);
			fputc('\n', out);
		}
		for (int m = 0; m < sv->n_maint; m++) {
			const struct inv_maint *w = &sv->maint[m];
			char when[32] = "?";

			if (w->kind == INV_MW_ONCE) {
				struct tm tm;
				time_t t = (time_t)w->start;

				if (localtime_r(&t, &tm) != NULL)
					strftime(when, sizeof(when), "\"%Y-%m-%d %H:%M\"", &tm);
				fprintf(out, "    maintenance once %s", when);
			} else if (w->kind == INV_MW_DAILY) {
				fprintf(out, "    maintenance daily %02d:%02d", w->minute / 60,
					w->minute % 60);
			} else {
				fprintf(out, "    maintenance weekly %s %02d:%02d", days[w->wday],
					w->minute / 60, w->minute % 60);
			}
			put_dur(out, "for", w->length);
			fputc('\n', out);
		}
		for (int b = 0; b < sv->n_backups; b++) {
			fprintf(out, "    backup %s ", bk[sv->backups[b].kind]);
			put_str(out, sv->backups[b].where);
			if (sv->backups[b].host[0] != '\0') {
				fputs(" host ", out);
				put_str(out, sv->backups[b].host);
			}
			fputc('\n', out);
		}
	}
}
