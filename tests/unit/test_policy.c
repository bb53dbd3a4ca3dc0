/*
 * test_policy.c - unit tests of the policy language (daemon/policy*.c and
 * its grammar): every construct, the exact text of each kind of error, close
 * matches for nDPI names, and policy_match_dpi() on flows.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <ndpi_api.h>

#include "conf.h"
#include "policy.h"

static struct kastrod_conf c;
static char err[8192];

static const char zones[] =
	"interface lan { device \"eth1\" networks { 10.10.0.0/16 fd00:10::/64 } }\n"
	"interface dmz { device \"eth2\"; networks 10.20.0.0/24 }\n"
	"interface wan { device \"eth0\" }\n";

static int parse(const char *text)
{
	conf_free(&c);
	conf_defaults(&c);
	return conf_load_buffer("p.conf", text, strlen(text), &c, err, sizeof(err));
}

#include "cfgcheck.h"

/* zones, then text */
static void okz(const char *text)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s%s", zones, text);
	ok(buf);
}

static const struct pol_rule *rule(size_t i)
{
	assert_non_null(c.policy);
	assert_true(i < c.policy->n_rules);
	return &c.policy->rules[i];
}

static void test_no_policy(void **state)
{
	(void)state;
	ok("flows { max 10 }");
	assert_null(c.policy);
}

static void test_zones(void **state)
{
	const struct policy *p;
	char a[64];

	(void)state;
	ok(zones);
	p = c.policy;
	assert_int_equal(p->n_zones, 3);
	assert_string_equal(p->zones[0].name, "lan");
	assert_string_equal(p->zones[0].device, "eth1");
	assert_int_equal(p->zones[0].n_nets, 2);
	policy_net_str(&p->zones[0].nets[1], a, sizeof(a));
	assert_string_equal(a, "fd00:10::/64");
	assert_int_equal(p->zones[1].n_nets, 1);
	assert_string_equal(p->zones[2].device, "eth0");
	assert_int_equal(p->zones[2].n_nets, 0);
	assert_int_equal(p->default_action, VERDICT_PASS);
	ok("interface x { networks 192.168.0.0/16 }");
	assert_string_equal(c.policy->zones[0].device, "");
}

