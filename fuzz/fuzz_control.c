// SPDX-License-Identifier: MIT
/*
 * The control protocol: the input is what one client sends on a fresh
 * connection (NUL-framed JSON requests), handled by the server exactly as
 * socket bytes are (control.c: framing, bounds, parsing, permissions) and
 * dispatched to the daemon's methods (daemon-control.c) over a small
 * inventory.  The first byte picks the peer: root, a control-group member,
 * or a stranger; Reload is root-only and stays out of reach (it rereads
 * files), every other method runs.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "memhotd/config.h"
#include "memhotd/control.h"
#include "memhotd/daemon.h"
#include "memhotd/log.h"
#include "memhotd/scan.h"
#include "simtree.h"

static struct mh_daemon d;
static struct mh_control *ctl;
static struct mh_control_method methods[16];
static size_t nr_methods;
static sd_event *ev;

#define GROUP 4242

static struct simtree t;

static void cleanup(void)
{
	mh_control_close(ctl);
	sd_event_unref(ev);
	mh_inv_free(&d.inv);
	mh_root_close(&d.root);
	st_destroy(&t);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct mh_control_method *m;
	struct mh_control_options o = {.group_set = true, .group = GROUP};
	struct st_zone z[] = {
		{0, "Normal", 0, 8 * 32768, 6 * 32768, 6 * 32768, 0},
		{0, "Movable", 8 * 32768, 2 * 32768, 1 * 32768, 1 * 32768, 0}};
	char path[4200];
	size_t n;

	(void)argc;
	(void)argv;
	mh_log_set_max_level(-1);
	st_init(&t);
	st_block_size(&t, 128ull << 20);
	st_boot_id(&t, "8d3a6f0c-2b7e-4c41-9a55-0f1e2d3c4b5a");
	st_blocks(&t, 0, 5, "online", "Normal", 0);
	st_block(&t, 8, "online", "Movable", 0);
	st_blocks(&t, 9, 10, "offline", "Movable Normal", 0);
	st_put(&t, "proc/iomem", "00000000-ffffffff : System RAM\n");
	st_zoneinfo(&t, z, 2);
	if (mh_root_open(&d.root, t.root) < 0)
		abort();
	mh_config_defaults(&d.config);
	if (mh_scan_full_readonly(&d.root, &d.inv) < 0)
		abort();
	/* Everything but Reload (it would reread files and rescan). */
	m = mh_daemon_control_methods(&n);
	for (size_t i = 0; i < n && nr_methods < 16; i++)
		if (strcmp(m[i].name, "io.memhotd.Reload") != 0)
			methods[nr_methods++] = m[i];
	if (sd_event_new(&ev) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/control", t.root);
	if (mh_control_open(&ctl, ev, path, &o, methods, nr_methods, &d) < 0)
		abort();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mh_control_peer peers[] = {
		{100, 0, 0}, {101, 1000, GROUP}, {102, 1001, 1001}};

	if (size == 0)
		return 0;
	mh_control_feed(ctl, &peers[data[0] % 3], (const char *)data + 1,
			size - 1);
	return 0;
}
