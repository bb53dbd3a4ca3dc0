/*
 * test_scan.c - scanning files and trees with real rules on real files: the
 * externals each file gets (filename, filepath, extension, filetype,
 * owner), every skip reason a test can make (too large, excluded, symlink,
 * fifo, vanished), counts that add up, findings with their strings, hash,
 * meta and severity, the JSON events made of them and their bounds, the
 * scan cache (hit when unchanged, miss after a touch, a size change or
 * other rules, matches never cached), stopping, and the CPU ceiling.
 *
 * Every test works in its own mkdtemp directory under /tmp, removed after.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testfs.h"

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "duty.h"
#include "finding.h"
#include "rules.h"
#include "scache.h"
#include "scan.h"

#define MAXEV 256

struct fx {
	char dir[64];
	char tree[96];
	char err[1024];
	/* what the callbacks saw */
	pthread_mutex_t lock;
	char *found[MAXEV];     /* "RULE PATH" */
	char *skips[MAXEV];     /* "reason PATH" */
	size_t nfound, nskips;
	char json[FINDING_JSON_MAX];   /* the last finding event */
	char delete_dir[128];   /* on a finding, wait, then empty this directory */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/kastro-test-scan.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->tree, sizeof(f->tree), "%s/tree", f->dir);
	assert_int_equal(mkdir(f->tree, 0755), 0);
	pthread_mutex_init(&f->lock, NULL);
	*state = f;
	return 0;
}

static void forget_events(struct fx *f)
{
	for (size_t i = 0; i < f->nfound; i++)
		free(f->found[i]);
	for (size_t i = 0; i < f->nskips; i++)
		free(f->skips[i]);
	f->nfound = f->nskips = 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testfs_rm_tree(f->dir);
	forget_events(f);
	pthread_mutex_destroy(&f->lock);
	free(f);
	return 0;
}

/* Write path (relative to the tree) with n bytes of data. */
static void put(const struct fx *f, const char *rel, const void *data, size_t n)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", f->tree, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

static void puts_(const struct fx *f, const char *rel, const char *s)
{
	put(f, rel, s, strlen(s));
}

static struct rules *load_rules(struct fx *f, const char *text)
{
	char p[128];
	FILE *fp;
	struct rules *r;

	snprintf(p, sizeof(p), "%s/test.yar", f->dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	r = rules_load(p, f->err, sizeof(f->err));
	if (r == NULL)
		fail_msg("rules: %s", f->err);
	return r;
}

static void empty_dir(const char *d)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -f '%s'/*", d);
	assert_int_equal(system(cmd), 0);
}

static void on_finding(void *arg, const struct finding *fd)
{
	struct fx *f = arg;
	char line[512];

	pthread_mutex_lock(&f->lock);
	snprintf(line, sizeof(line), "%s %s", fd->rule, fd->path);
	if (f->nfound < MAXEV)
		f->found[f->nfound++] = strdup(line);
	if (finding_json(fd, "host-1", 1764288000123456000ll, f->json, sizeof(f->json), f->err,
			 sizeof(f->err)) < 0)
		f->json[0] = '\0';
	pthread_mutex_unlock(&f->lock);
	if (f->delete_dir[0] != '\0') {
		/* the walker has long queued what is in delete_dir */
		usleep(300000);
		empty_dir(f->delete_dir);
	}
}

static void on_skip(void *arg, const char *path, enum scan_skip why, const char *detail)
{
	struct fx *f = arg;
	char line[512];

	(void)detail;
	pthread_mutex_lock(&f->lock);
	snprintf(line, sizeof(line), "%s %s", scan_skip_name(why), path);
	if (f->nskips < MAXEV)
		f->skips[f->nskips++] = strdup(line);
	pthread_mutex_unlock(&f->lock);
}

static bool saw(char *const *v, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool saw(char *const *v, size_t n, const char *fmt, ...)
{
	char want[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], want) == 0)
			return true;
	return false;
}

static struct scan_options opts(struct fx *f)
{
	struct scan_options o;

	memset(&o, 0, sizeof(o));
	o.threads = 2;
	o.on_finding = on_finding;
	o.on_skip = on_skip;
	o.arg = f;
	return o;
}

static void scan(struct fx *f, struct rules *r, const struct scan_options *o,
		 struct scan_summary *s)
{
	const char *roots[1] = { f->tree };