static void test_services_tables_console(void **state)
{
	const struct policy *p;
	char a[64];

	(void)state;
	ok("service \"e-payments\" { address 10.20.0.15 ports tcp 443 owner \"finance\" rpo 24h rto 4h }\n"
	   "service \"dns\" { address { 10.20.0.2 fd00:20::2 } ports udp 53 ports tcp { 53 8000-8100 } }\n"
	   "table <admins> { 10.10.1.0/24 10.10.1.7 }\n"
	   "table <feeds> file \"/var/lib/kastro/feeds/blocklist.netset\"\n"
	   "table <rel> file \"feeds/x.txt\"\n"
	   "table <none> { }\n"
	   "console 10.20.0.5 console { fd00:20::5 }\n"
	   "default block log\n");
	p = c.policy;
	assert_int_equal(p->n_services, 2);
	assert_string_equal(p->services[0].name, "e-payments");
	assert_string_equal(p->services[0].owner, "finance");
	assert_int_equal(p->services[0].rpo, 86400);
	assert_int_equal(p->services[0].rto, 4 * 3600);
	assert_int_equal(p->services[0].n_ports, 1);
	assert_int_equal(p->services[0].ports[0].proto, 6);
	assert_int_equal(p->services[0].ports[0].lo, 443);
	assert_int_equal(p->services[1].n_addrs, 2);
	assert_int_equal(p->services[1].n_ports, 3);
	assert_int_equal(p->services[1].ports[0].proto, 17);
	assert_int_equal(p->services[1].ports[2].lo, 8000);
	assert_int_equal(p->services[1].ports[2].hi, 8100);
	/*
	 * The inventory's grammar (lib/inventory.c) reads the blocks: the
	 * console's statements are accepted, a block may follow a rule whose
	 * options could go on, and a rule's `service "x"` is a reference.
	 */
	ok("pass from any\n"
	   "service \"late\" { address fd00:20::9 criticality high public\n"
	   "  check https \"https://[fd00:20::9]/\" every 30s keyword \"ok\"\n"
	   "  synproxy ports tcp { 22 8000-8001 } }\n"
	   "service \"db\" { address 10.20.0.40 }\n"
	   "service \"web\" { address 10.20.0.41 depends \"db\" ports tcp 443 }\n"
	   "pass to { service \"late\" service \"web\" } # service \"x\" {\n");
	p = c.policy;
	assert_int_equal(p->n_services, 3);
	assert_string_equal(p->services[0].name, "late");
	assert_true(p->services[0].synproxy);
	assert_int_equal(p->services[0].n_ports, 2);
	assert_int_equal(p->services[0].ports[1].hi, 8001);
	assert_int_equal(p->services[0].addrs[0].family, 6);
	assert_false(p->services[2].synproxy);
	assert_int_equal(p->n_rules, 2);
	assert_string_equal(p->rules[1].text,
			    "pass to { service \"late\" service \"web\" }");
	ok("service \"e-payments\" { address 10.20.0.15 ports tcp 443 owner \"finance\" rpo 24h rto 4h }\n"
	   "service \"dns\" { address { 10.20.0.2 fd00:20::2 } ports udp 53 ports tcp { 53 8000-8100 } }\n"
	   "table <admins> { 10.10.1.0/24 10.10.1.7 }\n"
	   "table <feeds> file \"/var/lib/kastro/feeds/blocklist.netset\"\n"
	   "table <rel> file \"feeds/x.txt\"\n"
	   "table <none> { }\n"
	   "console 10.20.0.5 console { fd00:20::5 }\n"
	   "default block log\n");
	p = c.policy;
	assert_int_equal(p->n_tables, 4);
	assert_string_equal(p->tables[0].name, "admins");
	assert_null(p->tables[0].path);
	assert_int_equal(p->tables[0].n_elems, 2);
	assert_string_equal(p->tables[1].path, "/var/lib/kastro/feeds/blocklist.netset");
	assert_int_equal(p->tables[2].path[0], '/');
	assert_non_null(strstr(p->tables[2].path, "/feeds/x.txt"));
	assert_int_equal(p->tables[3].n_elems, 0);
	assert_non_null(policy_table(&c, 3));
	assert_null(policy_table(&c, 4));
	assert_int_equal(p->n_console, 2);
	policy_net_str(&p->console[1], a, sizeof(a));
	assert_string_equal(a, "fd00:20::5");
	assert_int_equal(p->default_action, VERDICT_BLOCK);
	assert_true(p->default_log);
	ok("default pass");
	assert_int_equal(c.policy->default_action, VERDICT_PASS);
	assert_false(c.policy->default_log);
}

