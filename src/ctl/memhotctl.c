/* SPDX-License-Identifier: MIT */
/*
 * memhotctl: ask memhotd what it sees and why (man memhotctl(8)).
 * Exit status: 0 ok, 1 error, 2 usage, 3 memhotd is not running.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memhotd/client.h"
#include "memhotd/format.h"
#include "memhotd/planadd.h"
#include "memhotd/render.h"

#ifndef MEMHOTD_VERSION
#define MEMHOTD_VERSION ""
#endif

/* The memhotd that lists the blocks when none runs (the Makefile sets it
 * from SBINDIR); MEMHOTD_ENV names another. */
#ifndef MEMHOTD_PATH
#define MEMHOTD_PATH "/usr/local/sbin/memhotd"
#endif
#define MEMHOTD_ENV "MEMHOTCTL_MEMHOTD"

#define EXIT_USAGE 2
#define EXIT_NOT_RUNNING 3

struct ctl {
	const char *root;
	bool json;
	int timeout_ms;
	struct mh_render_opts ro;
	const char *adds[64]; /* plan --add SPEC, in order */
	size_t nr_adds;
	char socket[sizeof(((struct mh_root *)0)->path) + 32];
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: memhotctl [OPTIONS] COMMAND\n"
		"\n"
		"Show what memhotd sees and explain its decisions.\n"
		"\n"
		"Commands:\n"
		"  status          per node, per device and daemon summary\n"
		"  blocks          list memory blocks (lsmem-like), memhotd "
		"running or not\n"
		"  explain BLOCK   the decision for BLOCK (memoryN or N) "
		"with its numbers\n"
		"  plan            what memhotd would do with each offline "
		"block (writes nothing)\n"
		"  plan --add DEVICE:SIZE | dimm:SIZE[@NODE] ...\n"
		"                  ... and then with hypothetical plugs, in "
		"order\n"
		"  reload          re-read the configuration (root only)\n"
		"\n"
		"Options:\n"
		"  -J, --json          JSON output (stable keys, see "
		"memhotctl(8))\n"
		"  -b, --bytes         sizes in bytes instead of IEC units\n"
		"  -o, --output LIST   blocks: columns to show (\"+LIST\" "
		"appends)\n"
		"  -a, --all           blocks: one line per block, do not "
		"merge ranges\n"
		"  -n, --noheadings    no table headings (nor summary)\n"
		"  -r, --raw           raw output: unaligned, no summary\n"
		"      --root DIR      the tree memhotd runs on (default /)\n"
		"  -t, --timeout SEC   give up on memhotd after SEC seconds "
		"(default 10)\n"
		"  -h, --help          this help\n"
		"  -V, --version       version\n"
		"\n"
		"Columns for blocks -o:\n");
	mh_render_blocks_columns_help(out);
	fprintf(out, "\n"
		     "Exit status: 0 success, 1 error, 2 usage, 3 memhotd is "
		     "not running.\n"
		     "See memhotctl(8).\n");
}

static const char *version(void)
{
	return MEMHOTD_VERSION[0] ? MEMHOTD_VERSION : "unknown";
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE));
}

static bool not_running(int r)
{
	return r == -ENOENT || r == -ECONNREFUSED || r == -ENOTDIR;
}

/* An error reply: its name and message; drops params. */
static void reply_error(const char *err, json_object *params)
{
	json_object *m = NULL;

	json_object_object_get_ex(params, "message", &m);
	fprintf(stderr, "memhotctl: %s: %s\n", err,
		m ? json_object_get_string(m) : "(no message)");
	json_object_put(params);
}

