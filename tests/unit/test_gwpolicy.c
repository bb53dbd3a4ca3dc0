/*
 * test_gwpolicy.c - unit tests of the gateway's own part of the policy
 * (daemon/policy_gw.c and its rules in nftgen.c): `to self` rules and the
 * self_in chain with its implicit passes, `dhcp` zones, `nat` and `rdr`
 * statements and their nftables rules, every error they give (with
 * file:line:col), rules whose sides can never share an address family,
 * and the management check of kastrod -n. When nft is installed and we
 * are root, the scripts are checked with `nft -c -f`.
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
#include "policy.h"
#include "polstats.h"

static struct kastrod_conf c;
static char err[8192];

static const char zones[] =
	"interface wan { device \"eth0\" dhcp }\n"
	"interface lan { device \"eth1\" networks { 10.10.0.0/16 fd00:10::/64 } }\n"
	"interface dmz { device \"eth2\"; networks { 10.20.0.0/24 fd00:20::/64 } }\n"
	"interface v6only { networks fd00:30::/64 }\n"
	"service \"e-payments\" { address { 10.20.0.15 fd00:20::15 } ports tcp 443 }\n"
	"service \"web\" { address 10.20.0.16 ports tcp { 80 443 } }\n"
	"service \"two\" { address { 10.20.0.17 10.20.0.18 } ports tcp 80 }\n"
	"table <admins> { 10.10.1.0/24 fd00:10::1 }\n";

static int parse(const char *text)
{
	char buf[8192];

	snprintf(buf, sizeof(buf), "%s%s", zones, text);
	conf_free(&c);
	conf_defaults(&c);
	return conf_load_buffer("g.conf", buf, strlen(buf), &c, err, sizeof(err));
}

#include "cfgcheck.h"

static char *script(const char *text)
{
	char *s;

	ok(text);
	assert_int_equal(nftgen_script(&c, &s, err, sizeof(err)), 0);
	return s;
}

static void has(const char *s, const char *line)
{
	if (strstr(s, line) == NULL)
		fail_msg("script lacks:\n%s\n---- script:\n%s", line, s);
}

static void lacks(const char *s, const char *line)
{
	if (strstr(s, line) != NULL)
		fail_msg("script has:\n%s\n---- script:\n%s", line, s);
}

/* nft -c -f on the script, when we can. */
static void nft_check(const char *s)
{
	char file[] = "/tmp/test_gwpolicy.XXXXXX", cmd[256];
	FILE *f;
	int fd, rc;

	if (geteuid() != 0 || system("nft --version >/dev/null 2>&1") != 0) {
		printf("(not root or no nft: script not checked)\n");
		return;
	}
	fd = mkstemp(file);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(s, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "nft -c -f %s", file);
	rc = system(cmd);
	unlink(file);
	assert_int_equal(rc, 0);
}

