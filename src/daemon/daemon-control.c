/* SPDX-License-Identifier: MIT */
/*
 * The daemon side of the control socket: <root>/run/memhotd/control with
 * the methods of doc/control-protocol.md, answered from the daemon's
 * inventory by report.c through a read-only view of the daemon.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "memhotd/control.h"
#include "memhotd/daemon.h"
#include "memhotd/report.h"
#include "memhotd/util.h"

void mh_daemon_report_view(const struct mh_daemon *d, struct mh_report_view *v)
{
	*v = (struct mh_report_view){
		.sched = &d->sched,
		.counters = &d->counters,
		.kernel = &d->kernel,
		.balloon = &d->balloon,
		.config_path = d->config_path,
		.competitors = d->competitors,
		.nr_competitors = d->nr_competitors < MH_MAX_COMPETITORS
					  ? d->nr_competitors
					  : MH_MAX_COMPETITORS,
		.start_usec = d->start_usec,
		.dry_run = d->dry_run,
		.guard_episode = d->guard_episode,
	};
}

static void reply_json(struct mh_control_reply *reply, json_object *o)
{
	if (!o) {
		reply->error = MH_CONTROL_ERR_INTERNAL;
		snprintf(reply->message, sizeof(reply->message),
			 "out of memory");
		return;
	}
	reply->parameters = o;
}

/* o[key] = val; -ENOMEM (val dropped) if either is missing or the add
 * failed. */
