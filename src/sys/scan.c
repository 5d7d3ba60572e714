// SPDX-License-Identifier: MIT
/*
 * Building the inventory from the tree (doc/inputs.md): blocks from
 * sys/devices/system/memory, groups from /proc/iomem (virtioN, daxX.Y) and
 * firmware_node links (ACPI DIMMs), the early/hotplugged classification
 * (persisted per boot under run/memhotd) and the KERNEL_EARLY calibration
 * from /proc/zoneinfo.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memhotd/groups.h"
#include "memhotd/log.h"
#include "memhotd/parse.h"
#include "memhotd/scan.h"
#include "memhotd/util.h"

#define CLASS_FILE MH_RUNTIME_DIR "/classification"
#define BOOT_ID_MAX 64

/* ---- facts for the groups (groups.c decides) ---- */

/* Lazily gathered group facts (an unreadable or malformed /proc/iomem is
 * empty) and whether DIMM slots exist, for the duration of one scan. */
struct facts_cache {
	bool loaded;
	struct mh_iomem io;
	bool *virtio_is_mem; /* per io entry */
	struct mh_group_facts f;
	int dimm_slots; /* 0 unknown, 1 yes, -1 no */
};

static bool dimm_slots(const struct mh_root *r, struct facts_cache *c)
{
	if (!c->dimm_slots)
		c->dimm_slots = mh_sysfs_has_dimm_slots(r) ? 1 : -1;
	return c->dimm_slots > 0;
}

/* sys/bus/virtio/devices/NAME/device is 0x0018, or absent from the tree. */
static bool virtio_is_mem(const struct mh_root *r, const char *name)
{
	char path[128], buf[32];
	uint64_t id;
	ssize_t n;

	snprintf(path, sizeof(path), "sys/bus/virtio/devices/%s/device", name);
	n = mh_read_small(r, path, buf, sizeof(buf));
	if (n == -ENOENT)
		return true;
	if (n < 0 || mh_parse_phys_index(buf, (size_t)n, &id) < 0)
		return false;
	return id == 0x18;
}

/* virtio_mem.bbm_block_size in bytes, 0 if unset or unreadable. */
static uint64_t bbm_block_size(const struct mh_root *r)
{
	char buf[64], *end;
	unsigned long long v;
	ssize_t n;

	n = mh_read_small(r, "sys/module/virtio_mem/parameters/bbm_block_size",
			  buf, sizeof(buf));
	if (n <= 0)
		return 0;
	errno = 0;
	v = strtoull(buf, &end, 0);
	return errno || end == buf ? 0 : v;
}

static const struct mh_group_facts *facts_get(const struct mh_root *r,
					      const struct mh_inventory *inv,
					      struct facts_cache *c)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (c->loaded)
		return &c->f;
	c->loaded = true;
	memset(&c->io, 0, sizeof(c->io));
	c->f = (struct mh_group_facts){
		.io = &c->io,
		.bbm_block_size = bbm_block_size(r),
		.block_size = inv->block_size_bytes,
		.page_size = MH_PAGE_SIZE,
	};
	if (mh_read_all(r, "proc/iomem", &text, &len) < 0)
		return &c->f;
	if (mh_parse_iomem(text, len, &c->io) < 0) {
		memset(&c->io, 0, sizeof(c->io));
		return &c->f;
	}
	/* Without memory for the device facts every virtioN counts as
	 * virtio-mem (the facts' NULL). */
	c->virtio_is_mem = calloc(c->io.nr ? c->io.nr : 1, sizeof(bool));
	for (size_t i = 0; c->virtio_is_mem && i < c->io.nr; i++)
		if (c->io.entries[i].kind == MH_IOMEM_VIRTIO)
			c->virtio_is_mem[i] =
				virtio_is_mem(r, c->io.entries[i].name);
	c->f.virtio_is_mem = c->virtio_is_mem;
	return &c->f;
}

static void facts_release(struct facts_cache *c)
{
	if (c->loaded)
		mh_iomem_free(&c->io);
	free(c->virtio_is_mem);
	memset(c, 0, sizeof(*c));
}

/* Resolves b's group: iomem first, then (only if needed) the DIMM facts. */
static int resolve_group(const struct mh_root *r, struct mh_inventory *inv,
			 struct mh_block *b, struct facts_cache *fc)
{
	struct mh_dimm_facts dimm = {0};
	const struct mh_group_facts *f;
	int ret;

