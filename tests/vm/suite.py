#!/usr/bin/env python3
"""memhotd's real-kernel end-to-end suite: a differential oracle.

Every scenario runs twice per kernel (Debian 5.10, 6.1, 6.12: --kernels) in QEMU/TCG guests:

  kernel   memhp_default_state=online memory_hotplug.online_policy=auto-movable
           memory_hotplug.auto_movable_ratio=R memory_hotplug.auto_movable_numa_aware=N
           (the kernel onlines every hot-added block itself);
  memhotd  memhp_default_state=offline, /etc/memhotd.conf with the same policy, and
           `memhotd --root /` running in the guest.

After every step (a QMP resize / DIMM add or remove) the harness waits until the guest is
quiescent (QMP: every virtio-mem device has plugged what was requested; guest: no block
offline, every block linked to its node, block set stable) and records every block's state
and zone.  Any block whose (state, zone) differs between the two runs fails the scenario.

On 5.10, which has no policy, the kernel run is replaced by the 6.1 kernel run of the same
scenario (same machine, same steps).

    tests/vm/suite.py [--kernels "5.10 6.1 6.12"] [--quick-kernels K] [--no-coop]
                      [--kernel-only] [--memhotd PATH --memhotctl PATH] [-k SUBSTR] [--list]
"""

import argparse
import base64
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmlib as V  # noqa: E402

G = V.GIB


ALL_KERNELS = ("5.10", "6.1", "6.12")
POLICY_KERNELS = ("6.1", "6.12")  # kernels with online_policy=auto-movable (5.15+)


class Scenario:
    """kernels: the kernels it runs on.  cmdline: extra kernel command line for both runs.
    nvdimms: emulated NVDIMMs (dax/kmem).  needs="coop": a kernel-cooperation scenario
    (left out with --no-coop).  conf: extra memhotd.conf text.
    boot_online: both runs boot WITHOUT memhp_default_state (the kernel's built-in default
    applies: Debian 6.12 onlines everything itself) and the kernel run switches its policy
    at runtime where the memhotd run starts memhotd.  ctl: run the memhotctl-vs-sysfs check
    (off where it cannot tell the owner of a block, e.g. dax)."""

    def __init__(self, name, steps, nodes=1, vmems=(), ratio=301, numa_aware=True,
                 expect=None, doc="", stop_memhotd=False, kernels=ALL_KERNELS, cmdline="",
                 nvdimms=(), needs=None, conf="", boot_online=False, ctl=True,
                 quick=False, ref_steps_nopolicy=None, metrics=False, vm=None, big=False):
        self.name, self.steps, self.nodes, self.vmems = name, steps, nodes, list(vmems)
        self.ratio, self.numa_aware, self.expect, self.doc = ratio, numa_aware, expect, doc
        # at the end of the memhotd run: stop memhotd, then memhotctl status must exit 3
        # and memhotctl blocks must still list what sysfs shows
        self.stop_memhotd = stop_memhotd
        self.kernels, self.cmdline, self.nvdimms = tuple(kernels), cmdline, list(nvdimms)
        self.needs, self.conf, self.boot_online, self.ctl = needs, conf, boot_online, ctl
        # quick: part of the subset `make check` runs on the kernels other than 6.1 (True:
        # on each of them; a tuple: on those kernels)
        self.quick = quick
        # on a kernel without policy (5.10) the reference is another kernel's run; where the
        # scenario shrinks virtio-mem, which blocks survive depends on the virtio-mem driver
        # (5.10 unplugs zone-unaware), so only the steps before the first shrink compare
        self.ref_steps_nopolicy = ref_steps_nopolicy
        # vm: extra VM() arguments (maxmem, dimm_slots); big: a big guest, only with --big
        # (make check-vm) or when -k names it
        self.vm, self.big = dict(vm or {}), big
        # memhotd runs: [metrics] textfile; the file is checked after the last step
        self.metrics = metrics
        # custom(s, K, kern, initrd_k, initrd_m, args) -> (error lines, differing blocks):
        # a scenario that runs its own guests (tests/vm/beyond.py)
        self.custom = None

    def is_quick(self, kernel):
        return self.quick is True or (isinstance(self.quick, tuple) and kernel in self.quick)

    def signature(self, kernel):
        """What a kernel run's recorded layout depends on (for reusing it)."""
        return json.dumps([kernel, self.steps, self.nodes, self.vmems, self.ratio,
                           self.numa_aware, self.cmdline, self.nvdimms, self.boot_online],
                          sort_keys=True, default=str)


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
    # the kernel's documented 16 GiB example (ratio 301, 4 GiB boot RAM): 48-143 Movable,
    # then N M M M ... up to 175
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
             quick=True, metrics=True,
             doc="one node, virtio-mem 0 -> 16 GiB in one request (RV1); [metrics] textfile"),
    Scenario("2node-numa-sequential", [("vmem", "vmem0", 8 * G), ("vmem", "vmem1", 8 * G)],
             nodes=2, vmems=vm2(), numa_aware=True, quick=True,
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
             expect=expect_cover_dimms, quick=("5.10",),
             doc="five 4 GiB DIMMs added in turn (cover letter), a Movable one removed, "
                 "another added into the freed slot"),
    Scenario("dimm-vmem-mixed",
             [("dimm", "dimm0", 8 * G, 0), ("vmem", "vmem0", 8 * G), ("dimm", "dimm1", 4 * G, 0),
              ("vmem", "vmem0", 14 * G)], vmems=vm1(24 * G), stop_memhotd=True,
             doc="8 GiB DIMM, virtio-mem to 8 GiB, 4 GiB DIMM, virtio-mem to 14 GiB (TV11, TV13)"),
    Scenario("ratio0", [("vmem", "vmem0", 4 * G), ("dimm", "dimm0", 4 * G, 0)],
             vmems=vm1(16 * G), ratio=0, doc="ratio 0: everything in a kernel zone"),
    Scenario("ratio100", [("vmem", "vmem0", 8 * G), ("dimm", "dimm0", 4 * G, 0),
                          ("vmem", "vmem0", 10 * G)],
             vmems=vm1(16 * G), ratio=100, quick=("6.12",), doc="ratio 100, virtio-mem and a DIMM"),
    Scenario("coldplug-12g", [("start_memhotd",), ("wait",)], vmems=vm1(32 * G, 12 * G),
             doc="virtio-mem requested-size 12 GiB at boot; memhotd started only afterwards"),
    Scenario("shrink-grow",
             [("vmem", "vmem0", 16 * G), ("vmem", "vmem0", 12 * G), ("vmem", "vmem0", 16 * G),
              ("vmem", "vmem0", 1 * G), ("vmem", "vmem0", 10 * G)], vmems=vm1(),
             ref_steps_nopolicy=1, doc="virtio-mem grown to 16 GiB, shrunk, grown, shrunk, grown"),
    Scenario("shrink-while-onlining",
             [("vmem_interrupt", "vmem0", 16 * G, 2 * G, 1 * G), ("vmem", "vmem0", 8 * G)],
             vmems=vm1(),
             doc="virtio-mem asked for 16 GiB, shrunk to 1 GiB as soon as 2 GiB are plugged "
                 "(while blocks are being onlined), then grown to 8 GiB"),
    # -- kernel-specific --
    Scenario("memmap-on-memory-dimms",
             [("dimm", "dimm%d" % i, 4 * G, 0) for i in range(4)] + [("dimm", "dimm4", 128 << 20, 0)],
             kernels=("6.12",), cmdline="memory_hotplug.memmap_on_memory=1",
             doc="6.12 with memory_hotplug.memmap_on_memory=1: four 4 GiB DIMMs and a one-block "
                 "DIMM (the memmap lives in the hot-added memory, counted present in its zone)"),
    Scenario("dax-kmem", [("kmem", "nv0")], nvdimms=[dict(id="nv0", node=0, size=4 * G)],
             ctl=False,
             doc="a 4 GiB emulated NVDIMM made a devdax namespace, bound to kmem with nobody "
                 "onlining (memhotd run) or the kernel's auto-movable onlining (kernel run)"),
    Scenario("dax-kmem-vmem", [("vmem", "vmem0", 8 * G), ("kmem", "nv0"), ("vmem", "vmem0", 12 * G)],
             vmems=vm1(16 * G), nvdimms=[dict(id="nv0", node=0, size=4 * G)], ctl=False,
             doc="virtio-mem to 8 GiB, then a 4 GiB NVDIMM as system RAM via kmem, then "
                 "virtio-mem to 12 GiB"),
    # -- kernel cooperation: auto-online take-over, delegate mode (--no-coop leaves them out) --
    Scenario("boot-online-6.12",
             [("vmem", "vmem0", 2 * G), ("dimm", "dimm0", 4 * G, 0), ("start_memhotd",),
              ("vmem", "vmem0", 10 * G), ("dimm", "dimm1", 4 * G, 0)],
             vmems=vm1(), kernels=("6.12",), needs="coop", boot_online=True, ctl=False,
             quick=("6.12",),
             doc="6.12 booted without memhp_default_state=offline (Debian's 6.12 onlines by "
                 "itself): 2 GiB virtio-mem and a DIMM plugged before memhotd starts (the kernel "
                 "onlines them to Normal), then more; reference: the kernel switched to "
                 "auto-movable at runtime at that moment"),
    Scenario("delegate-1node-vmem", [("vmem", "vmem0", 16 * G)], vmems=vm1(),
             kernels=POLICY_KERNELS, needs="coop", conf="mode = delegate\n", ctl=False,
             quick=("6.12",),
             doc="[policy] mode = delegate: the kernel onlines, memhotd configures it; one node, "
                 "virtio-mem 0 -> 16 GiB"),
    # -- big guests (issue 11): only with --big (make check-vm), too slow for make check --
    Scenario("big-vmem-64g", [("vmem", "vmem0", 64 * G)], vmems=vm1(64 * G),
             kernels=("6.1",), big=True, vm=dict(maxmem=80 * G),
             doc="one node, virtio-mem 0 -> 64 GiB in one request (512 blocks)"),
    Scenario("big-16-dimms", [("dimm", "dimm%d" % i, 2 * G, 0) for i in range(16)],
             kernels=("6.1",), big=True, vm=dict(maxmem=40 * G, dimm_slots=16),
             doc="sixteen 2 GiB DIMMs hot-added in turn (256 blocks)"),
    Scenario("delegate-dimms", [("dimm", "dimm%d" % i, 4 * G, 0) for i in range(5)],
             kernels=POLICY_KERNELS, needs="coop", conf="mode = delegate\n", ctl=False,
             doc="[policy] mode = delegate: five 4 GiB DIMMs in turn"),
]


