/*
 * policy.h - the firewall and application policy of kastrod.conf, as the
 * grammar (conf_parse.y) leaves it in struct kastrod_conf, and the questions
 * the daemon asks it.
 *
 * The policy names zones (an interface and the networks behind it),
 * municipal services, address tables and rules. Rules without application,
 * category, host name or risk criteria are "static": nftgen.c compiles them
 * into the kernel's ruleset. The others are "DPI rules": the daemon asks
 * policy_match_dpi() when nDPI's view of a flow changes. Semantics are in
 * docs/config.md ("Policy").
 *
 * Everything here is built once by conf_load() and read-only afterwards;
 * conf_free() frees it. Addresses are in network byte order, IPv4 in the
 * first 4 bytes of a 16-byte array (as in nft.h).
 */
#ifndef KASTRO_POLICY_H
#define KASTRO_POLICY_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "verdict.h"

#define POL_NAME_MAX     32        /* bytes in a zone or table name */
#define POL_MAX_ZONES    32
#define POL_MAX_SERVICES 1024
#define POL_MAX_TABLES   256
#define POL_MAX_RULES    4096
#define POL_MAX_LIST     1024      /* items in one brace list, console addresses */
#define POL_MAX_INLINE   65536     /* addresses written inline in one table */
#define POL_TEXT_MAX     1024      /* bytes of a rule's normalised text */
#define POL_SEVERITY_DEFAULT 3
#define POL_METER_SIZE 65536       /* sources tracked per limit and family, per overload table */

/* An address or prefix. */
struct pol_net {
	uint8_t family;                 /* 4 or 6 */
	uint8_t plen;                   /* prefix length; 32 or 128 for a host */
	uint8_t addr[16];               /* host bits are zero */
};

struct pol_zone {
	char name[POL_NAME_MAX + 1];
	char device[IFNAMSIZ];          /* "" when the zone names none */
	struct pol_net *nets;
	size_t n_nets;
	bool dhcp;                      /* the gateway takes its address here by DHCP */
};

/* One protocol and port range a service listens on. */
struct pol_svc_port {
	uint8_t proto;                  /* IPPROTO_TCP, _UDP or _SCTP */
	uint16_t lo, hi;
};

struct pol_service {
	char *name;
	char *owner;                    /* "" when not given */
	struct pol_net *addrs;
	size_t n_addrs;
	struct pol_svc_port *ports;
	size_t n_ports;
	uint32_t rpo, rto;              /* seconds; 0 = not given */
	bool synproxy;                  /* the gateway answers its TCP SYNs with cookies */
};

struct pol_table {
	char name[POL_NAME_MAX + 1];
	char *path;                     /* file table: absolute path; NULL: inline */
	struct pol_net *elems;          /* inline elements */
	size_t n_elems;
	bool overload;                  /* filled by `overload` of a rule (a dynamic set) */
};

/* One element of a rule's source or destination. */
enum pol_ep_kind { POL_EP_ZONE, POL_EP_NET, POL_EP_TABLE, POL_EP_SERVICE };

struct pol_ep {
	uint8_t kind;                   /* enum pol_ep_kind */
	bool neg;                       /* written with '!' */
	uint32_t idx;                   /* zone, table or service index */
	struct pol_net net;             /* POL_EP_NET */
};

struct pol_range {
	uint16_t lo, hi;
};

struct pol_rule {
	uint32_t id;                    /* 1.. in file order; EVE signature_id */
	uint8_t action;                 /* enum verdict_action */
	uint8_t severity;               /* 1 (highest) .. 4 */
	bool log;
	bool ret;                       /* block return: TCP reset / ICMP unreachable */
	bool dpi;                       /* has app/category/host/risk criteria */
	uint8_t *protos;                /* IP protocol numbers; none = any */
	size_t n_protos;
	struct pol_ep *src, *dst;       /* none = any */
	size_t n_src, n_dst;
	struct pol_range *ports;        /* destination ports; none = any */
	size_t n_ports;
	uint16_t *apps;                 /* nDPI protocol ids */
	size_t n_apps;
	uint16_t *cats;                 /* nDPI category ids */
	size_t n_cats;
	char **hosts;                   /* lower case; "*.x.org" or exact */
	size_t n_hosts;
	uint64_t risks;                 /* nDPI risk bits, any of them */
	bool risk_any;                  /* `risk any`: any risk bit */
	char *text;                     /* the rule, normalised */
	char *file;                     /* where it was written */
	int line;
	bool self;                      /* `to self`: traffic to the gateway */
	/* per-source limits of a static pass rule (policy_gw.c); 0 = none */
	uint32_t max_src_conn;          /* connections open at once */
	uint32_t rate_n, rate_s;        /* new connections: rate_n per rate_s seconds */
	uint32_t overload;              /* 1 + table index the offender goes into; 0: none */
	uint32_t overload_s;            /* for how long, seconds */
	char overload_name[POL_NAME_MAX + 1];
	/* inline: how connections this DPI rule selects fail (relay.h); 0 as
	 * `inline { fail }` says, POL_FAIL_OPEN, POL_FAIL_CLOSED */
	uint8_t fail;
};
#define POL_FAIL_OPEN 1
#define POL_FAIL_CLOSED 2

