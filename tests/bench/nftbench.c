/*
 * nftbench.c - drives daemon/nft.c from the shell, for tests/net/test_nft.sh
 * and the "setupdate" section of tests/bench/run.sh. Run it inside a
 * network namespace: it changes the ruleset of the namespace it runs in.
 *
 *   nftbench apply FILE                   nft_apply_ruleset with FILE's text
 *   nftbench exists                       prints "exists 1" or "exists 0"
 *   nftbench block TIMEOUT FLOW...        FLOW: proto,src,sport,dst,dport
 *   nftbench block-gen FLOWS TIMEOUT      FLOWS generated IPv4 TCP flows
 *                                         (see gen_flow), in one call
 *   nftbench gen-nft FLOWS TIMEOUT        the same flows' elements (both
 *                                         directions) in nft syntax, one
 *                                         per line, for the references
 *   nftbench latency ROUNDS TIMEOUT       ROUNDS calls of one flow each
 *   nftbench quarantine-add ADDR TTL
 *   nftbench quarantine-del ADDR
 *   nftbench table SET 4|6 FILE           nft_table_replace with FILE's
 *                                         prefixes (one ADDR[/LEN] a line)
 *
 * Timed commands print one line "nftbench: WHAT ... seconds S ..." on
 * stdout. Exit status 0, 1 on an error (message on stderr), 2 on a usage
 * error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nft.h"
#include "num.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: nftbench apply FILE | exists | block TIMEOUT FLOW... |\n"
		"       block-gen FLOWS TIMEOUT | gen-nft FLOWS TIMEOUT | latency ROUNDS TIMEOUT |\n"
		"       quarantine-add ADDR TTL | quarantine-del ADDR | table SET 4|6 FILE\n");
	exit(2);
}

static uint64_t arg_num(const char *s, uint64_t hi)
{
	uint64_t v;

	if (num_parse_u64(s, 0, hi, &v) < 0) {
		fprintf(stderr, "nftbench: '%s' is not a number up to %llu\n", s, (unsigned long long)hi);
		exit(2);
	}
	return v;
}

/* ADDR into a[16]; returns 4, 6 or 0. */
static int parse_addr(const char *s, uint8_t *a)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, a) == 1)
		return 6;
	return 0;
}

