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
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memhotd/config.h"
#include "memhotd/sysfs.h"
#include "memhotd/util.h"

#define CFG_MAX_FILE (1024 * 1024)
#define CFG_MAX_LINE 1024
#define CFG_MAX_DROPINS 256

/*
 * The keys ------------------------------------------------------------------
 *
 * Every key is one row of cfg_keys[]: its section, name, value type, where
 * the value lives and what an error message allows.  The handler, the
 * messages, the duplicate check and mh_config_print all work from the table,
 * so a new key is one row (and its paragraph in memhotd.conf(5), which
 * test_config checks against the printed keys).
 */

/* What a key's value is; cfg_types[] parses and prints each. */
enum cfg_type {
	CFG_BOOL = 0, /* bool */
	CFG_UINT,     /* unsigned int (or int), 0..max */
	CFG_SIZE,     /* uint64_t bytes, K/M/G/T suffixes */
	CFG_ENUM,     /* an enum, through cfg_key.e */
	CFG_GROUP,    /* [control] group: the whole struct mh_config */
	CFG_PATH,     /* char[max + 1]: absolute file path or empty */
	CFG_GLOB,     /* char[max + 1]: fnmatch(3) pattern, no blanks */
	NR_CFG_TYPES,
};

/* An enum-valued key: value <-> name, and how a bad value is described
 * right after the quoted value (": unknown policy", " is not a mode"). */
struct cfg_enum {
	int (*parse)(const char *v, void *dst);
	const char *(*name)(const void *src);
	const char *why;
};