	forget_events(f);
	assert_int_equal(scan_tree(r, roots, 1, o, s, f->err, sizeof(f->err)), 0);
	/* every entry ends in exactly one place */
	assert_int_equal(s->files_seen, s->scanned + s->cache_hits + s->skipped);
}

static const char *me(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return pw != NULL ? pw->pw_name : "";
}

/* ---- externals ---- */

static void test_filetype_and_extension_tables(void **state)
{
	char ext[16];

	(void)state;
	assert_string_equal(scan_filetype("MZ\x90\x00", 4), "EXE");
	assert_string_equal(scan_filetype("\x7f" "ELF\x02", 5), "ELF");
	assert_string_equal(scan_filetype("%PDF-1.7", 8), "PDF");
	assert_string_equal(scan_filetype("PK\x03\x04", 4), "ZIP");
	assert_string_equal(scan_filetype("#!/bin/sh", 9), "SCRIPT");
	assert_string_equal(scan_filetype("<?php echo", 10), "PHP");
	assert_string_equal(scan_filetype("\xcf\xfa\xed\xfe", 4), "MACH-O");
	assert_string_equal(scan_filetype("GIF89a", 6), "GIF");
	assert_string_equal(scan_filetype("hello", 5), "");
	assert_string_equal(scan_filetype("M", 1), "");
	assert_string_equal(scan_filetype("", 0), "");
	scan_extension("Setup.EXE", ext, sizeof(ext));
	assert_string_equal(ext, ".exe");
	scan_extension("a.tar.GZ", ext, sizeof(ext));
	assert_string_equal(ext, ".gz");
	scan_extension(".bashrc", ext, sizeof(ext));
	assert_string_equal(ext, "");
	scan_extension("..x", ext, sizeof(ext));
	assert_string_equal(ext, "");
	scan_extension("Makefile", ext, sizeof(ext));
	assert_string_equal(ext, "");
	scan_extension("x.", ext, sizeof(ext));
	assert_string_equal(ext, ".");
	scan_extension("x.averyveryverylongextension", ext, sizeof(ext));
	assert_string_equal(ext, "");
}

static void test_externals_are_set_per_file(void **state)
{
	struct fx *f = *state;
	char text[2048];
	struct scan_options o = opts(f);
	struct scan_summary s;
	struct rules *r;
	char sub[128];

	snprintf(text, sizeof(text),
		 "rule fn { condition: filename == \"Setup.EXE\" }\n"
		 "rule fp { condition: filepath == \"%s/sub/Setup.EXE\" }\n"
		 "rule ext { condition: extension == \".exe\" }\n"
		 "rule ft_exe { condition: filetype == \"EXE\" }\n"
		 "rule ft_elf { condition: filetype == \"ELF\" }\n"
		 "rule own { condition: owner == \"%s\" and filename != \"x.txt\" }\n"
		 "rule x_txt { condition: filename == \"x.txt\" and extension == \".txt\" "
		 "and filetype == \"\" and filepath == \"%s/x.txt\" }\n"
		 "rule dotfile { condition: filename == \".bashrc\" and extension == \"\" "
		 "and filetype == \"SCRIPT\" }\n",
		 f->tree, me(), f->tree);
	r = load_rules(f, text);
	snprintf(sub, sizeof(sub), "%s/sub", f->tree);
	assert_int_equal(mkdir(sub, 0755), 0);
	put(f, "sub/Setup.EXE", "MZ\x90\x00\x03", 5);
	puts_(f, "x.txt", "hello");
	puts_(f, ".bashrc", "#!/bin/bash\n");
	scan(f, r, &o, &s);
	assert_int_equal(s.scanned, 3);
	assert_int_equal(s.findings, 8);
	assert_int_equal(s.matched_files, 3);
	assert_true(saw(f->found, f->nfound, "fn %s/sub/Setup.EXE", f->tree));
	assert_true(saw(f->found, f->nfound, "fp %s/sub/Setup.EXE", f->tree));
	assert_true(saw(f->found, f->nfound, "ext %s/sub/Setup.EXE", f->tree));
	assert_true(saw(f->found, f->nfound, "ft_exe %s/sub/Setup.EXE", f->tree));
	assert_true(saw(f->found, f->nfound, "own %s/sub/Setup.EXE", f->tree));
	assert_true(saw(f->found, f->nfound, "x_txt %s/x.txt", f->tree));
	assert_true(saw(f->found, f->nfound, "dotfile %s/.bashrc", f->tree));
	assert_true(saw(f->found, f->nfound, "own %s/.bashrc", f->tree));
	assert_false(saw(f->found, f->nfound, "ft_elf %s/sub/Setup.EXE", f->tree));
	rules_unref(r);
}