static void test_rules(void **state)
{
	const struct pol_rule *r;

	(void)state;
	okz("service \"web\" { address 10.20.0.10 ports tcp { 80 443 } }\n"
	    "table <feeds> file \"/f\"\n"
	    "table <admins> { 10.10.1.0/24 }\n"
	    "pass from lan to any port { 53 80 443 }\n"
	    "block log severity 2 proto tcp from { lan !10.10.1.7 } to { 8.8.8.8 2001:db8::/32 } port 8000-8100\n"
	    "pass from wan to service \"web\"\n"
	    "block from <feeds>\n"
	    "pass proto { udp 132 } to !<admins>\n"
	    "block app { BitTorrent tor \"Z39.50\" } log severity 2\n"
	    "block category Malware log severity 1\n"
	    "block host { \"*.BadSite.example\" \"exact.example\" }\n"
	    "block risk { \"self-signed certificate\" \"SQL Injection\" } from lan\n");
	assert_int_equal(c.policy->n_rules, 9);
	r = rule(0);
	assert_int_equal(r->id, 1);
	assert_int_equal(r->action, VERDICT_PASS);
	assert_false(r->dpi);
	assert_int_equal(r->n_ports, 3);
	assert_int_equal(r->severity, POL_SEVERITY_DEFAULT);
	assert_string_equal(r->text, "pass from lan port { 53 80 443 }");
	assert_string_equal(r->file, "p.conf");
	assert_int_equal(r->line, 7);
	r = rule(1);
	assert_true(r->log);
	assert_int_equal(r->severity, 2);
	assert_int_equal(r->n_src, 2);
	assert_true(r->src[1].neg);
	assert_string_equal(r->text, "block log severity 2 proto tcp from { lan !10.10.1.7 } "
				     "to { 8.8.8.8 2001:db8::/32 } port 8000-8100");
	assert_string_equal(rule(2)->text, "pass from wan to service \"web\"");
	assert_string_equal(rule(3)->text, "block from <feeds>");
	assert_string_equal(rule(4)->text, "pass proto { udp sctp } to !<admins>");
	r = rule(5);
	assert_true(r->dpi);
	assert_int_equal(r->n_apps, 3);
	assert_int_equal(r->apps[0], NDPI_PROTOCOL_BITTORRENT);
	assert_int_equal(r->apps[1], NDPI_PROTOCOL_TOR);
	assert_string_equal(r->text, "block log severity 2 app { BitTorrent Tor \"Z39.50\" }");
	assert_int_equal(rule(6)->cats[0], CUSTOM_CATEGORY_MALWARE);
	assert_string_equal(rule(7)->hosts[0], "*.badsite.example");
	assert_string_equal(rule(7)->text,
			    "block host { \"*.badsite.example\" \"exact.example\" }");
}

static void test_risk_rule(void **state)
{
	(void)state;
	okz("block risk { \"self-signed certificate\" \"SQL Injection\" } from lan\n"
	    "pass log risk any\n");
	assert_int_equal(rule(0)->risks, (UINT64_C(1) << NDPI_TLS_SELFSIGNED_CERTIFICATE) |
					 (UINT64_C(1) << NDPI_URL_POSSIBLE_SQL_INJECTION));
	assert_string_equal(rule(0)->text, "block from lan risk { \"SQL Injection\" "
					   "\"Self-signed Certificate\" }");
	assert_true(rule(1)->risk_any);
	assert_string_equal(rule(1)->text, "pass log risk any");
}

static void test_include_and_order(void **state)
{
	(void)state;
	/* names must be defined above their use */
	fails_first("pass from lan\ninterface lan { device \"eth1\" }",
		    "p.conf:1:11: unknown interface 'lan': none is defined above this line");
}

