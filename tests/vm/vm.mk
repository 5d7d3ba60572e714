# Real-kernel end-to-end suite (QEMU/TCG guests, Debian kernels 5.10, 6.1 and 6.12): see
# tests/vm/README.md.  Included by the top Makefile.
#   vm-check (part of make check): the whole differential suite (kernel auto-online vs
#     memhotd, every block's zone must match) on 6.1, and its quick subset on 5.10 and 6.12;
#   check-vm: every scenario on every kernel in KERNELS (default all three);
#   demo; bench (not in make check).

PYTHON ?= python3
VM_SUITE_ARGS ?=
BENCH_ARGS ?=
KERNELS ?= 5.10 6.1 6.12
# the kernels make check runs only the quick subset on
VM_QUICK_KERNELS ?= 5.10 6.12

.PHONY: check-vm vm-check vm-captures demo bench

# Fails loudly when QEMU, busybox, cpio or the kernel cannot be had: never skips.
vm-check: $(B)/memhotd $(B)/memhotctl
	@command -v $(PYTHON) >/dev/null || { echo "vm suite: $(PYTHON) not found (apt-get install python3)" >&2; exit 1; }
	$(PYTHON) tests/vm/suite.py --memhotd $(B)/memhotd --memhotctl $(B)/memhotctl \
		--kernels "6.1 $(VM_QUICK_KERNELS)" --quick-kernels "$(VM_QUICK_KERNELS)" $(VM_SUITE_ARGS)

check-vm: $(B)/memhotd $(B)/memhotctl
	@command -v $(PYTHON) >/dev/null || { echo "vm suite: $(PYTHON) not found (apt-get install python3)" >&2; exit 1; }
	$(PYTHON) tests/vm/suite.py --memhotd $(B)/memhotd --memhotctl $(B)/memhotctl \
		--kernels "$(KERNELS)" --records --big $(VM_SUITE_ARGS)

vm-captures:
	$(PYTHON) tests/vm/capture.py --kernels "$(KERNELS)"

demo: deps
	@$(MAKE) --no-print-directory all
	$(PYTHON) tests/vm/demo.py --memhotd $(B)/memhotd --memhotctl $(B)/memhotctl

bench: $(B)/memhotd $(B)/memhotctl $(B)/bench/floor-writer
	$(PYTHON) bench/bench.py --memhotd $(B)/memhotd --memhotctl $(B)/memhotctl \
		--floor-writer $(B)/bench/floor-writer $(BENCH_ARGS)

CHECK_TARGETS += vm-check
