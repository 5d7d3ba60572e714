// SPDX-License-Identifier: MIT
/*
 * Competing onliners: the kernel's own auto-onlining and udev rules that
 * write memory blocks' state.  Read-only, below the root prefix.
 *
 * udev rules are tokenised the way udev does it (KEY[{attr}] OP "value",
 * lines joined at a trailing backslash, '#' comment lines skipped), then
 * judged per logical line: a line writes memory state when it assigns
 * ATTR{state} or ATTR{online}, or runs a program writing
 * /sys/devices/system/memory/.../state, for memory devices - by its own
 * match (SUBSYSTEM=="memory", KERNEL=="memory*", DEVPATH) or inside a
 * "SUBSYSTEM!="memory", GOTO="L"" ... LABEL="L" block, as the RHEL rule
 * is written.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memhotd/competitors.h"

#define RULES_MAX_FILE (4 * 1024 * 1024)
#define RULES_MAX_LINE (64 * 1024)
#define RULES_MAX_TOKENS 64

/* Highest priority first (udev(7)). */
static const char *const rules_dirs[] = {
	"etc/udev/rules.d",	      "run/udev/rules.d",
	"usr/local/lib/udev/rules.d", "usr/lib/udev/rules.d",
	"lib/udev/rules.d",
};
#define NR_RULES_DIRS (sizeof(rules_dirs) / sizeof(rules_dirs[0]))

struct detect {
	const struct mh_root *r;
	char (*lines)[MH_COMPETITOR_LINE];
	size_t max, n, dropped;
};