static void test_errors(void **state)
{
	(void)state;
	fails_with("interface lan { device \"eth1\" }\npass from lann to any",
		   "p.conf:2:11: unknown interface 'lann', expected one defined above: lan; "
		   "did you mean 'lan'?\n"
		   "pass from lann to any\n"
		   "          ^~~~");
	fails_with("block app { BitTorent }",
		   "p.conf:1:13: unknown application 'BitTorent', expected an nDPI "
		   "application name; close matches: BitTorrent\n"
		   "block app { BitTorent }\n"
		   "            ^~~~~~~~~");
	fails_first("block app Xyzzyq",
		    "p.conf:1:11: unknown application 'Xyzzyq', expected an nDPI application "
		    "name (none is close; see docs/config.md)");
	fails_first("block category Malwar",
		    "p.conf:1:16: unknown category 'Malwar', expected an nDPI category "
		    "name; close matches: Malware, Antimalware");
	fails_first("block risk \"Self signed\"",
		    "p.conf:1:12: unknown risk 'Self signed', expected an nDPI risk "
		    "name; close matches: Self-signed Certificate");
	fails_first("block app Netfli",
		    "p.conf:1:11: unknown application 'Netfli', expected an nDPI "
		    "application name; close matches: NetFlix, NetFlow");
	fails_first("pass from 10.0.0.1/8",
		    "p.conf:1:11: '10.0.0.1/8' has host bits set, expected a network "
		    "address such as 10.0.0.0/8");
	fails_first("pass from 10.0.0.300",
		    "p.conf:1:11: invalid address '10.0.0.300', expected an IPv4 or IPv6 "
		    "address or prefix such as 10.0.0.0/8 or fd00::/64");
	fails_first("pass port 0", "p.conf:1:11: invalid port '0', expected a number "
		    "1 .. 65535 or a range such as 8000-8100");
	fails_first("pass port 90-80", "p.conf:1:11: invalid port range '90-80', "
		    "expected LOW-HIGH with 1 <= LOW <= HIGH <= 65535");
	fails_first("pass proto icmp port 22",
		    "p.conf:1:1: 'port' with a protocol that has no ports, expected "
		    "proto tcp, udp or sctp");
	fails_first("pass proto tpc", "p.conf:1:12: unknown protocol 'tpc', expected one of: "
		    "tcp, udp, icmp, icmpv6, sctp, gre, esp, ah or a number 0 .. 255");
	fails_first("pass from any from any", "p.conf:1:15: 'from' given twice in one rule");
	fails_first("pass from !any", "p.conf:1:12: '!any' never matches, expected an "
		    "address, zone, table or service after '!'");
	fails_first("pass from { any 10.0.0.0/8 }",
		    "p.conf:1:1: 'any' in a list with other items, expected either 'any' or the items");
	fails_first("pass app { }", "p.conf:1:10: empty list, expected at least one item "
		    "between the braces");
	fails_first("pass severity 5", "p.conf:1:15: severity 5 is out of range, expected "
		    "1 (highest) .. 4");
	fails_first("pass to service \"web\"",
		    "p.conf:1:17: unknown service \"web\", expected one defined above this line");
	fails_first("pass to <nope>", "p.conf:1:9: unknown table 'nope': none is defined "
		    "above this line");
	fails_first("table <a-b> { }", "p.conf:1:7: invalid table name <a-b>, expected 1 to "
		    "32 letters, digits or '_' in angle brackets, starting with a letter");
	fails_first("table <a> { } table <a> file \"x\"", "p.conf:1:21: table <a> is defined twice");
	fails_first("table <f> file \"/f\" block host \"x.org\" from <f>",
		    "p.conf:1:21: table <f> is loaded from a file and is matched in the "
		    "kernel only, expected it in a rule without app, category, host or risk");
	fails_first("pass host \"a..b\"", "p.conf:1:11: invalid host name \"a..b\", expected "
		    "a name such as \"www.example.org\" or \"*.example.org\"");
	fails_first("pass host \"*\"", "p.conf:1:11: invalid host name \"*\", expected "
		    "a name such as \"www.example.org\" or \"*.example.org\"");
	fails_first("interface lan { }", "p.conf:1:1: interface 'lan' has neither a device "
		    "nor networks, expected at least one of them");
	fails_first("interface a { device \"e1\" } interface b { device \"e1\" }",
		    "p.conf:1:50: device \"e1\" is already interface 'a'");
	fails_first("interface a { device \"e1\" } interface a { device \"e2\" }",
		    "p.conf:1:39: interface 'a' is defined twice");
	/* a service without an address is the console's; no rule may name it */
	ok("service \"s\" { ports tcp 80 }");
	fails_first("service \"s\" { ports tcp 80 } pass to service \"s\"",
		    "p.conf:1:46: service \"s\" has no address, so no rule can match its "
		    "traffic: give it an `address` in the inventory");
	fails_first("service \"s\" { address 10.0.0.1/24 }",
		    "p.conf:1:23: '10.0.0.1/24' has host bits set, expected a network address");
	fails_first("service \"s\" { address 1.2.3.4 } service \"s\" { address 1.2.3.5 }",
		    "p.conf:1:41: service \"s\" is already defined at p.conf:1:9");
	fails_first("service \"s\" { address 1.2.3.4 depends \"t\" }",
		    "p.conf:1:39: service \"s\" depends on \"t\", which is not in the inventory");
	fails_first("service \"s\" { address 1.2.3.4 ports icmp 80 }",
		    "p.conf:1:37: unknown protocol 'icmp', expected one of: tcp, udp, sctp");
	fails_first("service \"s\" { address 1.2.3.4 rpo 0 }",
		    "p.conf:1:35: rpo and rto 0 is out of range, expected 1s .. 366d");
	fails_first("service \"a\\\"b\" { }", "p.conf:1:9: service name \"a\"b\": use letters, "
		    "digits, '-', '_' and '.' only");
	fails_first("block app Tor ndpi { protocols \"/nonexistent/p.txt\" }",
		    "p.conf:1:32: the nDPI protocols file must be named before the first "
		    "rule that names an application, category or risk: move this `ndpi` "
		    "block above the rules");
	fails_first("ndpi { protocols \"/nonexistent/p.txt\" } block app Tor",
		    "p.conf:1:51: cannot read the nDPI protocols file /nonexistent/p.txt to "
		    "check application names: No such file or directory");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	fails_with("interface lan { device \"eth1\" }\npass from lan to",
		   "p.conf:2:17: unexpected end of file, expected one of: a zone name, "
		   "an address, a table name such as <feeds>, service, any, self, '{', '!'\n"
		   "pass from lan to\n"
		   "                ^");
	fails_first("pass proto 300", "p.conf:1:12: protocol 300 is out of range, expected 0 .. 255");
	fails_first("pass app 5", "p.conf:1:10: unexpected number '5', expected one of: "
		    "a string, an application name, '{'");
	fails_first("pas from lan", "p.conf:1:1: unexpected 'pas', expected one of: include, "
		    "user, eve, interfaces, ndpi, flows, capture, inline, inventory, src-nodes; did you mean 'pass'?");
	/* where no policy keyword is close, a note names the policy statements */
	if (parse("frobnicate") != -1)
		fail_msg("accepted");
	assert_non_null(strstr(err, "\n(or a policy statement: interface, service, table, "
				    "console, default, pass, block, nat, rdr)"));
	fails_first("interface 5 { }", "p.conf:1:11: unexpected number '5', expected a zone name");
	fails_first("interface lan { device \"e\" networks 10.0.0.0/8 } pass from lan @",
		    "p.conf:1:64: unexpected character '@'");
}

