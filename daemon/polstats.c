/*
 * polstats.c - see polstats.h. The kernel's rules and set elements are read
 * with libnftables in JSON (one chain or set at a time, so a large address
 * table is never listed) and parsed with jansson.
 */
#include "polstats.h"

#include <jansson.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errf.h"
#include "nft.h"
#include "nftgen.h"
#include "policy.h"

#define CHAINS_MAX 32
#define CHAIN_NAME_MAX 64

int polstats_reset(struct polstats *s, size_t n_rules)
{
	uint64_t *d = calloc(n_rules + 1, sizeof(*d));

	if (d == NULL)
		return -1;
	free(s->dpi);
	s->dpi = d;
	s->n = n_rules + 1;
	s->dpi_other = 0;
	return 0;
}

void polstats_free(struct polstats *s)
{
	free(s->dpi);
	memset(s, 0, sizeof(*s));
}

void polstats_dpi(struct polstats *s, uint32_t rule_id)
{
	polstats_dpi_n(s, rule_id, 1);
}

void polstats_dpi_n(struct polstats *s, uint32_t rule_id, uint64_t n)
{
	if (rule_id < s->n)
		s->dpi[rule_id] += n;
	else
		s->dpi_other += n;
}

/* ---- the script's rules --------------------------------------------------- */

/* The tag of a comment line ("# rule 3 (f:1): ..."), or NULL to keep the current one. */
static const char *comment_tag(const char *c, size_t len, char *out, size_t outlen)
{
	static const char *const kinds[] = { "rule ", "nat ", "rdr " };
	size_t i, k;

	for (i = 0; i < 3; i++) {
		size_t kl = strlen(kinds[i]);

		if (len > kl && strncmp(c, kinds[i], kl) == 0) {
			for (k = kl; k < len && c[k] >= '0' && c[k] <= '9'; k++)
				;
			if (k == kl || k - kl > 9)
				return NULL;
			snprintf(out, outlen, "%.*s", (int)k, c);
			return out;
		}
	}
	if (len >= 7 && strncmp(c, "default", 7) == 0)
		return "default";
	if (len >= 10 && strncmp(c, "everything", 10) == 0)
		return "self default";
	if ((len >= 8 && strncmp(c, "implicit", 8) == 0) || (len >= 5 && strncmp(c, "zone ", 5) == 0))
		return "implicit";
	return NULL;
}

void polstats_walk(const char *script, void (*fn)(void *ctx, const char *chain, const char *tag),
		   void *ctx)
{
	char chain[CHAIN_NAME_MAX] = "", buf[32];
	const char *tag = "fixed", *p = script;

	while (*p != '\0') {
		const char *e = strchr(p, '\n');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);

		if (len > 8 && strncmp(p, "\tchain ", 7) == 0) {
			size_t n = strcspn(p + 7, " {\n");

			snprintf(chain, sizeof(chain), "%.*s", (int)n, p + 7);
			tag = "fixed";
		} else if (len == 2 && strncmp(p, "\t}", 2) == 0) {
			chain[0] = '\0';
		} else if (chain[0] != '\0' && len > 2 && strncmp(p, "\t\t", 2) == 0) {
			const char *t;

			if (p[2] == '#') {
				size_t skip = p[3] == ' ' ? 4 : 3;

				t = comment_tag(p + skip, len - skip, buf, sizeof(buf));
				if (t != NULL)
					tag = t;
			} else if (strncmp(p + 2, "type ", 5) != 0 &&
				   (strncmp(p + 2, "counter", 7) == 0 ||
				    memmem(p, len, " counter", 8) != NULL)) {
				fn(ctx, chain, tag);
			}
		}
		p += len + (e != NULL);
	}
}

/* ---- the kernel's counters ------------------------------------------------ */

struct tagged {
	char chain[CHAIN_NAME_MAX];
	char tag[32];
};

struct walk_acc {
	struct tagged *v;
	size_t n, cap;
	bool bad;
};

static void collect(void *ctx, const char *chain, const char *tag)
{
	struct walk_acc *a = ctx;

	if (a->bad)
		return;
	if (a->n == a->cap) {
		size_t nc = a->cap ? 2 * a->cap : 256;
		struct tagged *q = realloc(a->v, nc * sizeof(*q));

		if (q == NULL) {
			a->bad = true;
			return;
		}
		a->v = q;
		a->cap = nc;
	}
	snprintf(a->v[a->n].chain, sizeof(a->v[a->n].chain), "%s", chain);
	snprintf(a->v[a->n].tag, sizeof(a->v[a->n].tag), "%s", tag);
	a->n++;
}

