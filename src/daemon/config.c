// SPDX-License-Identifier: MIT
/*
 * /etc/memhotd.conf and /etc/memhotd.conf.d/ (*.conf): strict INI via inih.
 *
 * inih does the tokenising; a reader of our own feeds it one line at a time
 * from memory, so that we know the line number in the handler (Debian's
 * libinih is built without INI_HANDLER_LINENO), can check section headers
 * (inih does not report a section without keys), reject over-long lines
 * (inih would split them silently) and strip leading blanks (inih would
 * take an indented "key = value" line as a continuation of the previous
 * value), and strip inline comments after a value ("key = 1  # why";
 * Debian's libinih only knows ';' there).  The first error in a file wins; *c
 * is only changed on success.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memhotd/config.h"
#include "memhotd/sysfs.h"

#define CFG_MAX_FILE (1024 * 1024)
#define CFG_MAX_LINE 1024
#define CFG_MAX_DROPINS 256

enum cfg_key {
	KEY_ONLINE_POLICY = 0,
	KEY_RATIO,
	KEY_NUMA_AWARE,
	KEY_GROUP,
	KEY_MODE,
	KEY_AUTO_ONLINE,
	KEY_MIRROR,
	KEY_CROSS_CHECK,
	KEY_METRICS_TEXTFILE,
	NR_KEYS,
};

static const struct {
	const char *section;
	const char *name;
} cfg_keys[NR_KEYS] = {
	[KEY_ONLINE_POLICY] = {"policy", "online_policy"},
	[KEY_RATIO] = {"policy", "auto_movable_ratio"},
	[KEY_NUMA_AWARE] = {"policy", "auto_movable_numa_aware"},
	[KEY_GROUP] = {"control", "group"},
	[KEY_MODE] = {"policy", "mode"},
	[KEY_AUTO_ONLINE] = {"kernel", "auto_online_blocks"},
	[KEY_MIRROR] = {"kernel", "mirror_policy"},
	[KEY_CROSS_CHECK] = {"kernel", "cross_check"},
	[KEY_METRICS_TEXTFILE] = {"metrics", "textfile"},
};

static const char *const cfg_sections[] = {"policy", "control", "kernel",
					   "metrics"};

/* Beyond the kernel (doc/policy.md 9): [policy], [guard], [rule NAME]. */
enum cfg_beyond_key {
	BKEY_KERNEL_RESERVE = 0, /* [policy] */
	BKEY_BALLOON,		 /* [policy] balloon_without_compaction */
	BKEY_KERNEL_FREE_MIN,	 /* [guard] */
	NR_BEYOND_KEYS,
};

enum cfg_rule_key {
	RKEY_MATCH_TYPE = 0,
	RKEY_MATCH_DEVICE,
	RKEY_MATCH_NODE,
	RKEY_ZONE,
	NR_RULE_KEYS,
};

static const char *const cfg_rule_keys[NR_RULE_KEYS] = {
	[RKEY_MATCH_TYPE] = "match_type",
	[RKEY_MATCH_DEVICE] = "match_device",
	[RKEY_MATCH_NODE] = "match_node",
	[RKEY_ZONE] = "zone",
};

struct cfg_parse;
static bool cfg_beyond_section(const char *s, size_t len);
static void cfg_beyond_header(struct cfg_parse *p, const char *section);
static int cfg_beyond_key(struct cfg_parse *p, const char *section,
			  const char *name, const char *value);
static void cfg_beyond_finish(struct cfg_parse *p);
static void cfg_print_beyond_policy(const struct mh_config *c, FILE *out);
static void cfg_print_beyond_sections(const struct mh_config *c, FILE *out);

struct cfg_parse {
	const char *name; /* file name for messages */
	const char *pos, *end;
	int lineno;	   /* line last handed to inih */
	int err_line;	   /* line of the first error so far, 0 none */
	char msg[512];	   /* its message, without "FILE:LINE: " */
	int seen[NR_KEYS]; /* line a key was set on in this file, 0 none */
	struct mh_config cfg;
	/* Beyond-the-kernel keys (cfg_beyond_*), per file like seen[]. */
	int beyond_seen[NR_BEYOND_KEYS];
	int rule_line[MH_RULES_MAX]; /* [rule NAME] header line, 0 none */
	bool rule_new[MH_RULES_MAX]; /* created by this file */
	int rule_seen[MH_RULES_MAX][NR_RULE_KEYS];
	ssize_t cur_rule; /* rule of the last [rule NAME] header, -1 */
};

/* Records an error unless an earlier line already has one. */
__attribute__((format(printf, 3, 4))) static void
cfg_error(struct cfg_parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	if (p->err_line && p->err_line <= line)
		return;
	p->err_line = line;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
}

