"""Real-guest scenarios for what memhotd does beyond the kernel's auto-movable policy
(README "Beyond the kernel", memhotd.conf(5)): the boot-memory reserve, [rule] sections,
the zone-imbalance guard, the balloon setting and what-if planning.  suite.py adds
scenarios(S) to its list; each one's `custom`
function runs its own guests and returns (error lines, set of differing blocks), so the
suite's per-kernel summary and `N passed, N failed` line count them like any other.

  beyond-reserve        1 GiB guest, 2 GiB virtio-mem: the kernel's run, memhotd without the
                        reserve (must equal the kernel block for block) and memhotd with
                        `kernel_reserve = 1000M` (must equal the policy arithmetic with the
                        reserve: the first block goes to a kernel zone).
  beyond-rules          DIMMs MOVABLE by a [rule] while virtio-mem stays on auto, compared with
                        a kernel guest that gets the same DIMM decisions by hand and decides the
                        virtio-mem blocks with its own auto-movable policy.
  beyond-guard          2 GiB guest filled by a tmpfs down to 48, 32 and 24 MiB MemAvailable,
                        then 8 GiB of virtio-mem: memhotd with `[guard] kernel_free_min = 128M`
                        must plug all of it, leave nothing offline, no OOM kill, no panic.
  beyond-plan           `memhotctl plan --add virtio0:2G --add dimm:2G@0` (with kernel_reserve),
                        then the same plugs for real: the prediction must be what happened.
  beyond-balloon        2 GiB guests with virtio-balloon inflated by 256 MiB, 2 GiB of
                        virtio-mem: the kernel's run and memhotd with
                        `balloon_without_compaction = kernel`.  6.1 has balloon compaction, so
                        status must show the balloon as migratable (as /proc/vmstat says), no
                        warning, and the layout the kernel's (and the policy arithmetic's).
  beyond-guard-kernel   the same pressure with the kernel's own auto-movable policy onlining;
                        a record (stall / OOM kill / panic / ok), not a pass/fail, and only with
                        --records (make check-vm): a stall costs a bounded wait per level.

Results of the guard runs go to tests/vm/out/<kernel>/beyond-guard*.json (BENCHMARKS.md,
"Guard under memory pressure").
"""

import json
import os
import re
import time

import vmlib as V

G = V.GIB
MIB = V.MIB
PAGE = 4096
BLOCK_PAGES = V.BLOCK // PAGE
RATIO = 301
KERNEL_ZONES = ("DMA", "DMA32", "Normal")

POLICY_CONF = ("[policy]\nonline_policy = auto-movable\nauto_movable_ratio = %d\n"
               "auto_movable_numa_aware = true\n" % RATIO)
KERNEL_POLICY_CMDLINE = ("memhp_default_state=online memory_hotplug.online_policy=auto-movable "
                         "memory_hotplug.auto_movable_ratio=%d "
                         "memory_hotplug.auto_movable_numa_aware=1" % RATIO)
MEMHOTD_CMDLINE = "memhp_default_state=offline"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def boot(kernel, initrd, name, boot_mem, vmems, cmdline, timeout=420):
    return V.VM("%s/%s" % (kernel["key"], name), kernel, initrd, boot_mem=boot_mem,
                vmems=vmems, cmdline=cmdline, timeout=timeout)


def start_memhotd(S, vm, conf):
    vm.sh("cat > /etc/memhotd.conf <<'EOF'\n%sEOF" % conf)
    S.start_memhotd(vm)


def kernel_early_pages(vm, nid=0):
    """KERNEL_EARLY of node nid as the kernel's policy counts it before any hotplug:
    present pages of the kernel zones minus CMA (zoneinfo)."""
    zi = V.parse_zoneinfo(vm.sh("cat /proc/zoneinfo"))
    return sum(z.get("present", 0) - z.get("cma", 0)
               for name, z in zi.get(nid, {}).items() if name in KERNEL_ZONES)


def model_vmem(ke_pages, nblocks, reserve_pages=0, ratio=RATIO):
    """The kernel's auto_movable_zone_for_pfn() for the blocks of one virtio-mem device (one
    dynamic memory group, unit = one memory block) on a one-node guest with no other
    hot-added memory, blocks onlined in ascending order, with KERNEL_EARLY reduced by the
    reserve as memhotd.conf(5) defines it.  Both checks (global and node) are the same on
    one node.  auto_movable_can_online_movable(): the effective KERNEL_EARLY must exceed
    the other groups' requirement (0 here); the current dynamic group's own kernel pages
    count as KERNEL_EARLY; MOVABLE if movable + the block <= ratio * that / 100.
    Returns a string, one letter per block: M (Movable) or N (a kernel zone)."""
    ke = max(0, ke_pages - reserve_pages)
    group_kernel = movable = 0
    out = ""
    for _ in range(nblocks):
        if ke > 0 and movable + BLOCK_PAGES <= ratio * (ke + group_kernel) // 100:
            movable += BLOCK_PAGES
            out += "M"
        else:
            group_kernel += BLOCK_PAGES
            out += "N"
    return out


