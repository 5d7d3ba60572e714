#!/usr/bin/env python3
"""Plug-to-online latency: memhotd vs the kernel's in-kernel auto-online.

For each size (default 16, 32 and 64 GiB) and repetition, two fresh QEMU/TCG guests are booted
back to back (Debian 6.1 kernel, 4 GiB boot RAM, one virtio-mem device):

  kernel   memhp_default_state=online memory_hotplug.online_policy=auto-movable
  memhotd  memhp_default_state=offline, memhotd (auto-movable, same ratio) started at boot
  delegate as memhotd, with [policy] mode = delegate: memhotd sets the kernel's policy and
           auto_online_blocks=online, the kernel onlines inside each add (--modes)
  floor    the userspace floor: memhp_default_state=offline with the kernel's auto-movable
           policy, and bench/floor-writer (a raw uevent socket filtered to memory adds,
           `online` written to each new block's state at once; the kernel picks the zone)
  floor-hold  the same writer with memhotd's virtio-mem write hold

and in each the harness times, on the host, from just before the QMP `qom-set
requested-size` until QMP `query-memory-devices` reports the full size plugged AND the
guest has no offline memory block (polled every ~20 ms; the guest check is a serial-line
round trip of a few ms, the same in both modes).  The order of the modes rotates
between repetitions.  Reported: each time, the medians and their ratio, and for memhotd its
peak RSS (VmHWM from /proc/PID/status) and CPU time (utime+stime from /proc/PID/stat,
guest clock ticks) after the plug, both read in the guest.

    bench/bench.py [--reps N] [--sizes 16,32] [--modes kernel,floor,memhotd,delegate]
                   [--floor-writer build/bench/floor-writer] [--json FILE]
"""

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "vm"))
import vmlib as V  # noqa: E402

KCMD = "memhp_default_state=online memory_hotplug.online_policy=auto-movable"
MCMD = "memhp_default_state=offline"
# floor: the kernel's policy, userspace's write (`online`: the kernel picks the zone)
FCMD = "memhp_default_state=offline memory_hotplug.online_policy=auto-movable"
FLOOR_ARGS = {"floor": "", "floor-hold": "--hold"}
CONF = "[policy]\nonline_policy = auto-movable\nauto_movable_ratio = 301\nauto_movable_numa_aware = true\n"
# delegate: memhotd writes the policy into the kernel and turns auto_online_blocks on;
# the kernel onlines inside each add, memhotd verifies (doc/kernels.md 14)
DAEMON_CONF = {"memhotd": CONF, "delegate": CONF + "mode = delegate\n"}


def plug_time(vm, size, timeout=300):
    t0 = time.monotonic()
    vm.set_vmem("vmem0", size)
    end = t0 + timeout
    while True:
        d = vm.memory_devices()[0]["data"]
        if d["size"] == size:
            if vm.offline_count() == 0:
                return time.monotonic() - t0
        if time.monotonic() > end:
            raise V.VMError("plug of %d GiB not done in %ds (plugged %d MiB)"
                            % (size >> 30, timeout, d["size"] >> 20))
        time.sleep(0.02)


def start_daemon(vm, mode, args=""):
    """Starts memhotd in the guest (config of mode, extra arguments args, log on tmpfs)
    and waits until it has finished its start-up scan."""
    vm.sh("cat > /etc/memhotd.conf <<'EOF'\n%sEOF" % DAEMON_CONF[mode])
    # ready once it has finished its start-up scan (its "coldplug" log line)
    start_bg(vm, "/usr/sbin/memhotd --root / %s" % args, "coldplug",
             "\necho $! > /run/memhotd.pid")


def start_bg(vm, cmd, ready, tail=""):
    """Runs cmd in the guest in the background, its output in /var/log/memhotd.log, and
    waits (at most 10 s) until that log says ready, then 0.5 s more."""
    vm.sh("setsid %s >/var/log/memhotd.log 2>&1 3>&- </dev/null &%s" % (cmd, tail))
    for _ in range(100):
        if ready in vm.sh("cat /var/log/memhotd.log", check=False):
            break
        time.sleep(0.1)
    time.sleep(0.5)


def conf_mode(mode):
    """MODE@NAME (a --variant build) runs with MODE's configuration: memhotd@NAME,
    delegate@NAME."""
    return mode.split("@")[0]


def cmdline_of(mode):
    if mode == "kernel":
        return KCMD
    return FCMD if mode in FLOOR_ARGS else MCMD


