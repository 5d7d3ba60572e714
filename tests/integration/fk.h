/* SPDX-License-Identifier: MIT */
/*
 * The simulated kernel of the integration tests: a tree that looks like a
 * Debian 6.1 q35 guest (tests/data/captures/) and the operations the
 * kernel performs on it.  Shared by fakekernel.so (preloaded into the
 * daemon: state writes, libudev) and the test harness (hotplug driver).
 *
 * The state lives in the tree itself (state, valid_zones, links,
 * proc/zoneinfo, proc/iomem) plus a control directory:
 *   DIR/uevents   FIFO of struct fk_uevent records (the netlink socket)
 *   DIR/lock      flock(2) = device_hotplug_lock
 *   DIR/devices   hotplug devices (virtio-mem, DIMMs, dax), one per line
 *   DIR/inject/memoryN  "<what> <count>" errno injection for state writes
 *   DIR/policy_zone  "Movable"/"Normal": the kernel's auto-movable answer
 *                 for new blocks (valid_zones, auto-online), used while
 *                 the tree's online_policy parameter is auto-movable
 *   DIR/log       what the daemon did to the fake kernel, one line each;
 *                 lines starting with "VIOLATION" fail every test
 *   DIR/enabled   created by udev_monitor_enable_receiving
 * Every operation refuses paths outside the tree.
 */
#ifndef FK_H
#define FK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FK_BLOCK_BYTES (128ULL << 20)
#define FK_BLOCK_PAGES 32768ULL
#define FK_MAX_NODES 4
#define FK_MAX_DEVICES 16
#define FK_MAX_BLOCK 4096

enum fk_zone_idx {
	FK_DMA = 0,
	FK_DMA32,
	FK_NORMAL,
	FK_MOVABLE,
	FK_DEVICE,
	FK_NR_ZONES
};

struct fk_zone {
	uint64_t free, spanned, present, managed, cma, start_pfn;
};

struct fk_zoneinfo {
	int nr_nodes;
	struct fk_zone z[FK_MAX_NODES][FK_NR_ZONES];
};

enum fk_dev_kind { FK_DEV_VIRTIO = 0, FK_DEV_DIMM, FK_DEV_DAX };

struct fk_device {
	enum fk_dev_kind kind;
	char name[32];	      /* virtio0, PNP0C80:00, dax0.0 */
	uint64_t first_block; /* region start */
	uint64_t nr_blocks;   /* region size */
	int nid;
	int plugged; /* DIMM/dax: resource registered */
};

struct fk_uevent {
	char magic[4]; /* "FKUE" */
	char action[12];
	char subsystem[16];
	char sysname[32];
};

#define FK_ACTION_OVERFLOW "overflow"

struct fk {
	char root[4096]; /* realpath of the tree root */
	char dir[4096];	 /* realpath of the control directory */
	int lockfd;
	int fifo_w;
	int locked;
};

/* Opens the handles of an existing tree (paths are realpath'd). */
int fk_open(struct fk *k, const char *root, const char *dir);
void fk_close(struct fk *k);

/* Base trees (doc/inputs.md 3.2): 4 GiB q35, one node or two nodes (2G
 * each). */
enum fk_base { FK_BASE_Q35_4G = 0, FK_BASE_Q35_4G_2NODES };
/* Creates root and dir (both must exist and be empty) with the base tree. */
int fk_create(const char *root, const char *dir, enum fk_base base,
	      int dimm_slots);

int fk_lock(struct fk *k);
void fk_unlock(struct fk *k);

/* Appends a uevent record to the FIFO (0, or -errno; -EAGAIN = overflow). */
int fk_emit(struct fk *k, const char *action, const char *subsystem,
	    const char *sysname);
int fk_emit_block(struct fk *k, const char *action, uint64_t id);

/* Appends one line to DIR/log. */
void fk_log(struct fk *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Paths. */
int fk_path(const struct fk *k, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int fk_read_file(const char *path, char *buf, size_t len);
int fk_write_file(const char *path, const char *s);

/* Blocks. All of these expect the caller to hold the lock. */
bool fk_block_exists(struct fk *k, uint64_t id);
/* Creates memoryN offline; nid < 0: no nodeN link yet. */
int fk_block_create(struct fk *k, uint64_t id, int nid);
int fk_block_link_node(struct fk *k, uint64_t id, int nid);
int fk_block_link_dimm(struct fk *k, uint64_t id, const char *dimm, int index);
/* -1: no link */
int fk_block_nid(struct fk *k, uint64_t id);
/* 1 online, 0 offline, -errno */
int fk_block_is_online(struct fk *k, uint64_t id);
/* The valid_zones word of an online block (static string) or NULL. */
const char *fk_block_zone(struct fk *k, uint64_t id);
/*
 * What state_store does: "online_movable", "online_kernel", "offline".
 * Returns 0 or a positive errno; emits the uevent on success.
 */
int fk_block_online(struct fk *k, uint64_t id, bool movable);
int fk_block_offline(struct fk *k, uint64_t id);
/*
 * The kernel's auto-online inside add_memory_resource(): if the tree's
 * auto_online_blocks is not "offline", onlines block id (which must have
 * its node link) as the kernel would: online_movable/online_kernel as
 * named, plain "online" by the policy (DIR/policy_zone while the
 * online_policy parameter is auto-movable, else the kernel zone).
 * 1 onlined, 0 left offline, -errno.  Caller holds the lock.
 */
int fk_auto_online(struct fk *k, uint64_t id);
/* offline (if online) + remove uevent + directory gone. */
int fk_block_remove(struct fk *k, uint64_t id);

/* zoneinfo model */
int fk_zoneinfo_load(struct fk *k, struct fk_zoneinfo *zi);
int fk_zoneinfo_store(struct fk *k, const struct fk_zoneinfo *zi);
int fk_zoneinfo_render(const struct fk_zoneinfo *zi, char *buf, size_t len);
int fk_zoneinfo_parse(const char *text, struct fk_zoneinfo *zi);
const char *fk_zone_name(int zidx);

/* devices and /proc/iomem */
int fk_devices_load(struct fk *k, struct fk_device *devs, int *nr);
int fk_devices_store(struct fk *k, const struct fk_device *devs, int nr);
int fk_iomem_update(struct fk *k);

/* Errno injection: consume one injection for block id. */
enum fk_inject {
	FK_INJ_NONE = 0,
	FK_INJ_ERRNO,	     /* fail with err */
	FK_INJ_VANISH,	     /* block removed between open and write: ENODEV */
	FK_INJ_RACE_MOVABLE, /* someone else onlines first: EINVAL */
	FK_INJ_RACE_KERNEL,
};
enum fk_inject fk_inject_take(struct fk *k, uint64_t id, int *err);
/* count < 0: forever */
int fk_inject_set(struct fk *k, uint64_t id, const char *what, int count);

int fk_errno_from_name(const char *s);

#endif
