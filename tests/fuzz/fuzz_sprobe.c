/*
 * fuzz_sprobe.c - libFuzzer target: the probe checks a sensor takes from
 * the console and the results the console takes from a sensor, both
 * untrusted: the args of the agent's "probes" command (agent/sprobe.c's
 * sprobe_args()) and a probe_result event (console/sprobes.c's
 * sprobes_parse_event()).
 *
 * Checks that whatever is accepted holds what the contract says (a kind the
 * agent runs, intervals and timeouts in range, a tcp or tls check's port, an
 * http(s) URL of its scheme without blanks, a plugin's name of safe
 * characters, a tls check's warn days longest first, a dns check's server
 * that reads as an address, a JSON condition with a well-formed path, time
 * thresholds in order, no control characters in what is kept; a state of the four,
 * an output line without control characters) and that nothing crashes or
 * leaks. Built and run by tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsq.h"
#include "jsonpath.h"
#include "sprobe.h"
#include "sprobes.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static int clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	struct sprobe_check *cs = NULL;
	struct probe_result r;
	const char *svc, *key;
	char err[256];
	int64_t at;
	size_t n = 0;

	if (sprobe_args(j, &cs, &n, err, sizeof(err)) == 0) {
		check(n <= SPROBE_MAX);
		for (size_t i = 0; i < n; i++) {
			const struct inv_check *c = &cs[i].chk;

			check(cs[i].service[0] != '\0' && cs[i].key[0] != '\0');
			check(clean(cs[i].service) && clean(cs[i].key) && clean(c->target) &&
			      clean(c->keyword) && clean(c->regex));
			check(c->kind == INV_CHK_HTTP || c->kind == INV_CHK_HTTPS ||
			      c->kind == INV_CHK_TCP || c->kind == INV_CHK_PLUGIN ||
			      c->kind == INV_CHK_TLS || c->kind == INV_CHK_DNS);
			check(clean(c->dns_server) && clean(c->dns_expect) && clean(c->json_path) &&
			      clean(c->json_value));
			if (c->kind == INV_CHK_TLS)
				check(c->port != 0 && c->warn_days[0] > c->warn_days[1] &&
				      c->warn_days[1] > c->warn_days[2] && c->warn_days[2] >= 1);
			if (c->dns_server[0] != '\0') {
				struct sockaddr_storage ss;
				socklen_t sl;

				check(c->kind == INV_CHK_DNS &&
				      dnsq_server(c->dns_server, &ss, &sl, err, sizeof(err)) == 0);
			}
			if (c->json_op != JSONPATH_NONE)
				check(jsonpath_check(c->json_path, err, sizeof(err)) == 0);
			if (c->warn_ms != 0 && c->crit_ms != 0)
				check(c->warn_ms < c->crit_ms);
			check(c->every >= 5 && c->every <= 86400 && c->retry_every >= 5 &&
			      c->timeout >= 1 && c->timeout <= 300);
			if (c->kind == INV_CHK_TCP)
				check(c->port != 0);
			if (c->kind == INV_CHK_HTTP)
				check(strncmp(c->target, "http://", 7) == 0 && !strpbrk(c->target, " \t"));
			if (c->kind == INV_CHK_HTTPS)
				check(strncmp(c->target, "https://", 8) == 0);
			if (c->kind == INV_CHK_PLUGIN)
				check(strcmp(c->name, c->target) == 0 && strchr(c->name, '/') == NULL);
		}
		free(cs);
	} else {
		check(err[0] != '\0');
	}
	if (sprobes_parse_event(j, &svc, &key, &r, &at, err, sizeof(err)) == 0) {
		check(svc[0] != '\0' && key[0] != '\0' && at > 0);
		check((unsigned)r.state <= PROBE_UNKNOWN && clean(r.output));
	}
	json_decref(j);
	return 0;
}