/* ---- skips ---- */

static void test_skip_reasons_are_counted_and_reported(void **state)
{
	struct fx *f = *state;
	struct scan_options o = opts(f);
	const char *excl[] = { "*.skip", "*/nodir" };
	struct scan_summary s;
	struct rules *r = load_rules(f, "rule anything { condition: true }\n");
	char p[256], q[256];

	puts_(f, "ok.txt", "0123456789");        /* 10 bytes: the limit */
	puts_(f, "big.txt", "0123456789A");      /* 11 */
	puts_(f, "a.skip", "x");
	snprintf(p, sizeof(p), "%s/nodir", f->tree);
	assert_int_equal(mkdir(p, 0755), 0);
	puts_(f, "nodir/inside.txt", "x");
	snprintf(p, sizeof(p), "%s/link", f->tree);
	snprintf(q, sizeof(q), "%s/ok.txt", f->tree);
	assert_int_equal(symlink(q, p), 0);
	snprintf(p, sizeof(p), "%s/dangling", f->tree);
	assert_int_equal(symlink("/nonexistent/x", p), 0);
	snprintf(p, sizeof(p), "%s/fifo", f->tree);
	assert_int_equal(mkfifo(p, 0600), 0);

	o.max_size = 10;
	o.exclude = excl;
	o.nexclude = 2;
	scan(f, r, &o, &s);
	assert_int_equal(s.scanned, 1);
	assert_int_equal(s.findings, 1);
	assert_true(saw(f->found, f->nfound, "anything %s/ok.txt", f->tree));
	assert_int_equal(s.skipped_by[SCAN_SKIP_TOO_LARGE], 1);
	assert_int_equal(s.skipped_by[SCAN_SKIP_SYMLINK], 2);
	assert_int_equal(s.skipped_by[SCAN_SKIP_SPECIAL], 1);
	assert_int_equal(s.skipped_by[SCAN_SKIP_EXCLUDED], 2);   /* a.skip, nodir (not entered) */
	assert_int_equal(s.skipped, 6);
	assert_int_equal(s.files_seen, 7);
	assert_int_equal(s.errors, 0);
	assert_true(saw(f->skips, f->nskips, "too-large %s/big.txt", f->tree));
	assert_true(saw(f->skips, f->nskips, "symlink %s/link", f->tree));
	assert_true(saw(f->skips, f->nskips, "symlink %s/dangling", f->tree));
	assert_true(saw(f->skips, f->nskips, "special %s/fifo", f->tree));
	assert_true(saw(f->skips, f->nskips, "excluded %s/a.skip", f->tree));
	assert_true(saw(f->skips, f->nskips, "excluded %s/nodir", f->tree));
	assert_int_equal(f->nskips, 6);

	/* include: only what matches, the rest excluded; exclude still wins */
	{
		const char *incl[] = { "*.txt" };

		o.include = incl;
		o.ninclude = 1;
		o.max_size = 0;
		scan(f, r, &o, &s);
		assert_int_equal(s.scanned, 2);   /* ok.txt, big.txt */
		assert_int_equal(s.skipped_by[SCAN_SKIP_EXCLUDED], 5);  /* a.skip nodir link dangling fifo */
	}
	rules_unref(r);
}

static void test_root_symlink_is_followed_and_missing_root_vanished(void **state)
{
	struct fx *f = *state;
	struct scan_options o = opts(f);
	struct scan_summary s;
	struct rules *r = load_rules(f, "rule anything { condition: true }\n");
	char link[128], missing[128], flink[128], target[128];
	const char *roots[3] = { link, missing, flink };

	puts_(f, "a.txt", "a");
	snprintf(link, sizeof(link), "%s/treelink", f->dir);
	assert_int_equal(symlink(f->tree, link), 0);
	snprintf(missing, sizeof(missing), "%s/missing", f->dir);
	snprintf(flink, sizeof(flink), "%s/filelink", f->dir);
	snprintf(target, sizeof(target), "%s/a.txt", f->tree);
	assert_int_equal(symlink(target, flink), 0);
	assert_int_equal(scan_tree(r, roots, 3, &o, &s, f->err, sizeof(f->err)), 0);
	assert_int_equal(s.scanned, 2);
	assert_true(saw(f->found, f->nfound, "anything %s/a.txt", link));
	assert_true(saw(f->found, f->nfound, "anything %s", flink));
	assert_int_equal(s.skipped_by[SCAN_SKIP_VANISHED], 1);
	assert_true(saw(f->skips, f->nskips, "vanished %s", missing));
	rules_unref(r);
}