class Failure(Exception):
    pass


import beyond  # noqa: E402  (memhotd's settings beyond the kernel: reserve, rules, guard)
SCENARIOS += beyond.scenarios(sys.modules[__name__])


MEMHOTD_RATIO = None  # --memhotd-ratio: deliberately mis-configure memhotd (oracle self-test)


def conf_text(s):
    ratio = s.ratio if MEMHOTD_RATIO is None else MEMHOTD_RATIO
    return ("[policy]\n%sonline_policy = auto-movable\nauto_movable_ratio = %d\n"
            "auto_movable_numa_aware = %s\n" % (s.conf, ratio, "true" if s.numa_aware else "false")
            + ("[metrics]\ntextfile = %s\n" % METRICS_FILE if s.metrics else ""))


def kernel_cmdline(s, mode):
    if s.boot_online:
        return s.cmdline  # the kernel's built-in default (Debian 6.12: online)
    if mode == "kernel":
        return ("memhp_default_state=online memory_hotplug.online_policy=auto-movable "
                "memory_hotplug.auto_movable_ratio=%d memory_hotplug.auto_movable_numa_aware=%d %s"
                % (s.ratio, 1 if s.numa_aware else 0, s.cmdline)).strip()
    return ("memhp_default_state=offline " + s.cmdline).strip()


def switch_kernel_policy(vm, s):
    """The kernel run's counterpart of starting memhotd in a boot_online scenario: the
    policy parameters are writable at runtime."""
    vm.sh("P=/sys/module/memory_hotplug/parameters\n"
          "echo %d > $P/auto_movable_ratio\necho %s > $P/auto_movable_numa_aware\n"
          "echo auto-movable > $P/online_policy\n"
          "echo online > /sys/devices/system/memory/auto_online_blocks"
          % (s.ratio, "Y" if s.numa_aware else "N"))


# NVDIMM -> devdax namespace (ndctl) -> kmem, without onlining: what
# `daxctl reconfigure-device --mode=system-ram --no-online` does, by hand through sysfs
# (the dax bus's new_id, as daxctl does).  Whether the blocks get onlined is up to
# auto_online_blocks: online (+ the policy) in the kernel run, offline in memhotd's.
KMEM = r"""
set -e
for m in $(cat /lib/modules/dax.list); do
	[ -d /sys/module/$m ] || insmod /lib/modules/$m.ko
done
i=0
while [ ! -e /sys/bus/nd/devices/namespace0.0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
ndctl create-namespace -f -e namespace0.0 -m devdax -a 2M >/tmp/ndctl.out 2>&1 || { cat /tmp/ndctl.out; exit 1; }
D=$(cd /sys/bus/dax/devices && ls -d dax* | head -1)
[ -n "$D" ] || { echo "no dax device"; exit 1; }
[ -e /sys/bus/dax/devices/$D/driver ] && echo $D > /sys/bus/dax/devices/$D/driver/unbind
echo $D > /sys/bus/dax/drivers/kmem/new_id
[ -e /sys/bus/dax/drivers/kmem/$D ] || echo $D > /sys/bus/dax/drivers/kmem/bind
grep -n "kmem" /proc/iomem || true
"""


MEMHOTD_ARGS = os.environ.get("MEMHOTD_VM_ARGS", "--root /")


KFEAT_START = {}  # run name -> hot-added blocks online when memhotd was started


def hot_online_blocks(vm):
    """{block: zone} of the hot-added blocks online now."""
    blocks = vm.blocks()
    owners = V.iomem_owners(vm.sh("cat /proc/iomem"))
    return {b: v[2] for b, v in blocks.items()
            if v[0] == "online" and V.owner_of(b, v[3], owners) != "boot"}