static void test_custom_protocols(void **state)
{
	char path[] = "/tmp/test_policy_protos.XXXXXX", text[512];
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("tcp:8181@KavalaPortal\nhost:\"parking.kavala.example\"@SmartParking\n", f);
	fclose(f);
	snprintf(text, sizeof(text), "ndpi { protocols \"%s\" }\n"
		 "block app { KavalaPortal smartparking }\n", path);
	ok(text);
	assert_int_equal(rule(0)->n_apps, 2);
	assert_int_equal(rule(0)->apps[0], NDPI_MAX_SUPPORTED_PROTOCOLS);
	assert_int_equal(rule(0)->apps[1], NDPI_MAX_SUPPORTED_PROTOCOLS + 1);
	assert_string_equal(rule(0)->text, "block app { KavalaPortal SmartParking }");
	/* without the file the names are unknown */
	fails_first("block app KavalaPortal", "p.conf:1:11: unknown application "
		    "'KavalaPortal', expected an nDPI application name (none is close; "
		    "see docs/config.md)");
	unlink(path);
}

/* ---- policy_match_dpi ---- */

static struct verdict_query q4(const char *src, const char *dst, uint8_t proto,
			       uint16_t dport)
{
	struct verdict_query q;

	memset(&q, 0, sizeof(q));
	q.flow_id = 7;
	q.tuple.family = 4;
	q.tuple.proto = proto;
	inet_pton(AF_INET, src, q.tuple.src);
	inet_pton(AF_INET, dst, q.tuple.dst);
	q.tuple.sport = 40000;
	q.tuple.dport = dport;
	q.iface = 0xff;
	return q;
}

static uint32_t match_id(const struct verdict_query *q)
{
	const struct pol_rule *r = policy_match_dpi(&c, q);

	return r == NULL ? 0 : r->id;
}

