/* SPDX-License-Identifier: MIT */
/*
 * The control socket server (control.h).  Wire format:
 * doc/control-protocol.md.
 */
#include "memhotd/control.h"
#include "memhotd/log.h"
#include "memhotd/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef MEMHOTD_VERSION
#define MEMHOTD_VERSION "unknown"
#endif

#define VARLINK_SERVICE "org.varlink.service."
#define IN_INITIAL 4096
/* Refusal log lines: at most RL_BURST per RL_WINDOW_USEC and kind, then
 * one line with the number suppressed. */
#define RL_BURST 5
#define RL_WINDOW_USEC (10ULL * 1000 * 1000)

struct client {
	struct mh_control *ctl;
	struct client *next;
	int fd;
	sd_event_source *io;
	sd_event_source *timer;
	struct mh_control_peer peer;
	gid_t *groups; /* supplementary groups of the peer (SO_PEERGROUPS) */
	size_t nr_groups;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	bool read_eof;	  /* peer shut down its writing side */
	bool close_after; /* framing lost: close once the output is flushed */
	uint64_t accepted_usec; /* the absolute deadline counts from here */
	uint64_t progress_usec; /* last byte read or written */
};

struct mh_control {
	sd_event *event;
	int fd;
	sd_event_source *listen_src;
	sd_event_source *resume_src; /* re-enables accepting after EMFILE */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	bool group_set;
	gid_t group;
	size_t max_request;
	uint64_t idle_usec;
	uint64_t deadline_usec;
	size_t max_clients;
	size_t max_output;
	size_t pending_output; /* unsent reply bytes over all clients */
	struct ratelimit {
		uint64_t window_start;
		unsigned int count, suppressed;
	} rl[MH_CONTROL_REFUSAL_KINDS];
	const struct mh_control_method *methods;
	size_t nr_methods;
	void *userdata;
	struct client *clients;
	size_t nr_clients;
	uint64_t refusals[MH_CONTROL_REFUSAL_KINDS];
};

