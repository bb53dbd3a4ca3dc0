/*
 * test_nftgen.c - unit tests of the policy-to-nftables compiler
 * (daemon/nftgen.c): the script for a sample policy, line by line where it
 * matters, and, when nft is installed and we are root, every script checked
 * with `nft -c -f` and loaded for real in a throwaway network namespace,
 * twice (a reload keeps the elements of the sets).
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

#include "conf.h"
#include "nftgen.h"

static struct kastrod_conf c;
static char err[8192];

static const char sample[] =
	"interface lan { device \"eth1\" networks { 10.10.0.0/16 fd00:10::/64 } }\n"
	"interface dmz { device \"eth2\"; networks 10.20.0.0/24 }\n"
	"interface wan { device \"eth0\" }\n"
	"interface guests { networks 192.168.50.0/24 }\n"
	"console 10.20.0.5\n"
	"service \"e-payments\" { address 10.20.0.15 ports tcp 443 owner \"finance\" }\n"
	"service \"dns\" { address { 10.20.0.2 fd00:20::2 } ports udp 53 ports tcp { 53 8000-8100 } }\n"
	"table <admins> { 10.10.1.0/24 10.10.1.7 fd00:10::1 }\n"
	"table <feeds> file \"/var/lib/kastro/feeds/blocklist.netset\"\n"
	"default block log\n"
	"block log severity 1 from <feeds>\n"
	"pass from lan to any port { 53 80 443 }\n"
	"pass from wan to service \"e-payments\"\n"
	"pass from { lan !10.10.1.66 } to service \"dns\"\n"
	"pass proto icmp from <admins> to dmz\n"
	"pass proto { tcp udp } from !<admins> to { dmz fd00:30::/64 } port 22\n"
	"pass from guests to wan\n"
	"block from 10.0.0.0/8 to { fd00::/8 10.30.0.0/16 }\n"
	"block app { BitTorrent Tor } log severity 2\n";

static char *script(const char *text)
{
	char *s;

	conf_free(&c);
	conf_defaults(&c);
	if (conf_load_buffer("n.conf", text, strlen(text), &c, err, sizeof(err)) < 0)
		fail_msg("rejected: %s", err);
	assert_int_equal(nftgen_script(&c, &s, err, sizeof(err)), 0);
	return s;
}

static void has(const char *s, const char *line)
{
	if (strstr(s, line) == NULL)
		fail_msg("script lacks:\n%s\n---- script:\n%s", line, s);
}

static bool can_run_nft(void)
{
	return geteuid() == 0 && system("nft --version >/dev/null 2>&1") == 0 &&
	       system("ip -V >/dev/null 2>&1") == 0;
}

/* nft -c -f, then a load in a new namespace, twice, with set elements kept. */
static void load_for_real(const char *s)
{
	char file[] = "/tmp/test_nftgen.XXXXXX", cmd[1024], ns[64];
	FILE *f;
	int fd;

	if (!can_run_nft()) {
		printf("(not root or no nft: script not loaded)\n");
		return;
	}
	fd = mkstemp(file);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(s, f);
	fclose(f);
	snprintf(ns, sizeof(ns), "kastro-nftgen-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "nft -c -f %s", file);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "ip netns add %s && ip netns exec %s nft -f %s && "
		 "ip netns exec %s nft add element inet kastro quarantine4 '{ 10.10.0.9 }' && "
		 "ip netns exec %s nft -f %s && "
		 "ip netns exec %s nft list set inet kastro quarantine4 | grep -q 10.10.0.9",
		 ns, ns, file, ns, ns, file, ns);
	fd = system(cmd);
	snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", ns);
	if (system(cmd) != 0)
		printf("(could not delete namespace %s)\n", ns);
	unlink(file);
	assert_int_equal(fd, 0);
}

