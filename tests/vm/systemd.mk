# End-to-end in a systemd-booted Debian 12 guest with memhotd's own .deb installed
# (tests/vm/systemd_guest.py; see tests/vm/README.md).  Included by the top Makefile.
# vm-systemd-check: builds the .deb from a copy of the tree, the root image with
# mmdebstrap (cached by the .deb's hash), boots it and checks the installed unit.
# vm-systemd-bench: plug latency in that guest, memhotd vs kernel (not in make check);
#   VM_SYSTEMD_BENCH_ARGS='--modes kernel,memhotd,udev,floor' adds the udev rule and the
#   floor writer (bench/floor-writer.c).

PYTHON ?= python3
VM_SYSTEMD_ARGS ?=
VM_SYSTEMD_BENCH_ARGS ?=

.PHONY: vm-systemd-check vm-systemd-bench

vm-systemd-check:
	$(PYTHON) tests/vm/systemd_guest.py $(VM_SYSTEMD_ARGS)

vm-systemd-bench: $(B)/bench/floor-writer
	$(PYTHON) tests/vm/systemd_guest.py --plug-bench --floor-writer $(B)/bench/floor-writer \
		$(VM_SYSTEMD_BENCH_ARGS)

CHECK_TARGETS += vm-systemd-check
