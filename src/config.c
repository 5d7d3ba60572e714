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

#define CFG_MAX_FILE (1024 * 1024)
#define CFG_MAX_LINE 1024
#define CFG_MAX_DROPINS 256

enum cfg_key {
	KEY_ONLINE_POLICY = 0,
	KEY_RATIO,
	KEY_NUMA_AWARE,
	KEY_GROUP,
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
};

static const char *const cfg_sections[] = {"policy", "control"};

struct cfg_parse {
	const char *name; /* file name for messages */
	const char *pos, *end;
	int lineno;	   /* line last handed to inih */
	int err_line;	   /* line of the first error so far, 0 none */
	char msg[512];	   /* its message, without "FILE:LINE: " */
	int seen[NR_KEYS]; /* line a key was set on in this file, 0 none */
	struct mh_config cfg;
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
			  "unknown section [%s]; allowed: [policy], [control]",
			  cfg_show(name, show, sizeof(show)));
		return;
	}
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

	if (!*section) {
		cfg_error(p, p->lineno,
			  "key '%s' before any section; put it under "
			  "[policy] or [control]",
			  cfg_show(name, show, sizeof(show)));
		return 0;
	}
	if (!cfg_known_section(section, strlen(section))) {
		cfg_error(p, p->lineno,
			  "[%s] key '%s': unknown section; allowed: "
			  "[policy], [control]",
			  cfg_show(section, show, sizeof(show)),
			  cfg_show(name, show2, sizeof(show2)));
		return 0;
	}
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
			  "auto_movable_numa_aware",
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
	ret = ini_parse_stream(cfg_reader, p, cfg_handler, p);
	if (ret > 0 && (!p->err_line || ret < p->err_line))
		cfg_error(p, ret,
			  "syntax error: expected 'key = value', "
			  "'[section]' or a comment");
	else if (ret < 0 && !p->err_line)
		cfg_error(p, 1, "parser failed (%d)", ret);
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
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		cfg_put_err(err, err_len, "%s: cannot open: %s", path,
			    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		cfg_put_err(err, err_len, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_size > CFG_MAX_FILE) {
		cfg_put_err(err, err_len, "%s: too large (more than %d bytes)",
			    path, CFG_MAX_FILE);
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		cfg_put_err(err, err_len, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size + 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			cfg_put_err(err, err_len, "%s: cannot read: %s", path,
				    strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > (size_t)st.st_size) {
			cfg_put_err(err, err_len, "%s: grew while reading",
				    path);
			free(buf);
			close(fd);
			return -1;
		}
	}
	close(fd);
	buf[n] = '\0';
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
	fprintf(out, "\n[control]\n");
	if (c->control_group_set) {
		fprintf(out, "# gid %lu\n", (unsigned long)c->control_gid);
		fprintf(out, "group = %s\n", c->control_group);
	} else {
		fprintf(out, "group =\n");
	}
}
