# Kastro: one Makefile for the whole tree.
#
#   make            build everything into build/out/
#   make check      install test packages, run every test (unit, unit under
#                   ASan+UBSan, nDPI agreement, network, short fuzz)
#   make check SAN=1  unit tests under ASan+UBSan only
#   make demo       run the appliance in a lab of network namespaces
#   make bench      benchmarks (ratios against references run alongside)
#   make fuzz       longer fuzz runs (FUZZ_SECONDS per target, default 300)
#   make deb        Debian packages into build/deb/ (DEB_VERSION=0.1.0-2 for
#                   a rebuilt newer one)
#   make check-install  the packages on a fresh Debian 12 in systemd-nspawn
#   make test-hooks-outage  alert hooks through a long receiver outage

SAN ?= 0
ifeq ($(SAN),1)
B := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
B := build/out
SANFLAGS :=
endif

CC := gcc
# V=1 shows every command
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @echo "  $(1) $(2)"
endif
PKGS := libpcap libndpi libcap-ng libnftables libnftnl libmnl libnetfilter_queue libnetfilter_conntrack libseccomp libsystemd \
	sqlite3 openssl libevent libevent_openssl libargon2 libcurl jansson yara
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
# libresolv: the console's DNS checks (no pkg-config file)
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -lresolv
CPPFLAGS := -Ilib -Idaemon -Iconsole -Iagent -I$(B)/gen -D_GNU_SOURCE
CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 $(SANFLAGS)
LDFLAGS := $(SANFLAGS) -Wl,--as-needed
# Flags a distribution build adds on top (packaging/debian/rules passes
# dpkg-buildflags' hardening flags here).
CFLAGS += $(KASTRO_CFLAGS)
CPPFLAGS += $(KASTRO_CPPFLAGS)
LDFLAGS += $(KASTRO_LDFLAGS)

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
LIBK := $(B)/libkastro.a

