// SPDX-License-Identifier: MIT
/* competitors.c on mkdtemp trees: kernel auto-online and udev rules. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memhotd/competitors.h"

#define MAXL 16

struct tree {
	char dir[64];
	struct mh_root root;
	char lines[MAXL][MH_COMPETITOR_LINE];
};

#include "udev_rules.h"

/* ---------- tree helpers ---------- */

static int rm_cb(const char *p, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	strcpy(t->dir, "/tmp/mh-competitors-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	t->root.dirfd = open(t->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t->root.dirfd < 0)
		return -1;
	snprintf(t->root.path, sizeof(t->root.path), "%s", t->dir);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;

	close(t->root.dirfd);
	nftw(t->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

/* mkdir -p of the directory part of rel, below the tree. */
static void mkparents(struct tree *t, const char *rel)
{
	char path[PATH_MAX];
	char *s;

	snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
	for (s = path + strlen(t->dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*s = '/';
	}
}

static void put(struct tree *t, const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	mkparents(t, rel);
	snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void link_to(struct tree *t, const char *rel, const char *target)
{
	char path[PATH_MAX];

	mkparents(t, rel);
	snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
	assert_int_equal(symlink(target, path), 0);
}

static size_t detect(struct tree *t)
{
	memset(t->lines, 0, sizeof(t->lines));
	return mh_competitors_detect(&t->root, t->lines, MAXL);
}

static void dump(struct tree *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		print_message("  [%zu] %s\n", i, t->lines[i]);
}

/* Exactly one warning, which starts with prefix and contains each needle. */
static void expect_one(struct tree *t, const char *prefix, const char *n1,
		       const char *n2)
{
	size_t n = detect(t);

	if (n != 1 || strncmp(t->lines[0], prefix, strlen(prefix)) ||
	    (n1 && !strstr(t->lines[0], n1)) ||
	    (n2 && !strstr(t->lines[0], n2))) {
		print_error("want one line '%s...' with '%s' and '%s', got %zu:"
			    "\n",
			    prefix, n1 ? n1 : "", n2 ? n2 : "", n);
		dump(t, n);
		fail();
	}
}

static void expect_none(struct tree *t)
{
	size_t n = detect(t);

	if (n) {
		print_error("want no warnings, got %zu:\n", n);
		dump(t, n);
		fail();
	}
}

/* ---------- kernel ---------- */

static void test_empty_tree(void **state)
{
	expect_none(*state);
}

static void test_auto_online_blocks(void **state)
{
	struct tree *t = *state;

	put(t, "sys/devices/system/memory/auto_online_blocks", "offline\n");
	put(t, "sys/module/memory_hotplug/parameters/online_policy",
	    "contig-zones\n");
	/* online_policy alone is context, not a competitor */
	expect_none(t);

	put(t, "sys/devices/system/memory/auto_online_blocks", "online\n");
	expect_one(t,
		   "/sys/devices/system/memory/auto_online_blocks is "
		   "'online'",
		   "online_policy: contig-zones", "set it to offline");

	put(t, "sys/devices/system/memory/auto_online_blocks",
	    "online_movable\n");
	expect_one(t,
		   "/sys/devices/system/memory/auto_online_blocks is "
		   "'online_movable'",
		   "set it to offline", NULL);
}

static void test_cmdline(void **state)
{
	struct tree *t = *state;

	put(t, "proc/cmdline",
	    "BOOT_IMAGE=/vmlinuz-6.1.0 root=/dev/vda1 ro quiet\n");
	expect_none(t);
	put(t, "proc/cmdline", "ro memhp_default_state=offline quiet\n");
	expect_none(t);
	put(t, "proc/cmdline", "ro memhp_default_state=online_movable\n");
	expect_one(t, "/proc/cmdline: memhp_default_state=online_movable:",
		   "memhp_default_state=offline", NULL);
	/* the last one counts, as in the kernel */
	put(t, "proc/cmdline",
	    "memhp_default_state=online memhp_default_state=offline\n");
	expect_none(t);
	put(t, "proc/cmdline",
	    "memhp_default_state=offline memhp_default_state=online\n");
	expect_one(t, "/proc/cmdline: memhp_default_state=online:", NULL, NULL);
	/* after "--" it is init's argument */
	put(t, "proc/cmdline", "ro -- memhp_default_state=online\n");
	expect_none(t);
	/* not a prefix match */
	put(t, "proc/cmdline", "xmemhp_default_state=online\n");
	expect_none(t);
	put(t, "proc/cmdline", "foo=\"a b\" memhp_default_state=\"online\"\n");
	expect_one(t, "/proc/cmdline: memhp_default_state=online:", NULL, NULL);
}

/* ---------- distribution rules ---------- */

static void test_rhel(void **state)
{
	struct tree *t = *state;

	put(t, "usr/lib/udev/rules.d/40-redhat.rules", rhel_rules);
	/* reported at the line that writes state; the CPU part is not */
	expect_one(t,
		   "/usr/lib/udev/rules.d/40-redhat.rules:18: RHEL udev "
		   "rule",
		   "state=\"$env{.state}\"", "CPU part");
}

static void test_rhel10_name(void **state)
{
	struct tree *t = *state;

	put(t, "lib/udev/rules.d/40-redhat-hotplug.rules", rhel_rules);
	expect_one(t, "/lib/udev/rules.d/40-redhat-hotplug.rules:18: RHEL",
		   NULL, NULL);
}

static void test_suse(void **state)
{
	struct tree *t = *state;

	put(t, "usr/lib/udev/rules.d/80-hotplug-cpu-mem.rules", suse_rules);
	/* a continued rule is reported at its first line */
	expect_one(t,
		   "/usr/lib/udev/rules.d/80-hotplug-cpu-mem.rules:10: SUSE "
		   "udev rule",
		   "state=\"online\"", NULL);
}

static void test_ubuntu(void **state)
{
	struct tree *t = *state;

	put(t, "lib/udev/rules.d/40-vm-hotadd.rules", ubuntu_rules);
	expect_one(t,
		   "/lib/udev/rules.d/40-vm-hotadd.rules:9: Ubuntu udev rule",
		   "Hyper-V", NULL);
}

static void test_all_at_once_sorted(void **state)
{
	struct tree *t = *state;
	size_t n;

	put(t, "usr/lib/udev/rules.d/80-hotplug-cpu-mem.rules", suse_rules);
	put(t, "usr/lib/udev/rules.d/40-vm-hotadd.rules", ubuntu_rules);
	put(t, "etc/udev/rules.d/40-redhat.rules", rhel_rules);
	put(t, "sys/devices/system/memory/auto_online_blocks", "online\n");
	put(t, "proc/cmdline", "memhp_default_state=online\n");
	n = detect(t);
	if (n != 5)
		dump(t, n);
	assert_int_equal(n, 5);
	assert_non_null(strstr(t->lines[0], "auto_online_blocks"));
	assert_non_null(strstr(t->lines[1], "/proc/cmdline"));
	assert_non_null(strstr(t->lines[2], "/etc/udev/rules.d/40-redhat"));
	assert_non_null(strstr(t->lines[3], "40-vm-hotadd.rules"));
	assert_non_null(strstr(t->lines[4], "80-hotplug-cpu-mem.rules"));
}

/* ---------- shadowing and masking ---------- */

static void test_shadowed_by_etc(void **state)
{
	struct tree *t = *state;

	put(t, "usr/lib/udev/rules.d/40-redhat.rules", rhel_rules);
	put(t, "etc/udev/rules.d/40-redhat.rules", rhel_cpu_only);
	expect_none(t);
}

static void test_shadowed_by_run(void **state)
{
	struct tree *t = *state;

	put(t, "lib/udev/rules.d/40-vm-hotadd.rules", ubuntu_rules);
	put(t, "run/udev/rules.d/40-vm-hotadd.rules", "# nothing\n");
	expect_none(t);
}

static void test_masked_by_dev_null(void **state)
{
	struct tree *t = *state;

	put(t, "usr/lib/udev/rules.d/80-hotplug-cpu-mem.rules", suse_rules);
	link_to(t, "etc/udev/rules.d/80-hotplug-cpu-mem.rules", "/dev/null");
	expect_none(t);
}

static void test_higher_dir_wins(void **state)
{
	struct tree *t = *state;

	/* a harmless vendor file overridden by a writing one in /etc */
	put(t, "usr/lib/udev/rules.d/60-x.rules", "# vendor\n");
	put(t, "etc/udev/rules.d/60-x.rules",
	    "SUBSYSTEM==\"memory\", ACTION==\"add\", ATTR{online}=\"1\"\n");
	expect_one(t,
		   "/etc/udev/rules.d/60-x.rules:1: udev rule writes memory "
		   "online=\"1\"",
		   "remove or edit it", NULL);
}

static void test_symlink_resolves_in_root(void **state)
{
	struct tree *t = *state;

	/* an absolute link must point into the tree, not to the host */
	put(t, "usr/share/memhp/online.rules",
	    "SUBSYSTEM==\"memory\", ATTR{state}=\"online_kernel\"\n");
	link_to(t, "etc/udev/rules.d/70-online.rules",
		"/usr/share/memhp/online.rules");
	expect_one(t, "/etc/udev/rules.d/70-online.rules:1:",
		   "state=\"online_kernel\"", NULL);
}

static void test_relative_links_and_merged_usr(void **state)
{
	struct tree *t = *state;

	/* merged /usr: lib -> usr/lib; the file is reported once */
	put(t, "usr/lib/udev/rules.d/40-vm-hotadd.rules", ubuntu_rules);
	link_to(t, "lib", "usr/lib");
	/* a relative link climbing out of rules.d, and a link loop */
	put(t, "usr/share/r/x.rules",
	    "SUBSYSTEM==\"memory\", ATTR{online}=\"1\"\n");
	link_to(t, "etc/udev/rules.d/50-x.rules",
		"../../../usr/share/r/x.rules");
	link_to(t, "etc/udev/rules.d/51-loop.rules", "51-loop.rules");
	/* a link climbing above the root stays at the root */
	link_to(t, "etc/udev/rules.d/52-up.rules",
		"../../../../../../usr/share/r/x.rules");
	assert_int_equal(detect(t), 3);
	assert_non_null(strstr(t->lines[0], "/usr/lib/udev/rules.d/40-vm-"));
	assert_non_null(strstr(t->lines[1], "/etc/udev/rules.d/50-x.rules:1:"));
	assert_non_null(
		strstr(t->lines[2], "/etc/udev/rules.d/52-up.rules:1:"));
}

/* ---------- generic rules ---------- */

static void test_generic_writers(void **state)
{
	struct tree *t = *state;

	put(t, "etc/udev/rules.d/10-a.rules",
	    "SUBSYSTEM==\"memory\", ACTION==\"add\", ATTR{state}=\"online\"\n");
	put(t, "etc/udev/rules.d/11-b.rules",
	    "KERNEL==\"memory*\", ATTR{state}:=\"online_movable\"\n");
	put(t, "etc/udev/rules.d/12-c.rules",
	    "ACTION==\"add\", SUBSYSTEM==\"memory\", RUN+=\"/bin/sh -c 'echo "
	    "online > /sys/devices/system/memory/%k/state'\"\n");
	put(t, "etc/udev/rules.d/13-d.rules",
	    "SUBSYSTEM==\"memory\", RUN+=\"/bin/sh -c 'echo online_movable "
	    "> /sys$devpath/state'\"\n");
	put(t, "usr/lib/udev/rules.d/14-e.rules",
	    "SUBSYSTEM==\"memory|cpu\", ACTION==\"add\", "
	    "ATTR{online}=\"1\"\n");
	/* no match at all, but only memory blocks take online* in state */
	put(t, "usr/lib/udev/rules.d/15-f.rules",
	    "ACTION==\"add\", ATTR{state}=\"online\"\n");
	assert_int_equal(detect(t), 6);
	assert_non_null(strstr(t->lines[0], "10-a.rules:1: udev rule writes "
					    "memory state=\"online\""));
	assert_non_null(strstr(t->lines[1], "11-b.rules:1:"));
	assert_non_null(strstr(t->lines[2], "12-c.rules:1: udev rule writes "
					    "memory state via RUN"));
	assert_non_null(strstr(t->lines[3], "13-d.rules:1:"));
	assert_non_null(strstr(t->lines[4],
			       "/usr/lib/udev/rules.d/14-e.rules:1:"
			       " udev rule writes memory "
			       "online=\"1\""));
	assert_non_null(strstr(t->lines[4], "mask it"));
	assert_non_null(strstr(t->lines[5], "15-f.rules:1:"));
}

static void test_non_writers(void **state)
{
	struct tree *t = *state;
	char path[PATH_MAX], *text;
	FILE *f;
	long len;
	const char *data = getenv("MEMHOTD_TEST_DATA");

	/* comments, also inside a continued rule, mentioning state */
	put(t, "etc/udev/rules.d/10-comment.rules",
	    "# SUBSYSTEM==\"memory\", ATTR{state}=\"online\"\n"
	    "   #ATTR{state}=\"online\"\n"
	    "SUBSYSTEM==\"memory\", ACTION==\"add\", \\\n"
	    "# ATTR{state}=\"online\"\n"
	    "  TAG+=\"foo\"\n");
	/* matching state is not writing it */
	put(t, "etc/udev/rules.d/11-match.rules",
	    "SUBSYSTEM==\"memory\", ATTR{state}==\"offline\", "
	    "TAG+=\"offline_mem\"\n"
	    "SUBSYSTEM==\"memory\", ATTR{state}!=\"online\", "
	    "ENV{X}=\"state\"\n");
	/* CPU onlining is no concern of ours */
	put(t, "etc/udev/rules.d/12-cpu.rules",
	    "SUBSYSTEM==\"cpu\", ACTION==\"add\", ATTR{online}=\"1\"\n"
	    "ATTR{online}=\"1\"\n");
	/* other devices' state attributes */
	put(t, "etc/udev/rules.d/13-scsi.rules",
	    "SUBSYSTEM==\"scsi\", ATTR{state}=\"running\"\n");
	/* daxctl's rule only asks systemd to act */
	put(t, "usr/lib/udev/rules.d/90-daxctl-device.rules",
	    "ACTION==\"add\", SUBSYSTEM==\"dax\", TAG+=\"systemd\", "
	    "ENV{SYSTEMD_WANTS}=\"daxdev-reconfigure@$kernel.service\"\n");
	/* not a rules file */
	put(t, "etc/udev/rules.d/14-x.rules.bak",
	    "SUBSYSTEM==\"memory\", ATTR{state}=\"online\"\n");
	/* broken syntax: udev ignores the line too */
	put(t, "etc/udev/rules.d/15-broken.rules",
	    "SUBSYSTEM==\"memory\", ATTR{state}=online\n");
	/* a memory skip-block ends at its label */
	put(t, "etc/udev/rules.d/16-label.rules",
	    "SUBSYSTEM!=\"memory\", GOTO=\"m_end\"\n"
	    "TAG+=\"x\"\n"
	    "LABEL=\"m_end\"\n"
	    "ATTR{online}=\"1\"\n");

	/* memhotd's own rule, as shipped */
	snprintf(path, sizeof(path), "%s/../../udev/80-memhotd.rules",
		 data && *data ? data : "tests/data");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	assert_non_null(strstr(text, "memhotd.service"));
	put(t, "usr/lib/udev/rules.d/80-memhotd.rules", text);
	free(text);

	expect_none(t);
}

static void test_more_lines_counted(void **state)
{
	struct tree *t = *state;

	put(t, "etc/udev/rules.d/50-many.rules",
	    "SUBSYSTEM!=\"memory\", GOTO=\"end\"\n"
	    "ATTR{state}==\"offline\", ATTR{state}=\"online\"\n"
	    "ATTR{online}=\"1\"\n"
	    "LABEL=\"end\"\n");
	expect_one(t, "/etc/udev/rules.d/50-many.rules:2:", "(+1 more lines)",
		   NULL);
}

static void test_truncation(void **state)
{
	struct tree *t = *state;
	char rel[64], lines[3][MH_COMPETITOR_LINE];

	for (int i = 0; i < 5; i++) {
		snprintf(rel, sizeof(rel), "etc/udev/rules.d/%d-w.rules",
			 10 + i);
		put(t, rel, "SUBSYSTEM==\"memory\", ATTR{state}=\"online\"\n");
	}
	assert_int_equal(mh_competitors_detect(&t->root, lines, 3), 3);
	assert_non_null(strstr(lines[0], "10-w.rules"));
	assert_non_null(strstr(lines[1], "11-w.rules"));
	assert_string_equal(lines[2],
			    "... and 3 more competing onliners not listed");
	assert_int_equal(mh_competitors_detect(&t->root, NULL, 0), 0);
}

static void test_long_line_and_no_newline(void **state)
{
	struct tree *t = *state;
	size_t big = 100 * 1024;
	char *text = malloc(big + 128);

	assert_non_null(text);
	/* an over-long rule is ignored (as udev does), the next one counts */
	strcpy(text,
	       "SUBSYSTEM==\"memory\", ATTR{state}=\"online\", ENV{X}=\"");
	memset(text + strlen(text), 'x', big);
	text[strlen("SUBSYSTEM==\"memory\", ATTR{state}=\"online\", "
		    "ENV{X}=\"") +
	     big] = '\0';
	strcat(text, "\"\nSUBSYSTEM==\"memory\", ATTR{state}=\"online\"");
	put(t, "etc/udev/rules.d/20-long.rules", text);
	free(text);
	expect_one(t, "/etc/udev/rules.d/20-long.rules:2:", NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_empty_tree),
		T(test_auto_online_blocks),
		T(test_cmdline),
		T(test_rhel),
		T(test_rhel10_name),
		T(test_suse),
		T(test_ubuntu),
		T(test_all_at_once_sorted),
		T(test_shadowed_by_etc),
		T(test_shadowed_by_run),
		T(test_masked_by_dev_null),
		T(test_higher_dir_wins),
		T(test_symlink_resolves_in_root),
		T(test_relative_links_and_merged_usr),
		T(test_generic_writers),
		T(test_non_writers),
		T(test_more_lines_counted),
		T(test_truncation),
		T(test_long_line_and_no_newline),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