/* A value as it may be quoted in a message: printable, at most 40 chars. */
static const char *cfg_show(const char *s, char *buf, size_t len)
{
	size_t i, n = 0;

	for (i = 0; s[i] && n + 4 < len; i++) {
		if (i == 40) {
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		buf[n++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	}
	buf[n] = '\0';
	return buf;
}

static bool cfg_known_section(const char *s, size_t len)
{
	if (cfg_beyond_section(s, len))
		return true;
	for (size_t i = 0; i < sizeof(cfg_sections) / sizeof(cfg_sections[0]);
	     i++)
		if (strlen(cfg_sections[i]) == len &&
		    !memcmp(cfg_sections[i], s, len))
			return true;
	return false;
}

/* Checks what inih does not: section names and junk after ']'. */
static void cfg_check_line(struct cfg_parse *p, const char *s, size_t len)
{
	const char *close, *q;
	char show[64], name[128];

	if (len == 0 || s[0] != '[')
		return;
	close = memchr(s, ']', len);
	if (!close)
		return; /* inih reports the syntax error */
	snprintf(name, sizeof(name), "%.*s", (int)(close - s - 1), s + 1);
	if (!cfg_known_section(s + 1, (size_t)(close - s - 1))) {
		cfg_error(p, p->lineno,
			  "unknown section [%s]; allowed: [policy], [control], "
			  "[kernel], [metrics], [guard], [rule NAME]",
			  cfg_show(name, show, sizeof(show)));
		return;
	}
	cfg_beyond_header(p, name);
	for (q = close + 1; q < s + len; q++) {
		if (*q == ';' || *q == '#')
			break;
		if (!isspace((unsigned char)*q)) {
			cfg_error(p, p->lineno,
				  "junk after section header [%s]; only a "
				  "comment may follow it",
				  name);
			return;
		}
	}
}

/*
 * An inline comment after a value, as users write it: "ratio = 301  # why".
 * A '#' or ';' starts a comment only when a blank precedes it, so a value
 * may still contain them ("a#b").  Returns the length of s without the
 * comment and the blanks before it; from is the first index after '='.
 */
static size_t cfg_strip_comment(const char *s, size_t from, size_t len)
{
	for (size_t i = from; i < len; i++) {
		if ((s[i] == '#' || s[i] == ';') &&
		    (s[i - 1] == ' ' || s[i - 1] == '\t')) {
			len = i;
			break;
		}
	}
	while (len > from && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len;
}

/*
 * ini_reader: the next line of p->pos, leading blanks and an inline
 * comment removed.
 */
static char *cfg_reader(char *str, int num, void *stream)
{
	struct cfg_parse *p = stream;
	const char *nl, *s, *e;
	size_t len;

	if (p->pos >= p->end)
		return NULL;
	nl = memchr(p->pos, '\n', (size_t)(p->end - p->pos));
	e = nl ? nl : p->end;
	s = p->pos;
	p->pos = nl ? nl + 1 : p->end;
	p->lineno++;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	len = (size_t)(e - s);
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len + 2 > (size_t)num || len + 2 > CFG_MAX_LINE) {
		cfg_error(p, p->lineno, "line too long (at most %d characters)",
			  (num < CFG_MAX_LINE ? num : CFG_MAX_LINE) - 2);
		len = 0; /* hand inih an empty line */
	} else if (len > 0 && s[0] != '[' && s[0] != '#' && s[0] != ';') {
		/* inih also splits at ':'; we only allow '=' */
		size_t eq = 0;

		while (eq < len && s[eq] != '=' && s[eq] != ':')
			eq++;
		if (eq < len && s[eq] == ':')
			cfg_error(p, p->lineno,
				  "expected 'key = value' (with '='), "
				  "'[section]' or a comment");
		else if (eq < len)
			len = cfg_strip_comment(s, eq + 1, len);
	}
	cfg_check_line(p, s, len);
	memcpy(str, s, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

static int cfg_parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"1", "y", "yes", "true", "on"};
	static const char *const no[] = {"0", "n", "no", "false", "off"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Decimal 0..UINT_MAX, no sign, no leading zeros, nothing after. */
static int cfg_parse_uint(const char *v, unsigned int *out, const char **why)
{
	unsigned long long n = 0;
	const char *s = v;

	if (!*s) {
		*why = "empty";
		return -1;
	}
	if (*s == '-') {
		*why = "negative";
		return -1;
	}
	if (!isdigit((unsigned char)*s)) {
		*why = "not a number";
		return -1;
	}
	if (s[0] == '0' && s[1] != '\0' && isdigit((unsigned char)s[1])) {
		*why = "has a leading zero (the kernel would read it as octal)";
		return -1;
	}
	for (; isdigit((unsigned char)*s); s++) {
		n = n * 10 + (unsigned)(*s - '0');
		if (n > UINT_MAX) {
			*why = "too large";
			return -1;
		}
	}
	if (*s) {
		*why = "has junk after the number";
		return -1;
	}
	*out = (unsigned int)n;
	return 0;
}

/* Resolves a group name or numeric gid with getgr*_r. */
static int cfg_resolve_group(const char *v, char *name, size_t name_len,
			     gid_t *gid, const char **why)
{
	struct group gr, *res = NULL;
	long max = sysconf(_SC_GETGR_R_SIZE_MAX);
	size_t blen = max > 0 ? (size_t)max : 1024;
	bool numeric = *v != '\0';
	unsigned long long id = 0;
	int rc;

	for (const char *s = v; *s; s++) {
		if (!isdigit((unsigned char)*s)) {
			numeric = false;
			break;
		}
		id = id * 10 + (unsigned)(*s - '0');
		if (id >= (gid_t)-1) {
			*why = "gid out of range";
			return -1;
		}
	}
	for (;;) {
		char *buf = malloc(blen);

		if (!buf) {
			*why = "out of memory";
			return -1;
		}
		if (numeric)
			rc = getgrgid_r((gid_t)id, &gr, buf, blen, &res);
		else
			rc = getgrnam_r(v, &gr, buf, blen, &res);
		if (rc == ERANGE && blen < (1u << 20)) {
			free(buf);
			blen *= 2;
			continue;
		}
		if (rc == 0 && res) {
			if (strlen(gr.gr_name) >= name_len) {
				*why = "group name too long";
				free(buf);
				return -1;
			}
			strcpy(name, gr.gr_name);
			*gid = gr.gr_gid;
			free(buf);
			return 0;
		}
		free(buf);
		if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF ||
		    rc == EPERM)
			*why = numeric ? "no group has this gid"
				       : "no such group";
		else
			*why = "group database lookup failed";
		return -1;
	}
}

static int cfg_set(struct cfg_parse *p, enum cfg_key k, const char *v)
{
	struct mh_config *c = &p->cfg;
	const char *why = NULL;
	char show[64];
	bool b;

	switch (k) {
	case KEY_ONLINE_POLICY:
		if (mh_policy_from_name(v, &c->policy.policy) == 0)
			return 0;
		why = "unknown policy";
		cfg_error(p, p->lineno,
			  "[policy] key 'online_policy': '%s': %s; allowed: "
			  "auto-movable (default), contig-zones, movable, "
			  "kernel",
			  cfg_show(v, show, sizeof(show)), why);
		return -1;
	case KEY_RATIO:
		if (cfg_parse_uint(v, &c->policy.ratio, &why) == 0)
			return 0;
		cfg_error(p, p->lineno,
			  "[policy] key 'auto_movable_ratio': '%s' %s; "
			  "allowed: a decimal integer 0..%u (percent, default "
			  "301)",
			  cfg_show(v, show, sizeof(show)), why, UINT_MAX);
		return -1;
	case KEY_NUMA_AWARE:
		if (cfg_parse_bool(v, &b) == 0) {
			c->policy.numa_aware = b;
			return 0;
		}
		cfg_error(p, p->lineno,
			  "[policy] key 'auto_movable_numa_aware': '%s' is not "
			  "a boolean; allowed: true/false, yes/no, on/off, "
			  "1/0, Y/N (default true)",
			  cfg_show(v, show, sizeof(show)));
		return -1;
	case KEY_GROUP:
		if (!*v) {
			c->control_group_set = false;
			c->control_group[0] = '\0';
			c->control_gid = (gid_t)-1;
			return 0;
		}
		if (cfg_resolve_group(v, c->control_group,
				      sizeof(c->control_group), &c->control_gid,
				      &why) == 0) {
			c->control_group_set = true;
			return 0;
		}
		c->control_group[0] = '\0';
		cfg_error(p, p->lineno,
			  "[control] key 'group': '%s': %s; allowed: an "
			  "existing group name or numeric gid, or empty for "
			  "none (default)",
			  cfg_show(v, show, sizeof(show)), why);
		return -1;
	case KEY_MODE:
		if (!strcmp(v, "online") || !strcmp(v, "delegate")) {
			c->mode = !strcmp(v, "online") ? MH_MODE_ONLINE
						       : MH_MODE_DELEGATE;
			return 0;
		}
		cfg_error(p, p->lineno,
			  "[policy] key 'mode': '%s' is not a mode; allowed: "
			  "online (default), delegate",
			  cfg_show(v, show, sizeof(show)));
		return -1;
	case KEY_AUTO_ONLINE:
		if (!strcmp(v, "offline") || !strcmp(v, "leave")) {
			c->auto_online_blocks = !strcmp(v, "offline")
							? MH_AOB_OFFLINE
							: MH_AOB_LEAVE;
			return 0;
		}
		cfg_error(p, p->lineno,
			  "[kernel] key 'auto_online_blocks': '%s': allowed: "
			  "offline (default), leave",
			  cfg_show(v, show, sizeof(show)));
		return -1;
	case KEY_MIRROR:
	case KEY_CROSS_CHECK:
		if (cfg_parse_bool(v, &b) == 0) {
			if (k == KEY_MIRROR)
				c->mirror_policy = b;
			else
				c->cross_check = b;
			return 0;
		}
		cfg_error(p, p->lineno,
			  "[kernel] key '%s': '%s' is not a boolean; allowed: "
			  "true/false, yes/no, on/off, 1/0, Y/N (default true)",
			  cfg_keys[k].name, cfg_show(v, show, sizeof(show)));
		return -1;
	case KEY_METRICS_TEXTFILE:
		why = NULL;
		if (*v && v[0] != '/')
			why = "is not an absolute path";
		else if (*v && v[strlen(v) - 1] == '/')
			why = "names a directory, not a file";
		else if (strlen(v) >= sizeof(c->metrics_textfile))
			why = "is too long";
		for (const char *q = v; !why && *q; q++)
			if (!isprint((unsigned char)*q))
				why = "contains a control character";
		if (!why) {
			strcpy(c->metrics_textfile, v);
			return 0;
		}
		cfg_error(p, p->lineno,
			  "[metrics] key 'textfile': '%s' %s; allowed: an "
			  "absolute file path (e.g. /var/lib/prometheus/"
			  "node-exporter/memhotd.prom), or empty for none "
			  "(default)",
			  cfg_show(v, show, sizeof(show)), why);
		return -1;
	case NR_KEYS:
		break;
	}
	return -1;
}

/* ini_handler: one "key = value" in section. */
static int cfg_handler(void *user, const char *section, const char *name,
		       const char *value)
{
	struct cfg_parse *p = user;
	char show[64], show2[64];
	const char *other = NULL;
	int k_beyond;

	if (!*section) {
		cfg_error(p, p->lineno,
			  "key '%s' before any section; put it under "
			  "[policy], [control] or [kernel]",
			  cfg_show(name, show, sizeof(show)));
		return 0;
	}
	if (!cfg_known_section(section, strlen(section))) {
		cfg_error(p, p->lineno,
			  "[%s] key '%s': unknown section; allowed: "
			  "[policy], [control], [kernel], [metrics], [guard], "
			  "[rule NAME]",
			  cfg_show(section, show, sizeof(show)),
			  cfg_show(name, show2, sizeof(show2)));
		return 0;
	}
	k_beyond = cfg_beyond_key(p, section, name, value);
	if (k_beyond >= 0)
		return k_beyond;
	for (int k = 0; k < NR_KEYS; k++) {
		if (strcmp(cfg_keys[k].name, name))
			continue;
		if (strcmp(cfg_keys[k].section, section)) {
			other = cfg_keys[k].section;
			continue;
		}
		if (p->seen[k]) {
			cfg_error(p, p->lineno,
				  "[%s] key '%s': duplicate key (already set "
				  "on line %d); set each key once per file",
				  section, name, p->seen[k]);
			return 0;
		}
		p->seen[k] = p->lineno;
		return cfg_set(p, (enum cfg_key)k, value) == 0;
	}
	if (other)
		cfg_error(p, p->lineno,
			  "[%s] key '%s': unknown key in this section; it "
			  "belongs in [%s]",
			  section, name, other);
	else if (!strcmp(section, "policy"))
		cfg_error(p, p->lineno,
			  "[policy] key '%s': unknown key; allowed: "
			  "online_policy, auto_movable_ratio, "
			  "auto_movable_numa_aware, mode, kernel_reserve, "
			  "balloon_without_compaction",
			  cfg_show(name, show, sizeof(show)));
	else if (!strcmp(section, "kernel"))
		cfg_error(p, p->lineno,
			  "[kernel] key '%s': unknown key; allowed: "
			  "auto_online_blocks, mirror_policy, cross_check",
			  cfg_show(name, show, sizeof(show)));
	else if (!strcmp(section, "metrics"))
		cfg_error(p, p->lineno,
			  "[metrics] key '%s': unknown key; allowed: textfile",
			  cfg_show(name, show, sizeof(show)));
	else
		cfg_error(p, p->lineno,
			  "[control] key '%s': unknown key; allowed: group",
			  cfg_show(name, show, sizeof(show)));
	return 0;
}

static void cfg_put_err(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cfg_put_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* Parses len bytes of text on top of *c. */
static int cfg_parse_buf(const char *text, size_t len, const char *name,
			 struct mh_config *c, char *err, size_t err_len)
{
	struct cfg_parse *p;
	int ret;

	if (memchr(text, '\0', len)) {
		cfg_put_err(err, err_len, "%s: contains a NUL byte", name);
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		cfg_put_err(err, err_len, "%s: out of memory", name);
		return -1;
	}
	p->name = name;
	p->pos = text;
	p->end = text + len;
	p->cfg = *c;
	p->cur_rule = -1;
	ret = ini_parse_stream(cfg_reader, p, cfg_handler, p);
	if (ret > 0 && (!p->err_line || ret < p->err_line))
		cfg_error(p, ret,
			  "syntax error: expected 'key = value', "
			  "'[section]' or a comment");
	else if (ret < 0 && !p->err_line)
		cfg_error(p, 1, "parser failed (%d)", ret);
	cfg_beyond_finish(p);
	if (p->err_line) {
		cfg_put_err(err, err_len, "%s:%d: %s", name, p->err_line,
			    p->msg);
		free(p);
		return -1;
	}
	*c = p->cfg;
	free(p);
	return 0;
}

int mh_config_parse_string(const char *text, const char *name,
			   struct mh_config *c, char *err, size_t err_len)
{
	return cfg_parse_buf(text, strlen(text), name ? name : "<string>", c,
			     err, err_len);
}

/* 0 parsed, 1 missing (ENOENT), -1 error. */
static int cfg_parse_file(const char *path, struct mh_config *c, char *err,
			  size_t err_len)
{
	char *buf;
	size_t n = 0;
	int r;

	/* Non-blocking open, regular files only, bounded: a FIFO or a
	 * device here is an error, never a hang. */
	r = mh_read_file(NULL, path, CFG_MAX_FILE, &buf, &n);
	if (r == -ENOENT)
		return 1;
	if (r < 0) {
		if (r == -EISDIR || r == -EINVAL)
			cfg_put_err(err, err_len, "%s: not a regular file",
				    path);
		else if (r == -EFBIG)
			cfg_put_err(err, err_len,
				    "%s: too large (more than %d bytes)", path,
				    CFG_MAX_FILE);
		else
			cfg_put_err(err, err_len, "%s: cannot read: %s", path,
				    strerror(-r));
		return -1;
	}
	r = cfg_parse_buf(buf, n, path, c, err, err_len);
	free(buf);
	return r;
}

static int cfg_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool cfg_is_dropin_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && l > 5 && !strcmp(n + l - 5, ".conf");
}

/* The *.conf files in <path>.d, in strcmp order. */
static int cfg_load_dropins(const char *path, struct mh_config *c, char *err,
			    size_t err_len)
{
	char dir[PATH_MAX], file[PATH_MAX];
	char *names[CFG_MAX_DROPINS];
	size_t nr = 0;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if ((size_t)snprintf(dir, sizeof(dir), "%s%s", path,
			     MH_CONFIG_DROPIN_SUFFIX) >= sizeof(dir)) {
		cfg_put_err(err, err_len, "%s: path too long", path);
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		cfg_put_err(err, err_len, "%s: cannot open: %s", dir,
			    strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (!cfg_is_dropin_name(de->d_name))
			continue;
		if (nr == CFG_MAX_DROPINS) {
			cfg_put_err(err, err_len,
				    "%s: more than %d drop-in files", dir,
				    CFG_MAX_DROPINS);
			ret = -1;
			break;
		}
		names[nr] = strdup(de->d_name);
		if (!names[nr]) {
			cfg_put_err(err, err_len, "%s: out of memory", dir);
			ret = -1;
			break;
		}
		nr++;
	}
	closedir(d);
	if (ret == 0)
		qsort(names, nr, sizeof(names[0]), cfg_cmp);
	for (size_t i = 0; i < nr && ret == 0; i++) {
		if ((size_t)snprintf(file, sizeof(file), "%s/%s", dir,
				     names[i]) >= sizeof(file)) {
			cfg_put_err(err, err_len, "%s/%s: path too long", dir,
				    names[i]);
			ret = -1;
			break;
		}
		/* A drop-in removed since readdir is simply gone. */
		if (cfg_parse_file(file, c, err, err_len) < 0)
			ret = -1;
	}
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	return ret;
}

void mh_config_defaults(struct mh_config *c)
{
	memset(c, 0, sizeof(*c));
	c->policy.policy = MH_POLICY_AUTO_MOVABLE;
	c->policy.ratio = 301;
	c->policy.numa_aware = true;
	c->policy.movable_node = false;
	c->mode = MH_MODE_ONLINE;
	c->auto_online_blocks = MH_AOB_OFFLINE;
	c->mirror_policy = true;
	c->cross_check = true;
	c->control_group_set = false;
	c->control_gid = (gid_t)-1;
}

int mh_config_load(const char *path, bool missing_ok, struct mh_config *c,
		   char *err, size_t err_len)
{
	struct mh_config tmp;
	int r;

	if (err && err_len)
		err[0] = '\0';
	mh_config_defaults(&tmp);
	r = cfg_parse_file(path, &tmp, err, err_len);
	if (r < 0)
		return -1;
	if (r == 1 && !missing_ok) {
		cfg_put_err(err, err_len, "%s: cannot open: %s", path,
			    strerror(ENOENT));
		return -1;
	}
	if (cfg_load_dropins(path, &tmp, err, err_len) < 0)
		return -1;
	*c = tmp;
	return 0;
}

void mh_config_print(const struct mh_config *c, FILE *out)
{
	fprintf(out, "[policy]\n");
	fprintf(out, "online_policy = %s\n", mh_policy_name(c->policy.policy));
	fprintf(out, "auto_movable_ratio = %u\n", c->policy.ratio);
	fprintf(out, "auto_movable_numa_aware = %s\n",
		c->policy.numa_aware ? "true" : "false");
	fprintf(out, "mode = %s\n",
		c->mode == MH_MODE_DELEGATE ? "delegate" : "online");
	cfg_print_beyond_policy(c, out);
	fprintf(out, "\n[kernel]\n");
	fprintf(out, "auto_online_blocks = %s\n",
		c->auto_online_blocks == MH_AOB_LEAVE ? "leave" : "offline");
	fprintf(out, "mirror_policy = %s\n",
		c->mirror_policy ? "true" : "false");
	fprintf(out, "cross_check = %s\n", c->cross_check ? "true" : "false");
	fprintf(out, "\n[control]\n");
	if (c->control_group_set) {
		fprintf(out, "# gid %lu\n", (unsigned long)c->control_gid);
		fprintf(out, "group = %s\n", c->control_group);
	} else {
		fprintf(out, "group =\n");
	}
	fprintf(out, "\n[metrics]\ntextfile =%s%s\n",
		c->metrics_textfile[0] ? " " : "", c->metrics_textfile);
	cfg_print_beyond_sections(c, out);
}

/* Beyond the kernel (doc/policy.md 9) ------------------------------------ */

/* "rule NAME": the name, or NULL if section is not a rule section. */
static const char *cfg_rule_section_name(const char *section, char *buf,
					 size_t len)
{
	const char *s = section, *e;
	size_t n;

	if (strncmp(s, "rule", 4) || (s[4] != ' ' && s[4] != '\t'))
		return NULL;
	s += 4;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - s);
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

static bool cfg_beyond_section(const char *s, size_t len)
{
	if (len == 5 && !memcmp(s, "guard", 5))
		return true;
	/* "rule" and a blank; the name is checked by cfg_beyond_header */
	return len > 5 && !memcmp(s, "rule", 4) &&
	       (s[4] == ' ' || s[4] == '\t');
}

/* A [rule NAME] header: find or create the rule. */
static void cfg_beyond_header(struct cfg_parse *p, const char *section)
{
	struct mh_rule_table *t = &p->cfg.policy.rules;
	char name[128], show[64];
	ssize_t r;

	p->cur_rule = -1;
	if (!cfg_rule_section_name(section, name, sizeof(name)))
		return;
	if (!mh_rule_name_valid(name)) {
		cfg_error(p, p->lineno,
			  "[rule %s]: invalid rule name; allowed: 1 to %d "
			  "characters of A-Z a-z 0-9 _ . -",
			  cfg_show(name, show, sizeof(show)),
			  MH_RULE_NAME_MAX - 1);
		return;
	}
	r = mh_rules_find(t, name);
	if (r >= 0 && p->rule_line[r]) {
		cfg_error(p, p->lineno,
			  "[rule %s]: rule defined twice in this file (first "
			  "on line %d)",
			  name, p->rule_line[r]);
		return;
	}
	if (r < 0) {
		r = mh_rules_add(t, name);
		if (r < 0) {
			cfg_error(p, p->lineno,
				  "[rule %s]: too many rules (at most %d)",
				  name, MH_RULES_MAX);
			return;
		}
		p->rule_new[r] = true;
	}
	/* an existing rule of an earlier file: its keys are overridden */
	p->rule_line[r] = p->lineno;
	p->cur_rule = r;
}

/* A SIZE: decimal bytes with an optional K, M, G or T (powers of 1024). */
static int cfg_parse_size(const char *v, uint64_t *out, const char **why)
{
	unsigned long long n = 0;
	unsigned int shift = 0;
	const char *s = v;

	if (!*s) {
		*why = "is empty";
		return -1;
	}
	if (!isdigit((unsigned char)*s)) {
		*why = *s == '-' ? "is negative" : "is not a number";
		return -1;
	}
	if (s[0] == '0' && isdigit((unsigned char)s[1])) {
		*why = "has a leading zero";
		return -1;
	}
	for (; isdigit((unsigned char)*s); s++) {
		unsigned int dgt = (unsigned int)(*s - '0');

		if (n > (UINT64_MAX - dgt) / 10) {
			*why = "is too large";
			return -1;
		}
		n = n * 10 + dgt;
	}
	switch (*s) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		*why = "has junk after the number";
		return -1;
	}
	if (shift && s[1] != '\0') {
		*why = "has junk after the suffix";
		return -1;
	}
	if (shift && n > (UINT64_MAX >> shift)) {
		*why = "is too large";
		return -1;
	}
	*out = (uint64_t)n << shift;
	return 0;
}

/* The shortest exact spelling of a SIZE: "0", "128M", "1G", "4097". */
static void cfg_print_size(FILE *out, uint64_t v)
{
	static const char suffix[] = "TGMK";

	for (int i = 0; i < 4 && v; i++) {
		unsigned int shift = 40 - 10 * (unsigned int)i;

		if (!(v & ((1ULL << shift) - 1))) {
			fprintf(out, "%llu%c", (unsigned long long)(v >> shift),
				suffix[i]);
			return;
		}
	}
	fprintf(out, "%llu", (unsigned long long)v);
}

static int cfg_beyond_once(struct cfg_parse *p, int *seen, const char *section,
			   const char *name)
{
	if (*seen) {
		cfg_error(p, p->lineno,
			  "[%s] key '%s': duplicate key (already set on line "
			  "%d); set each key once per file",
			  section, name, *seen);
		return -1;
	}
	*seen = p->lineno;
	return 0;
}

static int cfg_beyond_size(struct cfg_parse *p, const char *section,
			   const char *name, const char *v, uint64_t *dst)
{
	const char *why = NULL;
	char show[64];

	if (cfg_parse_size(v, dst, &why) == 0)
		return 1;
	cfg_error(p, p->lineno,
		  "[%s] key '%s': '%s' %s; allowed: a size in bytes with an "
		  "optional K, M, G or T suffix (default 0 = off)",
		  section, name, cfg_show(v, show, sizeof(show)), why);
	return 0;
}

static int cfg_rule_key(struct cfg_parse *p, const char *section,
			const char *name, const char *v)
{
	struct mh_rule *r;
	const char *why = NULL;
	char show[64];
	unsigned int node;
	int k;

	for (k = 0; k < NR_RULE_KEYS; k++)
		if (!strcmp(name, cfg_rule_keys[k]))
			break;
	if (k == NR_RULE_KEYS) {
		cfg_error(p, p->lineno,
			  "[%s] key '%s': unknown key; allowed: match_type, "
			  "match_device, match_node, zone",
			  section, cfg_show(name, show, sizeof(show)));
		return 0;
	}
	if (p->cur_rule < 0)
		return 0; /* the header's error is already recorded */
	r = &p->cfg.policy.rules.rule[p->cur_rule];
	if (cfg_beyond_once(p, &p->rule_seen[p->cur_rule][k], section, name))
		return 0;
	switch ((enum cfg_rule_key)k) {
	case RKEY_MATCH_TYPE:
		if (mh_dev_type_from_name(v, &r->type) == 0) {
			r->has_type = true;
			return 1;
		}
		cfg_error(p, p->lineno,
			  "[%s] key 'match_type': '%s': unknown device type; "
			  "allowed: virtio-mem, dimm, dax, none",
			  section, cfg_show(v, show, sizeof(show)));
		return 0;
	case RKEY_MATCH_DEVICE:
		why = NULL;
		if (!*v)
			why = "is empty";
		else if (strlen(v) >= sizeof(r->device))
			why = "is too long";
		for (const char *q = v; !why && *q; q++)
			if (!isgraph((unsigned char)*q))
				why = "contains a blank or control character";
		if (!why) {
			memset(r->device, 0, sizeof(r->device));
			strcpy(r->device, v);
			r->has_device = true;
			return 1;
		}
		cfg_error(p, p->lineno,
			  "[%s] key 'match_device': '%s' %s; allowed: a device "
			  "name as memhotctl status shows it, shell-style "
			  "globs allowed, at most %d characters",
			  section, cfg_show(v, show, sizeof(show)), why,
			  MH_RULE_DEVICE_MAX - 1);
		return 0;
	case RKEY_MATCH_NODE:
		if (cfg_parse_uint(v, &node, &why) == 0 &&
		    node <= MH_RULE_NODE_MAX) {
			r->node = (int)node;
			r->has_node = true;
			return 1;
		}
		cfg_error(p, p->lineno,
			  "[%s] key 'match_node': '%s' %s; allowed: a node "
			  "number 0..%d",
			  section, cfg_show(v, show, sizeof(show)),
			  why ? why : "is out of range", MH_RULE_NODE_MAX);
		return 0;
	case RKEY_ZONE:
		if (mh_rule_zone_from_name(v, &r->zone) == 0) {
			r->has_zone = true;
			return 1;
		}
		cfg_error(p, p->lineno,
			  "[%s] key 'zone': '%s': unknown zone; allowed: "
			  "movable, kernel, auto (the configured policy)",
			  section, cfg_show(v, show, sizeof(show)));
		return 0;
	case NR_RULE_KEYS:
		break;
	}
	return 0;
}

/*
 * The new keys: 1 accepted, 0 error recorded (both as inih handler
 * results), -1 not a beyond-the-kernel key (the caller goes on).
 */
static int cfg_beyond_key(struct cfg_parse *p, const char *section,
			  const char *name, const char *value)
{
	struct mh_policy_config *pc = &p->cfg.policy;
	char rname[128], show[64];

	if (!strcmp(section, "policy")) {
		if (!strcmp(name, "kernel_reserve")) {
			if (cfg_beyond_once(
				    p, &p->beyond_seen[BKEY_KERNEL_RESERVE],
				    section, name))
				return 0;
			return cfg_beyond_size(p, section, name, value,
					       &pc->kernel_reserve);
		}
		if (!strcmp(name, "balloon_without_compaction")) {
			if (cfg_beyond_once(p, &p->beyond_seen[BKEY_BALLOON],
					    section, name))
				return 0;
			if (mh_balloon_mode_from_name(value, &pc->balloon) == 0)
				return 1;
			cfg_error(p, p->lineno,
				  "[policy] key 'balloon_without_compaction': "
				  "'%s': unknown mode; allowed: warn "
				  "(default), kernel",
				  cfg_show(value, show, sizeof(show)));
			return 0;
		}
		if (!strcmp(name, "kernel_free_min")) {
			cfg_error(p, p->lineno,
				  "[policy] key 'kernel_free_min': unknown key "
				  "in this section; it belongs in [guard]");
			return 0;
		}
		return -1;
	}
	if (!strcmp(section, "guard")) {
		if (!strcmp(name, "kernel_free_min")) {
			if (cfg_beyond_once(
				    p, &p->beyond_seen[BKEY_KERNEL_FREE_MIN],
				    section, name))
				return 0;
			return cfg_beyond_size(p, section, name, value,
					       &pc->kernel_free_min);
		}
		cfg_error(p, p->lineno,
			  "[guard] key '%s': unknown key; allowed: "
			  "kernel_free_min",
			  cfg_show(name, show, sizeof(show)));
		return 0;
	}
	if (cfg_rule_section_name(section, rname, sizeof(rname)))
		return cfg_rule_key(p, section, name, value);
	return -1;
}

/* Every rule this file created needs an action. */
static void cfg_beyond_finish(struct cfg_parse *p)
{
	const struct mh_rule_table *t = &p->cfg.policy.rules;

	if (p->err_line)
		return; /* e.g. a bad zone value: the better message */
	for (size_t i = 0; i < t->nr && i < MH_RULES_MAX; i++)
		if (p->rule_new[i] && !t->rule[i].has_zone)
			cfg_error(p, p->rule_line[i],
				  "[rule %s]: no 'zone' key; a rule needs zone "
				  "= movable, kernel or auto",
				  t->rule[i].name);
}

static void cfg_print_beyond_policy(const struct mh_config *c, FILE *out)
{
	fprintf(out, "kernel_reserve = ");
	cfg_print_size(out, c->policy.kernel_reserve);
	fprintf(out, "\nballoon_without_compaction = %s\n",
		mh_balloon_mode_name(c->policy.balloon));
}

static void cfg_print_beyond_sections(const struct mh_config *c, FILE *out)
{
	const struct mh_rule_table *t = &c->policy.rules;

	fprintf(out, "\n[guard]\nkernel_free_min = ");
	cfg_print_size(out, c->policy.kernel_free_min);
	fprintf(out, "\n");
	for (size_t i = 0; i < t->nr && i < MH_RULES_MAX; i++) {
		const struct mh_rule *r = &t->rule[i];

		fprintf(out, "\n[rule %s]\n", r->name);
		if (r->has_type)
			fprintf(out, "match_type = %s\n",
				mh_dev_type_name(r->type));
		if (r->has_device)
			fprintf(out, "match_device = %s\n", r->device);
		if (r->has_node)
			fprintf(out, "match_node = %d\n", r->node);
		fprintf(out, "zone = %s\n", mh_rule_zone_name(r->zone));
	}
}
