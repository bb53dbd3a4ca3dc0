/*
 * scancmd.c - see scancmd.h.
 */
#include "scancmd.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "finding.h"
#include "num.h"
#include "rules.h"
#include "pathesc.h"
#include "scache.h"
#include "scan.h"
#include "scanproc.h"

#define MAX_GLOBS 256

struct out {
	pthread_mutex_t lock;
	bool json;
	char host[256];
	char buf[FINDING_JSON_MAX];
	char shown[PATHESC_RATIO * PATH_MAX + 1];      /* a path's display form */
};

/* The display form of path (pathesc.h) in o->shown: a file name with a
 * newline or a terminal escape never reaches the output raw. */
static const char *shown(struct out *o, const char *path)
{
	if (pathesc_display(path, o->shown, sizeof(o->shown)) < 0)
		return "(path longer than PATH_MAX)";
	return o->shown;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A finding from the scanning child: json is its event, made there with
 * this host's name and the time of the match. */
static void on_finding(void *arg, const struct finding *f, const char *json)
{
	struct out *o = arg;

	pthread_mutex_lock(&o->lock);
	if (!o->json)
		printf("%s %s\n", f->rule, shown(o, f->path));
	else
		printf("%s\n", json);
	pthread_mutex_unlock(&o->lock);
}

static void on_skip(void *arg, const char *path, enum scan_skip why, const char *detail)
{
	struct out *o = arg;

	pthread_mutex_lock(&o->lock);
	if (detail[0] != '\0')
		fprintf(stderr, "kastro-agent: skipped (%s: %s) %s\n", scan_skip_name(why), detail,
			shown(o, path));
	else
		fprintf(stderr, "kastro-agent: skipped (%s) %s\n", scan_skip_name(why),
			shown(o, path));
	pthread_mutex_unlock(&o->lock);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kastro-agent scan [options] PATH...\n"
		"  --rules DIR|FILE   YARA rules: *.yar/*.yara under a directory, or one file\n"
		"                     (default " SCANCMD_DEFAULT_RULES ")\n"
		"  --json             one JSON finding event per match, a summary at the end\n"
		"  --threads N        scanning threads (default: one per CPU)\n"
		"  --max-size SIZE    skip larger files (default %lluM, as agent.conf; K, M, G)\n"
		"  --exclude GLOB     skip paths matching GLOB (fnmatch, '*' matches '/' too)\n"
		"  --include GLOB     scan only files matching GLOB\n"
		"  --timeout SECONDS  per file (default %d, as agent.conf)\n"
		"  --cpu PERCENT      CPU ceiling in %% of one core (default: none)\n"
		"  --nice             nice 10 and idle I/O priority\n"
		"  --cross-fs         descend into other file systems\n"
		"  --cache FILE       skip files unchanged since found clean (FILE is kept)\n"
		"  --stats            print a summary line on stderr\n"
		"  --warnings         print rule compile warnings on stderr\n"
		"exit status: 0 clean, 1 something matched, 2 an error, or nothing matched\n"
		"             and some file could not be scanned (listed on stderr)\n",
		SCAN_DEFAULT_MAX_SIZE >> 20, SCAN_DEFAULT_TIMEOUT);
}

/* SIZE: digits with an optional K, M or G (powers of 1024). */
static int parse_size(const char *s, uint64_t *v)
{
	char digits[32];
	size_t n = strlen(s);
	unsigned shift = 0;
	uint64_t x;

	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, s, n + 1);
	switch (digits[n - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default: break;
	}
	if (shift)
		digits[--n] = '\0';
	if (num_parse_u64(digits, 1, UINT64_MAX >> shift, &x) < 0)
		return -1;
	*v = x << shift;
	return 0;
}

