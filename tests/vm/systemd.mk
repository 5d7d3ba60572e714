# End-to-end in a systemd-booted Debian 12 guest with memhotd's own .deb installed
# (tests/vm/systemd_guest.py; see tests/vm/README.md).  Included by the top Makefile.
# vm-systemd-check: builds the .deb from a copy of the tree, the root image with
# mmdebstrap (cached by the .deb's hash), boots it and checks the installed unit.
# vm-systemd-bench: plug latency in that guest, memhotd vs kernel (not in make check);
#   VM_SYSTEMD_BENCH_ARGS='--modes kernel,memhotd,udev,floor' adds the udev rule and the
#   floor writer (bench/floor-writer.c).
# bench-systemd (part of make bench): BENCHMARKS.md's systemd-guest plug figures, kernel,
#   floor writer and memhotd, 5 runs at 16, 32 and 64 GiB (BENCH_SYSTEMD_ARGS).
# vm-systemd-profile: perf profile of memhotd during a 16 GiB plug
#   (VM_SYSTEMD_PROFILE=floor for the floor writer).

PYTHON ?= python3
VM_SYSTEMD_ARGS ?=
VM_SYSTEMD_BENCH_ARGS ?=
BENCH_SYSTEMD_ARGS ?= --runs 5 --size 16,32,64 --modes kernel,floor,memhotd
VM_SYSTEMD_PROFILE ?= memhotd

.PHONY: vm-systemd-check vm-systemd-bench bench-systemd vm-systemd-profile

vm-systemd-check:
	$(PYTHON) tests/vm/systemd_guest.py $(VM_SYSTEMD_ARGS)

vm-systemd-bench: $(B)/bench/floor-writer
	$(PYTHON) tests/vm/systemd_guest.py --plug-bench --floor-writer $(B)/bench/floor-writer \
		$(VM_SYSTEMD_BENCH_ARGS)

bench-systemd: $(B)/bench/floor-writer
	$(PYTHON) tests/vm/systemd_guest.py --plug-bench --floor-writer $(B)/bench/floor-writer \
		$(BENCH_SYSTEMD_ARGS)

bench: bench-systemd

vm-systemd-profile: $(B)/bench/floor-writer
	$(PYTHON) tests/vm/systemd_guest.py --plug-profile $(VM_SYSTEMD_PROFILE) \
		--floor-writer $(B)/bench/floor-writer

CHECK_TARGETS += vm-systemd-check
