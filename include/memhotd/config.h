/* SPDX-License-Identifier: MIT */
/*
 * /etc/memhotd.conf: INI, parsed with inih.  Strict: an unknown section or
 * key, or a bad value, is an error naming file, line and key (the daemon
 * exits with EX_CONFIG = 78).  Key names follow the kernel's parameters.
 */
#ifndef MEMHOTD_CONFIG_H
#define MEMHOTD_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "memhotd/policy.h"

#define MH_DEFAULT_CONFIG "/etc/memhotd.conf"
#define MH_EXIT_CONFIG 78

/* [policy] mode: who onlines (see memhotd.conf(5)). */
enum mh_mode {
	MH_MODE_ONLINE = 0, /* memhotd writes every block's state */
	MH_MODE_DELEGATE,   /* the kernel onlines inside the add; memhotd
			     * onlines leftovers and verifies */
};
/* [kernel] auto_online_blocks: what to do if the kernel auto-onlines. */
enum mh_auto_online_action {
	MH_AOB_OFFLINE = 0, /* write "offline" there (default) */
	MH_AOB_LEAVE,	    /* only warn */
};

struct mh_config {
	struct mh_policy_config policy; /* [policy] */
	enum mh_mode mode;		/* [policy] mode */
	/* [kernel] */
	enum mh_auto_online_action auto_online_blocks;
	bool mirror_policy; /* write [policy] to the kernel's parameters */
	bool cross_check;   /* compare with valid_zones (when mirrored) */
	/* [control] group: gid allowed read-only requests (besides root). */
	bool control_group_set;
	char control_group[64];
	gid_t control_gid;
	/* [metrics] textfile: absolute path of the Prometheus text file
	 * (resolved inside --root); "" off (the default). */
	char metrics_textfile[1024];
};

void mh_config_defaults(struct mh_config *c);

/*
 * Loads path into *c (defaults first).  A missing file is not an error when
 * missing_ok (the defaults apply).  On error returns -errno (-EINVAL for
 * bad content, -ENOENT, -ENOMEM, ...) and writes one line
 * "FILE:LINE: key 'K': what is wrong" to err.
 */
int mh_config_load(const char *path, bool missing_ok, struct mh_config *c,
		   char *err, size_t err_len);

/*
 * mh_config_load also reads the drop-ins, the *.conf files in "<path>.d"
 * (for the default: /etc/memhotd.conf.d/), in strcmp order after the main
 * file; a later file overrides an earlier one key by key.
 */
#define MH_CONFIG_DROPIN_SUFFIX ".d"

/*
 * Parses INI text on top of *c (no defaults, no drop-ins); name is used in
 * messages as the file name.  0, or -EINVAL/-ENOMEM with err filled (*c
 * then unchanged).
 */
int mh_config_parse_string(const char *text, const char *name,
			   struct mh_config *c, char *err, size_t err_len);

/* The effective configuration as INI text, every key. */
void mh_config_print(const struct mh_config *c, FILE *out);

#endif