static void test_files_vanishing_mid_scan_are_reported(void **state)
{
	struct fx *f = *state;
	struct scan_options o = opts(f);
	struct scan_summary s;
	struct rules *r = load_rules(f, "rule evil { strings: $a = \"EVIL\" condition: $a }\n");
	char first[128], dir[128];
	const char *roots[2] = { first, dir };

	/* the first root matches; while its finding is reported, the walker has
	 * queued every file of the second, which the callback then deletes */
	snprintf(first, sizeof(first), "%s/evil.bin", f->tree);
	puts_(f, "evil.bin", "xx EVIL xx");
	snprintf(dir, sizeof(dir), "%s/later", f->tree);
	assert_int_equal(mkdir(dir, 0755), 0);
	for (int i = 0; i < 30; i++) {
		char n[64];

		snprintf(n, sizeof(n), "later/f%02d", i);
		puts_(f, n, "clean");
	}
	snprintf(f->delete_dir, sizeof(f->delete_dir), "%s", dir);
	o.threads = 1;
	assert_int_equal(scan_tree(r, roots, 2, &o, &s, f->err, sizeof(f->err)), 0);
	assert_int_equal(s.findings, 1);
	assert_int_equal(s.skipped_by[SCAN_SKIP_VANISHED], 30);
	assert_int_equal(s.scanned, 1);
	assert_int_equal(s.files_seen, 31);
	assert_true(saw(f->skips, f->nskips, "vanished %s/f07", dir));
	rules_unref(r);
}

static void test_single_files_in_the_callers_thread(void **state)
{
	struct fx *f = *state;
	struct scan_options o = opts(f);
	struct scan_summary s;
	struct rules *r = load_rules(f, "rule evil { strings: $a = \"EVIL\" condition: $a }\n");
	struct scan_thread *t;
	char p[128];

	puts_(f, "e", "EVIL");
	puts_(f, "c", "clean");
	t = scan_thread_new(r, &o, f->err, sizeof(f->err));
	assert_non_null(t);
	rules_unref(r);   /* t holds its own reference */
	memset(&s, 0, sizeof(s));
	forget_events(f);
	snprintf(p, sizeof(p), "%s/e", f->tree);
	assert_int_equal(scan_thread_file(t, p, &s), 0);
	snprintf(p, sizeof(p), "%s/c", f->tree);
	assert_int_equal(scan_thread_file(t, p, &s), 0);
	snprintf(p, sizeof(p), "%s/gone", f->tree);
	assert_int_equal(scan_thread_file(t, p, &s), 0);
	assert_int_equal(s.scanned, 2);
	assert_int_equal(s.findings, 1);
	assert_int_equal(s.skipped_by[SCAN_SKIP_VANISHED], 1);
	assert_true(saw(f->found, f->nfound, "evil %s/e", f->tree));
	assert_true(saw(f->skips, f->nskips, "vanished %s/gone", f->tree));
	scan_thread_free(t);
}

/* ---- findings ---- */