	/* The known regions first: /proc/iomem only when they fail. */
	ret = mh_groups_resolve(inv, NULL, b, NULL);
	if (ret != -ENOENT)
		return ret;
	f = facts_get(r, inv, fc);
	ret = mh_groups_resolve(inv, f, b, NULL);
	if (ret != -ENOENT)
		return ret;
	dimm.link = mh_sysfs_block_dimm(r, b->id, dimm.name, sizeof(dimm.name));
	if (dimm.link == 0)
		dimm.bound_blocks = mh_sysfs_dimm_bound_blocks(r, dimm.name);
	else if (dimm.link == -ENOENT)
		dimm.slots = dimm_slots(r, fc);
	return mh_groups_resolve(inv, f, b, &dimm);
}

int mh_scan_resolve_group(const struct mh_root *r, struct mh_inventory *inv,
			  struct mh_block *b)
{
	struct facts_cache fc = {0};
	int ret;

	if (!r || !inv || !b)
		return -EINVAL;
	ret = resolve_group(r, inv, b, &fc);
	facts_release(&fc);
	return ret;
}

/* ---- classification ---- */

struct classification {
	struct mh_id_range *r;
	size_t nr;
};

static bool class_has(const struct classification *c, uint64_t id)
{
	size_t lo = 0, hi = c->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->r[mid].last < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nr && c->r[lo].first <= id;
}