int mh_control_prepare_dir(const struct mh_root *r)
{
	if (mkdirat(r->dirfd, "run", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdirat(r->dirfd, "run/memhotd", 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* ---- buffers ------------------------------------------------------------ */

static int buf_reserve(char **buf, size_t *cap, size_t need)
{
	if (!*cap && need < IN_INITIAL)
		need = IN_INITIAL;
	return MH_GROW(*buf, *cap, need);
}

/* ---- clients ------------------------------------------------------------ */

static void client_free(struct client *c)
{
	struct mh_control *ctl = c->ctl;
	struct client **pp;

	for (pp = &ctl->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			ctl->nr_clients--;
			break;
		}
	}
	ctl->pending_output -= c->out_len - c->out_off;
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	if (c->fd >= 0)
		close(c->fd);
	free(c->groups);
	free(c->in);
	free(c->out);
	free(c);
}

static uint64_t ev_now(const struct mh_control *ctl)
{
	uint64_t now = 0;

	if (sd_event_now(ctl->event, CLOCK_MONOTONIC, &now) < 0)
		now = mh_now_usec();
	return now;
}

/* The timer: the idle time after the last progress, but never later than
 * the absolute deadline counted from accept (a client trickling one byte
 * at a time cannot keep its slot). */
static void client_arm(struct client *c)
{
	uint64_t t = c->progress_usec + c->ctl->idle_usec;
	uint64_t dl = c->accepted_usec + c->ctl->deadline_usec;

	sd_event_source_set_time(c->timer, t < dl ? t : dl);
	sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

static void client_touch(struct client *c)
{
	c->progress_usec = ev_now(c->ctl);
	client_arm(c);
}

static const char *const refusal_names[MH_CONTROL_REFUSAL_KINDS] = {
	[MH_CONTROL_REFUSED_PERMISSION] = "permission denied",
	[MH_CONTROL_REFUSED_TOO_LARGE] = "request too large",
	[MH_CONTROL_REFUSED_LIMIT] = "connection limit reached",
	[MH_CONTROL_REFUSED_DEADLINE] = "deadline passed",
	[MH_CONTROL_REFUSED_OUTPUT] = "replies not read",
	[MH_CONTROL_REFUSED_EVICTED] = "evicted for root",
};

/* Logs one refusal with the peer's credentials, rate-limited per kind. */
static void refusal(struct mh_control *ctl, enum mh_control_refusal kind,
		    const struct mh_control_peer *peer, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void refusal(struct mh_control *ctl, enum mh_control_refusal kind,
		    const struct mh_control_peer *peer, const char *fmt, ...)
{
	struct ratelimit *rl = &ctl->rl[kind];
	uint64_t now = ev_now(ctl);
	char detail[256];
	va_list ap;

	ctl->refusals[kind]++;
	if (now - rl->window_start >= RL_WINDOW_USEC) {
		if (rl->suppressed)
			mh_warn("control: %u more \"%s\" refusals not logged",
				rl->suppressed, refusal_names[kind]);
		rl->window_start = now;
		rl->count = rl->suppressed = 0;
	}
	if (rl->count >= RL_BURST) {
		rl->suppressed++;
		return;
	}
	rl->count++;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	mh_warn("control: %s: uid %u pid %ld: %s", refusal_names[kind],
		(unsigned int)peer->uid, (long)peer->pid, detail);
}

static bool peer_in_group(const struct client *c, gid_t g)
{
	size_t i;

	if (c->peer.gid == g)
		return true;
	for (i = 0; i < c->nr_groups; i++)
		if (c->groups[i] == g)
			return true;
	return false;
}

static void read_peer_groups(struct client *c)
{
	socklen_t len = 64 * sizeof(gid_t);

	for (int tries = 0; tries < 4; tries++) {
		gid_t *g = malloc(len);

		if (!g)
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) ==
		    0) {
			c->groups = g;
			c->nr_groups = len / sizeof(gid_t);
			return;
		}
		free(g);
		if (errno != ERANGE)
			return;
	}
}

/* Appends len bytes of s and a NUL to the output buffer. */
static int client_queue_str(struct client *c, const char *s, size_t len)
{
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (buf_reserve(&c->out, &c->out_cap, c->out_len + len + 1) < 0)
		return -ENOMEM;
	memcpy(c->out + c->out_len, s, len);
	c->out[c->out_len + len] = '\0';
	c->out_len += len + 1;
	c->ctl->pending_output += len + 1;
	return 0;
}

/* The reply when building a reply failed: a literal, no json-c. */
#define STR_(x) #x
#define STR(x) STR_(x)
static const char oom_reply[] =
	"{\"error\":\"" MH_CONTROL_ERR_INTERNAL "\",\"parameters\":"
	"{\"version\":" STR(MH_CONTROL_PROTOCOL_VERSION) ",\"message\":"
							 "\"out of memory\"}}";

/*
 * Queues msg serialized; msg NULL (its building failed): the literal
 * "out of memory" error reply.  When even that cannot be queued the
 * connection is closed after what is already queued, with a log line.
 */
static int client_queue(struct client *c, json_object *msg)
{
	size_t len = 0;
	const char *s = NULL;
	int r;

	if (msg)
		s = json_object_to_json_string_length(
			msg,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
			&len);
	if (s && client_queue_str(c, s, len) == 0)
		return 0;
	r = client_queue_str(c, oom_reply, sizeof(oom_reply) - 1);
	if (r < 0) {
		mh_warn("control: uid %u pid %ld: out of memory; closing the "
			"connection",
			(unsigned)c->peer.uid, (long)c->peer.pid);
		c->close_after = true;
	}
	return r;
}

/*
 * Allocation failures while building a reply: the constructors go through
 * j_new(), which notes a failure in *oom; j_add() drops the value and
 * notes a failure too.  The builder then returns NULL and client_queue()
 * answers "out of memory" instead.
 */
static json_object *j_new(json_object *v, bool *oom)
{
	if (!v)
		*oom = true;
	return v;
}

static void j_add(json_object *o, const char *k, json_object *v, bool *oom)
{
	if (!o || !v || json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		*oom = true;
	}
}

/* {"parameters": params + version, "error": error}, or NULL on a failure. */
static json_object *reply_message(json_object *params, const char *error)
{
	bool oom = false;
	json_object *msg = j_new(json_object_new_object(), &oom);
	json_object *p = j_new(json_object_new_object(), &oom);

	j_add(p, "version",
	      j_new(json_object_new_int(MH_CONTROL_PROTOCOL_VERSION), &oom),
	      &oom);
	if (params && p) {
		json_object_object_foreach(params, k, v)
		{
			if (strcmp(k, "version") == 0)
				continue;
			/* A null member stays null. */
			if (json_object_object_add(p, k, json_object_get(v)) <
			    0) {
				json_object_put(v);
				oom = true;
			}
		}
	}
	if (error)
		j_add(msg, "error", j_new(json_object_new_string(error), &oom),
		      &oom);
	j_add(msg, "parameters", p, &oom);
	if (oom) {
		json_object_put(msg);
		return NULL;
	}
	return msg;
}

static int queue_error(struct client *c, const char *error,
		       const char *extra_key, const char *extra_val,
		       const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int queue_error(struct client *c, const char *error,
		       const char *extra_key, const char *extra_val,
		       const char *fmt, ...)
{
	char message[512];
	bool oom = false;
	json_object *p = j_new(json_object_new_object(), &oom), *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	j_add(p, "message", j_new(json_object_new_string(message), &oom), &oom);
	if (extra_key)
		j_add(p, extra_key,
		      j_new(json_object_new_string(extra_val), &oom), &oom);
	if (!oom)
		msg = reply_message(p, error);
	json_object_put(p);
	r = client_queue(c, msg);
	json_object_put(msg);
	return r;
}

static const struct mh_control_method *find_method(const struct mh_control *ctl,
						   const char *name)
{
	for (size_t i = 0; i < ctl->nr_methods; i++)
		if (strcmp(ctl->methods[i].name, name) == 0)
			return &ctl->methods[i];
	return NULL;
}

static bool param_allowed(const struct mh_control_method *m, const char *key)
{
	if (strcmp(key, "version") == 0)
		return true;
	for (const char *const *p = m->params; p && *p; p++)
		if (strcmp(*p, key) == 0)
			return true;
	return false;
}

static bool only_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

/* org.varlink.service.GetInfo's parameters, or NULL on a failure. */
static json_object *varlink_get_info(void)
{
	bool oom = false;
	json_object *p = j_new(json_object_new_object(), &oom);
	json_object *ifs = j_new(json_object_new_array(), &oom);
	json_object *name =
		j_new(json_object_new_string(MH_CONTROL_INTERFACE), &oom);

	j_add(p, "vendor", j_new(json_object_new_string("memhotd"), &oom),
	      &oom);
	j_add(p, "product", j_new(json_object_new_string("memhotd"), &oom),
	      &oom);
	j_add(p, "version",
	      j_new(json_object_new_string(MEMHOTD_VERSION), &oom), &oom);
	j_add(p, "url", j_new(json_object_new_string("man:memhotctl(8)"), &oom),
	      &oom);
	if (ifs && name && json_object_array_add(ifs, name) == 0)
		name = NULL;
	else
		oom = true;
	json_object_put(name);
	j_add(p, "interfaces", ifs, &oom);
	if (oom) {
		json_object_put(p);
		return NULL;
	}
	return p;
}

/*
 * One complete message (without its NUL).  Queues the reply (unless
 * oneway).  Never fails the connection: every problem is an error reply.
 */
static void handle_message(struct client *c, const char *text, size_t len)
{
	struct mh_control *ctl = c->ctl;
	const struct mh_control_method *m;
	struct mh_control_reply reply;
	json_tokener *tok;
	json_object *req, *jmethod = NULL, *jparams = NULL, *msg;
	const char *method;
	bool oneway = false;
	size_t end;

	tok = json_tokener_new();
	if (!tok) {
		queue_error(c, MH_CONTROL_ERR_INTERNAL, NULL, NULL,
			    "out of memory");
		return;
	}
	/* Replies quote the method: it must be valid UTF-8 like all JSON. */
	json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
	/* text[len] is the NUL terminator: it ends a bare number, too. */
	req = json_tokener_parse_ex(tok, text, (int)len + 1);
	end = json_tokener_get_parse_end(tok);
	if (end > len)
		end = len;
	if (!req || json_tokener_get_error(tok) != json_tokener_success ||
	    !only_space(text + end, len - end)) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		json_tokener_free(tok);
		json_object_put(req);
		queue_error(c, MH_CONTROL_ERR_INVALID_REQUEST, NULL, NULL,
			    "request is not one JSON object: %s",
			    e == json_tokener_success ||
					    e == json_tokener_continue
				    ? "trailing data or incomplete JSON"
				    : json_tokener_error_desc(e));
		return;
	}
	json_tokener_free(tok);

	if (!json_object_is_type(req, json_type_object)) {
		queue_error(c, MH_CONTROL_ERR_INVALID_REQUEST, NULL, NULL,
			    "request is not a JSON object");
		goto out;
	}
	json_object_object_foreach(req, key, val)
	{
		if (strcmp(key, "method") == 0) {
			jmethod = val;
		} else if (strcmp(key, "parameters") == 0) {
			jparams = val;
		} else if (strcmp(key, "oneway") == 0 ||
			   strcmp(key, "more") == 0) {
			if (!json_object_is_type(val, json_type_boolean)) {
				queue_error(c, MH_CONTROL_ERR_INVALID_REQUEST,
					    NULL, NULL,
					    "\"%s\" must be a boolean", key);
				goto out;
			}
			if (key[0] == 'o')
				oneway = json_object_get_boolean(val);
		} else {
			queue_error(c, MH_CONTROL_ERR_INVALID_REQUEST, NULL,
				    NULL, "unknown request member \"%.64s\"",
				    key);
			goto out;
		}
	}
	if (!jmethod || !json_object_is_type(jmethod, json_type_string)) {
		queue_error(c, MH_CONTROL_ERR_INVALID_REQUEST, NULL, NULL,
			    "request has no \"method\" string");
		goto out;
	}
	if (jparams && !json_object_is_type(jparams, json_type_object)) {
		queue_error(c, MH_CONTROL_ERR_INVALID_REQUEST, NULL, NULL,
			    "\"parameters\" must be an object");
		goto out;
	}
	method = json_object_get_string(jmethod);
	/* Exact names: "io.memhotd.GetStatus\u0000junk" is not GetStatus. */
	if ((size_t)json_object_get_string_len(jmethod) != strlen(method)) {
		queue_error(c, MH_CONTROL_ERR_METHOD_NOT_FOUND, NULL, NULL,
			    "unknown method: the name contains a NUL "
			    "character");
		goto out;
	}

	memset(&reply, 0, sizeof(reply));
	if (strcmp(method, VARLINK_SERVICE "GetInfo") == 0) {
		reply.parameters = varlink_get_info();
		if (!reply.parameters) {
			reply.error = MH_CONTROL_ERR_INTERNAL;
			snprintf(reply.message, sizeof(reply.message),
				 "out of memory");
		}
		goto send;
	}
	m = find_method(ctl, method);
	if (!m) {
		queue_error(c, MH_CONTROL_ERR_METHOD_NOT_FOUND, "method",
			    method, "unknown method \"%.128s\"", method);
		goto out;
	}
	if (c->peer.uid != 0 &&
	    (m->access == MH_CONTROL_ROOT || !ctl->group_set ||
	     !peer_in_group(c, ctl->group))) {
		refusal(ctl, MH_CONTROL_REFUSED_PERMISSION, &c->peer, "%.128s",
			method);
		queue_error(c, MH_CONTROL_ERR_PERMISSION_DENIED, "method",
			    method, "%s is not allowed for uid %u%s", method,
			    (unsigned int)c->peer.uid,
			    m->access == MH_CONTROL_ROOT
				    ? ": root only"
				    : ": root or the control group only");
		goto out;
	}
	if (jparams) {
		json_object_object_foreach(jparams, pk, pv)
		{
			if (!param_allowed(m, pk)) {
				queue_error(c, MH_CONTROL_ERR_INVALID_PARAMETER,
					    "parameter", pk,
					    "%s takes no parameter \"%.64s\"",
					    method, pk);
				goto out;
			}
			if (strcmp(pk, "version") == 0) {
				int64_t v;

				if (!json_object_is_type(pv, json_type_int)) {
					queue_error(
						c,
						MH_CONTROL_ERR_INVALID_PARAMETER,
						"parameter", "version",
						"\"version\" must be an "
						"integer");
					goto out;
				}
				v = json_object_get_int64(pv);
				if (v < 1 || v > MH_CONTROL_PROTOCOL_VERSION) {
					queue_error(
						c,
						MH_CONTROL_ERR_UNSUPPORTED_VERSION,
						NULL, NULL,
						"protocol version %lld is not "
						"supported (this server: %d)",
						(long long)v,
						MH_CONTROL_PROTOCOL_VERSION);
					goto out;
				}
			}
		}
	}
	m->handler(ctl->userdata, &c->peer, jparams, &reply);

send:
	if (!oneway) {
		if (reply.error) {
			bool oom = false;
			json_object *p = j_new(json_object_new_object(), &oom);

			j_add(p, "message",
			      j_new(json_object_new_string(reply.message),
				    &oom),
			      &oom);
			if (reply.parameters && p) {
				json_object_object_foreach(reply.parameters, ek,
							   ev)
				{
					if (json_object_object_add(
						    p, ek,
						    json_object_get(ev)) < 0) {
						json_object_put(ev);
						oom = true;
					}
				}
			}
			msg = oom ? NULL : reply_message(p, reply.error);
			json_object_put(p);
		} else {
			msg = reply_message(reply.parameters, NULL);
		}
		client_queue(c, msg);
		json_object_put(msg);
	}
	json_object_put(reply.parameters);
out:
	json_object_put(req);
}

/* Forgets the unsent output (the client is going away). */
static void out_discard(struct client *c)
{
	c->ctl->pending_output -= c->out_len - c->out_off;
	c->out_len = c->out_off = 0;
}

/* Writes what it can: bytes written, or <0: drop the client. */
static ssize_t client_flush(struct client *c)
{
	size_t start = c->out_off;

	if (c->fd < 0) { /* mh_control_feed(): the reader takes it all */
		c->ctl->pending_output -= c->out_len - c->out_off;
		c->out_off = c->out_len;
	}
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return (ssize_t)(c->out_off - start);
			return -errno;
		}
		c->out_off += (size_t)n;
		c->ctl->pending_output -= (size_t)n;
	}
	start = c->out_off - start;
	c->out_off = c->out_len = 0;
	/* Do not keep a huge reply's buffer around. */
	if (c->out_cap > 1024 * 1024) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	return (ssize_t)start;
}

/*
 * Unsent replies over all clients stay below max_output: past it, the
 * clients that have gone longest without taking a byte (non-root ones
 * first) are dropped, never the one just answered.  So clients that ask and
 * never read cannot make the daemon hold more than max_output plus one
 * reply.
 */
static void enforce_output_budget(struct client *self)
{
	struct mh_control *ctl = self->ctl;

	while (ctl->pending_output > ctl->max_output) {
		struct client *v = NULL;

		for (struct client *o = ctl->clients; o; o = o->next) {
			if (o == self || o->out_off >= o->out_len)
				continue;
			if (!v || (v->peer.uid == 0 && o->peer.uid != 0) ||
			    ((v->peer.uid == 0) == (o->peer.uid == 0) &&
			     o->progress_usec < v->progress_usec))
				v = o;
		}
		if (!v)
			break;
		refusal(ctl, MH_CONTROL_REFUSED_OUTPUT, &v->peer,
			"%zu reply bytes not read; %zu pending in all, bound "
			"%zu",
			v->out_len - v->out_off, ctl->pending_output,
			ctl->max_output);
		client_free(v);
	}
}

/* Handles buffered complete messages while nothing waits to be written. */
static void client_process(struct client *c)
{
	while (!c->close_after && c->out_len == 0) {
		char *nul = memchr(c->in, '\0', c->in_len);
		size_t mlen, rest;

		if (!nul)
			break;
		mlen = (size_t)(nul - c->in);
		handle_message(c, c->in, mlen);
		rest = c->in_len - mlen - 1;
		memmove(c->in, nul + 1, rest);
		c->in_len = rest;
		if (client_flush(c) < 0) {
			c->close_after = true;
			out_discard(c);
		}
		enforce_output_budget(c);
	}
	if (!c->close_after && c->in_len >= c->ctl->max_request &&
	    !memchr(c->in, '\0', c->in_len)) {
		refusal(c->ctl, MH_CONTROL_REFUSED_TOO_LARGE, &c->peer,
			"more than %zu bytes without a NUL terminator",
			c->ctl->max_request);
		queue_error(c, MH_CONTROL_ERR_REQUEST_TOO_LARGE, NULL, NULL,
			    "request exceeds %zu bytes without a NUL "
			    "terminator; closing the connection",
			    c->ctl->max_request);
		c->close_after = true;
		c->in_len = 0;
	}
}

/* Re-arms the io source for what the client waits for.  false: drop it. */
static bool client_update(struct client *c)
{
	uint32_t events = 0;

	if (c->out_off < c->out_len)
		events |= EPOLLOUT;
	else if (c->close_after ||
		 (c->read_eof && !memchr(c->in, '\0', c->in_len)))
		return false; /* all said; partial leftovers are dropped */
	else if (!c->read_eof)
		events |= EPOLLIN;
	if (!events)
		return false;
	if (sd_event_source_set_io_events(c->io, events) < 0)
		return false;
	return true;
}

static int client_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct client *c = ud;

	(void)s;
	if (revents & EPOLLOUT) {
		ssize_t w = client_flush(c);

		if (w < 0)
			goto drop;
		if (w > 0)
			client_touch(
				c); /* progress: a slow reader is not idle */
	}
	if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->read_eof &&
	    c->out_len == 0 && !c->close_after) {
		/* Read at most one buffer's worth per wake-up (fairness). */
		size_t room;
		ssize_t n;

		if (buf_reserve(&c->in, &c->in_cap, c->in_len + IN_INITIAL) < 0)
			goto drop;
		room = c->in_cap - c->in_len;
		if (room > c->ctl->max_request - c->in_len)
			room = c->ctl->max_request - c->in_len;
		n = recv(fd, c->in + c->in_len, room, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				goto drop;
		} else if (n == 0) {
			c->read_eof = true;
		} else {
			c->in_len += (size_t)n;
			client_touch(c);
		}
	} else if ((revents & (EPOLLHUP | EPOLLERR)) && c->out_len > 0) {
		goto drop; /* cannot deliver */
	}
	client_process(c);
	if (!client_update(c))
		goto drop;
	return 0;
