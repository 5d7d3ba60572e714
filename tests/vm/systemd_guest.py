#!/usr/bin/env python3
"""memhotd end-to-end in a systemd-booted Debian 12 guest, installed from its .deb.

  1. builds the Debian package from a copy of this tree (dpkg-buildpackage -us -uc -b in
     tests/vm/cache/deb/), or takes MEMHOTD_E2E_DEB / --deb;
  2. builds (or takes from tests/vm/cache/, keyed by the .deb's hash, the package list and
     mkroot.sh) a bookworm root with mmdebstrap, the package installed into it by apt
     (tests/vm/mkroot.sh), packed as a cpio;
  3. appends a small second cpio: the guest kernel's virtio modules (depmod'ed, loaded by
     systemd-modules-load), the test agent as a systemd service on ttyS1, memdump;
  4. boots it with rdinit=/sbin/init memhp_default_state=offline (systemd as PID 1, memhotd
     started by its own unit as shipped), runs the checks, then boots the same image with the
     kernel's auto-movable policy and memhotd.service masked, replays the same hotplug steps
     and compares every block's state and zone.

Every check prints PASS or FAIL; the exit status is 1 if any failed.  Missing tools, no
debian/ directory or an image that cannot be built are errors, never skips.

    tests/vm/systemd_guest.py [--deb PATH] [--quiesce-timeout S] [--no-hold]
    tests/vm/systemd_guest.py --plug-bench [--runs N] [--size GiB[,GiB...]]
                              [--modes kernel,memhotd,udev,floor,memhotd@NAME]
                              [--floor-writer PATH] [--variant NAME=PATH]
    tests/vm/systemd_guest.py --plug-profile memhotd|floor [--size GiB]
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vmlib as V  # noqa: E402

G = V.GIB
# Debian packages in the root besides minbase (memhotd's own dependencies come from
# its .deb).  Part of the image's cache key.
PACKAGES = "systemd,systemd-sysv,udev,dbus,kmod,procps"
IMAGE_KEEP = 2  # cached images kept (newest first)

AGENT_UNIT = """[Unit]
Description=memhotd end-to-end test agent on ttyS1 (test image only)
DefaultDependencies=no
After=systemd-remount-fs.service

[Service]
ExecStart=/usr/local/sbin/e2e-agent
Restart=always
StandardOutput=journal

[Install]
WantedBy=sysinit.target
"""

# modules.dep for the modules the overlay brings, made by the image's own depmod
# before anything loads a module (the host needs no kmod).
DEPMOD_UNIT = """[Unit]
Description=depmod for the test kernel's modules (test image only)
DefaultDependencies=no
Before=systemd-modules-load.service systemd-udevd.service systemd-udev-trigger.service
Before=kmod-static-nodes.service sysinit.target
ConditionPathExists=!/usr/lib/modules/%v/modules.dep

[Service]
Type=oneshot
ExecStart=/sbin/depmod -a

[Install]
WantedBy=sysinit.target
"""

# vmlib's agent protocol, for dash and a systemd service.
AGENT = r"""#!/bin/sh
stty -F /dev/ttyS1 raw -echo
exec 3<>/dev/ttyS1
mkdir -p /run/e2e-agent
echo "@@READY" >&3
while IFS=' ' read -r seq b64 <&3; do
	[ -n "$seq" ] || continue
	echo "$b64" | base64 -d > /run/e2e-agent/cmd.sh 2>/dev/null
	sh /run/e2e-agent/cmd.sh > /run/e2e-agent/cmd.out 2>&1 </dev/null
	rc=$?
	{ echo "@@BEGIN $seq"; cat /run/e2e-agent/cmd.out; echo "@@END $seq $rc"; } >&3
