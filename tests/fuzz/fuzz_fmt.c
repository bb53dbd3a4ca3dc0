/*
 * fuzz_fmt.c - libFuzzer target: hostile alert fields through every hook
 * formatter (console/fmt.c): RFC 5424 with each body (text, CEF, LEEF,
 * ECS, EVE), the webhook documents (json, mattermost, slack, teams) and
 * the MIME mail in both languages.
 *
 * Input: a flags byte, then fields separated by NUL bytes: signature, host,
 * sensor, category, action, app, kind, reason, stored event. Flags bit 0-1:
 * severity; bit 2: the signature repeated to 64 KiB; bit 3: no public URL.
 * Every output must parse as what it claims (tests/fuzz/fmt_check.h);
 * running out of the FMT_OUT_MAX buffer is a failure too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "fmt_check.h"

static void check(const char *why, const char *what, const char *text)
{
	if (why != NULL) {
		fprintf(stderr, "%s: %s\n%.2000s\n", what, why, text);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum hook_format sys[] = { HOOK_F_TEXT, HOOK_F_CEF, HOOK_F_LEEF, HOOK_F_ECS,
						HOOK_F_EVE };
	static const enum hook_format web[] = { HOOK_F_JSON, HOOK_F_MATTERMOST, HOOK_F_SLACK,
						HOOK_F_TEAMS, HOOK_F_ECS, HOOK_F_EVE };
	char *f[9] = { 0 }, *copy, *out, subject[4096];
	const char *msg;
	struct fmt_alert a;
	struct fmt_ctx ctx = { "console.kavala.example", "https://kastro.example:8443" };
	struct fmt_out o;
	struct hook_def h;
	size_t i, k = 0, start = 1;
	unsigned flags;

	if (size < 1)
		return 0;
	flags = data[0];
	copy = malloc(size + 1);
	out = malloc(FMT_OUT_MAX);
	if (copy == NULL || out == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 1; i <= size && k < 9; i++)
		if (i == size || copy[i] == '\0') {
			copy[i] = '\0';
			f[k++] = copy + start;
			start = i + 1;
		}
	char *big = NULL;
	if ((flags & 4) && f[0] != NULL && f[0][0] != '\0') {
		size_t n = strlen(f[0]);

		big = malloc(65537);
		if (big == NULL)
			abort();
		for (i = 0; i < 65536; i++)
			big[i] = f[0][i % n];
		big[65536] = '\0';
		f[0] = big;
	}
	if (flags & 8)
		ctx.public_url = "";
	memset(&a, 0, sizeof(a));
	a.id = 42;
	a.delivery_id = 7;
	a.signature = f[0];
	a.host = f[1];
	a.sensor_id = f[2];
	a.category = f[3];
	a.action = f[4];
	a.app = f[5];
	a.kind = f[6] != NULL ? f[6] : "alert";
	a.reason = f[7];
	a.eve = f[8];
	a.eve_len = f[8] != NULL ? strlen(f[8]) : 0;
	a.status = "new";
	a.signature_id = (flags & 16) ? -1 : 2100498;
	a.severity = (int)(flags & 3) + 1;
	a.first_seen = 1780000000;
	a.last_seen = 1780000100;
	a.count = 3;

	hook_defaults(&h, "f");
	h.kind = HOOK_SYSLOG;
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		h.format = sys[i];
		fmt_out_init(&o, out, FMT_OUT_MAX);
		check(fmt_syslog(&h, &a, &ctx, &o) < 0 ? "out of room" : NULL, "syslog", out);
		check(fc_5424(out, h.sd_id, &msg), "5424", out);
		if (h.format == HOOK_F_CEF)
			check(fc_cef(msg), "cef", msg);
		else if (h.format == HOOK_F_LEEF)
			check(fc_leef(msg), "leef", msg);
		else if (h.format != HOOK_F_TEXT)
			check(fc_json(msg), "json", msg);
	}
	h.kind = HOOK_WEBHOOK;
	for (i = 0; i < sizeof(web) / sizeof(web[0]); i++) {
		h.format = web[i];
		fmt_out_init(&o, out, FMT_OUT_MAX);
		check(fmt_body(&h, &a, &ctx, &o) < 0 ? "out of room" : NULL, "webhook", out);
		check(fc_json(out), "webhook json", out);
	}
	h.kind = HOOK_EMAIL;
	h.format = HOOK_F_DEFAULT;
	memcpy(h.from, "k@x.gr", 7);
	memcpy(h.to[0], "a@x.gr", 7);
	h.n_to = 1;
	for (int lang = 0; lang < 2; lang++) {
		h.lang = lang ? HOOK_LANG_EL : HOOK_LANG_EN;
		fmt_out_init(&o, out, FMT_OUT_MAX);
		check(fmt_mail(&h, &a, &ctx, 1780000200, &o) < 0 ? "out of room" : NULL, "mail", out);
		check(fc_mail(out, subject, sizeof(subject)), "mail", out);
	}
	free(big);
	free(copy);
	free(out);
	return 0;
}
