// SPDX-License-Identifier: MIT
/*
 * Prometheus metrics (metrics.h): counting, the snapshot of the inventory,
 * the pure text renderer and the atomic file writer.  Names and units
 * follow the Prometheus conventions: prefix memhotd_, base units (bytes,
 * seconds), counters end in _total; doc/metrics.md lists every metric.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memhotd/metrics.h"
#include "memhotd/report.h"
#include "memhotd/sysfs.h"

const double mh_metrics_bucket_le[MH_METRICS_NR_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
	0.25,  0.5,    1,     2.5,  5,	   10,	 30,
};

void mh_histogram_observe(struct mh_histogram *h, uint64_t usec)
{
	size_t i;

	for (i = 0; i < MH_METRICS_NR_BUCKETS; i++)
		if ((double)usec <= mh_metrics_bucket_le[i] * 1e6)
			break;
	h->bucket[i]++;
	h->count++;
	h->sum_usec += usec;
}

void mh_metrics_count_failure(struct mh_metrics_counters *c, int err)
{
	size_t i;

	if (err < 0)
		err = -err;
	if (err == 0) {
		c->failures_other++;
		return;
	}
	for (i = 0; i < c->nr_failure_errnos; i++) {
		if (c->failures[i].err == err) {
			c->failures[i].n++;
			return;
		}
	}
	if (c->nr_failure_errnos == MH_METRICS_NR_ERRNOS) {
		c->failures_other++;
		return;
	}
	c->failures[i].err = err;
	c->failures[i].n = 1;
	c->nr_failure_errnos++;
}

void mh_metrics_count_decision(struct mh_metrics_counters *c,
			       const struct mh_decision *dec)
{
	unsigned int t = dec->target == MH_TARGET_MOVABLE ? 0 : 1;

	if ((int)dec->reason >= 0 && (int)dec->reason < MH_METRICS_NR_REASONS)
		c->decisions[t][dec->reason]++;
	if (dec->reserve_pages &&
	    ((dec->global.evaluated && dec->global.reserved) ||
	     (dec->node.evaluated && dec->node.reserved)))
		c->reserve_decisions[t]++;
	if (dec->balloon_risk && dec->target == MH_TARGET_MOVABLE)
		c->balloon_warnings++;
}

/* ---- snapshot ---------------------------------------------------------- */

struct collect_ctx {
	const struct mh_inventory *inv;
	struct mh_metrics_device *devices;
	size_t nr_groups;
};

static int collect_cb(struct mh_block *b, void *ctx)
{
	struct collect_ctx *c = ctx;
	struct mh_metrics_device *d;
	size_t i;

	if (b->group >= 0 && (size_t)b->group < c->nr_groups) {
		i = (size_t)b->group;
	} else if (b->nid >= 0 && (size_t)b->nid < c->inv->nr_nodes) {
		i = c->nr_groups + 2 * (size_t)b->nid + (b->hotplugged ? 1 : 0);
	} else {
		/* no node yet: counted with node 0's memory of its kind */
		i = c->nr_groups + (b->hotplugged ? 1 : 0);
	}
	d = &c->devices[i];
	if (b->state == MH_BLOCK_ONLINE) {
		if ((unsigned int)b->zone < MH_METRICS_NR_ZONES)
			d->online[b->zone]++;
	} else if (b->state == MH_BLOCK_OFFLINE) {
		d->offline++;
	} else {
		d->going_offline++;
	}
	return 0;
}

static bool device_empty(const struct mh_metrics_device *d)
{
	uint64_t n = d->offline + d->going_offline;

	for (int z = 0; z < MH_METRICS_NR_ZONES; z++)
		n += d->online[z];
	return n == 0;
}

int mh_metrics_collect(const struct mh_inventory *inv,
		       const struct mh_policy_config *pc,
		       struct mh_metrics_snapshot *s)
{
	const uint64_t ps = MH_PAGE_SIZE;
	size_t nn = inv->nr_nodes, slots = inv->nr_groups + 2 * (nn ? nn : 1);
	struct collect_ctx c = {.inv = inv, .nr_groups = inv->nr_groups};
	size_t i, k;