/* A struct cfg_enum id over from_name/name functions of the enum type. */
#define CFG_ENUM_OF(id, type, from_name, to_name, bad)                         \
	static int id##_parse(const char *v, void *dst)                        \
	{                                                                      \
		return from_name(v, (type *)dst);                              \
	}                                                                      \
	static const char *id##_name(const void *src)                          \
	{                                                                      \
		return to_name(*(const type *)src);                            \
	}                                                                      \
	static const struct cfg_enum id = {id##_parse, id##_name, bad}

static const char *const cfg_mode_names[] = {
	[MH_MODE_ONLINE] = "online",
	[MH_MODE_DELEGATE] = "delegate",
};
MH_STRING_TABLE_TO(static, cfg_mode_name, enum mh_mode, cfg_mode_names,
		   "online")
MH_STRING_TABLE_FROM(static, cfg_mode_from_name, enum mh_mode, cfg_mode_names)

static const char *const cfg_aob_names[] = {
	[MH_AOB_OFFLINE] = "offline",
	[MH_AOB_LEAVE] = "leave",
};
MH_STRING_TABLE_TO(static, cfg_aob_name, enum mh_auto_online_action,
		   cfg_aob_names, "offline")
MH_STRING_TABLE_FROM(static, cfg_aob_from_name, enum mh_auto_online_action,
		     cfg_aob_names)

CFG_ENUM_OF(cfg_enum_policy, enum mh_online_policy, mh_policy_from_name,
	    mh_policy_name, ": unknown policy");
CFG_ENUM_OF(cfg_enum_mode, enum mh_mode, cfg_mode_from_name, cfg_mode_name,
	    " is not a mode");
CFG_ENUM_OF(cfg_enum_balloon, enum mh_balloon_mode, mh_balloon_mode_from_name,
	    mh_balloon_mode_name, ": unknown mode");
CFG_ENUM_OF(cfg_enum_aob, enum mh_auto_online_action, cfg_aob_from_name,
	    cfg_aob_name, ": unknown setting");
CFG_ENUM_OF(cfg_enum_dev_type, enum mh_dev_type, mh_dev_type_from_name,
	    mh_dev_type_name, ": unknown device type");
CFG_ENUM_OF(cfg_enum_rule_zone, enum mh_rule_zone, mh_rule_zone_from_name,
	    mh_rule_zone_name, ": unknown zone");

/* The section of the [rule NAME] keys in cfg_keys[]. */
#define CFG_RULE "rule"

struct cfg_key {
	const char *section; /* "policy", ...; CFG_RULE for [rule NAME] */
	const char *name;
	enum cfg_type type;
	/* The value: in struct mh_config, or in struct mh_rule for [rule
	 * NAME] keys, whose has_off names their has_* flag. */
	size_t off, has_off;
	unsigned long long max;	  /* CFG_UINT: largest value; CFG_PATH,
				   * CFG_GLOB: most characters */
	const struct cfg_enum *e; /* CFG_ENUM */
	/* After "allowed: " in an error message; a %llu there is max. */
	const char *allowed;
	/* [rule NAME]: every rule needs this key; what it may be set to. */
	const char *required;
};

#define CFG_C(field) offsetof(struct mh_config, field)
#define CFG_R(field) offsetof(struct mh_rule, field)
#define CFG_ALLOW_BOOL "true/false, yes/no, on/off, 1/0, Y/N (default true)"
#define CFG_ALLOW_SIZE                                                         \
	"a size in bytes with an optional K, M, G or T suffix (default 0 = "   \
	"off)"

/* In the order mh_config_print prints them (and the messages list them). */
static const struct cfg_key cfg_keys[] = {
	{"policy", "online_policy", CFG_ENUM, CFG_C(policy.policy),
	 .e = &cfg_enum_policy,
	 .allowed = "auto-movable (default), contig-zones, movable, kernel"},
	{"policy", "auto_movable_ratio", CFG_UINT, CFG_C(policy.ratio),
	 .max = UINT_MAX,
	 .allowed = "a decimal integer 0..%llu (percent, default 301)"},
	{"policy", "auto_movable_numa_aware", CFG_BOOL,
	 CFG_C(policy.numa_aware), .allowed = CFG_ALLOW_BOOL},
	{"policy", "mode", CFG_ENUM, CFG_C(mode), .e = &cfg_enum_mode,
	 .allowed = "online (default), delegate"},
	{"policy", "kernel_reserve", CFG_SIZE, CFG_C(policy.kernel_reserve),
	 .allowed = CFG_ALLOW_SIZE},
	{"policy", "balloon_without_compaction", CFG_ENUM,
	 CFG_C(policy.balloon), .e = &cfg_enum_balloon,
	 .allowed = "warn (default), kernel"},
	{"kernel", "auto_online_blocks", CFG_ENUM, CFG_C(auto_online_blocks),
	 .e = &cfg_enum_aob, .allowed = "offline (default), leave"},
	{"kernel", "mirror_policy", CFG_BOOL, CFG_C(mirror_policy),
	 .allowed = CFG_ALLOW_BOOL},
	{"kernel", "cross_check", CFG_BOOL, CFG_C(cross_check),
	 .allowed = CFG_ALLOW_BOOL},
	{"control", "group", CFG_GROUP, 0,
	 .allowed = "an existing group name or numeric gid, or empty for none "
		    "(default)"},
	{"metrics", "textfile", CFG_PATH, CFG_C(metrics_textfile),
	 .max = sizeof(((struct mh_config *)0)->metrics_textfile) - 1,
	 .allowed = "an absolute file path (e.g. /var/lib/prometheus/"
		    "node-exporter/memhotd.prom), or empty for none (default)"},
	{"guard", "kernel_free_min", CFG_SIZE, CFG_C(policy.kernel_free_min),
	 .allowed = CFG_ALLOW_SIZE},
	{CFG_RULE, "match_type", CFG_ENUM, CFG_R(type), CFG_R(has_type),
	 .e = &cfg_enum_dev_type, .allowed = "virtio-mem, dimm, dax, none"},
	{CFG_RULE, "match_device", CFG_GLOB, CFG_R(device), CFG_R(has_device),
	 .max = MH_RULE_DEVICE_MAX - 1,
	 .allowed = "a device name as memhotctl status shows it, shell-style "
		    "globs allowed, at most %llu characters"},
	{CFG_RULE, "match_node", CFG_UINT, CFG_R(node), CFG_R(has_node),
	 .max = MH_RULE_NODE_MAX, .allowed = "a node number 0..%llu"},
	{CFG_RULE, "zone", CFG_ENUM, CFG_R(zone), CFG_R(has_zone),
	 .e = &cfg_enum_rule_zone,
	 .allowed = "movable, kernel, auto (the configured policy)",
	 .required = "movable, kernel or auto"},
};
#define NR_CFG_KEYS MH_ELEMENTSOF(cfg_keys)

/*
 * The sections, in the order messages list them.  In the kernel's
 * sections a key of another section is named as misplaced; [guard] and
 * [rule NAME] list their own few keys instead.
 */
static const struct {
	const char *name;
	bool hint_misplaced;
} cfg_sections[] = {
	{"policy", true},  {"control", true}, {"kernel", true},
	{"metrics", true}, {"guard", false},  {CFG_RULE, false},
};

struct cfg_parse {
	const char *name; /* file name for messages */
	const char *pos, *end;
	int lineno;	       /* line last handed to inih */
	int err_line;	       /* line of the first error so far, 0 none */
	char msg[512];	       /* its message, without "FILE:LINE: " */
	int seen[NR_CFG_KEYS]; /* line a key was set on in this file, 0 none */
	struct mh_config cfg;
	int rule_line[MH_RULES_MAX]; /* [rule NAME] header line, 0 none */
	bool rule_new[MH_RULES_MAX]; /* created by this file */
	int rule_seen[MH_RULES_MAX][NR_CFG_KEYS]; /* seen[], per rule */
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

/* "rule" and a blank (the name is checked by cfg_rule_header). */
static bool cfg_is_rule_section(const char *s, size_t len)
{
	return len > 5 && !memcmp(s, "rule", 4) &&
	       (s[4] == ' ' || s[4] == '\t');
}

static bool cfg_known_section(const char *s, size_t len)
{
	if (cfg_is_rule_section(s, len))
		return true;
	for (size_t i = 0; i < MH_ELEMENTSOF(cfg_sections); i++)
		if (strcmp(cfg_sections[i].name, CFG_RULE) &&
		    strlen(cfg_sections[i].name) == len &&
		    !memcmp(cfg_sections[i].name, s, len))
			return true;
	return false;
}

/* "[policy], [control], ..., [rule NAME]" */
static const char *cfg_section_list(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < MH_ELEMENTSOF(cfg_sections); i++)
		mh_appendf(buf, len, &n, "%s[%s%s]", i ? ", " : "",
			   cfg_sections[i].name,
			   strcmp(cfg_sections[i].name, CFG_RULE) ? ""
								  : " NAME");
	return buf;
}

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

/* A [rule NAME] header: find or create the rule. */
static void cfg_rule_header(struct cfg_parse *p, const char *section)
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

/* Checks what inih does not: section names and junk after ']'. */
static void cfg_check_line(struct cfg_parse *p, const char *s, size_t len)
{
	const char *close, *q;
	char show[64], name[128], sections[128];

	if (len == 0 || s[0] != '[')
		return;
	close = memchr(s, ']', len);
	if (!close)
		return; /* inih reports the syntax error */
	snprintf(name, sizeof(name), "%.*s", (int)(close - s - 1), s + 1);
	if (!cfg_known_section(s + 1, (size_t)(close - s - 1))) {
		cfg_error(p, p->lineno, "unknown section [%s]; allowed: %s",
			  cfg_show(name, show, sizeof(show)),
			  cfg_section_list(sections, sizeof(sections)));
		return;
	}
	cfg_rule_header(p, name);
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
	return -EINVAL;
}

/* Decimal 0..UINT_MAX, no sign, no leading zeros, nothing after. */
static int cfg_parse_uint(const char *v, unsigned int *out, const char **why)
{
	unsigned long long n = 0;
	const char *s = v;

	if (!*s) {
		*why = "empty";
		return -EINVAL;
	}
	if (*s == '-') {
		*why = "negative";
		return -EINVAL;
	}
	if (!isdigit((unsigned char)*s)) {
		*why = "not a number";
		return -EINVAL;
	}
	if (s[0] == '0' && s[1] != '\0' && isdigit((unsigned char)s[1])) {
		*why = "has a leading zero (the kernel would read it as octal)";
		return -EINVAL;
	}
	for (; isdigit((unsigned char)*s); s++) {
		n = n * 10 + (unsigned)(*s - '0');
		if (n > UINT_MAX) {
			*why = "too large";
			return -EINVAL;
		}
	}
	if (*s) {
		*why = "has junk after the number";
		return -EINVAL;
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
			return -EINVAL;
		}
	}
	for (;;) {
		char *buf = malloc(blen);

		if (!buf) {
			*why = "out of memory";
			return -EINVAL;
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
				return -EINVAL;
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
		return -EINVAL;
	}
}

/* A SIZE: decimal bytes with an optional K, M, G or T (powers of 1024). */
static int cfg_parse_size(const char *v, uint64_t *out, const char **why)
{
	unsigned long long n = 0;
	unsigned int shift = 0;
	const char *s = v;

	if (!*s) {
		*why = "is empty";
		return -EINVAL;
	}
	if (!isdigit((unsigned char)*s)) {
		*why = *s == '-' ? "is negative" : "is not a number";
		return -EINVAL;
	}
	if (s[0] == '0' && isdigit((unsigned char)s[1])) {
		*why = "has a leading zero";
		return -EINVAL;
	}
	for (; isdigit((unsigned char)*s); s++) {
		unsigned int dgt = (unsigned int)(*s - '0');

		if (n > (UINT64_MAX - dgt) / 10) {
			*why = "is too large";
			return -EINVAL;
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
		return -EINVAL;
	}
	if (shift && s[1] != '\0') {
		*why = "has junk after the suffix";
		return -EINVAL;
	}
	if (shift && n > (UINT64_MAX >> shift)) {
		*why = "is too large";
		return -EINVAL;
	}
	*out = (uint64_t)n << shift;
	return 0;
}

/* The shortest exact spelling of a SIZE: "0", "128M", "1G", "4097". */
static void cfg_format_size(uint64_t v, char *buf, size_t len)
{
	static const char suffix[] = "TGMK";

	for (int i = 0; i < 4 && v; i++) {
		unsigned int shift = 40 - 10 * (unsigned int)i;

		if (!(v & ((1ULL << shift) - 1))) {
			snprintf(buf, len, "%llu%c",
				 (unsigned long long)(v >> shift), suffix[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
}

/* The value types ------------------------------------------------------- */

/* Each sets *dst from v: 0, or -EINVAL with *why (what is wrong with v). */
static int cfg_set_bool(const struct cfg_key *k, void *dst, const char *v,
			const char **why)
{
	(void)k;
	if (cfg_parse_bool(v, dst) == 0)
		return 0;
	*why = "is not a boolean";
	return -EINVAL;
}

static int cfg_set_uint(const struct cfg_key *k, void *dst, const char *v,
			const char **why)
{
	unsigned int u;

	_Static_assert(sizeof(unsigned int) == sizeof(int),
		       "CFG_UINT also stores into int");
	if (cfg_parse_uint(v, &u, why) < 0)
		return -EINVAL;
	if (u > k->max) {
		*why = "is out of range";
		return -EINVAL;
	}
	memcpy(dst, &u, sizeof(u));
	return 0;
}

static int cfg_set_size(const struct cfg_key *k, void *dst, const char *v,
			const char **why)
{
	(void)k;
	return cfg_parse_size(v, dst, why);
}

static int cfg_set_enum(const struct cfg_key *k, void *dst, const char *v,
			const char **why)
{
	if (k->e->parse(v, dst) == 0)
		return 0;
	*why = k->e->why;
	return -EINVAL;
}

static int cfg_set_group(const struct cfg_key *k, void *dst, const char *v,
			 const char **why)
{
	struct mh_config *c = dst;

	(void)k;
	if (!*v) {
		c->control_group_set = false;
		c->control_group[0] = '\0';
		c->control_gid = (gid_t)-1;
		return 0;
	}
	if (cfg_resolve_group(v, c->control_group, sizeof(c->control_group),
			      &c->control_gid, why) < 0)
		return -EINVAL;
	c->control_group_set = true;
	return 0;
}

/* At most k->max characters of which none is a control character (and,
 * with graph, none is a blank either); copied into dst. */
static int cfg_set_string(const struct cfg_key *k, void *dst, const char *v,
			  bool graph, const char **why)
{
	if (strlen(v) > k->max) {
		*why = "is too long";
		return -EINVAL;
	}
	for (const char *q = v; *q; q++)
		if (graph ? !isgraph((unsigned char)*q)
			  : !isprint((unsigned char)*q)) {
			*why = graph ? "contains a blank or control character"
				     : "contains a control character";
			return -EINVAL;
		}
	memset(dst, 0, k->max + 1);
	strcpy(dst, v);
	return 0;
}

static int cfg_set_path(const struct cfg_key *k, void *dst, const char *v,
			const char **why)
{
	if (*v && v[0] != '/')
		*why = "is not an absolute path";
	else if (*v && v[strlen(v) - 1] == '/')
		*why = "names a directory, not a file";
	else
		return cfg_set_string(k, dst, v, false, why);
	return -EINVAL;
}

static int cfg_set_glob(const struct cfg_key *k, void *dst, const char *v,
			const char **why)
{
	if (!*v) {
		*why = "is empty";
		return -EINVAL;
	}
	return cfg_set_string(k, dst, v, true, why);
}

/* "name = value", or "name =" for an empty value. */
static void cfg_print_line(FILE *out, const struct cfg_key *k, const char *v)
{
	fprintf(out, "%s =%s%s\n", k->name, *v ? " " : "", v);
}

/* Each prints the line of key k, whose value is at src. */
static void cfg_print_bool(FILE *out, const struct cfg_key *k, const void *src)
{
	cfg_print_line(out, k, *(const bool *)src ? "true" : "false");
}

static void cfg_print_uint(FILE *out, const struct cfg_key *k, const void *src)
{
	unsigned int u;

	memcpy(&u, src, sizeof(u));
	fprintf(out, "%s = %u\n", k->name, u);
}

static void cfg_print_size(FILE *out, const struct cfg_key *k, const void *src)
{
	char buf[32];

	cfg_format_size(*(const uint64_t *)src, buf, sizeof(buf));
	cfg_print_line(out, k, buf);
}

static void cfg_print_enum(FILE *out, const struct cfg_key *k, const void *src)
{
	cfg_print_line(out, k, k->e->name(src));
}

static void cfg_print_group(FILE *out, const struct cfg_key *k, const void *src)
{
	const struct mh_config *c = src;

	if (c->control_group_set)
		fprintf(out, "# gid %lu\n", (unsigned long)c->control_gid);
	cfg_print_line(out, k, c->control_group_set ? c->control_group : "");
}

static void cfg_print_string(FILE *out, const struct cfg_key *k,
			     const void *src)
{
	cfg_print_line(out, k, src);
}

static const struct {
	int (*set)(const struct cfg_key *k, void *dst, const char *v,
		   const char **why);
	void (*print)(FILE *out, const struct cfg_key *k, const void *src);
	const char *sep; /* between the quoted value and why */
} cfg_types[NR_CFG_TYPES] = {
	[CFG_BOOL] = {cfg_set_bool, cfg_print_bool, " "},
	[CFG_UINT] = {cfg_set_uint, cfg_print_uint, " "},
	[CFG_SIZE] = {cfg_set_size, cfg_print_size, " "},
	[CFG_ENUM] = {cfg_set_enum, cfg_print_enum, ""},
	[CFG_GROUP] = {cfg_set_group, cfg_print_group, ": "},
	[CFG_PATH] = {cfg_set_path, cfg_print_string, " "},
	[CFG_GLOB] = {cfg_set_glob, cfg_print_string, " "},
};

/* The key of section (CFG_RULE for any [rule NAME]) called name, or NULL. */
static const struct cfg_key *cfg_find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < NR_CFG_KEYS; i++)
		if (!strcmp(cfg_keys[i].section, section) &&
		    !strcmp(cfg_keys[i].name, name))
			return &cfg_keys[i];
	return NULL;
}

/* An unknown key: where it belongs, or which keys the section has. */
static void cfg_unknown_key(struct cfg_parse *p, const char *section,
			    const char *ksec, const char *name)
{
	const struct cfg_key *other = NULL;
	char list[256] = "", show[64];
	size_t n = 0;
	bool hint = false;

	for (size_t i = 0; i < MH_ELEMENTSOF(cfg_sections); i++)
		if (!strcmp(cfg_sections[i].name, ksec))
			hint = cfg_sections[i].hint_misplaced;
	for (size_t i = 0; i < NR_CFG_KEYS; i++) {
		if (!strcmp(cfg_keys[i].section, ksec))
			mh_appendf(list, sizeof(list), &n, "%s%s",
				   n ? ", " : "", cfg_keys[i].name);
		else if (hint && !other && !strcmp(cfg_keys[i].name, name))
			other = &cfg_keys[i];
	}
	if (other)
		cfg_error(p, p->lineno,
			  "[%s] key '%s': unknown key in this section; it "
			  "belongs in [%s%s]",
			  section, name, other->section,
			  strcmp(other->section, CFG_RULE) ? "" : " NAME");
	else
		cfg_error(p, p->lineno,
			  "[%s] key '%s': unknown key; allowed: %s", section,
			  cfg_show(name, show, sizeof(show)), list);
}

/* ini_handler: one "key = value" in section. */
static int cfg_handler(void *user, const char *section, const char *name,
		       const char *value)
{
	struct cfg_parse *p = user;
	const bool rule = cfg_is_rule_section(section, strlen(section));
	const struct cfg_key *k;
	char show[64], show2[64], allowed[256], sections[128];
	const char *why = "";
	void *base;
	int *seen;

	if (!*section) {
		cfg_error(p, p->lineno,
			  "key '%s' before any section; put it under "
			  "[policy], [control] or [kernel]",
			  cfg_show(name, show, sizeof(show)));
		return 0;
	}
	if (!cfg_known_section(section, strlen(section))) {
		cfg_error(p, p->lineno,
			  "[%s] key '%s': unknown section; allowed: %s",
			  cfg_show(section, show, sizeof(show)),
			  cfg_show(name, show2, sizeof(show2)),
			  cfg_section_list(sections, sizeof(sections)));
		return 0;
	}
	k = cfg_find_key(rule ? CFG_RULE : section, name);
	if (!k) {
		cfg_unknown_key(p, section, rule ? CFG_RULE : section, name);
		return 0;
	}
	if (rule && p->cur_rule < 0)
		return 0; /* the header's error is already recorded */
	seen = rule ? &p->rule_seen[p->cur_rule][k - cfg_keys]
		    : &p->seen[k - cfg_keys];
	if (*seen) {
		cfg_error(p, p->lineno,
			  "[%s] key '%s': duplicate key (already set on line "
			  "%d); set each key once per file",
			  section, name, *seen);
		return 0;
	}
	*seen = p->lineno;
	base = rule ? (void *)&p->cfg.policy.rules.rule[p->cur_rule]
		    : (void *)&p->cfg;
	if (cfg_types[k->type].set(k, (char *)base + k->off, value, &why) ==
	    0) {
		if (rule)
			*(bool *)((char *)base + k->has_off) = true;
		return 1;
	}
	snprintf(allowed, sizeof(allowed), k->allowed, k->max);
	cfg_error(p, p->lineno, "[%s] key '%s': '%s'%s%s; allowed: %s", section,
		  name, cfg_show(value, show, sizeof(show)),
		  cfg_types[k->type].sep, why, allowed);
	return 0;
}

/* Every rule this file created needs the required keys. */
static void cfg_rule_finish(struct cfg_parse *p)
{
	const struct mh_rule_table *t = &p->cfg.policy.rules;

	if (p->err_line)
		return; /* e.g. a bad zone value: the better message */
	for (size_t i = 0; i < t->nr && i < MH_RULES_MAX; i++)
		for (size_t j = 0; j < NR_CFG_KEYS; j++) {
			const struct cfg_key *k = &cfg_keys[j];

			if (p->rule_new[i] && k->required &&
			    !*(const bool *)((const char *)&t->rule[i] +
					     k->has_off))
				cfg_error(p, p->rule_line[i],
					  "[rule %s]: no '%s' key; a rule "
					  "needs %s = %s",
					  t->rule[i].name, k->name, k->name,
					  k->required);
		}
}

/* Parses len bytes of text on top of *c: 0, -EINVAL or -ENOMEM. */
static int cfg_parse_buf(const char *text, size_t len, const char *name,
			 struct mh_config *c, char *err, size_t err_len)
{
	struct cfg_parse *p;
	int ret;

	if (memchr(text, '\0', len)) {
		mh_msgf(err, err_len, "%s: contains a NUL byte", name);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		mh_msgf(err, err_len, "%s: out of memory", name);
		return -ENOMEM;
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
	cfg_rule_finish(p);
	if (p->err_line) {
		mh_msgf(err, err_len, "%s:%d: %s", name, p->err_line, p->msg);
		free(p);
		return -EINVAL;
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

/* 0 parsed, -ENOENT missing (err untouched), or -errno with err filled. */
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
		return r;
	if (r < 0) {
		if (r == -EISDIR || r == -EINVAL)
			mh_msgf(err, err_len, "%s: not a regular file", path);
		else if (r == -EFBIG)
			mh_msgf(err, err_len,
				"%s: too large (more than %d bytes)", path,
				CFG_MAX_FILE);
		else
			mh_msgf(err, err_len, "%s: cannot read: %s", path,
				strerror(-r));
		return r;
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

/* The *.conf files in <path>.d, in strcmp order: 0 or -errno. */
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
		mh_msgf(err, err_len, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		ret = -errno;
		mh_msgf(err, err_len, "%s: cannot open: %s", dir,
			strerror(-ret));
		return ret;
	}
	while ((de = readdir(d))) {
		if (!cfg_is_dropin_name(de->d_name))
			continue;
		if (nr == CFG_MAX_DROPINS) {
			mh_msgf(err, err_len, "%s: more than %d drop-in files",
				dir, CFG_MAX_DROPINS);
			ret = -E2BIG;
			break;
		}
		names[nr] = strdup(de->d_name);
		if (!names[nr]) {
			mh_msgf(err, err_len, "%s: out of memory", dir);
			ret = -ENOMEM;
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
			mh_msgf(err, err_len, "%s/%s: path too long", dir,
				names[i]);
			ret = -ENAMETOOLONG;
			break;
		}
		/* A drop-in removed since readdir is simply gone. */
		ret = cfg_parse_file(file, c, err, err_len);
		if (ret == -ENOENT)
			ret = 0;
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
	if (r == -ENOENT && !missing_ok) {
		mh_msgf(err, err_len, "%s: cannot open: %s", path,
			strerror(ENOENT));
		return r;
	}
	if (r < 0 && r != -ENOENT)
		return r;
	r = cfg_load_dropins(path, &tmp, err, err_len);
	if (r < 0)
		return r;
	*c = tmp;
	return 0;
}

void mh_config_print(const struct mh_config *c, FILE *out)
{
	const struct mh_rule_table *t = &c->policy.rules;
	const char *section = NULL;

	for (size_t i = 0; i < NR_CFG_KEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (!strcmp(k->section, CFG_RULE))
			continue;
		if (!section || strcmp(section, k->section))
			fprintf(out, "%s[%s]\n", section ? "\n" : "",
				k->section);
		section = k->section;
		cfg_types[k->type].print(out, k, (const char *)c + k->off);
	}
	for (size_t r = 0; r < t->nr && r < MH_RULES_MAX; r++) {
		const char *base = (const char *)&t->rule[r];

		fprintf(out, "\n[rule %s]\n", t->rule[r].name);
		for (size_t i = 0; i < NR_CFG_KEYS; i++) {
			const struct cfg_key *k = &cfg_keys[i];

			if (!strcmp(k->section, CFG_RULE) &&
			    (k->required || *(const bool *)(base + k->has_off)))
				cfg_types[k->type].print(out, k, base + k->off);
		}
	}
}