static void test_match(void **state)
{
	struct verdict_query q;
	struct verdict v;

	(void)state;
	okz("service \"web\" { address 10.20.0.10 ports tcp 443 }\n"
	    "table <vip> { 10.10.9.0/24 }\n"
	    "pass from lan to any port 22\n"                        /* 1 static */
	    "pass app TLS from <vip>\n"                             /* 2 exception */
	    "block log severity 2 app BitTorrent\n"                 /* 3 */
	    "block host \"*.bad.example\"\n"                         /* 4 */
	    "block host \"exact.example\" to wan\n"                 /* 5 */
	    "block category Malware from lan\n"                     /* 6 */
	    "block risk \"Self-signed Certificate\" to service \"web\"\n"  /* 7 */
	    "block app HTTP proto tcp port 8080\n"                  /* 8 */
	    "block risk any from 10.10.5.5\n");                     /* 9 */

	/* app by app id and by master id */
	q = q4("10.10.0.2", "1.1.1.1", 6, 6881);
	q.app = NDPI_PROTOCOL_BITTORRENT;
	assert_int_equal(match_id(&q), 3);
	q.app = 0;
	q.master = NDPI_PROTOCOL_BITTORRENT;
	assert_int_equal(match_id(&q), 3);
	/* static rules are never returned */
	q = q4("10.10.0.2", "1.1.1.1", 6, 22);
	assert_int_equal(match_id(&q), 0);

	/* host names: wildcard matches sub-names, not the name itself; case */
	q = q4("10.10.0.2", "1.1.1.1", 6, 443);
	snprintf(q.hostname, sizeof(q.hostname), "www.bad.example");
	assert_int_equal(match_id(&q), 4);
	snprintf(q.hostname, sizeof(q.hostname), "a.b.BAD.example");
	assert_int_equal(match_id(&q), 4);
	snprintf(q.hostname, sizeof(q.hostname), "bad.example");
	assert_int_equal(match_id(&q), 0);
	snprintf(q.hostname, sizeof(q.hostname), "notbad.example");
	assert_int_equal(match_id(&q), 0);
	/* exact: only that name; `to wan`: a zone without networks is the rest */
	snprintf(q.hostname, sizeof(q.hostname), "exact.example");
	assert_int_equal(match_id(&q), 5);
	snprintf(q.hostname, sizeof(q.hostname), "www.exact.example");
	assert_int_equal(match_id(&q), 0);
	q = q4("10.10.0.2", "10.20.0.3", 6, 443);
	snprintf(q.hostname, sizeof(q.hostname), "exact.example");
	assert_int_equal(match_id(&q), 0);

	/* DPI pass exception first: TLS from <vip> passes, later rules not tried */
	q = q4("10.10.9.1", "1.1.1.1", 6, 443);
	q.master = NDPI_PROTOCOL_TLS;
	snprintf(q.hostname, sizeof(q.hostname), "x.bad.example");
	assert_int_equal(match_id(&q), 2);
	q = q4("10.10.8.1", "1.1.1.1", 6, 443);
	q.master = NDPI_PROTOCOL_TLS;
	snprintf(q.hostname, sizeof(q.hostname), "x.bad.example");
	assert_int_equal(match_id(&q), 4);

	/* zone as source: by network, or by the capture device */
	q = q4("10.10.0.2", "1.1.1.1", 17, 53);
	q.category = CUSTOM_CATEGORY_MALWARE;
	assert_int_equal(match_id(&q), 6);
	q = q4("192.0.2.1", "1.1.1.1", 17, 53);
	q.category = CUSTOM_CATEGORY_MALWARE;
	assert_int_equal(match_id(&q), 0);
	c.n_ifaces = 2;
	snprintf(c.ifaces[0], sizeof(c.ifaces[0]), "eth0");
	snprintf(c.ifaces[1], sizeof(c.ifaces[1]), "eth1");
	q.iface = 1;
	assert_int_equal(match_id(&q), 6);
	q.iface = 0;
	assert_int_equal(match_id(&q), 0);

	/* risk: only once the bit is set; a service brings its port */
	q = q4("1.2.3.4", "10.20.0.10", 6, 443);
	q.master = NDPI_PROTOCOL_TLS;
	assert_int_equal(match_id(&q), 0);
	q.risk = UINT64_C(1) << NDPI_TLS_SELFSIGNED_CERTIFICATE;
	q.final = 1;
	assert_int_equal(match_id(&q), 7);
	q.tuple.dport = 8443;
	assert_int_equal(match_id(&q), 0);

	/* proto and port criteria of a DPI rule */
	q = q4("1.2.3.4", "5.6.7.8", 6, 8080);
	q.app = NDPI_PROTOCOL_HTTP;
	assert_int_equal(match_id(&q), 8);
	q.tuple.dport = 80;
	assert_int_equal(match_id(&q), 0);
	q.tuple.proto = 17;
	q.tuple.dport = 8080;
	assert_int_equal(match_id(&q), 0);

	/* risk any */
	q = q4("10.10.5.5", "5.6.7.8", 6, 80);
	assert_int_equal(match_id(&q), 0);
	q.risk = 2;
	assert_int_equal(match_id(&q), 9);

	/* IPv6 flows: zones by network */
	memset(&q, 0, sizeof(q));
	q.tuple.family = 6;
	q.tuple.proto = 17;
	q.iface = 0xff;
	inet_pton(AF_INET6, "fd00:10::5", q.tuple.src);
	inet_pton(AF_INET6, "2001:db8::1", q.tuple.dst);
	q.category = CUSTOM_CATEGORY_MALWARE;
	assert_int_equal(match_id(&q), 6);

	/* the verdict */
	q = q4("10.10.0.2", "1.1.1.1", 6, 6881);
	q.app = NDPI_PROTOCOL_BITTORRENT;
	q.vlan[0] = 12;
	policy_verdict(policy_match_dpi(&c, &q), &q, &v);
	assert_int_equal(v.flow_id, 7);
	assert_int_equal(v.rule_id, 3);
	assert_int_equal(v.action, VERDICT_BLOCK);
	assert_int_equal(v.severity, 2);
	assert_int_equal(v.log, 1);
	assert_int_equal(v.vlan[0], 12);
	assert_int_equal(v.tuple.dport, 6881);
	assert_string_equal(v.signature, "block log severity 2 app BitTorrent");
	assert_string_equal(v.category, "Application policy");
	c.n_ifaces = 0;
}