# kastrod.c holds main(); every other daemon module is linked into tests too.
DAEMON_SRCS := $(filter-out daemon/kastrod.c,$(wildcard daemon/*.c))
DAEMON_GEN := $(B)/gen/conf_parse.c $(B)/gen/conf_lex.c
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(B)/%.o) $(DAEMON_GEN:.c=.o)

# kastro-console.c holds the console's main(); its other modules are linked
# into tests too.
CONSOLE_SRCS := $(filter-out console/kastro-console.c,$(wildcard console/*.c))
CONSOLE_GEN := $(if $(wildcard console/cconf_parse.y),$(B)/gen/cconf_parse.c $(B)/gen/cconf_lex.c)
WWW_FILES := $(sort $(wildcard console/www/*))
CONSOLE_OBJS := $(CONSOLE_SRCS:%.c=$(B)/%.o) $(CONSOLE_GEN:.c=.o) $(B)/gen/www.o

# kastro-agent.c holds the agent's main(); its other modules are linked
# into tests too.
AGENT_SRCS := $(filter-out agent/kastro-agent.c,$(wildcard agent/*.c))
AGENT_GEN := $(if $(wildcard agent/aconf_parse.y),$(B)/gen/aconf_parse.c $(B)/gen/aconf_lex.c)
AGENT_OBJS := $(AGENT_SRCS:%.c=$(B)/%.o) $(AGENT_GEN:.c=.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
# helpers every unit test links (tests/unit/testfs.h)
UNIT_LIB := $(B)/tests/unit/testfs.o

BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(B)/bench/%)

# kastroctl: the officers' tool (tools/), linked with libkastro only.
CTL_SRCS := $(wildcard tools/*.c)
CTL_OBJS := $(CTL_SRCS:%.c=$(B)/%.o)

PROGS := $(B)/kastrod $(B)/kastroctl
ifneq ($(wildcard console/kastro-console.c),)
PROGS += $(B)/kastro-console
endif
ifneq ($(wildcard agent/kastro-agent.c),)
PROGS += $(B)/kastro-agent
endif

.PHONY: all progs deps unit-bins check check-unit demo bench fuzz clean deb check-install test-hooks-outage
# Every entry point first installs what is missing (quietly when nothing is).
all:
	@packaging/deps.sh build
	@$(MAKE) --no-print-directory progs

progs: $(PROGS)

deps:
	@packaging/deps.sh build

$(B)/%.o: %.c | $(B)/gen/conf_parse.h $(filter %_parse.h,$(CONSOLE_GEN:.c=.h) $(AGENT_GEN:.c=.h))
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# Generated parser: bison/flex output is not held to -Wextra's unused checks.
$(B)/gen/conf_parse.c $(B)/gen/conf_parse.h: daemon/conf_parse.y
	@mkdir -p $(B)/gen
	$(call say,BISON,$<)
	$(Q)bison -Wall -Werror --defines=$(B)/gen/conf_parse.h -o $(B)/gen/conf_parse.c $<
$(B)/gen/conf_lex.c: daemon/conf_lex.l $(B)/gen/conf_parse.h
	@mkdir -p $(B)/gen
	$(call say,FLEX,$<)
	$(Q)flex -o $@ $<
$(B)/gen/cconf_parse.c $(B)/gen/cconf_parse.h: console/cconf_parse.y
	@mkdir -p $(B)/gen
	$(call say,BISON,$<)
	$(Q)bison -Wall -Werror --defines=$(B)/gen/cconf_parse.h -o $(B)/gen/cconf_parse.c $<
$(B)/gen/cconf_lex.c: console/cconf_lex.l $(B)/gen/cconf_parse.h
	@mkdir -p $(B)/gen
	$(call say,FLEX,$<)
	$(Q)flex -o $@ $<
$(B)/gen/aconf_parse.c $(B)/gen/aconf_parse.h: agent/aconf_parse.y
	@mkdir -p $(B)/gen
	$(call say,BISON,$<)
	$(Q)bison -Wall -Werror --defines=$(B)/gen/aconf_parse.h -o $(B)/gen/aconf_parse.c $<
$(B)/gen/aconf_lex.c: agent/aconf_lex.l $(B)/gen/aconf_parse.h
	@mkdir -p $(B)/gen
	$(call say,FLEX,$<)
	$(Q)flex -o $@ $<
# The web UI's files, compiled in (console/www.h).
$(B)/gen/www.c: console/www-embed.sh $(WWW_FILES) console/www
	@mkdir -p $(B)/gen
	$(call say,EMBED,console/www)
	$(Q)sh console/www-embed.sh $@ $(WWW_FILES)
$(B)/gen/%.o: $(B)/gen/%.c
	$(call say,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -Wno-unused-function -Wno-unused-parameter -Wno-sign-compare -MMD -MP -c -o $@ $<

$(LIBK): $(LIB_OBJS)
	$(Q)rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(B)/kastrod: $(B)/daemon/kastrod.o $(DAEMON_OBJS) $(LIBK)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/kastro-console: $(B)/console/kastro-console.o $(CONSOLE_OBJS) $(LIBK)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/kastro-agent: $(B)/agent/kastro-agent.o $(AGENT_OBJS) $(LIBK)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(B)/kastroctl: $(CTL_OBJS) $(LIBK)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

$(B)/tests/%: tests/unit/%.c $(UNIT_LIB) $(DAEMON_OBJS) $(CONSOLE_OBJS) $(AGENT_OBJS) $(LIBK)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka -lpthread

# nftbench drives daemon/nft.c (tests/net/test_nft.sh, bench section setupdate)
$(B)/bench/nftbench: tests/bench/nftbench.c $(B)/daemon/nft.o $(LIBK)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/bench/%: tests/bench/%.c $(LIBK)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# ---- tests -------------------------------------------------------------
unit-bins: $(UNIT_BINS)

check-unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

ifeq ($(SAN),1)
check:
	@packaging/deps.sh test
	@$(MAKE) --no-print-directory SAN=1 check-unit
else
check:
	@packaging/deps.sh test deb install
	@$(MAKE) --no-print-directory all unit-bins
	@$(MAKE) --no-print-directory SAN=1 unit-bins build/san/kastrod build/san/kastro-console build/san/kastro-agent build/san/kastroctl
	@tests/check.sh build/out build/san
endif

FUZZ_SECONDS ?= 300
fuzz:
	@packaging/deps.sh fuzz
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

demo:
	@packaging/deps.sh demo
	@$(MAKE) --no-print-directory all
	@tests/demo/demo.sh $(B)

bench:
	@packaging/deps.sh bench
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@tests/bench/run.sh $(B)

# Alert hooks through a long outage (tests/console/test_hooks.sh): the
# webhook receiver away HOOKS_OUTAGE_SECONDS while HOOKS_OUTAGE_ALERTS
# alerts are raised, the console killed -9 while it catches up; not part
# of make check (which runs 10,000 alerts and 20 s).
HOOKS_OUTAGE_SECONDS ?= 300
HOOKS_OUTAGE_ALERTS ?= 50000
test-hooks-outage:
	@packaging/deps.sh test
	@$(MAKE) --no-print-directory all
	@KASTRO_HOOKS_OUTAGE=$(HOOKS_OUTAGE_SECONDS) KASTRO_HOOKS_ALERTS=$(HOOKS_OUTAGE_ALERTS) \
		tests/console/test_hooks.sh $(B)

# Debian packages (packaging/mkdeb.sh: dpkg-buildpackage -b, then lintian).
DEB_VERSION ?=
deb:
	@packaging/deps.sh build deb
	@packaging/mkdeb.sh build/deb $(DEB_VERSION)

# The packages installed on a fresh Debian 12 booted with systemd-nspawn
# (tests/pkg/test_install.sh; the root file system is cached in
# /var/cache/kastro-test).
check-install:
	@packaging/deps.sh build deb install
	@tests/pkg/test_install.sh build/deb-install

clean:
	rm -rf build

-include $(shell find build -name '*.d' -type f 2>/dev/null)
