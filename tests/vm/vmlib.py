"""Host side of memhotd's real-kernel test harness.

Obtains a Debian 6.1 guest kernel (cached under tests/vm/cache), builds a busybox
initramfs, boots QEMU/TCG with virtio-mem and pc-dimm memory, drives hotplug over
QMP and runs shell snippets in the guest over a serial line (a socket chardev on
ttyS1; ttyS0 is the console, written to a file).  See tests/vm/README.md.

Only the standard library is used.
"""

import base64
import glob
import json
import lzma
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CACHE = os.environ.get("MEMHOTD_VM_CACHE", os.path.join(HERE, "cache"))
OUT = os.environ.get("MEMHOTD_VM_OUT", os.path.join(HERE, "out"))
GIB = 1 << 30
MIB = 1 << 20
BLOCK = 128 * MIB

class VMError(Exception):
    pass


def log(*a):
    print("[vm]", *a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Kernel
# --------------------------------------------------------------------------

def _run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, **kw).stdout


# The kernel matrix.  6.1 comes from the host's configured apt sources (Debian 12's own
# kernel); 5.10 (Debian 11) and 6.12 (Debian 12 backports) from a PRIVATE apt list kept under
# CACHE/apt, never the host's sources: apt-get update/download with Dir::Etc::sourcelist,
# Dir::State::Lists and Dir::Cache pointing there.  Nothing is ever installed on the host.
KERNELS = {
    "5.10": dict(pattern=r"^linux-image-5\.10\.0-[0-9]+-amd64$", suite="bullseye",
                 private=True, has_policy=False,
                 # 5.10's virtio-mem lacks VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE: without this
                 # QEMU 7.2 offers the feature on q35 and the driver refuses the device
                 vmem_opts=",unplugged-inaccessible=off"),
    "6.1": dict(pattern=r"^linux-image-6\.1\.0-[0-9]+-amd64$", suite=None,
                private=False, has_policy=True, vmem_opts=""),
    "6.12": dict(pattern=r"^linux-image-6\.12\.[0-9]+\+deb12-amd64$", suite="bookworm-backports",
                 private=True, has_policy=True, vmem_opts=""),
}
DEFAULT_KERNEL = "6.1"
# modules the guests load at boot (with what they depend on); those built in are simply absent
BASE_MODULES = ["virtio_pci", "virtio_mem"]
REQUIRED_MODULES = ["virtio_mem"]
# NVDIMM -> devdax -> kmem, loaded by the dax scenarios only
DAX_MODULES = ["nfit", "nd_pmem", "dax_pmem", "device_dax", "kmem"]
# virtio_balloon, loaded by the balloon scenario only (lib/modules/balloon.list)
BALLOON_MODULES = ["virtio_balloon"]


def _vkey(name):
    return [int(x) for x in re.findall(r"\d+", name)]


