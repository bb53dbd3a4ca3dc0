/*
 * test_invpush.c - unit tests of the inventory a console pushes to a
 * gateway, on the gateway's side: `inventory from console "COPY" fallback
 * "FILE"` in kastrod.conf (daemon/conf_inv.c), the candidate a reload
 * tries, the text kept by the parent (daemon/invstore.c), the command's
 * args (daemon/linkinv.c), and the text lib/inventory keeps for pushing.
 *
 * Files go to a fresh directory under $TMPDIR (or /tmp), removed at the end.
 */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "testfs.h"

#include "cconf.h"
#include "conf.h"
#include "inventory.h"
#include "invstore.h"
#include "linkinv.h"
#include "policy.h"

static char dir[256], path[PATH_MAX + 64];
static struct kastrod_conf c;
static char err[8192];

#define SEED "service \"web\" { address 10.20.0.99 ports tcp 80 }\n"
#define PUSHED "service \"db\" { address 10.20.0.40 }\n" \
	       "service \"web\" { address 10.20.0.2 ports tcp 80 depends \"db\" synproxy\n" \
	       "  check http \"http://10.20.0.2/\" every 30s }\n"

static const char *in_dir(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(in_dir(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/kastro-invpush.XXXXXX", t != NULL ? t : "/tmp");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	conf_free(&c);
	return testfs_rm_tree(dir);
}

/* Load kastrod.conf text (written as DIR/k.conf) with an optional candidate. */
static int load(const char *text, const char *candidate)
{
	char k[PATH_MAX + 64];

	put("k.conf", text);
	snprintf(k, sizeof(k), "%.4000s", in_dir("k.conf"));
	conf_free(&c);
	conf_defaults(&c);
	if (candidate != NULL)
		snprintf(c.inv.candidate, sizeof(c.inv.candidate), "%.4000s", in_dir(candidate));
	return conf_load(k, &c, err, sizeof(err));
}

static void sha_of(const char *text, char out[65])
{
	struct inventory *inv = inv_new();
	char e[512];
	FILE *f;
	char cmd[PATH_MAX + 128];

	assert_non_null(inv);
	assert_int_equal(inv_load_buffer("x", text, strlen(text), inv, e, sizeof(e)), 0);
	/* the blocks as kept for pushing are the text itself (one block a line) */
	put("sha.in", inv->src);
	snprintf(cmd, sizeof(cmd), "sha256sum < '%s'", in_dir("sha.in"));
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, 65, f));
	pclose(f);
	inv_free(inv);
}

#define CONF_HEAD "inventory from console \"copy.conf\" fallback \"seed.conf\"\n"
#define CONF_RULE "pass from any to service \"web\"\n"

static void test_fallback_copy_candidate(void **state)
{
	char want[65];

	(void)state;
	put("seed.conf", SEED);
	/* no copy yet: the fallback */
	assert_int_equal(load(CONF_HEAD CONF_RULE, NULL), 0);
	assert_string_equal(c.inv.source, "fallback");
	assert_true(c.inv.from_console);
	assert_string_equal(c.inv.copy, in_dir("copy.conf"));
	assert_int_equal(c.policy->n_services, 1);
	assert_int_equal(c.policy->services[0].addrs[0].addr[3], 99);
	/* a copy: it, with its hash and time */
	put("copy.conf", PUSHED);
	assert_int_equal(load(CONF_HEAD CONF_RULE, NULL), 0);
	assert_string_equal(c.inv.source, "console");
	assert_string_equal(c.inv.path, in_dir("copy.conf"));
	assert_int_equal(c.policy->n_services, 2);
	assert_true(c.policy->services[1].synproxy);
	sha_of(PUSHED, want);
	assert_string_equal(c.inv.sha256, want);
	assert_true(c.inv.mtime > 0);
	/* a candidate wins over the copy, and is reported as the copy */
	put("cand.conf", SEED);
	assert_int_equal(load(CONF_HEAD CONF_RULE, "cand.conf"), 0);
	assert_int_equal(c.policy->n_services, 1);
	assert_string_equal(c.inv.path, in_dir("copy.conf"));
	assert_string_equal(c.inv.candidate, "");
	/* a candidate the rules cannot take fails the load */
	put("cand.conf", "service \"website\" { address 10.20.0.2 }\n");
	assert_int_equal(load(CONF_HEAD CONF_RULE, "cand.conf"), -1);
	assert_non_null(strstr(err, "unknown service \"web\""));
	/* no fallback and no copy: no services */
	unlink(in_dir("copy.conf"));
	assert_int_equal(load("inventory from console \"copy.conf\"\n", NULL), 0);
	assert_string_equal(c.inv.source, "none");
}

