// SPDX-License-Identifier: MIT
/*
 * Rules: matching a block's device facts against the [rule NAME] table,
 * first match wins (doc/policy.md 9.2).  Pure: no I/O.
 */
#include <errno.h>
#include <fnmatch.h>
#include <string.h>

#include "memhotd/rules.h"

static const char *const dev_type_names[] = {
	[MH_DEV_NONE] = "none",
	[MH_DEV_VIRTIO_MEM] = "virtio-mem",
	[MH_DEV_DIMM] = "dimm",
	[MH_DEV_DAX] = "dax",
};

const char *mh_dev_type_name(enum mh_dev_type t)
{
	if ((unsigned int)t <
	    sizeof(dev_type_names) / sizeof(dev_type_names[0]))
		return dev_type_names[t];
	return "unknown";
}

int mh_dev_type_from_name(const char *s, enum mh_dev_type *out)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0;
	     i < sizeof(dev_type_names) / sizeof(dev_type_names[0]); i++) {
		if (!strcmp(s, dev_type_names[i])) {
			if (out)
				*out = (enum mh_dev_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *const rule_zone_names[] = {
	[MH_RULE_AUTO] = "auto",
	[MH_RULE_MOVABLE] = "movable",
	[MH_RULE_KERNEL] = "kernel",
};

const char *mh_rule_zone_name(enum mh_rule_zone z)
{
	if ((unsigned int)z <
	    sizeof(rule_zone_names) / sizeof(rule_zone_names[0]))
		return rule_zone_names[z];
	return "unknown";
}

int mh_rule_zone_from_name(const char *s, enum mh_rule_zone *out)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0;
	     i < sizeof(rule_zone_names) / sizeof(rule_zone_names[0]); i++) {
		if (!strcmp(s, rule_zone_names[i])) {
			if (out)
				*out = (enum mh_rule_zone)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool mh_rule_name_valid(const char *name)
{
	size_t n;

	if (!name)
		return false;
	n = strlen(name);
	if (n == 0 || n >= MH_RULE_NAME_MAX)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-") == n;
}

ssize_t mh_rules_find(const struct mh_rule_table *t, const char *name)
{
	for (size_t i = 0; t && name && i < t->nr && i < MH_RULES_MAX; i++)
		if (!strcmp(t->rule[i].name, name))
			return (ssize_t)i;
	return -1;
}

ssize_t mh_rules_add(struct mh_rule_table *t, const char *name)
{
	struct mh_rule *r;

	if (!t || !mh_rule_name_valid(name))
		return -EINVAL;
	if (mh_rules_find(t, name) >= 0)
		return -EEXIST;
	if (t->nr >= MH_RULES_MAX)
		return -ENOSPC;
	r = &t->rule[t->nr];
	memset(r, 0, sizeof(*r));
	strcpy(r->name, name); /* length checked by mh_rule_name_valid */
	return (ssize_t)t->nr++;
}

bool mh_rule_matches(const struct mh_rule *r, const struct mh_device_facts *f)
{
	if (!r || !f)
		return false;
	if (r->has_type && r->type != f->type)
		return false;
	if (r->has_node && r->node != f->nid)
		return false;
	if (r->has_device) {
		/* memory of no device has no name to match */
		if (!f->name || !*f->name)
			return false;
		if (fnmatch(r->device, f->name, 0) != 0)
			return false;
	}
	return true;
}

ssize_t mh_rules_match(const struct mh_rule_table *t,
		       const struct mh_device_facts *f)
{
	for (size_t i = 0; t && i < t->nr && i < MH_RULES_MAX; i++)
		if (mh_rule_matches(&t->rule[i], f))
			return (ssize_t)i;
	return -1;
}