static void test_self(void **state)
{
	char *s;

	(void)state;
	s = script("default block log\n"
		   "pass log proto tcp from <admins> to self port 22\n"
		   "pass proto { icmp icmpv6 } from lan to self\n"
		   "pass from lan to wan\n");
	assert_true(c.policy->rules[0].self);
	assert_string_equal(c.policy->rules[0].text,
			    "pass log proto tcp from <admins> to self port 22");
	has(s, "\tchain self_in {\n"
	       "\t\ttype filter hook input priority filter + 10; policy drop;\n"
	       "\t\t# implicit: loopback, replies, IPv6 neighbour discovery, ICMP errors\n"
	       "\t\tiif \"lo\" accept\n"
	       "\t\tct state established,related accept\n"
	       "\t\tct state invalid counter drop\n");
	has(s, "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, "
	       "nd-router-advert, nd-redirect } ip6 hoplimit 255 accept\n"
	       "\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, "
	       "parameter-problem } accept\n"
	       "\t\ticmp type { destination-unreachable, time-exceeded, parameter-problem } accept\n");
	/* DHCP only on the zone that uses it */
	has(s, "\t\t# zone wan: the gateway's address comes by DHCP\n"
	       "\t\tiifname \"eth0\" udp sport 67 udp dport 68 accept\n"
	       "\t\tiifname \"eth0\" ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept\n");
	lacks(s, "iifname \"eth1\" udp sport 67");
	has(s, "\t\t# rule 1 (g.conf:10): pass log proto tcp from <admins> to self port 22\n"
	       "\t\tip saddr @t_admins_4 meta l4proto tcp th dport 22 counter log prefix "
	       "\"kastro rule 1: \" level warn accept\n"
	       "\t\tip6 saddr @t_admins_6 meta l4proto tcp th dport 22 counter log prefix "
	       "\"kastro rule 1: \" level warn accept\n"
	       "\t\t# rule 2 (g.conf:11): pass proto { icmp icmpv6 } from lan to self\n"
	       "\t\tiifname \"eth1\" meta l4proto { icmp, ipv6-icmp } counter accept\n"
	       "\t\t# everything else to the gateway: the default\n"
	       "\t\tcounter log prefix \"kastro self: \" level warn drop comment "
	       "\"kastro self default\"\n\t}\n");
	/* self rules are not in forward */
	has(s, "\t\t# rule 3 (g.conf:12): pass from lan to wan\n"
	       "\t\tiifname \"eth1\" oifname \"eth0\" counter accept\n");
	lacks(s, "\t\t# rule 1 (g.conf:10): pass log proto tcp from <admins> to self port 22\n"
		 "\t\t# rule 2");
	assert_true(policy_gw_manageable(c.policy));
	nft_check(s);
	free(s);

	/* default pass: what no rule names reaches the gateway too */
	s = script("pass proto tcp from lan to self port 8080\n");
	has(s, "\t\ttype filter hook input priority filter + 10; policy accept;\n");
	has(s, "\t\tcounter accept comment \"kastro self default\"\n");
	assert_true(policy_gw_manageable(c.policy));
	nft_check(s);
	free(s);
}

static void test_manageable(void **state)
{
	(void)state;
	ok("default block\npass proto udp from lan to self port 22\n");
	assert_false(policy_gw_manageable(c.policy));
	ok("default block\npass proto tcp from lan to lan port 22\n");
	assert_false(policy_gw_manageable(c.policy));
	ok("default block\nblock proto tcp from lan to self port 22\n");
	assert_false(policy_gw_manageable(c.policy));
	ok("default block\npass from <admins> to self\n");
	assert_true(policy_gw_manageable(c.policy));
	ok("default block\npass proto tcp from lan to self port 20-30\n");
	assert_true(policy_gw_manageable(c.policy));
	assert_true(policy_gw_manageable(NULL));
}

static void test_self_errors(void **state)
{
	(void)state;
	fails_first("pass from self\n",
		    "g.conf:9:11: 'self' as a source: what the gateway itself sends is "
		    "not filtered, expected 'self' after 'to'");
	fails_first("pass to !self\n",
		    "g.conf:9:10: '!self' is not supported, expected 'to self' or a zone, "
		    "address, table or service");
	fails_first("pass from lan to { self dmz }\n",
		    "g.conf:9:15: 'self' in a list with other items, expected 'to self' alone");
	fails_first("block to self app Tor\n",
		    "g.conf:9:7: traffic to the gateway itself is matched in the kernel "
		    "only, expected 'to self' in a rule without app, category, host or risk");
	fails_first("interface x { networks 10.0.0.0/8 dhcp }\n",
		    "g.conf:9:1: interface 'x' uses dhcp but names no device, expected a "
		    "`device` statement");
}

static void test_families(void **state)
{
	(void)state;
	fails_first("block from 10.0.0.0/8 to fd00::/8\n",
		    "g.conf:9:23: source and destination are of different address "
		    "families (IPv4 and IPv6), so this rule can never match");
	fails_first("pass from v6only to service \"web\"\n",
		    "g.conf:9:18: source and destination are of different address "
		    "families (IPv4 and IPv6), so this rule can never match");
	fails_first("pass from { 10.0.0.1 10.0.0.2 } to { v6only fd00::1 }\n",
		    "g.conf:9:33: source and destination are of different address "
		    "families (IPv4 and IPv6), so this rule can never match");
	/* one family in common, a device, a table, a negation: fine */
	ok("pass from { 10.0.0.1 fd00::9 } to v6only\n");
	ok("pass from lan to fd00::/8\n");
	ok("pass from <admins> to 10.20.0.0/24\n");
	ok("pass from 10.0.0.1 to { !fd00::1 }\n");
	ok("pass from v6only to service \"e-payments\"\n");
}