static void test_sample(void **state)
{
	char *s;

	(void)state;
	s = script(sample);
	has(s, "table inet kastro {\n");
	has(s, "\tset quarantine4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t}\n");
	has(s, "\tset quarantine6 {\n\t\ttype ipv6_addr\n\t\tflags timeout\n\t}\n");
	has(s, "\tset t_admins_4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tauto-merge\n"
	       "\t\telements = { 10.10.1.0/24, 10.10.1.7 }\n\t}\n");
	has(s, "\tset t_admins_6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\tauto-merge\n"
	       "\t\telements = { fd00:10::1 }\n\t}\n");
	has(s, "\tset t_feeds_4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
	       "\t\t# filled by kastrod from /var/lib/kastro/feeds/blocklist.netset\n\t}\n");
	has(s, "\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n"
	       "\t\tip saddr @quarantine4 ip daddr != 10.20.0.5 counter drop\n"
	       "\t\tip6 saddr @quarantine6 counter drop\n\t}\n");
	/* the fixed head of forward, in order */
	has(s, "\t\ttype filter hook forward priority filter; policy drop;\n"
	       "\t\tip saddr @quarantine4 ip daddr != 10.20.0.5 counter drop\n"
	       "\t\tip daddr @quarantine4 ip saddr != 10.20.0.5 counter drop\n"
	       "\t\tip6 saddr @quarantine6 counter drop\n"
	       "\t\tip6 daddr @quarantine6 counter drop\n"
	       "\t\tct state established,related accept\n"
	       "\t\tct state invalid drop\n"
	       "\t\t# rule 1 (n.conf:11): block log severity 1 from <feeds>\n"
	       "\t\tip saddr @t_feeds_4 counter log prefix \"kastro rule 1: \" level crit drop\n"
	       "\t\tip6 saddr @t_feeds_6 counter log prefix \"kastro rule 1: \" level crit drop\n");
	has(s, "\t\tiifname \"eth1\" meta l4proto { tcp, udp } th dport { 53, 80, 443 } counter accept\n");
	has(s, "\t\tiifname \"eth0\" ip daddr 10.20.0.15 meta l4proto . th dport { tcp . 443 } "
	       "counter accept\n");
	/* a negated address applies to its family only */
	has(s, "\t\tiifname \"eth1\" ip saddr != 10.10.1.66 ip daddr 10.20.0.2 meta l4proto . "
	       "th dport { udp . 53, tcp . 53, tcp . 8000-8100 } counter accept\n"
	       "\t\tiifname \"eth1\" ip6 daddr fd00:20::2 meta l4proto . th dport "
	       "{ udp . 53, tcp . 53, tcp . 8000-8100 } counter accept\n");
	has(s, "\t\tip saddr @t_admins_4 oifname \"eth2\" meta l4proto icmp counter accept\n");
	/* a rule for both families with a negated table is split per family */
	has(s, "\t\tmeta nfproto ipv4 ip saddr != @t_admins_4 oifname \"eth2\" meta l4proto "
	       "{ tcp, udp } th dport 22 counter accept\n"
	       "\t\tmeta nfproto ipv6 ip6 saddr != @t_admins_6 oifname \"eth2\" meta l4proto "
	       "{ tcp, udp } th dport 22 counter accept\n"
	       "\t\tip6 saddr != @t_admins_6 ip6 daddr fd00:30::/64 meta l4proto { tcp, udp } "
	       "th dport 22 counter accept\n");
	/* a zone without a device is its networks */
	has(s, "\t\tip saddr 192.168.50.0/24 oifname \"eth0\" counter accept\n");
	/* of a mixed list, only the alternatives of the source's family */
	has(s, "\t\t# rule 8 (n.conf:18): block from 10.0.0.0/8 to { fd00::/8 10.30.0.0/16 }\n"
	       "\t\tip saddr 10.0.0.0/8 ip daddr 10.30.0.0/16 counter drop\n");
	/* DPI rules are comments in forward; the default ends the chain */
	has(s, "\t\t# rule 9 (n.conf:19), decided by kastrod on classified flows: "
	       "block log severity 2 app { BitTorrent Tor }\n"
	       "\t\t# default\n"
	       "\t\tcounter log prefix \"kastro default: \" level warn drop\n\t}\n");
	/* inline: what a DPI rule could match is queued until the verdict */
	has(s, "\tchain inline_gate {\n"
	       "\t\ttype filter hook forward priority filter + 10; policy accept;\n"
	       "\t\t# the queue rules and the relay read how it fails from the packet mark\n"
	       "\t\tct mark & 0xb0000000 == 0xb0000000 meta mark set meta mark | 0x80000000 "
	       "goto inline_queue\n"
	       "\t\tct mark & 0x30000000 == 0x30000000 goto inline_queue\n");
	has(s, "\tchain inline_sel {\n"
	       "\t\t# rule 9: the connections it could match\n"
	       "\t\tcounter goto inline_new\n"
	       "\t\t# no DPI rule can match: passed, never queued\n"
	       "\t\tct mark set ct mark & 0x0fffffff | 0x50000000\n\t}\n");
	has(s, "\tchain inline_new {\n\t\tct mark set ct mark & 0x0fffffff | 0x30000000\n"
	       "\t\tgoto inline_queue\n\t}\n");
	has(s, "\tchain inline_new_open {\n\t\tct mark set ct mark & 0x0fffffff | 0xb0000000\n"
	       "\t\tmeta mark set meta mark | 0x80000000\n"
	       "\t\tgoto inline_queue\n\t}\n");
	/* the queue rules are kastrod's (libnftnl): the chain has no rule in the text */
	has(s, "\tchain inline_queue {\n"
	       "\t\t# the queue rules (NFQUEUE 7100; with bypass for packets marked\n"
	       "\t\t# 0x80000000, failing open): kastrod writes them through\n"
	       "\t\t# libnftnl before this ruleset, which leaves them in place\n"
	       "\t}\n");
	has(s, "\t\ttype filter hook forward priority filter + 20; policy accept;\n"
	       "\t\t# most packets: connections judged pass, nothing to do\n"
	       "\t\tct mark & 0x30000000 == 0x10000000 accept\n"
	       "\t\tct mark & 0x30000000 == 0x30000000 meta mark & 0x30000000 == 0x20000000 "
	       "ct mark set ct mark & 0xcfffffff | 0x20000000\n");
	has(s, "\t\tct mark & 0x30000000 == 0x20000000 meta l4proto tcp counter reject with tcp reset\n"
	       "\t\tct mark & 0x30000000 == 0x20000000 counter reject with icmpx port-unreachable\n"
	       "\t}\n"
	       "\n\tchain self_in {\n");
	load_for_real(s);
	free(s);
}