/*
 * NAT (IPv4 only; policy_gw.c). `nat`: source NAT of traffic from src
 * leaving by zone out's device, to the device's own address (masquerade)
 * or to addr. `rdr`: traffic from src arriving on src zone's device for
 * one of the gateway's own addresses, proto/port, goes to service svc's
 * IPv4 address and to_port.
 */
struct pol_nat {
	uint32_t id;                    /* 1.. in file order, apart from rules */
	bool rdr;
	struct pol_ep *src;             /* zones, IPv4 nets, tables; none = any */
	size_t n_src;
	uint32_t out;                   /* nat: the zone it leaves by */
	bool has_addr;                  /* nat: to addr, not masquerade */
	uint8_t addr[4];
	uint8_t proto;                  /* rdr: IPPROTO_TCP or _UDP */
	uint16_t port, to_port;         /* rdr: the gateway's port, the service's */
	uint32_t svc;                   /* rdr: service index */
	uint8_t svc_addr[4];
	char *text;                     /* the statement, normalised */
	char *file;
	int line;
};

struct policy {
	struct pol_zone *zones;
	size_t n_zones;
	struct pol_service *services;
	size_t n_services;
	struct pol_table *tables;
	size_t n_tables;
	struct pol_rule *rules;
	size_t n_rules;
	struct pol_net *console;        /* addresses a quarantined host may reach */
	size_t n_console;
	uint8_t default_action;         /* VERDICT_PASS unless `default block` */
	bool default_log;
	struct pol_nat *nats;           /* policy_gw.c */
	size_t n_nats;
};

/* policy_gw.c: free p's NAT statements (policy_free() calls it). */
void policy_gw_free(struct policy *p);

/*
 * policy_gw.c: can the policy's rules let anyone manage the gateway over
 * the network, i.e. does some `pass ... to self` rule pass TCP port 22
 * (SSH)? True, too, when there is no policy or its default is pass (what
 * no rule names then reaches the gateway). kastrod -n warns when it cannot.
 */
bool policy_gw_manageable(const struct policy *p);

/*
 * policy_gw.c: the address families one side of a rule can match, as a
 * bit set (1: IPv4, 2: IPv6); 3 for `any`, zones with a device and tables.
 */
unsigned policy_gw_families(const struct policy *p, const struct pol_ep *e, size_t n);

/* Free a policy and everything it holds; NULL is fine. */
void policy_free(struct policy *p);

/*
 * The first DPI rule that matches the query, in file order, or NULL. See
 * docs/config.md for how each criterion matches; c->ifaces maps q->iface
 * to a device name. A rule with risk criteria matches only when one of its
 * risks is set in q->risk (so a pass verdict given before detection ended
 * is not final: the daemon asks again with q->final set).
 */
const struct pol_rule *policy_match_dpi(const struct kastrod_conf *c,
					const struct verdict_query *q);

/* Fill v for rule r's verdict on the flow of q. */
void policy_verdict(const struct pol_rule *r, const struct verdict_query *q,
		    struct verdict *v);

/* Address tables, for the daemon to load file tables; NULL past the end. */
const struct pol_table *policy_table(const struct kastrod_conf *c, size_t i);

/* Parse "1.2.3.0/24", "fd00::1" into n (host bits cleared). 0 or -1. */
int policy_parse_net(const char *s, size_t len, struct pol_net *n);

/* Write n as text ("10.0.0.0/8", "fd00::1"); the host length is left out. */
void policy_net_str(const struct pol_net *n, char *out, size_t outlen);

/* Name of IP protocol p ("tcp", "ipv6-icmp", or the number). */
void policy_proto_str(uint8_t p, char *out, size_t outlen);

#endif