/* proto,src,sport,dst,dport */
static int parse_flow(const char *s, struct nft_flow *f)
{
	char buf[256], *field[5], *p;
	uint8_t d[16];
	int k = 0;

	if (strlen(s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	for (p = buf; k < 5; k++) {
		field[k] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (k != 4)
		return -1;
	memset(f, 0, sizeof(*f));
	f->proto = (uint8_t)arg_num(field[0], 255);
	f->family = (uint8_t)parse_addr(field[1], f->src);
	if (!f->family || parse_addr(field[3], d) != f->family)
		return -1;
	memcpy(f->dst, d, 16);
	f->sport = (uint16_t)arg_num(field[2], 65535);
	f->dport = (uint16_t)arg_num(field[4], 65535);
	return 0;
}

/* Flow i of the generated load: 10.0.0.0 + i -> 172.16.0.0 + i % 4096,
 * TCP, source port 1024 + i % 60000, destination port 443. */
static void gen_flow(size_t i, struct nft_flow *f)
{
	uint32_t s = htonl(0x0a000000u + (uint32_t)i), d = htonl(0xac100000u + (uint32_t)(i % 4096));

	memset(f, 0, sizeof(*f));
	f->family = 4;
	f->proto = 6;
	memcpy(f->src, &s, 4);
	memcpy(f->dst, &d, 4);
	f->sport = (uint16_t)(1024 + i % 60000);
	f->dport = 443;
}

static struct nft *open_or_die(void)
{
	char err[512];
	struct nft *n = nft_open(err, sizeof(err));

	if (!n) {
		fprintf(stderr, "nftbench: %s\n", err);
		exit(1);
	}
	return n;
}

static int fail(struct nft *n, const char *what, const char *err)
{
	fprintf(stderr, "nftbench: %s: %s\n", what, err);
	nft_close(n);
	return 1;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 65536, len = 0, r;
	char *p = malloc(cap), *q;

	if (!f || !p) {
		fprintf(stderr, "nftbench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while ((r = fread(p + len, 1, cap - len - 1, f)) > 0) {
		len += r;
		if (len + 1 == cap) {
			if (cap > (64u << 20) || !(q = realloc(p, cap * 2))) {
				fprintf(stderr, "nftbench: %s: too big\n", path);
				exit(1);
			}
			p = q;
			cap *= 2;
		}
	}
	p[len] = '\0';
	fclose(f);
	return p;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmd_table(const char *set, int family, const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1 << 16, count = 0;
	uint8_t (*addr)[16] = malloc(cap * sizeof(*addr)), *plen = malloc(cap);
	char line[256], err[1024];
	unsigned lineno = 0;
	struct nft *n;
	double t0, t1;

	if (!f || !addr || !plen) {
		fprintf(stderr, "nftbench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *sl, *end = line + strcspn(line, "\r\n# \t");
		uint64_t len = family == 4 ? 32 : 128;

		lineno++;
		*end = '\0';
		if (!line[0])
			continue;
		sl = strchr(line, '/');
		if (sl) {
			*sl = '\0';
			if (num_parse_u64(sl + 1, 0, family == 4 ? 32 : 128, &len) < 0)
				goto bad;
		}
		if (count == cap) {
			void *a2 = realloc(addr, cap * 2 * sizeof(*addr)), *p2;

			if (!a2)
				goto nomem;
			addr = a2;
			p2 = realloc(plen, cap * 2);
			if (!p2)
				goto nomem;
			plen = p2;
			cap *= 2;
		}
		if (parse_addr(line, addr[count]) != family)
			goto bad;
		plen[count++] = (uint8_t)len;
		continue;
bad:
		fprintf(stderr, "nftbench: %s:%u: not an IPv%d prefix\n", path, lineno, family);
		return 1;
	}
	fclose(f);
	n = open_or_die();
	t0 = now();
	if (nft_table_replace(n, set, (uint8_t)family, (const uint8_t (*)[16])addr, plen, count, err,
			      sizeof(err)) < 0)
		return fail(n, "table", err);
	t1 = now();
	printf("nftbench: table %s entries %zu seconds %.3f\n", set, count, t1 - t0);
	nft_close(n);
	free(addr);
	free(plen);
	return 0;
nomem:
	fprintf(stderr, "nftbench: out of memory\n");
	return 1;
}

int main(int argc, char **argv)
{
	char err[4096];
	struct nft *n;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "apply") == 0 && argc == 3) {
		char *text = read_file(argv[2]);
		double t0;

		n = open_or_die();
		t0 = now();
		if (nft_apply_ruleset(n, text, err, sizeof(err)) < 0) {
			free(text);
			return fail(n, "apply", err);
		}
		printf("nftbench: apply seconds %.3f\n", now() - t0);
		free(text);
	} else if (strcmp(argv[1], "exists") == 0 && argc == 2) {
		int r;

		n = open_or_die();
		r = nft_table_exists(n, err, sizeof(err));
		if (r < 0)
			return fail(n, "exists", err);
		printf("exists %d\n", r);
	} else if (strcmp(argv[1], "block") == 0 && argc >= 4) {
		uint32_t timeout = (uint32_t)arg_num(argv[2], 86400 * 365);
		size_t count = (size_t)argc - 3;
		struct nft_flow *fl = calloc(count, sizeof(*fl));

		if (!fl)
			return 1;
		for (size_t i = 0; i < count; i++)
			if (parse_flow(argv[3 + i], &fl[i]) < 0) {
				fprintf(stderr, "nftbench: bad flow '%s' (proto,src,sport,dst,dport)\n", argv[3 + i]);
				return 2;
			}
		n = open_or_die();
		if (nft_block_flows(n, fl, count, timeout, err, sizeof(err)) < 0)
			return fail(n, "block", err);
		free(fl);
	} else if ((strcmp(argv[1], "block-gen") == 0 || strcmp(argv[1], "gen-nft") == 0) && argc == 4) {
		size_t count = (size_t)arg_num(argv[2], 10000000);
		uint32_t timeout = (uint32_t)arg_num(argv[3], 86400 * 365);
		struct nft_flow *fl = calloc(count ? count : 1, sizeof(*fl));
		struct nft_stats st;
		double t0, t1;

		if (!fl)
			return 1;
		for (size_t i = 0; i < count; i++)
			gen_flow(i, &fl[i]);
		if (argv[1][0] == 'g') {
			/* both directions, as nft_block_flows writes them */
			for (size_t i = 0; i < count; i++) {
				char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];

				inet_ntop(AF_INET, fl[i].src, s, sizeof(s));
				inet_ntop(AF_INET, fl[i].dst, d, sizeof(d));
				printf("%s . tcp . %u . %s . %u timeout %us\n", s, fl[i].sport, d, fl[i].dport, timeout);
				printf("%s . tcp . %u . %s . %u timeout %us\n", d, fl[i].dport, s, fl[i].sport, timeout);
			}
			free(fl);
			return 0;
		}
		n = open_or_die();
		t0 = now();
		if (nft_block_flows(n, fl, count, timeout, err, sizeof(err)) < 0)
			return fail(n, "block-gen", err);
		t1 = now();
		nft_get_stats(n, &st);
		printf("nftbench: block flows %zu elements %llu batches %llu seconds %.3f elements/s %.0f\n",
		       count, (unsigned long long)st.elements, (unsigned long long)st.batches, t1 - t0,
		       (double)st.elements / (t1 - t0));
		free(fl);
	} else if (strcmp(argv[1], "latency") == 0 && argc == 4) {
		size_t rounds = (size_t)arg_num(argv[2], 1000000);
		uint32_t timeout = (uint32_t)arg_num(argv[3], 86400 * 365);
		double *lat = calloc(rounds ? rounds : 1, sizeof(*lat));

		if (!lat || rounds == 0)
			return 2;
		n = open_or_die();
		for (size_t i = 0; i < rounds; i++) {
			struct nft_flow f;
			double t0;

			gen_flow(5000000 + i, &f);
			t0 = now();
			if (nft_block_flows(n, &f, 1, timeout, err, sizeof(err)) < 0)
				return fail(n, "latency", err);
			lat[i] = now() - t0;
		}
		qsort(lat, rounds, sizeof(*lat), cmp_double);
		printf("nftbench: latency rounds %zu min_us %.1f median_us %.1f p99_us %.1f\n", rounds,
		       lat[0] * 1e6, lat[rounds / 2] * 1e6, lat[rounds * 99 / 100] * 1e6);
		free(lat);
	} else if (strcmp(argv[1], "quarantine-add") == 0 && argc == 4) {
		uint8_t a[16];
		int fam = parse_addr(argv[2], a);

		if (!fam)
			usage();
		n = open_or_die();
		if (nft_quarantine_add(n, (uint8_t)fam, a, (uint32_t)arg_num(argv[3], 86400 * 365), err,
				       sizeof(err)) < 0)
			return fail(n, "quarantine-add", err);
	} else if (strcmp(argv[1], "quarantine-del") == 0 && argc == 3) {
		uint8_t a[16];
		int fam = parse_addr(argv[2], a);

		if (!fam)
			usage();
		n = open_or_die();
		if (nft_quarantine_del(n, (uint8_t)fam, a, err, sizeof(err)) < 0)
			return fail(n, "quarantine-del", err);
	} else if (strcmp(argv[1], "table") == 0 && argc == 5) {
		return cmd_table(argv[2], (int)arg_num(argv[3], 6) == 4 ? 4 : 6, argv[4]);
	} else {
		usage();
	}
	nft_close(n);
	return 0;
}