def debian_mirror():
    """The Debian archive URI the host's own apt sources use (the private list reuses the
    same mirror); MEMHOTD_VM_DEBIAN_MIRROR overrides."""
    if os.environ.get("MEMHOTD_VM_DEBIAN_MIRROR"):
        return os.environ["MEMHOTD_VM_DEBIAN_MIRROR"]
    files = glob.glob("/etc/apt/sources.list") + sorted(glob.glob("/etc/apt/sources.list.d/*"))
    for f in files:
        try:
            text = open(f).read()
        except OSError:
            continue
        if f.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
                suites = re.search(r"^Suites:\s*(.*)$", stanza, re.M)
                if uris and suites and "bookworm" in suites.group(1).split() \
                        and "security" not in uris.group(1):
                    return uris.group(1)
        else:
            for line in text.splitlines():
                m = re.match(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", line)
                if m and "security" not in m.group(1):
                    return m.group(1)
    raise VMError("cannot find the Debian archive in the host's apt sources; set "
                  "MEMHOTD_VM_DEBIAN_MIRROR to a Debian mirror URI")


def _private_apt():
    """apt options for the private list (created and updated on first use)."""
    base = os.path.join(CACHE, "apt")
    for d in ("lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(base, d), exist_ok=True)
    src = os.path.join(base, "sources.list")
    mirror = debian_mirror()
    want = "".join("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n"
                   % (mirror, k["suite"]) for k in KERNELS.values() if k["private"])
    opts = ["-o", "Dir::Etc::sourcelist=" + src, "-o", "Dir::Etc::sourceparts=-",
            "-o", "Dir::State::Lists=" + os.path.join(base, "lists"),
            "-o", "Dir::Cache=" + os.path.join(base, "cache"),
            "-o", "APT::Sandbox::User=root"]
    fresh = os.path.exists(src) and open(src).read() == want and \
        glob.glob(os.path.join(base, "lists", "*_Packages*"))
    if not fresh:
        open(src, "w").write(want)
        log("apt-get update (private list %s)" % src)
        p = subprocess.run(["apt-get"] + opts + ["-qq", "update"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            raise VMError("apt-get update of the private list failed:\n" + p.stdout[-2000:])
    return opts


def newest_kernel_package(ver=DEFAULT_KERNEL):
    """Name of the newest package of kernel series ver apt knows about."""
    k = KERNELS[ver]
    opts = _private_apt() if k["private"] else []

    def search():
        try:
            out = _run(["apt-cache"] + opts + ["search", "--names-only", k["pattern"]])
        except (OSError, subprocess.CalledProcessError):
            return []
        return [l.split()[0] for l in out.splitlines() if l.strip()
                and re.match(k["pattern"], l.split()[0])]
    names = search()
    if not names and not k["private"] and os.geteuid() == 0:
        log("apt-cache knows no %s package; running apt-get update" % k["pattern"])
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        names = search()
    if not names:
        raise VMError("cannot find a package matching %s with apt-cache "
                      "(run apt-get update, or set MEMHOTD_VM_KERNEL_DEB_%s to a .deb)"
                      % (k["pattern"], ver.replace(".", "_")))
    names.sort(key=_vkey)
    return names[-1], opts


def extract_vmlinux(bzimage, dest):
    """Like the kernel's scripts/extract-vmlinux: find the compressed payload
    inside the bzImage, decompress it, keep the first result that is an ELF."""
    data = open(bzimage, "rb").read()
    tried = 0
    for magic in (b"\xfd7zXZ\x00",):
        pos = data.find(magic)
        while pos >= 0:
            tried += 1
            try:
                d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
                out = d.decompress(data[pos:])
                if out[:4] == b"\x7fELF":
                    with open(dest + ".tmp", "wb") as f:
                        f.write(out)
                    os.rename(dest + ".tmp", dest)
                    return
            except lzma.LZMAError:
                pass
            pos = data.find(magic, pos + 1)
    for magic, cmd in ((b"\x28\xb5\x2f\xfd", ["zstd", "-dc"]),
                       (b"\x1f\x8b\x08", ["gzip", "-dc"])):
        pos = data.find(magic)
        if pos >= 0 and shutil.which(cmd[0]):
            p = subprocess.run(cmd, input=data[pos:], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
            if p.stdout[:4] == b"\x7fELF":
                with open(dest, "wb") as f:
                    f.write(p.stdout)
                return
    raise VMError("no ELF vmlinux found in %s (%d candidates)" % (bzimage, tried))


def _read_module(src):
    """The bytes of a module file, decompressed on the host (busybox insmod cannot be
    relied on to decompress)."""
    if src.endswith(".xz"):
        return lzma.open(src).read()
    if src.endswith(".gz"):
        import gzip
        return gzip.open(src).read()
    if src.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", src], stdout=subprocess.PIPE, check=True).stdout
    return open(src, "rb").read()


def _module_deps(data):
    """The depends= list of a module's .modinfo section."""
    m = re.search(rb"(?:^|\x00)depends=([^\x00]*)\x00", data)
    return [d.decode() for d in m.group(1).split(b",") if d] if m else []


def _resolve_modules(kroot, wanted, required, moddir):
    """Copies wanted modules and their dependencies (decompressed) to moddir; returns
    (ordered names, {name: path}), dependencies first.  A wanted module not shipped as a
    module is built in, unless it is in required."""
    index = {}
    for f in glob.glob(os.path.join(kroot, "kernel", "**", "*.ko*"), recursive=True):
        n = os.path.basename(f).split(".ko")[0]
        index.setdefault(n.replace("-", "_"), f)
    order, paths = [], {}

    def visit(name, stack=()):
        name = name.replace("-", "_")
        if name in paths:
            return
        if name in stack:
            raise VMError("module dependency loop at %s" % name)
        if name not in index:
            if name in required:
                raise VMError("module %s not in the kernel package" % name)
            return
        data = _read_module(index[name])
        for d in _module_deps(data):
            visit(d, stack + (name,))
        dst = os.path.join(moddir, name + ".ko")
        open(dst, "wb").write(data)
        paths[name] = dst
        order.append(name)
    for w in wanted:
        visit(w)
    return order, paths


def get_kernel(ver=DEFAULT_KERNEL):
    """Returns dict(key, version, vmlinux, modules: {name: path}, base_modules, dax_modules,
    deb, changelog).  Cached per kernel series in CACHE/kernel-<ver>/."""
    if ver not in KERNELS:
        raise VMError("unknown kernel %r (known: %s)" % (ver, " ".join(KERNELS)))
    kdef = KERNELS[ver]
    kcache = os.path.join(CACHE, "kernel-" + ver)
    os.makedirs(kcache, exist_ok=True)
    stamp = os.path.join(kcache, "kernel.json")
    if os.path.exists(stamp):
        k = json.load(open(stamp))
        if k.get("key") == ver and os.path.exists(k["vmlinux"]) and \
                "balloon_modules" in k and \
                all(os.path.exists(p) for p in k["modules"].values()):
            return k
    deb = os.environ.get("MEMHOTD_VM_KERNEL_DEB_" + ver.replace(".", "_"))
    if not deb and ver == DEFAULT_KERNEL:
        deb = os.environ.get("MEMHOTD_VM_KERNEL_DEB")
    if not deb:
        debs = sorted((d for d in glob.glob(os.path.join(kcache, "linux-image-*.deb"))
                       if re.match(kdef["pattern"], os.path.basename(d).split("_")[0])),
                      key=lambda d: _vkey(os.path.basename(d).split("_")[0]))
        if debs:
            deb = debs[-1]
    if not deb:
        pkg, opts = newest_kernel_package(ver)
        log("downloading", pkg)
        try:
            subprocess.run(["apt-get"] + opts + ["-qq", "download", pkg], cwd=kcache, check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            raise VMError("apt-get download %s failed: %s" % (pkg, e))
        debs = sorted(glob.glob(os.path.join(kcache, pkg + "_*.deb")))
        if not debs:
            raise VMError("apt-get download %s produced no .deb" % pkg)
        deb = debs[-1]
    root = os.path.join(kcache, "root")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    log("extracting", deb)
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    vmlinuz = glob.glob(os.path.join(root, "boot", "vmlinuz-*"))
    if len(vmlinuz) != 1:
        raise VMError("expected one vmlinuz in %s" % deb)
    version = os.path.basename(vmlinuz[0])[len("vmlinuz-"):]
    vmlinux = os.path.join(kcache, "vmlinux-" + version)
    extract_vmlinux(vmlinuz[0], vmlinux)
    moddir = os.path.join(kcache, "modules-" + version)
    shutil.rmtree(moddir, ignore_errors=True)
    os.makedirs(moddir)
    kroot = glob.glob(os.path.join(root, "lib", "modules", version)) or \
        glob.glob(os.path.join(root, "usr", "lib", "modules", version))
    if not kroot:
        raise VMError("no lib/modules/%s in %s" % (version, deb))
    base, mods = _resolve_modules(kroot[0], BASE_MODULES, REQUIRED_MODULES, moddir)
    dax, dmods = _resolve_modules(kroot[0], DAX_MODULES, (), moddir)
    mods.update(dmods)
    dax = [m for m in dax if m not in base]
    bal, bmods = _resolve_modules(kroot[0], BALLOON_MODULES, (), moddir)
    mods.update(bmods)
    bal = [m for m in bal if m not in base]
    shutil.copyfile(glob.glob(os.path.join(root, "boot", "config-*"))[0],
                    os.path.join(kcache, "config-" + version))
    # the Debian changelog (which upstream fixes the package has), kept for the record
    cl = glob.glob(os.path.join(root, "usr", "share", "doc", "*", "changelog.gz"))
    changelog = None
    if cl:
        changelog = os.path.join(kcache, "changelog-%s.gz" % version)
        shutil.copyfile(cl[0], changelog)
    shutil.rmtree(root, ignore_errors=True)
    k = {"key": ver, "version": version, "vmlinux": vmlinux, "modules": mods,
         "base_modules": base, "dax_modules": dax, "balloon_modules": bal,
         "deb": os.path.basename(deb),
         "changelog": changelog}
    json.dump(k, open(stamp, "w"), indent=1)
    return k


# --------------------------------------------------------------------------
# Initramfs
# --------------------------------------------------------------------------

INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
for m in $(cat /lib/modules/base.list); do
	insmod /lib/modules/$m.ko || echo "init: insmod $m failed"
done
echo "init: modules loaded"
stty -F /dev/ttyS1 raw -echo
exec /bin/agent
"""

# The guest agent: one line per request "<seq> <base64 script>", answered with
# the script's stdout+stderr framed by @@BEGIN <seq> / @@END <seq> <rc>.
AGENT = r"""#!/bin/sh
exec 3<>/dev/ttyS1
echo "@@READY" >&3
while IFS=' ' read -r seq b64 <&3; do
	[ -n "$seq" ] || continue
	echo "$b64" | base64 -d > /tmp/cmd.sh 2>/dev/null
	sh /tmp/cmd.sh > /tmp/cmd.out 2>&1 </dev/null
	rc=$?
	{ echo "@@BEGIN $seq"; cat /tmp/cmd.out; echo "@@END $seq $rc"; } >&3
done
"""

# One line per memory block: "B <id> <state> <node|-> <zone|-> <firmware_node|->".
# valid_zones is read for ONLINE blocks only (reading it for a fresh offline block
# can crash 6.1: its node is not set until the nodeN link exists).
MEMDUMP = r"""#!/bin/sh
cd /sys/devices/system/memory || exit 1
for d in memory[0-9]*; do
	read -r st < $d/state || continue
	nd=-
	for l in $d/node*; do [ -e "$l" ] && nd=${l##*/node}; done
	z=-
	if [ "$st" = online ]; then read -r z < $d/valid_zones || z=-; fi
	fw=-
	if [ -e $d/firmware_node ]; then fw=$(readlink $d/firmware_node); fw=${fw##*/}; fw=${fw:--}; fi
	echo "B ${d#memory} $st $nd $z $fw"
done
"""

# Full text capture for parser tests, see tests/data/captures/README.md.
SYSDUMP = r"""#!/bin/sh
# path<TAB>value for attributes, "path -> target" for links.
attr() { [ -r "$1" ] && { v=$(cat "$1" 2>/dev/null) && printf '%s\t%s\n' "$1" "$v"; }; }
link() { [ -L "$1" ] && printf '%s -> %s\n' "$1" "$(readlink "$1")"; }
M=/sys/devices/system/memory
attr $M/block_size_bytes
attr $M/auto_online_blocks
for d in $M/memory[0-9]*; do
	attr $d/phys_index
	attr $d/state
	attr $d/phys_device
	attr $d/removable
	read -r st < $d/state
	[ "$st" = online ] && attr $d/valid_zones
	for l in $d/node*; do link "$l"; done
	link $d/firmware_node
done
for a in /sys/bus/acpi/devices/PNP0C80:*; do
	[ -e "$a" ] || continue
	link "$a"
	attr $a/hid
	attr $a/status
	attr $a/path
	for l in $a/physical_node*; do link "$l"; done
done
for v in /sys/bus/virtio/devices/virtio*; do
	[ -e "$v" ] || continue
	link "$v"
	attr $v/device
	attr $v/vendor
	link $v/driver
done
for p in /sys/module/memory_hotplug/parameters/* /sys/module/virtio_mem/parameters/*; do
	attr $p
done
for n in /sys/devices/system/node/node[0-9]*; do
	attr $n/has_memory 2>/dev/null
	attr $n/has_normal_memory 2>/dev/null
done
attr /sys/devices/system/node/has_memory
attr /sys/devices/system/node/has_normal_memory
attr /sys/devices/system/node/online
"""


def preflight():
    """Tools the harness needs; raises VMError naming what is missing (never a skip)."""
    missing = [t for t in ("qemu-system-x86_64", "cpio", "timeout", "ldd", "dpkg-deb")
               if not shutil.which(t)]
    if not (shutil.which("busybox") or os.path.exists("/bin/busybox")):
        missing.append("busybox")
    if missing:
        raise VMError("missing %s: apt-get install qemu-system-x86 busybox-static cpio "
                      "(scripts/deps.sh does it)" % ", ".join(missing))


def ldd_closure(binaries):
    """Files (host paths) a set of dynamic binaries needs, loader included."""
    need = set()
    for b in binaries:
        try:
            out = _run(["ldd", b])
        except subprocess.CalledProcessError as e:
            raise VMError("ldd %s: %s" % (b, e.stderr))
        for line in out.splitlines():
            line = line.strip()
            m = re.match(r"\S+ => (/\S+)", line)
            if m:
                need.add(m.group(1))
                continue
            m = re.match(r"(/\S+) \(0x", line)
            if m:
                need.add(m.group(1))
    return sorted(need)


def build_initramfs(kernel, dest, extra_files=None):
    """Writes an uncompressed newc cpio to dest.  extra_files: {guest path: host
    path or bytes}.  Dynamic ELF files get their ldd closure."""
    bb = shutil.which("busybox") or "/bin/busybox"
    if not os.path.exists(bb):
        raise VMError("busybox not found (apt-get install busybox-static)")
    p = subprocess.run(["ldd", bb], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if "=>" in p.stdout:
        raise VMError("%s is not statically linked (install busybox-static)" % bb)
    stage = dest + ".d"
    shutil.rmtree(stage, ignore_errors=True)
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "run", "tmp",
              "etc", "lib/modules", "root", "var/log"):
        os.makedirs(os.path.join(stage, d), exist_ok=True)
    shutil.copyfile(bb, os.path.join(stage, "bin/busybox"))
    os.chmod(os.path.join(stage, "bin/busybox"), 0o755)
    os.symlink("busybox", os.path.join(stage, "bin/sh"))
    for name, path in kernel["modules"].items():
        shutil.copyfile(path, os.path.join(stage, "lib/modules", name + ".ko"))
    open(os.path.join(stage, "lib/modules/base.list"), "w").write(
        " ".join(kernel["base_modules"]) + "\n")
    open(os.path.join(stage, "lib/modules/dax.list"), "w").write(
        " ".join(kernel.get("dax_modules", [])) + "\n")
    open(os.path.join(stage, "lib/modules/balloon.list"), "w").write(
        " ".join(kernel.get("balloon_modules", [])) + "\n")

    def put(path, content, mode=0o755):
        p = os.path.join(stage, path.lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(content, bytes):
            open(p, "wb").write(content)
        elif isinstance(content, str) and content.startswith("/") and os.path.exists(content):
            shutil.copyfile(content, p)
        else:
            open(p, "w").write(content)
        os.chmod(p, mode)
    put("/init", INIT)
    put("/bin/agent", AGENT)
    put("/bin/memdump", MEMDUMP)
    put("/bin/sysdump", SYSDUMP)
    put("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0o644)
    put("/etc/group", "root:x:0:\n", 0o644)
    elfs = []
    for gpath, src in (extra_files or {}).items():
        if isinstance(src, str):
            # A host path, relative ones included (make passes build/memhotd);
            # a missing file is an error, never written as the file's text.
            if not os.path.isfile(src):
                raise VMError("%s: no such file (for %s in the guest)" % (src, gpath))
            src = os.path.abspath(src)
        put(gpath, src, 0o755 if not gpath.startswith("/etc") else 0o644)
        if isinstance(src, str) and os.path.exists(src) and open(src, "rb").read(4) == b"\x7fELF":
            elfs.append(src)
    if elfs:
        for lib in ldd_closure(elfs):
            put(lib, os.path.realpath(lib), 0o755)
    with open(dest + ".tmp", "wb") as f:
        files = subprocess.run("find . | LC_ALL=C sort", shell=True, cwd=stage,
                               stdout=subprocess.PIPE, check=True).stdout
        subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"], cwd=stage,
                       input=files, stdout=f, check=True)
    os.rename(dest + ".tmp", dest)
    shutil.rmtree(stage, ignore_errors=True)
    return dest


# --------------------------------------------------------------------------
# QEMU
# --------------------------------------------------------------------------

def accel_args():
    if os.environ.get("MEMHOTD_VM_ACCEL"):
        return ["-accel", os.environ["MEMHOTD_VM_ACCEL"]]
    # KVM only with a real kvm_intel/kvm_amd (a nested /dev/kvm without them does not work).
    if os.path.exists("/dev/kvm") and (os.path.isdir("/sys/module/kvm_intel") or
                                        os.path.isdir("/sys/module/kvm_amd")):
        try:
            fd = os.open("/dev/kvm", os.O_RDWR)
            os.close(fd)
            return ["-accel", "kvm", "-cpu", "host"]
        except OSError:
            pass
    return ["-accel", "tcg,thread=multi"]


_LIVE = set()


def _kill_live():
    for vm in list(_LIVE):
        try:
            os.killpg(vm.proc.pid, signal.SIGKILL)
        except Exception:
            pass


import atexit  # noqa: E402
atexit.register(_kill_live)
# make SIGTERM (e.g. from make or CI) run the atexit handler too
signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))


class VM:
    """One QEMU guest.

    nodes: 1 or 2 NUMA nodes (boot RAM split evenly), boot_mem in bytes.
    vmems: list of dicts {id, node, size (max, bytes), requested (bytes)}.
    nvdimms: list of dicts {id, node, size (bytes)}: emulated NVDIMMs (machine nvdimm=on),
    each backed by a file in the run's directory.
    devices: extra QEMU -device arguments (e.g. "virtio-balloon-pci,id=balloon0").
    cmdline: extra kernel command line."""

    def __init__(self, name, kernel, initrd, nodes=1, boot_mem=4 * GIB, vmems=(),
                 cmdline="", timeout=600, smp=2, dimm_slots=8, maxmem=64 * GIB, nvdimms=(),
                 devices=()):
        self.name, self.kernel, self.initrd = name, kernel, initrd
        self.nodes, self.boot_mem, self.vmems = nodes, boot_mem, list(vmems)
        self.cmdline, self.timeout, self.smp = cmdline, timeout, smp
        self.dimm_slots, self.maxmem = dimm_slots, maxmem
        self.nvdimms = list(nvdimms)
        self.devices = list(devices)
        self.dir = os.path.join(OUT, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.console = os.path.join(self.dir, "console.log")
        self.proc = None
        self.qmp_sock = self.cmd_sock = None
        self.qmp_buf = b""
        self.cmd_buf = b""
        self.events = []
        self.seq = 0
        self.deadline = None

    # -- lifecycle --
    def args(self):
        ram = self.boot_mem
        ncpu = max(self.smp, self.nodes)
        # one socket per node: otherwise 6.1 WARNs that llc siblings sit on other nodes
        a = ["qemu-system-x86_64", "-machine", "q35,nvdimm=on" if self.nvdimms else "q35",
             "-smp", "%d,sockets=%d" % (ncpu, self.nodes) if self.nodes > 1 else str(ncpu)]
        a += accel_args()
        a += ["-m", "size=%dM,slots=%d,maxmem=%dM" % (ram // MIB, self.dimm_slots, self.maxmem // MIB)]
        a += ["-nodefaults", "-nographic", "-no-user-config", "-no-reboot",
              "-kernel", self.kernel["vmlinux"], "-initrd", self.initrd,
              "-append", ("console=ttyS0 loglevel=5 panic=1 oops=panic mitigations=off "
                          "tsc=reliable " + self.cmdline).strip(),
              "-serial", "file:" + self.console,
              "-chardev", "socket,id=cmd,path=%s,server=on,wait=off" % os.path.join(self.dir, "cmd.sock"),
              "-serial", "chardev:cmd",
              "-qmp", "unix:%s,server=on,wait=off" % os.path.join(self.dir, "qmp.sock")]
        if self.nodes > 1:
            per = ram // self.nodes
            for n in range(self.nodes):
                a += ["-object", "memory-backend-ram,id=ram-node%d,size=%dM" % (n, per // MIB),
                      "-numa", "node,nodeid=%d,memdev=ram-node%d,cpus=%d" % (n, n, n)]
        for v in self.vmems:
            a += ["-object", "memory-backend-ram,id=mem-%s,size=%dM,reserve=off" % (v["id"], v["size"] // MIB),
                  "-device", "virtio-mem-pci,id=%s,memdev=mem-%s,node=%d,requested-size=%dM%s"
                  % (v["id"], v["id"], v.get("node", 0), v.get("requested", 0) // MIB,
                     KERNELS.get(self.kernel.get("key", DEFAULT_KERNEL), {}).get("vmem_opts", ""))]
        for v in self.nvdimms:
            path = os.path.join(self.dir, v["id"] + ".img")
            a += ["-object", "memory-backend-file,id=mem-%s,share=on,mem-path=%s,size=%dM"
                  % (v["id"], path, v["size"] // MIB),
                  "-device", "nvdimm,id=%s,memdev=mem-%s,node=%d" % (v["id"], v["id"], v.get("node", 0))]
        for d in self.devices:
            a += ["-device", d]
        return a

    def start(self, attempts=3, ready_timeout=60):
        """Boots; a guest that does not reach its agent in ready_timeout seconds (normally
        3-8 s; rarely a TCG boot hangs before userspace) or whose kernel dies before it (6.12
        under TCG rarely oopses in early boot: int3 in sched_clock_cpu, then QEMU exits and
        the command channel closes) is killed and booted again.  Nothing of memhotd runs
        before the agent answers, so a retry hides no memhotd failure."""
        for i in range(attempts):
            try:
                return self._start(ready_timeout)
            except BaseException as e:
                boot_failed = isinstance(e, VMError) and (
                    "did not answer (@@READY)" in str(e) or "command channel closed" in str(e)
                    or ": qemu exited (rc" in str(e))
                if not boot_failed or i == attempts - 1:
                    self.stop()  # __exit__ does not run when __enter__ raises
                    raise
                log("%s: boot %d %s before userspace; console kept as console-hung%d.log; "
                    "booting again" % (self.name, i + 1,
                                       "hung" if "@@READY" in str(e) else "died", i + 1))
                self.stop()
                os.rename(self.console, os.path.join(self.dir, "console-hung%d.log" % (i + 1)))
                for s in ("qmp.sock", "cmd.sock"):
                    try:
                        os.unlink(os.path.join(self.dir, s))
                    except OSError:
                        pass
                self.qmp_buf = self.cmd_buf = b""
                self.events = []

    def _start(self, ready_timeout):
        self.t_start = time.monotonic()
        self.deadline = self.t_start + self.timeout
        args = self.args()
        open(os.path.join(self.dir, "qemu-args.txt"), "w").write(" ".join(args) + "\n")
        # timeout(1) is a second, independent hard limit.
        self.proc = subprocess.Popen(["timeout", "-s", "KILL", str(int(self.timeout + 30))] + args,
                                     stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.dir, "qemu.out"), "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        _LIVE.add(self)
        self.qmp_sock = self._connect(os.path.join(self.dir, "qmp.sock"))
        self.cmd_sock = self._connect(os.path.join(self.dir, "cmd.sock"))
        greeting = self._qmp_read()
        if "QMP" not in greeting:
            raise VMError("bad QMP greeting %r" % greeting)
        self.qmp("qmp_capabilities")
        self._cmd_wait_line("@@READY", ready_timeout)
        self.t_ready = time.monotonic()
        log("%s: guest ready after %.1fs" % (self.name, self.t_ready - self.t_start))
        return self

    def _connect(self, path):
        end = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise VMError("qemu exited (rc %s): %s" % (self.proc.returncode, self.tail_file("qemu.out")))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.monotonic() > end:
                    raise VMError("cannot connect to " + path)
                time.sleep(0.02)

    def tail_file(self, name, n=40):
        p = os.path.join(self.dir, name)
        try:
            return "\n".join(open(p, errors="replace").read().splitlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        self.deadline = time.monotonic() + 30
        try:
            if self.proc.poll() is None:
                try:
                    self.qmp("quit", _timeout=5)
                except Exception:
                    pass
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
        finally:
            for s in (self.qmp_sock, self.cmd_sock):
                if s:
                    s.close()
            for v in self.nvdimms:  # the NVDIMM backing files, up to their size each
                try:
                    os.unlink(os.path.join(self.dir, v["id"] + ".img"))
                except OSError:
                    pass
            _LIVE.discard(self)
            self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _check_alive(self):
        if self.proc.poll() is not None:
            raise VMError("%s: qemu exited (rc %s); console tail:\n%s" %
                          (self.name, self.proc.returncode, self.tail_file("console.log")))
        if time.monotonic() > self.deadline:
            raise VMError("%s: hard timeout (%ds) reached" % (self.name, self.timeout))

    # -- QMP --
    def _qmp_read(self, timeout=30):
        end = time.monotonic() + timeout
        while b"\n" not in self.qmp_buf:
            self._check_alive()
            self.qmp_sock.settimeout(max(0.05, min(1, end - time.monotonic())))
            try:
                chunk = self.qmp_sock.recv(65536)
            except socket.timeout:
                if time.monotonic() > end:
                    raise VMError("QMP timeout")
                continue
            if not chunk:
                raise VMError("QMP closed; console tail:\n" + self.tail_file("console.log"))
            self.qmp_buf += chunk
        line, self.qmp_buf = self.qmp_buf.split(b"\n", 1)
        return json.loads(line)

    def qmp(self, cmd, _timeout=30, **args):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.qmp_sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._qmp_read(_timeout)
            if "event" in r:
                self.events.append(r)
                continue
            if "error" in r:
                raise VMError("QMP %s %s: %s" % (cmd, args, r["error"]))
            return r.get("return")

    def poll_events(self):
        """Drains pending QMP events into self.events."""
        self.qmp_sock.setblocking(False)
        try:
            while True:
                chunk = self.qmp_sock.recv(65536)
                if not chunk:
                    break
                self.qmp_buf += chunk
        except (BlockingIOError, socket.timeout):
            pass
        finally:
            self.qmp_sock.setblocking(True)
        while b"\n" in self.qmp_buf:
            line, self.qmp_buf = self.qmp_buf.split(b"\n", 1)
            self.events.append(json.loads(line))

    # -- guest commands --
    def _cmd_wait_line(self, prefix, timeout):
        end = time.monotonic() + timeout
        while True:
            while b"\n" in self.cmd_buf:
                line, self.cmd_buf = self.cmd_buf.split(b"\n", 1)
                line = line.decode(errors="replace").rstrip("\r")
                if line.startswith(prefix):
                    return line
            self._check_alive()
            if time.monotonic() > end:
                raise VMError("%s: guest did not answer (%s) in %ds; console tail:\n%s"
                              % (self.name, prefix, timeout, self.tail_file("console.log")))
            self.cmd_sock.settimeout(0.2)
            try:
                chunk = self.cmd_sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                self._check_alive()
                raise VMError("%s: command channel closed" % self.name)
            self.cmd_buf += chunk

    def sh(self, script, timeout=120, check=True):
        """Runs a shell script in the guest; returns its output (stdout+stderr)."""
        self.seq += 1
        seq = self.seq
        self.cmd_sock.sendall(b"%d %s\n" % (seq, base64.b64encode(script.encode())))
        self._cmd_wait_line("@@BEGIN %d" % seq, timeout)
        out = []
        end = time.monotonic() + timeout
        while True:
            while b"\n" in self.cmd_buf:
                line, self.cmd_buf = self.cmd_buf.split(b"\n", 1)
                line = line.decode(errors="replace")
                if line.startswith("@@END %d " % seq):
                    rc = int(line.split()[2])
                    text = "\n".join(out) + ("\n" if out else "")
                    if check and rc != 0:
                        raise VMError("%s: guest command failed (rc %d): %s\n%s"
                                      % (self.name, rc, script[:200], text[-2000:]))
                    return text
                out.append(line)
            self._check_alive()
            if time.monotonic() > end:
                raise VMError("%s: guest command timed out: %s" % (self.name, script[:200]))
            self.cmd_sock.settimeout(0.2)
            try:
                chunk = self.cmd_sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise VMError("%s: command channel closed" % self.name)
            self.cmd_buf += chunk

    # -- hotplug --
    def set_vmem(self, dev, size):
        self.qmp("qom-set", path="/machine/peripheral/" + dev, property="requested-size", value=int(size))

    def add_dimm(self, dev, size, node=0):
        self.qmp("object-add", **{"qom-type": "memory-backend-ram", "id": "mem-" + dev,
                                  "size": int(size), "reserve": False})
        self.qmp("device_add", driver="pc-dimm", id=dev, memdev="mem-" + dev, node=node)

    def del_dimm(self, dev, timeout=60):
        self.qmp("device_del", id=dev)
        end = time.monotonic() + timeout
        while True:
            self.poll_events()
            if any(e.get("event") == "DEVICE_DELETED" and e.get("data", {}).get("device") == dev
                   for e in self.events):
                break
            if time.monotonic() > end:
                raise VMError("%s: DIMM %s not deleted in %ds: %s" % (self.name, dev, timeout,
                              self.qmp("query-acpi-ospm-status")))
            self._check_alive()
            time.sleep(0.1)
        self.qmp("object-del", id="mem-" + dev)

    def memory_devices(self):
        return self.qmp("query-memory-devices")

    def vmem_pending(self):
        """virtio-mem devices whose plugged size differs from the requested size."""
        bad = []
        for d in self.memory_devices():
            if d["type"] == "virtio-mem":
                v = d["data"]
                if v["size"] != v["requested-size"]:
                    bad.append((v["id"], v["size"], v["requested-size"]))
        return bad

    def offline_count(self):
        out = self.sh("cat /sys/devices/system/memory/memory*/state 2>/dev/null | grep -c offline; true")
        return int(out.split()[0])

    def blocks(self):
        """{block id: (state, node, zone, firmware_node)}"""
        res = {}
        for line in self.sh("memdump").splitlines():
            f = line.split()
            if len(f) == 6 and f[0] == "B":
                res[int(f[1])] = (f[2], f[3], f[4], f[5])
        return res

    def wait_quiescent(self, timeout=120, allow_offline=False, stable=0.5):
        """Until every virtio-mem device has plugged what was requested and (unless
        allow_offline) no block is offline, stable for `stable` seconds."""
        end = time.monotonic() + timeout
        last, since = None, None
        while True:
            pending = self.vmem_pending()
            off = self.offline_count()
            ok = not pending and (allow_offline or off == 0)
            state = (tuple(pending), off)
            now = time.monotonic()
            if ok:
                if last == state and since is not None and now - since >= stable:
                    return now
                if last != state or since is None:
                    since = now
            else:
                since = None
            last = state
            if now > end:
                raise VMError("%s: not quiescent after %ds: vmem pending %s, %d offline blocks"
                              % (self.name, timeout, pending, off))
            time.sleep(0.1)


def iomem_owners(iomem_text, block_size=BLOCK):
    """[(start, end, name)] for top-level virtioN resources and, for dax/kmem, each
    "System RAM (kmem)" range named after its parent (the daxX.Y device)."""
    res, stack = [], []
    for line in iomem_text.splitlines():
        m = re.match(r"^( *)([0-9a-f]+)-([0-9a-f]+) : (.*)$", line)
        if not m:
            continue
        depth, lo, hi, name = len(m.group(1)), int(m.group(2), 16), int(m.group(3), 16), m.group(4)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if depth == 0 and re.match(r"^virtio\d+$", name):
            res.append((lo, hi, name))
        elif name == "System RAM (kmem)" and stack and stack[-1][1].startswith("dax"):
            res.append((lo, hi, stack[-1][1]))
        stack.append((depth, name))
    return res


def owner_of(block, fw, owners, block_size=BLOCK):
    if fw not in ("-", None):
        return fw
    a = block * block_size
    for s, e, n in owners:
        if s <= a <= e:
            return n
    return "boot"


def parse_zoneinfo(text):
    """{node: {zone: {"present", "spanned", "cma", "free": pages}}} from /proc/zoneinfo
    (first occurrence of each key in a zone)."""
    res, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^Node (\d+), zone\s+(\S+)", line)
        if m:
            cur = res.setdefault(int(m.group(1)), {}).setdefault(m.group(2), {})
            continue
        f = line.split()
        if cur is not None and len(f) == 2 and f[0] in ("present", "cma", "spanned"):
            cur.setdefault(f[0], int(f[1]))
        elif cur is not None and len(f) == 3 and f[:2] == ["pages", "free"]:
            cur.setdefault("free", int(f[2]))
    return res