static int cmp_range(const void *a, const void *b)
{
	const struct mh_id_range *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

int mh_scan_parse_classification(const char *text, size_t len,
				 const char *boot_id,
				 struct mh_id_range **ranges, size_t *nr)
{
	const char *nl = text ? memchr(text, '\n', len) : NULL;
	struct mh_id_range *v = NULL;
	size_t n = 0, cap = 0, pos, bl = strlen(boot_id);
	size_t i;

	if (!nl || bl == 0 || (size_t)(nl - text) != bl ||
	    memcmp(text, boot_id, bl) != 0)
		return nl ? -ESTALE : -EINVAL;
	/* Every line the daemon writes ends in a newline: without one the
	 * file was cut short. */
	if (text[len - 1] != '\n')
		return -EINVAL;
	pos = bl + 1;
	while (pos < len) {
		struct mh_id_range x;
		char *end;
		char tmp[48];
		size_t l = 0;

		if (text[pos] == '\n' || text[pos] == ',' || text[pos] == ' ') {
			pos++;
			continue;
		}
		/* The whole token, however long: a longer one than any
		 * "first-last" of two 20-digit numbers is rejected, never
		 * split into two tokens. */
		while (pos + l < len && text[pos + l] != '\n' &&
		       text[pos + l] != ',' && text[pos + l] != ' ')
			l++;
		if (l >= sizeof(tmp))
			goto bad;
		memcpy(tmp, text + pos, l);
		tmp[l] = '\0';
		pos += l;
		if (tmp[0] < '0' || tmp[0] > '9')
			goto bad;
		errno = 0;
		x.first = strtoull(tmp, &end, 10);
		x.last = x.first;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				goto bad;
			x.last = strtoull(end + 1, &end, 10);
		}
		if (errno || *end || x.last < x.first)
			goto bad;
		if (MH_GROW(v, cap, n + 1) < 0) {
			free(v);
			return -ENOMEM;
		}
		v[n++] = x;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_range);
	for (i = 1; i < n; i++)
		if (v[i].first <= v[i - 1].last)
			goto bad;
	*ranges = v;
	*nr = n;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

/* Moves a damaged classification file aside (as .corrupt) so that the next
 * save does not silently replace the evidence. */
static void set_aside(const struct mh_root *r, const char *why)
{
	if (renameat(r->dirfd, CLASS_FILE, r->dirfd, CLASS_FILE ".corrupt") <
	    0) {
		mh_err("classification file %s/%s is %s and cannot be moved "
		       "aside: %s; hotplugged memory is classified afresh",
		       r->path, CLASS_FILE, why, strerror(errno));
		return;
	}
	mh_err("classification file %s/%s is %s: kept as %s.corrupt, "
	       "hotplugged memory is classified afresh (online blocks of no "
	       "device count as boot memory)",
	       r->path, CLASS_FILE, why, CLASS_FILE);
}

/* Removes classification.<pid>.tmp files that a killed run left behind. */
static void remove_stale_tmp(const struct mh_root *r)
{
	char self[64], name[300];
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(r->dirfd, MH_RUNTIME_DIR,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	snprintf(self, sizeof(self), "classification.%ld.tmp", (long)getpid());
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (strncmp(de->d_name, "classification.", 15) != 0 || l < 20 ||
		    strcmp(de->d_name + l - 4, ".tmp") != 0 ||
		    strcmp(de->d_name, self) == 0)
			continue;
		snprintf(name, sizeof(name), "%s", de->d_name);
		if (unlinkat(dirfd(d), name, 0) == 0)
			mh_notice("removed %s/%s/%s left by an earlier run",
				  r->path, MH_RUNTIME_DIR, name);
	}
	closedir(d);
}

/* Largest classification file accepted: far more than any real one. */
#define CLASS_MAX_BYTES (16u * 1024 * 1024)

static int load_classification(const struct mh_root *r, const char *boot_id,
			       struct classification *c, bool persist)
{
	char *text;
	size_t len;
	int ret;

	memset(c, 0, sizeof(*c));
	if (persist)
		remove_stale_tmp(r);
	if (!*boot_id)
		return -ESTALE;
	ret = mh_read_file(r, CLASS_FILE, CLASS_MAX_BYTES, &text, &len);
	if (ret == -ENOENT)
		return ret;
	if (ret < 0) {
		if (persist)
			set_aside(r, ret == -EISDIR   ? "a directory"
				     : ret == -EINVAL ? "not a regular file"
				     : ret == -EFBIG  ? "too large"
						      : "unreadable");
		return ret;
	}
	ret = mh_scan_parse_classification(text, len, boot_id, &c->r, &c->nr);
	free(text);
	/* -ESTALE: an earlier boot's file, replaced as a matter of course */
	if (ret == -EINVAL && persist)
		set_aside(r, "truncated or malformed");
	return ret;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

struct save_ctx {
	char *buf;
	size_t len, cap;
	bool open;
	uint64_t first, last;
	int err;
};

static void save_append(struct save_ctx *s, const char *str)
{
	size_t n = strlen(str);

	if (s->err)
		return;
	if (MH_GROW(s->buf, s->cap, s->len + n + 1) < 0) {
		s->err = -ENOMEM;
		return;
	}
	memcpy(s->buf + s->len, str, n + 1);
	s->len += n;
}

static void save_flush(struct save_ctx *s)
{
	char line[64];

	if (!s->open)
		return;
	if (s->first == s->last)
		snprintf(line, sizeof(line), "%llu\n",
			 (unsigned long long)s->first);
	else
		snprintf(line, sizeof(line), "%llu-%llu\n",
			 (unsigned long long)s->first,
			 (unsigned long long)s->last);
	save_append(s, line);
	s->open = false;
}

static int save_cb(struct mh_block *b, void *ctx)
{
	struct save_ctx *s = ctx;

	if (!b->hotplugged)
		return 0;
	if (s->open && b->id == s->last + 1) {
		s->last = b->id;
		return 0;
	}
	save_flush(s);
	s->open = true;
	s->first = s->last = b->id;
	return 0;
}

static int mkdir_rel(const struct mh_root *r, const char *rel)
{
	if (mkdirat(r->dirfd, rel, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int mh_scan_save_classification(const struct mh_root *r,
				const struct mh_inventory *inv)
{
	struct save_ctx s = {0};
	char boot_id[BOOT_ID_MAX], tmp[64];
	int fd, ret;

	if (!r || !inv)
		return -EINVAL;
	ret = mh_sysfs_boot_id(r, boot_id, sizeof(boot_id));
	if (ret < 0)
		return ret;
	save_append(&s, boot_id);
	save_append(&s, "\n");
	mh_inv_for_each_block(inv, save_cb, &s);
	save_flush(&s);
	if (s.err) {
		free(s.buf);
		return s.err;
	}
	if ((ret = mkdir_rel(r, "run")) < 0 ||
	    (ret = mkdir_rel(r, MH_RUNTIME_DIR)) < 0) {
		free(s.buf);
		return ret;
	}
	snprintf(tmp, sizeof(tmp), CLASS_FILE ".%ld.tmp", (long)getpid());
	fd = openat(r->dirfd, tmp,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    0644);
	if (fd < 0) {
		free(s.buf);
		return -errno;
	}
	ret = write_all(fd, s.buf, s.len);
	free(s.buf);
	/* Durable before it is in place: the rename never exposes a file
	 * whose data a crash of the machine could still lose. */
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && renameat(r->dirfd, tmp, r->dirfd, CLASS_FILE) < 0)
		ret = -errno;
	if (ret) {
		unlinkat(r->dirfd, tmp, 0);
		return ret;
	}
	/* And the rename itself. */
	fd = openat(r->dirfd, MH_RUNTIME_DIR,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* ---- blocks ---- */

int mh_scan_block(const struct mh_root *r, struct mh_inventory *inv,
		  uint64_t id, bool hotplugged)
{
	struct facts_cache fc = {0};
	enum mh_block_state s;
	enum mh_zone z = MH_ZONE_UNKNOWN;
	struct mh_block *b;
	int ret, nid;

	if (!r || !inv)
		return -EINVAL;
	ret = mh_sysfs_block_state(r, id, &s);
	if (ret == -ENOENT)
		return -ENOENT;
	if (ret < 0)
		return ret;
	if (s == MH_BLOCK_ONLINE) {
		ret = mh_sysfs_block_zone(r, id, &z);
		if (ret == -ENOENT)
			return -ENOENT;
		if (ret < 0)
			z = MH_ZONE_UNKNOWN;
	}
	b = mh_inv_block(inv, id);
	if (!b) {
		b = mh_inv_add_block(inv, id, hotplugged);
		if (!b)
			return -ENOMEM;
		b->first_seen_usec = mh_now_usec();
	}
	if (b->nid < 0) {
		const struct mh_block *prev =
			id ? mh_inv_block(inv, id - 1) : NULL;

		ret = mh_sysfs_block_node_hint(r, id, prev ? prev->nid : -1,
					       &nid);
		if (ret == -ENODEV)
			return -ENOENT;
		if (ret == 0 && (ret = mh_inv_set_node(inv, b, nid)) < 0)
			return ret;
	}
	if (!b->group_resolved) {
		ret = resolve_group(r, inv, b, &fc);
		facts_release(&fc);
		if (ret < 0 && ret != -EAGAIN)
			return ret;
	}
	switch (s) {
	case MH_BLOCK_ONLINE:
		if (b->state != MH_BLOCK_ONLINE || b->zone != z)
			mh_inv_set_online(inv, b, z,
					  b->state == MH_BLOCK_ONLINE
						  ? b->onlined_by
						  : MH_BY_UNKNOWN);
		break;
	case MH_BLOCK_OFFLINE:
		if (b->state != MH_BLOCK_OFFLINE)
			mh_inv_set_offline(inv, b);
		break;
	case MH_BLOCK_GOING_OFFLINE:
		/* Its sections stay online until offlining completes. */
		if (b->state != MH_BLOCK_ONLINE)
			b->state = MH_BLOCK_GOING_OFFLINE;
		break;
	}
	return 0;
}

/* ---- full scan ---- */

static int scan_full(const struct mh_root *r, struct mh_inventory *inv,
		     bool persist)
{
	struct classification cls = {0};
	struct facts_cache fc = {0};
	const struct mh_group_facts *f;
	char boot_id[BOOT_ID_MAX] = "";
	uint64_t bs, *ids = NULL, now;
	bool have_cls;
	size_t n = 0, i;
	int ret;

	if (!r || !inv)
		return -EINVAL;
	/* mh_inv_free() is safe on inv whatever this returns */
	memset(inv, 0, sizeof(*inv));
	ret = mh_sysfs_block_size(r, &bs);
	if (ret < 0)
		return ret;
	ret = mh_inv_init(inv, bs);
	if (ret < 0)
		return ret;
	if (mh_sysfs_boot_id(r, boot_id, sizeof(boot_id)) < 0)
		boot_id[0] = '\0';
	have_cls = load_classification(r, boot_id, &cls, persist) == 0;
	f = facts_get(r, inv, &fc);
	mh_groups_from_iomem(inv, f);
	ret = mh_sysfs_list_blocks(r, &ids, &n);
	if (ret < 0)
		goto out;
	now = mh_now_usec();
	for (i = 0; i < n; i++) {
		uint64_t id = ids[i], addr = id * bs;
		enum mh_block_state s;
		enum mh_zone z = MH_ZONE_UNKNOWN;
		struct mh_class_facts cf = {0};
		struct mh_block *b;
		bool hot;
		int nid;

		ret = mh_sysfs_block_state(r, id, &s);
		if (ret == -ENOENT)
			continue; /* removed under us */
		if (ret < 0)
			goto out;
		if (s == MH_BLOCK_ONLINE && mh_sysfs_block_zone(r, id, &z) < 0)
			z = MH_ZONE_UNKNOWN;
		/* doc/inputs.md 4.1; rule 3 (DIMM) once the group is known */
		cf.state = s;
		cf.in_hotplug_resource =
			mh_iomem_in_hotplug_resource(f->io, addr);
		cf.persisted = have_cls && class_has(&cls, id);
		hot = mh_classify(&cf) != MH_CLASS_EARLY;
		b = mh_inv_add_block(inv, id, hot);
		if (!b) {
			ret = -ENOMEM;
			goto out;
		}
		b->first_seen_usec = now;
		if (mh_sysfs_block_node(r, id, &nid) == 0) {
			ret = mh_inv_set_node(inv, b, nid);
			if (ret < 0)
				goto out;
		}
		ret = resolve_group(r, inv, b, &fc);
		if (ret < 0 && ret != -EAGAIN)
			goto out;
		/* Early memory has no group (and never gets a
		 * firmware_node in a VM): do not wait for one. */
		if (ret == -EAGAIN && !hot)
			mh_inv_set_group(inv, b, -1);
		/* The block is still offline here: accounting-neutral. */
		cf.dimm_member = b->group >= 0 &&
				 inv->groups[b->group].kind == MH_GROUP_DIMM;
		b->hotplugged = mh_classify(&cf) != MH_CLASS_EARLY;
		if (s == MH_BLOCK_ONLINE)
			mh_inv_set_online(inv, b, z,
					  b->hotplugged ? MH_BY_UNKNOWN
							: MH_BY_BOOT);
		else if (s == MH_BLOCK_GOING_OFFLINE)
			b->state = MH_BLOCK_GOING_OFFLINE;
	}
	/* Best effort: without it the next start classifies afresh. */
	if (persist)
		mh_scan_save_classification(r, inv);
	ret = mh_scan_calibrate(r, inv);
out:
	free(ids);
	free(cls.r);
	facts_release(&fc);
	return ret;
}

int mh_scan_full(const struct mh_root *r, struct mh_inventory *inv)
{
	return scan_full(r, inv, true);
}

int mh_scan_full_readonly(const struct mh_root *r, struct mh_inventory *inv)
{
	return scan_full(r, inv, false);
}

int mh_scan_calibrate(const struct mh_root *r, struct mh_inventory *inv)
{
	struct mh_zoneinfo zi;
	char *text, msg[160];
	size_t len;
	int ret, max, nid, result = 0;

	if (!r || !inv)
		return -EINVAL;
	ret = mh_read_all(r, "proc/zoneinfo", &text, &len);
	if (ret < 0)
		return ret;
	ret = mh_parse_zoneinfo_msg(text, len, &zi, msg, sizeof(msg));
	free(text);
	if (ret < 0) {
		mh_err("%s/proc/zoneinfo: %s", r->path, msg);
		return ret == -ENOMEM ? ret : -EBADMSG;
	}
	max = mh_zoneinfo_max_nid(&zi);
	for (nid = 0; nid <= max; nid++) {
		struct mh_zoneinfo_node_sums sums;
		bool listed = false;
		size_t i;

		for (i = 0; i < zi.nr && !listed; i++)
			listed = zi.zones[i].nid == nid;
		if (!listed)
			continue;
		mh_zoneinfo_node_sums(&zi, nid, &sums);
		ret = mh_inv_ensure_node(inv, nid);
		if (ret < 0) {
			result = ret;
			break;
		}
		/* KE = sum(present - cma) - H(n) must not be negative:
		 * a misclassified block or a stale inventory. */
		if (sums.kernel_present - sums.kernel_cma <
		    inv->nodes[nid].hot_kernel)
			result = -ERANGE;
		mh_inv_calibrate(inv, nid, sums.kernel_present, sums.kernel_cma,
				 sums.movable_present);
		/* contig-zones spans; an unpopulated zone is empty */
		for (i = 0; i < zi.nr; i++) {
			const struct mh_zoneinfo_zone *z = &zi.zones[i];

			if (z->nid == nid)
				mh_inv_set_zone_span(
					inv, nid, z->zone, z->start_pfn,
					z->populated ? z->spanned : 0);
		}
	}
	mh_zoneinfo_free(&zi);
	return result;
}