__attribute__((format(printf, 2, 3))) static void report(struct detect *d,
							 const char *fmt, ...)
{
	va_list ap;

	if (d->n >= d->max) {
		d->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(d->lines[d->n], MH_COMPETITOR_LINE, fmt, ap);
	va_end(ap);
	d->n++;
}

static const char *rel(const char *p)
{
	while (*p == '/')
		p++;
	return *p ? p : ".";
}

/*
 * Opens path below the root, following symlinks (absolute ones included)
 * inside it, as the guest would see them: rules files are often links.
 * Resolved by hand, component by component, rather than with openat2's
 * RESOLVE_IN_ROOT, which valgrind and older kernels lack.
 */
static int open_in_root(const struct mh_root *r, const char *path, int flags)
{
	char done[PATH_MAX] = "", todo[PATH_MAX], next[PATH_MAX];
	char target[PATH_MAX];
	const char *rest;
	int hops = 0;

	if (snprintf(todo, sizeof(todo), "%s", path) >= (int)sizeof(todo)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	rest = todo;
	for (;;) {
		size_t dl = strlen(done), cl;
		const char *c;
		ssize_t k;

		while (*rest == '/')
			rest++;
		if (!*rest)
			break;
		c = rest;
		cl = strcspn(c, "/");
		rest = c + cl;
		if (cl == 1 && c[0] == '.')
			continue;
		if (cl == 2 && c[0] == '.' && c[1] == '.') {
			char *slash = strrchr(done, '/');

			if (slash)
				*slash = '\0';
			else
				done[0] = '\0';
			continue;
		}
		if (dl + 1 + cl + 1 > sizeof(done)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (dl)
			done[dl++] = '/';
		memcpy(done + dl, c, cl);
		done[dl + cl] = '\0';
		k = readlinkat(r->dirfd, done, target, sizeof(target) - 1);
		if (k < 0) {
			if (errno == EINVAL || errno == ENOENT ||
			    errno == ENOTDIR)
				continue; /* not a link; open reports the rest
					   */
			return -1;
		}
		if (++hops > 40) {
			errno = ELOOP;
			return -1;
		}
		target[k] = '\0';
		done[dl ? dl - 1 : 0] = '\0'; /* drop the link itself */
		if (target[0] == '/')
			done[0] = '\0';
		if (snprintf(next, sizeof(next), "%s/%s", target, rest) >=
		    (int)sizeof(next)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(todo, next, sizeof(todo));
		rest = todo;
	}
	return openat(r->dirfd, done[0] ? done : ".",
		      flags | O_CLOEXEC | O_NOFOLLOW);
}

/* Reads a whole file (at most cap bytes) into a malloc'd string: the
 * common reader (non-blocking open, regular files only, bounded). */
static char *read_file(const struct mh_root *r, const char *path, size_t cap,
		       size_t *len_out)
{
	char *buf = NULL;

	if (mh_read_file(r, path, cap, &buf, len_out) < 0)
		return NULL;
	return buf;
}

/* One word of a small attribute file, without the newline. */
static bool read_word(const struct mh_root *r, const char *path, char *out,
		      size_t len)
{
	char *buf = read_file(r, path, 4096, NULL);
	size_t n;

	if (!buf)
		return false;
	n = strcspn(buf, " \t\n");
	if (n >= len)
		n = len - 1;
	memcpy(out, buf, n);
	out[n] = '\0';
	free(buf);
	return true;
}

/* ---------- the kernel's own onlining ---------- */

static void detect_kernel(struct detect *d)
{
	char aob[32], policy[32] = "";

	if (!read_word(d->r, "sys/devices/system/memory/auto_online_blocks",
		       aob, sizeof(aob)))
		return;
	if (!strcmp(aob, "offline"))
		return;
	read_word(d->r, "sys/module/memory_hotplug/parameters/online_policy",
		  policy, sizeof(policy));
	if (!strcmp(aob, "online") && policy[0])
		report(d,
		       "/sys/devices/system/memory/auto_online_blocks is "
		       "'online': the kernel onlines new memory itself (its "
		       "online_policy: %s) before memhotd can decide; set it "
		       "to offline",
		       policy);
	else
		report(d,
		       "/sys/devices/system/memory/auto_online_blocks is "
		       "'%s': the kernel onlines new memory itself before "
		       "memhotd can decide; set it to offline",
		       aob);
}

/* memhp_default_state= on the kernel command line; the last one counts. */
static void detect_cmdline(struct detect *d)
{
	static const char key[] = "memhp_default_state=";
	char *buf = read_file(d->r, "proc/cmdline", 65536, NULL);
	char value[64] = "";
	bool found = false;
	char *p;

	if (!buf)
		return;
	for (p = buf; *p;) {
		char *start, *end;
		bool quoted = false;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p &&
		       (quoted || (*p != ' ' && *p != '\t' && *p != '\n'))) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		end = p;
		if (end - start == 2 && !strncmp(start, "--", 2))
			break; /* the rest is for init */
		if ((size_t)(end - start) >= sizeof(key) - 1 &&
		    !strncmp(start, key, sizeof(key) - 1)) {
			char *v = start + sizeof(key) - 1;
			size_t n = 0;

			for (; v < end && n + 1 < sizeof(value); v++)
				if (*v != '"')
					value[n++] = *v;
			value[n] = '\0';
			found = true;
		}
	}
	free(buf);
	if (found && strcmp(value, "offline"))
		report(d,
		       "/proc/cmdline: memhp_default_state=%s: the kernel "
		       "onlines the memory it adds (at boot even before "
		       "memhotd "
		       "starts); drop it or use memhp_default_state=offline",
		       value);
}

/* ---------- udev rules ---------- */

struct token {
	char key[32];
	char attr[128];
	char op[3];
	const char *value; /* NUL-terminated, inside the line buffer */
};

static bool is_assign(const char *op)
{
	return !strcmp(op, "=") || !strcmp(op, ":=") || !strcmp(op, "+=");
}

/*
 * Splits a logical rule line in place.  Returns the number of tokens, or
 * -1 if the line is not valid udev syntax (udev ignores such lines too).
 */
static int tokenize(char *s, struct token *t, int max)
{
	int n = 0;

	for (;;) {
		size_t k = 0;
		char *w;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (!*s)
			return n;
		if (n == max)
			return -1;
		while ((*s >= 'A' && *s <= 'Z') || *s == '_') {
			if (k + 1 >= sizeof(t[n].key))
				return -1;
			t[n].key[k++] = *s++;
		}
		if (!k)
			return -1;
		t[n].key[k] = '\0';
		t[n].attr[0] = '\0';
		if (*s == '{') {
			char *close = strchr(s, '}');
			size_t al;

			if (!close)
				return -1;
			al = (size_t)(close - s - 1);
			if (al >= sizeof(t[n].attr))
				al = sizeof(t[n].attr) - 1;
			memcpy(t[n].attr, s + 1, al);
			t[n].attr[al] = '\0';
			s = close + 1;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		if (s[0] && strchr("=!+-:", s[0]) && s[1] == '=') {
			t[n].op[0] = s[0];
			t[n].op[1] = '=';
			t[n].op[2] = '\0';
			s += 2;
		} else if (s[0] == '=') {
			strcpy(t[n].op, "=");
			s++;
		} else {
			return -1;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == 'e')
			s++; /* e"..." */
		if (*s != '"')
			return -1;
		s++;
		w = s;
		t[n].value = w;
		while (*s && *s != '"') {
			if (*s == '\\' && s[1])
				s++;
			*w++ = *s++;
		}
		if (*s != '"')
			return -1;
		s++;
		*w = '\0';
		n++;
	}
}

/* Does the udev glob pattern (with '|' alternatives) match name? */
static bool pattern_matches(const char *pattern, const char *name)
{
	char alt[256];
	const char *p = pattern;

	for (;;) {
		size_t n = strcspn(p, "|");

		if (n < sizeof(alt)) {
			memcpy(alt, p, n);
			alt[n] = '\0';
			if (fnmatch(alt, name, 0) == 0)
				return true;
		}
		if (!p[n])
			return false;
		p += n + 1;
	}
}

enum scope { SCOPE_NONE = 0, SCOPE_MEMORY, SCOPE_OTHER };

struct rules_file {
	const char *path; /* "/usr/lib/udev/rules.d/40-redhat.rules" */
	const char *name; /* "40-redhat.rules" */
	bool in_lib;	  /* below a vendor directory (maskable) */
	enum scope scope; /* inside SUBSYSTEM!="x", GOTO="label" */
	char scope_label[128];
	unsigned int first_line, nr_lines;
	char what[96]; /* what the first offending line writes */
};

/* Judges one logical line; fills f->what on a hit. */
static bool rules_line_writes(struct rules_file *f, char *line)
{
	struct token t[RULES_MAX_TOKENS];
	bool match_mem = false, match_other = false;
	bool neg_mem = false, neg_other = false;
	const char *go = NULL, *label = NULL;
	bool mem_ctx, other_ctx, hit = false;
	int n = tokenize(line, t, RULES_MAX_TOKENS);

	if (n <= 0)
		return false;
	for (int i = 0; i < n; i++) {
		const char *k = t[i].key, *v = t[i].value;
		bool eq = !strcmp(t[i].op, "=="), ne = !strcmp(t[i].op, "!=");

		if (!strcmp(k, "SUBSYSTEM") && (eq || ne)) {
			bool mem = pattern_matches(v, "memory");

			if (eq && mem)
				match_mem = true;
			else if (eq)
				match_other = true;
			else if (mem)
				neg_mem = true;
			else
				neg_other = true;
		} else if (!strcmp(k, "KERNEL") && eq) {
			if (pattern_matches(v, "memory0"))
				match_mem = true;
		} else if (!strcmp(k, "DEVPATH") && eq) {
			if (pattern_matches(v,
					    "/devices/system/memory/memory0"))
				match_mem = true;
		} else if (!strcmp(k, "GOTO")) {
			go = v;
		} else if (!strcmp(k, "LABEL")) {
			label = v;
		}
	}

	if (label && f->scope != SCOPE_NONE && !strcmp(label, f->scope_label))
		f->scope = SCOPE_NONE;
	mem_ctx = match_mem || (f->scope == SCOPE_MEMORY && !match_other);
	other_ctx = !match_mem && (match_other || f->scope == SCOPE_OTHER);

	for (int i = 0; i < n && !hit; i++) {
		const char *k = t[i].key, *a = t[i].attr, *v = t[i].value;

		if (!is_assign(t[i].op))
			continue;
		if (!strcmp(k, "ATTR") && !strcmp(a, "state")) {
			/* only memory blocks take online* in "state" */
			if (!other_ctx &&
			    (mem_ctx || !strncmp(v, "online", 6))) {
				snprintf(f->what, sizeof(f->what),
					 "state=\"%.60s\"", v);
				hit = true;
			}
		} else if (!strcmp(k, "ATTR") && !strcmp(a, "online")) {
			if (mem_ctx) {
				snprintf(f->what, sizeof(f->what),
					 "online=\"%.60s\"", v);
				hit = true;
			}
		} else if (!strcmp(k, "RUN")) {
			bool path = strstr(v, "/sys/devices/system/memory");
			bool attr = strstr(v, "state") || strstr(v, "online");
			bool sysish = strstr(v, "/sys") || strstr(v, "$sys") ||
				      strstr(v, "%S") || strstr(v, "devpath") ||
				      strstr(v, "%p");
			bool tool = strstr(v, "chmem") ||
				    strstr(v, "online-memory");

			if ((path && attr) ||
			    (mem_ctx && ((attr && sysish) || tool))) {
				snprintf(f->what, sizeof(f->what),
					 "state via RUN");
				hit = true;
			}
		}
	}

	/* A skip-block starts: SUBSYSTEM!="x", GOTO="L" ... LABEL="L". */
	if (go && (neg_mem || neg_other) && !match_mem && !match_other) {
		f->scope = neg_mem ? SCOPE_MEMORY : SCOPE_OTHER;
		snprintf(f->scope_label, sizeof(f->scope_label), "%s", go);
	}
	return hit;
}

/* Judges a finished logical line. */
static void rules_judge(struct rules_file *f, char *line, unsigned int start)
{
	if (rules_line_writes(f, line)) {
		if (!f->nr_lines)
			f->first_line = start;
		f->nr_lines++;
	}
}

/* Scans one rules file's text; counts the lines that write state. */
static void rules_scan_text(struct rules_file *f, const char *text)
{
	char *buf = NULL;
	size_t llen = 0, cap = 0;
	unsigned int lineno = 0, start = 0;
	bool in_rule = false, too_long = false;
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *s = p;
		bool cont;

		p = nl ? nl + 1 : p + len;
		lineno++;
		if (len && s[len - 1] == '\r')
			len--;
		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		if (len && *s == '#')
			continue; /* comments neither join nor end a rule */
		if (!in_rule) {
			in_rule = true;
			start = lineno;
			llen = 0;
			too_long = false;
		}
		cont = len && s[len - 1] == '\\';
		if (cont)
			len--;
		if (!too_long && llen + len + 1 > RULES_MAX_LINE)
			too_long = true; /* udev ignores it too */
		if (!too_long && llen + len + 1 > cap) {
			size_t nc = 2 * (llen + len + 1);
			char *nb;

			if (nc < 256)
				nc = 256;
			if (nc > RULES_MAX_LINE)
				nc = RULES_MAX_LINE;
			nb = realloc(buf, nc);
			if (nb) {
				buf = nb;
				cap = nc;
			} else {
				too_long = true;
			}
		}
		if (!too_long) {
			memcpy(buf + llen, s, len);
			llen += len;
			buf[llen] = '\0';
		}
		if (cont)
			continue;
		if (!too_long && llen)
			rules_judge(f, buf, start);
		in_rule = false;
	}
	if (in_rule && !too_long && llen)
		rules_judge(f, buf, start);
	free(buf);
}

static void rules_report(struct detect *d, const struct rules_file *f)
{
	char more[48] = "";
	const char *who, *fix;

	if (f->nr_lines > 1)
		snprintf(more, sizeof(more), " (+%u more lines)",
			 f->nr_lines - 1);
	if (!strcmp(f->name, "40-redhat.rules") ||
	    !strcmp(f->name, "40-redhat-hotplug.rules")) {
		who = "RHEL udev rule onlines every new block "
		      "(online in VMs, online_movable on bare metal)";
		fix = "override it in /etc/udev/rules.d/ keeping only its CPU "
		      "part";
	} else if (!strcmp(f->name, "80-hotplug-cpu-mem.rules")) {
		who = "SUSE udev rule onlines every new block (but on z/VM)";
		fix = "override it in /etc/udev/rules.d/ keeping only its CPU "
		      "part";
	} else if (!strcmp(f->name, "40-vm-hotadd.rules")) {
		who = "Ubuntu udev rule onlines every new block on Hyper-V "
		      "and Xen";
		fix = "override it in /etc/udev/rules.d/ keeping only its CPU "
		      "part";
	} else {
		who = NULL;
		fix = f->in_lib ? "mask it with a same-named link to /dev/null "
				  "in /etc/udev/rules.d/"
				: "remove or edit it";
	}
	if (who)
		report(d, "%s:%u: %s (writes %s)%s; %s", f->path, f->first_line,
		       who, f->what, more, fix);
	else
		report(d, "%s:%u: udev rule writes memory %s%s; %s", f->path,
		       f->first_line, f->what, more, fix);
}

struct rules_entry {
	char *name;
	size_t dir;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rules_entry *)a)->name,
		      ((const struct rules_entry *)b)->name);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a > b && !strcmp(s + a - b, suffix);
}