static void test_finding_has_strings_hash_meta_severity(void **state)
{
	struct fx *f = *state;
	struct scan_options o = opts(f);
	struct scan_summary s;
	struct rules *r = load_rules(f,
		"rule Mal_Test : tag1 tag2 {\n"
		"  meta:\n    score = 85\n    hash = \"h1\"\n    hash = \"h2\"\n    yes = true\n"
		"  strings:\n    $a = \"needle\"\n    $b = \"pin\"\n"
		"  condition: all of them\n}\n");
	const char *data = "needle pin pin needle pin pin pin needle pin";
	unsigned char md[32];
	unsigned mdlen;
	char hex[65];
	json_t *j, *fi, *st;
	json_error_t je;

	puts_(f, "m.bin", data);
	scan(f, r, &o, &s);
	assert_int_equal(s.findings, 1);
	j = json_loads(f->json, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "event_type")), "finding");
	assert_string_equal(json_string_value(json_object_get(j, "host")), "host-1");
	assert_string_equal(json_string_value(json_object_get(j, "timestamp")),
			    "2025-11-28T00:00:00.123456+0000");
	fi = json_object_get(j, "finding");
	assert_string_equal(json_string_value(json_object_get(fi, "rule")), "Mal_Test");
	assert_string_equal(json_string_value(json_object_get(fi, "namespace")), "default");
	assert_int_equal(json_array_size(json_object_get(fi, "tags")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(fi, "tags"), 1)), "tag2");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(fi, "meta"), "score")), 85);
	assert_true(json_is_true(json_object_get(json_object_get(fi, "meta"), "yes")));
	assert_int_equal(json_array_size(json_object_get(json_object_get(fi, "meta"), "hash")), 2);
	assert_int_equal(json_integer_value(json_object_get(fi, "severity")), 1);
	assert_string_equal(json_string_value(json_object_get(fi, "category")), "malware");
	assert_int_equal(json_integer_value(json_object_get(fi, "size")), strlen(data));
	assert_string_equal(json_string_value(json_object_get(fi, "owner")), me());
	/* $a 3 times, $b 6 times of which 4 are kept */
	st = json_object_get(fi, "strings");
	assert_int_equal(json_array_size(st), 3 + FINDING_MAX_MATCHES);
	assert_string_equal(json_string_value(json_object_get(json_array_get(st, 0), "id")), "$a");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(st, 0), "offset")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(st, 0), "length")), 6);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(st, 1), "offset")), 15);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(st, 3), "offset")), 7);
	assert_int_equal(json_integer_value(json_object_get(fi, "strings_truncated")), 2);
	assert_int_equal(EVP_Digest(data, strlen(data), md, &mdlen, EVP_sha256(), NULL), 1);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(json_string_value(json_object_get(fi, "sha256")), hex);
	json_decref(j);
	rules_unref(r);
}

static void test_severity_from_meta(void **state)
{
	struct finding_meta m[2];

	(void)state;
	assert_int_equal(finding_severity(NULL, 0), 2);
	m[0] = (struct finding_meta){ "score", FINDING_META_INT, NULL, 80 };
	assert_int_equal(finding_severity(m, 1), 1);
	m[0].i = 300;
	assert_int_equal(finding_severity(m, 1), 1);
	m[0].i = 79;
	assert_int_equal(finding_severity(m, 1), 2);
	m[0].i = 60;
	assert_int_equal(finding_severity(m, 1), 2);
	m[0].i = 40;
	assert_int_equal(finding_severity(m, 1), 3);
	m[0].i = 39;
	assert_int_equal(finding_severity(m, 1), 4);
	m[0] = (struct finding_meta){ "score", FINDING_META_STR, "65", 0 };
	assert_int_equal(finding_severity(m, 1), 2);
	m[0] = (struct finding_meta){ "score", FINDING_META_STR, "high-ish", 0 };
	assert_int_equal(finding_severity(m, 1), 2);
	/* severity wins over score */
	m[0] = (struct finding_meta){ "score", FINDING_META_INT, NULL, 90 };
	m[1] = (struct finding_meta){ "severity", FINDING_META_INT, NULL, 3 };
	assert_int_equal(finding_severity(m, 2), 3);
	m[1] = (struct finding_meta){ "severity", FINDING_META_STR, "Low", 0 };
	assert_int_equal(finding_severity(m, 2), 4);
	m[1] = (struct finding_meta){ "severity", FINDING_META_INT, NULL, 9 };
	assert_int_equal(finding_severity(m, 2), 4);
}

