#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a simulated sysfs/proc tree for a coldplug measurement of the whole
daemon (bench/coldplug_daemon.sh): a q35 guest with 4 GiB of boot memory
(tests/data/zoneinfo-q35-4g.txt) and one virtio-mem device with N offline
128 MiB blocks from memory48 on, all with their node0 link.

    bench/coldplug_tree.py N DIR
"""
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def block(mem, i, state, zones):
    d = f"{mem}/memory{i}"
    os.mkdir(d)
    with open(f"{d}/state", "w") as f:
        f.write(state + "\n")
    with open(f"{d}/phys_index", "w") as f:
        f.write("%08x\n" % i)
    with open(f"{d}/valid_zones", "w") as f:
        f.write(zones + "\n")
    os.symlink("../../node/node0", f"{d}/node0")


def main():
    n, root = int(sys.argv[1]), sys.argv[2]
    shutil.rmtree(root, ignore_errors=True)
    mem = f"{root}/sys/devices/system/memory"
    for d in (mem, f"{root}/sys/devices/system/node/node0",
              f"{root}/proc/sys/kernel/random", f"{root}/run",
              f"{root}/sys/bus/virtio/devices/virtio0"):
        os.makedirs(d)
    files = {
        f"{mem}/block_size_bytes": "8000000\n",
        f"{root}/proc/sys/kernel/random/boot_id":
            "11111111-2222-3333-4444-555555555555\n",
        f"{root}/sys/bus/virtio/devices/virtio0/device": "0x0018\n",
        f"{root}/memhotd.conf": "",
    }
    end = 0x180000000 + n * (128 << 20) - 1
    files[f"{root}/proc/iomem"] = (
        "00000000-00000fff : Reserved\n"
        "00001000-0009fbff : System RAM\n"
        "00100000-7ffdffff : System RAM\n"
        "100000000-17fffffff : System RAM\n"
        f"180000000-{end:x} : virtio0\n"
        f"  180000000-{end:x} : System RAM (virtio_mem)\n")
    for path, text in files.items():
        with open(path, "w") as f:
            f.write(text)
    shutil.copy(os.path.join(HERE, "..", "tests", "data",
                             "zoneinfo-q35-4g.txt"), f"{root}/proc/zoneinfo")
    block(mem, 0, "online", "none")
    for i in range(1, 16):
        block(mem, i, "online", "DMA32")
    for i in range(32, 48):
        block(mem, i, "online", "Normal")
    for i in range(48, 48 + n):
        block(mem, i, "offline", "Movable Normal")


if __name__ == "__main__":
    main()