/* The effective rules files: by name, the highest-priority one wins. */
static size_t rules_collect(const struct mh_root *r, struct rules_entry **out)
{
	struct rules_entry *e = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < NR_RULES_DIRS; i++) {
		struct dirent *de;
		DIR *dir;
		int fd = open_in_root(r, rules_dirs[i], O_RDONLY | O_DIRECTORY);

		if (fd < 0)
			continue;
		dir = fdopendir(fd);
		if (!dir) {
			close(fd);
			continue;
		}
		while ((de = readdir(dir))) {
			bool dup = false;

			if (de->d_name[0] == '.' ||
			    !has_suffix(de->d_name, ".rules"))
				continue;
			for (size_t j = 0; j < n && !dup; j++)
				dup = !strcmp(e[j].name, de->d_name);
			if (dup)
				continue; /* shadowed by a higher directory */
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct rules_entry *ne =
					realloc(e, nc * sizeof(*e));

				if (!ne)
					break;
				e = ne;
				cap = nc;
			}
			e[n].name = strdup(de->d_name);
			if (!e[n].name)
				break;
			e[n].dir = i;
			n++;
		}
		closedir(dir);
	}
	if (n)
		qsort(e, n, sizeof(*e), entry_cmp);
	*out = e;
	return n;
}

