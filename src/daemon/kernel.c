// SPDX-License-Identifier: MIT
/* Kernel facts and cooperation with the kernel's own onlining (kernel.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memhotd/daemon.h"
#include "memhotd/inventory.h"
#include "memhotd/journal.h"
#include "memhotd/kernel.h"
#include "memhotd/log.h"
#include "memhotd/onliner.h"
#include "memhotd/parse.h"
#include "memhotd/scan.h"

#define KERNEL_UNIT_MAX (1U << 20) /* as sched.c's MH_UNIT_MAX */

/*
 * Writes "s\n" as echo(1) does: O_TRUNC, one write.  Real sysfs ignores
 * the truncation; a simulated tree's plain file then holds exactly the
 * value.  0 or -errno.
 */
static int write_value(const struct mh_root *r, const char *rel, const char *s)
{
	char buf[128];
	int n, fd, err = 0;
	ssize_t w;

	n = snprintf(buf, sizeof(buf), "%s\n", s);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	fd = openat(r->dirfd, rel, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	w = write(fd, buf, (size_t)n);
	if (w < 0)
		err = -errno;
	else if (w != n)
		err = -EIO;
	close(fd);
	return err;
}

/* ---- page size ---- */

static bool valid_page_size(uint64_t v)
{
	return v >= 4096 && v <= (1ULL << 30) && !(v & (v - 1));
}

int mh_kernel_page_size(const struct mh_root *r, uint64_t *bytes)
{
	char buf[64];
	ssize_t n;
	uint64_t v = 0;
	long sys;

	if (strcmp(r->path, "/") != 0) {
		n = mh_read_small(r, MH_KERNEL_PAGE_SIZE_FILE, buf,
				  sizeof(buf));
		if (n >= 0) {
			char *end;

			errno = 0;
			v = strtoull(buf, &end, 10);
			while (*end == '\n' || *end == ' ')
				end++;
			if (errno || end == buf || *end || !valid_page_size(v))
				return -EINVAL;
			*bytes = v;
			return 0;
		}
		if (n != -ENOENT)
			return (int)n;
	}
	sys = sysconf(_SC_PAGESIZE);
	if (sys <= 0 || !valid_page_size((uint64_t)sys))
		return -EINVAL;
	*bytes = (uint64_t)sys;
	return 0;
}

/* ---- facts ---- */

static int read_word(const struct mh_root *r, const char *rel, char *buf,
		     size_t len)
{
	char raw[256];
	ssize_t n = mh_read_small(r, rel, raw, sizeof(raw));
	size_t i = 0, j;

	if (n < 0)
		return (int)n;
	while (i < (size_t)n && isspace((unsigned char)raw[i]))
		i++;
	for (j = 0;
	     i < (size_t)n && !isspace((unsigned char)raw[i]) && j + 1 < len;
	     i++)
		buf[j++] = raw[i];
	buf[j] = '\0';
	return 0;
}

int mh_kernel_release(const struct mh_root *r, char *buf, size_t len)
{
	return read_word(r, "proc/sys/kernel/osrelease", buf, len);
}

int mh_kernel_parse_release(const char *s, unsigned int *major,
			    unsigned int *minor)
{
	unsigned long a, b;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	a = strtoul(s, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return -EINVAL;
	b = strtoul(end + 1, &end, 10);
	if (a > 1000 || b > 1000)
		return -EINVAL;
	*major = (unsigned int)a;
	*minor = (unsigned int)b;
	return 0;
}

bool mh_kernel_has_policy(const struct mh_root *r)
{
	return mh_path_exists(r, MH_KERNEL_PARAMS "/online_policy");
}

int mh_kernel_auto_online(const struct mh_root *r, char *buf, size_t len)
{
	return read_word(r, MH_KERNEL_AOB, buf, len);
}

bool mh_kernel_expressible(const struct mh_policy_config *p, char *why,
			   size_t len)
{
	switch (p->policy) {
	case MH_POLICY_AUTO_MOVABLE:
		return true;
	case MH_POLICY_CONTIG_ZONES:
		/* movable_node is a boot parameter of the kernel; memhotd
		 * reads the same one, so contig-zones is the kernel's. */
		return true;
	case MH_POLICY_MOVABLE:
	case MH_POLICY_KERNEL:
		break;
	}
	snprintf(why, len,
		 "online_policy = %s is memhotd's own policy; the kernel's "
		 "online_policy only knows auto-movable and contig-zones",
		 mh_policy_name(p->policy));
	return false;
}

static int mirror_one(const struct mh_root *r, const char *name,
		      const char *want)
{
	char rel[128], cur[64] = "";
	int err;

	snprintf(rel, sizeof(rel), MH_KERNEL_PARAMS "/%s", name);
	if (read_word(r, rel, cur, sizeof(cur)) == 0 && !strcmp(cur, want))
		return 0;
	err = write_value(r, rel, want);
	if (err < 0) {
		mh_err("cannot write %s to /%s: %s", want, rel, strerror(-err));
		return err;
	}
	mh_notice("kernel: set /%s from '%s' to '%s' (mirroring [policy]; "
		  "not restored on exit)",
		  rel, cur, want);
	return 0;
}

int mh_kernel_mirror(const struct mh_root *r, const struct mh_policy_config *p)
{
	char ratio[16];
	int err;

	err = mirror_one(r, "online_policy",
			 p->policy == MH_POLICY_AUTO_MOVABLE ? "auto-movable"
							     : "contig-zones");
	if (err || p->policy != MH_POLICY_AUTO_MOVABLE)
		return err;
	snprintf(ratio, sizeof(ratio), "%u", p->ratio);
	err = mirror_one(r, "auto_movable_ratio", ratio);
	if (err)
		return err;
	return mirror_one(r, "auto_movable_numa_aware",
			  p->numa_aware ? "Y" : "N");
}

int mh_kernel_valid_zones_first(const struct mh_root *r, uint64_t id,
				enum mh_zone *z)
{
	enum mh_block_state s;
	int nid, err;

	/* The link first: valid_zones of a block without one crashes 6.1. */
	err = mh_sysfs_block_node(r, id, &nid);
	if (err == -ENOENT)
		return -EAGAIN;
	if (err < 0)
		return err;
	err = mh_sysfs_block_state(r, id, &s);
	if (err < 0)
		return err;
	if (s != MH_BLOCK_OFFLINE)
		return -EBUSY;
	return mh_sysfs_block_zone(r, id, z);
}

int mh_kernel_check_delegate(const struct mh_kernel *k,
			     const struct mh_policy_config *p, char *err,
			     size_t len)
{
	char why[256];

	if (!k->has_policy) {
		snprintf(err, len,
			 "[policy] mode = delegate: this kernel (%s) has no "
			 "online policy to delegate to (/sys/module/"
			 "memory_hotplug/parameters/online_policy is missing; "
			 "it appeared in Linux 5.15); use mode = online",
			 k->release[0] ? k->release : "unknown release");
		return -EOPNOTSUPP;
	}
	if (!mh_kernel_expressible(p, why, sizeof(why))) {
		snprintf(err, len,
			 "[policy] mode = delegate: the kernel cannot express "
			 "this configuration: %s; use mode = online",
			 why);
		return -EINVAL;
	}
	return 0;
}

/* ---- kernel_onlined ---- */

struct mh_kernel_onlined *mh_kernel_find_onlined(const struct mh_kernel *k,
						 uint64_t block)
{
	size_t lo = 0, hi = k->nr_onlined;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->onlined[mid].block == block)
			return &k->onlined[mid];
		if (k->onlined[mid].block < block)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int mh_kernel_note_onlined(struct mh_kernel *k, uint64_t block,
			   enum mh_zone zone)
{
	struct mh_kernel_onlined *e = mh_kernel_find_onlined(k, block);
	size_t i;

	if (e) {
		e->zone = zone;
		return 0;
	}
	if (k->nr_onlined == k->cap_onlined) {
		size_t cap = k->cap_onlined ? k->cap_onlined * 2 : 16;
		void *p = realloc(k->onlined, cap * sizeof(*k->onlined));

		if (!p)
			return -ENOMEM;
		k->onlined = p;
		k->cap_onlined = cap;
	}
	for (i = k->nr_onlined; i > 0 && k->onlined[i - 1].block > block; i--)
		k->onlined[i] = k->onlined[i - 1];
	k->onlined[i] =
		(struct mh_kernel_onlined){.block = block, .zone = zone};
	k->nr_onlined++;
	return 0;
}

void mh_kernel_forget(struct mh_kernel *k, uint64_t block)
{
	struct mh_kernel_onlined *e = mh_kernel_find_onlined(k, block);
	size_t i;

	if (!e)
		return;
	i = (size_t)(e - k->onlined);
	memmove(&k->onlined[i], &k->onlined[i + 1],
		(k->nr_onlined - i - 1) * sizeof(*k->onlined));
	k->nr_onlined--;
}

void mh_kernel_free(struct mh_kernel *k)
{
	free(k->onlined);
	free(k->unit_buf);
	k->onlined = NULL;
	k->unit_buf = NULL;
	k->nr_onlined = k->cap_onlined = k->unit_cap = 0;
}

/* ---- daemon hooks ---- */

static bool auto_onlines(const char *aob)
{
	return aob[0] && strcmp(aob, "offline") != 0;
}

bool mh_kernel_auto_onlines(const struct mh_kernel *k)
{
	return auto_onlines(k->aob);
}

static int set_auto_online(struct mh_daemon *d, const char *want,
			   const char *why)
{
	struct mh_kernel *k = &d->kernel;
	int err;

	if (d->dry_run) {
		mh_notice("kernel: would set /" MH_KERNEL_AOB
			  " from '%s' to '%s' (%s; dry run)",
			  k->aob, want, why);
		return 0;
	}
	err = write_value(&d->root, MH_KERNEL_AOB, want);
	if (err < 0) {
		mh_err("kernel: cannot write '%s' to /" MH_KERNEL_AOB ": %s",
		       want, strerror(-err));
		return err;
	}
	mh_notice("kernel: set /" MH_KERNEL_AOB " from '%s' to '%s' (%s; "
		  "not restored on exit)",
		  k->aob, want, why);
	snprintf(k->aob, sizeof(k->aob), "%s", want);
	return 0;
}

int mh_kernel_start(struct mh_daemon *d)
{
	struct mh_kernel *k = &d->kernel;
	const struct mh_config *c = &d->config;
	char why[512];
	uint64_t ps;
	int err;

	err = mh_kernel_page_size(&d->root, &ps);
	if (err < 0) {
		mh_err("page size: %s", strerror(-err));
		return err;
	}
	mh_set_page_size(ps);
	k->page_size = ps;
	if (mh_kernel_release(&d->root, k->release, sizeof(k->release)) < 0)
		k->release[0] = '\0';
	k->has_policy = mh_kernel_has_policy(&d->root);
	if (mh_kernel_auto_online(&d->root, k->aob_at_start,
				  sizeof(k->aob_at_start)) < 0)
		k->aob_at_start[0] = '\0';
	snprintf(k->aob, sizeof(k->aob), "%s", k->aob_at_start);
	mh_info("kernel %s, page size %" PRIu64 " bytes, auto-movable policy "
		"%s, auto_online_blocks '%s'",
		k->release[0] ? k->release : "(unknown)", ps,
		k->has_policy ? "available" : "absent (before 5.15)",
		k->aob[0] ? k->aob : "(absent)");

	if (c->mode == MH_MODE_DELEGATE) {
		/* Either refusal is a configuration error (exit status). */
		if (mh_kernel_check_delegate(k, &c->policy, why, sizeof(why)) <
		    0) {
			mh_err("%s", why);
			return -EOPNOTSUPP;
		}
		if (!d->dry_run) {
			err = mh_kernel_mirror(&d->root, &c->policy);
			if (err < 0)
				return err;
			k->mirrored = true;
		}
		if (strcmp(k->aob, "online") != 0) {
			err = set_auto_online(d, "online", "delegate mode");
			if (err < 0)
				return err;
		}
		k->cross_check = k->mirrored && c->cross_check;
		mh_notice("delegate mode: the kernel onlines new blocks with "
			  "its %s policy; memhotd onlines what it leaves "
			  "offline and verifies each zone",
			  mh_policy_name(c->policy.policy));
		return 0;
	}

	if (auto_onlines(k->aob)) {
		if (c->auto_online_blocks == MH_AOB_OFFLINE) {
			if (set_auto_online(d, "offline",
					    "so that memhotd decides every "
					    "block; [kernel] "
					    "auto_online_blocks = leave keeps "
					    "it") < 0)
				mh_warn("the kernel keeps onlining new "
					"blocks itself");
		} else {
			mh_warn("kernel: /" MH_KERNEL_AOB " is '%s': the "
				"kernel onlines new blocks itself before "
				"memhotd can decide; left as is ([kernel] "
				"auto_online_blocks = leave)",
				k->aob);
		}
	}
	if (!c->mirror_policy) {
		mh_info("kernel: policy not mirrored ([kernel] mirror_policy "
			"= false)");
	} else if (!k->has_policy) {
		mh_info("kernel: no auto-movable policy in this kernel: "
			"memhotd's decisions are the only ones; nothing "
			"mirrored, no cross-check");
	} else if (!mh_kernel_expressible(&c->policy, why, sizeof(why))) {
		mh_info("kernel: policy not mirrored: %s", why);
	} else if (d->dry_run) {
		mh_info("kernel: would mirror [policy] into /" MH_KERNEL_PARAMS
			" (dry run)");
	} else if (mh_kernel_mirror(&d->root, &c->policy) == 0) {
		k->mirrored = true;
	}
	k->cross_check = k->mirrored && c->cross_check;
	return 0;
}

void mh_kernel_after_scan(struct mh_daemon *d)
{
	struct mh_kernel *k = &d->kernel;
	struct mh_block *b;
	size_t n = 0;

	if (!auto_onlines(k->aob_at_start))
		return;
	for (b = mh_inv_next_block(&d->inv, 0); b;
	     b = mh_inv_next_block(&d->inv, b->id + 1)) {
		if (!b->hotplugged || b->state != MH_BLOCK_ONLINE ||
		    b->onlined_by == MH_BY_MEMHOTD)
			continue;
		if (mh_kernel_note_onlined(k, b->id, b->zone) == 0)
			n++;
	}
	if (n)
		mh_warn("kernel: %zu hot-added blocks were already online at "
			"start-up (auto_online_blocks was '%s'): the kernel "
			"decided their zones, not memhotd (memhotctl status, "
			"kernel_onlined)",
			n, k->aob_at_start);
}

size_t mh_kernel_filter_competitors(const struct mh_daemon *d,
				    char (*lines)[256], size_t n)
{
	static const char pfx[] = "/" MH_KERNEL_AOB " is";
	size_t i, o = 0;

	if (d->config.mode != MH_MODE_DELEGATE)
		return n;
	for (i = 0; i < n; i++) {
		if (!strncmp(lines[i], pfx, sizeof(pfx) - 1))
			continue;
		if (o != i)
			memcpy(lines[o], lines[i], sizeof(lines[o]));
		o++;
	}
	return o;
}

static void kernel_policy_text(const struct mh_policy_config *p, char *buf,
			       size_t len)
{
	if (p->policy == MH_POLICY_AUTO_MOVABLE)
		snprintf(buf, len,
			 "online_policy=auto-movable auto_movable_ratio=%u "
			 "auto_movable_numa_aware=%s",
			 p->ratio, p->numa_aware ? "Y" : "N");
	else
		snprintf(buf, len, "online_policy=%s",
			 mh_policy_name(p->policy));
}

/*
 * The cross-check compares memhotd's decision with the kernel's.  Settings
 * beyond the kernel diverge from it on purpose, so where they decided
 * (a [rule] with zone = movable/kernel), replaced the policy's decision
 * (the guard, the balloon setting) or shifted its ratio check ([policy]
 * kernel_reserve, which the kernel does not know), a different zone is no
 * disagreement and is not counted.
 */
enum verdict { AGREES, DISAGREES, DELIBERATE };

static enum verdict judge(const struct mh_decision *dec, enum mh_zone z)
{
	if (mh_onliner_zone_matches(dec->target, z))
		return AGREES;
	if ((dec->rule_matched && dec->rule_zone != MH_RULE_AUTO) ||
	    dec->overridden || dec->reserve_pages)
		return DELIBERATE;
	return DISAGREES;
}

void mh_kernel_before_write(struct mh_daemon *d, uint64_t id,
			    const struct mh_decision *dec, const char *expl)
{
	struct mh_kernel *k = &d->kernel;
	const struct mh_block *b;
	char pol[160], own[2048];
	enum mh_zone z;
	int err;

	if (!k->cross_check)
		return;
	b = mh_inv_block(&d->inv, id);
	/* On the write path: memhotd found the nodeN link when it probed the
	 * block and the scheduler writes only offline blocks, so valid_zones
	 * alone (one sysfs read, not three: the plug's pace is set by the
	 * time between writes, BENCHMARKS.md).  A block onlined by someone
	 * else meanwhile shows one zone here and fails the write (EINVAL:
	 * a lost race). */
	if (b && b->nid >= 0 && b->state == MH_BLOCK_OFFLINE)
		err = mh_sysfs_block_zone(&d->root, id, &z);
	else
		err = mh_kernel_valid_zones_first(&d->root, id, &z);
	if (err < 0) {
		mh_debug("memory%" PRIu64 ": cross-check skipped: %s", id,
			 strerror(-err));
		return;
	}
	k->last_checked = id;
	switch (judge(dec, z)) {
	case DELIBERATE:
		k->last_checked_result = 0;
		mh_info("memory%" PRIu64 ": cross-check: the kernel would put "
			"it in %s; memhotd writes %s on purpose (%s; not "
			"counted as a disagreement)",
			id, mh_zone_name(z),
			mh_onliner_state_string(dec->target),
			mh_reason_name(dec->reason));
		return;
	case AGREES:
		k->last_checked_result = 1;
		break;
	case DISAGREES:
		k->last_checked_result = -1;
		break;
	}
	if (k->last_checked_result > 0) {
		k->agreements++;
		mh_debug("memory%" PRIu64 ": cross-check: the kernel agrees "
			 "(%s)",
			 id, mh_zone_name(z));
		return;
	}
	k->disagreements++;
	if (!expl || !*expl) {
		mh_decision_explain(dec, MH_PAGE_SIZE, own, sizeof(own));
		expl = own;
	}
	kernel_policy_text(&d->config.policy, pol, sizeof(pol));
	mh_warn("memory%" PRIu64 ": cross-check DISAGREES: the kernel's "
		"policy (%s) would put it in %s (first word of valid_zones); "
		"memhotd writes %s: %s",
		id, pol, mh_zone_name(z), mh_onliner_state_string(dec->target),
		expl);
}

/* memhotd's decision for b as if it were still offline: the state before
 * it was onlined.  0, or -errno (the inventory is left as it was). */
static int decide_before(struct mh_daemon *d, struct mh_block *b,
			 struct mh_decision *dec)
{
	struct mh_kernel *k = &d->kernel;
	struct mh_inventory *inv = &d->inv;
	struct mh_zone_span spans[MH_ZONE_MOVABLE + 1];
	enum mh_zone zone = b->zone;
	enum mh_onliner by = b->onlined_by;
	bool calib = inv->needs_calibration;
	uint64_t changed = 0;
	struct mh_block_request req;
	struct mh_policy_view view;
	int r;

	if (b->nid < 0 || (size_t)b->nid >= inv->nr_nodes)
		return -EAGAIN;
	memcpy(spans, inv->nodes[b->nid].spans, sizeof(spans));
	changed = inv->nodes[b->nid].early_kernel_blocks_changed;
	mh_inv_set_offline(inv, b);
	for (;;) {
		size_t cap;
		void *p;

		r = mh_inv_block_request(inv, b, k->unit_buf, k->unit_cap,
					 &req);
		if (r != -ENOBUFS)
			break;
		cap = k->unit_cap ? k->unit_cap * 2 : 64;
		p = cap <= KERNEL_UNIT_MAX
			    ? realloc(k->unit_buf, cap * sizeof(*k->unit_buf))
			    : NULL;
		if (!p) {
			r = -ENOMEM;
			break;
		}
		k->unit_buf = p;
		k->unit_cap = cap;
	}
	if (r == 0) {
		mh_inv_policy_view(inv, &d->config.policy, &view);
		mh_policy_decide(&view, &req, dec);
	}
	mh_inv_set_online(inv, b, zone, by);
	memcpy(inv->nodes[b->nid].spans, spans, sizeof(spans));
	inv->nodes[b->nid].early_kernel_blocks_changed = changed;
	inv->needs_calibration = calib;
	return r;
}

void mh_kernel_block_onlined(struct mh_daemon *d, uint64_t id)
{
	struct mh_kernel *k = &d->kernel;
	struct mh_block *b = mh_inv_block(&d->inv, id);
	struct mh_kernel_onlined *e;
	struct mh_decision dec;
	enum mh_onliner by;
	enum verdict v;
	char expl[768], pol[160];
	int r;

	if (!b || !b->hotplugged || b->state != MH_BLOCK_ONLINE ||
	    b->onlined_by == MH_BY_MEMHOTD || !auto_onlines(k->aob))
		return;
	if (b->nid < 0) {
		/* The kernel links a block to its node before it onlines it,
		 * so an online block's node is there to read: the scan that
		 * found it online read the link a moment before the kernel
		 * made it.  Without this the block would stay out of its
		 * node's MOVABLE or kernel count, and every later
		 * verification would see too little memory. */
		by = b->onlined_by;
		if (mh_scan_block(&d->root, &d->inv, id, true) == 0) {
			b = mh_inv_block(&d->inv, id);
			if (!b)
				return;
			b->onlined_by = by;
		}
	}
	if (mh_kernel_note_onlined(k, id, b->zone) < 0)
		return;
	e = mh_kernel_find_onlined(k, id);
	r = decide_before(d, b, &dec);
	if (r < 0) {
		mh_info("memory%" PRIu64 ": onlined to %s by the kernel "
			"(auto_online_blocks '%s'); not verified: %s",
			id, mh_zone_name(b->zone), k->aob, strerror(-r));
		return;
	}
	mh_inv_set_decision(&d->inv, b, &dec);
	e->verified = true;
	e->expected = dec.target == MH_TARGET_MOVABLE ? MH_ZONE_MOVABLE
						      : MH_ZONE_NORMAL;
	e->agrees = mh_onliner_zone_matches(dec.target, b->zone);
	if (k->last_checked_result && k->last_checked == id) {
		/* counted by the cross-check before our (lost) write */
		if (k->last_checked_result > 0)
			k->agreements--;
		else
			k->disagreements--;
	}
	k->last_checked_result = 0;
	v = judge(&dec, b->zone);
	if (k->mirrored && v != DELIBERATE) {
		if (v == AGREES)
			k->agreements++;
		else
			k->disagreements++;
	}
	if (v == DELIBERATE) {
		mh_info("memory%" PRIu64 ": onlined to %s by the kernel; "
			"memhotd would write %s on purpose (%s; not counted "
			"as a disagreement)",
			id, mh_zone_name(b->zone),
			mh_onliner_state_string(dec.target),
			mh_reason_name(dec.reason));
		return;
	}
	if (v == AGREES) {
		/* One short line per block, as for memhotd's own writes; the
		 * numbers at debug (issue 10, BENCHMARKS.md). */
		mh_decision_summary(&dec, MH_PAGE_SIZE, expl, sizeof(expl));
		mh_info("memory%" PRIu64 ": onlined to %s by the kernel; "
			"memhotd's model agrees (%s)",
			id, mh_zone_name(b->zone), expl);
		if (mh_log_enabled(LOG_DEBUG)) {
			mh_decision_explain(&dec, MH_PAGE_SIZE, expl,
					    sizeof(expl));
			mh_debug("memory%" PRIu64 ": %s", id, expl);
		}
		return;
	}
	mh_decision_explain(&dec, MH_PAGE_SIZE, expl, sizeof(expl));
	kernel_policy_text(&d->config.policy, pol, sizeof(pol));
	mh_warn("memory%" PRIu64 ": onlined to %s by the kernel (%s%s); "
		"memhotd's model DISAGREES, it would write %s: %s",
		id, mh_zone_name(b->zone), k->mirrored ? "its policy " : "",
		k->mirrored ? pol : "auto-online, policy not mirrored",
		mh_onliner_state_string(dec.target), expl);
}

int mh_kernel_reload(struct mh_daemon *d, const struct mh_config *c, char *err,
		     size_t len)
{
	struct mh_kernel *k = &d->kernel;
	char why[256];
	bool can;

	if (c->mode != d->config.mode) {
		snprintf(err, len,
			 "[policy] mode cannot change on reload (%s -> %s); "
			 "restart memhotd",
			 d->config.mode == MH_MODE_DELEGATE ? "delegate"
							    : "online",
			 c->mode == MH_MODE_DELEGATE ? "delegate" : "online");
		return -EINVAL;
	}
	can = k->has_policy &&
	      mh_kernel_expressible(&c->policy, why, sizeof(why));
	if (c->mode == MH_MODE_DELEGATE && !can) {
		int r = mh_kernel_check_delegate(k, &c->policy, err, len);

		return r < 0 ? r : -EINVAL;
	}
	if (d->dry_run)
		return 0;
	if (can && (c->mode == MH_MODE_DELEGATE || c->mirror_policy)) {
		k->mirrored = mh_kernel_mirror(&d->root, &c->policy) == 0;
	} else if (k->mirrored) {
		mh_notice("kernel: [policy] no longer mirrored%s%s; the "
			  "module parameters keep their last values and the "
			  "cross-check stops",
			  can ? "" : ": ", can ? "" : why);
		k->mirrored = false;
	}
	k->cross_check = k->mirrored && c->cross_check;
	return 0;
}