/* Run one nft command with JSON output; the parsed answer, or NULL. */
static json_t *nft_json(const char *cmd, char *err, size_t errlen)
{
	struct nft_ctx *nx = nft_ctx_new(NFT_CTX_DEFAULT);
	json_error_t je;
	json_t *j = NULL;

	if (nx == NULL) {
		errf(err, errlen, "cannot use libnftables");
		return NULL;
	}
	nft_ctx_output_set_flags(nx, NFT_CTX_OUTPUT_JSON);
	if (nft_ctx_buffer_output(nx) != 0 || nft_ctx_buffer_error(nx) != 0) {
		errf(err, errlen, "cannot use libnftables");
	} else if (nft_run_cmd_from_buffer(nx, cmd) != 0) {
		const char *m = nft_ctx_get_error_buffer(nx);
		size_t n = m != NULL ? strcspn(m, "\n") : 0;

		errf(err, errlen, "cannot read the kernel's ruleset: %.*s", (int)n, m ? m : "");
	} else {
		j = json_loads(nft_ctx_get_output_buffer(nx), 0, &je);
		if (j == NULL)
			errf(err, errlen, "cannot read the kernel's ruleset: %s", je.text);
	}
	nft_ctx_free(nx);
	return j;
}

/* The counters of a chain's rules that have one, in order; count in *n. */
static int chain_counters(const char *chain, uint64_t (**out)[2], size_t *n, char *err,
			  size_t errlen)
{
	char cmd[128];
	json_t *j, *arr, *it;
	size_t i, k = 0;
	uint64_t (*v)[2];

	snprintf(cmd, sizeof(cmd), "list chain inet %s %s", NFT_TABLE, chain);
	j = nft_json(cmd, err, errlen);
	if (j == NULL)
		return -1;
	arr = json_object_get(j, "nftables");
	v = calloc(json_array_size(arr) + 1, sizeof(*v));
	if (v == NULL) {
		json_decref(j);
		return errf(err, errlen, "out of memory");
	}
	json_array_foreach(arr, i, it) {
		json_t *r = json_object_get(it, "rule"), *ex, *x;
		size_t m;

		if (r == NULL)
			continue;
		ex = json_object_get(r, "expr");
		json_array_foreach(ex, m, x) {
			json_t *c = json_object_get(x, "counter");

			if (c == NULL)
				continue;
			v[k][0] = (uint64_t)json_integer_value(json_object_get(c, "packets"));
			v[k][1] = (uint64_t)json_integer_value(json_object_get(c, "bytes"));
			k++;
			break;
		}
	}
	json_decref(j);
	*out = v;
	*n = k;
	return 0;
}

/* A growing answer in a fixed buffer; lines that do not fit are counted. */
struct ans {
	char *p;
	size_t len, cap;
	size_t left_out;
};

static void __attribute__((format(printf, 2, 3))) ans_line(struct ans *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->left_out > 0) {
		a->left_out++;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(a->p + a->len, a->cap - a->len, fmt, ap);
	va_end(ap);
	/* keep room for the last line saying what was left out */
	if (n < 0 || (size_t)n + 80 >= a->cap - a->len) {
		a->p[a->len] = '\0';
		a->left_out = 1;
		return;
	}
	a->len += (size_t)n;
}

static void ans_end(struct ans *a)
{
	if (a->left_out > 0)
		snprintf(a->p + a->len, a->cap - a->len, "\n(%zu more lines left out)", a->left_out);
}