	s->nodes = calloc(nn ? nn : 1, sizeof(*s->nodes));
	s->devices = calloc(slots, sizeof(*s->devices));
	s->nr_nodes = s->nr_devices = 0;
	if (!s->nodes || !s->devices) {
		mh_metrics_snapshot_free(s);
		return -ENOMEM;
	}
	for (i = 0; i < nn; i++) {
		const struct mh_zone_totals *t = &inv->totals[i];
		struct mh_metrics_node *n = &s->nodes[s->nr_nodes];
		uint64_t reserved = 0, eff, h;

		if (!t->present)
			continue;
		eff = mh_policy_effective_kernel_early(pc, t->kernel_early,
						       &reserved);
		n->nid = (int)i;
		n->boot_kernel = t->kernel_early * ps;
		n->hotplug_kernel = inv->nodes[i].hot_kernel * ps;
		n->movable = t->movable * ps;
		n->reserve = reserved * ps;
		/* false only for policies without a ratio limit */
		if (mh_report_movable_headroom(inv, pc, (int)i, &h)) {
			n->has_limit = true;
			n->limit = (uint64_t)pc->ratio * eff / 100 * ps;
			n->headroom = h * ps;
		}
		s->nr_nodes++;
	}
	c.devices = s->devices;
	for (i = 0; i < inv->nr_groups; i++) {
		struct mh_metrics_device *d = &s->devices[i];

		snprintf(d->name, sizeof(d->name), "%s", inv->groups[i].name);
		d->type = mh_group_kind_name(inv->groups[i].kind);
		d->nid = inv->gstats[i].nid;
	}
	for (i = 0; i < (nn ? nn : 1); i++) {
		s->devices[inv->nr_groups + 2 * i].type = "boot";
		s->devices[inv->nr_groups + 2 * i].nid = (int)i;
		s->devices[inv->nr_groups + 2 * i + 1].type = "none";
		s->devices[inv->nr_groups + 2 * i + 1].nid = (int)i;
	}
	mh_inv_for_each_block(inv, collect_cb, &c);
	/* Dead group slots and empty ungrouped slots go. */
	for (i = k = 0; i < slots; i++) {
		if (i < inv->nr_groups ? !inv->gstats[i].alive
				       : device_empty(&s->devices[i]))
			continue;
		if (k != i)
			s->devices[k] = s->devices[i];
		k++;
	}
	s->nr_devices = k;
	return 0;
}

void mh_metrics_snapshot_free(struct mh_metrics_snapshot *s)
{
	free(s->nodes);
	free(s->devices);
	s->nodes = NULL;
	s->devices = NULL;
	s->nr_nodes = s->nr_devices = 0;
}

/* ---- rendering --------------------------------------------------------- */

