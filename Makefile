# memhotd — see README.md.  `make` builds, `make check` runs every test
# (installing missing build dependencies first), `make demo` shows it off.

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UDEVRULESDIR ?= $(shell pkg-config --variable=udevdir udev 2>/dev/null || echo /usr/lib/udev)/rules.d
SYSTEMDUNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)
SYSUSERSDIR ?= $(shell pkg-config --variable=sysusersdir systemd 2>/dev/null || echo /usr/lib/sysusers.d)
DATADIR    ?= $(PREFIX)/share
DOCDIR     ?= $(DATADIR)/doc/memhotd
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
GRUBDDIR   ?= $(SYSCONFDIR)/default/grub.d

VERSION := 0.1.0
CC      ?= cc
PKGS    := libudev libsystemd inih json-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
BASE_CFLAGS := -std=gnu11 $(WARN) -Iinclude -D_GNU_SOURCE $(PKG_CFLAGS) \
	-DMEMHOTD_VERSION='"$(VERSION)"'
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Sources live in one folder per layer (doc/architecture.md); each layer
# is a static library, and a layer may use only the layers below it:
#   shared  <-  core  <-  sys  <-  daemon (memhotd)
#      \<-  ctl (memhotctl)
# `make layers-check` verifies it on the built objects and binaries.
LAYERS    := daemon ctl sys core shared
MAINS     := src/daemon/memhotd.c src/ctl/memhotctl.c
LIB_SRCS  := $(filter-out $(MAINS),$(sort $(wildcard $(LAYERS:%=src/%/*.c))))
HDRS      := $(wildcard include/memhotd/*.h)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))

# Out-of-tree build dir; parallel work may use its own (make B=build-x).
B ?= build
A ?= $(B)/asan

LIB_OBJS      := $(LIB_SRCS:src/%.c=$(B)/obj/%.o)
LIB_OBJS_ASAN := $(LIB_SRCS:src/%.c=$(A)/obj/%.o)
UNIT_BINS      := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
UNIT_BINS_ASAN := $(UNIT_SRCS:tests/unit/%.c=$(A)/tests/%)

# The layer libraries of build dir $(1), in link order.
layer_libs = $(LAYERS:%=$(1)/lib/libmh-%.a)
layer_objs = $(patsubst src/%.c,$(1)/obj/%.o,$(filter src/$(2)/%,$(LIB_SRCS)))

# memhotd: daemon, sys, core, shared.  memhotctl: ctl and shared, and of
# the system libraries only json-c (no libudev, inih, libsystemd).
DAEMON_LIBS = $(foreach l,daemon sys core shared,$(1)/lib/libmh-$(l).a)
CTL_LIBS    = $(foreach l,ctl shared,$(1)/lib/libmh-$(l).a)
CTL_PKG_LIBS := $(shell pkg-config --libs json-c 2>/dev/null)

# Header dependencies: the compiler writes them (-MMD -MP).
DEPFLAGS = -MMD -MP

UNIT_CHECK_DEPS ?=

.PHONY: uninstall dist test config-examples-check completion-check systemd-check
.PHONY: all clean install check deps unit-check valgrind-check format \
	format-check clang-check install-check check-vm demo bench bench-coldplug \
	man-check layers-check
PROGS := $(B)/memhotd $(B)/memhotctl
all: $(PROGS)

$(B)/memhotd: $(B)/obj/daemon/memhotd.o $(call DAEMON_LIBS,$(B))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/memhotctl: $(B)/obj/ctl/memhotctl.o $(call CTL_LIBS,$(B))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CTL_PKG_LIBS)

# `memhotctl blocks` without a daemon runs $(SBINDIR)/memhotd --list-blocks:
# the path is compiled in, and memhotctl.o is rebuilt when SBINDIR changes.
CTL_MAIN_OBJS := $(B)/obj/ctl/memhotctl.o $(A)/obj/ctl/memhotctl.o
$(CTL_MAIN_OBJS): BASE_CFLAGS += -DMEMHOTD_PATH='"$(SBINDIR)/memhotd"'
$(CTL_MAIN_OBJS): $(B)/sbindir.stamp
$(B)/sbindir.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(SBINDIR)' | cmp -s - $@ || echo '$(SBINDIR)' > $@
FORCE:

$(B)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(DEPFLAGS) $(CFLAGS) -c -o $@ $<
$(A)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(DEPFLAGS) $(CFLAGS) $(SAN_FLAGS) -c -o $@ $<

# One static library per layer and build dir.
define layer_lib
$(B)/lib/libmh-$(1).a: $(call layer_objs,$(B),$(1))
	@mkdir -p $$(@D)
	rm -f $$@ && $$(AR) rcs $$@ $$^
$(A)/lib/libmh-$(1).a: $(call layer_objs,$(A),$(1))
	@mkdir -p $$(@D)
	rm -f $$@ && $$(AR) rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_lib,$(l))))

# Sanitized daemon and client, for the integration tests.
$(A)/memhotd: $(A)/obj/daemon/memhotd.o $(call DAEMON_LIBS,$(A))
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(A)/memhotctl: $(A)/obj/ctl/memhotctl.o $(call CTL_LIBS,$(A))
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(CTL_PKG_LIBS)

# Unit tests: each links the modules it tests (TEST_MODS_<test>, paths
# under src/ without .c), and from the layer libraries only the objects
# those need.  TEST_BINS_<test>: programs the test runs.
TEST_MODS_test_competitors := sys/competitors
TEST_MODS_test_config      := daemon/config
TEST_MODS_test_control     := daemon/control ctl/client shared/protocol
TEST_MODS_test_daemon_queue := daemon/daemon core/sched core/plan
TEST_MODS_test_facts       := sys/facts
TEST_MODS_test_instance    := sys/instance
TEST_MODS_test_inventory   := core/inventory
TEST_MODS_test_kernel      := daemon/kernel ctl/render
TEST_MODS_test_memhotctl   := daemon/daemon-control ctl/client
TEST_MODS_test_metrics     := daemon/metrics daemon/journal shared/log
TEST_BINS_test_memhotctl   := memhotctl memhotd
TEST_MODS_test_onliner     := core/onliner sys/onliner-write
TEST_MODS_test_outcome     := core/outcome core/onliner
TEST_MODS_test_parse       := core/parse sys/sysfs sys/scan daemon/config
TEST_MODS_test_plan        := core/plan
TEST_MODS_test_policy      := core/policy
TEST_MODS_test_report      := daemon/report core/listing ctl/render shared/format
TEST_MODS_test_render      := ctl/render
TEST_MODS_test_rules       := core/rules
TEST_MODS_test_scan        := sys/scan
TEST_MODS_test_sched       := core/sched
TEST_MODS_test_groups      := core/groups
TEST_MODS_test_udevjudge   := core/udevjudge
test_objs = $(TEST_MODS_$(2):%=$(1)/obj/%.o)
# ... and the libraries of their layers and those below, in link order.
LAYER_DEPS_daemon := daemon sys core shared
LAYER_DEPS_ctl    := ctl shared
LAYER_DEPS_sys    := sys core shared
LAYER_DEPS_core   := core shared
LAYER_DEPS_shared := shared
test_layers = $(sort $(foreach m,$(TEST_MODS_$(1)),$(LAYER_DEPS_$(firstword $(subst /, ,$(m))))))
test_libs = $(foreach l,$(LAYERS),$(if $(filter $(l),$(call test_layers,$(2))),$(1)/lib/libmh-$(l).a))
TEST_LINK = -Wl,--as-needed $(PKG_LIBS) $(CMOCKA_LIBS)

.SECONDEXPANSION:
$(B)/tests/%: tests/unit/%.c $$(call test_objs,$(B),$$*) $$(call test_libs,$(B),$$*) \
		$$(addprefix $(B)/,$$(TEST_BINS_$$*)) | $(B)/tests
	$(if $(TEST_MODS_$*),,$(error $@: no TEST_MODS_$* in the Makefile))
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(DEPFLAGS) -MF $@.d $(CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(call test_objs,$(B),$*) $(call test_libs,$(B),$*) $(TEST_LINK)
$(A)/tests/%: tests/unit/%.c $$(call test_objs,$(A),$$*) $$(call test_libs,$(A),$$*) \
		$$(addprefix $(A)/,$$(TEST_BINS_$$*)) | $(A)/tests
	$(if $(TEST_MODS_$*),,$(error $@: no TEST_MODS_$* in the Makefile))
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(DEPFLAGS) -MF $@.d $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(call test_objs,$(A),$*) $(call test_libs,$(A),$*) $(TEST_LINK)

# The scheduler, inventory and policy (the coldplug benchmark links them).
SCHED_TEST_MODS := core/sched core/inventory core/policy core/rules core/onliner

# The groups' test links only the pure core it tests.
GROUPS_TEST_MODS := core/groups core/inventory core/policy core/rules core/parse
$(B)/tests/test_groups: tests/unit/test_groups.c $(GROUPS_TEST_MODS:%=$(B)/obj/%.o) $(HDRS) | $(B)/tests
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(GROUPS_TEST_MODS:%=$(B)/obj/%.o) $(CMOCKA_LIBS)
$(A)/tests/test_groups: tests/unit/test_groups.c $(GROUPS_TEST_MODS:%=$(A)/obj/%.o) $(HDRS) | $(A)/tests
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(SAN_FLAGS) -o $@ $< $(GROUPS_TEST_MODS:%=$(A)/obj/%.o) $(CMOCKA_LIBS)

# The udev judge's test links only the judge.
$(B)/tests/test_udevjudge: tests/unit/test_udevjudge.c $(B)/obj/core/udevjudge.o $(HDRS) | $(B)/tests
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -Itests/unit -o $@ $< $(B)/obj/core/udevjudge.o $(CMOCKA_LIBS)
$(A)/tests/test_udevjudge: tests/unit/test_udevjudge.c $(A)/obj/core/udevjudge.o $(HDRS) | $(A)/tests
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $< $(A)/obj/core/udevjudge.o $(CMOCKA_LIBS)

# Coldplug benchmark (not a test; `make bench` runs it): the scheduler,
# inventory and policy deciding 1Ki .. 64Ki offline blocks in memory.
$(B)/bench/coldplug: bench/coldplug.c $(SCHED_TEST_MODS:%=$(B)/obj/%.o) | $(B)/bench
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(DEPFLAGS) -MF $@.d $(CFLAGS) $(LDFLAGS) -o $@ $< $(SCHED_TEST_MODS:%=$(B)/obj/%.o)
bench-coldplug: $(B)/bench/coldplug
	@uptime
	$(B)/bench/coldplug $(COLDPLUG_ARGS)
	$(B)/bench/coldplug -l virtio $(COLDPLUG_ARGS)
bench: bench-coldplug
# The plug benchmark's floor (`make bench` passes it to bench/bench.py): the
# smallest uevent-to-write onliner, static so the guest needs no libraries.
$(B)/bench/floor-writer: bench/floor-writer.c | $(B)/bench
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(DEPFLAGS) -MF $@.d $(CFLAGS) $(LDFLAGS) -static -o $@ $<

$(B)/bench $(B)/obj $(A)/obj $(B)/tests $(A)/tests:
	mkdir -p $@

-include $(wildcard $(B)/obj/*/*.d $(A)/obj/*/*.d $(B)/tests/*.d $(A)/tests/*.d \
	$(B)/bench/*.d)

deps:
	@scripts/deps.sh

# Unit tests: under AddressSanitizer+UBSan, then the plain build under valgrind.
unit-check: $(UNIT_BINS_ASAN)
	@set -e; for t in $(UNIT_BINS_ASAN); do \
		echo "== $$t"; MEMHOTD_TEST_DATA=tests/data $$t; done

valgrind-check: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do \
		echo "== valgrind $$t"; MEMHOTD_TEST_DATA=tests/data valgrind -q --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite,indirect $$t; done

# Further test suites hook in here (integration, VM).
-include tests/integration/integration.mk
-include tests/vm/vm.mk
-include tests/vm/systemd.mk
-include fuzz/fuzz.mk

# The whole tree must also build warning-free with clang.
clang-check:
	@$(MAKE) --no-print-directory B=$(B)/clang CC=clang all $(UNIT_SRCS:tests/unit/%.c=$(B)/clang/tests/%)

# The layers hold: no layer uses one above it, memhotctl holds no daemon
# code and needs no libudev/inih; prints both programs' sizes.
layers-check: $(PROGS) $(call layer_libs,$(B))
	@sh scripts/layers-check.sh $(B)

CHECK_TARGETS ?=
CHECK_TARGETS += layers-check
check: deps
	@$(MAKE) --no-print-directory all format-check man-check install-check config-examples-check completion-check systemd-check clang-check unit-check valgrind-check $(CHECK_TARGETS)

FORMAT_FILES = $(wildcard bench/*.c src/*/*.c include/memhotd/*.h tests/unit/*.c tests/unit/*.h tests/vectors/*.h tests/integration/*.c tests/integration/*.h fuzz/*.c fuzz/*.h)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

# Man pages must render without a single warning.
man-check:
	@set -e; for m in $(wildcard man/*.[0-9]); do mandoc -Tlint -W warning $$m; done

# Files installed besides programs, unit, rule and man pages.  The
# configuration and the grub snippet are never overwritten.
DOC_FILES := README.md LICENSE $(wildcard doc/*.md)
EXAMPLES  := $(wildcard conf/*.conf)

install: all
	install -D -m 0755 $(B)/memhotd $(DESTDIR)$(SBINDIR)/memhotd
	install -D -m 0755 $(B)/memhotctl $(DESTDIR)$(BINDIR)/memhotctl
	install -D -m 0644 systemd/memhotd.service $(DESTDIR)$(SYSTEMDUNITDIR)/memhotd.service
	sed -i 's|@SBINDIR@|$(SBINDIR)|g; s|@BINDIR@|$(BINDIR)|g' $(DESTDIR)$(SYSTEMDUNITDIR)/memhotd.service
	install -D -m 0644 udev/80-memhotd.rules $(DESTDIR)$(UDEVRULESDIR)/80-memhotd.rules
	install -D -m 0644 conf/sysusers.d/memhotd.conf $(DESTDIR)$(SYSUSERSDIR)/memhotd.conf
	install -D -m 0644 completion/memhotctl $(DESTDIR)$(BASHCOMPDIR)/memhotctl
	install -D -m 0644 completion/memhotd $(DESTDIR)$(BASHCOMPDIR)/memhotd
	for m in man/*.[0-9]; do sec=$${m##*.}; \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$sec/$$(basename $$m); done
	for f in $(DOC_FILES); do install -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/$$(basename $$f); done
	for f in $(EXAMPLES); do install -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/examples/$$(basename $$f); done
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/memhotd.conf ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/memhotd.conf"; \
	else install -D -m 0644 memhotd.conf $(DESTDIR)$(SYSCONFDIR)/memhotd.conf; fi
	@if [ -e $(DESTDIR)$(GRUBDDIR)/memhotd.cfg ]; then \
		echo "keeping existing $(DESTDIR)$(GRUBDDIR)/memhotd.cfg"; \
	else install -D -m 0644 conf/grub.d/memhotd.cfg $(DESTDIR)$(GRUBDDIR)/memhotd.cfg; fi
	@# Installing onto this system: create the [control] group now.
	@if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers $(SYSUSERSDIR)/memhotd.conf; \
	elif [ -z "$(DESTDIR)" ]; then \
		echo "create the group memhotd (groupadd --system memhotd)"; fi

# Removes what install put there, except the configuration (and the grub
# snippet), which may hold local changes; the group stays too.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/memhotd $(DESTDIR)$(BINDIR)/memhotctl \
		$(DESTDIR)$(SYSTEMDUNITDIR)/memhotd.service \
		$(DESTDIR)$(UDEVRULESDIR)/80-memhotd.rules \
		$(DESTDIR)$(SYSUSERSDIR)/memhotd.conf \
		$(DESTDIR)$(BASHCOMPDIR)/memhotctl $(DESTDIR)$(BASHCOMPDIR)/memhotd
	for m in man/*.[0-9]; do sec=$${m##*.}; \
		rm -f $(DESTDIR)$(MANDIR)/man$$sec/$$(basename $$m); done
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/memhotd.conf and $(DESTDIR)$(GRUBDDIR)/memhotd.cfg; remove them by hand if unwanted"

# A release tarball of the committed tree (HEAD), reproducible.
dist:
	git archive --format=tar --prefix=memhotd-$(VERSION)/ HEAD | gzip -9n > memhotd-$(VERSION).tar.gz
	@echo memhotd-$(VERSION).tar.gz

# Every configuration example (README.md, memhotd.conf(5), memhotd.conf,
# conf/*.conf) must pass memhotd --check-config.
config-examples-check: $(B)/memhotd
	python3 tests/config/check_examples.py $(B)/memhotd .

# The installed unit: systemd-analyze verify finds no problem (binaries,
# man pages, directives), and its exposure stays at most 2.0.
systemd-check: all
	@set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	$(MAKE) --no-print-directory -s install DESTDIR=$$d PREFIX=/usr \
		SYSTEMDUNITDIR=/lib/systemd/system >/dev/null; \
	MANPATH=$$d/usr/share/man systemd-analyze verify --root=$$d memhotd.service; \
	systemd-analyze security --offline=yes --root=$$d --threshold=20 \
		memhotd.service | tail -n 1

# bash completion of memhotctl and memhotd, driven as an interactive shell would.
completion-check: $(B)/memhotctl
	bash tests/completion/test_completion.sh $(B)/memhotctl

# The plain unit tests, without sanitizers or valgrind: what a package
# build runs (with the distribution's build flags).
test: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do \
		echo "== $$t"; MEMHOTD_TEST_DATA=tests/data $$t; done

# make install into a scratch DESTDIR: every file lands, PREFIX is honoured
# and an existing /etc/memhotd.conf is kept.
install-check: all
	@set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	$(MAKE) --no-print-directory -s install DESTDIR=$$d PREFIX=/opt/mh >/dev/null; \
	for f in /opt/mh/sbin/memhotd /opt/mh/bin/memhotctl $(SYSCONFDIR)/memhotd.conf \
		$(SYSTEMDUNITDIR)/memhotd.service $(UDEVRULESDIR)/80-memhotd.rules \
		$(SYSUSERSDIR)/memhotd.conf $(SYSCONFDIR)/default/grub.d/memhotd.cfg \
		/opt/mh/share/bash-completion/completions/memhotctl \
		/opt/mh/share/bash-completion/completions/memhotd \
		/opt/mh/share/doc/memhotd/README.md /opt/mh/share/doc/memhotd/LICENSE \
		/opt/mh/share/doc/memhotd/control-protocol.md \
		/opt/mh/share/man/man8/memhotd.8 /opt/mh/share/man/man8/memhotctl.8 \
		/opt/mh/share/man/man5/memhotd.conf.5; do \
		test -f "$$d$$f" || { echo "install-check: $$f missing"; exit 1; }; done; \
	grep -q '^ExecStart=/opt/mh/sbin/memhotd' $$d$(SYSTEMDUNITDIR)/memhotd.service; \
	grep -q '^ExecReload=/opt/mh/bin/memhotctl reload' $$d$(SYSTEMDUNITDIR)/memhotd.service; \
	! grep -n '@[A-Z]*@' $$d$(SYSTEMDUNITDIR)/memhotd.service; \
	echo '# local' > $$d$(SYSCONFDIR)/memhotd.conf; \
	$(MAKE) --no-print-directory -s install DESTDIR=$$d PREFIX=/opt/mh >/dev/null; \
	grep -qx '# local' $$d$(SYSCONFDIR)/memhotd.conf; \
	$(MAKE) --no-print-directory -s uninstall DESTDIR=$$d PREFIX=/opt/mh >/dev/null; \
	left=$$(cd $$d && find . -type f | sort | tr '\n' ' '); \
	test "$$left" = "./etc/default/grub.d/memhotd.cfg ./etc/memhotd.conf " || \
		{ echo "install-check: uninstall left: $$left"; exit 1; }; \
	echo "install-check: ok"

clean:
	rm -rf $(B)