def dev_layout(snap, dev):
    """Letters for the blocks of device dev (virtioN / PNP0C80:..) in a snapshot."""
    _, blocks, owners = snap
    s = ""
    for b in sorted(blocks):
        st, nd, z, fw = blocks[b]
        if V.owner_of(b, fw, owners) == dev:
            s += "o" if st != "online" else ("M" if z == "Movable" else "N")
    return s


def owners_of(snap):
    _, blocks, owners = snap
    res = {}
    for b in sorted(blocks):
        o = V.owner_of(b, blocks[b][3], owners)
        if o != "boot":
            res.setdefault(o, []).append(b)
    return res


def run_steps(S, s, vm, mode, steps, qt):
    snaps = []
    for st in steps:
        t = time.monotonic()
        blocks = S.run_step(vm, s, st, mode, qt)
        owners = V.iomem_owners(vm.sh("cat /proc/iomem"))
        snaps.append((" ".join(str(x) for x in st), blocks, owners))
        V.log("  %s %-8s %-28s %5.1fs  %s" % (s.name, mode, snaps[-1][0],
                                              time.monotonic() - t, S.summary(snaps[-1])))
        if mode.startswith("memhotd") and not S.memhotd_alive(vm):
            raise S.Failure("memhotd died (%s)" % mode)
    return snaps


def ctl_json(vm, what):
    text = vm.sh("memhotctl --json %s" % what, check=False, timeout=60)
    open(os.path.join(vm.dir, "memhotctl-%s-final.json" % what.split()[0]), "w").write(text)
    try:
        return json.loads(text)
    except ValueError:
        return None


# --------------------------------------------------------------------------
# beyond-reserve
# --------------------------------------------------------------------------

RESERVE = 1000 * MIB