def start_memhotd(vm, s=None):
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


def block_count(vm):
    return int(vm.sh("ls -d /sys/devices/system/memory/memory[0-9]* | wc -l").split()[0])


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


def run_step(vm, s, step, mode, quiesce_timeout):
    kind = step[0]
    if kind == "vmem":
        vm.set_vmem(step[1], step[2])
    elif kind == "vmem_multi":
        for dev, size in step[1]:
            vm.set_vmem(dev, size)
    elif kind == "dimm":
        n0 = block_count(vm)
        vm.add_dimm(step[1], step[2], step[3])
        # the guest adds an ACPI DIMM's blocks some time after device_add returns (seconds
        # on a loaded machine): quiescence alone could be the state from before the add
        want, end = n0 + step[2] // V.BLOCK, time.monotonic() + quiesce_timeout
        while block_count(vm) < want:
            if time.monotonic() > end:
                raise Failure("DIMM %s: its %d blocks did not appear in %ds"
                              % (step[1], step[2] // V.BLOCK, quiesce_timeout))
            time.sleep(0.1)
    elif kind == "undimm":
        vm.del_dimm(step[1])
    elif kind == "start_memhotd":
        if mode == "memhotd":
            KFEAT_START[vm.name] = hot_online_blocks(vm)
            start_memhotd(vm, s)
        elif s.boot_online:
            switch_kernel_policy(vm, s)
    elif kind == "kmem":
        V.log("  " + vm.sh(KMEM, timeout=120).strip().replace("\n", "\n  "))
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


def run_dir(s, mode, kernel):
    return "%s/%s-%s" % (kernel["key"], s.name, mode)


def save_snaps(vm, s, kernel, snaps):
    """Records a kernel run's per-step layout, so a 5.10 run can reuse it as its reference."""
    doc = {"signature": s.signature(kernel["key"]), "kernel": kernel["version"],
           "snaps": [[d, {str(b): list(v) for b, v in bl.items()}, [list(o) for o in ow]]
                     for d, bl, ow in snaps]}
    json.dump(doc, open(os.path.join(vm.dir, "snaps.json"), "w"))


def load_snaps(s, kernel_key):
    p = os.path.join(V.OUT, kernel_key, "%s-kernel" % s.name, "snaps.json")
    try:
        doc = json.load(open(p))
    except (OSError, ValueError):
        return None
    if doc.get("signature") != s.signature(kernel_key) or len(doc["snaps"]) != len(s.steps):
        return None
    return [(d, {int(b): tuple(v) for b, v in bl.items()}, [tuple(o) for o in ow])
            for d, bl, ow in doc["snaps"]]


def run_mode(s, mode, kernel, initrd, quiesce_timeout, ctl_errors=None, info=None):
    """Returns [(step description, {block: (state, node, zone, fw)}, owners)].  memhotd
    runs append to ctl_errors what memhotctl reported differently from sysfs/zoneinfo and
    put memhotctl --json status (after the last step) into info["status"]."""
    ctl_errors = [] if ctl_errors is None else ctl_errors
    info = {} if info is None else info
    vm = V.VM(run_dir(s, mode, kernel), kernel, initrd, nodes=s.nodes,
              vmems=s.vmems, cmdline=kernel_cmdline(s, mode), timeout=600, nvdimms=s.nvdimms,
              **s.vm)
    snaps = []
    with vm:
        try:
            if mode == "memhotd":
                if s.metrics:
                    vm.sh("mkdir -p %s" % os.path.dirname(METRICS_FILE))
                vm.sh("cat > /etc/memhotd.conf <<'EOF'\n%sEOF" % conf_text(s))
                if not any(st[0] == "start_memhotd" for st in s.steps):
                    start_memhotd(vm, s)
            t0 = time.monotonic()
            # memhotd runs: is memhotd running yet (scenarios that start it in a step)
            started = not any(st[0] == "start_memhotd" for st in s.steps)
            for st in s.steps:
                t = time.monotonic()
                blocks = run_step(vm, s, st, mode, quiesce_timeout)
                owners = V.iomem_owners(vm.sh("cat /proc/iomem"))
                snaps.append((" ".join(str(x) for x in st), blocks, owners))
                V.log("  %s %-8s %-28s %5.1fs" % (s.name, mode, snaps[-1][0], time.monotonic() - t))
                started = started or st[0] == "start_memhotd"
                if mode == "memhotd" and started and not memhotd_alive(vm):
                    raise Failure("memhotd died")
                if mode == "memhotd" and started and s.ctl and (CTL_CHECK == "each" or
                                          (CTL_CHECK == "last" and st is s.steps[-1])):
                    tc = time.monotonic()
                    where = "step %d (%s): memhotctl" % (len(snaps), snaps[-1][0])
                    e = check_memhotctl(vm, s, where, explain_targets(blocks, owners))
                    ctl_errors += e
                    V.log("  %s %-8s memhotctl check: %s %5.1fs" % (
                        s.name, mode, "%d disagreements" % len(e) if e else "agrees",
                        time.monotonic() - tc))
            V.log("  %s %-8s steps took %.1fs" % (s.name, mode, time.monotonic() - t0))
            if mode == "kernel":
                save_snaps(vm, s, kernel, snaps)
            if mode == "memhotd" and not memhotd_alive(vm):
                raise Failure("memhotd died")
            if mode == "memhotd":
                info["kernel_onlined_at_start"] = KFEAT_START.get(vm.name, {})
                text = vm.sh("memhotctl --json status", check=False, timeout=60)
                open(os.path.join(vm.dir, "memhotctl-status-final.json"), "w").write(text)
                try:
                    info["status"] = json.loads(text)
                except ValueError:
                    info["status"] = None
                if s.metrics:
                    ctl_errors += check_metrics(vm, snaps[-1], info["status"])
            if mode == "memhotd" and s.stop_memhotd and s.ctl and CTL_CHECK != "off":
                stop_memhotd(vm)
                e = check_memhotctl(vm, s, "memhotd stopped: memhotctl",
                                    explain_targets(snaps[-1][1], snaps[-1][2])[:1],
                                    daemon_running=False)
                ctl_errors += e
                V.log("  %s %-8s memhotd stopped; memhotctl check: %s" % (
                    s.name, mode, "%d disagreements" % len(e) if e else "agrees"))
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


# --------------------------------------------------------------------------
# memhotctl against what the harness reads itself (sysfs, /proc/zoneinfo, /proc/iomem)
# --------------------------------------------------------------------------

CTL_CHECK = "each"  # --ctl-check: each (after every step), last (after the last), off
PAGE = 4096
KERNEL_ZONES = ("DMA", "DMA32", "Normal")


def guest_bundle(vm, items):
    """Runs [(name, shell command)] in one guest request; returns {name: (rc, stdout)} and
    {name: stderr}.  The output travels gzip+base64: a 300-block JSON listing is ~100 KB and
    the serial line is the slow part."""
    parts = []
    for name, cmd in items:
        parts.append("echo '@@S %s'; { %s ; } 2>/tmp/ctl.err; rc=$?; echo; echo \"@@R $rc\"; "
                     "echo '@@S %s.err'; cat /tmp/ctl.err; echo; echo '@@R 0'" % (name, cmd, name))
    text = vm.sh("{ %s; } | gzip -c | base64" % "\n".join(parts), timeout=120)
    data = gzip.decompress(base64.b64decode("".join(text.split()))).decode(errors="replace")
    out, err, cur, lines = {}, {}, None, []
    for line in data.split("\n"):
        if cur is None and line.startswith("@@S "):
            cur, lines = line[4:], []
        elif cur is not None and line.startswith("@@R "):
            body = "\n".join(lines[:-1] if lines and lines[-1] == "" else lines)
            if cur.endswith(".err"):
                err[cur[:-4]] = body
            else:
                out[cur] = (int(line[4:]), body)
            cur = None
        elif cur is not None:
            lines.append(line)
    missing = [n for n, _ in items if n not in out]
    if missing:
        raise Failure("guest bundle lost the output of %s" % ", ".join(missing))
    return out, err


def parse_memdump(text):
    res = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 6 and f[0] == "B":
            res[int(f[1])] = (f[2], f[3], f[4], f[5])
    return res


def explain_targets(blocks, owners):
    """First and last block of each device, the first hot-added block online in a kernel
    zone, and the last boot block."""
    per, normal, boot = {}, None, []
    for b in sorted(blocks):
        st, nd, z, fw = blocks[b]
        o = V.owner_of(b, fw, owners)
        if o == "boot":
            boot.append(b)
            continue
        per.setdefault(o, []).append(b)
        if normal is None and st == "online" and z != "Movable":
            normal = b
    t = set()
    for bl in per.values():
        t.update((bl[0], bl[-1]))
    if normal is not None:
        t.add(normal)
    if boot:
        t.add(boot[-1])
    return sorted(t)


def _counts(rows):
    """rows: [(state, zone)] -> the counts memhotctl reports."""
    on = [z for st, z in rows if st == "online"]
    c = {"total_memblocks": len(rows), "online_memblocks": len(on),
         "offline_memblocks": sum(1 for st, _ in rows if st == "offline"),
         "going_offline_memblocks": sum(1 for st, _ in rows if st == "going-offline"),
         "movable_memblocks": sum(1 for z in on if z == "Movable"),
         "kernel_memblocks": sum(1 for z in on if z != "Movable")}
    zones = {}
    for z in on:
        zones[z] = zones.get(z, 0) + 1
    return c, zones


class CtlCheck:
    def __init__(self, where):
        self.where, self.errors = where, []

    def err(self, msg):
        self.errors.append("  %s: %s" % (self.where, msg))

    def eq(self, what, got, want, why=""):
        if got != want:
            self.err("%s = %s, expected %s%s" % (what, json.dumps(got), json.dumps(want),
                                                  " (%s)" % why if why else ""))
            return False
        return True

    def parse(self, what, rc_out, want_rc=0):
        rc, text = rc_out
        self.eq("`%s` exit status" % what, rc, want_rc)
        try:
            return json.loads(text)
        except ValueError as e:
            self.err("`%s` output does not parse as JSON (%s): %r" % (what, e, text[:300]))
            return None

    def counts(self, what, obj, rows, zones_key=True):
        want, zones = _counts(rows)
        for k, v in want.items():
            self.eq("%s.%s" % (what, k), obj.get(k), v, "sysfs")
        if zones_key:
            self.eq("%s.zones" % what, obj.get("zones"), zones, "sysfs valid_zones of online blocks")


def check_memhotctl(vm, s, where, explain, daemon_running=True):
    """Runs memhotctl --json status / blocks / explain in the guest and compares them with
    sysfs, /proc/zoneinfo and /proc/iomem read in the same guest request.  Returns a list
    of error lines (empty: all agree).  daemon_running=False: memhotd has been stopped;
    status and explain must exit 3, blocks must still list what sysfs shows."""
    items = [("memdump", "memdump"), ("zoneinfo", "cat /proc/zoneinfo"),
             ("iomem", "cat /proc/iomem"),
             ("bs", "cat /sys/devices/system/memory/block_size_bytes"),
             ("pid", "cat /run/memhotd.pid"), ("status", "memhotctl --json status"), ("blocks", "memhotctl --json blocks")]
    items += [("explain%d" % b, "memhotctl --json explain memory%d" % b) for b in explain]
    if not daemon_running:
        items += [("status-text", "memhotctl status"), ("blocks-text", "memhotctl blocks")]
    out, errout = guest_bundle(vm, items)
    for name in ("status", "blocks"):
        open(os.path.join(vm.dir, "memhotctl-%s.json" % name), "w").write(out[name][1])
    c = CtlCheck(where)
    bs = int(out["bs"][1].strip(), 16)
    mem = parse_memdump(out["memdump"][1])
    owners = V.iomem_owners(out["iomem"][1])
    zi = V.parse_zoneinfo(out["zoneinfo"][1])
    node = {b: (None if v[1] == "-" else int(v[1])) for b, v in mem.items()}
    owner = {b: V.owner_of(b, v[3], owners) for b, v in mem.items()}
    zone = {b: (v[2] if v[0] == "online" else None) for b, v in mem.items()}
    hot = {b: owner[b] != "boot" for b in mem}
    if not mem:
        c.err("memdump listed no block")
        return c.errors

    # ---- blocks (works with and without the daemon) ----
    bl = c.parse("memhotctl --json blocks", out["blocks"])
    if bl is not None:
        blocks_json = check_blocks(c, bl, mem, node, owner, zone, hot, bs, daemon_running)
    else:
        blocks_json = {}

    if not daemon_running:
        c.eq("`memhotctl status` (memhotd stopped) exit status", out["status-text"][0], 3)
        c.eq("`memhotctl --json status` (memhotd stopped) exit status", out["status"][0], 3)
        for b in explain:
            c.eq("`memhotctl --json explain memory%d` (memhotd stopped) exit status" % b,
                 out["explain%d" % b][0], 3)
        c.eq("`memhotctl blocks` (memhotd stopped) exit status", out["blocks-text"][0], 0)
        txt = out["blocks-text"][1]
        if "online" not in txt:
            c.err("`memhotctl blocks` (memhotd stopped) lists nothing online: %r" % txt[:300])
        return c.errors

    # ---- status ----
    st = c.parse("memhotctl --json status", out["status"])
    if st is not None:
        check_status(c, st, s, mem, node, owner, zone, hot, zi, bs, out["pid"][1].strip())

    # ---- explain ----
    for b in explain:
        what = "explain memory%d" % b
        ex = c.parse("memhotctl --json " + what, out["explain%d" % b])
        if ex is None:
            continue
        if b not in mem:
            c.err("%s: block vanished from sysfs" % what)
            continue
        blk = ex.get("block") or {}
        if b in blocks_json:
            for k in sorted(set(blk) | set(blocks_json[b])):
                c.eq("%s .block.%s" % (what, k), blk.get(k, "<absent>"),
                     blocks_json[b].get(k, "<absent>"), "memhotctl --json blocks")
        c.eq("%s .block.state" % what, blk.get("state"), mem[b][0], "sysfs state")
        c.eq("%s .block.zone" % what, blk.get("zone"), zone[b], "sysfs valid_zones")
        c.eq("%s .block.node" % what, blk.get("node"), node[b], "sysfs nodeN link")
        dec = ex.get("decision")
        if hot[b] and mem[b][0] == "online":
            c.eq("%s .decision_source" % what, ex.get("decision_source"), "recorded",
                 "hot-added block onlined by memhotd")
            want = "movable" if zone[b] == "Movable" else "kernel"
            if not isinstance(dec, dict):
                c.err("%s .decision = %s, expected a decision with target %s"
                      % (what, json.dumps(dec), want))
            else:
                c.eq("%s .decision.target" % what, dec.get("target"), want,
                     "the block is online in %s" % zone[b])
                bd = (blocks_json.get(b) or {}).get("decision") or {}
                c.eq("%s .decision.reason" % what, dec.get("reason"), bd.get("reason"),
                     "memhotctl --json blocks")
                if not dec.get("explanation"):
                    c.err("%s .decision.explanation is empty" % what)
        elif not hot[b]:
            c.eq("%s .decision_source" % what, ex.get("decision_source"), "none", "boot memory")
            c.eq("%s .decision" % what, dec, None, "boot memory")
        c.eq("%s .waiting" % what, ex.get("waiting"), None, "quiescent")
    return c.errors


def check_blocks(c, bl, mem, node, owner, zone, hot, bs, daemon_running):
    c.eq("blocks.block_size", bl.get("block_size"), bs, "sysfs block_size_bytes")
    c.eq("blocks.decisions_known", bl.get("decisions_known"), daemon_running)
    lst = bl.get("memory") or []
    ids = [m.get("block") for m in lst]
    if ids != sorted(ids):
        c.err("blocks.memory[] is not in ascending order")
    got = {m.get("block"): m for m in lst}
    if len(got) != len(lst):
        c.err("blocks.memory[] lists a block twice")
    miss, extra = sorted(set(mem) - set(got)), sorted(set(got) - set(mem), key=str)
    if miss:
        c.err("blocks.memory[] lacks %d blocks sysfs has: %s" % (len(miss), miss[:20]))
    if extra:
        c.err("blocks.memory[] lists %d blocks sysfs does not have: %s" % (len(extra), extra[:20]))
    nbad = 0
    for b in sorted(set(mem) & set(got)):
        m, before = got[b], len(c.errors)
        w = "blocks memory%d" % b
        c.eq(w + ".name", m.get("name"), "memory%d" % b)
        c.eq(w + ".start", m.get("start"), b * bs)
        c.eq(w + ".end", m.get("end"), (b + 1) * bs - 1)
        c.eq(w + ".size", m.get("size"), bs)
        c.eq(w + ".state", m.get("state"), mem[b][0], "sysfs state")
        c.eq(w + ".zone", m.get("zone"), zone[b], "sysfs valid_zones")
        c.eq(w + ".node", m.get("node"), node[b], "sysfs nodeN link")
        o = owner[b]
        c.eq(w + ".device", m.get("device"), None if o == "boot" else o,
             "firmware_node / /proc/iomem")
        c.eq(w + ".device_type", m.get("device_type"),
             "boot" if o == "boot" else "virtio-mem" if o.startswith("virtio") else "dimm")
        c.eq(w + ".hotplugged", m.get("hotplugged"), hot[b])
        c.eq(w + ".pending", m.get("pending"), None, "quiescent")
        c.eq(w + ".failed_errno", m.get("failed_errno"), None)
        if mem[b][0] != "online":
            c.eq(w + ".onlined_by", m.get("onlined_by"), None, "offline")
        elif daemon_running:
            c.eq(w + ".onlined_by", m.get("onlined_by"), "memhotd" if hot[b] else "boot")
        if not daemon_running:
            c.eq(w + ".decision", m.get("decision"), None, "decisions unknown without memhotd")
        elif hot[b] and mem[b][0] == "online":
            d = m.get("decision") or {}
            c.eq(w + ".decision.target", d.get("target"),
                 "movable" if zone[b] == "Movable" else "kernel", "online in %s" % zone[b])
        elif not hot[b]:
            c.eq(w + ".decision", m.get("decision"), None, "boot memory")
        if len(c.errors) > before:
            nbad += 1
            if nbad >= 8:  # enough to see the pattern
                c.err("(more blocks not compared)")
                break
    t = bl.get("totals") or {}
    want, _ = _counts([(v[0], zone[b]) for b, v in mem.items()])
    for k, v in want.items():
        c.eq("blocks.totals." + k, t.get(k), v, "sysfs")
    c.eq("blocks.totals.online_size", t.get("online_size"), want["online_memblocks"] * bs)
    c.eq("blocks.totals.offline_size", t.get("offline_size"), want["offline_memblocks"] * bs)
    # the listing's own totals
    own, _ = _counts([(m.get("state"), m.get("zone")) for m in lst])
    for k, v in own.items():
        c.eq("blocks.totals." + k, t.get(k), v, "sum over blocks.memory[]")
    return got


def check_status(c, st, s, mem, node, owner, zone, hot, zi, bs, pid):
    ratio = s.ratio if MEMHOTD_RATIO is None else MEMHOTD_RATIO
    c.eq("status.block_size", st.get("block_size"), bs, "sysfs block_size_bytes")
    c.eq("status.page_size", st.get("page_size"), PAGE)
    d = st.get("daemon")
    if not isinstance(d, dict):
        c.err("status.daemon = %s, expected an object" % json.dumps(d))
    else:
        c.eq("status.daemon.pid", str(d.get("pid")), pid, "/run/memhotd.pid")
        c.eq("status.daemon.policy", d.get("policy"), "auto-movable", "/etc/memhotd.conf")
        c.eq("status.daemon.auto_movable_ratio", d.get("auto_movable_ratio"), ratio)
        c.eq("status.daemon.auto_movable_numa_aware", d.get("auto_movable_numa_aware"),
             s.numa_aware)
        c.eq("status.daemon.blocks_pending", d.get("blocks_pending"), 0, "quiescent")
        c.eq("status.daemon.blocks_failed", d.get("blocks_failed"), 0)
        if isinstance(d.get("blocks_onlined"), int):
            c.eq("status.daemon.blocks_onlined_movable + blocks_onlined_kernel",
                 (d.get("blocks_onlined_movable") or 0) + (d.get("blocks_onlined_kernel") or 0),
                 d.get("blocks_onlined"), "status.daemon.blocks_onlined")
    # -- per node --
    want_nodes = sorted(n for n, zs in zi.items() if sum(z.get("present", 0) for z in zs.values()))
    nodes = st.get("nodes") or []
    got_nodes = [x.get("node") for x in nodes]
    c.eq("status.nodes[].node", got_nodes, want_nodes, "nodes with present pages in /proc/zoneinfo")
    tot = dict(kernel_early=0, hotplugged_kernel=0, movable=0, hotplugged_movable=0, cma=0)
    for x in nodes:
        n = x.get("node")
        zs = zi.get(n, {})
        kz = [z for z in zs if z in KERNEL_ZONES]
        kpres = sum(zs[z].get("present", 0) for z in kz)
        kcma = sum(zs[z].get("cma", 0) for z in kz)
        mpres = zs.get("Movable", {}).get("present", 0)
        hk = sum(1 for b in mem if node[b] == n and hot[b] and zone[b] not in (None, "Movable"))
        hm = sum(1 for b in mem if node[b] == n and hot[b] and zone[b] == "Movable")
        w = "status.nodes[node %s]" % n
        c.eq(w + ".movable", x.get("movable"), (mpres + kcma) * PAGE,
             "zoneinfo Movable present %d + kernel zones' cma %d pages" % (mpres, kcma))
        c.eq(w + ".cma", x.get("cma"), kcma * PAGE, "zoneinfo cma")
        ke, hkg = x.get("kernel_early"), x.get("hotplugged_kernel")
        if isinstance(ke, int) and isinstance(hkg, int):
            c.eq(w + ".kernel_early + hotplugged_kernel", ke + hkg, (kpres - kcma) * PAGE,
                 "zoneinfo kernel zones %s: present %d - cma %d pages" % ("+".join(kz), kpres, kcma))
        c.eq(w + ".hotplugged_kernel", hkg, hk * bs,
             "%d hot-added blocks online in kernel zones" % hk)
        c.eq(w + ".hotplugged_movable", x.get("hotplugged_movable"), hm * bs,
             "%d hot-added blocks online in Movable" % hm)
        c.counts(w, x, [(mem[b][0], zone[b]) for b in mem if node[b] == n])
        for k in tot:
            if isinstance(x.get(k), int):
                tot[k] += x[k]
    # -- totals --
    t = st.get("totals") or {}
    for k, v in tot.items():
        c.eq("status.totals." + k, t.get(k), v, "sum over status.nodes[]")
    c.counts("status.totals", t, [(v[0], zone[b]) for b, v in mem.items()])
    c.eq("status.totals.without_node_memblocks", t.get("without_node_memblocks"),
         sum(1 for b in mem if node[b] is None), "sysfs nodeN links")
    # -- devices --
    want_dev = {}
    for b in mem:
        o = owner[b]
        key = ("boot", None, node[b]) if o == "boot" else \
              ("virtio-mem" if o.startswith("virtio") else "dimm", o, None)
        want_dev.setdefault(key, []).append(b)
    devs = st.get("devices") or []
    seen = set()
    for x in devs:
        typ, name = x.get("type"), x.get("name")
        key = (typ, None, x.get("target_node")) if typ == "boot" else (typ, name, None)
        w = "status.devices[%s]" % ("boot node %s" % x.get("target_node") if typ == "boot" else name)
        if key in seen:
            c.err("%s listed twice" % w)
            continue
        seen.add(key)
        bl = want_dev.get(key, [])
        if not bl and (typ == "boot" or x.get("total_memblocks")):
            c.err("%s (type %s, %s blocks) matches no block in sysfs" % (w, typ, x.get("total_memblocks")))
            continue
        rows = [(mem[b][0], zone[b]) for b in bl]
        c.counts(w, x, rows)
        wc, _ = _counts(rows)
        if typ != "boot":
            nds = sorted(set(node[b] for b in bl), key=str)
            if len(nds) == 1:
                c.eq(w + ".target_node", x.get("target_node"), nds[0], "nodeN links of its blocks")
            elif nds:
                c.err("%s: its blocks are on several nodes %s" % (w, nds))
        c.eq(w + ".present_movable", x.get("present_movable"), wc["movable_memblocks"] * bs)
        c.eq(w + ".present_kernel", x.get("present_kernel"), wc["kernel_memblocks"] * bs)
        on, mv = wc["online_memblocks"], wc["movable_memblocks"]
        if on and mv in (0, on):
            c.eq(w + ".movable", x.get("movable", "<absent>"), mv > 0)
        else:
            c.eq(w + ".movable", x.get("movable", "<absent>"), "<absent>",
                 "mixed zones or nothing online")
    for key, bl in sorted(want_dev.items(), key=str):
        if key not in seen:
            c.err("status.devices[] lacks %s %s (%d blocks in sysfs, memory%d-memory%d)"
                  % (key[0], key[1] or "node %s" % key[2], len(bl), min(bl), max(bl)))
    c.eq("sum of status.devices[].total_memblocks",
         sum(x.get("total_memblocks") or 0 for x in devs), len(mem), "sysfs")


def stop_memhotd(vm):
    vm.sh("p=$(cat /run/memhotd.pid); kill $p; i=0; "
          "while kill -0 $p 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; "
          "kill -0 $p 2>/dev/null && { echo 'memhotd does not stop'; exit 1; }; true")


def compare(s, ksnaps, msnaps, ref="kernel"):
    """(error lines, set of blocks that differ in any step)."""
    errors, bad = [], set()
    if len(ksnaps) != len(msnaps):
        errors.append("  %d steps recorded in the reference, %d in the memhotd run"
                      % (len(ksnaps), len(msnaps)))
    for i, ((step, kb, kown), (_, mb, _)) in enumerate(zip(ksnaps, msnaps)):
        for b in sorted(set(kb) | set(mb)):
            k = kb.get(b, ("absent", "-", "-", "-"))
            m = mb.get(b, ("absent", "-", "-", "-"))
            if (k[0], k[2]) != (m[0], m[2]):
                bad.add(b)
                errors.append("  step %d (%s): memory%d [%s node %s]: %s %s/%s, memhotd %s/%s"
                              % (i + 1, step, b, V.owner_of(b, k[3], kown), k[1], ref, k[0], k[2],
                                 m[0], m[2]))
    return errors, bad


def check_coop(s, kkey, info, stats):
    """The cooperation keys of a memhotd run's final memhotctl --json status (doc/control-protocol.md)."""
    err = []
    st = info.get("status")
    if not isinstance(st, dict):
        return ["  memhotctl --json status did not parse (cooperation checks)"]
    xc = st.get("cross_check")
    if not isinstance(xc, dict):
        err.append("  status.cross_check missing: %s" % json.dumps(xc))
    elif kkey in POLICY_KERNELS:
        stats["agreements"] += xc.get("agreements") or 0
        stats["disagreements"] += xc.get("disagreements") or 0
        if xc.get("active") is not True:
            err.append("  status.cross_check.active = %s on %s (policy mirrored)"
                       % (json.dumps(xc.get("active")), kkey))
        if xc.get("disagreements") != 0:
            err.append("  status.cross_check.disagreements = %s (memhotd.log has both reasons)"
                       % json.dumps(xc.get("disagreements")))
    elif xc.get("active") is not False:
        err.append("  status.cross_check.active = %s on %s, which has no policy"
                   % (json.dumps(xc.get("active")), kkey))
    want_mode = "delegate" if "mode = delegate" in s.conf else "online"
    if st.get("mode") != want_mode:
        err.append("  status.mode = %s, expected %s" % (json.dumps(st.get("mode")), want_mode))
    k = st.get("kernel") or {}
    if k.get("has_policy") is not (kkey in POLICY_KERNELS):
        err.append("  status.kernel.has_policy = %s on %s" % (json.dumps(k.get("has_policy")), kkey))
    if s.boot_online:
        want = sorted(info.get("kernel_onlined_at_start", {}).items())
        got = sorted((x.get("block"), x.get("zone")) for x in st.get("kernel_onlined") or [])
        if got != want:
            err.append("  status.kernel_onlined = %s, expected the blocks online at memhotd's "
                       "start %s" % (got, want))
        if k.get("auto_online_blocks_at_start") != "online":
            err.append("  status.kernel.auto_online_blocks_at_start = %s, expected online"
                       % json.dumps(k.get("auto_online_blocks_at_start")))
        if k.get("auto_online_blocks") != "offline":
            err.append("  status.kernel.auto_online_blocks = %s, expected offline (memhotd "
                       "switches it)" % json.dumps(k.get("auto_online_blocks")))
    return err


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


METRICS_FILE = "/run/node-exporter/memhotd.prom"


def check_metrics(vm, snap, status):
    """[metrics] textfile after the plug: copied out (metrics.prom in the run directory),
    `promtool check metrics` on the host, every hot-added block counted by device, state and
    zone as sysfs shows it, the node numbers as memhotctl --json status has them."""
    time.sleep(1.5)  # written at most once a second: the last change is in
    text = vm.sh("cat %s" % METRICS_FILE, check=False, timeout=30)
    open(os.path.join(vm.dir, "metrics.prom"), "w").write(text)
    err = []
    r = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                       capture_output=True)
    if r.returncode != 0:
        err.append("  promtool check metrics: %s%s" % (r.stdout.strip(), r.stderr.strip()))
    got = {}
    for line in text.splitlines():
        m = re.match(r'^(memhotd_\w+)(?:\{(.*)\})? (\S+)$', line)
        if m:
            labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")))
            got[(m.group(1), labels)] = float(m.group(3))
    want = {}
    blocks, owners = snap[1], snap[2]
    for b, (st, nd, z, fw) in blocks.items():
        o = V.owner_of(b, fw, owners)
        if o == "boot":
            continue
        k = (o, "online" if st == "online" else "offline", z if st == "online" else "")
        want[k] = want.get(k, 0) + 1
    have = {}
    for (name, labels), v in got.items():
        ld = dict(labels)
        if name == "memhotd_device_memory_blocks" and ld.get("type") != "boot" and v:
            k = (ld.get("device"), ld.get("state"), ld.get("zone"))
            have[k] = have.get(k, 0) + int(v)
    if have != want:
        err.append("  metrics: blocks by device/state/zone %s, sysfs %s" % (
            sorted(have.items()), sorted(want.items())))
    onl = sum(n for (o, st, z), n in want.items() if st == "online" and z == "Movable")
    v = got.get(("memhotd_onlined_memory_blocks_total", (("zone", "Movable"),)))
    if v != onl:
        err.append("  metrics: onlined Movable %s, sysfs %d" % (v, onl))
    for n in (status or {}).get("nodes") or []:
        lab = (("node", str(n.get("node"))),)
        for metric, key in (("memhotd_node_boot_kernel_bytes", "kernel_early"),
                            ("memhotd_node_movable_bytes", "movable"),
                            ("memhotd_node_hotplug_kernel_bytes", "hotplugged_kernel"),
                            ("memhotd_node_movable_limit_bytes", "ratio_limit"),
                            ("memhotd_node_movable_headroom_bytes", "movable_headroom")):
            if got.get((metric, lab)) != n.get(key):
                err.append("  metrics: %s{node=%s} %s, memhotctl status %s" % (
                    metric, n.get("node"), got.get((metric, lab)), n.get(key)))
    if not status:
        err.append("  metrics: no memhotctl status to compare the node numbers with")
    if got.get(("memhotd_pending_memory_blocks", ())) != 0:
        err.append("  metrics: pending %s after the plug" % got.get(("memhotd_pending_memory_blocks", ())))
    V.log("  metrics file: %d samples, %s" % (len(got), "agrees" if not err else "%d errors" % len(err)))
    return err


def kernel_list(text):
    ks = [k for k in re.split(r"[\s,]+", text or "") if k]
    bad = [k for k in ks if k not in V.KERNELS]
    if bad:
        raise SystemExit("unknown kernel(s) %s; known: %s" % (" ".join(bad), " ".join(V.KERNELS)))
    return ks


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memhotd", default=os.path.join(V.REPO, "build", "memhotd"))
    ap.add_argument("--memhotctl", default=os.path.join(V.REPO, "build", "memhotctl"))
    ap.add_argument("--kernels", default=V.DEFAULT_KERNEL,
                    help="kernels to run on, of %s (space or comma separated; default %s)"
                    % (" ".join(V.KERNELS), V.DEFAULT_KERNEL))
    ap.add_argument("--quick-kernels", default="",
                    help="of --kernels, those that run only the scenarios marked quick "
                         "(make check's subset)")
    ap.add_argument("--no-coop", dest="coop", action="store_false",
                    help="leave out the kernel-cooperation scenarios (auto-online take-over, "
                         "delegate mode) and the cross_check/mode/kernel checks of every "
                         "memhotd run (they are on by default)")
    ap.add_argument("--records", action="store_true",
                    help="also run the scenarios marked needs=records (the kernel's own policy "
                         "under memory pressure, recorded, not judged; make check-vm)")
    ap.add_argument("--kernel-only", action="store_true",
                    help="run only the kernel-policy half (harness development); never passes as the suite")
    ap.add_argument("--big", action="store_true",
                    help="also the big-guest scenarios (64 GiB plug, 16 DIMMs; make check-vm)")
    ap.add_argument("-k", action="append", default=[], help="only scenarios whose name contains this")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--quiesce-timeout", type=int, default=90)
    ap.add_argument("--ctl-check", choices=("each", "last", "off"), default="each",
                    help="compare memhotctl --json status/blocks/explain with sysfs and "
                         "/proc/zoneinfo after each step (default), after the last, or never")
    ap.add_argument("--memhotd-ratio", type=int,
                    help="self-test of the oracle: give memhotd this ratio instead of the "
                         "scenario's; the scenarios must then FAIL")
    a = ap.parse_args()
    global MEMHOTD_RATIO, CTL_CHECK
    MEMHOTD_RATIO = a.memhotd_ratio
    CTL_CHECK = a.ctl_check
    kernels = kernel_list(a.kernels)
    quick = set(kernel_list(a.quick_kernels))
    # 6.1 first: 5.10's reference is the 6.1 kernel run of the same scenario
    kernels.sort(key=lambda k: (k != "6.1", list(V.KERNELS).index(k)))
    scen = [s for s in SCENARIOS if not a.k or any(k in s.name for k in a.k)]
    plan, skipped = [], []
    for K in kernels:
        for s in scen:
            if K not in s.kernels or (K in quick and not s.is_quick(K)):
                continue
            if (s.needs == "records" and not a.records) or (s.needs == "coop" and not a.coop):
                skipped.append((K, s))
                continue
            if s.big and not a.big and not any(k == s.name for k in a.k):
                continue
            if s.custom and a.kernel_only:
                continue
            plan.append((K, s))
    if a.list:
        for s in scen:
            q = "" if not s.quick else " quick" if s.quick is True else " quick(%s)" % ",".join(s.quick)
            print("%-26s [%s]%s%s %s" % (s.name, " ".join(s.kernels), q,
                                         " needs=" + s.needs if s.needs else "", s.doc))
        return 0
    if not plan:
        print("no scenario matches", file=sys.stderr)
        return 2
    t_all = time.monotonic()
    need = sorted(set(K for K, _ in plan) | ({"6.1"} if any(K == "5.10" for K, _ in plan) else set()))
    kern, initrd_k, initrd_m = {}, {}, {}
    try:
        V.preflight()
        for K in need:
            kern[K] = V.get_kernel(K)
    except V.VMError as e:
        print("vm suite: FAILED, cannot run: %s" % e, file=sys.stderr)
        print("0 passed, %d failed" % len(plan))
        return 1
    extra = {}
    ndctl = shutil.which("ndctl")
    if any(s.nvdimms for _, s in plan):
        if not ndctl:
            print("vm suite: ndctl not found (apt-get install ndctl; scripts/deps.sh does it)",
                  file=sys.stderr)
            return 1
        extra["/usr/bin/ndctl"] = ndctl
    if not a.kernel_only:
        # absolute: build_initramfs copies a string that starts with "/" and would
        # write a relative path as the file's content
        a.memhotd, a.memhotctl = os.path.abspath(a.memhotd), os.path.abspath(a.memhotctl)
        for p in (a.memhotd, a.memhotctl):
            if not os.access(p, os.X_OK):
                print("vm suite: %s not built (run make first)" % p, file=sys.stderr)
                return 1
    for K in need:
        V.log("kernel", K, kern[K]["version"], "from", kern[K]["deb"])
        initrd_k[K] = V.build_initramfs(kern[K], os.path.join(V.CACHE, "initrd-kernel-%s.cpio" % K),
                                        dict(extra))
        if not a.kernel_only:
            initrd_m[K] = V.build_initramfs(
                kern[K], os.path.join(V.CACHE, "initrd-memhotd-%s.cpio" % K),
                dict(extra, **{"/usr/sbin/memhotd": a.memhotd, "/usr/bin/memhotctl": a.memhotctl}))
    passed, failed = 0, 0
    results = []
    stats = {K: dict(scenarios=0, blocks=0, passed=0, failed=0, agreements=0, disagreements=0)
             for K in kernels}
    refs = {}  # scenario name -> the 6.1 kernel run's snaps
    for K, s in plan:
        t = time.monotonic()
        kernel = kern[K]
        V.log("== [%s] %s: %s" % (K, s.name, s.doc))
        err, bad = [], set()
        st = stats[K]
        st["scenarios"] += 1
        try:
            if s.custom:
                e, bad = s.custom(s, K, kern, initrd_k, initrd_m, a)
                err += e
            elif K in POLICY_KERNELS:
                ks = run_mode(s, "kernel", kernel, initrd_k[K], a.quiesce_timeout)
                ref = "kernel"
                if K == "6.1":
                    refs[s.name] = ks
                if s.expect:
                    e = s.expect(ks)
                    if e:
                        err.append("  kernel run does not match the reference: " + e)
            else:
                # no policy: the reference is the 6.1 kernel's own run of the same scenario
                ref = "6.1-kernel"
                ks = refs.get(s.name) or load_snaps(s, "6.1")
                if ks is None:
                    V.log("  reference: running the 6.1 kernel run of %s" % s.name)
                    ks = run_mode(s, "kernel", kern["6.1"], initrd_k["6.1"], a.quiesce_timeout)
                    refs[s.name] = ks
                else:
                    V.log("  reference: the 6.1 kernel run's recorded layout")
            if not s.custom:
                V.log("  %-8s: %s" % (ref, summary(ks[-1])))
            if not a.kernel_only and not s.custom:
                ctl_err, info = [], {}
                try:
                    ms = run_mode(s, "memhotd", kernel, initrd_m[K], a.quiesce_timeout, ctl_err, info)
                finally:
                    err += ctl_err
                V.log("  memhotd : " + summary(ms[-1]))
                if K not in POLICY_KERNELS and s.ref_steps_nopolicy is not None:
                    n = s.ref_steps_nopolicy
                    V.log("  compared: the first %d of %d steps (5.10's virtio-mem unplugs other "
                          "blocks than 6.1's; later steps are checked for liveness and memhotctl "
                          "only)" % (n, len(s.steps)))
                    ks, ms = ks[:n], ms[:n]
                e, bad = compare(s, ks, ms, ref)
                err += e
                if a.coop:
                    err += check_coop(s, K, info, st)
        except (V.VMError, Failure) as e:
            err.append("  " + str(e).replace("\n", "\n    "))
        except Exception:  # a harness bug still fails the scenario, loudly
            import traceback
            err.append("  harness error:\n    " + traceback.format_exc().replace("\n", "\n    "))
        dt = time.monotonic() - t
        st["blocks"] += len(bad)
        label = "%s [%s]" % (s.name, K)
        if err:
            failed += 1
            st["failed"] += 1
            print("FAIL %s (%.0fs)%s" % (label, dt, ", %d blocks differ" % len(bad) if bad else ""))
            for e in err[:60]:
                print(e)
            if len(err) > 60:
                print("  ... %d more differing blocks" % (len(err) - 60))
            mlog = os.path.join(V.OUT, run_dir(s, "memhotd", kernel), "memhotd.log")
            if os.path.exists(mlog):
                print("  memhotd.log tail:\n    " + "\n    ".join(
                    open(mlog, errors="replace").read().splitlines()[-15:]))
        else:
            passed += 1
            st["passed"] += 1
            print("ok   %s (%.0fs)%s" % (label, dt, " [kernel half only]" if a.kernel_only else ""))
        sys.stdout.flush()
        results.append({"scenario": s.name, "kernel": K, "kernel_version": kernel["version"],
                        "ok": not err, "blocks_differing": len(bad), "seconds": round(dt, 1)})
    os.makedirs(V.OUT, exist_ok=True)
    json.dump(results, open(os.path.join(V.OUT, "suite-results.json"), "w"), indent=1)
    for K, s in skipped:
        print("skip %s [%s] (needs %s; left out by %s)" % (
            s.name, K, s.needs, "--no-coop" if s.needs == "coop" else "default, see --records"))
    for K in kernels:
        st = stats[K]
        if not st["scenarios"]:
            continue
        line = "kernel %s: %d scenarios, %d blocks differing (%d passed, %d failed)" % (
            K, st["scenarios"], st["blocks"], st["passed"], st["failed"])
        if a.coop and K in POLICY_KERNELS:
            line += "; cross-check %d agreements, %d disagreements" % (
                st["agreements"], st["disagreements"])
        print(line)
    print("vm suite: %.0fs in all; guest output under %s" % (time.monotonic() - t_all, V.OUT))
    print("%d passed, %d failed" % (passed, failed))
    if a.kernel_only:
        print("(kernel half only: memhotd was not tested)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
