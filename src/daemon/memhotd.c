// SPDX-License-Identifier: MIT
/*
 * memhotd: onlines hot-added memory blocks into ZONE_MOVABLE or a kernel
 * zone exactly as the kernel's auto-movable policy would.  Foreground;
 * logs to stderr with sd-daemon priority prefixes.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memhotd/config.h"
#include "memhotd/daemon.h"
#include "memhotd/instance.h"
#include "memhotd/listing.h"
#include "memhotd/log.h"
#include "memhotd/protocol.h"
#include "memhotd/scan.h"

#ifndef MEMHOTD_VERSION
#define MEMHOTD_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: memhotd [OPTION]...\n"
		"Online hot-added memory blocks into ZONE_MOVABLE or a kernel "
		"zone\n"
		"exactly as the kernel's auto-movable policy would.\n"
		"\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"  -r, --root DIR      root of the sysfs/proc tree (default "
		"/)\n"
		"      --check-config  validate and print the effective "
		"configuration\n"
		"      --list-blocks   print the block listing as JSON "
		"(read-only, once)\n"
		"  -n, --dry-run       decide and log, write nothing\n"
		"  -v, --verbose       debug messages\n"
		"  -h, --help          this help\n"
		"  -V, --version       print the version\n",
		MH_DEFAULT_CONFIG);
}

/*
 * --list-blocks: one read-only scan, printed as the ListBlocks reply a
 * running memhotd sends over the control socket (decisions unknown).
 * memhotctl runs this for `memhotctl blocks` when no memhotd answers, so
 * that the client holds no scanner.  0, or 1 with the reason on stderr.
 */
static int list_blocks(const char *root)
{
	struct mh_inventory inv = {0};
	json_object *msg = NULL, *p = NULL, *l = NULL;
	struct mh_root r;
	int ret;

	ret = mh_root_open(&r, root);
	if (ret < 0) {
		fprintf(stderr, "memhotd: %s: %s\n", root, strerror(-ret));
		return 1;
	}
	ret = mh_scan_full_readonly(&r, &inv);
	/* -ERANGE: calibration found inconsistent numbers; the listing is
	 * still what sysfs shows. */
	if (ret < 0 && ret != -ERANGE) {
		fprintf(stderr, "memhotd: cannot read %s%s%s: %s\n", r.path,
			r.path[strlen(r.path) - 1] == '/' ? "" : "/",
			MH_SYSFS_MEMORY, strerror(-ret));
		goto out;
	}
	ret = -ENOMEM;
	l = mh_listing_blocks(&inv, NULL);
	p = json_object_new_object();
	msg = json_object_new_object();
	if (!l || !p || !msg ||
	    json_object_object_add(
		    p, "version",
		    json_object_new_int(MH_CONTROL_PROTOCOL_VERSION)) < 0) {
		fprintf(stderr, "memhotd: %s\n", strerror(ENOMEM));
		goto out;
	}
	json_object_object_foreach(l, k, v)
	{
		if (json_object_object_add(p, k, json_object_get(v)) < 0) {
			fprintf(stderr, "memhotd: %s\n", strerror(ENOMEM));
			goto out;
		}
	}
	if (json_object_object_add(msg, "parameters", json_object_get(p)) < 0) {
		json_object_put(p); /* the reference the add did not take */
		fprintf(stderr, "memhotd: %s\n", strerror(ENOMEM));
		goto out;
	}
	if (puts(json_object_to_json_string_ext(
		    msg, JSON_C_TO_STRING_PLAIN |
				 JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ||
	    fflush(stdout) != 0) {
		ret = errno ? -errno : -EIO;
		fprintf(stderr, "memhotd: standard output: %s\n",
			strerror(-ret));
		goto out;
	}
	ret = 0;
out:
	json_object_put(msg);
	json_object_put(p);
	json_object_put(l);
	mh_inv_free(&inv);
	mh_root_close(&r);
	return ret < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_LIST_BLOCKS };
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"root", required_argument, NULL, 'r'},
		{"check-config", no_argument, NULL, OPT_CHECK},
		{"list-blocks", no_argument, NULL, OPT_LIST_BLOCKS},
		{"dry-run", no_argument, NULL, 'n'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct mh_daemon_options o = {0};
	struct mh_daemon *d;
	bool check = false, list = false;
	int c, status, lock_fd;
	char lock_path[PATH_MAX] = "";
	pid_t holder;

	while ((c = getopt_long(argc, argv, "c:r:nvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'r':
			o.root = optarg;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_LIST_BLOCKS:
			list = true;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'v':
			mh_log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("memhotd %s\n", MEMHOTD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "memhotd: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 1;
	}

	if (list)
		return list_blocks(o.root ? o.root : "/");
	if (check) {
		struct mh_config cfg;
		char err[1024] = "";
		const char *path =
			o.config_path ? o.config_path : MH_DEFAULT_CONFIG;

		if (mh_config_load(path, !o.config_path, &cfg, err,
				   sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return MH_EXIT_CONFIG;
		}
		mh_config_print(&cfg, stdout);
		return 0;
	}

	/* One memhotd per system: a second one would race on every block. */
	c = mh_instance_lock(o.root ? o.root : "/", &lock_fd, &holder,
			     lock_path, sizeof(lock_path));
	if (c == -EBUSY) {
		if (holder > 0)
			mh_err("another memhotd (pid %ld) is already running: "
			       "it holds %s; not starting",
			       (long)holder, lock_path);
		else
			mh_err("another memhotd is already running: it holds "
			       "%s; not starting",
			       lock_path);
		return MH_EXIT_RUNNING;
	}
	if (c < 0)
		mh_warn("%s: %s; cannot tell whether another memhotd runs",
			lock_path, strerror(-c));

	d = calloc(1, sizeof(*d));
	if (!d) {
		mh_err("out of memory");
		if (lock_fd >= 0)
			close(lock_fd);
		return 1;
	}
	status = mh_daemon_start(d, &o);
	if (status == 0)
		status = mh_daemon_run(d);
	mh_daemon_free(d);
	free(d);
	if (lock_fd >= 0)
		close(lock_fd);
	return status;
}