drop:
	client_free(c);
	return 0;
}

static int client_timeout(sd_event_source *s, uint64_t usec, void *ud)
{
	struct client *c = ud;
	struct mh_control *ctl = c->ctl;

	(void)s;
	if (usec >= c->accepted_usec + ctl->deadline_usec)
		refusal(ctl, MH_CONTROL_REFUSED_DEADLINE, &c->peer,
			"connection open for %llu ms, limit %llu ms",
			(unsigned long long)(usec - c->accepted_usec) / 1000,
			(unsigned long long)ctl->deadline_usec / 1000);
	else
		refusal(ctl, MH_CONTROL_REFUSED_DEADLINE, &c->peer,
			"idle for %llu ms",
			(unsigned long long)ctl->idle_usec / 1000);
	client_free(c);
	return 0;
}

static int resume_listening(sd_event_source *s, uint64_t usec, void *ud)
{
	struct mh_control *ctl = ud;

	(void)s;
	(void)usec;
	sd_event_source_set_enabled(ctl->listen_src, SD_EVENT_ON);
	return 0;
}

static void pause_listening(struct mh_control *ctl)
{
	uint64_t now = 0;

	if (sd_event_now(ctl->event, CLOCK_MONOTONIC, &now) < 0)
		return;
	sd_event_source_set_time(ctl->resume_src, now + 250000);
	sd_event_source_set_enabled(ctl->resume_src, SD_EVENT_ONESHOT);
	sd_event_source_set_enabled(ctl->listen_src, SD_EVENT_OFF);
}