static void test_long_signature(void **state)
{
	char text[4096];
	struct verdict_query q;
	struct verdict v;
	int n, i;

	(void)state;
	n = snprintf(text, sizeof(text), "block host {");
	for (i = 0; i < 40; i++)
		n += snprintf(text + n, sizeof(text) - n, " \"host%d.example.org\"", i);
	snprintf(text + n, sizeof(text) - n, " }");
	ok(text);
	q = q4("1.1.1.1", "2.2.2.2", 6, 443);
	snprintf(q.hostname, sizeof(q.hostname), "host39.example.org");
	policy_verdict(policy_match_dpi(&c, &q), &q, &v);
	assert_int_equal(strlen(v.signature), VERDICT_SIGNATURE_LEN - 1);
	assert_string_equal(v.signature + VERDICT_SIGNATURE_LEN - 4, "...");
}

static void test_error_keeps_old_policy(void **state)
{
	struct policy *before;

	(void)state;
	okz("pass from lan");
	before = c.policy;
	assert_int_equal(conf_load_buffer("p.conf", "pass from nowhere", 17, &c, err,
					  sizeof(err)), -1);
	assert_ptr_equal(c.policy, before);
	/* a successful load replaces it (and frees the old one) */
	assert_int_equal(conf_load_buffer("p.conf", "default block", 13, &c, err,
					  sizeof(err)), 0);
	assert_int_equal(c.policy->n_rules, 0);
	assert_int_equal(c.policy->default_action, VERDICT_BLOCK);
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
		cmocka_unit_test(test_no_policy),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_services_tables_console),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_risk_rule),
		cmocka_unit_test(test_include_and_order),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_custom_protocols),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_long_signature),
		cmocka_unit_test(test_error_keeps_old_policy),
	};

	conf_defaults(&c);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
