#!/usr/bin/env python3
"""`make demo`: boots a QEMU guest (Debian 6.1 kernel, memhp_default_state=offline) running
memhotd, grows a virtio-mem device to 8 GiB, hot-adds a 4 GiB DIMM, shows `memhotctl
status` and the block layout before and after, and shuts the guest down."""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmlib as V  # noqa: E402

CONF = "[policy]\nonline_policy = auto-movable\nauto_movable_ratio = 301\nauto_movable_numa_aware = true\n"


def layout(vm):
    """Runs of blocks with the same state/zone/owner, like lsmem."""
    blocks = vm.blocks()
    owners = V.iomem_owners(vm.sh("cat /proc/iomem"))
    rows, run = [], None
    for b in sorted(blocks):
        st, nd, z, fw = blocks[b]
        key = (st, z, nd, V.owner_of(b, fw, owners))
        if run and run[2] == key and run[1] == b - 1:
            run[1] = b
        else:
            run = [b, b, key]
            rows.append(run)
    out = ["  %-18s %-8s %-8s %-5s %s" % ("BLOCKS", "STATE", "ZONE", "NODE", "DEVICE")]
    for lo, hi, (st, z, nd, o) in rows:
        out.append("  %-18s %-8s %-8s %-5s %s" % ("memory%d-%d" % (lo, hi) if hi > lo else "memory%d" % lo,
                                                 st, z, nd, o))
    return "\n".join(out)


def show(vm, title):
    print("\n### " + title)
    print("$ memhotctl status")
    print(vm.sh("memhotctl status 2>&1", check=False).rstrip())
    print("\nblock layout (from /sys/devices/system/memory and /proc/iomem):")
    print(layout(vm), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--memhotd", default=os.path.join(V.REPO, "build", "memhotd"))
    ap.add_argument("--memhotctl", default=os.path.join(V.REPO, "build", "memhotctl"))
    a = ap.parse_args()
    for p in (a.memhotd, a.memhotctl):
        if not os.access(p, os.X_OK):
            print("demo: %s not built (run make)" % p, file=sys.stderr)
            return 1
    V.preflight()
    kernel = V.get_kernel()
    initrd = V.build_initramfs(kernel, os.path.join(V.CACHE, "initrd-demo.cpio"),
                               {"/usr/sbin/memhotd": a.memhotd, "/usr/bin/memhotctl": a.memhotctl})
    print("Booting a QEMU guest: kernel %s, 4 GiB boot RAM, one virtio-mem device (up to 32 GiB), "
          "8 DIMM slots;\nkernel command line memhp_default_state=offline, so hot-added memory "
          "stays offline unless memhotd onlines it." % kernel["version"], flush=True)
    vm = V.VM("demo", kernel, initrd, vmems=[dict(id="vmem0", node=0, size=32 * V.GIB)],
              cmdline="memhp_default_state=offline", timeout=300)
    with vm:
        vm.sh("cat > /etc/memhotd.conf <<'EOF'\n%sEOF" % CONF)
        vm.sh("setsid /usr/sbin/memhotd --root / >/var/log/memhotd.log 2>&1 3>&- </dev/null &")
        time.sleep(1)
        show(vm, "Before: memhotd running, nothing hot-added yet")
        print("\n### QMP: qom-set /machine/peripheral/vmem0 requested-size 8 GiB", flush=True)
        t = time.monotonic()
        vm.set_vmem("vmem0", 8 * V.GIB)
        vm.wait_quiescent()
        print("plugged and online after %.1fs" % (time.monotonic() - t))
        print("### QMP: object-add memory-backend-ram 4 GiB + device_add pc-dimm (node 0)", flush=True)
        t = time.monotonic()
        vm.add_dimm("dimm0", 4 * V.GIB, 0)
        vm.wait_quiescent()
        print("DIMM online after %.1fs" % (time.monotonic() - t))
        time.sleep(0.5)
        show(vm, "After: virtio-mem at 8 GiB and a 4 GiB DIMM")
        print("\n### memhotd's log (last 3 lines, cut at 200 characters)")
        for l in vm.sh("cat /var/log/memhotd.log").splitlines()[-3:]:
            print(l[:200] + (" [...]" if len(l) > 200 else ""))
        dimm = min(b for b, v in vm.blocks().items() if v[3].startswith("PNP0C80"))
        print("\n$ memhotctl explain memory%d     # the DIMM's first block" % dimm)
        print(vm.sh("memhotctl explain memory%d 2>&1" % dimm, check=False).rstrip())
    print("\nGuest shut down. Console log and QMP sockets were under %s" % vm.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
