# Integration tests: the real daemon against a simulated kernel.
# Included by the top Makefile; `make integration-check` (part of `make check`).
#
#   $(B)/integ/fakekernel.so   LD_PRELOAD: fake libudev + state_store
#   $(B)/integ/minid           naive onliner, tests the fake itself
#   $(B)/integ/test_integration  cmocka scenarios
#
# The scenarios run with the ASan+UBSan daemon $(A)/memhotd; a subset
# runs with the plain $(B)/memhotd under valgrind.

INTEG_DIR  := tests/integration
INTEG_B    := $(B)/integ
INTEG_HDRS := $(INTEG_DIR)/fk.h tests/vectors/policy.h
INTEG_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -O1 -g
INTEG_VALGRIND_FILTERS ?= errno_injection enobufs_overflow delegate_mode \
	metrics_textfile
INTEG_VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --track-fds=no

$(INTEG_B):
	mkdir -p $@

$(INTEG_B)/fakekernel.so: $(INTEG_DIR)/fakekernel.c $(INTEG_DIR)/fk.c $(INTEG_HDRS) | $(INTEG_B)
	$(CC) $(INTEG_CFLAGS) -fPIC -shared -fvisibility=hidden -o $@ \
		$(INTEG_DIR)/fakekernel.c $(INTEG_DIR)/fk.c -ldl -lpthread

# minid links libudev only so its udev_* calls are PLT calls that the
# preloaded fake answers; real libudev is never reached.
$(INTEG_B)/minid: $(INTEG_DIR)/minid.c | $(INTEG_B)
	$(CC) $(INTEG_CFLAGS) -o $@ $< $(shell pkg-config --libs libudev 2>/dev/null || echo -ludev)

$(INTEG_B)/test_integration: $(INTEG_DIR)/test_integration.c $(INTEG_DIR)/fk.c $(INTEG_HDRS) | $(INTEG_B)
	$(CC) $(INTEG_CFLAGS) -o $@ $(INTEG_DIR)/test_integration.c \
		$(INTEG_DIR)/fk.c $(CMOCKA_LIBS) -lpthread

INTEG_TOOLS := $(INTEG_B)/fakekernel.so $(INTEG_B)/minid $(INTEG_B)/test_integration
INTEG_ENV = FAKEKERNEL_SO=$(abspath $(INTEG_B)/fakekernel.so) \
	MINID_BIN=$(abspath $(INTEG_B)/minid)

.PHONY: integration-check integration-asan integration-valgrind integration-tools
integration-tools: $(INTEG_TOOLS)

integration-asan: $(INTEG_TOOLS) $(A)/memhotd
	@echo "== integration (ASan+UBSan daemon)"
	@$(INTEG_ENV) MEMHOTD_BIN=$(abspath $(A)/memhotd) $(INTEG_B)/test_integration

integration-valgrind: $(INTEG_TOOLS) $(B)/memhotd
	@set -e; for f in $(INTEG_VALGRIND_FILTERS); do \
		echo "== integration under valgrind: $$f"; \
		$(INTEG_ENV) MEMHOTD_BIN=$(abspath $(B)/memhotd) INTEG_SLOW=6 \
		MEMHOTD_WRAPPER="$(INTEG_VALGRIND)" \
		INTEG_FILTER="$$f" $(INTEG_B)/test_integration; done

integration-check: integration-asan integration-valgrind

CHECK_TARGETS += integration-check