def run_reserve(S, s, K, kern, initrd_k, initrd_m, a):
    """A 1 GiB guest (KERNEL_EARLY ~ 1023 MiB, so ~3 GiB may go MOVABLE) gets 2 GiB of
    virtio-mem (16 blocks).  Kernel: all 16 MOVABLE.  memhotd without the reserve: the same,
    block for block.  memhotd with kernel_reserve = 1000M: KERNEL_EARLY counted ~23 MiB,
    too little for one block MOVABLE, so the first block goes to a kernel zone; from then
    on the device's own kernel memory lets three blocks in four go MOVABLE: NMMM NMMM ..."""
    kernel = kern[K]
    vmems = [dict(id="vmem0", node=0, size=4 * G)]
    steps = [("vmem", "vmem0", 2 * G)]
    nblocks = 2 * G // V.BLOCK
    err, bad, snaps, ke = [], set(), {}, {}
    runs = (("kernel", initrd_k[K], KERNEL_POLICY_CMDLINE, None),
            ("memhotd", initrd_m[K], MEMHOTD_CMDLINE, POLICY_CONF),
            ("memhotd-reserve", initrd_m[K], MEMHOTD_CMDLINE,
             POLICY_CONF + "kernel_reserve = %dM\n" % (RESERVE // MIB)))
    status = None
    for mode, initrd, cmdline, conf in runs:
        vm = boot(kernel, initrd, "%s-%s" % (s.name, mode), 1 * G, vmems, cmdline)
        with vm:
            try:
                ke[mode] = kernel_early_pages(vm)
                if conf is not None:
                    start_memhotd(S, vm, conf)
                snaps[mode] = run_steps(S, s, vm, mode, steps, a.quiesce_timeout)
                if mode == "memhotd-reserve":
                    status = ctl_json(vm, "status")
            finally:
                S.save_guest_state(vm, "memhotd" if conf else "kernel")
    lay = {m: dev_layout(snaps[m][-1], "virtio0") for m in snaps}
    want_plain = model_vmem(ke["kernel"], nblocks)
    want_res = model_vmem(ke["memhotd-reserve"], nblocks, RESERVE // PAGE)
    V.log("  KERNEL_EARLY %d pages; reserve %d pages -> counted %d" % (
        ke["memhotd-reserve"], RESERVE // PAGE, max(0, ke["memhotd-reserve"] - RESERVE // PAGE)))
    for m in snaps:
        V.log("  virtio0 %-16s %s" % (m, lay[m]))
    V.log("  model: no reserve %s, reserve %s" % (want_plain, want_res))
    if lay["kernel"] != want_plain:
        err.append("  the kernel's layout %s is not the policy arithmetic's %s (model or "
                   "harness wrong)" % (lay["kernel"], want_plain))
    e, b = S.compare(s, snaps["kernel"], snaps["memhotd"])
    err += e
    bad |= b
    if lay["memhotd-reserve"] != want_res:
        err.append("  with kernel_reserve = %dM memhotd gave virtio0 %s, the arithmetic says %s"
                   % (RESERVE // MIB, lay["memhotd-reserve"], want_res))
        bad |= set(owners_of(snaps["memhotd-reserve"][-1]).get("virtio0", []))
    if not want_res.startswith("N") or not want_plain.startswith("M"):
        err.append("  scenario no longer shows the reserve (model: %s vs %s); guest sizes changed?"
                   % (want_res, want_plain))
    n0 = (status or {}).get("nodes", [{}])[0] if isinstance(status, dict) else {}
    if n0.get("kernel_early_reserved") != min(RESERVE, (n0.get("kernel_early") or 0)) or \
            n0.get("kernel_reserve") != RESERVE:
        err.append("  memhotctl status node 0: kernel_reserve %s, kernel_early_reserved %s "
                   "(expected %d)" % (n0.get("kernel_reserve"), n0.get("kernel_early_reserved"),
                                      RESERVE))
    else:
        V.log("  memhotctl status node 0: kernel_early %s, reserved %s, effective %s" % (
            n0.get("kernel_early"), n0.get("kernel_early_reserved"),
            n0.get("kernel_early_effective")))
    return err, bad


# --------------------------------------------------------------------------
# beyond-rules
# --------------------------------------------------------------------------

# The reference guest's onliner: the kernel's auto-movable policy with
# memhp_default_state=offline; DIMM blocks (they have a firmware_node, PNP0C80) are written
# online_movable by hand -- what the [rule] asks memhotd for -- and every other block
# `online`, which under online_policy=auto-movable makes the kernel itself choose the zone
# (zone_for_pfn_range() -> auto_movable_zone_for_pfn()) from the state at that moment.
# Ascending block order, only blocks already linked to their node, like memhotd.
RULES_ONLINER = r"""
cd /sys/devices/system/memory
while :; do
	for n in $(grep -l '^offline' memory[0-9]*/state 2>/dev/null | sed 's,^memory,,; s,/state$,,' | sort -n); do
		d=memory$n
		ls -d $d/node[0-9]* >/dev/null 2>&1 || continue
		if [ -e $d/firmware_node ]; then echo online_movable > $d/state; else echo online > $d/state; fi
	done 2>/dev/null
	sleep 0.05
done
"""

RULES_CONF = "\n[rule dimms]\nmatch_type = dimm\nzone = movable\n"


def run_rules(S, s, K, kern, initrd_k, initrd_m, a):
    """2 GiB guest (~6 GiB may go MOVABLE): a 4 GiB DIMM, virtio-mem to 2 GiB, a second 4 GiB
    DIMM (the kernel's policy would put it in a kernel zone: 6 GiB are MOVABLE already; the
    rule puts it in MOVABLE), virtio-mem to 4 GiB (with 10 GiB MOVABLE the policy now puts
    the first new virtio-mem blocks in a kernel zone until the device's own kernel memory
    allows MOVABLE again)."""
    kernel = kern[K]
    vmems = [dict(id="vmem0", node=0, size=8 * G)]
    steps = s.steps
    snaps = {}
    status = None
    for mode in ("kernel", "memhotd"):
        if mode == "kernel":
            vm = boot(kernel, initrd_k[K], "%s-kernel" % s.name, 2 * G, vmems,
                      "memhp_default_state=offline " + KERNEL_POLICY_CMDLINE.split(" ", 1)[1])
        else:
            vm = boot(kernel, initrd_m[K], "%s-memhotd" % s.name, 2 * G, vmems, MEMHOTD_CMDLINE)
        with vm:
            try:
                if mode == "kernel":
                    vm.sh("cat > /tmp/onliner.sh <<'EOF'\n%sEOF\n"
                          "setsid sh /tmp/onliner.sh >/dev/null 2>&1 </dev/null &" % RULES_ONLINER)
                else:
                    start_memhotd(S, vm, POLICY_CONF + RULES_CONF)
                snaps[mode] = run_steps(S, s, vm, mode, steps, a.quiesce_timeout)
                if mode == "memhotd":
                    status = ctl_json(vm, "status")
            finally:
                S.save_guest_state(vm, mode)
    err, bad = S.compare(s, snaps["kernel"], snaps["memhotd"])
    last = snaps["memhotd"][-1]
    devs = owners_of(last)
    for d in sorted(devs):
        V.log("  %-12s kernel %s" % (d, dev_layout(snaps["kernel"][-1], d)))
        V.log("  %-12s memhotd %s" % ("", dev_layout(last, d)))
    dimms = [d for d in devs if d.startswith("PNP0C80")]
    if len(dimms) != 2 or "virtio0" not in devs:
        err.append("  expected two DIMMs and virtio0, found %s" % sorted(devs))
    for d in dimms:
        if set(dev_layout(last, d)) != {"M"}:
            err.append("  %s not all Movable under [rule dimms]: %s" % (d, dev_layout(last, d)))
    v = dev_layout(last, "virtio0")
    if "N" not in v or "M" not in v:
        err.append("  virtio0 %s: expected a mix of kernel and Movable blocks (the rule's "
                   "DIMMs use up the ratio); the scenario no longer tests what it should" % v)
    rules = {}
    for dv in (status or {}).get("devices", []) if isinstance(status, dict) else []:
        if dv.get("type") in ("dimm", "virtio-mem"):
            rules[dv.get("name")] = (dv.get("rule"), dv.get("rule_zone"))
    for d in dimms:
        if rules.get(d) != ("dimms", "movable"):
            err.append("  memhotctl status: %s rule %s, expected dimms/movable" % (d, rules.get(d)))
    if rules.get("virtio0", (None, None))[0] is not None:
        err.append("  memhotctl status: virtio0 matched rule %s" % (rules["virtio0"],))
    return err, bad


# --------------------------------------------------------------------------
# beyond-guard, beyond-guard-kernel
# --------------------------------------------------------------------------

GUARD_LEVELS = (48, 32, 24)  # MiB MemAvailable left before the plug
GUARD_PLUG = 8 * G
GUARD_CONF = "\n[guard]\nkernel_free_min = 128M\n"
STALL_S = 40      # no progress (plugged size, online blocks) for this long: a stall
PLUG_LIMIT_S = 240  # the whole plug, at most

# Fills a tmpfs until MemAvailable is at most T KiB (and about 1 MiB below it at most):
# big writes first, then smaller ones as it gets close.
HOG = r"""
T=%d
mkdir -p /hog
grep -q ' /hog ' /proc/mounts || mount -t tmpfs -o size=100%% hog /hog
i=0
while [ $i -lt 300 ]; do
	a=$(sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo)
	[ $a -le $T ] && break
	n=$(( (a - T + 1023) / 1024 ))
	[ $n -gt 8 ] && n=$(( n - n / 8 ))
	dd if=/dev/zero of=/hog/f$i bs=1M count=$n 2>/dev/null || break
	i=$((i+1))
done
sync
grep -E '^(MemTotal|MemFree|MemAvailable|Shmem):' /proc/meminfo
"""

BAD_CONSOLE = re.compile(r"Kernel panic|invoked oom-killer|Out of memory|oom-kill:|"
                         r"System is deadlocked on memory|BUG:|Oops|hung_task|blocked for more than")


def _meminfo(text):
    res = {}
    for line in text.splitlines():
        m = re.match(r"^(\w+):\s+(\d+) kB", line)
        if m:
            res[m.group(1)] = int(m.group(2))
    return res


def pressure_run(S, kernel, initrd, name, mode, level_mib):
    """One 2 GiB guest: (memhotd: start it with the guard), fill a tmpfs down to level_mib
    MiB MemAvailable, plug GUARD_PLUG of virtio-mem and watch until it is all plugged and
    online, or nothing moves for STALL_S seconds, or QEMU exits (a panic: panic=1 and
    -no-reboot).  Never waits longer than PLUG_LIMIT_S.  Returns a record (dict)."""
    rec = dict(mode=mode, level_mib=level_mib, kernel=kernel["version"])
    cmdline = KERNEL_POLICY_CMDLINE if mode == "kernel" else MEMHOTD_CMDLINE
    vm = boot(kernel, initrd, name, 2 * G, [dict(id="vmem0", node=0, size=GUARD_PLUG)], cmdline,
              timeout=PLUG_LIMIT_S + 240)
    with vm:
        if mode == "memhotd":
            start_memhotd(S, vm, POLICY_CONF + GUARD_CONF)
        t = time.monotonic()
        mi = _meminfo(vm.sh(HOG % (level_mib * 1024), timeout=180))
        zi = V.parse_zoneinfo(vm.sh("cat /proc/zoneinfo"))
        rec.update(hog_s=round(time.monotonic() - t, 1),
                   mem_available_kib=mi.get("MemAvailable"), mem_free_kib=mi.get("MemFree"),
                   shmem_kib=mi.get("Shmem"),
                   kernel_free_kib=sum(z.get("free", 0) for n, z in zi.get(0, {}).items()
                                       if n in KERNEL_ZONES) * PAGE // 1024)
        V.log("  %s: MemAvailable %s KiB, MemFree %s KiB, kernel zones free %s KiB (hog %.0fs)"
              % (name, rec["mem_available_kib"], rec["mem_free_kib"], rec["kernel_free_kib"],
                 rec["hog_s"]))
        t0 = time.monotonic()
        vm.set_vmem("vmem0", GUARD_PLUG)
        last, last_t, plugged, online, offline = None, t0, 0, None, None
        outcome = None
        while outcome is None:
            time.sleep(1)
            now = time.monotonic()
            if vm.proc.poll() is not None:
                outcome = "qemu exited"
                break
            try:
                d = [x["data"] for x in vm.memory_devices() if x["data"]["id"] == "vmem0"][0]
                plugged = d["size"]
            except V.VMError:
                outcome = "qemu exited" if vm.proc.poll() is not None else "qmp error"
                break
            try:
                out = vm.sh("cd /sys/devices/system/memory; grep -c '^online' memory*/state "
                            "| grep -c ':1$'; grep -l '^offline' memory*/state | wc -l",
                            timeout=15, check=False).split()
                online, offline = int(out[0]), int(out[1])
            except (V.VMError, ValueError, IndexError):
                pass  # the guest does not answer: no progress from its side
            cur = (plugged, online, offline)
            if cur != last:
                last, last_t = cur, now
            if plugged == GUARD_PLUG and offline == 0 and now - last_t >= 2:
                outcome = "ok"
            elif now - last_t >= STALL_S:
                outcome = "stall"
            elif now - t0 >= PLUG_LIMIT_S:
                outcome = "timeout"
        rec["plug_s"] = round(time.monotonic() - t0, 1)
        rec["plugged_mib"] = plugged // MIB
        console = open(vm.console, errors="replace").read()
        bad = [l.strip() for l in console.splitlines() if BAD_CONSOLE.search(l)]
        rec["console_bad"] = bad[:12]
        rec["panic"] = next((l for l in bad if "Kernel panic" in l), None)
        # virtio-mem could not add a block (its memmap found no kernel memory): what a
        # stall looks like from inside
        rec["add_memory_failed"] = len(re.findall(r"adding memory failed", console))
        rec["page_allocation_failures"] = len(re.findall(r"page allocation failure", console))
        rec["oom_kill"] = any("invoked oom-killer" in l or "Out of memory" in l or "oom-kill:" in l
                              for l in bad)
        if outcome == "qemu exited":
            rec["outcome"] = "panic" if rec["panic"] else "qemu exited"
        else:
            rec["outcome"] = outcome
            try:
                dm = vm.sh("dmesg", timeout=30, check=False)
                open(os.path.join(vm.dir, "dmesg"), "w").write(dm)
                if re.search(r"invoked oom-killer|Out of memory|oom-kill:", dm):
                    rec["oom_kill"] = True
                blocks = vm.blocks()
                owners = V.iomem_owners(vm.sh("cat /proc/iomem"))
                lay = dev_layout(("", blocks, owners), "virtio0")
                rec.update(blocks_movable=lay.count("M"), blocks_kernel=lay.count("N"),
                           blocks_offline=lay.count("o"), layout=lay)
                mi = _meminfo(vm.sh("cat /proc/meminfo", timeout=30))
                rec["mem_available_after_kib"] = mi.get("MemAvailable")
                if mode == "memhotd":
                    rec["memhotd_alive"] = S.memhotd_alive(vm)
                    log = vm.sh("cat /var/log/memhotd.log", check=False, timeout=30)
                    open(os.path.join(vm.dir, "memhotd.log"), "w").write(log)
                    # one warning per episode (kernel-zone free below the minimum)
                    rec["guard_episodes"] = len(re.findall(
                        r"\[guard\] kernel-zone free memory \S+ is below", log))
                    rec["guard_forced_blocks"] = len(re.findall(
                        r"online_kernel ok; kernel zone: guard-kernel-free-low", log))
            except V.VMError as e:
                rec["guest_unresponsive"] = str(e).splitlines()[0]
    V.log("  %s: %s after %.0fs, %d MiB plugged, %s" % (
        name, rec["outcome"], rec["plug_s"], rec["plugged_mib"],
        "layout M %s / N %s / offline %s" % (rec.get("blocks_movable"), rec.get("blocks_kernel"),
                                             rec.get("blocks_offline"))))
    json.dump(rec, open(os.path.join(vm.dir, "record.json"), "w"), indent=1)
    return rec


def _save(K, name, recs):
    p = os.path.join(V.OUT, K, name + ".json")
    os.makedirs(os.path.dirname(p), exist_ok=True)
    json.dump(recs, open(p, "w"), indent=1)


def run_guard(S, s, K, kern, initrd_k, initrd_m, a):
    err, recs = [], []
    for lvl in GUARD_LEVELS:
        name = "%s-%dm-memhotd" % (s.name, lvl)
        try:
            r = pressure_run(S, kern[K], initrd_m[K], name, "memhotd", lvl)
        except (V.VMError, S.Failure) as e:
            err.append("  %d MiB: %s" % (lvl, str(e).replace("\n", "\n    ")))
            continue
        recs.append(r)
        want = "  %d MiB (MemAvailable %s KiB before the plug):" % (lvl, r["mem_available_kib"])
        if r["mem_available_kib"] is None or r["mem_available_kib"] > lvl * 1024 or \
                r["mem_available_kib"] < (lvl - 4) * 1024:
            err.append("%s the hog did not reach the level" % want)
        if r["outcome"] != "ok":
            err.append("%s %s, %d MiB plugged; console: %s" % (want, r["outcome"], r["plugged_mib"],
                                                             "; ".join(r["console_bad"][:4])))
        if r["plugged_mib"] != GUARD_PLUG // MIB:
            err.append("%s only %d MiB plugged" % (want, r["plugged_mib"]))
        if r.get("blocks_offline") != 0:
            err.append("%s %s blocks offline" % (want, r.get("blocks_offline")))
        if r["oom_kill"] or r["panic"]:
            err.append("%s OOM kill or panic: %s" % (want, "; ".join(r["console_bad"][:4])))
        if not r.get("guard_episodes") or not r.get("layout", "").startswith("N"):
            err.append("%s the guard did not fire (episodes %s, layout %s): the pressure is not "
                       "what the scenario is about" % (want, r.get("guard_episodes"),
                                                       r.get("layout")))
        if r.get("memhotd_alive") is not True:
            err.append("%s memhotd not alive at the end" % want)
    _save(K, s.name, recs)
    return err, set()


def run_guard_kernel(S, s, K, kern, initrd_k, initrd_m, a):
    """A record: the kernel's own policy under the same pressure.  Fails only if the harness
    could not run it (not on a stall, OOM kill or panic: that is what is recorded)."""
    err, recs = [], []
    for lvl in GUARD_LEVELS:
        name = "%s-%dm" % (s.name, lvl)
        try:
            recs.append(pressure_run(S, kern[K], initrd_k[K], name, "kernel", lvl))
        except (V.VMError, S.Failure) as e:
            err.append("  %d MiB: harness: %s" % (lvl, str(e).replace("\n", "\n    ")))
    _save(K, s.name, recs)
    for r in recs:
        V.log("  record: %d MiB -> %s, %d MiB plugged, OOM kill %s, panic %s" % (
            r["level_mib"], r["outcome"], r["plugged_mib"], r["oom_kill"], r["panic"]))
    return err, set()


# --------------------------------------------------------------------------
# beyond-plan
# --------------------------------------------------------------------------

PLAN_RESERVE = 1 * G
PLAN_CONF = "kernel_reserve = 1G\n"


def run_plan(S, s, K, kern, initrd_k, initrd_m, a):
    """What-if planning against what then happens: a 2 GiB guest, memhotd with
    kernel_reserve = 1G (KERNEL_EARLY counted ~1 GiB, so ~3 GiB may go MOVABLE);
    `memhotctl --json plan --add virtio0:2G --add dimm:2G@0` first, then the same plugs for
    real.  Predicted (and without the reserve it would be all MOVABLE): virtio0's 16 blocks
    MOVABLE, the DIMM's 16 in a kernel zone.  virtio-mem's blocks are compared by number;
    the DIMM's by their zones in order (the plan cannot know where QEMU maps it)."""
    kernel = kern[K]
    err = []
    vm = boot(kernel, initrd_m[K], "%s-memhotd" % s.name, 2 * G,
              [dict(id="vmem0", node=0, size=8 * G)], MEMHOTD_CMDLINE)
    with vm:
        try:
            start_memhotd(S, vm, POLICY_CONF + PLAN_CONF)
            S.settle(vm, a.quiesce_timeout)
            text = vm.sh("memhotctl plan --add virtio0:2G --add dimm:2G@0", check=False)
            open(os.path.join(vm.dir, "memhotctl-plan.txt"), "w").write(text)
            raw = vm.sh("memhotctl --json plan --add virtio0:2G --add dimm:2G@0", check=False,
                        timeout=60)
            open(os.path.join(vm.dir, "memhotctl-plan.json"), "w").write(raw)
            try:
                plan = json.loads(raw)
            except ValueError:
                raise S.Failure("memhotctl --json plan --add did not parse:\n" + raw[-2000:])
            pred_v, pred_d = {}, []
            for m in plan.get("memory", []):
                if not m.get("hypothetical"):
                    continue
                z = "M" if (m.get("plan") or {}).get("target") == "movable" else "N"
                if m.get("device") == "virtio0":
                    pred_v[m["block"]] = z
                else:
                    pred_d.append(z)
            V.log("  predicted: virtio0 %s, new DIMM %s" % (
                "".join(pred_v[b] for b in sorted(pred_v)), "".join(pred_d)))
            V.log("  " + text.strip().replace("\n", "\n  ")[-1500:])
            snaps = run_steps(S, s, vm, "memhotd", s.steps, a.quiesce_timeout)
        finally:
            S.save_guest_state(vm, "memhotd")
    last = snaps[-1]
    devs = owners_of(last)
    dimms = [d for d in devs if d.startswith("PNP0C80")]
    got_v = {b: dev_layout(("", {b: last[1][b]}, last[2]), "virtio0") for b in devs.get("virtio0", [])}
    got_d = dev_layout(last, dimms[0]) if len(dimms) == 1 else ""
    V.log("  happened:  virtio0 %s, DIMM %s" % ("".join(got_v[b] for b in sorted(got_v)), got_d))
    if len(pred_v) != 16 or len(pred_d) != 16:
        err.append("  the plan predicted %d virtio0 and %d DIMM blocks, expected 16 and 16"
                   % (len(pred_v), len(pred_d)))
    for b in sorted(set(pred_v) | set(got_v)):
        if pred_v.get(b) != got_v.get(b):
            err.append("  memory%d (virtio0): predicted %s, happened %s"
                       % (b, pred_v.get(b, "absent"), got_v.get(b, "absent")))
    if "".join(pred_d) != got_d:
        err.append("  DIMM: predicted %s, happened %s" % ("".join(pred_d), got_d))
    want_v, want_d = "M" * 16, "N" * 16
    if "".join(pred_v[b] for b in sorted(pred_v)) != want_v or "".join(pred_d) != want_d:
        err.append("  the prediction is not the arithmetic's (virtio0 %s, DIMM %s): the "
                   "scenario no longer tests the reserve" % (want_v, want_d))
    if "MOVABLE budget left" not in text or "new-dimm0" not in text:
        err.append("  memhotctl plan --add text lacks the layout or the budget:\n    "
                   + text.strip().replace("\n", "\n    ")[-800:])
    return err, set()


# --------------------------------------------------------------------------
# beyond-balloon
# --------------------------------------------------------------------------

BALLOON_BOOT = 2 * G
BALLOON_TARGET = BALLOON_BOOT - 256 * MIB
BALLOON_CONF = "balloon_without_compaction = kernel\n"

LOAD_BALLOON = r"""
for m in $(cat /lib/modules/balloon.list); do
	[ -d /sys/module/$m ] || insmod /lib/modules/$m.ko || exit 1
done
i=0
D=/sys/bus/virtio/drivers/virtio_balloon
while [ -z "$(ls $D 2>/dev/null | grep '^virtio')" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i+1))
done
ls $D
"""


def inflate_balloon(S, vm):
    """Loads virtio_balloon, inflates the balloon to BALLOON_TARGET over QMP and waits until
    the guest has given the pages (query-balloon); returns QEMU's `actual`."""
    bound = vm.sh(LOAD_BALLOON, timeout=60).split()
    if not any(x.startswith("virtio") for x in bound):
        raise S.Failure("virtio_balloon bound no device: %s" % bound)
    vm.qmp("balloon", value=BALLOON_TARGET)
    end = time.monotonic() + 60
    while True:
        actual = vm.qmp("query-balloon")["actual"]
        if actual <= BALLOON_TARGET:
            return actual
        if time.monotonic() > end:
            raise S.Failure("balloon not inflated after 60 s: actual %d MiB, target %d MiB"
                            % (actual // MIB, BALLOON_TARGET // MIB))
        time.sleep(0.5)


def run_balloon(S, s, K, kern, initrd_k, initrd_m, a):
    """Two 2 GiB guests with a virtio-balloon device: virtio_balloon is loaded and the
    balloon inflated by 256 MiB over QMP (`balloon`), then virtio-mem grows to 2 GiB (16
    blocks), onlined by the kernel's auto-movable policy in one, by memhotd with
    `balloon_without_compaction = kernel` in the other.  Debian's 6.1 has
    CONFIG_BALLOON_COMPACTION=y: virtio_balloon's pages migrate, so memhotd must report the
    balloon as bound with compaction (kernel_compaction as /proc/vmstat's balloon_migrate
    says), not warn, and place the blocks as the kernel did, block for block, and as the
    arithmetic says (all 16 MOVABLE) -- the setting changes nothing for such a balloon."""
    kernel = kern[K]
    err = []
    steps = s.steps
    nblocks = 2 * G // V.BLOCK
    runs = (("kernel", initrd_k[K], KERNEL_POLICY_CMDLINE),
            ("memhotd", initrd_m[K], MEMHOTD_CMDLINE))
    snaps, vmstat, still = {}, {}, {}
    status = log = ke = None
    for mode, initrd, cmdline in runs:
        vm = V.VM("%s/%s-%s" % (kernel["key"], s.name, mode), kernel, initrd,
                  boot_mem=BALLOON_BOOT, vmems=[dict(id="vmem0", node=0, size=4 * G)],
                  cmdline=cmdline, timeout=300, devices=["virtio-balloon-pci,id=balloon0"])
        with vm:
            try:
                actual = inflate_balloon(S, vm)
                V.log("  %s: balloon inflated, the guest has %d MiB of %d MiB"
                      % (mode, actual // MIB, BALLOON_BOOT // MIB))
                vmstat[mode] = vm.sh("cat /proc/vmstat")
                if mode == "memhotd":
                    ke = kernel_early_pages(vm)
                    start_memhotd(S, vm, POLICY_CONF + BALLOON_CONF)
                snaps[mode] = run_steps(S, s, vm, mode, steps, a.quiesce_timeout)
                if mode == "memhotd":
                    status = ctl_json(vm, "status")
                    log = vm.sh("cat /var/log/memhotd.log", check=False, timeout=30)
                still[mode] = vm.qmp("query-balloon")["actual"]
            finally:
                S.save_guest_state(vm, mode)
    for mode in vmstat:
        infl = re.search(r"^balloon_inflate (\d+)", vmstat[mode], re.M)
        if not infl or int(infl.group(1)) == 0 or still[mode] > BALLOON_TARGET:
            err.append("  %s: the balloon is not inflated (balloon_inflate %s, QEMU actual "
                       "%d MiB)" % (mode, infl.group(1) if infl else None, still[mode] // MIB))
    e, bad = S.compare(s, snaps["kernel"], snaps["memhotd"])
    err += e
    V.log("  virtio0 kernel  %s" % dev_layout(snaps["kernel"][-1], "virtio0"))
    has_migrate = bool(re.search(r"^balloon_migrate \d+", vmstat["memhotd"], re.M))
    infl = re.search(r"^balloon_inflate (\d+)", vmstat["memhotd"], re.M)
    lay = dev_layout(snaps["memhotd"][-1], "virtio0")
    want = model_vmem(ke, nblocks)
    V.log("  /proc/vmstat: balloon_migrate %s, balloon_inflate %s" % (
        "present" if has_migrate else "absent", infl.group(1) if infl else None))
    V.log("  virtio0 memhotd %s, model %s" % (lay, want))
    b = ((status or {}).get("daemon") or {}).get("balloon") if isinstance(status, dict) else None
    V.log("  memhotctl status balloon: %s" % json.dumps(b))
    if not has_migrate:
        err.append("  /proc/vmstat has no balloon_migrate: this kernel lacks balloon compaction, "
                   "the scenario is about one that has it")
    if not isinstance(b, dict):
        err.append("  memhotctl --json status has no daemon.balloon object")
    else:
        expect = dict(active=True, driver="virtio_balloon", kernel_compaction=has_migrate,
                      compaction=True, movable_risk=False, mode="kernel")
        for k, v in expect.items():
            if b.get(k) != v:
                err.append("  memhotctl status balloon.%s = %r, expected %r" % (k, b.get(k), v))
    if "without balloon compaction" in log:
        err.append("  memhotd warned about a balloon without compaction:\n    " + "\n    ".join(
            l for l in log.splitlines() if "balloon" in l)[:800])
    if not re.search(r"balloon \(start-up\): virtio_balloon bound, balloon compaction", log):
        err.append("  memhotd's log lacks the start-up line for the bound balloon")
    if lay != want:
        err.append("  virtio0 %s, the kernel's policy arithmetic says %s" % (lay, want))
        bad |= set(owners_of(snaps["memhotd"][-1]).get("virtio0", []))
    if "M" not in want:
        err.append("  the model puts nothing in MOVABLE (%s): the scenario no longer shows that "
                   "the setting leaves MOVABLE alone" % want)
    return err, bad


# --------------------------------------------------------------------------

def scenarios(S):
    """The Scenario objects suite.py adds (6.1 only: they are about memhotd's own settings,
    not about kernel differences)."""
    def sc(name, fn, steps, doc, needs=None):
        x = S.Scenario(name, steps, kernels=("6.1",), needs=needs, doc=doc)
        x.custom = lambda s, K, kern, ik, im, a: fn(S, s, K, kern, ik, im, a)
        return x
    G4 = 4 * G
    return [
        sc("beyond-reserve", run_reserve, [("vmem", "vmem0", 2 * G)],
           "1 GiB guest, 2 GiB virtio-mem: kernel, memhotd (must equal it) and memhotd with "
           "kernel_reserve = 1000M (first block kernel, then NMMM...)"),
        sc("beyond-rules", run_rules,
           [("dimm", "dimm0", G4, 0), ("vmem", "vmem0", 2 * G), ("dimm", "dimm1", G4, 0),
            ("vmem", "vmem0", 4 * G)],
           "[rule] DIMMs MOVABLE, virtio-mem on auto; reference: the kernel's policy deciding "
           "virtio-mem with the DIMMs onlined movable by hand"),
        sc("beyond-guard", run_guard, [],
           "2 GiB guest, tmpfs down to 48/32/24 MiB MemAvailable, 8 GiB virtio-mem plug; "
           "memhotd with [guard] kernel_free_min = 128M: all plugged, no OOM, no panic"),
        sc("beyond-plan", run_plan, [("vmem", "vmem0", 2 * G), ("dimm", "dimm0", 2 * G, 0)],
           "memhotctl plan --add virtio0:2G --add dimm:2G@0 (kernel_reserve = 1G), then the "
           "plugs: prediction == what happened"),
        sc("beyond-balloon", run_balloon, [("vmem", "vmem0", 2 * G)],
           "2 GiB guests, virtio-balloon inflated by 256 MiB, 2 GiB virtio-mem: kernel and memhotd "
           "with balloon_without_compaction = kernel (compaction shown, no warning, = kernel)"),
        sc("beyond-guard-kernel", run_guard_kernel, [],
           "the same pressure with the kernel's own auto-movable policy (a record; --records)",
           needs="records"),
    ]