/*
 * Every slot is taken: root still gets in, in place of the non-root
 * connection that has been open longest.  false: refuse the newcomer.
 */
static bool make_room(struct mh_control *ctl, const struct ucred *cred)
{
	struct client *v = NULL;

	if (cred->uid != 0)
		return false;
	for (struct client *o = ctl->clients; o; o = o->next)
		if (o->peer.uid != 0 &&
		    (!v || o->accepted_usec <= v->accepted_usec))
			v = o;
	if (!v)
		return false;
	refusal(ctl, MH_CONTROL_REFUSED_EVICTED, &v->peer,
		"all %zu slots taken, root (pid %ld) connects",
		ctl->max_clients, (long)cred->pid);
	client_free(v);
	return true;
}

static int listen_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct mh_control *ctl = ud;

	(void)s;
	(void)revents;
	for (int i = 0; i < 16; i++) {
		struct client *c;
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			/* Out of fds: the listening socket stays readable;
			 * pause accepting for a moment instead of spinning. */
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				pause_listening(ctl);
			return 0; /* EAGAIN, or a transient error */
		}
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
			close(cfd);
			continue;
		}
		if (ctl->nr_clients >= ctl->max_clients &&
		    !make_room(ctl, &cred)) {
			struct mh_control_peer p = {cred.pid, cred.uid,
						    cred.gid};

			refusal(ctl, MH_CONTROL_REFUSED_LIMIT, &p,
				"%zu connections open", ctl->nr_clients);
			close(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->ctl = ctl;
		c->fd = cfd;
		c->peer.pid = cred.pid;
		c->peer.uid = cred.uid;
		c->peer.gid = cred.gid;
		c->accepted_usec = c->progress_usec = ev_now(ctl);
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->nr_clients++;
		read_peer_groups(c);
		if (sd_event_add_io(ctl->event, &c->io, cfd, EPOLLIN, client_io,
				    c) < 0 ||
		    sd_event_add_time(ctl->event, &c->timer, CLOCK_MONOTONIC,
				      c->accepted_usec + ctl->idle_usec,
				      /* accuracy 0 would make sd-event
				       * read the real boot_id to
				       * perturb it: not under --root */
				      1, client_timeout, c) < 0) {
			client_free(c);
			continue;
		}
		client_arm(c);
	}
	return 0;
}