/* A link to /dev/null (or an empty file) masks a rules file. */
static bool is_masked(const struct mh_root *r, const char *path)
{
	char target[64];
	ssize_t k = readlinkat(r->dirfd, rel(path), target, sizeof(target) - 1);

	if (k < 0)
		return false;
	target[k] = '\0';
	return !strcmp(target, "/dev/null");
}

static void detect_udev(struct detect *d)
{
	struct rules_entry *e;
	size_t n = rules_collect(d->r, &e);

	for (size_t i = 0; i < n; i++) {
		char path[512];
		struct rules_file f;
		char *text;

		snprintf(path, sizeof(path), "/%s/%s", rules_dirs[e[i].dir],
			 e[i].name);
		if (is_masked(d->r, path))
			continue;
		text = read_file(d->r, path, RULES_MAX_FILE, NULL);
		if (!text)
			continue;
		memset(&f, 0, sizeof(f));
		f.path = path;
		f.name = e[i].name;
		f.in_lib = e[i].dir >= 2;
		rules_scan_text(&f, text);
		free(text);
		if (f.nr_lines)
			rules_report(d, &f);
	}
	for (size_t i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}

size_t mh_competitors_detect(const struct mh_root *r,
			     char lines[][MH_COMPETITOR_LINE], size_t max)
{
	struct detect d = {.r = r, .lines = lines, .max = max};

	if (!r || (!lines && max))
		return 0;
	detect_kernel(&d);
	detect_cmdline(&d);
	detect_udev(&d);
	if (d.dropped && d.max) {
		snprintf(d.lines[d.max - 1], MH_COMPETITOR_LINE,
			 "... and %zu more competing onliners not listed",
			 d.dropped + 1);
	}
	return d.n;
}
