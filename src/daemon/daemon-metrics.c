// SPDX-License-Identifier: MIT
/*
 * The metrics file of the running daemon (metrics.h): rendered and
 * written from its own sd-event timer, at most once a second and only
 * when the text changed; never from the path of a state write.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memhotd/daemon.h"
#include "memhotd/log.h"
#include "memhotd/metrics.h"
#include "memhotd/util.h"

#define MH_METRICS_INTERVAL_USEC (1000ULL * 1000)

#ifndef MEMHOTD_VERSION
#define MEMHOTD_VERSION "unknown"
#endif

static void metrics_write(struct mh_daemon *d)
{
	struct mh_metrics_state *m = &d->metrics;
	struct mh_metrics_snapshot s = {
		.version = MEMHOTD_VERSION,
		.policy = mh_policy_name(d->config.policy.policy),
		.dry_run = d->dry_run,
		.block_size = d->inv.block_size_bytes,
		.pending = d->sched.nr_queued,
		.c = &m->c,
	};
	const char *path = d->config.metrics_textfile;
	char *text = NULL;
	size_t len = 0;
	int r;

	m->last_usec = mh_now_usec();
	if (!path[0])
		return;
	r = mh_metrics_collect(&d->inv, &d->config.policy, &s);
	if (r == 0) {
		r = mh_metrics_render(&s, &text, &len);
		mh_metrics_snapshot_free(&s);
	}
	if (r < 0) {
		mh_warn("[metrics] %s: %s", path, strerror(-r));
		return;
	}
	if (m->last_text && !strcmp(m->last_text, text) &&
	    !strcmp(m->last_path, path)) {
		free(text);
		return;
	}
	r = mh_metrics_write_file(&d->root, path, text, len);
	if (r < 0) {
		if (m->warned_err != -r)
			mh_warn("[metrics] cannot write %s: %s (under "
				"systemd, ReadWritePaths= must name its "
				"directory)",
				path, strerror(-r));
		m->warned_err = -r;
		free(text);
		return;
	}
	if (m->warned_err)
		mh_info("[metrics] %s written again", path);
	m->warned_err = 0;
	free(m->last_text);
	m->last_text = text;
	snprintf(m->last_path, sizeof(m->last_path), "%s", path);
}

static int on_metrics_timer(sd_event_source *s, uint64_t usec, void *ud)
{
	(void)s;
	(void)usec;
	metrics_write(ud);
	return 0;
}

int mh_daemon_metrics_start(struct mh_daemon *d)
{
	struct mh_metrics_state *m = &d->metrics;
	int r;

	/* Accuracy 1 us, as the other timers (daemon.c). */
	r = sd_event_add_time(d->event, &m->timer, CLOCK_MONOTONIC, UINT64_MAX,
			      1, on_metrics_timer, d);
	if (r < 0)
		return r;
	sd_event_source_set_description(m->timer, "metrics");
	/* Normal priority: at idle priority a long plug (the queue timer
	 * always pending) would starve it until the plug ends. */
	sd_event_source_set_enabled(m->timer, SD_EVENT_OFF);
	return 0;
}

void mh_daemon_metrics_kick(struct mh_daemon *d)
{
	struct mh_metrics_state *m = &d->metrics;
	int on = SD_EVENT_OFF;
	uint64_t when;

	if (!m->timer || !d->config.metrics_textfile[0])
		return;
	if (sd_event_source_get_enabled(m->timer, &on) >= 0 &&
	    on != SD_EVENT_OFF)
		return;
	when = m->last_usec ? m->last_usec + MH_METRICS_INTERVAL_USEC : 1;
	sd_event_source_set_time(m->timer, when);
	sd_event_source_set_enabled(m->timer, SD_EVENT_ONESHOT);
}

void mh_daemon_metrics_flush(struct mh_daemon *d)
{
	if (d->config.metrics_textfile[0])
		metrics_write(d);
}

void mh_daemon_metrics_stop(struct mh_daemon *d)
{
	struct mh_metrics_state *m = &d->metrics;

	m->timer = sd_event_source_disable_unref(m->timer);
	free(m->last_text);
	m->last_text = NULL;
}