static void test_nat(void **state)
{
	char *s;

	(void)state;
	fails_first("rdr proto udp from { wan lan } port 5353 to service \"two\"\n",
		    "g.conf:9:1: service \"two\" has several IPv4 addresses or a prefix, "
		    "expected exactly one IPv4 host address to forward to");
	s = script("nat from { lan !10.10.9.0/24 } to wan\n"
		   "nat from { 10.20.0.0/24 <admins> } to wan address 192.0.2.10\n"
		   "rdr proto tcp from wan port 8443 to service \"e-payments\"\n"
		   "rdr from { wan lan } port 80 to service \"web\"\n"
		   "pass from wan to service \"e-payments\"\n");
	assert_int_equal(c.policy->n_nats, 4);
	assert_int_equal(c.policy->n_rules, 1);
	assert_string_equal(c.policy->nats[2].text,
			    "rdr proto tcp from wan port 8443 to service \"e-payments\" (port 443)");
	assert_int_equal(c.policy->nats[2].to_port, 443);
	assert_int_equal(c.policy->nats[3].to_port, 80);
	has(s, "\tchain nat_pre {\n"
	       "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
	       "\t\t# rdr 3 (g.conf:11): rdr proto tcp from wan port 8443 to service "
	       "\"e-payments\" (port 443)\n"
	       "\t\tmeta nfproto ipv4 iifname { \"eth0\" } fib daddr type local tcp dport 8443 "
	       "counter dnat ip to 10.20.0.15:443 comment \"kastro rdr 3\"\n"
	       "\t\t# rdr 4 (g.conf:12): rdr proto tcp from { wan lan } port 80 to service "
	       "\"web\" (port 80)\n"
	       "\t\tmeta nfproto ipv4 iifname { \"eth0\", \"eth1\" } fib daddr type local "
	       "tcp dport 80 counter dnat ip to 10.20.0.16:80 comment \"kastro rdr 4\"\n\t}\n");
	has(s, "\tchain nat_post {\n"
	       "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	       "\t\t# nat 1 (g.conf:9): nat from { lan !10.10.9.0/24 } to wan\n"
	       "\t\tmeta nfproto ipv4 oifname \"eth0\" ip saddr { 10.10.0.0/16 } "
	       "ip saddr != 10.10.9.0/24 counter masquerade comment \"kastro nat 1\"\n"
	       "\t\t# nat 2 (g.conf:10): nat from { 10.20.0.0/24 <admins> } to wan "
	       "address 192.0.2.10\n"
	       "\t\tmeta nfproto ipv4 oifname \"eth0\" ip saddr { 10.20.0.0/24 } "
	       "ip saddr @t_admins_4 counter snat ip to 192.0.2.10 comment \"kastro nat 2\"\n");
	nft_check(s);
	free(s);

	/* no NAT statement, no NAT chain */
	s = script("pass from lan\n");
	lacks(s, "nat_pre");
	lacks(s, "nat_post");
	free(s);
}

