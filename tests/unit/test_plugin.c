/*
 * test_plugin.c - unit tests of plugin checks (lib/plugin.c): output
 * and performance data as the Monitoring Plugins guidelines write them
 * (quoted labels, units, ranges, min/max, long output, bounds, garbage),
 * splitting a command, and running real commands: Debian's check_dummy
 * (when monitoring-plugins-basic is installed) for each exit status, a
 * missing command, a command killed at its timeout, and an unknown exit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "plugin.h"

#define OUT(s) plugin_parse_output((s), sizeof(s) - 1, &o)

static void test_parse(void **state)
{
	struct plugin_out o;

	(void)state;
	OUT("TCP OK - 0.001 second response time on 127.0.0.1 port 80|time=0.000512s;;;0.000000;10.000000\n");
	assert_string_equal(o.text, "TCP OK - 0.001 second response time on 127.0.0.1 port 80");
	assert_int_equal(o.n_perf, 1);
	assert_string_equal(o.perf[0].label, "time");
	assert_true(o.perf[0].value > 0.0005 && o.perf[0].value < 0.00052);
	assert_string_equal(o.perf[0].uom, "s");
	assert_true(o.perf[0].has_min && o.perf[0].has_max);
	assert_true(o.perf[0].max == 10.0);
	OUT("DISK WARNING - free space: / 3326 MB (56%); | '/ used'=2643MB;4000;4500;0;6000 'in odes'=5%;80:;90:\n"
	    "long output line one\nline two | extra=1c;;;;\n");
	assert_string_equal(o.text, "DISK WARNING - free space: / 3326 MB (56%);");
	assert_int_equal(o.n_perf, 3);
	assert_string_equal(o.perf[0].label, "/ used");
	assert_string_equal(o.perf[0].uom, "MB");
	assert_string_equal(o.perf[0].warn, "4000");
	assert_string_equal(o.perf[0].crit, "4500");
	assert_string_equal(o.perf[1].label, "in odes");
	assert_string_equal(o.perf[1].warn, "80:");
	assert_string_equal(o.perf[2].label, "extra");
	assert_string_equal(o.perf[2].uom, "c");
	/* malformed items are counted, not kept */
	OUT("OK|=1 a= b=x c=1;;;x 'd=2 e=3");
	assert_int_equal(o.n_perf, 0);
	assert_true(o.perf_dropped >= 4);
	/* control bytes and NULs are not copied */
	OUT("OK \x01with\x00 control\t bytes");
	assert_string_equal(o.text, "OK with control  bytes");
	/* more items than the bound */
	char many[2048];
	size_t n = (size_t)snprintf(many, sizeof(many), "OK|");
	for (int i = 0; i < PLUGIN_PERF_MAX + 4; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "m%d=%d ", i, i);
	plugin_parse_output(many, n, &o);
	assert_int_equal(o.n_perf, PLUGIN_PERF_MAX);
	assert_int_equal(o.perf_dropped, 4);
	plugin_parse_output("", 0, &o);
	assert_string_equal(o.text, "");
}

static void test_split(void **state)
{
	struct plugin_cmd c;
	char why[128];

	(void)state;
	assert_int_equal(plugin_cmd_split(&c, "  /usr/lib/nagios/plugins/check_tcp -H 127.0.0.1\t-p 80 ",
					  why, sizeof(why)), 0);
	assert_string_equal(c.argv[0], "/usr/lib/nagios/plugins/check_tcp");
	assert_string_equal(c.argv[4], "80");
	assert_null(c.argv[5]);
	plugin_cmd_free(&c);
	assert_int_equal(plugin_cmd_split(&c, "check_tcp -H x", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "absolute path"));
	assert_int_equal(plugin_cmd_split(&c, "   ", why, sizeof(why)), -1);
	char big[1024];
	size_t n = (size_t)snprintf(big, sizeof(big), "/bin/true");
	for (int i = 0; i < PLUGIN_ARGS_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, " a");
	assert_int_equal(plugin_cmd_split(&c, big, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "more than"));
}

static void run(const char *cmd, unsigned timeout, struct probe_result *r)
{
	struct plugin_cmd c;
	char why[128];

	assert_int_equal(plugin_cmd_split(&c, cmd, why, sizeof(why)), 0);
	plugin_run(&c, "t", timeout, r);
	plugin_cmd_free(&c);
}

static void test_run(void **state)
{
	static const char dummy[] = "/usr/lib/nagios/plugins/check_dummy";
	struct probe_result r;
	char cmd[256];

	(void)state;
	plugin_run(NULL, "nothing", 5, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_string_equal(r.output, "UNKNOWN - no command for plugin \"nothing\" in console.conf");
	run("/nonexistent/check_x", 5, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_non_null(strstr(r.output, "cannot run /nonexistent/check_x"));
	run("/bin/sleep 10", 1, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_non_null(strstr(r.output, "timed out after 1s"));
	assert_true(r.ms >= 1000 && r.ms < 3000);
	run("/bin/sh -c exit${IFS}7", 5, &r);
	assert_int_equal(r.state, PROBE_UNKNOWN);
	assert_non_null(strstr(r.output, "exited with 7"));
	if (access(dummy, X_OK) != 0) {
		print_message("(check_dummy not installed: monitoring-plugins-basic)\n");
		return;
	}
	for (int s = 0; s <= 3; s++) {
		snprintf(cmd, sizeof(cmd), "%s %d from-dummy", dummy, s);
		run(cmd, 5, &r);
		assert_int_equal(r.state, s);
		assert_non_null(strstr(r.output, "from-dummy"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
