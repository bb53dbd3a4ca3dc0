/*
 * fuzz_policy.c - libFuzzer target: arbitrary bytes as policy statements,
 * after a fixed preamble that defines zones, services and tables for them
 * to name.
 *
 * Checks that the parser neither crashes, leaks nor hangs, that a failure
 * always comes with a "file:line:col:" message, and that an accepted policy
 * compiles (nftgen_script) into one `table inet kastro` block and answers
 * policy_match_dpi() for a flow made from the input's bytes.
 *
 * Build: as tests/fuzz/run.sh does (all daemon sources but kastrod.c), e.g.
 *   tests/fuzz/run.sh 60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "nftgen.h"
#include "policy.h"

static const char preamble[] =
	"interface lan { device \"eth1\" networks { 10.10.0.0/16 fd00:10::/64 } }\n"
	"interface dmz { device \"eth2\" networks 10.20.0.0/24 }\n"
	"interface wan { device \"eth0\" }\n"
	"service \"web\" { address { 10.20.0.10 fd00:20::10 } ports tcp { 80 443 } }\n"
	"table <t> { 10.10.1.0/24 fd00:10::1 }\n"
	"table <f> file \"/nonexistent/feed\"\n";

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kastrod_conf c;
	struct verdict_query q;
	const struct pol_rule *r;
	struct verdict v;
	size_t n = sizeof(preamble) - 1;
	char err[2048], *buf, *script;

	if (size > 64 * 1024)
		return 0;
	buf = malloc(n + size);
	if (buf == NULL)
		return 0;
	memcpy(buf, preamble, n);
	memcpy(buf + n, data, size);
	conf_defaults(&c);
	if (conf_load_buffer("fuzz.conf", buf, n + size, &c, err, sizeof(err)) < 0) {
		check(strncmp(err, "fuzz.conf:", 10) == 0);
		free(buf);
		return 0;
	}
	free(buf);
	check(c.policy != NULL && c.policy->n_zones == 3);
	if (nftgen_script(&c, &script, err, sizeof(err)) == 0) {
		const char *t = strstr(script, "\ntable inet kastro {\n");

		/* one table block, and it is the last thing in the script */
		check(t != NULL && strstr(t + 1, "\ntable ") == NULL);
		check(strlen(script) > 5 &&
		      strcmp(script + strlen(script) - 5, "\t}\n}\n") == 0);
		free(script);
	}
	memset(&q, 0, sizeof(q));
	memcpy(&q, data, size < sizeof(q) ? size : sizeof(q));
	q.hostname[sizeof(q.hostname) - 1] = '\0';
	q.tuple.family = (q.tuple.family & 1) ? 6 : 4;
	r = policy_match_dpi(&c, &q);
	if (r != NULL) {
		check(r->dpi);
		policy_verdict(r, &q, &v);
		check(v.rule_id == r->id && memchr(v.signature, '\0', sizeof(v.signature)));
	}
	conf_free(&c);
	return 0;
}