int scancmd_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "threads", required_argument, NULL, 't' },
		{ "max-size", required_argument, NULL, 'z' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "include", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "nice", no_argument, NULL, 'n' },
		{ "cross-fs", no_argument, NULL, 'X' },
		{ "cache", required_argument, NULL, 'C' },
		{ "stats", no_argument, NULL, 's' },
		{ "warnings", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct out out;   /* FINDING_JSON_MAX is too much for the stack */
	const char *rules_path = SCANCMD_DEFAULT_RULES, *cache_path = NULL;
	const char *excl[MAX_GLOBS], *incl[MAX_GLOBS];
	struct scan_options o;
	struct scan_summary sum;
	struct scache *cache = NULL;
	struct scanproc *sp;
	struct scanproc_cb cb = { .finding = on_finding, .skip = on_skip, .arg = &out };
	static struct scanproc_rules info;
	char err[PATH_MAX + 1024], cpath[PATH_MAX];
	bool stats = false, warnings = false;
	uint64_t v;
	int opt, rc;

	memset(&o, 0, sizeof(o));
	memset(&out, 0, sizeof(out));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': rules_path = optarg; break;
		case 'j': out.json = true; break;
		case 't':
			if (num_parse_u64(optarg, 1, SCAN_MAX_THREADS, &v) < 0) {
				fprintf(stderr, "kastro-agent scan: --threads %s: expected 1..%d\n",
					optarg, SCAN_MAX_THREADS);
				return 2;
			}
			o.threads = (unsigned)v;
			break;
		case 'z':
			if (parse_size(optarg, &o.max_size) < 0) {
				fprintf(stderr, "kastro-agent scan: --max-size %s: expected a size "
					"like 1048576, 512K, 100M or 2G\n", optarg);
				return 2;
			}
			break;
		case 'x':
		case 'i':
			if ((opt == 'x' ? o.nexclude : o.ninclude) >= MAX_GLOBS) {
				fprintf(stderr, "kastro-agent scan: at most %d --%s globs\n", MAX_GLOBS,
					opt == 'x' ? "exclude" : "include");
				return 2;
			}
			if (opt == 'x')
				excl[o.nexclude++] = optarg;
			else
				incl[o.ninclude++] = optarg;
			break;
		case 'T':
			if (num_parse_u64(optarg, 1, 86400, &v) < 0) {
				fprintf(stderr, "kastro-agent scan: --timeout %s: expected 1..86400 "
					"seconds\n", optarg);
				return 2;
			}
			o.timeout = (unsigned)v;
			break;
		case 'c':
			if (num_parse_u64(optarg, 1, 100 * SCAN_MAX_THREADS, &v) < 0) {
				fprintf(stderr, "kastro-agent scan: --cpu %s: expected a percentage "
					"of one core, 1..%d\n", optarg, 100 * SCAN_MAX_THREADS);
				return 2;
			}
			o.cpu_percent = (unsigned)v;
			break;
		case 'n': o.low_priority = true; break;
		case 'X': o.cross_fs = true; break;
		case 'C': cache_path = optarg; break;
		case 's': stats = true; break;
		case 'w': warnings = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "kastro-agent scan: no PATH to scan\n");
		usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0 && lstat(argv[i], &st) < 0) {
			fprintf(stderr, "kastro-agent scan: %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
	}
	o.exclude = excl;
	o.include = incl;

	/* rules and files are parsed by a child without privileges (scanproc.h),
	 * as in the daemon */
	if (cache_path != NULL && cache_path[0] != '/') {
		char cwd[PATH_MAX];
		int w = getcwd(cwd, sizeof(cwd)) != NULL ?
			snprintf(cpath, sizeof(cpath), "%s/%s", cwd, cache_path) : -1;

		if (w < 0 || (size_t)w >= sizeof(cpath)) {
			fprintf(stderr, "kastro-agent scan: --cache %s: path too long\n", cache_path);
			return 2;
		}
		cache_path = cpath;
	}
	{
		struct scanproc_config pc = { .mem_max = scanproc_mem_for(o.threads, o.max_size),
					      .cache_path = cache_path };

		sp = scanproc_start(&pc, err, sizeof(err));
	}
	if (sp == NULL) {
		fprintf(stderr, "kastro-agent scan: %s\n", err);
		return 2;
	}
	if (scanproc_load(sp, rules_path, &info, err, sizeof(err)) < 0) {
		fprintf(stderr, "kastro-agent scan: %s\n", err);
		scanproc_stop(sp);
		return 2;
	}
	if (warnings && info.text[0] != '\0') {
		for (char *l = info.text, *nl; l != NULL && *l; l = nl) {
			nl = strchr(l, '\n');
			if (nl != NULL)
				*nl++ = '\0';
			fprintf(stderr, "kastro-agent: warning: %s\n", l);
		}
	}
	if (cache_path != NULL) {
		cache = scache_open(cache_path, 0, err, sizeof(err));
		if (cache == NULL) {
			fprintf(stderr, "kastro-agent scan: %s\n", err);
			scanproc_stop(sp);
			return 2;
		}
		if (err[0] != '\0')
			fprintf(stderr, "kastro-agent: %s\n", err);
	}
	pthread_mutex_init(&out.lock, NULL);
	if (gethostname(out.host, sizeof(out.host) - 1) < 0)
		snprintf(out.host, sizeof(out.host), "localhost");
	o.cache = cache;
	cb.cache = cache;
	cb.host = out.host;

	rc = scanproc_scan(sp, info.gen, (const char *const *)argv + optind,
			   (size_t)(argc - optind), &o, &cb, &sum, err, sizeof(err));
	if (cb.failures > 0)
		fprintf(stderr, "kastro-agent scan: %s; %s\n", cb.failure,
			rc == 0 ? "the scan ran again in a new child" : "and again in a new child");
	scanproc_stop(sp);
	if (rc < 0) {
		fprintf(stderr, "kastro-agent scan: %s\n", err);
		rc = 2;
	} else if (sum.findings > 0) {
		rc = 1;         /* a match wins over files that could not be scanned */
	} else {
		/* as clamscan: a file unreadable, timed out or failed is an error */
		rc = sum.errors > 0 ? 2 : 0;
	}
	if ((rc != 2 || sum.errors > 0) && out.json) {
		if (finding_summary_json(&sum, "cli", out.host, now_ns(), out.buf, sizeof(out.buf), err,
					 sizeof(err)) < 0)
			fprintf(stderr, "kastro-agent scan: %s\n", err);
		else
			printf("%s\n", out.buf);
	}
	if (stats)
		fprintf(stderr,
			"kastro-agent: scanned %llu of %llu files (%llu bytes) in %.3f s, "
			"%llu cache hits, %llu skipped, %llu matched (%llu findings), "
			"%llu errors, cpu %.3f s (%.0f%% of one core), %u threads, %u rules\n",
			(unsigned long long)sum.scanned, (unsigned long long)sum.files_seen,
			(unsigned long long)sum.bytes_read, (double)sum.wall_ns / 1e9,
			(unsigned long long)sum.cache_hits, (unsigned long long)sum.skipped,
			(unsigned long long)sum.matched_files, (unsigned long long)sum.findings,
			(unsigned long long)sum.errors, (double)sum.cpu_ns / 1e9, sum.cpu_percent,
			sum.threads, sum.rules);
	if (cache != NULL) {
		if (scache_save(cache, err, sizeof(err)) < 0)
			fprintf(stderr, "kastro-agent scan: %s\n", err);
		scache_close(cache);
	}
	if (fflush(stdout) != 0 && rc != 2) {
		fprintf(stderr, "kastro-agent scan: writing the output: %s\n", strerror(errno));
		rc = 2;
	}
	pthread_mutex_destroy(&out.lock);
	return rc;
}