static void test_nat_errors(void **state)
{
	(void)state;
	fails_first("nat from lan to wan address fd00::1\n",
		    "g.conf:9:29: invalid NAT address 'fd00::1', expected one IPv4 address "
		    "such as 192.0.2.10 (IPv6 is routed, not translated)");
	fails_first("nat from lan to wan address 10.0.0.0/8\n",
		    "g.conf:9:29: invalid NAT address '10.0.0.0/8', expected one IPv4 "
		    "address such as 192.0.2.10 (IPv6 is routed, not translated)");
	fails_first("nat from fd00:10::/64 to wan\n",
		    "g.conf:9:1: IPv6 source in a nat statement: NAT is IPv4 only, IPv6 "
		    "is routed");
	fails_first("nat from v6only to wan\n",
		    "g.conf:9:1: zone 'v6only' has no IPv4 networks: nat matches a zone by "
		    "its networks, expected `networks` in its interface block");
	fails_first("nat from lan to v6only\n",
		    "g.conf:9:1: nat needs one zone with a device after 'to' (the way "
		    "out), such as 'to wan'");
	fails_first("nat from lan to { wan dmz }\n",
		    "g.conf:9:1: nat needs one zone with a device after 'to' (the way "
		    "out), such as 'to wan'");
	fails_first("nat proto tcp from lan to wan\n",
		    "g.conf:9:1: nat takes no proto or port: it translates every "
		    "connection from the sources leaving by the zone");
	fails_first("nat log from lan to wan\n",
		    "g.conf:9:1: nat takes no log or severity; the rule that passes the "
		    "traffic logs it");
	fails_first("nat from lan to wan app Tor\n",
		    "g.conf:9:1: nat with app, category, host or risk: addresses are "
		    "translated in the kernel, on the first packet");
	fails_first("nat from lan to self\n",
		    "g.conf:9:1: nat to self, expected the zone the traffic leaves by");
	fails_first("rdr from wan port 80 to service \"web\" address 10.0.0.1\n",
		    "g.conf:9:47: 'address' in an rdr statement, expected it only after "
		    "'nat ... to ZONE'");
	fails_first("rdr from v6only port 80 to service \"web\"\n",
		    "g.conf:9:1: rdr takes zones with a device after 'from' (where the "
		    "traffic arrives), such as 'from wan'");
	fails_first("rdr port 80 to service \"web\"\n",
		    "g.conf:9:1: rdr without 'from', expected the zone the traffic arrives "
		    "on, such as 'from wan'");
	fails_first("rdr from wan port 80 to dmz\n",
		    "g.conf:9:1: rdr needs one service after 'to', such as 'to service "
		    "\"e-payments\"'");
	fails_first("rdr from wan port { 80 81 } to service \"web\"\n",
		    "g.conf:9:1: rdr needs one port (not a range or list), the gateway's "
		    "port to forward, such as 'port 8443'");
	fails_first("rdr proto icmp from wan to service \"web\"\n",
		    "g.conf:9:1: rdr takes one protocol, tcp or udp");
	fails_first("rdr from wan port 8080 to service \"web\"\n",
		    "g.conf:9:1: service \"web\" does not listen on tcp port 8080 and has "
		    "no single tcp port to forward it to: list the port in the service");
	fails_first("rdr from wan port 80 to service \"nope\"\n",
		    "g.conf:9:33: unknown service \"nope\", expected one defined above this line");
}

struct walked {
	char text[2048];
};

static void walked(void *ctx, const char *chain, const char *tag)
{
	struct walked *w = ctx;
	size_t n = strlen(w->text);

	/* the fixed heads of chains (quarantine, ...) are not the policy's */
	if (strcmp(tag, "fixed") == 0)
		return;
	snprintf(w->text + n, sizeof(w->text) - n, "%s:%s|", chain, tag);
}

/* kastroctl policy's map from kernel rules (those with a counter) to the policy's */
static void test_polstats_walk(void **state)
{
	struct walked w = { "" };
	char *s;

	(void)state;
	s = script("default block\n"
		   "pass proto tcp from <admins> to self port 22\n"
		   "pass from lan to wan\n"
		   "block app Tor\n"
		   "pass from { lan fd00:30::/64 } to dmz port 80\n"
		   "nat from lan to wan\n"
		   "rdr from wan port 80 to service \"web\"\n");
	polstats_walk(s, walked, &w);
	free(s);
	assert_string_equal(w.text,
			    "forward:rule 2|forward:rule 4|forward:rule 4|"
			    "forward:default|"
			    /* the inline chains count what each DPI rule could match */
			    "inline_sel:rule 3|"
			    "self_in:implicit|self_in:rule 1|self_in:rule 1|self_in:self default|"
			    "nat_pre:rdr 2|nat_post:nat 1|");
}

