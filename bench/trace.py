#!/usr/bin/env python3
"""Where a virtio-mem plug's time goes: ftrace in the bench guest.

Boots the bench guest (bench.py's layout) in one mode, kernel (in-kernel auto-online) or
memhotd, turns on the function_graph tracer for the few kernel functions on the plug's path
and the memhotd process's system calls, plugs SIZE GiB and prints a per-block timeline
summary (and keeps the raw trace):

  add     virtio-mem's worker: add_memory_driver_managed() (one 128 MiB block each)
  state   a sysfs `state` store (memhotd's write); restarted when it loses the trylock of
          device_hotplug_lock (lock_device_hotplug_sysfs: msleep(5), restart_syscall)
  online  online_pages()

    bench/trace.py [--mode kernel|memhotd|delegate|floor|floor-hold] [--size 16]
                   [--memhotd build/memhotd] [--floor-writer build/bench/floor-writer]
                   [--args '-q'] [--out tests/vm/out/trace-MODE.txt]
"""

import argparse
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "vm"))
import vmlib as V  # noqa: E402
import bench as B  # noqa: E402

FUNCS = ["add_memory_driver_managed", "online_pages", "state_store",
         "lock_device_hotplug_sysfs", "msleep", "virtio_mem_run_wq"]
SYSCALLS = ["write", "read", "recvmsg", "epoll_wait", "epoll_pwait", "openat",
            "newfstatat", "timerfd_settime", "getdents64", "recvfrom", "ppoll", "close"]

SETUP = r"""
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
T=/sys/kernel/tracing
echo 0 > $T/tracing_on
echo 8192 > $T/buffer_size_kb
echo mono > $T/trace_clock
: > $T/set_ftrace_filter
for f in %(funcs)s; do echo $f >> $T/set_ftrace_filter 2>/dev/null || echo "no $f"; done
echo function_graph > $T/current_tracer
echo 1 > $T/options/funcgraph-abstime
echo 1 > $T/options/funcgraph-proc
echo 1 > $T/options/funcgraph-tail
echo 0 > $T/options/funcgraph-irqs
%(events)s
: > $T/trace
echo 1 > $T/tracing_on
"""


def parse(text):
    """function_graph lines -> intervals [(start, end, proc, func)] (a leaf line's time is
    its entry, a closing brace's its exit) and syscall events [(t, proc, text)]."""
    iv, sc = [], []
    fg = re.compile(r"^\s*(\d+\.\d+)\s*\|\s*(\d+)\)\s*(\S+)\s*\|\s*"
                    r"(?:[!#*@$+]?\s*([\d.]+) us\s*)?\|\s*(.*)$")
    for line in text.splitlines():
        m = fg.match(line)
        if not m:
            continue
        t, _cpu, proc, dur, rest = m.groups()
        t, rest = float(t), rest.strip()
        if rest.startswith("/* sys_"):
            sc.append((t, proc, rest[3:-3]))
        elif rest.startswith("}") and dur:
            name = rest.split("/*")[1].split("*/")[0].strip() if "/*" in rest else "?"
            iv.append((t - float(dur) / 1e6, t, proc, name))
        elif rest.endswith(";") and dur:
            iv.append((t, t + float(dur) / 1e6, proc, rest.split("(")[0]))
    return iv, sc


def union(ivs):
    out = []
    for a, b in sorted(ivs):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def overlap(a, b, ivs):
    return sum(max(0.0, min(b, y) - max(a, x)) for x, y in ivs)