static void header(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void node_metric(FILE *f, const char *name, const char *help,
			const struct mh_metrics_snapshot *s, size_t off,
			bool limit_only)
{
	header(f, name, "gauge", help);
	for (size_t i = 0; i < s->nr_nodes; i++) {
		const struct mh_metrics_node *n = &s->nodes[i];

		if (limit_only && !n->has_limit)
			continue;
		fprintf(f, "%s{node=\"%d\"} %" PRIu64 "\n", name, n->nid,
			*(const uint64_t *)((const char *)n + off));
	}
}

static void device_labels(FILE *f, const struct mh_metrics_device *d)
{
	fputs("device=\"", f);
	label_value(f, d->name);
	fprintf(f, "\",type=\"%s\",node=\"", d->type);
	if (d->nid >= 0)
		fprintf(f, "%d", d->nid);
	fputs("\"", f);
}

static void histogram(FILE *f, const char *name, const char *help,
		      const struct mh_histogram *h)
{
	uint64_t cum = 0;

	header(f, name, "histogram", help);
	for (size_t i = 0; i < MH_METRICS_NR_BUCKETS; i++) {
		cum += h->bucket[i];
		fprintf(f, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
			mh_metrics_bucket_le[i], cum);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
	fprintf(f, "%s_sum %" PRIu64 ".%06" PRIu64 "\n", name,
		h->sum_usec / 1000000, h->sum_usec % 1000000);
	fprintf(f, "%s_count %" PRIu64 "\n", name, h->count);
}

static const char *errno_label(int err, char *buf, size_t len)
{
	const char *n = strerrorname_np(err);

	if (n)
		return n;
	snprintf(buf, len, "%d", err);
	return buf;
}

static void render(FILE *f, const struct mh_metrics_snapshot *s)
{
	const struct mh_metrics_counters *c = s->c;
	static const struct mh_metrics_counters zero;
	char eb[16];

	if (!c)
		c = &zero;
	header(f, "memhotd_build_info", "gauge",
	       "Always 1; the labels name the version and the policy.");
	fputs("memhotd_build_info{version=\"", f);
	label_value(f, s->version);
	fprintf(f, "\",policy=\"%s\",dry_run=\"%s\"} 1\n",
		s->policy ? s->policy : "", s->dry_run ? "true" : "false");
	header(f, "memhotd_memory_block_size_bytes", "gauge",
	       "Size of one memory block.");
	fprintf(f, "memhotd_memory_block_size_bytes %" PRIu64 "\n",
		s->block_size);

	node_metric(f, "memhotd_node_boot_kernel_bytes",
		    "Boot memory online in kernel zones, CMA excluded "
		    "(KERNEL_EARLY).",
		    s, offsetof(struct mh_metrics_node, boot_kernel), false);
	node_metric(f, "memhotd_node_hotplug_kernel_bytes",
		    "Hot-added memory online in kernel zones.", s,
		    offsetof(struct mh_metrics_node, hotplug_kernel), false);
	node_metric(f, "memhotd_node_movable_bytes",
		    "Memory in ZONE_MOVABLE plus CMA (MOVABLE).", s,
		    offsetof(struct mh_metrics_node, movable), false);
	node_metric(f, "memhotd_node_kernel_reserve_bytes",
		    "Boot kernel memory not counted by the ratio "
		    "([policy] kernel_reserve).",
		    s, offsetof(struct mh_metrics_node, reserve), false);
	node_metric(f, "memhotd_node_movable_limit_bytes",
		    "auto-movable: the most MOVABLE memory the ratio allows "
		    "on the node.",
		    s, offsetof(struct mh_metrics_node, limit), true);
	node_metric(f, "memhotd_node_movable_headroom_bytes",
		    "auto-movable: MOVABLE memory still allowed now for "
		    "memory of no device (global and node check).",
		    s, offsetof(struct mh_metrics_node, headroom), true);

	header(f, "memhotd_device_memory_blocks", "gauge",
	       "Memory blocks per device by state and, when online, zone.");
	for (size_t i = 0; i < s->nr_devices; i++) {
		const struct mh_metrics_device *d = &s->devices[i];

		for (int z = 0; z < MH_METRICS_NR_ZONES; z++) {
			if (!d->online[z])
				continue;
			fputs("memhotd_device_memory_blocks{", f);
			device_labels(f, d);
			fprintf(f,
				",state=\"online\",zone=\"%s\"} %" PRIu64 "\n",
				mh_zone_name((enum mh_zone)z), d->online[z]);
		}
		fputs("memhotd_device_memory_blocks{", f);
		device_labels(f, d);
		fprintf(f, ",state=\"offline\",zone=\"\"} %" PRIu64 "\n",
			d->offline);
		if (d->going_offline) {
			fputs("memhotd_device_memory_blocks{", f);
			device_labels(f, d);
			fprintf(f,
				",state=\"going-offline\",zone=\"\"} %" PRIu64
				"\n",
				d->going_offline);
		}
	}
	header(f, "memhotd_pending_memory_blocks", "gauge",
	       "Offline hot-added blocks waiting to be onlined.");
	fprintf(f, "memhotd_pending_memory_blocks %" PRIu64 "\n", s->pending);

	header(f, "memhotd_onlined_memory_blocks_total", "counter",
	       "Blocks memhotd onlined, by the zone they landed in.");
	for (int z = MH_ZONE_DMA; z < MH_METRICS_NR_ZONES; z++)
		if (c->onlined[z] || z == MH_ZONE_NORMAL ||
		    z == MH_ZONE_MOVABLE)
			fprintf(f,
				"memhotd_onlined_memory_blocks_total{zone=\"%"
				"s\"}"
				" %" PRIu64 "\n",
				mh_zone_name((enum mh_zone)z), c->onlined[z]);
	header(f, "memhotd_lost_races_total", "counter",
	       "Blocks someone else onlined before memhotd.");
	fprintf(f, "memhotd_lost_races_total %" PRIu64 "\n", c->lost_races);
	header(f, "memhotd_retries_total", "counter",
	       "State writes retried after EBUSY, EAGAIN, ENOMEM or a veto.");
	fprintf(f, "memhotd_retries_total %" PRIu64 "\n", c->retries);
	header(f, "memhotd_vanished_memory_blocks_total", "counter",
	       "Blocks removed while memhotd was onlining them.");
	fprintf(f, "memhotd_vanished_memory_blocks_total %" PRIu64 "\n",
		c->vanished);
	header(f, "memhotd_failures_total", "counter",
	       "Blocks memhotd gave up on, by the errno of the last attempt.");
	for (size_t i = 0; i < c->nr_failure_errnos; i++)
		fprintf(f, "memhotd_failures_total{errno=\"%s\"} %" PRIu64 "\n",
			errno_label(c->failures[i].err, eb, sizeof(eb)),
			c->failures[i].n);
	if (c->failures_other || !c->nr_failure_errnos)
		fprintf(f,
			"memhotd_failures_total{errno=\"other\"} %" PRIu64 "\n",
			c->failures_other);

	header(f, "memhotd_decisions_total", "counter",
	       "Zone decisions memhotd wrote, by target and deciding reason "
	       "(rule-*, guard and balloon are beyond the kernel's policy).");
	for (int t = 0; t < 2; t++)
		for (int r = 0; r < MH_METRICS_NR_REASONS; r++)
			if (c->decisions[t][r])
				fprintf(f,
					"memhotd_decisions_total{target=\"%s\","
					"reason=\"%s\"} %" PRIu64 "\n",
					t ? "kernel" : "movable",
					mh_reason_name((enum mh_reason)r),
					c->decisions[t][r]);
	header(f, "memhotd_reserve_decisions_total", "counter",
	       "Decisions whose ratio check counted KERNEL_EARLY less "
	       "[policy] kernel_reserve, by target.");
	fprintf(f,
		"memhotd_reserve_decisions_total{target=\"movable\"} %" PRIu64
		"\n"
		"memhotd_reserve_decisions_total{target=\"kernel\"} %" PRIu64
		"\n",
		c->reserve_decisions[0], c->reserve_decisions[1]);
	header(f, "memhotd_guard_episodes_total", "counter",
	       "Times the [guard] started sending blocks to a kernel zone.");
	fprintf(f, "memhotd_guard_episodes_total %" PRIu64 "\n",
		c->guard_episodes);
	header(f, "memhotd_balloon_warnings_total", "counter",
	       "MOVABLE decisions made while a balloon without compaction "
	       "was bound.");
	fprintf(f, "memhotd_balloon_warnings_total %" PRIu64 "\n",
		c->balloon_warnings);

	histogram(f, "memhotd_decision_to_online_seconds",
		  "From a block's zone decision to its successful state "
		  "write.",
		  &c->decision_to_online);
	histogram(f, "memhotd_add_to_online_seconds",
		  "From memhotd learning of a block (its add) to its online.",
		  &c->add_to_online);
}

int mh_metrics_render(const struct mh_metrics_snapshot *s, char **out,
		      size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return -ENOMEM;
	render(f, s);
	if (ferror(f) | fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

/* ---- the file ---------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int mh_metrics_write_file(const struct mh_root *root, const char *path,
			  const char *text, size_t len)
{
	char dir[4096], tmp[300];
	const char *base, *slash;
	DIR *dp;
	int dfd, fd, r;

	if (!path || path[0] != '/')
		return -EINVAL;
	slash = strrchr(path, '/');
	base = slash + 1;
	if (!*base || strlen(base) + 24 > sizeof(tmp) ||
	    (size_t)(slash - path) >= sizeof(dir))
		return -EINVAL;
	/* The directory, relative to the root ("." for "/"). */
	while (*path == '/')
		path++;
	if (path >= slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	dp = mh_root_opendir(root, dir);
	if (!dp)
		return -errno;
	dfd = dirfd(dp);
	snprintf(tmp, sizeof(tmp), ".%s.tmp.%d", base, (int)getpid());
	fd = openat(dfd, tmp,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW |
			    O_NOCTTY,
		    0644);
	if (fd < 0) {
		r = -errno;
		closedir(dp);
		return r;
	}
	r = write_all(fd, text, len);
	/* The unit's UMask=0077 must not hide it from node_exporter. */
	if (!r && fchmod(fd, 0644) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && renameat(dfd, tmp, dfd, base) < 0)
		r = -errno;
	if (r)
		unlinkat(dfd, tmp, 0);
	closedir(dp);
	return r;
}
