/* SPDX-License-Identifier: MIT */
/*
 * Judging other onliners from their text, pure (no I/O): whether a udev
 * rules file writes memory blocks' state, and memhp_default_state= on a
 * kernel command line.  competitors.c finds the files and reads them.
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
#ifndef MEMHOTD_UDEVJUDGE_H
#define MEMHOTD_UDEVJUDGE_H

#include <stdbool.h>
#include <stddef.h>

/* Logical lines longer than this are ignored (udev ignores them too). */
#define MH_UDEV_MAX_LINE (64 * 1024)

struct mh_udev_verdict {
	unsigned int first_line; /* 1-based line of the first offender */
	unsigned int nr_lines;	 /* logical lines writing memory state */
	char what[96];		 /* what the first one writes */
};

/*
 * Judges a rules file's text (NUL-terminated).  0 and *v (nr_lines 0: it
 * writes no memory state), or -ENOMEM.
 */
int mh_udev_judge(const char *text, struct mh_udev_verdict *v);

/*
 * The one-line message for an offending file: names the known
 * distribution rules (RHEL 40-redhat*.rules, SUSE
 * 80-hotplug-cpu-mem.rules, Ubuntu 40-vm-hotadd.rules) and the fix (mask a
 * vendor file with a link to /dev/null in /etc/udev/rules.d/ when in_lib,
 * else remove or edit it).
 */
void mh_udev_verdict_message(const char *path, const char *name, bool in_lib,
			     const struct mh_udev_verdict *v, char *buf,
			     size_t len);

/*
 * The value of the last memhp_default_state= on a kernel command line
 * (quotes dropped; words after "--" are init's).  true and value if there
 * is one.
 */
bool mh_cmdline_memhp_default_state(const char *cmdline, char *value,
				    size_t len);

#endif