static void test_block_return(void **state)
{
	char *s;

	(void)state;
	s = script("interface lan { device \"eth1\" }\n"
		   "block return proto { tcp udp } from lan port 8080\n"
		   "block from lan port 8081\n");
	has(s, "\t\tiifname \"eth1\" meta l4proto { tcp, udp } th dport 8080 meta l4proto tcp "
	       "counter reject with tcp reset\n"
	       "\t\tiifname \"eth1\" meta l4proto { tcp, udp } th dport 8080 counter "
	       "reject with icmpx port-unreachable\n");
	has(s, "\t\tiifname \"eth1\" meta l4proto { tcp, udp } th dport 8081 counter drop\n");
	/* no DPI rule: no inline chains */
	assert_null(strstr(s, "inline_gate"));
	load_for_real(s);
	free(s);
}

static void test_no_policy(void **state)
{
	char *s;

	(void)state;
	s = script("flows { max 100 }");
	has(s, "policy accept;\n");
	has(s, "\t\t# default\n\t\tcounter accept\n\t}\n}\n");
	load_for_real(s);
	free(s);
}

static void test_shipped_policy(void **state)
{
	char *s;

	(void)state;
	conf_free(&c);
	conf_defaults(&c);
	if (conf_load("rules/kastro.conf", &c, err, sizeof(err)) < 0 &&
	    conf_load("../rules/kastro.conf", &c, err, sizeof(err)) < 0) {
		printf("(rules/kastro.conf not found from here: skipped)\n");
		return;
	}
	assert_int_equal(nftgen_script(&c, &s, err, sizeof(err)), 0);
	has(s, "policy drop;");
	load_for_real(s);
	free(s);
}

static void test_set_name(void **state)
{
	struct pol_table t = { .name = "feeds" };
	char n[16];

	(void)state;
	assert_int_equal(nftgen_set_name(&t, 6, n, sizeof(n)), 0);
	assert_string_equal(n, "t_feeds_6");
	assert_int_equal(nftgen_set_name(&t, 4, n, 9), -1);
}

static int teardown(void **state)
{
	(void)state;
	conf_free(&c);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_block_return),
		cmocka_unit_test(test_no_policy),
		cmocka_unit_test(test_shipped_policy),
		cmocka_unit_test(test_set_name),
	};

	conf_defaults(&c);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