def start_floor(vm, mode):
    """Starts bench/floor-writer in the guest (pid in /run/memhotd.pid like memhotd's, so
    the same CPU and VmHWM readings apply), after checking the kernel's settings."""
    st = vm.sh("cat /sys/module/memory_hotplug/parameters/online_policy "
               "/sys/devices/system/memory/auto_online_blocks").split()
    if st != ["auto-movable", "offline"]:
        raise V.VMError("floor guest: online_policy/auto_online_blocks are %s" % st)
    start_bg(vm, "/usr/sbin/floor-writer %s --pidfile /run/memhotd.pid" % FLOOR_ARGS[mode],
             "ready")


def has_pid(mode):
    return conf_mode(mode) in DAEMON_CONF or mode in FLOOR_ARGS


def one(mode, size, kernel, initrd, rep, args=""):
    vm = V.VM("bench-%s-%dg-%d" % (mode, size >> 30, rep), kernel, initrd,
              vmems=[dict(id="vmem0", node=0, size=max(size, 32 * V.GIB))],
              cmdline=cmdline_of(mode), timeout=600,
              maxmem=max(64 * V.GIB, 12 * V.GIB + size))
    res = {"mode": mode, "size_gib": size >> 30, "rep": rep}
    with vm:
        if mode in FLOOR_ARGS:
            start_floor(vm, mode)
        elif conf_mode(mode) in DAEMON_CONF:
            start_daemon(vm, conf_mode(mode), args)
        if has_pid(mode):
            before = vm.sh("p=$(cat /run/memhotd.pid); cut -d' ' -f14,15 /proc/$p/stat")
        res["seconds"] = plug_time(vm, size)
        blocks = vm.blocks()
        res["movable_blocks"] = sum(1 for v in blocks.values() if v[2] == "Movable")
        res["kernel_hot_blocks"] = sum(1 for b, v in blocks.items() if b >= 48 and v[2] != "Movable")
        if mode in FLOOR_ARGS:
            # every write must have succeeded (a failure is logged per block)
            res["floor_failed"] = int(vm.sh("grep -c 'floor-writer: memory' "
                                            "/var/log/memhotd.log; true").strip() or 0)
        if has_pid(mode):
            st = vm.sh("p=$(cat /run/memhotd.pid); grep -E 'VmHWM|VmRSS' /proc/$p/status; "
                       "cut -d' ' -f14,15 /proc/$p/stat; getconf CLK_TCK 2>/dev/null || echo 100")
            lines = st.split("\n")
            for l in lines:
                if l.startswith("VmHWM"):
                    res["vmhwm_kib"] = int(l.split()[1])
                if l.startswith("VmRSS"):
                    res["vmrss_kib"] = int(l.split()[1])
            ut, stt = (int(x) for x in lines[2].split())
            ub, sb = (int(x) for x in before.split())
            hz = int(lines[3]) if lines[3].strip().isdigit() else 100
            res["cpu_total_s"] = (ut + stt) / hz
            res["cpu_plug_s"] = (ut + stt - ub - sb) / hz
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memhotd", default=os.path.join(V.REPO, "build", "memhotd"))
    ap.add_argument("--memhotctl", default=os.path.join(V.REPO, "build", "memhotctl"))
    ap.add_argument("--floor-writer", default=os.path.join(V.REPO, "build", "bench", "floor-writer"),
                    help="bench/floor-writer.c built static (make build/bench/floor-writer)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sizes", default="16,32,64")
    ap.add_argument("--modes", default="kernel,floor,memhotd,delegate",
                    help="which of kernel, floor, floor-hold (bench/floor-writer without/with "
                         "memhotd's write hold), memhotd, delegate (memhotd with [policy] mode = "
                         "delegate) to time; the first is the reference of the ratio")
    ap.add_argument("--json", default=os.path.join(V.OUT, "bench.json"))
    ap.add_argument("--args", default="", help="extra memhotd arguments in the guest")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=PATH",
                    help="another memhotd build, timed as mode memhotd@NAME or delegate@NAME (add it to --modes), "
                         "e.g. the commit before a change, in the same alternating session")
    a = ap.parse_args()
    need = [a.memhotd, a.memhotctl]
    if any(m in FLOOR_ARGS for m in a.modes.split(",")):
        need.append(a.floor_writer)
    for p in need:
        if not os.access(p, os.X_OK):
            print("bench: %s not built (run make, make %s)" % (p, p), file=sys.stderr)
            return 1
    V.preflight()
    kernel = V.get_kernel()
    files = {"/usr/sbin/memhotd": a.memhotd, "/usr/bin/memhotctl": a.memhotctl}
    if os.access(a.floor_writer, os.X_OK):
        # static: its bytes, so the initramfs builder does not ask ldd about it
        files["/usr/sbin/floor-writer"] = open(a.floor_writer, "rb").read()
    initrd = V.build_initramfs(kernel, os.path.join(V.CACHE, "initrd-bench.cpio"), files)
    initrds = {}
    for v in a.variant:
        name, path = v.split("=", 1)
        initrds[name] = V.build_initramfs(
            kernel, os.path.join(V.CACHE, "initrd-bench-%s.cpio" % name),
            {"/usr/sbin/memhotd": path, "/usr/bin/memhotctl": a.memhotctl})
    sizes = [int(x) * V.GIB for x in a.sizes.split(",")]
    qv = V._run(["qemu-system-x86_64", "--version"]).splitlines()[0]
    host = {"cpus": os.cpu_count(), "qemu": qv, "accel": " ".join(V.accel_args()),
            "loadavg_start": open("/proc/loadavg").read().split()[:3]}
    print("host: %d CPUs, %s, %s, load average at start %s" % (
        host["cpus"], qv, host["accel"], " ".join(host["loadavg_start"])), flush=True)
    results = []
    for size in sizes:
        for rep in range(a.reps):
            modes = a.modes.split(",")
            # rotate the order from one repetition to the next
            order = modes[rep % len(modes):] + modes[:rep % len(modes)]
            for mode in order:
                r = one(mode, size, kernel,
                        initrds.get(mode.split("@")[1] if "@" in mode else None, initrd),
                        rep, a.args)
                results.append(r)
                extra = ""
                if has_pid(mode):
                    extra = "  VmHWM %d KiB, CPU %.2fs (plug) %.2fs (total)" % (
                        r["vmhwm_kib"], r["cpu_plug_s"], r["cpu_total_s"])
                if r.get("floor_failed"):
                    extra += "  %d FAILED WRITES" % r["floor_failed"]
                print("%2d GiB rep %d %-8s %6.2fs  (%d Movable / %d kernel hotplugged blocks)%s"
                      % (size >> 30, rep, mode, r["seconds"], r["movable_blocks"],
                         r["kernel_hot_blocks"], extra), flush=True)
    print()
    modes = a.modes.split(",")
    ref = modes[0]
    print("size  mode      median   ratio to %s  VmHWM (max)  CPU/plug (median)" % ref)
    summary = []
    for size in sizes:
        med = {}
        for mode in modes:
            rs = [r for r in results if r["size_gib"] == size >> 30 and r["mode"] == mode]
            med[mode] = statistics.median(r["seconds"] for r in rs)
            row = {"size_gib": size >> 30, "mode": mode, "median_s": med[mode],
                   "ratio": med[mode] / med[ref] if ref in med else None}
            extra = ""
            if has_pid(mode):
                row["vmhwm_kib_max"] = max(r["vmhwm_kib"] for r in rs)
                row["cpu_plug_s_median"] = statistics.median(r["cpu_plug_s"] for r in rs)
                extra = "  %8d KiB  %8.2fs" % (row["vmhwm_kib_max"], row["cpu_plug_s_median"])
            print("%2d GiB  %-8s  %6.2fs  %5.2f%s" % (size >> 30, mode, med[mode],
                                                  row["ratio"] or 0, extra))
            summary.append(row)
        lays = sorted({(r["movable_blocks"], r["kernel_hot_blocks"]) for r in results
                       if r["size_gib"] == size >> 30})
        same = len(lays) == 1 and not any(r.get("floor_failed") for r in results)
        summary.append({"size_gib": size >> 30, "layouts": lays, "layouts_identical": same})
        print("%2d GiB  layouts (Movable / kernel hotplugged blocks) identical in every run: %s%s"
              % (size >> 30, "yes" if same else "NO", "" if same else " %s" % lays))
    host["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    print("load average at end %s" % " ".join(host["loadavg_end"]))
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    json.dump({"kernel": kernel["deb"], "host": host, "reps": a.reps, "results": results, "summary": summary},
              open(a.json, "w"), indent=1)
    print("raw results: " + a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
