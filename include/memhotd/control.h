/* SPDX-License-Identifier: MIT */
/*
 * The control socket: AF_UNIX stream, varlink-compatible framing (one JSON
 * object per message, each terminated by a NUL byte), json-c for all JSON.
 * doc/control-protocol.md documents the wire format, methods and errors.
 *
 * Server: non-blocking in sd-event.  Every client has a bounded input
 * buffer, an output buffer drained on EPOLLOUT (a client that does not read
 * never blocks the daemon: it stops being read, then times out, or is
 * dropped once all unsent replies pass a bound), an idle timeout and an
 * absolute deadline from accept.  When every slot is taken, root gets in
 * by evicting the oldest non-root connection.  Every refusal is logged
 * with the peer's uid and pid, rate-limited.  Callers are identified with
 * SO_PEERCRED (and SO_PEERGROUPS): read-only methods are open to root and to
 * the configured control group, methods that change state to root only.
 *
 * The wire constants both sides share: protocol.h; the client: client.h.
 */
#ifndef MEMHOTD_CONTROL_H
#define MEMHOTD_CONTROL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "memhotd/sysfs.h"

#include "memhotd/protocol.h"

enum mh_control_access {
	MH_CONTROL_READ = 0, /* root, or a member of the control group */
	MH_CONTROL_ROOT,     /* changes state: uid 0 only */
};

struct mh_control_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/*
 * What a handler answers: either parameters (a json object, ownership passes
 * to the server; NULL means {}) or an error name with a message.
 */
struct mh_control_reply {
	json_object *parameters;
	const char *error;
	char message[512];
};

typedef void (*mh_control_handler)(void *userdata,
				   const struct mh_control_peer *peer,
				   json_object *params,
				   struct mh_control_reply *reply);

struct mh_control_method {
	const char *name; /* fully qualified: "io.memhotd.GetStatus" */
	enum mh_control_access access;
	/* Allowed parameter names besides "version", NULL-terminated; NULL:
	 * none.  The server rejects any other key before calling handler. */
	const char *const *params;
	mh_control_handler handler;
};

struct mh_control_options {
	bool group_set; /* control group: read-only access, socket 0660 */
	gid_t group;
	size_t max_request;	/* 0: MH_CONTROL_MAX_REQUEST */
	uint64_t idle_usec;	/* 0: MH_CONTROL_IDLE_USEC */
	size_t max_clients;	/* 0: MH_CONTROL_MAX_CLIENTS */
	uint64_t deadline_usec; /* 0: MH_CONTROL_DEADLINE_USEC */
	size_t max_output;	/* 0: MH_CONTROL_MAX_OUTPUT */
};

/* Why the server refused or dropped a client; each is logged with the
 * peer's uid and pid (rate-limited) and counted. */
enum mh_control_refusal {
	MH_CONTROL_REFUSED_PERMISSION = 0,
	MH_CONTROL_REFUSED_TOO_LARGE,
	MH_CONTROL_REFUSED_LIMIT,    /* every slot taken */
	MH_CONTROL_REFUSED_DEADLINE, /* idle time or absolute deadline */
	MH_CONTROL_REFUSED_OUTPUT,   /* replies not read past max_output */
	MH_CONTROL_REFUSED_EVICTED,  /* made room for root */
	MH_CONTROL_REFUSAL_KINDS
};

struct mh_control;

/* Creates <root>/run and <root>/run/memhotd (0755) if missing. 0 or -errno. */
int mh_control_prepare_dir(const struct mh_root *r);

/*
 * Binds path (a stale socket nobody listens on is replaced; a live one gives
 * -EADDRINUSE), mode 0660 with the group or 0600, and listens.  methods must
 * outlive the server.  0 or -errno.
 */
int mh_control_open(struct mh_control **out, sd_event *e, const char *path,
		    const struct mh_control_options *opts,
		    const struct mh_control_method *methods, size_t nr_methods,
		    void *userdata);
/* Disconnects every client, removes the socket file (if still ours). */
void mh_control_close(struct mh_control *c);
/* After a reload: the new control group (socket mode and access). */
int mh_control_set_group(struct mh_control *c, bool group_set, gid_t group);
size_t mh_control_nr_clients(const struct mh_control *c);
uint64_t mh_control_refusals(const struct mh_control *c,
			     enum mh_control_refusal kind);
/* Unsent reply bytes held for all clients. */
size_t mh_control_pending_output(const struct mh_control *c);
/*
 * For the fuzzer and tests: data as if one client with credentials peer had
 * sent it on a fresh connection, handled exactly as the socket's bytes are
 * (framing, size bound, parsing, permissions, dispatch); the replies are
 * discarded.  0 or -ENOMEM.
 */
int mh_control_feed(struct mh_control *ctl, const struct mh_control_peer *peer,
		    const char *data, size_t len);
/* The daemon's method table (daemon-control.c; userdata: struct mh_daemon),
 * for the control-protocol fuzzer. */
const struct mh_control_method *mh_daemon_control_methods(size_t *nr);

#endif