static void test_finding_json_is_bounded(void **state)
{
	static struct finding_match mt[40 * 10];
	static struct finding_meta meta[100];
	static char big[5000], ids[40][8], path[4097];
	static char buf[FINDING_JSON_MAX];
	struct finding fd;
	json_t *j, *fi, *me_;
	json_error_t je;
	char err[256];
	long n;

	(void)state;
	memset(big, 'v', sizeof(big) - 1);
	for (int i = 0; i < 40; i++) {
		snprintf(ids[i], sizeof(ids[i]), "$s%d", i);
		for (int k = 0; k < 10; k++)
			mt[i * 10 + k] = (struct finding_match){ ids[i], (uint64_t)k * 100, 5 };
	}
	for (int i = 0; i < 100; i++)
		meta[i] = (struct finding_meta){ i % 2 ? "k1" : "description", FINDING_META_STR, big, 0 };
	memset(path, '\x01', sizeof(path) - 1);   /* 6 bytes each when escaped */
	path[0] = '/';
	memset(&fd, 0, sizeof(fd));
	fd.rule = "R";
	fd.meta = meta;
	fd.nmeta = 100;
	fd.matches = mt;
	fd.nmatches = 400;
	fd.path = "/short";
	fd.sha256 = "00";
	n = finding_json(&fd, "h", 0, buf, sizeof(buf), err, sizeof(err));
	assert_true(n > 0 && n < FINDING_JSON_MAX);
	j = json_loads(buf, 0, &je);
	assert_non_null(j);
	fi = json_object_get(j, "finding");
	assert_null(json_object_get(fi, "truncated"));
	assert_int_equal(json_array_size(json_object_get(fi, "strings")),
			 FINDING_MAX_STRINGS * FINDING_MAX_MATCHES);
	assert_int_equal(json_integer_value(json_object_get(fi, "strings_truncated")),
			 400 - FINDING_MAX_STRINGS * FINDING_MAX_MATCHES);
	/* 100 values of 2 keys, 50 each: the first 32 of the first key kept, each
	 * cut to FINDING_META_VALUE_MAX; 68 left out; 32 + 68 counted */
	me_ = json_object_get(json_object_get(fi, "meta"), "description");
	assert_int_equal(json_array_size(me_), FINDING_MAX_META);
	assert_int_equal(strlen(json_string_value(json_array_get(me_, 0))), FINDING_META_VALUE_MAX);
	assert_null(json_object_get(json_object_get(fi, "meta"), "k1"));
	assert_int_equal(json_integer_value(json_object_get(fi, "meta_truncated")), 32 + 68);
	json_decref(j);

	/* meta values that escape to 6 KiB each and a path to 24 KiB: strings
	 * and meta go, the rest stays */
	memset(big, '\x02', sizeof(big) - 1);
	fd.path = path;
	n = finding_json(&fd, "h", 0, buf, sizeof(buf), err, sizeof(err));
	assert_true(n > 0 && n < FINDING_JSON_MAX);
	j = json_loads(buf, 0, &je);
	assert_non_null(j);
	fi = json_object_get(j, "finding");
	assert_true(json_is_true(json_object_get(fi, "truncated")));
	assert_string_equal(json_string_value(json_object_get(fi, "path")), path);
	assert_string_equal(json_string_value(json_object_get(fi, "rule")), "R");
	json_decref(j);

	/* too small for even the short form: an error, not a cut document */
	assert_int_equal(finding_json(&fd, "h", 0, buf, 100, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than"));
}

static void test_summary_event(void **state)
{
	struct fx *f = *state;
	struct scan_options o = opts(f);
	struct scan_summary s;
	struct rules *r = load_rules(f, "rule anything { condition: true }\n");
	static char buf[8192];
	json_t *j, *sc;
	json_error_t je;

	puts_(f, "a", "a");
	o.cpu_percent = 50;
	scan(f, r, &o, &s);
	assert_true(finding_summary_json(&s, "scheduled", "h", 0, buf, sizeof(buf), f->err,
					 sizeof(f->err)) > 0);
	j = json_loads(buf, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "event_type")), "scan_summary");
	sc = json_object_get(j, "scan");
	assert_string_equal(json_string_value(json_object_get(sc, "kind")), "scheduled");
	assert_string_equal(json_string_value(json_object_get(sc, "rules_version")),
			    rules_version(r));
	assert_int_equal(json_integer_value(json_object_get(sc, "scanned")), 1);
	assert_int_equal(json_integer_value(json_object_get(sc, "findings")), 1);
	assert_int_equal(json_integer_value(json_object_get(sc, "cpu_ceiling_percent")), 50);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sc, "skipped_by"),
							    "too-large")), 0);
	assert_true(json_is_number(json_object_get(sc, "cpu_percent")));
	json_decref(j);
	rules_unref(r);
}

/* ---- cache ---- */

