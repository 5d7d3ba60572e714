#!/usr/bin/env python3
"""Captures real sysfs/proc text from QEMU guests into tests/data/captures/.

    python3 tests/vm/capture.py [--kernels "5.10 6.1 6.12"] [NAME ...]

Default: every setup on 6.1.  On other kernels only the setups in OTHER_KERNEL_SETUPS, into
directories named <setup>-linux<kernel, _ for .> (e.g. a-1node-vmem8g-linux6_12).  See
tests/data/captures/README.md for the setups and the file format."""

import argparse
import re

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmlib as V  # noqa: E402

DEST = os.path.join(V.REPO, "tests", "data", "captures")
KPOL = "memhp_default_state=online memory_hotplug.online_policy=auto-movable"


def setup_a(vm):
    vm.set_vmem("vmem0", 8 * V.GIB)
    vm.wait_quiescent()


def setup_b(vm):
    vm.set_vmem("vmem0", 8 * V.GIB)
    vm.wait_quiescent()
    vm.set_vmem("vmem1", 8 * V.GIB)
    vm.wait_quiescent()


def setup_c(vm):
    for i in range(2):
        vm.add_dimm("dimm%d" % i, 4 * V.GIB, 0)
        vm.wait_quiescent()
        # DIMM blocks get their nodeN link only after the add: wait until every block is bound
        for _ in range(100):
            b = vm.blocks()
            if all(v[1] != "-" for v in b.values()):
                break
            time.sleep(0.1)


def setup_d(vm):
    vm.set_vmem("vmem0", 4 * V.GIB)
    # nobody onlines: 6.x virtio-mem stops plugging once 1 GiB is offline
    end = time.monotonic() + 60
    last = None
    while time.monotonic() < end:
        d = [x["data"]["size"] for x in vm.memory_devices()]
        if d == last and d[0] > 0:
            break
        last = d
        time.sleep(1)


# the kernel command line per kernel: 5.10 has no online_policy (it would only warn about an
# unknown parameter); its kernel onlines everything with the default zone (Normal)
def kpol(kernel_key, cmdline):
    if kernel_key == "5.10":
        return re.sub(r" ?memory_hotplug\.online_policy=\S+", "", cmdline)
    return cmdline


OTHER_KERNEL_SETUPS = ("a-1node-vmem8g", "c-1node-2dimms")

SETUPS = {
    "a-1node-vmem8g": dict(
        desc="one node, 4 GiB boot RAM, one virtio-mem device (max 32 GiB) grown 0 -> 8 GiB, "
             "kernel auto-online with online_policy=auto-movable (ratio 301, numa_aware Y)",
        vm=dict(nodes=1, vmems=[dict(id="vmem0", node=0, size=32 * V.GIB)], cmdline=KPOL),
        run=setup_a),
    "b-2node-vmem8g-each": dict(
        desc="two nodes (2 GiB boot RAM each), one virtio-mem device per node (max 24 GiB each), "
             "vmem0 (node 0) grown 0 -> 8 GiB, then vmem1 (node 1) 0 -> 8 GiB; kernel auto-online, "
             "auto-movable, ratio 301, numa_aware Y",
        vm=dict(nodes=2, vmems=[dict(id="vmem0", node=0, size=24 * V.GIB),
                                dict(id="vmem1", node=1, size=24 * V.GIB)], cmdline=KPOL),
        run=setup_b),
    "c-1node-2dimms": dict(
        desc="one node, 4 GiB boot RAM, two 4 GiB pc-dimm hot-added in turn (dimm0, dimm1) over "
             "QMP object-add + device_add; kernel auto-online, auto-movable, ratio 301",
        vm=dict(nodes=1, vmems=[], cmdline=KPOL),
        run=setup_c),
    "d-1node-vmem-offline": dict(
        desc="one node, 4 GiB boot RAM, memhp_default_state=offline "
             "memory_hotplug.online_policy=auto-movable; virtio-mem requested 4 GiB, nobody onlines: "
             "virtio-mem stops with 1 GiB plugged, all of it offline. valid_zones is also "
             "recorded for these offline blocks (their nodeN links exist by then)",
        vm=dict(nodes=1, vmems=[dict(id="vmem0", node=0, size=32 * V.GIB)],
                cmdline="memhp_default_state=offline memory_hotplug.online_policy=auto-movable"),
        run=setup_d, offline_valid_zones=True),
}

EXTRA_OFFLINE_VZ = r"""
M=/sys/devices/system/memory
for d in $M/memory[0-9]*; do
	read -r st < $d/state
	[ "$st" = offline ] || continue
	for l in $d/node*; do
		[ -e "$l" ] && printf '%s\t%s\n' "$d/valid_zones" "$(cat $d/valid_zones)"
	done
done
"""


def capture(name, kernel, initrd):
    s = SETUPS[name]
    key = kernel.get("key", V.DEFAULT_KERNEL)
    # no dot in the name: the unit tests take every dot-less entry of captures/ as a capture
    dname = name if key == V.DEFAULT_KERNEL else "%s-linux%s" % (name, key.replace(".", "_"))
    vmargs = dict(s["vm"], cmdline=kpol(key, s["vm"]["cmdline"]))
    vm = V.VM("capture-" + dname, kernel, initrd, timeout=300, **vmargs)
    with vm:
        s["run"](vm)
        dest = os.path.join(DEST, dname)
        os.makedirs(dest, exist_ok=True)
        sysfs = vm.sh("sysdump")
        if s.get("offline_valid_zones"):
            sysfs += vm.sh(EXTRA_OFFLINE_VZ)
        files = {
            "iomem": vm.sh("cat /proc/iomem"),
            "zoneinfo": vm.sh("cat /proc/zoneinfo"),
            "sysfs.txt": sysfs,
            "cmdline": vm.sh("cat /proc/cmdline"),
            "dmesg-virtio_mem": vm.sh("dmesg | grep -i 'virtio_mem' || true"),
            "uname": vm.sh("uname -r"),
        }
        devs = vm.memory_devices()
        for fn, text in files.items():
            open(os.path.join(dest, fn), "w").write(text)
        import json
        meta = {"description": s["desc"], "kernel_package": kernel["deb"],
                # paths relative to the checkout, so the record names nothing outside it
                "qemu_args": open(os.path.join(vm.dir, "qemu-args.txt")).read().strip()
                .replace(V.REPO + os.sep, ""),
                "query-memory-devices": devs}
        open(os.path.join(dest, "meta.json"), "w").write(json.dumps(meta, indent=1) + "\n")
    V.log("captured", name)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernels", default=V.DEFAULT_KERNEL)
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    for key in [k for k in re.split(r"[\s,]+", a.kernels) if k]:
        kernel = V.get_kernel(key)
        initrd = V.build_initramfs(kernel, os.path.join(V.CACHE, "initrd-capture-%s.cpio" % key))
        names = a.names or (list(SETUPS) if key == V.DEFAULT_KERNEL else list(OTHER_KERNEL_SETUPS))
        for n in names:
            capture(n, kernel, initrd)


if __name__ == "__main__":
    main()