def summarize(parsed, mode, who="memhotd"):
    """Prints the figures BENCHMARKS.md quotes; returns them as a dict."""
    iv, sc = parsed
    by = {}
    for e in iv:
        by.setdefault(e[3], []).append(e)
    adds = by.get("add_memory_driver_managed", [])
    onl = by.get("online_pages", [])
    sleeps = by.get("msleep", [])
    stores = by.get("state_store", [])
    if not adds:
        print("no adds traced")
        return {}
    # a store that slept did not get the lock: it is a collision, not lock-held work
    slept = [s for s in stores if any(s[0] <= m[0] <= s[1] for m in sleeps)]
    held = [s for s in stores if s not in slept]
    t0 = min(e[0] for e in adds)
    t1 = max(e[1] for e in adds + onl)
    busy = union([(a, b) for a, b, _, _ in adds + held])
    work = sum(b - a for a, b in busy)
    gaps = [(busy[i][1], busy[i + 1][0]) for i in range(len(busy) - 1)]
    sl = union([(a, b) for a, b, _, _ in sleeps])
    idle_sleep = sum(overlap(a, b, sl) for a, b in gaps)
    idle = sum(b - a for a, b in gaps)
    out = dict(mode=mode, adds=len(adds), onlines=len(onl), span_s=t1 - t0,
               add_ms_median=statistics.median((b - a) * 1e3 for a, b, _, _ in adds),
               online_ms_median=statistics.median((b - a) * 1e3 for a, b, _, _ in onl) if onl else 0,
               online_s_total=sum(b - a for a, b, _, _ in onl),
               lock_work_s=work, idle_s=idle, idle_in_msleep_s=idle_sleep,
               collisions=len(slept), msleeps=len(sleeps),
               msleep_ms_median=statistics.median((b - a) * 1e3 for a, b, _, _ in sleeps) if sleeps else 0)
    print("%(mode)s: %(adds)d adds (median %(add_ms_median).1f ms), %(onlines)d onlines "
          "(median %(online_ms_median).1f ms, total %(online_s_total).2f s); first add to last "
          "online %(span_s).2f s" % out)
    print("  device_hotplug_lock held (adds + state stores that got it) %(lock_work_s).2f s, idle "
          "%(idle_s).2f s of which %(idle_in_msleep_s).2f s while a writer sleeps in "
          "lock_device_hotplug_sysfs; %(collisions)d stores lost the trylock (msleep median "
          "%(msleep_ms_median).1f ms)" % out)
    if sc:
        # funcgraph-proc prints comm-pid, the comm cut to 7 characters
        mine = [e for e in sc if who[:7] in e[1] and "->" not in e[2]]
        counts = {}
        for e in mine:
            n = e[2].split("(")[0]
            counts[n] = counts.get(n, 0) + 1
        out["memhotd_syscalls"] = counts
        print("  %s system calls: %d (%s)" % (who, len(mine), ", ".join(
            "%s %d" % kv for kv in sorted(counts.items(), key=lambda kv: -kv[1]))))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", default="memhotd",
                    choices=["kernel", "memhotd", "delegate"] + list(B.FLOOR_ARGS))
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--memhotd", default=os.path.join(V.REPO, "build", "memhotd"))
    ap.add_argument("--memhotctl", default=os.path.join(V.REPO, "build", "memhotctl"))
    ap.add_argument("--floor-writer", default=os.path.join(V.REPO, "build", "bench", "floor-writer"))
    ap.add_argument("--args", default="", help="extra memhotd arguments (e.g. -q)")
    ap.add_argument("--no-syscalls", action="store_true")
    ap.add_argument("--funcs", default="", help="more kernel functions to trace (comma-separated)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--parse", default=None, help="only summarize an existing trace file")
    a = ap.parse_args()
    who = "floor-writer" if a.mode in B.FLOOR_ARGS else "memhotd"
    if a.parse:
        summarize(parse(open(a.parse).read()), a.mode, who)
        return 0
    V.preflight()
    kernel = V.get_kernel()
    files = {"/usr/sbin/memhotd": a.memhotd, "/usr/bin/memhotctl": a.memhotctl}
    if os.access(a.floor_writer, os.X_OK):
        files["/usr/sbin/floor-writer"] = open(a.floor_writer, "rb").read()
    initrd = V.build_initramfs(kernel, os.path.join(V.CACHE, "initrd-trace.cpio"), files)
    size = a.size * V.GIB
    vm = V.VM("trace-%s-%dg" % (a.mode, a.size), kernel, initrd,
              vmems=[dict(id="vmem0", node=0, size=max(size, 32 * V.GIB))],
              cmdline=B.cmdline_of(a.mode), timeout=600,
              maxmem=max(64 * V.GIB, 12 * V.GIB + size))
    with vm:
        pid = None
        if a.mode in B.FLOOR_ARGS:
            B.start_floor(vm, a.mode)
            pid = vm.sh("cat /run/memhotd.pid").strip()
        elif a.mode != "kernel":
            B.start_daemon(vm, a.mode, a.args)
            pid = vm.sh("cat /run/memhotd.pid").strip()
        events = ""
        if pid and not a.no_syscalls:
            events = "echo %s > $T/set_event_pid\n" % pid
            events += "".join("echo 1 > $T/events/syscalls/sys_enter_%s/enable 2>/dev/null\n"
                              "echo 1 > $T/events/syscalls/sys_exit_%s/enable 2>/dev/null\n"
                              % (s, s) for s in SYSCALLS)
        funcs = FUNCS + [f for f in a.funcs.split(",") if f]
        print(vm.sh(SETUP % {"funcs": " ".join(funcs), "events": events}), end="")
        secs = B.plug_time(vm, size)
        vm.sh("echo 0 > /sys/kernel/tracing/tracing_on")
        text = vm.sh("cat /sys/kernel/tracing/trace", timeout=600)
    out = a.out or os.path.join(V.OUT, "trace-%s-%dg.txt" % (a.mode, a.size))
    open(out, "w").write(text)
    print("%s %d GiB: %.2f s plug-to-online (traced); raw trace %s" % (a.mode, a.size, secs, out))
    summarize(parse(text), a.mode, who)
    return 0


if __name__ == "__main__":
    sys.exit(main())