static void test_cache_skips_unchanged_clean_files(void **state)
{
	struct fx *f = *state;
	struct scan_options o = opts(f);
	struct scan_summary s;
	struct rules *r = load_rules(f, "rule evil { strings: $a = \"EVIL\" condition: $a }\n");
	struct rules *r2;
	struct scache *c = scache_open(NULL, 0, f->err, sizeof(f->err));
	struct timespec ts[2];
	char p[128];

	assert_non_null(c);
	for (int i = 0; i < 20; i++) {
		char n[32];

		snprintf(n, sizeof(n), "clean%02d", i);
		puts_(f, n, "nothing to see");
	}
	puts_(f, "evil", "an EVIL file");
	o.cache = c;
	o.cache_settle_ms = 1;
	usleep(20000);
	scan(f, r, &o, &s);
	assert_int_equal(s.scanned, 21);
	assert_int_equal(s.cache_hits, 0);
	assert_int_equal(s.findings, 1);

	/* unchanged: not read again, but the match is reported again */
	scan(f, r, &o, &s);
	assert_int_equal(s.cache_hits, 20);
	assert_int_equal(s.scanned, 1);
	assert_int_equal(s.findings, 1);
	assert_true(saw(f->found, f->nfound, "evil %s/evil", f->tree));

	/* touched: a new mtime (and ctime) */
	snprintf(p, sizeof(p), "%s/clean03", f->tree);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 100;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	/* same mtime as before, other size */
	puts_(f, "clean04", "nothing to see!");
	usleep(20000);
	scan(f, r, &o, &s);
	assert_int_equal(s.cache_hits, 18);
	assert_int_equal(s.scanned, 3);

	/* a file turning bad is found at once */
	puts_(f, "clean05", "now EVIL too");
	usleep(20000);
	scan(f, r, &o, &s);
	assert_int_equal(s.findings, 2);
	assert_true(saw(f->found, f->nfound, "evil %s/clean05", f->tree));

	/* other rules: everything read again */
	r2 = load_rules(f, "rule evil2 { strings: $a = \"EVIL\" condition: $a }\n");
	scan(f, r2, &o, &s);
	assert_int_equal(s.cache_hits, 0);
	assert_int_equal(s.scanned, 21);
	scan(f, r2, &o, &s);
	assert_int_equal(s.cache_hits, 19);
	rules_unref(r2);
	scache_close(c);
	rules_unref(r);
}

static void test_cache_skips_files_changed_just_now(void **state)
{
	struct fx *f = *state;
	struct scan_options o = opts(f);
	struct scan_summary s;
	struct rules *r = load_rules(f, "rule evil { strings: $a = \"EVIL\" condition: $a }\n");
	struct scache *c = scache_open(NULL, 0, f->err, sizeof(f->err));

	puts_(f, "fresh", "clean");
	o.cache = c;   /* default settle: 2 s */
	scan(f, r, &o, &s);
	scan(f, r, &o, &s);
	assert_int_equal(s.cache_hits, 0);
	assert_int_equal(s.scanned, 1);
	scache_close(c);
	rules_unref(r);
}

/* ---- stopping, CPU ---- */

static void test_stop_ends_the_scan(void **state)
{
	struct fx *f = *state;
	struct scan_options o = opts(f);
	struct scan_summary s;
	struct rules *r = load_rules(f, "rule anything { condition: true }\n");
	const char *roots[1] = { f->tree };
	volatile int stop = 1;

	puts_(f, "a", "a");
	o.stop = &stop;
	assert_int_equal(scan_tree(r, roots, 1, &o, &s, f->err, sizeof(f->err)), 0);
	assert_true(s.stopped);
	assert_int_equal(s.scanned, 0);
	rules_unref(r);
}

/* Under a ceiling of N cores at most N files are scanned at once. */
static void test_ceiling_caps_the_workers(void **state)
{
	struct fx *f = *state;
	struct scan_options o = opts(f);
	struct scan_summary s;
	struct rules *r = load_rules(f, "rule anything { condition: true }\n");
	const char *roots[1] = { f->tree };

	puts_(f, "a", "a");
	o.threads = 4;
	o.cpu_percent = 25;
	assert_int_equal(scan_tree(r, roots, 1, &o, &s, f->err, sizeof(f->err)), 0);
	assert_int_equal(s.threads, 1);
	assert_int_equal(s.cpu_ceiling, 25);
	o.cpu_percent = 150;
	assert_int_equal(scan_tree(r, roots, 1, &o, &s, f->err, sizeof(f->err)), 0);
	assert_int_equal(s.threads, 2);
	o.cpu_percent = 0;
	assert_int_equal(scan_tree(r, roots, 1, &o, &s, f->err, sizeof(f->err)), 0);
	assert_int_equal(s.threads, 4);
	rules_unref(r);
}

static void burn(uint64_t ns)
{
	uint64_t t0 = duty_thread_cpu_ns();
	volatile uint64_t x = 0;

	while (duty_thread_cpu_ns() - t0 < ns)
		for (int i = 0; i < 1000; i++)
			x += (uint64_t)i;
}

