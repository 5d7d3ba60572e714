// SPDX-License-Identifier: MIT
/*
 * udevjudge.c: udev rules text and kernel command lines judged from
 * literals.  Links only core/udevjudge.o: no tree, no I/O.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memhotd/udevjudge.h"
#include "memhotd/util.h"
#include "udev_rules.h"

static void test_rules(void **state)
{
	static const struct {
		const char *what, *text;
		unsigned int nr, first;
		const char *writes;
	} t[] = {
		{"RHEL", rhel_rules, 1, 18, "state=\"$env{.state}\""},
		{"RHEL CPU part", rhel_cpu_only, 0, 0, NULL},
		{"SUSE (continued line)", suse_rules, 1, 10,
		 "state=\"online\""},
		{"Ubuntu", ubuntu_rules, 1, 9, "state=\"online\""},
		{"empty", "", 0, 0, NULL},
		{"comments only", "# ATTR{state}=\"online\"\n", 0, 0, NULL},
		{"online* into any state",
		 "ACTION==\"add\", "
		 "ATTR{state}=\"online_movable\"\n",
		 1, 1, "state=\"online_movable\""},
		{"state of another subsystem",
		 "SUBSYSTEM==\"net\", "
		 "ATTR{state}=\"online\"\n",
		 0, 0, NULL},
		{"online of memory",
		 "KERNEL==\"memory*\", ATTR{online}=\"1\"\n", 1, 1,
		 "online=\"1\""},
		{"online of a CPU", "SUBSYSTEM==\"cpu\", ATTR{online}=\"1\"\n",
		 0, 0, NULL},
		{"RUN writing the path",
		 "RUN+=\"/bin/sh -c 'echo online > "
		 "/sys/devices/system/memory/memory9/state'\"\n",
		 1, 1, "state via RUN"},
		{"RUN chmem for memory",
		 "SUBSYSTEM==\"memory\", RUN+=\"/usr/sbin/chmem -e 1g\"\n", 1,
		 1, "state via RUN"},
		{"a match is no write", "ATTR{state}==\"online\"\n", 0, 0,
		 NULL},
		{"two offenders, CRLF",
		 "SUBSYSTEM==\"memory\", "
		 "ATTR{state}=\"online\"\r\n\r\nSUBSYSTEM==\"memory\", "
		 "ATTR{online}=\"1\"\r\n",
		 2, 1, "state=\"online\""},
		{"invalid syntax is ignored",
		 "SUBSYSTEM==memory, "
		 "ATTR{state}=\"online\"\n",
		 0, 0, NULL},
		{"no newline at the end",
		 "SUBSYSTEM==\"memory\", "
		 "ATTR{state}=\"online\"",
		 1, 1, "state=\"online\""},
		{"skip-block ends at its label",
		 "SUBSYSTEM!=\"memory\", GOTO=\"end\"\nLABEL=\"end\"\n"
		 "ATTR{online}=\"1\"\n",
		 0, 0, NULL},
	};

	(void)state;
	for (size_t i = 0; i < MH_ELEMENTSOF(t); i++) {
		struct mh_udev_verdict v;

		assert_int_equal(mh_udev_judge(t[i].text, &v), 0);
		if (v.nr_lines != t[i].nr || v.first_line != t[i].first)
			fail_msg("%s: %u lines from %u, want %u from %u",
				 t[i].what, v.nr_lines, v.first_line, t[i].nr,
				 t[i].first);
		if (t[i].writes)
			assert_string_equal(v.what, t[i].writes);
	}
}

/* A logical line longer than udev's limit is ignored, as udev does. */
static void test_rules_too_long(void **state)
{
	static const char head[] =
		"SUBSYSTEM==\"memory\", ATTR{state}=\"online\", ENV{x}=\"";
	size_t pad = MH_UDEV_MAX_LINE;
	_cleanup_free_ char *text = malloc(sizeof(head) + pad + 3);
	struct mh_udev_verdict v;

	(void)state;
	assert_non_null(text);
	memcpy(text, head, sizeof(head) - 1);
	memset(text + sizeof(head) - 1, 'a', pad);
	strcpy(text + sizeof(head) - 1 + pad, "\"\n");
	assert_int_equal(mh_udev_judge(text, &v), 0);
	assert_int_equal(v.nr_lines, 0);
	/* one byte under the limit: judged */
	strcpy(text + MH_UDEV_MAX_LINE - 3, "\"\n");
	assert_int_equal(mh_udev_judge(text, &v), 0);
	assert_int_equal(v.nr_lines, 1);
}

static void test_message(void **state)
{
	static const struct {
		const char *name;
		bool in_lib;
		const char *want;
	} t[] = {
		{"40-redhat.rules", true,
		 "/x/40-redhat.rules:18: RHEL udev rule onlines every new "
		 "block (online in VMs, online_movable on bare metal) (writes "
		 "state=\"online\") (+2 more lines); override it in "
		 "/etc/udev/rules.d/ keeping only its CPU part"},
		{"99-local.rules", true,
		 "/x/99-local.rules:18: udev rule writes memory "
		 "state=\"online\" (+2 more lines); mask it with a same-named "
		 "link to /dev/null in /etc/udev/rules.d/"},
		{"99-local.rules", false,
		 "/x/99-local.rules:18: udev rule writes memory "
		 "state=\"online\" (+2 more lines); remove or edit it"},
	};
	struct mh_udev_verdict v = {18, 3, "state=\"online\""};

	(void)state;
	for (size_t i = 0; i < MH_ELEMENTSOF(t); i++) {
		char path[64], buf[512];

		snprintf(path, sizeof(path), "/x/%s", t[i].name);
		mh_udev_verdict_message(path, t[i].name, t[i].in_lib, &v, buf,
					sizeof(buf));
		assert_string_equal(buf, t[i].want);
	}
}

static void test_cmdline(void **state)
{
	static const struct {
		const char *cmdline, *value; /* NULL: none */
	} t[] = {
		{"root=/dev/vda1 quiet\n", NULL},
		{"memhp_default_state=online\n", "online"},
		{"a memhp_default_state=offline b", "offline"},
		{"memhp_default_state=online memhp_default_state=offline",
		 "offline"}, /* the last one counts */
		{"memhp_default_state=\"online_movable\"", "online_movable"},
		{"x=\"a b memhp_default_state=online\"", NULL}, /* quoted */
		{"quiet -- memhp_default_state=online", NULL},	/* init's */
		{"", NULL},
	};

	(void)state;
	for (size_t i = 0; i < MH_ELEMENTSOF(t); i++) {
		char value[64] = "";
		bool found = mh_cmdline_memhp_default_state(t[i].cmdline, value,
							    sizeof(value));

		assert_int_equal(found, t[i].value != NULL);
		if (t[i].value)
			assert_string_equal(value, t[i].value);
	}
	assert_false(mh_cmdline_memhp_default_state(NULL, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_rules_too_long),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_cmdline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
