/* SPDX-License-Identifier: MIT */
/*
 * Rules: per-device zone choices beyond the kernel (doc/policy.md 9.2).
 *
 * A rule ([rule NAME] in memhotd.conf) names plain facts a block's device
 * must have (its type, its name as a shell-style glob, its node) and a zone
 * action.  Rules are kept in file order, drop-ins after the main file; the
 * first rule whose every given match holds decides.  Pure: no I/O.
 */
#ifndef MEMHOTD_RULES_H
#define MEMHOTD_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The kind of device a hot-added block belongs to. */
enum mh_dev_type {
	MH_DEV_NONE = 0,   /* hot-added memory of no device (ungrouped) */
	MH_DEV_VIRTIO_MEM, /* a virtio-mem device (dynamic group) */
	MH_DEV_DIMM,	   /* an ACPI memory device, PNP0C80 (static) */
	MH_DEV_DAX,	   /* a dax/kmem device (static) */
};
/* "none", "virtio-mem", "dimm", "dax" */
const char *mh_dev_type_name(enum mh_dev_type t);
/* 0 and *out set, or -EINVAL for an unknown name. */
int mh_dev_type_from_name(const char *s, enum mh_dev_type *out);

/* A rule's action. */
enum mh_rule_zone {
	MH_RULE_AUTO = 0, /* the configured policy decides */
	MH_RULE_MOVABLE,  /* always ZONE_MOVABLE */
	MH_RULE_KERNEL,	  /* always a kernel zone */
};
/* "auto", "movable", "kernel" */
const char *mh_rule_zone_name(enum mh_rule_zone z);
/* 0 and *out set, or -EINVAL for an unknown name. */
int mh_rule_zone_from_name(const char *s, enum mh_rule_zone *out);

#define MH_RULES_MAX 32
#define MH_RULE_NAME_MAX 32   /* with the NUL */
#define MH_RULE_DEVICE_MAX 64 /* glob, with the NUL */
#define MH_RULE_NODE_MAX 1023 /* highest node number match_node accepts */

struct mh_rule {
	char name[MH_RULE_NAME_MAX];
	bool has_type;
	enum mh_dev_type type; /* match_type */
	bool has_device;
	char device[MH_RULE_DEVICE_MAX]; /* match_device, fnmatch(3) glob */
	bool has_node;
	int node; /* match_node */
	bool has_zone;
	enum mh_rule_zone zone; /* zone */
};

/* Fixed size so that a configuration can be copied by value. */
struct mh_rule_table {
	size_t nr;
	struct mh_rule rule[MH_RULES_MAX];
};

/* The facts of one block's device that rules match against. */
struct mh_device_facts {
	enum mh_dev_type type;
	const char *name; /* "virtio0", "PNP0C80:01", "dax0.0"; NULL: none */
	int nid;	  /* the block's node */
};

/*
 * A valid rule name: 1 to MH_RULE_NAME_MAX - 1 characters of [A-Za-z0-9_.-].
 */
bool mh_rule_name_valid(const char *name);

/* Index of the rule called name, or -1. */
ssize_t mh_rules_find(const struct mh_rule_table *t, const char *name);
/*
 * Appends an empty rule called name (no matches, no zone) and returns its
 * index; -EEXIST if the name is taken, -EINVAL for an invalid name,
 * -ENOSPC if the table is full.
 */
ssize_t mh_rules_add(struct mh_rule_table *t, const char *name);

/* Whether every match rule r gives holds for f (a rule without any match
 * matches every block). */
bool mh_rule_matches(const struct mh_rule *r, const struct mh_device_facts *f);
/* The first rule of t matching f, in table order, or -1. */
ssize_t mh_rules_match(const struct mh_rule_table *t,
		       const struct mh_device_facts *f);

#endif