int polstats_answer(const struct polstats *s, const struct kastrod_conf *c, char *ans,
		    size_t anslen, char *err, size_t errlen)
{
	const struct policy *p = c->policy;
	struct walk_acc w = { 0 };
	uint64_t (*rk)[2] = NULL, (*nk)[2] = NULL, dflt[2] = { 0 }, self[2] = { 0 };
	bool has_self = false;
	struct ans a = { ans, 0, anslen, 0 };
	char *script = NULL, chains[CHAINS_MAX][CHAIN_NAME_MAX];
	size_t nr = p ? p->n_rules : 0, nn = p ? p->n_nats : 0, nch = 0, i, j;
	int rc = -1;

	if (anslen < 128)
		return errf(err, errlen, "answer buffer too small");
	if (nftgen_script(c, &script, err, errlen) < 0)
		return -1;
	polstats_walk(script, collect, &w);
	free(script);
	rk = calloc(nr + 1, sizeof(*rk));
	nk = calloc(nn + 1, sizeof(*nk));
	if (w.bad || rk == NULL || nk == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < w.n; i++) {
		for (j = 0; j < nch && strcmp(chains[j], w.v[i].chain) != 0; j++)
			;
		if (j == nch && nch < CHAINS_MAX)
			snprintf(chains[nch++], CHAIN_NAME_MAX, "%s", w.v[i].chain);
	}
	for (j = 0; j < nch; j++) {
		uint64_t (*k)[2] = NULL;
		size_t nk_kernel = 0, at = 0;

		if (chain_counters(chains[j], &k, &nk_kernel, err, errlen) < 0)
			goto out;
		for (i = 0; i < w.n; i++) {
			unsigned long id;
			uint64_t *dst = NULL;

			if (strcmp(w.v[i].chain, chains[j]) != 0)
				continue;
			if (at >= nk_kernel)
				break;
			if (sscanf(w.v[i].tag, "rule %lu", &id) == 1 && id >= 1 && id <= nr)
				dst = rk[id];
			else if ((sscanf(w.v[i].tag, "nat %lu", &id) == 1 ||
				  sscanf(w.v[i].tag, "rdr %lu", &id) == 1) && id >= 1 && id <= nn)
				dst = nk[id];
			else if (strcmp(w.v[i].tag, "default") == 0)
				dst = dflt;
			else if (strcmp(w.v[i].tag, "self default") == 0)
				dst = self, has_self = true;
			if (dst != NULL) {
				dst[0] += k[at][0];
				dst[1] += k[at][1];
			}
			at++;
		}
		/* the same number of counted rules, or the kernel holds another ruleset */
		for (i = 0, at = 0; i < w.n; i++)
			at += strcmp(w.v[i].chain, chains[j]) == 0;
		free(k);
		if (at != nk_kernel) {
			errf(err, errlen, "the kernel's ruleset is not the running policy's (chain %s "
			     "has %zu counted rules, the policy %zu): was it changed by hand? "
			     "`kastroctl reload` loads it again", chains[j], nk_kernel, at);
			goto out;
		}
	}
	ans_line(&a, "ok");
	for (i = 0; p != NULL && i < nr; i++) {
		const struct pol_rule *r = &p->rules[i];

		if (r->dpi)
			ans_line(&a, "\nrule %u verdicts=%llu %s:%d: %s", r->id,
				 (unsigned long long)(r->id < s->n ? s->dpi[r->id] : 0), r->file,
				 r->line, r->text);
		else
			ans_line(&a, "\nrule %u packets=%llu bytes=%llu %s:%d: %s", r->id,
				 (unsigned long long)rk[r->id][0], (unsigned long long)rk[r->id][1],
				 r->file, r->line, r->text);
	}
	for (i = 0; p != NULL && i < nn; i++) {
		const struct pol_nat *n = &p->nats[i];

		ans_line(&a, "\n%s %u packets=%llu bytes=%llu %s:%d: %s", n->rdr ? "rdr" : "nat",
			 n->id, (unsigned long long)nk[n->id][0], (unsigned long long)nk[n->id][1],
			 n->file, n->line, n->text);
	}
	ans_line(&a, "\ndefault packets=%llu bytes=%llu: %s", (unsigned long long)dflt[0],
		 (unsigned long long)dflt[1],
		 p != NULL && p->default_action == VERDICT_BLOCK ? "block" : "pass");
	if (has_self)
		ans_line(&a, "\nself default packets=%llu bytes=%llu: %s (to the gateway itself)",
			 (unsigned long long)self[0], (unsigned long long)self[1],
			 p->default_action == VERDICT_BLOCK ? "block" : "pass");
	ans_end(&a);
	rc = 0;
out:
	free(w.v);
	free(rk);
	free(nk);
	return rc;
}

/* ---- quarantine ------------------------------------------------------------ */

static int quarantine_set(struct ans *a, const char *set, char *err, size_t errlen)
{
	char cmd[128];
	json_t *j, *arr, *it;
	size_t i;

	snprintf(cmd, sizeof(cmd), "list set inet %s %s", NFT_TABLE, set);
	j = nft_json(cmd, err, errlen);
	if (j == NULL)
		return -1;
	arr = json_object_get(j, "nftables");
	json_array_foreach(arr, i, it) {
		json_t *elems = json_object_get(json_object_get(it, "set"), "elem"), *e;
		size_t k;

		json_array_foreach(elems, k, e) {
			json_t *o = json_object_get(e, "elem");
			const char *addr = json_string_value(o != NULL ? json_object_get(o, "val") : e);
			json_t *exp = o != NULL ? json_object_get(o, "expires") : NULL;

			if (addr == NULL)
				continue;
			if (exp != NULL)
				ans_line(a, "\n%s expires in %llds", addr,
					 (long long)json_integer_value(exp));
			else
				ans_line(a, "\n%s until released", addr);
		}
	}
	json_decref(j);
	return 0;
}

int polstats_quarantine(char *ans, size_t anslen, char *err, size_t errlen)
{
	struct ans a = { ans, 0, anslen, 0 };

	if (anslen < 128)
		return errf(err, errlen, "answer buffer too small");
	ans_line(&a, "ok");
	if (quarantine_set(&a, "quarantine4", err, errlen) < 0 ||
	    quarantine_set(&a, "quarantine6", err, errlen) < 0)
		return -1;
	ans_end(&a);
	return 0;
}