static void test_eve_max_rate(void **state)
{
	(void)state;
	ok("eve max-rate 500\n");
	assert_int_equal(c.eve_max_rate, 500);
	ok("eve max-rate 0\n");
	assert_int_equal(c.eve_max_rate, 0);
	ok("");
	assert_int_equal(c.eve_max_rate, 20000);
	fails_first("eve max-rate 20000000\n",
		    "g.conf:9:14: eve max-rate 20000000 is out of range, expected 0 .. 10000000");
}

static void test_limits(void **state)
{
	char *s;

	(void)state;
	s = script("table <flooders> { }\n"
		   "default block\n"
		   "pass from lan to service \"web\" max-src-conn 50 max-src-conn-rate 20/5 "
		   "overload <flooders> 10m\n"
		   "pass proto tcp from lan to self port 22 max-src-conn-rate 3/1m\n"
		   "pass from wan to dmz max-src-conn 7\n");
	assert_int_equal(c.policy->rules[0].max_src_conn, 50);
	assert_int_equal(c.policy->rules[0].rate_n, 20);
	assert_int_equal(c.policy->rules[0].rate_s, 5);
	assert_int_equal(c.policy->rules[0].overload_s, 600);
	assert_int_equal(c.policy->rules[1].rate_s, 60);
	assert_string_equal(c.policy->rules[0].text,
			    "pass from lan to service \"web\" max-src-conn 50 "
			    "max-src-conn-rate 20/5 overload <flooders> 600s");
	/* the overload table is a dynamic set; each limit has sets of its own */
	has(s, "\tset t_flooders_4 {\n\t\ttype ipv4_addr\n\t\tsize 65536\n"
	       "\t\tflags dynamic,timeout\n\t}\n");
	has(s, "\tset l1c4 {\n\t\ttype ipv4_addr\n\t\tsize 65536\n\t\tflags dynamic\n\t}\n");
	has(s, "\tset l1r6 {\n\t\ttype ipv6_addr\n\t\tsize 65536\n"
	       "\t\tflags dynamic,timeout\n\t\ttimeout 60s\n\t}\n");
	/* guards before the accept, with its match; after each, the count of
	 * sources a full set could not take */
	has(s, "\t\tiifname \"eth1\" ip daddr 10.20.0.16 meta l4proto . th dport { tcp . 80, tcp . 443 } "
	       "ct state new add @l1c4 { ip saddr ct count over 50 } counter jump l1o4\n"
	       "\t\tiifname \"eth1\" ip daddr 10.20.0.16 meta l4proto . th dport { tcp . 80, tcp . 443 } "
	       "ct state new ip saddr != @l1c4 counter name src_full\n"
	       "\t\tiifname \"eth1\" ip daddr 10.20.0.16 meta l4proto . th dport { tcp . 80, tcp . 443 } "
	       "ct state new add @l1r4 { ip saddr limit rate over 4/second burst 20 packets } "
	       "counter jump l1o4\n"
	       "\t\tiifname \"eth1\" ip daddr 10.20.0.16 meta l4proto . th dport { tcp . 80, tcp . 443 } "
	       "ct state new ip saddr != @l1r4 counter name src_full\n"
	       "\t\tiifname \"eth1\" ip daddr 10.20.0.16 meta l4proto . th dport { tcp . 80, tcp . 443 } "
	       "counter accept\n");
	/* into the overload table when it has room; dropped either way */
	has(s, "\tchain l1o4 {\n"
	       "\t\t# implicit: rule 1 puts the source into <flooders> for 600 s\n"
	       "\t\tadd @t_flooders_4 { ip saddr timeout 600s } drop\n"
	       "\t\t# <flooders> is full\n"
	       "\t\tcounter name overload_full drop\n\t}\n");
	has(s, "\tcounter src_full {\n\t}\n\tcounter overload_full {\n\t}\n");
	/* a rule for both families: one guard per family */
	has(s, "\t\tmeta nfproto ipv4 iifname \"eth0\" oifname \"eth2\" ct state new add @l3c4 "
	       "{ ip saddr ct count over 7 } counter drop\n"
	       "\t\tmeta nfproto ipv4 iifname \"eth0\" oifname \"eth2\" ct state new ip saddr != @l3c4 "
	       "counter name src_full\n"
	       "\t\tmeta nfproto ipv6 iifname \"eth0\" oifname \"eth2\" ct state new add @l3c6 "
	       "{ ip6 saddr ct count over 7 } counter drop\n"
	       "\t\tmeta nfproto ipv6 iifname \"eth0\" oifname \"eth2\" ct state new ip6 saddr != @l3c6 "
	       "counter name src_full\n"
	       "\t\tiifname \"eth0\" oifname \"eth2\" counter accept\n");
	/* 3 per minute; SSH to the gateway too */
	has(s, "\t\tmeta nfproto ipv4 iifname \"eth1\" meta l4proto tcp th dport 22 ct state new add @l2r4 "
	       "{ ip saddr limit rate over 3/minute burst 3 packets } counter drop\n");
	nft_check(s);
	free(s);
	/* src-nodes sizes every limit set and overload table */
	s = script("src-nodes 1000\n"
		   "table <flooders> { }\n"
		   "pass from lan max-src-conn 5 overload <flooders> 1m\n");
	has(s, "\tset t_flooders_4 {\n\t\ttype ipv4_addr\n\t\tsize 1000\n");
	has(s, "\tset l1c6 {\n\t\ttype ipv6_addr\n\t\tsize 1000\n");
	/* offenders lose everything, through and to the gateway */
	has(s, "\tchain overload_fwd {\n\t\ttype filter hook forward priority filter - 5; "
	       "policy accept;\n\t\tip saddr @t_flooders_4 counter drop comment "
	       "\"kastro overload <flooders>\"\n");
	has(s, "\tchain overload_in {\n\t\ttype filter hook input priority filter - 5;");
	nft_check(s);
	free(s);
}