static void test_local_blocks(void **state)
{
	char want[65];

	(void)state;
	assert_int_equal(load(SEED CONF_RULE, NULL), 0);
	assert_string_equal(c.inv.source, "local");
	assert_false(c.inv.from_console);
	sha_of(SEED, want);
	assert_string_equal(c.inv.sha256, want);
	assert_int_equal(load("default block\n", NULL), 0);
	assert_string_equal(c.inv.source, "none");
}

static void test_errors(void **state)
{
	(void)state;
	put("seed.conf", SEED);
	/* blocks and the statement do not mix, either way round */
	assert_int_equal(load(CONF_HEAD SEED, NULL), -1);
	assert_non_null(strstr(err, "k.conf:2:1: a `service` block after `inventory from console`"));
	assert_int_equal(load(SEED CONF_HEAD, NULL), -1);
	assert_non_null(strstr(err, "k.conf:2:24: `inventory from console` after `service` "
				    "blocks (the first at"));
	assert_int_equal(load(CONF_HEAD CONF_HEAD, NULL), -1);
	assert_non_null(strstr(err, "is given twice"));
	/* the pushed text is service blocks only: no include */
	put("copy.conf", "include \"seed.conf\"\n");
	assert_int_equal(load(CONF_HEAD, NULL), -1);
	assert_non_null(strstr(err, "k.conf:1:24: the inventory from the console: "));
	assert_non_null(strstr(err, "copy.conf:1:1: include is not allowed here"));
	unlink(in_dir("copy.conf"));
	/* a fallback that does not parse: where */
	put("seed.conf", "service \"web\" { adress 10.0.0.1 }\n");
	assert_int_equal(load(CONF_HEAD, NULL), -1);
	assert_non_null(strstr(err, "k.conf:1:45: the inventory file: "));
	assert_non_null(strstr(err, "seed.conf:1:17: unexpected 'adress'"));
}

