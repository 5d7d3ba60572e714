// SPDX-License-Identifier: MIT
/*
 * Judging other onliners from their text (udevjudge.h): udev rules files
 * and the kernel command line.  Pure: text in, verdicts out.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memhotd/udevjudge.h"
#include "memhotd/util.h"

#define MH_UDEV_MAX_TOKENS 64

/* ---------- the kernel command line ---------- */

/* memhp_default_state= on the kernel command line; the last one counts. */
bool mh_cmdline_memhp_default_state(const char *cmdline, char *value,
				    size_t len)
{
	static const char key[] = "memhp_default_state=";
	bool found = false;
	const char *p;

	if (!cmdline || !value || !len)
		return false;
	for (p = cmdline; *p;) {
		const char *start, *end;
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
			const char *v = start + sizeof(key) - 1;
			size_t n = 0;

			for (; v < end && n + 1 < len; v++)
				if (*v != '"')
					value[n++] = *v;
			value[n] = '\0';
			found = true;
		}
	}
	return found;
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
 * -EINVAL if the line is not valid udev syntax (udev ignores such lines
 * too).
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
			return -EINVAL;
		while ((*s >= 'A' && *s <= 'Z') || *s == '_') {
			if (k + 1 >= sizeof(t[n].key))
				return -EINVAL;
			t[n].key[k++] = *s++;
		}
		if (!k)
			return -EINVAL;
		t[n].key[k] = '\0';
		t[n].attr[0] = '\0';
		if (*s == '{') {
			char *close = strchr(s, '}');
			size_t al;

			if (!close)
				return -EINVAL;
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
			return -EINVAL;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == 'e')
			s++; /* e"..." */
		if (*s != '"')
			return -EINVAL;
		s++;
		w = s;
		t[n].value = w;
		while (*s && *s != '"') {
			if (*s == '\\' && s[1])
				s++;
			*w++ = *s++;
		}
		if (*s != '"')
			return -EINVAL;
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

/* The judge's state across the lines of one file. */
struct rules_file {
	enum scope scope; /* inside SUBSYSTEM!="x", GOTO="label" */
	char scope_label[128];
	struct mh_udev_verdict *v;
	char what[96]; /* what the line being judged writes */
};

/* Judges one logical line; fills f->what on a hit. */
static bool rules_line_writes(struct rules_file *f, char *line)
{
	struct token t[MH_UDEV_MAX_TOKENS];
	bool match_mem = false, match_other = false;
	bool neg_mem = false, neg_other = false;
	const char *go = NULL, *label = NULL;
	bool mem_ctx, other_ctx, hit = false;
	int n = tokenize(line, t, MH_UDEV_MAX_TOKENS);

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
		if (!f->v->nr_lines) {
			f->v->first_line = start;
			memcpy(f->v->what, f->what, sizeof(f->v->what));
		}
		f->v->nr_lines++;
	}
}

int mh_udev_judge(const char *text, struct mh_udev_verdict *v)
{
	struct rules_file file = {.v = v}, *f = &file;
	_cleanup_free_ char *buf = NULL;
	size_t llen = 0, cap = 0;
	unsigned int lineno = 0, start = 0;
	bool in_rule = false, too_long = false;
	const char *p = text;

	memset(v, 0, sizeof(*v));
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
		if (!too_long && llen + len + 1 > MH_UDEV_MAX_LINE)
			too_long = true; /* udev ignores it too */
		if (!too_long && MH_GROW(buf, cap, llen + len + 1) < 0)
			return -ENOMEM;
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
	return 0;
}

void mh_udev_verdict_message(const char *path, const char *name, bool in_lib,
			     const struct mh_udev_verdict *f, char *buf,
			     size_t len)
{
	char more[48] = "";
	const char *who, *fix;

	if (f->nr_lines > 1)
		snprintf(more, sizeof(more), " (+%u more lines)",
			 f->nr_lines - 1);
	if (!strcmp(name, "40-redhat.rules") ||
	    !strcmp(name, "40-redhat-hotplug.rules")) {
		who = "RHEL udev rule onlines every new block "
		      "(online in VMs, online_movable on bare metal)";
		fix = "override it in /etc/udev/rules.d/ keeping only its CPU "
		      "part";
	} else if (!strcmp(name, "80-hotplug-cpu-mem.rules")) {
		who = "SUSE udev rule onlines every new block (but on z/VM)";
		fix = "override it in /etc/udev/rules.d/ keeping only its CPU "
		      "part";
	} else if (!strcmp(name, "40-vm-hotadd.rules")) {
		who = "Ubuntu udev rule onlines every new block on Hyper-V "
		      "and Xen";
		fix = "override it in /etc/udev/rules.d/ keeping only its CPU "
		      "part";
	} else {
		who = NULL;
		fix = in_lib ? "mask it with a same-named link to /dev/null "
			       "in /etc/udev/rules.d/"
			     : "remove or edit it";
	}
	if (who)
		snprintf(buf, len, "%s:%u: %s (writes %s)%s; %s", path,
			 f->first_line, who, f->what, more, fix);
	else
		snprintf(buf, len, "%s:%u: udev rule writes memory %s%s; %s",
			 path, f->first_line, f->what, more, fix);
}