static void test_limit_errors(void **state)
{
	(void)state;
	fails_first("src-nodes 8\n", "g.conf:9:11: src-nodes 8 is out of range, expected 16 .. 4194304");
	/* fail is for DPI rules, once */
	fails_first("pass from lan fail open\n",
		    "g.conf:9:1: 'fail' on a rule without app, category, host or risk: only "
		    "connections awaiting kastrod's verdict can fail");
	fails_first("block host \"x.example\" fail open fail closed\n",
		    "g.conf:9:34: 'fail' given twice in one rule");
	ok("block from lan host \"x.example\" fail open\n");
	assert_int_equal(c.policy->rules[0].fail, POL_FAIL_OPEN);
	assert_string_equal(c.policy->rules[0].text, "block from lan host \"x.example\" fail open");
	fails_first("pass from lan max-src-conn 0\n",
		    "g.conf:9:28: invalid max-src-conn '0', expected a number of connections "
		    "1 .. 1000000");
	fails_first("pass from lan max-src-conn 5 max-src-conn 6\n",
		    "g.conf:9:30: 'max-src-conn' given twice in one rule");
	fails_first("pass from lan max-src-conn-rate 20/0\n",
		    "g.conf:9:33: invalid max-src-conn-rate '20/0', expected CONNECTIONS/SECONDS "
		    "such as 20/5 (1 .. 1000000 connections in 1s .. 1d)");
	fails_first("pass from lan max-src-conn-rate 20/2d\n",
		    "g.conf:9:33: invalid max-src-conn-rate '20/2d', expected CONNECTIONS/SECONDS "
		    "such as 20/5 (1 .. 1000000 connections in 1s .. 1d)");
	fails_first("pass from lan max-src-conn 5 overload <nope>\n",
		    "g.conf:9:39: unknown table <nope>, expected one defined above this line "
		    "(`table <nope> { }`)");
	fails_first("pass from lan max-src-conn 5 overload <admins>\n",
		    "g.conf:9:39: table <admins> is filled by overload, so it must be declared "
		    "empty: `table <admins> { }`");
	fails_first("table <o> { }\npass from lan overload <o>\n",
		    "g.conf:10:1: 'overload' without a limit, expected max-src-conn or "
		    "max-src-conn-rate in the same rule");
	fails_first("block from lan max-src-conn 5\n",
		    "g.conf:9:1: per-source limits on a block rule, expected them on the pass "
		    "rule whose connections they limit");
	fails_first("pass from lan app Tor max-src-conn 5\n",
		    "g.conf:9:1: per-source limits are enforced in the kernel on the first "
		    "packet, expected them in a rule without app, category, host or risk");
	fails_first("table <o> { }\npass from lan max-src-conn 5 overload <o> 0s\n",
		    "g.conf:10:43: overload time 0s is out of range, expected 1s .. 366d");
}