static void test_invstore(void **state)
{
	char *text = NULL, want[65];
	size_t len = 0;
	struct stat sb;
	int fd;

	(void)state;
	sha_of(PUSHED, want);
	fd = memfd_create("t", 0);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, PUSHED, strlen(PUSHED)), (ssize_t)strlen(PUSHED));
	assert_int_equal(invstore_read_fd(fd, strlen(PUSHED), want, &text, &len, err, sizeof(err)), 0);
	assert_int_equal(len, strlen(PUSHED));
	assert_memory_equal(text, PUSHED, len);
	assert_int_equal(invstore_write(in_dir("kept.conf"), text, len, err, sizeof(err)), 0);
	assert_int_equal(stat(in_dir("kept.conf"), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	assert_int_equal(sb.st_size, (off_t)len);
	free(text);
	/* a size that does not match what is there, or another hash: refused */
	assert_int_equal(invstore_read_fd(fd, strlen(PUSHED) + 1, want, &text, &len, err,
					  sizeof(err)), -1);
	assert_null(text);
	want[0] = want[0] == '0' ? '1' : '0';
	assert_int_equal(invstore_read_fd(fd, strlen(PUSHED), want, &text, &len, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "does not hash to"));
	assert_int_equal(invstore_read_fd(fd, INV_SRC_MAX + 1ull, want, &text, &len, err,
					  sizeof(err)), -1);
	assert_non_null(strstr(err, "over the 1048576 a gateway takes"));
	close(fd);
}

static void test_args(void **state)
{
	char sha[65];
	uint64_t size;
	json_t *a;

	(void)state;
	a = json_pack("{s:s, s:i}", "sha256",
		      "de7800b6b99ffc8c9040ec720f7b7fb666de2ddbe7254a984fcb2de669b3a4bd", "size", 120);
	assert_int_equal(linkinv_args(a, sha, &size, err, sizeof(err)), 0);
	assert_int_equal(size, 120);
	json_decref(a);
	a = json_pack("{s:s, s:i}", "sha256", "DE7800", "size", 120);
	assert_int_equal(linkinv_args(a, sha, &size, err, sizeof(err)), -1);
	json_decref(a);
	a = json_pack("{s:s, s:I}", "sha256",
		      "de7800b6b99ffc8c9040ec720f7b7fb666de2ddbe7254a984fcb2de669b3a4bd", "size",
		      (json_int_t)INV_SRC_MAX + 1);
	assert_int_equal(linkinv_args(a, sha, &size, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the largest inventory a gateway takes"));
	json_decref(a);
	assert_int_equal(linkinv_args(NULL, sha, &size, err, sizeof(err)), -1);
}

/* The console's text: the blocks as written, bounded. */
static void test_src(void **state)
{
	static const char text[] = "# a comment\nservice \"a\" { address 10.0.0.1 }  # after\n\n"
				   "service \"b\" {\n\taddress 10.0.0.2 # inside\n}\n";
	struct inventory *inv = inv_new();
	char *big;
	size_t n = 0;

	(void)state;
	assert_int_equal(inv_load_buffer("s", text, strlen(text), inv, err, sizeof(err)), 0);
	assert_string_equal(inv->src, "service \"a\" { address 10.0.0.1 }\n"
				      "service \"b\" {\n\taddress 10.0.0.2 # inside\n}\n");
	assert_false(inv->src_over);
	inv_free(inv);
	/* past INV_SRC_MAX: marked, not pushed (the load itself is fine) */
	big = malloc(2 * INV_SRC_MAX);
	assert_non_null(big);
	for (int i = 0; n < INV_SRC_MAX + 4096; i++) {
		n += (size_t)sprintf(big + n, "service \"s%d\" { address 10.0.0.1\n", i);
		for (int k = 0; k < 16; k++)
			n += (size_t)sprintf(big + n, "  check http \"http://10.0.0.1/%d\" keyword "
					     "\"%0480d\"\n", k, 0);
		n += (size_t)sprintf(big + n, "}\n");
	}
	inv = inv_new();
	if (inv_load_buffer("s", big, n, inv, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(inv->src_over);
	assert_true(inv->src_len <= INV_SRC_MAX);
	inv_free(inv);
	free(big);
}

/*
 * The shipped files: kastro.conf (with kavala-services.conf) loads in
 * kastrod, the same inventory in the console, both with the appliance's
 * own services and the console's checks of them.
 */
static void test_shipped_files(void **state)
{
	static struct console_conf cc;
	const struct inv_service *s;
	char cwd[PATH_MAX], text[PATH_MAX * 2];
	size_t i;

	(void)state;
	conf_free(&c);
	conf_defaults(&c);
	if (conf_load("rules/kastro.conf", &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(c.inv.source, "local");
	for (i = 0; i < c.policy->n_services; i++)
		if (strcmp(c.policy->services[i].name, "kastro-gateway") == 0)
			break;
	assert_true(i < c.policy->n_services);
	assert_int_equal(c.policy->services[i].n_addrs, 2);

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(text, sizeof(text), "data \"%s\"\ninclude \"%.4000s/rules/kavala-services.conf\"\n",
		 dir, cwd);
	put("console.conf", text);
	cconf_defaults(&cc);
	if (cconf_load(in_dir("console.conf"), &cc, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(cc.inv->n, 16);
	s = inv_find(cc.inv, "kastro-console");
	assert_non_null(s);
	assert_int_equal(s->n_checks, 2);
	assert_int_equal(s->checks[0].kind, INV_CHK_HTTPS);
	assert_int_equal(s->checks[1].kind, INV_CHK_TLS);
	assert_int_equal(s->checks[1].port, 7443);
	assert_int_equal(s->crit, INV_CRIT_CRITICAL);
	s = inv_find(cc.inv, "kastro-gateway");
	assert_non_null(s);
	assert_int_equal(s->checks[0].kind, INV_CHK_ICMP);
	s = inv_find(cc.inv, "backup-host");
	assert_non_null(s);
	assert_int_equal(s->checks[0].kind, INV_CHK_TCP);
	cconf_free(&cc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fallback_copy_candidate),
		cmocka_unit_test(test_local_blocks),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_invstore),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_src),
		cmocka_unit_test(test_shipped_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