/* One call; on failure prints why and returns the exit status (>0). */
static int call(struct ctl *c, const char *method, json_object *params,
		json_object **out)
{
	char err[128];
	int r = mh_control_call(c->socket, method, params, c->timeout_ms, out,
				err, sizeof(err));

	if (r == 0)
		return 0;
	if (r == 1) {
		reply_error(err, *out);
		*out = NULL;
		return 1;
	}
	if (not_running(r)) {
		fprintf(stderr,
			"memhotctl: memhotd is not running (no socket "
			"at %s)\n",
			c->socket);
		return EXIT_NOT_RUNNING;
	}
	if (r == -EACCES || r == -EPERM)
		fprintf(stderr,
			"memhotctl: %s: permission denied (root or the "
			"[control] group of memhotd.conf only)\n",
			c->socket);
	else
		fprintf(stderr, "memhotctl: %s: %s\n", c->socket, strerror(-r));
	return 1;
}

typedef int (*render_fn)(FILE *out, json_object *reply,
			 const struct mh_render_opts *o);

/*
 * Call a method and show its reply: as JSON or through its renderer.
 * Takes params (NULL for none); NULL as params from a failed json-c
 * constructor is refused here, not sent as "no parameters".
 */
static int show(struct ctl *c, const char *method, json_object *params,
		bool want_params, render_fn render)
{
	json_object *o = NULL;
	int r;

	if (want_params && !params) {
		fprintf(stderr, "memhotctl: %s\n", strerror(ENOMEM));
		return 1;
	}
	r = call(c, method, params, &o);
	json_object_put(params);
	if (r)
		return r;
	if (c->json)
		print_json(o);
	else
		r = render(stdout, o, &c->ro);
	json_object_put(o);
	if (r < 0) {
		fprintf(stderr, "memhotctl: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}

static int cmd_status(struct ctl *c)
{
	return show(c, "io.memhotd.GetStatus", NULL, false, mh_render_status);
}

/*
 * blocks without the daemon (why: "not running", ...): a one-shot
 * `memhotd --list-blocks` reads sysfs and prints the reply the socket
 * would (decisions unknown), so memhotctl holds no scanner.  The program:
 * $MEMHOTCTL_MEMHOTD, else MEMHOTD_PATH, else memhotd in PATH.
 */
static int local_blocks(struct ctl *c, const char *why, json_object **out)
{
	const char *env = getenv(MEMHOTD_ENV);
	const char *prog[2] = {MEMHOTD_PATH, "memhotd"};
	char err[128];
	size_t i = 0;
	int r;

	if (env && *env) {
		prog[0] = env;
		prog[1] = NULL;
	}
	do {
		char *argv[] = {(char *)prog[i], "--list-blocks", "--root",
				(char *)c->root, NULL};

		r = mh_control_exec(argv, c->timeout_ms, out, err, sizeof(err));
	} while (r == -ENOENT && ++i < 2 && prog[i]);
	if (r == 0) {
		fprintf(stderr,
			"memhotctl: memhotd is %s; listing what sysfs shows, "
			"decisions unknown\n",
			why);
		return 0;
	}
	if (r == -ENOENT && prog[1]) {
		fprintf(stderr,
			"memhotctl: memhotd is %s, and there is no memhotd to "
			"list the blocks without it (neither %s nor memhotd "
			"in PATH; %s names another)\n",
			why, MEMHOTD_PATH, MEMHOTD_ENV);
		return EXIT_NOT_RUNNING;
	}
	if (r == -ENOENT) {
		fprintf(stderr,
			"memhotctl: memhotd is %s, and %s=%s, the memhotd to "
			"list the blocks without it, does not exist\n",
			why, MEMHOTD_ENV, env);
		return EXIT_NOT_RUNNING;
	}
	if (r == 1)
		reply_error(err, *out);
	else if (r == MH_CONTROL_EXEC_FAILED) /* it said why, above */
		fprintf(stderr,
			"memhotctl: memhotd is %s, and %s --list-blocks "
			"failed\n",
			why, prog[i]);
	else
		fprintf(stderr,
			"memhotctl: memhotd is %s, and %s --list-blocks: %s\n",
			why, prog[i], strerror(-r));
	*out = NULL;
	return 1;
}

static int cmd_blocks(struct ctl *c)
{
	json_object *o = NULL;
	char err[128];
	int r = mh_control_call(c->socket, "io.memhotd.ListBlocks", NULL,
				c->timeout_ms, &o, err, sizeof(err));

	if (r == 1 && strcmp(err, MH_CONTROL_ERR_PERMISSION_DENIED) == 0) {
		json_object_put(o);
		o = NULL;
		r = -EACCES;
	}
	if (r == 1) {
		reply_error(err, o);
		return 1;
	}
	if (r < 0) {
		if (!not_running(r) && r != -EACCES && r != -EPERM) {
			fprintf(stderr, "memhotctl: %s: %s\n", c->socket,
				strerror(-r));
			return 1;
		}
		r = local_blocks(c,
				 not_running(r)
					 ? "not running"
					 : "not accessible (permission denied)",
				 &o);
		if (r)
			return r;
	}
	if (c->json) {
		print_json(o);
	} else if ((r = mh_render_blocks(stdout, stderr, o, &c->ro)) < 0) {
		json_object_put(o);
		if (r == -EINVAL) /* an unknown column, told on stderr */
			return EXIT_USAGE;
		fprintf(stderr, "memhotctl: %s\n", strerror(-r));
		return 1;
	}
	json_object_put(o);
	return 0;
}

static int cmd_explain(struct ctl *c, const char *arg)
{
	json_object *p, *v;
	uint64_t id;

	if (mh_parse_block_arg(arg, &id) < 0) {
		fprintf(stderr,
			"memhotctl: '%s' is not a memory block (memoryN or "
			"N)\n",
			arg);
		return EXIT_USAGE;
	}
	p = json_object_new_object();
	v = json_object_new_uint64(id);
	if (!p || !v || json_object_object_add(p, "block", v) < 0) {
		json_object_put(v);
		json_object_put(p);
		p = NULL;
	}
	return show(c, "io.memhotd.Explain", p, true, mh_render_explain);
}

/* {"add": ["virtio0:8G", ...]}, or NULL when out of memory. */
static json_object *plan_params(const struct ctl *c)
{
	json_object *a = json_object_new_array(), *p;

	for (size_t i = 0; a && i < c->nr_adds; i++) {
		json_object *s = json_object_new_string(c->adds[i]);

		if (!s || json_object_array_add(a, s) < 0) {
			json_object_put(s);
			json_object_put(a);
			a = NULL;
		}
	}
	p = a ? json_object_new_object() : NULL;
	if (!p || json_object_object_add(p, "add", a) < 0) {
		json_object_put(a);
		json_object_put(p);
		return NULL;
	}
	return p;
}

static int cmd_plan(struct ctl *c)
{
	if (!c->nr_adds)
		return show(c, "io.memhotd.Plan", NULL, false, mh_render_plan);
	return show(c, "io.memhotd.Plan", plan_params(c), true, mh_render_plan);
}

static int cmd_reload(struct ctl *c)
{
	json_object *o = NULL, *v;
	int r = call(c, "io.memhotd.Reload", NULL, &o);

	if (r)
		return r;
	if (c->json) {
		print_json(o);
	} else {
		printf("reloaded %s: policy %s",
		       json_object_object_get_ex(o, "config_file", &v)
			       ? json_object_get_string(v)
			       : "?",
		       json_object_object_get_ex(o, "policy", &v)
			       ? json_object_get_string(v)
			       : "?");
		if (json_object_object_get_ex(o, "auto_movable_ratio", &v))
			printf(", ratio %d%%", json_object_get_int(v));
		putchar('\n');
	}
	json_object_put(o);
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_ROOT = 0x100, OPT_ADD };
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'J'},
		{"bytes", no_argument, NULL, 'b'},
		{"output", required_argument, NULL, 'o'},
		{"all", no_argument, NULL, 'a'},
		{"noheadings", no_argument, NULL, 'n'},
		{"raw", no_argument, NULL, 'r'},
		{"root", required_argument, NULL, OPT_ROOT},
		{"add", required_argument, NULL, OPT_ADD},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct ctl c = {.root = "/", .timeout_ms = 10000};
	/* The options that only switch something on. */
	const struct {
		int ch;
		bool *on;
	} flags[] = {
		{'J', &c.json},		 {'b', &c.ro.bytes}, {'a', &c.ro.all},
		{'n', &c.ro.noheadings}, {'r', &c.ro.raw},
	};
	struct mh_root r;
	const char *cmd;
	int ch, ret;

	while ((ch = getopt_long(argc, argv, "Jbo:anrt:hV", opts, NULL)) !=
	       -1) {
		bool *flag = NULL;

		for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
			if (flags[i].ch == ch)
				flag = flags[i].on;
		if (flag) {
			*flag = true;
			continue;
		}
		switch (ch) {
		case 'o':
			c.ro.columns = optarg;
			break;
		case OPT_ROOT:
			c.root = optarg;
			break;
		case OPT_ADD: {
			struct mh_plan_add pa;

			if (mh_plan_parse_add(optarg, &pa) < 0) {
				fprintf(stderr,
					"memhotctl: --add %s: not DEVICE:SIZE, "
					"dimm:SIZE or dimm:SIZE@NODE\n",
					optarg);
				return EXIT_USAGE;
			}
			if (c.nr_adds == sizeof(c.adds) / sizeof(c.adds[0])) {
				fprintf(stderr,
					"memhotctl: at most 64 --add\n");
				return EXIT_USAGE;
			}
			c.adds[c.nr_adds++] = optarg;
			break;
		}
		case 't': {
			char *end;
			double s = strtod(optarg, &end);

			if (*end || s <= 0 || s > 86400) {
				fprintf(stderr,
					"memhotctl: invalid timeout '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			c.timeout_ms = (int)(s * 1000);
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("memhotctl %s (control protocol %d)\n",
			       version(), MH_CONTROL_PROTOCOL_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'memhotctl --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];

	/* The socket path, by the same rule as the daemon's. */
	memset(&r, 0, sizeof(r));
	r.dirfd = -1;
	snprintf(r.path, sizeof(r.path), "%s", c.root);
	if (mh_control_socket_path(&r, c.socket, sizeof(c.socket)) < 0) {
		fprintf(stderr,
			"memhotctl: --root path too long for a socket\n");
		return EXIT_USAGE;
	}

	if (c.nr_adds && strcmp(cmd, "plan") != 0) {
		fprintf(stderr, "memhotctl: --add applies to plan only\n");
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "explain") == 0) {
		if (argc - optind != 1) {
			fprintf(stderr, "memhotctl: explain needs one BLOCK "
					"(memoryN or N)\n");
			return EXIT_USAGE;
		}
		return cmd_explain(&c, argv[optind]);
	}
	if (optind != argc) {
		fprintf(stderr, "memhotctl: %s takes no arguments\n", cmd);
		return EXIT_USAGE;
	}
	if (c.ro.columns && strcmp(cmd, "blocks") != 0) {
		fprintf(stderr, "memhotctl: -o applies to blocks only\n");
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "status") == 0)
		ret = cmd_status(&c);
	else if (strcmp(cmd, "blocks") == 0)
		ret = cmd_blocks(&c);
	else if (strcmp(cmd, "plan") == 0)
		ret = cmd_plan(&c);
	else if (strcmp(cmd, "reload") == 0)
		ret = cmd_reload(&c);
	else {
		fprintf(stderr, "memhotctl: unknown command '%s'\n", cmd);
		fprintf(stderr, "Try 'memhotctl --help'.\n");
		ret = EXIT_USAGE;
	}
	return ret;
}
