# Real-kernel end-to-end suite (QEMU/TCG guest, Debian 6.1 kernel): see tests/vm/README.md.
# Included by the top Makefile.  check-vm / vm-check: the differential suite (kernel
# auto-online vs memhotd, every block's zone must match); demo; bench (not in make check).

PYTHON ?= python3
VM_SUITE_ARGS ?=
BENCH_ARGS ?=

.PHONY: check-vm vm-check vm-captures demo bench

# Fails loudly when QEMU, busybox, cpio or the kernel cannot be had: never skips.
vm-check: $(B)/memhotd $(B)/memhotctl
	@command -v $(PYTHON) >/dev/null || { echo "vm suite: $(PYTHON) not found (apt-get install python3)" >&2; exit 1; }
	$(PYTHON) tests/vm/suite.py --memhotd $(B)/memhotd --memhotctl $(B)/memhotctl $(VM_SUITE_ARGS)

check-vm: vm-check

vm-captures:
	$(PYTHON) tests/vm/capture.py

demo: deps
	@$(MAKE) --no-print-directory all
	$(PYTHON) tests/vm/demo.py --memhotd $(B)/memhotd --memhotctl $(B)/memhotctl

bench: $(B)/memhotd $(B)/memhotctl
	$(PYTHON) bench/bench.py --memhotd $(B)/memhotd --memhotctl $(B)/memhotctl $(BENCH_ARGS)

CHECK_TARGETS += vm-check