done
"""


def log(*a):
    print("[e2e]", *a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Package and image
# --------------------------------------------------------------------------

def tree_files():
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=V.REPO, stdout=subprocess.PIPE, check=True).stdout
    return [f for f in out.decode().split("\0") if f and os.path.lexists(os.path.join(V.REPO, f))]


def build_deb():
    """dpkg-buildpackage -us -uc -b on a copy of the tree; returns the memhotd .deb."""
    if not os.path.isdir(os.path.join(V.REPO, "debian")):
        raise V.VMError("no debian/ directory in %s: the package (branch pkg) is missing, "
                        "cannot build the .deb this test installs" % V.REPO)
    for t in ("dpkg-buildpackage", "dh"):
        if not shutil.which(t):
            raise V.VMError("%s missing (apt-get install dpkg-dev debhelper fakeroot)" % t)
    top = os.path.join(V.CACHE, "deb")
    src = os.path.join(top, "src")
    shutil.rmtree(top, ignore_errors=True)
    os.makedirs(src)
    files = tree_files()
    subprocess.run(["tar", "-C", V.REPO, "--null", "-T", "-", "-cf", "-"],
                   input="\0".join(files).encode(), stdout=open(os.path.join(top, "src.tar"), "wb"),
                   check=True)
    subprocess.run(["tar", "-C", src, "-xf", os.path.join(top, "src.tar")], check=True)
    os.unlink(os.path.join(top, "src.tar"))
    t0 = time.monotonic()
    logf = os.path.join(top, "build.log")
    # nocheck: debian/rules would run the unit tests and the configuration
    # examples again; make check runs both itself (MEMHOTD_E2E_DEB_OPTIONS overrides).
    env = dict(os.environ, DEB_BUILD_OPTIONS=os.environ.get("MEMHOTD_E2E_DEB_OPTIONS", "nocheck"))
    with open(logf, "w") as f:
        p = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env,
                           stdout=f, stderr=subprocess.STDOUT)
    if p.returncode:
        tail = "\n".join(open(logf, errors="replace").read().splitlines()[-30:])
        raise V.VMError("dpkg-buildpackage failed (rc %d), %s:\n%s" % (p.returncode, logf, tail))
    debs = [d for d in os.listdir(top) if re.match(r"memhotd_.*_amd64\.deb$", d)]
    if len(debs) != 1:
        raise V.VMError("dpkg-buildpackage produced %s in %s, expected one memhotd_*_amd64.deb"
                        % (sorted(os.listdir(top)), top))
    log("built %s in %.0fs" % (debs[0], time.monotonic() - t0))
    return os.path.join(top, debs[0])


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def get_image(deb):
    """The root cpio for this .deb, built with mkroot.sh unless cached."""
    mkroot = os.path.join(HERE, "mkroot.sh")
    key = hashlib.sha256(("%s\n%s\n%s" % (sha256(deb), PACKAGES, sha256(mkroot))).encode()).hexdigest()[:16]
    img = os.path.join(V.CACHE, "systemd-root-%s.cpio" % key)
    if os.path.exists(img):
        log("image %s (cached)" % os.path.basename(img))
        return img, None
    for t in ("mmdebstrap", "cpio"):
        if not shutil.which(t):
            raise V.VMError("%s missing (apt-get install mmdebstrap cpio)" % t)
    t0 = time.monotonic()
    log("building image %s with mmdebstrap (%s + %s)" % (os.path.basename(img), PACKAGES,
                                                           os.path.basename(deb)))
    p = subprocess.run([mkroot, img, deb, PACKAGES])
    if p.returncode or not os.path.exists(img):
        raise V.VMError("mkroot.sh failed (rc %d); see its output above" % p.returncode)
    took = time.monotonic() - t0
    log("image built in %.0fs" % took)
    olds = sorted((f for f in os.listdir(V.CACHE) if re.match(r"systemd-root-.*\.cpio$", f)),
                  key=lambda f: os.path.getmtime(os.path.join(V.CACHE, f)), reverse=True)
    for f in olds[IMAGE_KEEP:]:
        os.unlink(os.path.join(V.CACHE, f))
    return img, took


def build_overlay(kernel, dest, floor_writer=None, variants=None):
    """Second cpio: modules for this kernel (depmod'ed at boot), the agent and memdump
    (and for the plug benchmark's floor mode bench/floor-writer, static; its memhotd@NAME
    modes' binaries as /usr/local/sbin/memhotd-NAME)."""
    stage = dest + ".d"
    shutil.rmtree(stage, ignore_errors=True)
    ver = kernel["version"]
    # Canonical (merged-/usr) paths only: a cpio directory entry where the image
    # has a symlink (/lib -> usr/lib) would replace the symlink.
    moddir = os.path.join(stage, "usr/lib/modules", ver)
    os.makedirs(os.path.join(moddir, "kernel/e2e"))
    for name, path in kernel["modules"].items():
        shutil.copyfile(path, os.path.join(moddir, "kernel/e2e", name + ".ko"))

    def put(path, text, mode=0o644):
        p = os.path.join(stage, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, "w").write(text)
        os.chmod(p, mode)
    put("etc/modules-load.d/e2e-virtio.conf", "virtio_pci\nvirtio_mem\n")
    put("etc/systemd/system/e2e-depmod.service", DEPMOD_UNIT)
    put("usr/local/sbin/e2e-agent", AGENT, 0o755)
    put("usr/local/bin/memdump", V.MEMDUMP, 0o755)
    put("etc/systemd/system/e2e-agent.service", AGENT_UNIT)
    if floor_writer:
        shutil.copyfile(floor_writer, os.path.join(stage, "usr/local/sbin/floor-writer"))
        os.chmod(os.path.join(stage, "usr/local/sbin/floor-writer"), 0o755)
    for name, path in (variants or {}).items():
        dst = os.path.join(stage, "usr/local/sbin", "memhotd-" + name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(path, dst)
        os.chmod(dst, 0o755)
    os.makedirs(os.path.join(stage, "etc/systemd/system/sysinit.target.wants"), exist_ok=True)
    for u in ("e2e-agent.service", "e2e-depmod.service"):
        os.symlink("../" + u, os.path.join(stage, "etc/systemd/system/sysinit.target.wants", u))
    with open(dest, "wb") as f:
        files = subprocess.run("find . -mindepth 1 | LC_ALL=C sort", shell=True, cwd=stage,
                               stdout=subprocess.PIPE, check=True).stdout
        subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"], cwd=stage,
                       input=files, stdout=f, check=True)
    shutil.rmtree(stage, ignore_errors=True)


def make_initrd(image, kernel, floor_writer=None, variants=None):
    """image + overlay, concatenated (the kernel unpacks both, in order)."""
    os.makedirs(V.OUT, exist_ok=True)
    ov = os.path.join(V.OUT, "systemd-overlay.cpio")
    build_overlay(kernel, ov, floor_writer, variants)
    dest = os.path.join(V.OUT, "systemd-initrd.cpio")
    with open(dest + ".tmp", "wb") as out:
        for part in (image, ov):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 22)
    os.rename(dest + ".tmp", dest)
    return dest


# --------------------------------------------------------------------------
# Guest helpers
# --------------------------------------------------------------------------

MEMHOTD_CMDLINE = "rdinit=/sbin/init memhp_default_state=offline systemd.firstboot=off"


def kernel_cmdline(ratio, numa_aware):
    return ("rdinit=/sbin/init systemd.firstboot=off systemd.mask=memhotd.service "
            "memhp_default_state=online memory_hotplug.online_policy=auto-movable "
            "memory_hotplug.auto_movable_ratio=%d memory_hotplug.auto_movable_numa_aware=%d"
            % (ratio, 1 if numa_aware else 0))


class GuestVM(V.VM):
    """vmlib's VM; a command that times out is named in the error."""

    def sh(self, script, timeout=120, check=True):
        t0 = time.monotonic()
        try:
            return super().sh(script, timeout=timeout, check=check)
        except V.VMError as e:
            if "did not answer" in str(e) or "timed out" in str(e):
                raise V.VMError("%s: no answer after %.0fs to: %s\n%s"
                                % (self.name, time.monotonic() - t0, script.strip()[:300], e))
            raise


def boot(name, kernel, initrd, cmdline, boot_mem=2 * G, vmem_size=32 * G):
    vm = GuestVM(name, kernel, initrd, nodes=1, boot_mem=boot_mem,
              vmems=[dict(id="vmem0", node=0, size=vmem_size, requested=0)],
              cmdline=cmdline, maxmem=max(64 * G, boot_mem + vmem_size + 8 * G))
    vm.start(ready_timeout=180)
    try:
        st = vm.sh("systemctl is-system-running --wait; true", timeout=300).strip()
    except BaseException:
        vm.stop()
        raise
    log("%s: system %s after %.1fs" % (name, st, time.monotonic() - vm.t_start))
    return vm, st


def rc_of(vm, script, timeout=120):
    """(rc, output) of a guest script."""
    out = vm.sh("( %s ) 2>&1; echo \"@@RC=$?\"" % script, timeout=timeout)
    m = re.search(r"@@RC=(\d+)\s*$", out)
    return int(m.group(1)), out[:m.start()]


def status_json(vm):
    rc, out = rc_of(vm, "memhotctl --json status")
    if rc:
        return None
    try:
        return json.loads(out)
    except ValueError:
        return None


def find_key(o, key):
    """First value of key anywhere in a JSON document."""
    if isinstance(o, dict):
        if key in o:
            return o[key]
        o = list(o.values())
    if isinstance(o, list):
        for v in o:
            r = find_key(v, key)
            if r is not None:
                return r
    return None


def snapshot(vm):
    return {b: (s[0], s[2]) for b, s in vm.blocks().items()}


class Checks:
    def __init__(self):
        self.results = []

    def check(self, name, ok, detail=""):
        self.results.append((name, bool(ok), detail))
        print("%s: %s%s" % ("PASS" if ok else "FAIL", name, (" — " + detail) if detail else ""),
              flush=True)
        return ok


def diff_layout(a, b):
    bad = []
    for blk in sorted(set(a) | set(b)):
        if a.get(blk) != b.get(blk):
            bad.append("memory%d memhotd=%s kernel=%s" % (blk, a.get(blk), b.get(blk)))
    return bad


# The hotplug steps: (kind, device, size, what).  The memhotd run starts with
# BASE_STEPS and appends a step for every further plug it makes (a retried
# mid-plug attempt adds one); the kernel run replays exactly the steps the
# memhotd run made.  Boot memory 2 GiB: with ratio 301 about 6 GiB may be
# MOVABLE, so the DIMM and the later plugs exercise the kernel-zone side of the
# policy too.
BASE_STEPS = [("vmem", "vmem0", 4 * G, "a virtio-mem plug"),
              ("dimm", "dimm0", 4 * G, "a DIMM hot-add")]
RESTART_PLUG = 12 * G  # the plug that systemctl restart memhotd straddles
CRASH_PLUG = 16 * G    # the plug that kill -9 straddles (issue 9: 16 GiB)
RETRY_PLUG = 4 * G     # a fresh plug for another attempt
MID_ATTEMPTS = 3       # attempts to straddle a plug
# virtio-mem device size: every plug above, retries included
VMEM_MAX = 4 * G + RESTART_PLUG + CRASH_PLUG + 2 * (MID_ATTEMPTS - 1) * RETRY_PLUG


def do_step(vm, step):
    kind, dev, size = step[:3]
    if kind == "vmem":
        vm.set_vmem(dev, size)
    else:
        vm.add_dimm(dev, size)


# A watcher, started in the guest before a plug: it polls the blocks' states and,
# as soon as it sees the plug under way (a block of it online, another still
# offline), runs the action at once: "restart" (systemctl restart memhotd) or
# "kill" (kill -9 of memhotd's main process).  Deciding in the guest, at a point
# it observes, does not depend on when the host's commands reach the guest.  It
# runs at nice -15 so memhotd (Nice=-10) and the plug do not starve it.
#
# hold=1 (restart only): SIGSTOP memhotd first, then systemctl restart (systemd
# sends SIGTERM and then SIGCONT).  Without it, whether the restart lands inside
# the plug depends on how late PID 1 runs the job: issued 0.3 s before the
# resize at host load 3 it ran 7.4 s later, after the old instance had onlined
# all 96 blocks (in CI once 9 s late); issued at the observed point with
# --no-hold at load 15 it did land inside (50 / 46 blocks), the plug itself
# taking 53 s.  Held, memhotd onlines nothing more, virtio-mem stops adding once
# about 1 GiB is offline, and the plug cannot end before the new instance
# onlines what arrived meanwhile, however late PID 1 is.
# key=value lines in /run/e2e-mid.log; /run/e2e-mid.stop ends it unfired.
MID_PLUG = r"""
rm -f /run/e2e-mid.log /run/e2e-mid.stop
cat > /run/e2e-mid.sh <<'EOF'
on0=$1 pid=$2 action=$3 hold=$4
log=/run/e2e-mid.log
up() { cut -d' ' -f1 /proc/uptime; }
counts() {
	st=$(cat /sys/devices/system/memory/memory*/state 2>/dev/null)
	on=$(printf '%s\n' "$st" | grep -c '^online')
	off=$(printf '%s\n' "$st" | grep -c '^offline')
}
comm=$(cat /proc/$pid/comm 2>/dev/null)
echo "armed=1 t_armed=$(up) comm=$comm" >> $log
while :; do
	counts
	[ "$on" -gt "$on0" ] && [ "$off" -gt 0 ] && break
	if [ -e /run/e2e-mid.stop ]; then
		echo "fired=0 at_online=$((on - on0)) at_offline=$off" >> $log
		echo done=1 >> $log
		exit 0
	fi
	sleep 0.05
done
# act first, log after: nothing between the observation and the signal
case $action in
kill) kill -9 "$pid"; rc=$? ;;
restart) [ "$hold" = 1 ] && kill -STOP "$pid" && held=1 ;;
esac
echo "fired=1 at_online=$((on - on0)) at_offline=$off t_fire=$(up)${held:+ held=1}" >> $log
case $action in
kill)
	echo "action_rc=$rc" >> $log ;;
restart)
	timeout 200 systemctl restart memhotd; echo "action_rc=$?" >> $log
	kill -CONT "$pid" 2>/dev/null ;;
esac
counts
echo "after_online=$((on - on0)) after_offline=$off t_after=$(up)" >> $log
echo done=1 >> $log
EOF
setsid nice -n -15 sh /run/e2e-mid.sh __ON0__ __PID__ __ACTION__ __HOLD__ </dev/null >/dev/null 2>&1 &
"""


def kv(text):
    return dict(w.split("=", 1) for w in text.split() if "=" in w)


def main_pid(vm):
    return int(vm.sh("systemctl show -p MainPID --value memhotd").strip() or 0)


def n_restarts(vm):
    """Automatic restarts of memhotd.service by systemd (Restart=) this boot."""
    return int(vm.sh("systemctl show -p NRestarts --value memhotd").strip() or 0)


def online_count(vm):
    return int(vm.sh("cat /sys/devices/system/memory/memory*/state | grep -c '^online'; true")
               .split()[0])


def onlined_by(vm, ids):
    """{onlined_by: count} over the given blocks, from memhotctl --json blocks: after a
    restart, blocks online when the running instance started are "unknown" and those it
    onlined itself "memhotd"."""
    rc, out = rc_of(vm, "memhotctl --json blocks", timeout=60)
    if rc:
        return {"memhotctl-rc-%d" % rc: len(ids)}
    res = {}
    for b in json.loads(out).get("memory", []):
        if b.get("block") in ids:
            k = str(b.get("onlined_by"))
            res[k] = res.get(k, 0) + 1
    return res


def mid_plug(vm, args, steps, layouts, step, action):
    """Makes the plug `step` with the watcher armed for `action`; returns what happened.
    Appends the step and its layout (after quiescence) to steps and layouts."""
    old = main_pid(vm)
    nrest = n_restarts(vm)
    before = set(vm.blocks())
    vm.sh(MID_PLUG.replace("__ON0__", str(online_count(vm))).replace("__PID__", str(old))
          .replace("__ACTION__", action).replace("__HOLD__", "1" if args.hold else "0"))
    end = time.monotonic() + 60
    while "armed" not in kv(vm.sh("cat /run/e2e-mid.log 2>/dev/null; true")):
        if time.monotonic() > end:
            raise V.VMError("%s: the mid-plug watcher did not start" % vm.name)
        time.sleep(0.2)
    t0 = time.monotonic()
    do_step(vm, step)
    steps.append(step)
    info, stopped = {}, False
    end = time.monotonic() + 300
    while True:
        info = kv(vm.sh("cat /run/e2e-mid.log 2>/dev/null; true", timeout=60))
        if "done" in info:
            break
        if time.monotonic() > end:
            raise V.VMError("%s: mid-plug watcher (%s) did not finish: %s" % (vm.name, action, info))
        # The plug ended without the watcher seeing it under way: end the watcher.
        if "fired" not in info and not stopped and not vm.vmem_pending() \
                and vm.offline_count() == 0:
            vm.sh("touch /run/e2e-mid.stop")
            stopped = True
        time.sleep(0.3)
    vm.wait_quiescent(timeout=args.quiesce_timeout)
    info["plug_s"] = "%.1f" % (time.monotonic() - t0)
    new = main_pid(vm)
    plug = set(vm.blocks()) - before
    by = onlined_by(vm, plug)
    info.update(old=old, new=new, restarts=n_restarts(vm) - nrest, blocks=len(plug),
                by_old=by.get("unknown", 0), by_new=by.get("memhotd", 0), by=by,
                offline=vm.offline_count(),
                active=vm.sh("systemctl is-active memhotd; true").strip())
    # In the middle: the instance that ran when the plug began onlined some of its
    # blocks, and the one running now found others still offline and onlined them.
    info["straddled"] = info.get("fired") == "1" and info["by_old"] > 0 and info["by_new"] > 0
    layouts.append(snapshot(vm))
    return info


def straddle(vm, args, steps, layouts, first, action, what):
    """mid_plug() until an attempt straddles a plug (MID_ATTEMPTS at most, each
    retry a fresh plug of RETRY_PLUG); returns the attempts' infos, the last one last."""
    tries = []
    size = vmem_size(vm, "vmem0") + first
    while True:
        label = what if not tries else "%s (attempt %d)" % (what, len(tries) + 1)
        info = mid_plug(vm, args, steps, layouts, ("vmem", "vmem0", size, label), action)
        tries.append(info)
        log("%s: attempt %d: %s" % (what, len(tries), info))
        if info["straddled"] or len(tries) == MID_ATTEMPTS:
            return tries
        size += RETRY_PLUG


def describe_try(info):
    return ("fired once it counted %s blocks of the plug online and %s offline%s, %s of its %s blocks "
            "onlined by the old instance (pid %s) and %s by the new one (pid %s), plug %ss"
            % (info.get("at_online"), info.get("at_offline"),
               " (memhotd held with SIGSTOP)" if info.get("held") else "",
               info["by_old"], info["blocks"], info["old"], info["by_new"], info["new"],
               info["plug_s"]))


def restart_check(vm, ck, args, steps, layouts):
    """systemctl restart memhotd, issued in the guest once the plug is seen under way;
    retried with a fresh plug until it straddles one."""
    tries = straddle(vm, args, steps, layouts, RESTART_PLUG, "restart",
                     "a virtio-mem plug with systemctl restart memhotd in the middle")
    t = tries[-1]
    took = "%.1f" % (float(t["t_after"]) - float(t["t_fire"])) if "t_after" in t else "?"
    ck.check("systemctl restart memhotd in the middle of a plug leaves no block offline",
             t["straddled"] and t.get("action_rc") == "0" and t["new"] not in (0, t["old"])
             and t["active"] == "active" and all(x["offline"] == 0 for x in tries),
             "attempt %d of %d: %s; restart rc %s (%s s from the issue to its end); offline "
             "afterwards %d, unit %s%s"
             % (len(tries), MID_ATTEMPTS, describe_try(t), t.get("action_rc"), took,
                t["offline"], t["active"],
                "".join("; attempt %d did not straddle: %s" % (i + 1, describe_try(x))
                        for i, x in enumerate(tries[:-1]))))


def crash_check(vm, ck, args, steps, layouts, boot_blocks):
    """kill -9 of memhotd once a 16 GiB plug is seen under way; systemd restarts it."""
    tries = straddle(vm, args, steps, layouts, CRASH_PLUG, "kill",
                     "a 16 GiB virtio-mem plug with memhotd killed (kill -9) in the middle")
    t = tries[-1]
    ck.check("kill -9 memhotd in the middle of a 16 GiB plug: systemd restarts it "
             "(Restart=on-failure), no block left offline",
             t["straddled"] and t.get("action_rc") == "0" and t.get("comm") == "memhotd"
             and t["restarts"] == 1 and t["new"] not in (0, t["old"])
             and t["active"] == "active" and all(x["offline"] == 0 for x in tries),
             "attempt %d of %d: %s; kill rc %s (%s), automatic restarts %d, offline "
             "afterwards %d, unit %s"
             % (len(tries), MID_ATTEMPTS, describe_try(t), t.get("action_rc"), t.get("comm"),
                t["restarts"], t["offline"], t["active"]))
    classification_check(vm, ck, boot_blocks, "after the kill -9 and restart")


def udev_tag_check(vm, ck, boot_blocks):
    """80-memhotd.rules tags no block while memhotd runs: each tag would make PID 1
    create a device unit and queue a start job for it (BENCHMARKS.md)."""
    hot = sorted(set(vm.blocks()) - set(boot_blocks))
    out = vm.sh("for b in %s; do udevadm info -q property -p /devices/system/memory/memory$b "
                "| grep -q '^TAGS=.*:systemd:' && echo $b; done; true"
                % " ".join(str(b) for b in hot))
    tagged = out.split()
    ck.check("udev rule: no hot-added block tagged for systemd while memhotd runs",
             hot and not tagged, "%d hot-added blocks, tagged: %s" % (len(hot), tagged[:5]))


def on_demand_check(vm, ck):
    """With memhotd stopped, the udev rule starts it for a new offline block."""
    vm.sh("systemctl stop memhotd")
    gone = vm.sh("test -e /run/memhotd/control && echo present || echo gone").strip()
    do_step(vm, ("dimm", "dimm-ondemand", 2 * G))
    act, off = "", -1
    for _ in range(300):
        act = vm.sh("systemctl is-active memhotd; true").strip()
        off = vm.offline_count()
        if act == "active" and off == 0:
            break
        time.sleep(0.3)
    ck.check("memhotd stopped: a hot-added DIMM starts it through the udev rule and is onlined",
             gone == "gone" and act == "active" and off == 0,
             "control socket after stop: %s; unit %s, %d blocks offline" % (gone, act, off))


def parse_ranges(text):
    ids = set()
    for tok in re.split(r"[\s,]+", text.strip()):
        if tok:
            a, _, b = tok.partition("-")
            ids.update(range(int(a), int(b or a) + 1))
    return ids


def classification_check(vm, ck, boot_blocks, when):
    """/run/memhotd/classification: this boot's boot_id, then exactly the hot-added
    blocks (every block that was not there at boot); no temp file left behind.
    memhotd saves it up to about a second after the blocks settle: polled."""
    end = time.monotonic() + 15
    while True:
        out = vm.sh("cat /proc/sys/kernel/random/boot_id; echo @@; "
                    "cat /run/memhotd/classification; echo @@; ls -A /run/memhotd; true")
        bid, cls, files = (out.split("@@\n") + ["", ""])[:3]
        lines = cls.split("\n", 1)
        hot = sorted(set(vm.blocks()) - boot_blocks)
        try:
            got = sorted(parse_ranges(lines[1] if len(lines) > 1 else ""))
        except ValueError:
            got = None
        tmp = [f for f in files.split() if f.endswith(".tmp")]
        same_boot = lines[0].strip() == bid.strip()
        ok = same_boot and got == hot and not tmp
        if ok or time.monotonic() > end:
            break
        time.sleep(1)
    missing = sorted(set(hot) - set(got or []))
    extra = sorted(set(got or []) - set(hot))
    ck.check("classification file %s: this boot's, exactly the hot-added blocks" % when, ok,
             "%d hot-added blocks, the file lists %s; missing %s, extra %s, boot_id %s, "
             "temp files %s"
             % (len(hot), len(got) if got is not None else "garbage", missing[:10], extra[:10],
                "ok" if same_boot else "wrong (%r)" % lines[0][:40], tmp))


def vmem_size(vm, dev):
    for d in vm.memory_devices():
        if d["type"] == "virtio-mem" and d["data"]["id"] == dev:
            return d["data"]["size"]
    raise V.VMError("%s: no virtio-mem device %s" % (vm.name, dev))


# doc/journal.md: the MESSAGE_ID of memhotd's "decision" events.
JOURNAL_DECISION_ID = "408c86379c3b400db918dc7eb3ba3eba"


def check_journal_fields(vm, ck):
    """Under systemd each decision is a native journal entry with its MESSAGE_ID and the
    MEMHOTD_* fields (doc/journal.md); at least one names a virtio-mem device."""
    out = vm.sh("journalctl -b -u memhotd -o json --no-pager MESSAGE_ID=%s | tail -n 400; true"
                % JOURNAL_DECISION_ID, timeout=60)
    entries = []
    for line in out.splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            pass
    good = [e for e in entries
            if str(e.get("MEMHOTD_BLOCK", "")).isdigit()
            and e.get("MEMHOTD_EVENT") == "decision"
            and e.get("MEMHOTD_ZONE") in ("Movable", "Normal", "DMA32", "DMA")
            and e.get("MEMHOTD_REASON") and str(e.get("MEMHOTD_NODE", "")).isdigit()
            and re.match(r"memory%s: online_(movable|kernel) \(" % e.get("MEMHOTD_BLOCK"),
                         str(e.get("MESSAGE", "")))]
    virtio = [e for e in good if str(e.get("MEMHOTD_DEVICE", "")).startswith("virtio")]
    ck.check("journal: each decision has MESSAGE_ID and MEMHOTD_BLOCK/ZONE/NODE/REASON fields",
             entries and len(good) == len(entries) and virtio,
             "%d decision entries, %d complete, %d of a virtio-mem device; first: %s"
             % (len(entries), len(good), len(virtio),
                json.dumps({k: v for k, v in (entries[0] if entries else {}).items()
                            if k.startswith("MEMHOTD_") or k in ("MESSAGE", "MESSAGE_ID")})))


def memhotd_run(kernel, initrd, ck, args):
    """Boots with memhotd as shipped; returns (steps made, layouts per step, policy) for
    the kernel run."""
    vm, st = boot("systemd-memhotd", kernel, initrd, MEMHOTD_CMDLINE, vmem_size=VMEM_MAX)
    steps, layouts = [], []
    policy = None
    try:
        if True:
            # -- before any plug --
            act = vm.sh("systemctl is-active memhotd; true").strip()
            ena = vm.sh("systemctl is-enabled memhotd; true").strip()
            ck.check("memhotd.service active before any plug", act == "active",
                     "is-active=%s is-enabled=%s, system %s" % (act, ena, st))
            ck.check("memhotd.service enabled by the package", ena == "enabled", ena)
            s = status_json(vm)
            if s:
                policy = (find_key(s, "auto_movable_ratio"), find_key(s, "auto_movable_numa_aware"))
            rc, out = rc_of(vm, "systemd-analyze security --no-pager memhotd.service")
            m = re.search(r"Overall exposure level for memhotd\.service:\s*([0-9.]+)", out)
            exp = float(m.group(1)) if m else None
            open(os.path.join(vm.dir, "security.txt"), "w").write(out)
            ck.check("systemd-analyze security memhotd exposure <= 2.0",
                     exp is not None and exp <= 2.0,
                     "exposure %s (full table in %s/security.txt)" % (exp, vm.dir))

            # -- memhotctl access --
            rc, out = rc_of(vm, "memhotctl status")
            ck.check("memhotctl status as root", rc == 0 and out.strip(),
                     "rc %d: %s" % (rc, out.strip().splitlines()[0] if out.strip() else ""))
            grp = vm.sh("cat /usr/lib/sysusers.d/*.conf /lib/sysusers.d/*.conf 2>/dev/null | "
                        "awk '$1==\"g\" && $2 ~ /memhot/ {print $2; exit}'").strip()
            gid = vm.sh("getent group '%s' | cut -d: -f3" % grp).strip() if grp else ""
            if not gid:
                ck.check("memhotctl status as a member of the read-only group", False,
                         "the package creates no memhot* group in sysusers.d (found %r)" % grp)
            else:
                rc, out = rc_of(vm, "setpriv --reuid=65534 --regid=65534 --groups=%s memhotctl status"
                                % gid)
                ck.check("memhotctl status as a member of the read-only group %s" % grp,
                         rc == 0 and out.strip(), "rc %d: %s" % (rc, out.strip()[:200]))
            rc, out = rc_of(vm, "setpriv --reuid=65534 --regid=65534 --clear-groups memhotctl status")
            ck.check("memhotctl status refused for another user (nobody)",
                     rc != 0 and "permission denied" in out.lower(), "rc %d: %s" % (rc, out.strip()[:200]))

            # -- hotplug, as the kernel would --
            boot_blocks = set(vm.blocks())
            for step in BASE_STEPS:
                do_step(vm, step)
                steps.append(step)
                vm.wait_quiescent(timeout=args.quiesce_timeout)
                layouts.append(snapshot(vm))
            udev_tag_check(vm, ck, boot_blocks)
            restart_check(vm, ck, args, steps, layouts)
            crash_check(vm, ck, args, steps, layouts, boot_blocks)
            check_journal_fields(vm, ck)

            # -- reload --
            vm.sh("mkdir -p /etc/memhotd.conf.d && printf '[policy]\\nauto_movable_ratio = 250\\n' "
                  "> /etc/memhotd.conf.d/50-e2e.conf")
            rc1, out1 = rc_of(vm, "systemctl reload memhotd")
            r = None
            for _ in range(50):
                r = find_key(status_json(vm) or {}, "auto_movable_ratio")
                if r == 250:
                    break
                time.sleep(0.1)
            ck.check("systemctl reload memhotd with a valid drop-in applies it",
                     rc1 == 0 and r == 250, "reload rc %d, ratio now %s %s" % (rc1, r, out1.strip()))
            vm.sh("printf '[policy]\\nno_such_key = 1\\n' > /etc/memhotd.conf.d/60-e2e-broken.conf")
            rc2, out2 = rc_of(vm, "systemctl reload memhotd")
            time.sleep(1)
            r2 = find_key(status_json(vm) or {}, "auto_movable_ratio")
            act = vm.sh("systemctl is-active memhotd; true").strip()
            ck.check("systemctl reload memhotd with a broken drop-in fails",
                     rc2 != 0, "reload rc %d: %s" % (rc2, out2.strip()[:300]))
            ck.check("after the failed reload the old configuration stays in force",
                     r2 == 250 and act == "active", "ratio %s, unit %s" % (r2, act))
            vm.sh("rm -f /etc/memhotd.conf.d/50-e2e.conf /etc/memhotd.conf.d/60-e2e-broken.conf; "
                  "systemctl reload memhotd; true")

            # -- a second instance --
            rc, out = rc_of(vm, "timeout 15 /usr/sbin/memhotd", timeout=60)
            act = vm.sh("systemctl is-active memhotd; true").strip()
            rcs, _ = rc_of(vm, "memhotctl status")
            ck.check("a second memhotd instance refuses to start",
                     rc not in (0, 124) and act == "active" and rcs == 0,
                     "second instance rc %d (124: still running after 15 s), unit %s, "
                     "memhotctl status rc %d afterwards: %s" % (rc, act, rcs, out.strip()[-300:]))

            on_demand_check(vm, ck)

            # -- the system as a whole --
            out = vm.sh("systemctl --failed --no-legend --plain --no-pager; true").strip()
            ck.check("systemctl --failed is empty", out == "", out)
            j = vm.sh("journalctl -b -u memhotd --no-pager -o short-monotonic | tail -n 300; true",
                      timeout=60)
            open(os.path.join(vm.dir, "memhotd-journal.txt"), "w").write(j)
    finally:
        try:
            open(os.path.join(vm.dir, "memdump"), "w").write(vm.sh("memdump", check=False))
        except Exception:
            pass
        vm.stop()
    return steps, layouts, policy


def kernel_run(kernel, initrd, ratio, numa_aware, steps, args):
    vm, st = boot("systemd-kernel", kernel, initrd, kernel_cmdline(ratio, numa_aware),
                  vmem_size=VMEM_MAX)
    layouts = []
    try:
        for step in steps:
            do_step(vm, step)
            vm.wait_quiescent(timeout=args.quiesce_timeout)
            layouts.append(snapshot(vm))
    finally:
        vm.stop()
    return layouts


def describe(step):
    return "%s %s %d GiB" % (step[0], step[1], step[2] // G)


def run_checks(args):
    ck = Checks()
    t0 = time.monotonic()
    V.preflight()
    kernel = V.get_kernel()
    deb = args.deb or os.environ.get("MEMHOTD_E2E_DEB") or build_deb()
    t_deb = time.monotonic() - t0
    image, took = get_image(deb)
    t_img = time.monotonic() - t0 - t_deb
    initrd = make_initrd(image, kernel)
    steps, mh, policy = memhotd_run(kernel, initrd, ck, args)
    if not policy or policy[0] is None:
        ck.check("memhotctl --json status reports the policy in force", False, str(policy))
        policy = (301, True)
    kr = kernel_run(kernel, initrd, int(policy[0]), bool(policy[1]), steps, args)
    for i, step in enumerate(steps):
        bad = diff_layout(mh[i], kr[i]) if i < len(mh) else ["memhotd run did not get here"]
        zones = {}
        for s in mh[i].values() if i < len(mh) else ():
            zones[s[1]] = zones.get(s[1], 0) + 1
        ck.check("%s (%s) lands exactly as the kernel's policy (ratio %s, numa_aware %s)"
                 % (step[3], describe(step), policy[0], policy[1]), not bad,
                 "; ".join(bad[:8]) + (" (+%d more)" % (len(bad) - 8) if len(bad) > 8 else "")
                 if bad else "zones %s" % sorted(zones.items()))
    total = time.monotonic() - t0
    nfail = sum(1 for r in ck.results if not r[1])
    print("systemd guest: %d passed, %d failed (deb %.0fs, image %s, total %.0fs)"
          % (len(ck.results) - nfail, nfail, t_deb,
             "%.0fs" % took if took is not None else "cached", total), flush=True)
    return 1 if nfail else 0


# --------------------------------------------------------------------------
# Plug benchmark (issue 11; not part of make check)
# --------------------------------------------------------------------------

# The userspace writers compared with memhotd (memhotd.service masked, the kernel's
# auto-movable policy picks the zone of a plain `online` write, as in bench/bench.py):
#   udev   the classic rule distributions ship (RHEL 40-redhat.rules and the like)
#   floor  bench/floor-writer: raw uevent socket filtered to memory adds, write at once
UDEV_RULE = ('SUBSYSTEM=="memory", ACTION=="add", ATTR{state}=="offline", '
             'ATTR{state}="online"')


def bench_cmdline(kind):
    if kind == "kernel":
        return kernel_cmdline(301, True)
    if kind in ("memhotd", "memhotd-quiet") or kind.startswith("memhotd@"):
        return MEMHOTD_CMDLINE
    return kernel_cmdline(301, True).replace("memhp_default_state=online",
                                             "memhp_default_state=offline")


def without_memhotd_rule(vm):
    """The kernel, floor and udev runs stand for a guest without memhotd: its udev rule
    (installed with the package, memhotd.service masked) would tag every block still
    offline at its add uevent (in kernel mode, those udev reads before the kernel onlines
    them: a race) and make PID 1 create a device unit and a start job for each, about a
    second of guest CPU per 16 GiB."""
    vm.sh("ln -sf /dev/null /etc/udev/rules.d/80-memhotd.rules && udevadm control --reload")


def start_writer(vm, kind, name):
    """The writer of a udev or floor run, started after boot (before the plug)."""
    st = vm.sh("cat /sys/module/memory_hotplug/parameters/online_policy "
               "/sys/devices/system/memory/auto_online_blocks").split()
    if st != ["auto-movable", "offline"]:
        raise V.VMError("%s: online_policy/auto_online_blocks are %s" % (name, st))
    if kind == "udev":
        vm.sh("printf '%%s\\n' '%s' > /etc/udev/rules.d/40-bench-memory-online.rules && "
              "udevadm control --reload" % UDEV_RULE)
    elif kind == "floor":
        # at memhotd.service's Nice=-10, so both compete alike with udev and PID 1
        vm.sh("setsid nice -n -10 /usr/local/sbin/floor-writer --pidfile /run/floor-writer.pid "
              ">/run/floor-writer.log 2>&1 </dev/null &")
        for _ in range(100):
            if "ready" in vm.sh("cat /run/floor-writer.log", check=False):
                break
            time.sleep(0.1)


def timed_plug(vm, name, size):
    """Seconds from the QMP resize of vmem0 to size until QEMU reports it plugged and no
    block is offline."""
    t0 = time.monotonic()
    vm.set_vmem("vmem0", size)
    while vm.vmem_pending() or vm.offline_count():
        if time.monotonic() - t0 > 300:
            raise V.VMError("%s: plug of %d GiB not done in 300 s" % (name, size // G))
        time.sleep(0.02)
    return time.monotonic() - t0


def plug_once(kernel, initrd, cmdline, size, name, kind=None):
    """(seconds, layout) of one virtio-mem plug in a fresh guest; 4 GiB boot memory
    like bench/bench.py."""
    vm, st = boot(name, kernel, initrd, cmdline, boot_mem=4 * G, vmem_size=max(32 * G, size))
    try:
        if kind in ("kernel", "udev", "floor"):
            without_memhotd_rule(vm)
        if kind in ("udev", "floor"):
            start_writer(vm, kind, name)
        elif "memhotd.service" not in cmdline:
            act = vm.sh("systemctl is-active memhotd; true").strip()
            if act != "active":
                raise V.VMError("%s: memhotd.service is %s" % (name, act))
            if kind == "memhotd-quiet":
                # memhotd without the journal: stderr to /dev/null, so no JOURNAL_STREAM
                # and every log line is one write() to /dev/null (what a per-decision
                # line at debug would save, less that write); restarted before the plug
                vm.sh("mkdir -p /run/systemd/system/memhotd.service.d && printf "
                      "'[Service]\\nStandardError=null\\nStandardOutput=null\\n' > "
                      "/run/systemd/system/memhotd.service.d/quiet.conf && "
                      "systemctl daemon-reload && systemctl restart memhotd && "
                      "systemctl is-active memhotd")
            elif kind.startswith("memhotd@"):
                # the unit as shipped, only its binary replaced (bench variants)
                vm.sh("mkdir -p /run/systemd/system/memhotd.service.d && printf "
                      "'[Service]\\nExecStart=\\nExecStart=/usr/local/sbin/memhotd-%s\\n' > "
                      "/run/systemd/system/memhotd.service.d/variant.conf && "
                      "systemctl daemon-reload && systemctl restart memhotd && "
                      "systemctl is-active memhotd" % kind.split("@", 1)[1])
        cpu0 = guest_cpu(vm)
        dt = timed_plug(vm, name, size)
        cpu1 = guest_cpu(vm)
        time.sleep(2)
        cpu2 = guest_cpu(vm)
        cpu = {k: (round((cpu1[k] - cpu0[k]) / 100, 2), round((cpu2[k] - cpu0[k]) / 100, 2))
               for k in cpu0 if k in cpu1 and k in cpu2}
        layout = snapshot(vm)
        if kind == "floor":
            failed = vm.sh("grep -c 'floor-writer: memory' /run/floor-writer.log; true").strip()
            if failed not in ("", "0"):
                raise V.VMError("%s: %s floor-writer writes failed" % (name, failed))
    finally:
        vm.stop()
    return dt, layout, cpu


# Guest processes whose CPU time (utime + stime, clock ticks) each plug reports.
CPU_UNITS = ("memhotd", "systemd-journald", "systemd-udevd")


def guest_cpu(vm):
    """{unit: ticks} of the units' main processes, "init" for PID 1 and "floor" for the
    floor writer."""
    script = "; ".join(
        "p=$(systemctl show -P MainPID %s); [ \"$p\" != 0 ] && echo %s $(cut -d' ' -f14,15 "
        "/proc/$p/stat)" % (u, u) for u in CPU_UNITS)
    script += "; echo init $(cut -d' ' -f14,15 /proc/1/stat)"
    script += ("; [ -s /run/floor-writer.pid ] && echo floor $(cut -d' ' -f14,15 "
               "/proc/$(cat /run/floor-writer.pid)/stat); true")
    out = {}
    for line in vm.sh(script, check=False).splitlines():
        f = line.split()
        if len(f) == 3 and f[1].isdigit() and f[2].isdigit():
            out[f[0]] = int(f[1]) + int(f[2])
    return out


def plug_profile(args):
    """perf (cpu-clock sampling, call graphs) of one writer's process during a 16 GiB plug:
    where its time goes, kernel and user space.  The image gets Debian's linux-perf (for
    the guest's 6.1 kernel) besides the usual packages."""
    global PACKAGES
    kind = args.plug_profile
    if kind not in ("memhotd", "floor"):
        raise V.VMError("--plug-profile takes memhotd or floor, not %r" % kind)
    PACKAGES += ",linux-perf"
    kernel = V.get_kernel()
    deb = args.deb or os.environ.get("MEMHOTD_E2E_DEB") or build_deb()
    image, _ = get_image(deb)
    initrd = make_initrd(image, kernel, args.floor_writer if kind == "floor" else None)
    size = int(str(args.size).split(",")[0]) * G
    vm, st = boot("systemd-profile-" + kind, kernel, initrd, bench_cmdline(kind),
                  boot_mem=4 * G, vmem_size=max(32 * G, size))
    try:
        if kind == "floor":
            without_memhotd_rule(vm)
            start_writer(vm, kind, vm.name)
            pid = vm.sh("cat /run/floor-writer.pid").strip()
        else:
            pid = vm.sh("systemctl show -P MainPID memhotd").strip()
        vm.sh("setsid perf record -e cpu-clock -F 2000 -g -p %s -o /run/perf.data "
              "</dev/null >/run/perf.log 2>&1 & sleep 2" % pid)
        dt = timed_plug(vm, vm.name, size)
        print("%s: %d GiB plugged in %.2fs under perf" % (kind, size // G, dt))
        vm.sh("kill -INT $(pidof perf); sleep 3")
        rep = "perf report -i /run/perf.data --stdio --percent-limit 0.5 "
        print(vm.sh("cat /run/perf.log; %s --sort dso -g none; %s --children --sort sym -g none"
                    % (rep, rep), timeout=300))
    finally:
        vm.stop()
    return 0


def plug_bench(args):
    """Alternating order, a fresh guest per run, medians; the layouts must agree."""
    kernel = V.get_kernel()
    deb = args.deb or os.environ.get("MEMHOTD_E2E_DEB") or build_deb()
    image, _ = get_image(deb)
    modes = args.modes.split(",")
    fw = None
    if "floor" in modes:
        fw = args.floor_writer
        if not os.access(fw, os.X_OK):
            raise V.VMError("%s not built (make %s)" % (fw, os.path.relpath(fw, V.REPO)))
    variants = dict(v.split("=", 1) for v in args.variant)
    for m in modes:
        if m.startswith("memhotd@") and m.split("@", 1)[1] not in variants:
            raise V.VMError("mode %s needs --variant %s=PATH" % (m, m.split("@", 1)[1]))
    initrd = make_initrd(image, kernel, fw, variants)
    sizes = [int(x) for x in str(args.size).split(",")]
    ok = True
    for gib in sizes:
        ok = plug_bench_size(args, kernel, initrd, gib) and ok
    return 0 if ok else 1


def plug_bench_size(args, kernel, initrd, gib):
    size = gib * G
    modes = args.modes.split(",")
    res = {m: [] for m in modes}
    cpus = {m: [] for m in modes}
    layouts = {}
    load0 = open("/proc/loadavg").read().split()[:3]
    for i in range(args.runs):
        # the order rotates from one run to the next, as in bench/bench.py
        order = modes[i % len(modes):] + modes[:i % len(modes)]
        for kind in order:
            dt, lay, cpu = plug_once(kernel, initrd, bench_cmdline(kind), size,
                                     "systemd-bench-%s" % kind, kind)
            res[kind].append(round(dt, 3))
            cpus[kind].append(cpu)
            layouts.setdefault(kind, lay)
            if diff_layout(lay, layouts[kind]):
                layouts[kind + " differs between runs"] = True
            print("%d GiB run %d %s: %.2fs; guest CPU s in the plug (and 2 s after): %s"
                  % (gib, i + 1, kind, dt,
                     ", ".join("%s %.2f (%.2f)" % (k, a, b) for k, (a, b) in sorted(cpu.items()))),
                  flush=True)
    ref = modes[0]
    same = len(layouts) == len(modes) and not any(
        diff_layout(layouts[m], layouts[ref]) for m in modes)
    for m in modes:
        zones = [z for st, z in layouts[m].values()]
        bad = diff_layout(layouts[m], layouts[ref])
        print("%s layout: %d Movable / %d other online / %d offline blocks%s%s"
              % (m, zones.count("Movable"), sum(1 for st, z in layouts[m].values()
                                                 if st == "online" and z != "Movable"),
                 sum(1 for st, z in layouts[m].values() if st != "online"),
                 "; differs between its runs" if m + " differs between runs" in layouts else "",
                 "; %d blocks differ from %s (first: %s)" % (len(bad), ref, bad[0])
                 if bad else ""))
    med = {m: statistics.median(res[m]) for m in modes}
    load = open("/proc/loadavg").read().split()[:3]
    print("systemd guest, %d GiB virtio-mem plug, medians of %d (host load %s at start, %s at "
          "end): %s; layouts identical: %s"
          % (gib, args.runs, " ".join(load0), " ".join(load),
             ", ".join("%s %.2fs (%.2f)" % (m, med[m], med[m] / med[ref]) for m in modes),
             "yes" if same else "NO"))
    print(json.dumps({"size_gib": gib, "runs": res, "medians": med, "layouts_identical": same,
                      "guest_cpu_s": cpus,
                      "load_start": load0, "load_end": load}))
    return same


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--deb", help="install this memhotd .deb instead of building one")
    ap.add_argument("--quiesce-timeout", type=int, default=120)
    ap.add_argument("--no-hold", dest="hold", action="store_false",
                    help="systemctl restart mid-plug without SIGSTOPping memhotd first "
                         "(shows PID 1 running the job only after the plug)")
    ap.add_argument("--plug-bench", action="store_true",
                    help="time a virtio-mem plug, memhotd vs kernel auto-online")
    ap.add_argument("--plug-profile", metavar="MODE",
                    help="perf profile of memhotd (or the floor writer: floor) during one "
                         "plug of --size GiB")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--modes", default="kernel,memhotd",
                    help="--plug-bench: which of kernel, memhotd, udev (the classic "
                         "ATTR{state}=\"online\" rule), floor (bench/floor-writer) to time, or memhotd-quiet (memhotd with stderr to /dev/null, no journal); "
                         "the first is the reference of the ratios")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=PATH",
                    help="--plug-bench: mode memhotd@NAME runs the unit as shipped with "
                         "ExecStart= this memhotd binary")
    ap.add_argument("--floor-writer", default=os.path.join(V.REPO, "build", "bench", "floor-writer"))
    ap.add_argument("--size", default="16",
                    help="GiB to plug in --plug-bench; a comma-separated list (16,32,64) runs each")
    args = ap.parse_args()
    try:
        if args.plug_profile:
            return plug_profile(args)
        return plug_bench(args) if args.plug_bench else run_checks(args)
    except V.VMError as e:
        print("FAIL: systemd guest: %s" % e, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