int mh_control_feed(struct mh_control *ctl, const struct mh_control_peer *peer,
		    const char *data, size_t len)
{
	struct client *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->ctl = ctl;
	c->fd = -1;
	c->peer = *peer;
	c->accepted_usec = c->progress_usec = ev_now(ctl);
	/* The way client_io() takes bytes: at most the request bound. */
	while (len > 0 && !c->close_after) {
		size_t room = ctl->max_request - c->in_len;

		if (buf_reserve(&c->in, &c->in_cap, ctl->max_request) < 0)
			break;
		if (room > len)
			room = len;
		memcpy(c->in + c->in_len, data, room);
		c->in_len += room;
		data += room;
		len -= room;
		client_process(c);
	}
	client_free(c);
	return 0;
}

/* ---- server life cycle -------------------------------------------------- */

static int apply_mode(struct mh_control *ctl)
{
	if (ctl->group_set) {
		if (chown(ctl->path, (uid_t)-1, ctl->group) < 0)
			return -errno;
		if (chmod(ctl->path, 0660) < 0)
			return -errno;
	} else if (chmod(ctl->path, 0600) < 0) {
		return -errno;
	}
	return 0;
}

/* A socket file at path: replace it unless someone still listens on it. */
static int remove_stale(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0)
		return -EADDRINUSE;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int mh_control_open(struct mh_control **out, sd_event *e, const char *path,
		    const struct mh_control_options *opts,
		    const struct mh_control_method *methods, size_t nr_methods,
		    void *userdata)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct mh_control *ctl;
	struct stat st;
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->fd = -1;
	ctl->event = sd_event_ref(e);
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	ctl->group_set = opts && opts->group_set;
	ctl->group = opts ? opts->group : 0;
	ctl->max_request = opts && opts->max_request ? opts->max_request
						     : MH_CONTROL_MAX_REQUEST;
	ctl->idle_usec = opts && opts->idle_usec ? opts->idle_usec
						 : MH_CONTROL_IDLE_USEC;
	ctl->max_clients = opts && opts->max_clients ? opts->max_clients
						     : MH_CONTROL_MAX_CLIENTS;
	ctl->deadline_usec = opts && opts->deadline_usec
				     ? opts->deadline_usec
				     : MH_CONTROL_DEADLINE_USEC;
	ctl->max_output = opts && opts->max_output ? opts->max_output
						   : MH_CONTROL_MAX_OUTPUT;
	ctl->methods = methods;
	ctl->nr_methods = nr_methods;
	ctl->userdata = userdata;

	r = remove_stale(path);
	if (r < 0)
		goto fail;
	ctl->fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		r = -errno;
		goto fail;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* Never visible with a wider mode than 0600, not even briefly. */
	old = umask(0177);
	r = bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = -errno;
		goto fail;
	}
	if (stat(path, &st) == 0) {
		ctl->dev = st.st_dev;
		ctl->ino = st.st_ino;
	}
	r = apply_mode(ctl);
	if (r < 0)
		goto fail_unlink;
	if (listen(ctl->fd, 16) < 0) {
		r = -errno;
		goto fail_unlink;
	}
	r = sd_event_add_io(e, &ctl->listen_src, ctl->fd, EPOLLIN, listen_io,
			    ctl);
	if (r < 0)
		goto fail_unlink;
	/* Created now, disabled: pausing after EMFILE must not need an fd
	 * (the clients' idle timers share this clock's timerfd, too). */
	r = sd_event_add_time(e, &ctl->resume_src, CLOCK_MONOTONIC, UINT64_MAX,
			      0, resume_listening, ctl);
	if (r < 0) {
		ctl->listen_src =
			sd_event_source_disable_unref(ctl->listen_src);
		goto fail_unlink;
	}
	sd_event_source_set_enabled(ctl->resume_src, SD_EVENT_OFF);
	*out = ctl;
	return 0;
fail_unlink:
	unlink(path);
fail:
	if (ctl->fd >= 0)
		close(ctl->fd);
	sd_event_unref(ctl->event);
	free(ctl);
	return r;
}

void mh_control_close(struct mh_control *c)
{
	struct stat st;

	if (!c)
		return;
	while (c->clients)
		client_free(c->clients);
	sd_event_source_disable_unref(c->listen_src);
	sd_event_source_disable_unref(c->resume_src);
	if (stat(c->path, &st) == 0 && st.st_dev == c->dev &&
	    st.st_ino == c->ino)
		unlink(c->path);
	close(c->fd);
	sd_event_unref(c->event);
	free(c);
}

int mh_control_set_group(struct mh_control *c, bool group_set, gid_t group)
{
	c->group_set = group_set;
	c->group = group;
	return apply_mode(c);
}

size_t mh_control_nr_clients(const struct mh_control *c)
{
	return c->nr_clients;
}

uint64_t mh_control_refusals(const struct mh_control *c,
			     enum mh_control_refusal kind)
{
	return (unsigned int)kind < MH_CONTROL_REFUSAL_KINDS ? c->refusals[kind]
							     : 0;
}

size_t mh_control_pending_output(const struct mh_control *c)
{
	return c->pending_output;
}