static void test_synproxy(void **state)
{
	char *s;

	(void)state;
	s = script("service \"shop\" { address { 10.20.0.30 fd00:20::30 } ports tcp { 443 8000-8001 } "
		   "ports udp 53 synproxy }\n"
		   "default block\n"
		   "pass from wan to service \"shop\"\n"
		   "block from lan to service \"shop\"\n");
	assert_true(c.policy->services[3].synproxy);
	/* SYNs to the service's TCP ports are not tracked... */
	has(s, "\tchain synproxy_raw {\n\t\ttype filter hook prerouting priority raw; policy accept;\n"
	       "\t\tip daddr 10.20.0.30 tcp dport { 443, 8000-8001 } tcp flags & (syn | ack) == syn "
	       "notrack\n\t\tip6 daddr fd00:20::30 tcp dport { 443, 8000-8001 } tcp flags & "
	       "(syn | ack) == syn notrack\n\t}\n");
	/* ...a pass rule answers them with a cookie, before its accept... */
	has(s, "\t\tiifname \"eth0\" ip daddr 10.20.0.30 meta l4proto . th dport { tcp . 443, "
	       "tcp . 8000-8001, udp . 53 } ct state untracked counter synproxy mss 1460 wscale 7 "
	       "timestamp sack-perm\n\t\tiifname \"eth0\" ip daddr 10.20.0.30 meta l4proto . th "
	       "dport { tcp . 443, tcp . 8000-8001, udp . 53 } counter accept\n");
	/* ...a block rule does not */
	has(s, "\t\t# rule 2 (g.conf:12): block from lan to service \"shop\"\n"
	       "\t\tiifname \"eth1\" ip daddr 10.20.0.30 meta l4proto . th dport { tcp . 443, "
	       "tcp . 8000-8001, udp . 53 } counter drop\n");
	/* and the ACK that returns a cookie opens the connection to the server */
	has(s, "\tchain synproxy_fwd {\n\t\ttype filter hook forward priority filter - 5; policy "
	       "accept;\n\t\tip daddr 10.20.0.30 tcp dport { 443, 8000-8001 } ct state invalid,new "
	       "tcp flags & (syn | ack | fin | rst) == ack synproxy mss 1460 wscale 7 timestamp "
	       "sack-perm\n");
	lacks(s, "ct state untracked synproxy");
	nft_check(s);
	free(s);
	/* default pass: every SYN is answered in synproxy_fwd */
	s = script("service \"shop\" { address 10.20.0.30 ports tcp 443 synproxy }\n");
	has(s, "\t\tip daddr 10.20.0.30 tcp dport { 443 } ct state untracked synproxy mss 1460 "
	       "wscale 7 timestamp sack-perm\n");
	nft_check(s);
	free(s);
	fails_first("service \"dns\" { address 10.20.0.31 ports udp 53 synproxy }\n",
		    "g.conf:9:1: service \"dns\" uses synproxy but has no TCP port, expected "
		    "`ports tcp ...`");
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
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_manageable),
		cmocka_unit_test(test_self_errors),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_nat),
		cmocka_unit_test(test_nat_errors),
		cmocka_unit_test(test_polstats_walk),
		cmocka_unit_test(test_eve_max_rate),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_limit_errors),
		cmocka_unit_test(test_synproxy),
	};

	conf_defaults(&c);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