static void test_duty_cycle_keeps_the_ceiling(void **state)
{
	struct duty d;
	struct duty_thread t;
	struct timespec a, b;
	double wall, cpu;
	uint64_t c0 = duty_thread_cpu_ns();

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	duty_init(&d, 25);
	duty_thread_start(&t);
	for (int i = 0; i < 60; i++) {
		burn(5000000);   /* 5 ms of CPU */
		duty_pace(&d, &t, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	wall = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	cpu = (double)(duty_thread_cpu_ns() - c0) / 1e9;
	/* 0.3 s of CPU at 25 %: about 1.2 s */
	assert_true(cpu >= 0.29);
	assert_true(cpu / wall <= 0.27);
	assert_true(cpu / wall >= 0.18);
	assert_true(duty_cpu_ns(&d) >= 290000000u);

	/* no ceiling: no sleeping */
	clock_gettime(CLOCK_MONOTONIC, &a);
	duty_init(&d, 0);
	duty_thread_start(&t);
	burn(100000000);
	duty_pace(&d, &t, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	wall = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	assert_true(wall < 0.5);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Time spent below the ceiling is not saved up for a burst: after 500 ms
 * idle, the first 150 ms at 25 % use about 25 % (the old whole-scan
 * average would have allowed 125 ms of CPU at once). */
static void test_duty_no_burst_after_idle(void **state)
{
	struct duty d;
	struct duty_thread t;
	struct timespec nap = { 0, 500000000 };
	uint64_t c0, w0, first = 0;

	(void)state;
	duty_init(&d, 25);
	duty_thread_start(&t);
	nanosleep(&nap, NULL);
	duty_thread_start(&t);
	c0 = duty_thread_cpu_ns();
	w0 = mono_ns();
	while (mono_ns() - w0 < 300000000u) {
		burn(5000000);
		duty_pace(&d, &t, NULL);
		if (first == 0 && mono_ns() - w0 >= 150000000u)
			first = duty_thread_cpu_ns() - c0;
	}
	/* 25 % of 150 ms, plus one period's credit (12.5 ms) and one chunk */
	if (first > 60000000u)
		fail_msg("%.1f ms of CPU in the first 150 ms at a 25 %% ceiling", (double)first / 1e6);
	assert_true(first >= 20000000u);
}

struct prio {
	int before, after, ioclass, rc;
};

static void *lower(void *arg)
{
	struct prio *p = arg;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	char err[128];
	long io;

	p->before = getpriority(PRIO_PROCESS, (id_t)tid);
	p->rc = duty_lower_priority(err, sizeof(err));
	p->after = getpriority(PRIO_PROCESS, (id_t)tid);
	io = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, tid);
	p->ioclass = io < 0 ? -1 : (int)(io >> 13);
	return NULL;
}

static void test_low_priority_applies_to_the_thread(void **state)
{
	struct prio p;
	pthread_t t;
	int mine = getpriority(PRIO_PROCESS, 0);

	(void)state;
	/* in a thread of its own: the rest of the process keeps its priority */
	assert_int_equal(pthread_create(&t, NULL, lower, &p), 0);
	pthread_join(t, NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.after, p.before + 10 > 19 ? 19 : p.before + 10);
	assert_int_equal(p.ioclass, 3);   /* IOPRIO_CLASS_IDLE */
	assert_int_equal(getpriority(PRIO_PROCESS, 0), mine);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filetype_and_extension_tables),
		cmocka_unit_test_setup_teardown(test_externals_are_set_per_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_reasons_are_counted_and_reported, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_root_symlink_is_followed_and_missing_root_vanished,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_vanishing_mid_scan_are_reported, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_single_files_in_the_callers_thread, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_finding_has_strings_hash_meta_severity, setup,
						teardown),
		cmocka_unit_test(test_severity_from_meta),
		cmocka_unit_test(test_finding_json_is_bounded),
		cmocka_unit_test_setup_teardown(test_summary_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_skips_unchanged_clean_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_skips_files_changed_just_now, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_ends_the_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ceiling_caps_the_workers, setup, teardown),
		cmocka_unit_test(test_duty_cycle_keeps_the_ceiling),
		cmocka_unit_test(test_duty_no_burst_after_idle),
		cmocka_unit_test(test_low_priority_applies_to_the_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
