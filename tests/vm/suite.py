#!/usr/bin/env python3
"""memhotd's real-kernel end-to-end suite: a differential oracle.

Every scenario runs twice in a QEMU/TCG guest with a Debian 6.1 kernel:

  kernel   memhp_default_state=online memory_hotplug.online_policy=auto-movable
           memory_hotplug.auto_movable_ratio=R memory_hotplug.auto_movable_numa_aware=N
           (the kernel onlines every hot-added block itself);
  memhotd  memhp_default_state=offline, /etc/memhotd.conf with the same policy, and
           `memhotd --root /` running in the guest.

After every step (a QMP resize / DIMM add or remove) the harness waits until the guest is
quiescent (QMP: every virtio-mem device has plugged what was requested; guest: no block
offline, every block linked to its node, block set stable) and records every block's state
and zone.  Any block whose (state, zone) differs between the two runs fails the scenario.

    tests/vm/suite.py [--kernel-only] [--memhotd PATH --memhotctl PATH] [-k SUBSTR] [--list]
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmlib as V  # noqa: E402

G = V.GIB


class Scenario:
    def __init__(self, name, steps, nodes=1, vmems=(), ratio=301, numa_aware=True,
                 expect=None, doc=""):
        self.name, self.steps, self.nodes, self.vmems = name, steps, nodes, list(vmems)
        self.ratio, self.numa_aware, self.expect, self.doc = ratio, numa_aware, expect, doc


def vm1(size=32 * G, requested=0):
    return [dict(id="vmem0", node=0, size=size, requested=requested)]


def vm2(size=24 * G):
    return [dict(id="vmem0", node=0, size=size), dict(id="vmem1", node=1, size=size)]


def lockstep(step, upto):
    s = []
    for k in range(1, upto // step + 1):
        s += [("vmem", "vmem0", k * step), ("vmem", "vmem1", k * step)]
    return s


def layout(snap, lo, hi):
    return "".join({"Movable": "M"}.get(snap.get(b, ("?", "?", "?"))[2], "N")
                   for b in range(lo, hi + 1))


def expect_rv1(snaps):
    # kernel-policy.md 7.5 RV1: 48-143 Movable, then N M M M ... up to 175
    got = layout(snaps[-1][1], 48, 175)
    want = "M" * 96 + "NMMM" * 8
    return None if got == want else "RV1 layout expected %s got %s" % (want, got)


def expect_cover_dimms(snaps):
    # cover letter: 4 GiB VM, 4 GiB DIMMs, ratio 301: DIMMs 0-2 Movable, 3.. Normal
    s = snaps[4][1]
    got = layout(s, 48, 207)
    want = "M" * 96 + "N" * 64
    return None if got == want else "cover-letter DIMM layout expected %s got %s" % (want, got)


SCENARIOS = [
    Scenario("1node-vmem-0-16g", [("vmem", "vmem0", 16 * G)], vmems=vm1(), expect=expect_rv1,
             doc="one node, virtio-mem 0 -> 16 GiB in one request (RV1)"),
    Scenario("2node-numa-sequential", [("vmem", "vmem0", 8 * G), ("vmem", "vmem1", 8 * G)],
             nodes=2, vmems=vm2(), numa_aware=True,
             doc="two nodes, numa_aware on, vmem0 then vmem1 to 8 GiB (RV2)"),
    Scenario("2node-nonuma-sequential", [("vmem", "vmem0", 8 * G), ("vmem", "vmem1", 8 * G)],
             nodes=2, vmems=vm2(), numa_aware=False,
             doc="two nodes, numa_aware off, vmem0 then vmem1 to 8 GiB (RV3)"),
    Scenario("2node-numa-lockstep", lockstep(1 * G, 8 * G), nodes=2, vmems=vm2(), numa_aware=True,
             doc="two nodes, numa_aware on, both devices grown together, 1 GiB at a time"),
    Scenario("2node-nonuma-lockstep", lockstep(1 * G, 8 * G), nodes=2, vmems=vm2(), numa_aware=False,
             doc="two nodes, numa_aware off, both devices grown together, 1 GiB at a time (TV8-like)"),
    Scenario("2node-numa-concurrent", [("vmem_multi", (("vmem0", 8 * G), ("vmem1", 8 * G)))],
             nodes=2, vmems=vm2(), numa_aware=True,
             doc="two nodes, numa_aware on, both devices asked for 8 GiB at the same moment "
                 "(per-node budgets make the result independent of the interleaving)"),
    Scenario("dimms-in-turn",
             [("dimm", "dimm%d" % i, 4 * G, 0) for i in range(5)] +
             [("undimm", "dimm1"), ("dimm", "dimm5", 4 * G, 0)],
             expect=expect_cover_dimms,
             doc="five 4 GiB DIMMs added in turn (cover letter), a Movable one removed, "
                 "another added into the freed slot"),
    Scenario("dimm-vmem-mixed",
             [("dimm", "dimm0", 8 * G, 0), ("vmem", "vmem0", 8 * G), ("dimm", "dimm1", 4 * G, 0),
              ("vmem", "vmem0", 14 * G)], vmems=vm1(24 * G),
             doc="8 GiB DIMM, virtio-mem to 8 GiB, 4 GiB DIMM, virtio-mem to 14 GiB (TV11, TV13)"),
    Scenario("ratio0", [("vmem", "vmem0", 4 * G), ("dimm", "dimm0", 4 * G, 0)],
             vmems=vm1(16 * G), ratio=0, doc="ratio 0: everything in a kernel zone"),
    Scenario("ratio100", [("vmem", "vmem0", 8 * G), ("dimm", "dimm0", 4 * G, 0),
                          ("vmem", "vmem0", 10 * G)],
             vmems=vm1(16 * G), ratio=100, doc="ratio 100, virtio-mem and a DIMM"),
    Scenario("coldplug-12g", [("start_memhotd",), ("wait",)], vmems=vm1(32 * G, 12 * G),
             doc="virtio-mem requested-size 12 GiB at boot; memhotd started only afterwards"),
    Scenario("shrink-grow",
             [("vmem", "vmem0", 16 * G), ("vmem", "vmem0", 12 * G), ("vmem", "vmem0", 16 * G),
              ("vmem", "vmem0", 1 * G), ("vmem", "vmem0", 10 * G)], vmems=vm1(),
             doc="virtio-mem grown to 16 GiB, shrunk, grown, shrunk, grown"),
    Scenario("shrink-while-onlining",
             [("vmem_interrupt", "vmem0", 16 * G, 2 * G, 1 * G), ("vmem", "vmem0", 8 * G)],
             vmems=vm1(),
             doc="virtio-mem asked for 16 GiB, shrunk to 1 GiB as soon as 2 GiB are plugged "
                 "(while blocks are being onlined), then grown to 8 GiB"),
]


class Failure(Exception):
    pass


MEMHOTD_RATIO = None  # --memhotd-ratio: deliberately mis-configure memhotd (oracle self-test)


def conf_text(s):
    ratio = s.ratio if MEMHOTD_RATIO is None else MEMHOTD_RATIO
    return ("[policy]\nonline_policy = auto-movable\nauto_movable_ratio = %d\n"
            "auto_movable_numa_aware = %s\n" % (ratio, "true" if s.numa_aware else "false"))


def kernel_cmdline(s, mode):
    if mode == "kernel":
        return ("memhp_default_state=online memory_hotplug.online_policy=auto-movable "
                "memory_hotplug.auto_movable_ratio=%d memory_hotplug.auto_movable_numa_aware=%d"
                % (s.ratio, 1 if s.numa_aware else 0))
    return "memhp_default_state=offline"


MEMHOTD_ARGS = os.environ.get("MEMHOTD_VM_ARGS", "--root /")


def start_memhotd(vm):
    vm.sh("cd /; setsid /usr/sbin/memhotd %s >/var/log/memhotd.log 2>&1 3>&- </dev/null &\n"
          "echo $! > /run/memhotd.pid" % MEMHOTD_ARGS)
    time.sleep(0.2)
    out = vm.sh("kill -0 $(cat /run/memhotd.pid) && echo alive || { echo dead; "
                "cat /var/log/memhotd.log; }", check=False)
    if "alive" not in out:
        raise Failure("memhotd did not start:\n" + out)


def memhotd_alive(vm):
    out = vm.sh("kill -0 $(cat /run/memhotd.pid) 2>/dev/null && echo alive || echo dead", check=False)
    return "alive" in out


def wait_bound(vm, timeout=30):
    """Quiescent and every block linked to a node (DIMM links come late, 7.11)."""
    end = time.monotonic() + timeout
    while True:
        out = vm.sh("cd /sys/devices/system/memory; ls -d memory[0-9]* 2>/dev/null | wc -l; "
                    "ls -d memory[0-9]*/node* 2>/dev/null | wc -l")
        a, b = (int(x) for x in out.split())
        if a == b:
            return
        if time.monotonic() > end:
            raise Failure("%d of %d blocks still without nodeN link after %ds" % (a - b, a, timeout))
        time.sleep(0.1)


def settle(vm, quiesce_timeout):
    vm.wait_quiescent(timeout=quiesce_timeout, stable=0.3)
    wait_bound(vm)
    # the block table must read the same twice in a row (a read takes ~0.1-0.3 s)
    a = vm.blocks()
    for _ in range(10):
        b = vm.blocks()
        if a == b:
            return b
        vm.wait_quiescent(timeout=quiesce_timeout, stable=1.0)
        a = b
    raise Failure("block table does not settle")


def run_step(vm, step, mode, quiesce_timeout):
    kind = step[0]
    if kind == "vmem":
        vm.set_vmem(step[1], step[2])
    elif kind == "vmem_multi":
        for dev, size in step[1]:
            vm.set_vmem(dev, size)
    elif kind == "dimm":
        vm.add_dimm(step[1], step[2], step[3])
    elif kind == "undimm":
        vm.del_dimm(step[1])
    elif kind == "start_memhotd":
        if mode == "memhotd":
            start_memhotd(vm)
    elif kind == "wait":
        pass
    elif kind == "vmem_interrupt":
        _, dev, big, trigger, small = step
        vm.set_vmem(dev, big)
        end = time.monotonic() + 60
        while True:
            d = [x["data"] for x in vm.memory_devices() if x["data"]["id"] == dev][0]
            if d["size"] >= trigger:
                break
            if time.monotonic() > end:
                raise Failure("%s never reached %d bytes plugged" % (dev, trigger))
            time.sleep(0.02)
        off = vm.offline_count() if mode == "memhotd" else 0
        vm.set_vmem(dev, small)
        V.log("  %s: shrink issued at %d MiB plugged, %d blocks offline" %
              (dev, d["size"] >> 20, off))
    else:
        raise ValueError(step)
    return settle(vm, quiesce_timeout)


def run_mode(s, mode, kernel, initrd, quiesce_timeout):
    """Returns [(step description, {block: (state, node, zone, fw)}, owners)]."""
    vm = V.VM("%s-%s" % (s.name, mode), kernel, initrd, nodes=s.nodes,
              vmems=s.vmems, cmdline=kernel_cmdline(s, mode), timeout=600)
    snaps = []
    with vm:
        try:
            if mode == "memhotd":
                vm.sh("cat > /etc/memhotd.conf <<'EOF'\n%sEOF" % conf_text(s))
                if not any(st[0] == "start_memhotd" for st in s.steps):
                    start_memhotd(vm)
            t0 = time.monotonic()
            for st in s.steps:
                t = time.monotonic()
                blocks = run_step(vm, st, mode, quiesce_timeout)
                owners = V.iomem_owners(vm.sh("cat /proc/iomem"))
                snaps.append((" ".join(str(x) for x in st), blocks, owners))
                V.log("  %s %-8s %-28s %5.1fs" % (s.name, mode, snaps[-1][0], time.monotonic() - t))
                if mode == "memhotd" and not memhotd_alive(vm):
                    raise Failure("memhotd died")
            V.log("  %s %-8s steps took %.1fs" % (s.name, mode, time.monotonic() - t0))
            if mode == "memhotd" and not memhotd_alive(vm):
                raise Failure("memhotd died")
        finally:
            save_guest_state(vm, mode)
    return snaps


def save_guest_state(vm, mode):
    try:
        for name, cmd in (("zoneinfo", "cat /proc/zoneinfo"), ("iomem", "cat /proc/iomem"),
                          ("memdump", "memdump"), ("dmesg", "dmesg")):
            open(os.path.join(vm.dir, name), "w").write(vm.sh(cmd, check=False, timeout=30))
        if mode == "memhotd":
            open(os.path.join(vm.dir, "memhotd.log"), "w").write(
                vm.sh("cat /var/log/memhotd.log", check=False, timeout=30))
            open(os.path.join(vm.dir, "memhotctl-status"), "w").write(
                vm.sh("memhotctl status 2>&1", check=False, timeout=30))
    except Exception as e:  # the guest may be dead: keep the original error
        V.log("  (could not save guest state: %s)" % e)


def compare(s, ksnaps, msnaps):
    errors = []
    for i, ((step, kb, kown), (_, mb, _)) in enumerate(zip(ksnaps, msnaps)):
        for b in sorted(set(kb) | set(mb)):
            k = kb.get(b, ("absent", "-", "-", "-"))
            m = mb.get(b, ("absent", "-", "-", "-"))
            if (k[0], k[2]) != (m[0], m[2]):
                errors.append("  step %d (%s): memory%d [%s node %s]: kernel %s/%s, memhotd %s/%s"
                              % (i + 1, step, b, V.owner_of(b, k[3], kown), k[1], k[0], k[2],
                                 m[0], m[2]))
    return errors


def summary(snap):
    blocks, owners = snap[1], snap[2]
    per = {}
    for b, (st, nd, z, fw) in blocks.items():
        o = V.owner_of(b, fw, owners)
        if o == "boot":
            continue
        d = per.setdefault(o, {"M": 0, "N": 0, "off": 0})
        d["off" if st != "online" else ("M" if z == "Movable" else "N")] += 1
    return " ".join("%s:%dM/%dN%s" % (o, d["M"], d["N"], "/%doff" % d["off"] if d["off"] else "")
                    for o, d in sorted(per.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memhotd", default=os.path.join(V.REPO, "build", "memhotd"))
    ap.add_argument("--memhotctl", default=os.path.join(V.REPO, "build", "memhotctl"))
    ap.add_argument("--kernel-only", action="store_true",
                    help="run only the kernel-policy half (harness development); never passes as the suite")
    ap.add_argument("-k", action="append", default=[], help="only scenarios whose name contains this")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--quiesce-timeout", type=int, default=90)
    ap.add_argument("--memhotd-ratio", type=int,
                    help="self-test of the oracle: give memhotd this ratio instead of the "
                         "scenario's; the scenarios must then FAIL")
    a = ap.parse_args()
    global MEMHOTD_RATIO
    MEMHOTD_RATIO = a.memhotd_ratio
    scen = [s for s in SCENARIOS if not a.k or any(k in s.name for k in a.k)]
    if a.list:
        for s in scen:
            print("%-26s %s" % (s.name, s.doc))
        return 0
    if not scen:
        print("no scenario matches", file=sys.stderr)
        return 2
    t_all = time.monotonic()
    try:
        V.preflight()
        kernel = V.get_kernel()
    except V.VMError as e:
        print("vm suite: FAILED, cannot run: %s" % e, file=sys.stderr)
        print("0 passed, %d failed" % len(scen))
        return 1
    V.log("kernel", kernel["version"], "from", kernel["deb"])
    initrd_k = V.build_initramfs(kernel, os.path.join(V.CACHE, "initrd-kernel.cpio"))
    initrd_m = None
    if not a.kernel_only:
        for p in (a.memhotd, a.memhotctl):
            if not os.access(p, os.X_OK):
                print("vm suite: %s not built (run make first)" % p, file=sys.stderr)
                return 1
        initrd_m = V.build_initramfs(kernel, os.path.join(V.CACHE, "initrd-memhotd.cpio"),
                                     {"/usr/sbin/memhotd": a.memhotd, "/usr/bin/memhotctl": a.memhotctl})
    passed, failed = 0, 0
    results = []
    for s in scen:
        t = time.monotonic()
        V.log("== %s: %s" % (s.name, s.doc))
        err = []
        try:
            ks = run_mode(s, "kernel", kernel, initrd_k, a.quiesce_timeout)
            if s.expect:
                e = s.expect(ks)
                if e:
                    err.append("  kernel run does not match the reference: " + e)
            V.log("  kernel : " + summary(ks[-1]))
            if not a.kernel_only:
                ms = run_mode(s, "memhotd", kernel, initrd_m, a.quiesce_timeout)
                V.log("  memhotd: " + summary(ms[-1]))
                err += compare(s, ks, ms)
        except (V.VMError, Failure) as e:
            err.append("  " + str(e).replace("\n", "\n    "))
        except Exception:  # a harness bug still fails the scenario, loudly
            import traceback
            err.append("  harness error:\n    " + traceback.format_exc().replace("\n", "\n    "))
        dt = time.monotonic() - t
        if err:
            failed += 1
            print("FAIL %s (%.0fs)" % (s.name, dt))
            for e in err[:60]:
                print(e)
            if len(err) > 60:
                print("  ... %d more differing blocks" % (len(err) - 60))
            mlog = os.path.join(V.OUT, s.name + "-memhotd", "memhotd.log")
            if os.path.exists(mlog):
                print("  memhotd.log tail:\n    " + "\n    ".join(
                    open(mlog, errors="replace").read().splitlines()[-15:]))
        else:
            passed += 1
            print("ok   %s (%.0fs)%s" % (s.name, dt, " [kernel half only]" if a.kernel_only else ""))
        sys.stdout.flush()
        results.append({"scenario": s.name, "ok": not err, "seconds": round(dt, 1)})
    json.dump(results, open(os.path.join(V.OUT, "suite-results.json"), "w"), indent=1)
    print("vm suite: %.0fs in all; guest output under %s" % (time.monotonic() - t_all, V.OUT))
    print("%d passed, %d failed" % (passed, failed))
    if a.kernel_only:
        print("(kernel half only: memhotd was not tested)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