static int add_member(json_object *o, const char *key, json_object *val)
{
	if (!o || !val || json_object_object_add(o, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

/* An error reply's parameters {key: val}; out of memory: internal error. */
static void error_param(struct mh_control_reply *reply, const char *key,
			json_object *val)
{
	json_object *o = json_object_new_object();

	if (add_member(o, key, val) < 0) {
		json_object_put(o);
		reply_json(reply, NULL);
		return;
	}
	reply->parameters = o;
}

static void m_status(void *ud, const struct mh_control_peer *peer,
		     json_object *params, struct mh_control_reply *reply)
{
	struct mh_daemon *d = ud;
	struct mh_report_view v;

	(void)peer;
	(void)params;
	mh_daemon_report_view(d, &v);
	reply_json(reply,
		   mh_report_status(&d->inv, &d->config, &v, mh_now_usec()));
}

static void m_blocks(void *ud, const struct mh_control_peer *peer,
		     json_object *params, struct mh_control_reply *reply)
{
	struct mh_daemon *d = ud;

	(void)peer;
	(void)params;
	struct mh_report_view v;

	mh_daemon_report_view(d, &v);
	reply_json(reply, mh_report_blocks(&d->inv, &v));
}

#define PLAN_MAX_ADDS 64

static void bad_add_param(struct mh_control_reply *reply, const char *msg,
			  const char *spec)
{
	reply->error = MH_CONTROL_ERR_INVALID_PARAMETER;
	snprintf(reply->message, sizeof(reply->message), "%s%s%s", msg,
		 spec ? ": " : "", spec ? spec : "");
	error_param(reply, "parameter", json_object_new_string("add"));
}

/* "add": ["virtio0:8G", "dimm:4G@1", ...] (plan.h, mh_plan_parse_add). */
static void m_plan(void *ud, const struct mh_control_peer *peer,
		   json_object *params, struct mh_control_reply *reply)
{
	struct mh_daemon *d = ud;
	struct mh_plan_add adds[PLAN_MAX_ADDS];
	struct mh_report_view rv;
	size_t nr = 0;
	json_object *v = NULL, *o;
	ssize_t bad = -1;
	int err = 0;

	(void)peer;
	if (params && json_object_object_get_ex(params, "add", &v)) {
		if (!json_object_is_type(v, json_type_array) ||
		    json_object_array_length(v) > PLAN_MAX_ADDS) {
			bad_add_param(reply,
				      "\"add\" must be an array of at most 64 "
				      "strings",
				      NULL);
			return;
		}
		nr = json_object_array_length(v);
		for (size_t i = 0; i < nr; i++) {
			json_object *s = json_object_array_get_idx(v, i);

			if (!json_object_is_type(s, json_type_string) ||
			    mh_plan_parse_add(json_object_get_string(s),
					      &adds[i]) < 0) {
				bad_add_param(
					reply,
					"not DEVICE:SIZE, dimm:SIZE or "
					"dimm:SIZE@NODE",
					json_object_is_type(s, json_type_string)
						? json_object_get_string(s)
						: NULL);
				return;
			}
		}
	}
	mh_daemon_report_view(d, &rv);
	o = mh_report_plan_adds(&d->inv, &d->config, &rv, nr ? adds : NULL, nr,
				&bad, &err);
	if (!o && bad >= 0) {
		json_object *s = json_object_array_get_idx(v, (size_t)bad);

		bad_add_param(
			reply,
			err == -ENOENT ? "no such device"
			: err == -ENOSPC
				? "more than the device can hold"
				: "not a virtio-mem device, a size that is "
				  "not a multiple of the block size, or "
				  "a node without memory",
			json_object_get_string(s));
		return;
	}
	reply_json(reply, o);
}

/* "block": 48, "48" or "memory48". */
static int block_param(json_object *params, uint64_t *id)
{
	json_object *v;

	if (!params || !json_object_object_get_ex(params, "block", &v))
		return -ENOENT;
	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			return -EINVAL;
		*id = json_object_get_uint64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string))
		return mh_parse_block_arg(json_object_get_string(v), id);
	return -EINVAL;
}

static void m_explain(void *ud, const struct mh_control_peer *peer,
		      json_object *params, struct mh_control_reply *reply)
{
	struct mh_daemon *d = ud;
	struct mh_report_view v;
	json_object *o;
	uint64_t id;
	int r;

	(void)peer;
	mh_daemon_report_view(d, &v);
	r = block_param(params, &id);
	if (r < 0) {
		reply->error = MH_CONTROL_ERR_INVALID_PARAMETER;
		snprintf(reply->message, sizeof(reply->message),
			 r == -ENOENT ? "Explain needs \"block\""
				      : "\"block\" must be a block number or "
					"\"memoryN\"");
		error_param(reply, "parameter",
			    json_object_new_string("block"));
		return;
	}
	o = mh_report_explain(&d->inv, &d->config, &v, id);
	if (!o) {
		reply->error = MH_CONTROL_ERR_NO_SUCH_BLOCK;
		snprintf(reply->message, sizeof(reply->message),
			 "memory%" PRIu64 " does not exist", id);
		error_param(reply, "block", json_object_new_uint64(id));
		return;
	}
	reply->parameters = o;
}

static void m_reload(void *ud, const struct mh_control_peer *peer,
		     json_object *params, struct mh_control_reply *reply)
{
	struct mh_daemon *d = ud;
	char err[512] = "";
	json_object *o;

	(void)params;
	if (mh_daemon_reload(d, err, sizeof(err)) < 0) {
		reply->error = MH_CONTROL_ERR_RELOAD_FAILED;
		snprintf(reply->message, sizeof(reply->message), "%s",
			 err[0] ? err : "reload failed");
		return;
	}
	o = json_object_new_object();
	if (add_member(o, "config_file",
		       json_object_new_string(d->config_path)) < 0 ||
	    add_member(o, "policy",
		       json_object_new_string(
			       mh_policy_name(d->config.policy.policy))) < 0 ||
	    add_member(o, "auto_movable_ratio",
		       json_object_new_int64(d->config.policy.ratio)) < 0 ||
	    add_member(o, "auto_movable_numa_aware",
		       json_object_new_boolean(d->config.policy.numa_aware)) <
		    0 ||
	    add_member(o, "requested_by_uid",
		       json_object_new_int64(peer->uid)) < 0) {
		json_object_put(o);
		o = NULL;
	}
	reply_json(reply, o);
}

static const char *const explain_params[] = {"block", NULL};
static const char *const plan_params[] = {"add", NULL};

static const struct mh_control_method methods[] = {
	{"io.memhotd.GetStatus", MH_CONTROL_READ, NULL, m_status},
	{"io.memhotd.ListBlocks", MH_CONTROL_READ, NULL, m_blocks},
	{"io.memhotd.Explain", MH_CONTROL_READ, explain_params, m_explain},
	{"io.memhotd.Plan", MH_CONTROL_READ, plan_params, m_plan},
	{"io.memhotd.Reload", MH_CONTROL_ROOT, NULL, m_reload},
};

const struct mh_control_method *mh_daemon_control_methods(size_t *nr)
{
	*nr = sizeof(methods) / sizeof(methods[0]);
	return methods;
}

int mh_daemon_control_start(struct mh_daemon *d)
{
	struct mh_control_options o = {
		.group_set = d->config.control_group_set,
		.group = d->config.control_gid,
	};
	char path[sizeof(((struct mh_root *)0)->path) + 32];
	int r;

	if (d->control)
		return 0;
	r = mh_control_socket_path(&d->root, path, sizeof(path));
	if (r < 0)
		return r;
	r = mh_control_prepare_dir(&d->root);
	if (r < 0)
		return r;
	return mh_control_open(&d->control, d->event, path, &o, methods,
			       sizeof(methods) / sizeof(methods[0]), d);
}

void mh_daemon_control_stop(struct mh_daemon *d)
{
	mh_control_close(d->control);
	d->control = NULL;
}
