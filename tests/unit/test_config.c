// SPDX-License-Identifier: MIT
/* config.c: strict INI parsing, drop-ins, printing; the shipped files. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memhotd/config.h"

/* ---------- helpers ---------- */

static int parse(const char *text, struct mh_config *c, char *err,
		 size_t err_len)
{
	mh_config_defaults(c);
	return mh_config_parse_string(text, "t.conf", c, err, err_len);
}

/* Parses text, expects failure with an error that starts with prefix. */
static void expect_error(const char *text, const char *prefix)
{
	struct mh_config c, before;
	char err[512] = "";
	int r;

	mh_config_defaults(&c);
	c.policy.ratio = 12345; /* must survive a failed parse */
	before = c;
	r = mh_config_parse_string(text, "t.conf", &c, err, sizeof(err));
	if (r != -EINVAL || strncmp(err, prefix, strlen(prefix)) != 0) {
		print_error("text:\n%s\nwant error starting '%s'\ngot r=%d "
			    "'%s'\n",
			    text, prefix, r, err);
		fail();
	}
	assert_memory_equal(&c, &before, sizeof(c));
	/* one line, no newline */
	assert_null(strchr(err, '\n'));
}

static void expect_ok(const char *text, struct mh_config *c)
{
	char err[512] = "";

	if (parse(text, c, err, sizeof(err)) != 0) {
		print_error("text:\n%s\nunexpected error: %s\n", text, err);
		fail();
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f) {
		print_error("cannot open %s: %s\n", path, strerror(errno));
		fail();
	}
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int rm_cb(const char *p, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int tree_setup(void **state)
{
	char *dir = strdup("/tmp/mh-config-XXXXXX");

	if (!dir || !mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int tree_teardown(void **state)
{
	char *dir = *state;

	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	return 0;
}

static const char *data_dir(void)
{
	const char *d = getenv("MEMHOTD_TEST_DATA");

	return d && *d ? d : "tests/data";
}

/* The repository root: MEMHOTD_TEST_DATA is <root>/tests/data. */
static void repo_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/../../%s", data_dir(), rel);
}

/* mh_config_print into a malloc'd string. */
static char *print_config(const struct mh_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	mh_config_print(c, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* ---------- defaults and valid input ---------- */

static void test_defaults(void **state)
{
	struct mh_config c;

	(void)state;
	mh_config_defaults(&c);
	assert_int_equal(c.policy.policy, MH_POLICY_AUTO_MOVABLE);
	assert_int_equal(c.policy.ratio, 301);
	assert_true(c.policy.numa_aware);
	assert_false(c.policy.movable_node);
	assert_false(c.control_group_set);
	assert_string_equal(c.control_group, "");
}

static void test_empty_and_comments(void **state)
{
	struct mh_config c, d;

	(void)state;
	mh_config_defaults(&d);
	expect_ok("", &c);
	assert_memory_equal(&c, &d, sizeof(c));
	expect_ok("# comment\n; also a comment\n\n[policy]\n# state = x\n"
		  "[control]\n",
		  &c);
	assert_memory_equal(&c, &d, sizeof(c));
}

static void test_all_keys(void **state)
{
	struct mh_config c;

	(void)state;
	expect_ok("[policy]\n"
		  "online_policy = contig-zones\n"
		  "auto_movable_ratio = 400\n"
		  "auto_movable_numa_aware = no\n"
		  "[control]\n"
		  "group = root\n",
		  &c);
	assert_int_equal(c.policy.policy, MH_POLICY_CONTIG_ZONES);
	assert_int_equal(c.policy.ratio, 400);
	assert_false(c.policy.numa_aware);
	assert_true(c.control_group_set);
	assert_string_equal(c.control_group, "root");
	assert_int_equal(c.control_gid, 0);
}

static void test_policies(void **state)
{
	static const struct {
		const char *name;
		enum mh_online_policy p;
	} v[] = {
		{"auto-movable", MH_POLICY_AUTO_MOVABLE},
		{"contig-zones", MH_POLICY_CONTIG_ZONES},
		{"movable", MH_POLICY_MOVABLE},
		{"kernel", MH_POLICY_KERNEL},
	};
	char text[128];
	struct mh_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(text, sizeof(text), "[policy]\nonline_policy=%s\n",
			 v[i].name);
		expect_ok(text, &c);
		assert_int_equal(c.policy.policy, v[i].p);
	}
	expect_error("[policy]\nonline_policy = auto_movable\n",
		     "t.conf:2: [policy] key 'online_policy': 'auto_movable': "
		     "unknown policy; allowed: auto-movable (default), "
		     "contig-zones, movable, kernel");
	expect_error("[policy]\nonline_policy = Movable\n",
		     "t.conf:2: [policy] key 'online_policy':");
	expect_error("[policy]\nonline_policy =\n",
		     "t.conf:2: [policy] key 'online_policy':");
}

static void test_ratio(void **state)
{
	struct mh_config c;

	(void)state;
	expect_ok("[policy]\nauto_movable_ratio = 0\n", &c);
	assert_int_equal(c.policy.ratio, 0);
	expect_ok("[policy]\nauto_movable_ratio = 4294967295\n", &c);
	assert_int_equal(c.policy.ratio, UINT_MAX);
	expect_ok("[policy]\nauto_movable_ratio=301 ; inline comment\n", &c);
	assert_int_equal(c.policy.ratio, 301);

	expect_error("[policy]\nauto_movable_ratio = -1\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio': '-1' "
		     "negative; allowed: a decimal integer 0..4294967295");
	expect_error("[policy]\nauto_movable_ratio = 4294967296\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio': "
		     "'4294967296' too large");
	expect_error("[policy]\nauto_movable_ratio = "
		     "99999999999999999999999999\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio': "
		     "'99999999999999999999999999' too large");
	expect_error("[policy]\nauto_movable_ratio = abc\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio': 'abc' "
		     "not a number");
	expect_error("[policy]\nauto_movable_ratio = 301abc\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio': '301abc' "
		     "has junk after the number");
	expect_error("[policy]\nauto_movable_ratio = 301#no\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio': "
		     "'301#no' has junk after the number");
	expect_error("[policy]\nauto_movable_ratio = 301 abc\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio': "
		     "'301 abc' has junk after the number");
	expect_error("[policy]\nauto_movable_ratio = 3.5\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio':");
	expect_error("[policy]\nauto_movable_ratio = +301\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio':");
	expect_error("[policy]\nauto_movable_ratio = 0x12d\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio':");
	expect_error("[policy]\nauto_movable_ratio = 0301\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio': '0301' "
		     "has a leading zero");
	expect_error("[policy]\nauto_movable_ratio =\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio': '' empty");
}

/* Inline comments as users write them: '#' or ';' after a blank. */
static void test_inline_comments(void **state)
{
	struct mh_config c;

	(void)state;
	expect_ok("[policy]\nauto_movable_ratio = 200  # half of it\n", &c);
	assert_int_equal(c.policy.ratio, 200);
	expect_ok("[policy]\nauto_movable_ratio = 201\t# tab\n", &c);
	assert_int_equal(c.policy.ratio, 201);
	expect_ok("[policy]\nauto_movable_ratio = 202 ;semicolon\n", &c);
	assert_int_equal(c.policy.ratio, 202);
	expect_ok("[policy]\nauto_movable_ratio=203 # a # b ; c\n", &c);
	assert_int_equal(c.policy.ratio, 203);
	expect_ok("[policy]  # section comment\nonline_policy = movable # x\n"
		  "auto_movable_numa_aware = no   ; y\n",
		  &c);
	assert_int_equal(c.policy.policy, MH_POLICY_MOVABLE);
	assert_false(c.policy.numa_aware);
	expect_ok("[policy]\nauto_movable_ratio = 204 #\n", &c);
	assert_int_equal(c.policy.ratio, 204);
	expect_ok("[control]\ngroup = root   # the admins\n", &c);
	assert_true(c.control_group_set);
	assert_string_equal(c.control_group, "root");
	/* Only a comment after '=': the value is empty. */
	expect_ok("[control]\ngroup = # nobody\n", &c);
	assert_false(c.control_group_set);
	expect_ok("[policy]\nauto_movable_ratio = 205\r\n", &c);
	assert_int_equal(c.policy.ratio, 205);

	/* Without a blank before it, '#' or ';' belongs to the value. */
	expect_error("[control]\ngroup = root#x\n",
		     "t.conf:2: [control] key 'group': 'root#x': no such "
		     "group");
	expect_error("[policy]\nonline_policy = kernel;x\n",
		     "t.conf:2: [policy] key 'online_policy': 'kernel;x': "
		     "unknown policy");
	expect_error("[policy]\nauto_movable_ratio = # no value\n",
		     "t.conf:2: [policy] key 'auto_movable_ratio': '' empty");
	/* A key without '=' is still a syntax error, comment or not. */
	expect_error("[policy]\nauto_movable_ratio # = 3\n", "t.conf:2: ");
}

static void test_bool(void **state)
{
	static const char *const yes[] = {"true", "TRUE", "yes", "Yes", "1",
					  "on",	  "ON",	  "Y",	 "y"};
	static const char *const no[] = {"false", "False", "no", "NO", "0",
					 "off",	  "Off",   "N",	 "n"};
	char text[128];
	struct mh_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text),
			 "[policy]\nauto_movable_numa_aware = %s\n", yes[i]);
		expect_ok(text, &c);
		assert_true(c.policy.numa_aware);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(text, sizeof(text),
			 "[policy]\nauto_movable_numa_aware = %s\n", no[i]);
		expect_ok(text, &c);
		assert_false(c.policy.numa_aware);
	}
	expect_error("[policy]\nauto_movable_numa_aware = maybe\n",
		     "t.conf:2: [policy] key 'auto_movable_numa_aware': "
		     "'maybe' is not a boolean; allowed: true/false");
	expect_error("[policy]\nauto_movable_numa_aware = 2\n",
		     "t.conf:2: [policy] key 'auto_movable_numa_aware':");
	expect_error("[policy]\nauto_movable_numa_aware = yess\n",
		     "t.conf:2: [policy] key 'auto_movable_numa_aware':");
	expect_error("[policy]\nauto_movable_numa_aware =\n",
		     "t.conf:2: [policy] key 'auto_movable_numa_aware':");
}

static void test_group(void **state)
{
	struct mh_config c;
	struct group *g;

	(void)state;
	expect_ok("[control]\ngroup = 0\n", &c);
	assert_true(c.control_group_set);
	assert_int_equal(c.control_gid, 0);
	g = getgrgid(0);
	assert_non_null(g);
	assert_string_equal(c.control_group, g->gr_name);

	expect_ok("[control]\ngroup = root ; inline comment\n", &c);
	assert_true(c.control_group_set);
	assert_string_equal(c.control_group, "root");
	assert_int_equal(c.control_gid, 0);
}

static void test_group_errors(void **state)
{
	struct mh_config c;

	(void)state;
	expect_ok("[control]\ngroup =\n", &c);
	assert_false(c.control_group_set);
	expect_error("[control]\ngroup = memhotd-no-such-group-x\n",
		     "t.conf:2: [control] key 'group': "
		     "'memhotd-no-such-group-x': no such group; allowed: an "
		     "existing group name or numeric gid");
	expect_error("[control]\ngroup = 4000000000\n",
		     "t.conf:2: [control] key 'group': '4000000000': no group "
		     "has this gid");
	expect_error("[control]\ngroup = 99999999999\n",
		     "t.conf:2: [control] key 'group': '99999999999': gid out "
		     "of range");
}

/* ---------- structural errors ---------- */

static void test_unknown_section(void **state)
{
	(void)state;
	expect_error("[policy]\nauto_movable_ratio = 301\n\n[polcy]\n",
		     "t.conf:4: unknown section [polcy]; allowed: [policy], "
		     "[control], [kernel]");
	/* the section line is reported, not the key after it */
	expect_error("[foo]\nbar = 1\n", "t.conf:1: unknown section [foo]");
	expect_error("[ policy ]\n", "t.conf:1: unknown section [ policy ]");
	expect_error("[Policy]\n", "t.conf:1: unknown section [Policy]");
	expect_error("[policy] junk\n",
		     "t.conf:1: junk after section header [policy]");
}

static void test_unknown_key(void **state)
{
	struct mh_config c;

	(void)state;
	expect_error("[policy]\nratio = 301\n",
		     "t.conf:2: [policy] key 'ratio': unknown key; allowed: "
		     "online_policy, auto_movable_ratio, "
		     "auto_movable_numa_aware");
	expect_error("[control]\nsocket = /run/x\n",
		     "t.conf:2: [control] key 'socket': unknown key; "
		     "allowed: group");
	expect_error("[control]\nauto_movable_ratio = 301\n",
		     "t.conf:2: [control] key 'auto_movable_ratio': unknown "
		     "key in this section; it belongs in [policy]");
	expect_error("[policy]\nAuto_movable_ratio = 301\n",
		     "t.conf:2: [policy] key 'Auto_movable_ratio': unknown");
	expect_error("auto_movable_ratio = 301\n",
		     "t.conf:1: key 'auto_movable_ratio' before any section");
	/* the first error wins */
	expect_error("[policy]\nx = 1\ny = 2\n", "t.conf:2: [policy] key 'x'");
	/* a later good file does not hide it: *c untouched on error */
	mh_config_defaults(&c);
}

static void test_duplicate(void **state)
{
	(void)state;
	expect_error("[policy]\nauto_movable_ratio = 301\n"
		     "online_policy = movable\n"
		     "auto_movable_ratio = 200\n",
		     "t.conf:4: [policy] key 'auto_movable_ratio': duplicate "
		     "key (already set on line 2)");
	/* a section may appear twice, but a key only once per file */
	expect_error("[policy]\nonline_policy = kernel\n[control]\n"
		     "[policy]\nonline_policy = movable\n",
		     "t.conf:5: [policy] key 'online_policy': duplicate key "
		     "(already set on line 2)");
}

static void test_syntax(void **state)
{
	struct mh_config c;
	char text[2048];

	(void)state;
	expect_error("[policy]\nonline_policy\n",
		     "t.conf:2: syntax error: expected 'key = value'");
	expect_error("[policy\n", "t.conf:1: syntax error");
	expect_error("[policy]\nauto_movable_ratio: 301\n",
		     "t.conf:2: expected 'key = value' (with '=')");
	/* an over-long line is an error, not silently split */
	memset(text, 0, sizeof(text));
	strcpy(text, "[policy]\n# ");
	memset(text + strlen(text), 'x', 1500);
	strcat(text, "\nauto_movable_ratio = 5\n");
	expect_error(text, "t.conf:2: line too long");
	/* the documented limit: 198 characters (inih's INI_MAX_LINE 200) */
	memset(text, 0, sizeof(text));
	strcpy(text, "[policy]\n#");
	memset(text + strlen(text), 'x', 197);
	strcat(text, "\n");
	expect_ok(text, &c);
	memset(text, 0, sizeof(text));
	strcpy(text, "[policy]\n#");
	memset(text + strlen(text), 'x', 198);
	strcat(text, "\n");
	expect_error(text, "t.conf:2: line too long (at most 198 characters)");
	/* indented keys, CRLF, a BOM-free file with no final newline */
	expect_ok("[policy]\r\n  auto_movable_ratio = 250\r\n"
		  "\tonline_policy = movable",
		  &c);
	assert_int_equal(c.policy.ratio, 250);
	assert_int_equal(c.policy.policy, MH_POLICY_MOVABLE);
}

static void test_line_numbers_count_everything(void **state)
{
	(void)state;
	expect_error("# one\n\n; three\n[policy]\n\n\nauto_movable_ratio = x\n",
		     "t.conf:7: [policy] key 'auto_movable_ratio'");
}

/* ---------- files, drop-ins ---------- */

static void test_load_missing(void **state)
{
	const char *dir = *state;
	struct mh_config c, d;
	char path[PATH_MAX], err[512];

	snprintf(path, sizeof(path), "%s/none.conf", dir);
	mh_config_defaults(&d);
	memset(&c, 0xaa, sizeof(c));
	assert_int_equal(mh_config_load(path, true, &c, err, sizeof(err)), 0);
	assert_memory_equal(&c, &d, sizeof(c));

	assert_int_equal(mh_config_load(path, false, &c, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "none.conf: cannot open"));

	/* a directory is not a configuration file */
	assert_int_equal(mh_config_load(dir, true, &c, err, sizeof(err)),
			 -EISDIR);
	assert_non_null(strstr(err, "not a regular file"));
}

static void test_load_file_and_dropins(void **state)
{
	const char *dir = *state;
	struct mh_config c;
	char path[PATH_MAX], p[PATH_MAX + 256], err[512];

	snprintf(path, sizeof(path), "%s/memhotd.conf", dir);
	write_file(path, "[policy]\nauto_movable_ratio = 100\n"
			 "online_policy = movable\n");
	snprintf(p, sizeof(p), "%s.d", path);
	assert_int_equal(mkdir(p, 0755), 0);
	/* applied in strcmp order, whatever readdir returns */
	snprintf(p, sizeof(p), "%s.d/20-b.conf", path);
	write_file(p, "[policy]\nauto_movable_ratio = 200\n");
	snprintf(p, sizeof(p), "%s.d/10-a.conf", path);
	write_file(p, "[policy]\nauto_movable_ratio = 150\n"
		      "auto_movable_numa_aware = off\n");
	/* not *.conf, hidden: ignored, even though invalid */
	snprintf(p, sizeof(p), "%s.d/30-c.conf.bak", path);
	write_file(p, "[bogus]\n");
	snprintf(p, sizeof(p), "%s.d/.40-d.conf", path);
	write_file(p, "[bogus]\n");
	snprintf(p, sizeof(p), "%s.d/README", path);
	write_file(p, "not ini at all\n");

	assert_int_equal(mh_config_load(path, false, &c, err, sizeof(err)), 0);
	assert_int_equal(c.policy.ratio, 200);
	assert_int_equal(c.policy.policy, MH_POLICY_MOVABLE);
	assert_false(c.policy.numa_aware);

	/* drop-ins apply without the main file too */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mh_config_load(path, true, &c, err, sizeof(err)), 0);
	assert_int_equal(c.policy.ratio, 200);
	assert_int_equal(c.policy.policy, MH_POLICY_AUTO_MOVABLE);

	/* an error in a drop-in names it; the result is left untouched */
	snprintf(p, sizeof(p), "%s.d/15-bad.conf", path);
	write_file(p, "\n[policy]\nauto_movable_numa_aware = perhaps\n");
	mh_config_defaults(&c);
	c.policy.ratio = 7;
	assert_int_equal(mh_config_load(path, true, &c, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(c.policy.ratio, 7);
	snprintf(p, sizeof(p),
		 "%s.d/15-bad.conf:3: [policy] key "
		 "'auto_movable_numa_aware': 'perhaps' is not a boolean",
		 path);
	if (strncmp(err, p, strlen(p))) {
		print_error("got '%s'\nwant '%s'\n", err, p);
		fail();
	}
}

static void test_load_error_in_main(void **state)
{
	const char *dir = *state;
	struct mh_config c;
	char path[PATH_MAX], want[PATH_MAX + 64], err[512];

	snprintf(path, sizeof(path), "%s/m.conf", dir);
	write_file(path, "[policy]\n\nauto_movable_ratio = -5\n");
	assert_int_equal(mh_config_load(path, false, &c, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:3: [policy] key 'auto_movable_ratio': '-5' negative",
		 path);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	/* a NUL byte in the file */
	{
		int fd = open(path, O_WRONLY | O_TRUNC);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "[policy]\n\0\n", 11), 11);
		close(fd);
	}
	assert_int_equal(mh_config_load(path, false, &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "NUL byte"));
	/* small error buffers are fine */
	assert_int_equal(mh_config_load(path, false, &c, err, 8), -EINVAL);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(mh_config_load(path, false, &c, NULL, 0), -EINVAL);
}

/* ---------- printing ---------- */

static void test_print_roundtrip(void **state)
{
	struct mh_config c, d;
	char err[512], *text;

	(void)state;
	mh_config_defaults(&c);
	text = print_config(&c);
	assert_string_equal(text, "[policy]\n"
				  "online_policy = auto-movable\n"
				  "auto_movable_ratio = 301\n"
				  "auto_movable_numa_aware = true\n"
				  "mode = online\n"
				  "kernel_reserve = 0\n"
				  "balloon_without_compaction = warn\n"
				  "\n"
				  "[kernel]\n"
				  "auto_online_blocks = offline\n"
				  "mirror_policy = true\n"
				  "cross_check = true\n"
				  "\n"
				  "[control]\n"
				  "group =\n"
				  "\n"
				  "[metrics]\n"
				  "textfile =\n"
				  "\n"
				  "[guard]\n"
				  "kernel_free_min = 0\n");
	free(text);

	expect_ok("[policy]\nonline_policy = kernel\nauto_movable_ratio = 0\n"
		  "auto_movable_numa_aware = N\n[control]\ngroup = 0\n",
		  &c);
	text = print_config(&c);
	mh_config_defaults(&d);
	assert_int_equal(
		mh_config_parse_string(text, "printed", &d, err, sizeof(err)),
		0);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_non_null(strstr(text, "online_policy = kernel\n"));
	assert_non_null(strstr(text, "auto_movable_numa_aware = false\n"));
	free(text);
}

/* ---------- the shipped memhotd.conf and man page ---------- */

/*
 * The shipped memhotd.conf shows the compiled-in defaults, except that it
 * names the group the package creates.  That group need not exist where
 * the tests run, so it is set aside here (the config-examples test checks
 * the file as it is, with the group provided by nss_wrapper).
 */
static void test_repo_conf_is_defaults(void **state)
{
	static const char group_line[] = "\ngroup = memhotd\n";
	struct mh_config c, d;
	char path[PATH_MAX], err[512];
	char *text, *out, *o, *g;
	const char *line;
	size_t n_uncommented = 0;

	(void)state;
	repo_path(path, sizeof(path), "memhotd.conf");
	mh_config_defaults(&d);
	text = read_text(path);
	g = strstr(text, group_line);
	assert_non_null(g);
	assert_null(strstr(g + 1, group_line));
	/* "group = memhotd" -> "group =" followed by blanks */
	memset(g + strlen("\ngroup ="), ' ', strlen(" memhotd"));
	mh_config_defaults(&c);
	if (mh_config_parse_string(text, path, &c, err, sizeof(err))) {
		print_error("%s\n", err);
		fail();
	}
	assert_memory_equal(&c, &d, sizeof(c));

	/* Uncommenting every "#key = value" line gives the defaults too. */
	out = calloc(1, strlen(text) + 1);
	assert_non_null(out);
	o = out;
	for (line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);

		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' &&
		    memchr(line, '=', len)) {
			line++;
			len--;
			n_uncommented++;
		}
		memcpy(o, line, len);
		o += len;
		line += len;
	}
	assert_int_equal(n_uncommented, 11);
	mh_config_defaults(&c);
	if (mh_config_parse_string(out, path, &c, err, sizeof(err))) {
		print_error("%s\n", err);
		fail();
	}
	assert_memory_equal(&c, &d, sizeof(c));
	free(out);
	free(text);
}

/* A key's tag line in the man page: .BI "key = " VALUE */
static bool man_key(const char *line, char *key, size_t len)
{
	const char *p = ".BI \"";
	size_t n;

	if (strncmp(line, p, strlen(p)))
		return false;
	line += strlen(p);
	n = strspn(line, "abcdefghijklmnopqrstuvwxyz_");
	if (n == 0 || n >= len || strncmp(line + n, " = \" ", 4))
		return false;
	memcpy(key, line, n);
	key[n] = '\0';
	return true;
}

/*
 * man/memhotd.conf.5 documents each key as
 *   .SS [section]  ... .TP / .BI "key = " VALUE
 * Every documented key must be accepted in its section, and every key the
 * parser knows (mh_config_print prints them all) must be documented.
 */
static void test_man_page_keys(void **state)
{
	char path[PATH_MAX], err[512], section[64] = "", text[256];
	char *man, *printed, *save = NULL, *line;
	char documented[16][160];
	size_t nr_doc = 0;
	struct mh_config c, d;

	(void)state;
	repo_path(path, sizeof(path), "man/memhotd.conf.5");
	man = read_text(path);
	mh_config_defaults(&d);
	printed = print_config(&d);

	bool after_tp = false;
	for (line = strtok_r(man, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char key[64];

		if (sscanf(line, ".SS [%63[a-z]]", section) == 1 ||
		    sscanf(line, ".SS \"[%63[a-z]]\"", section) == 1) {
			after_tp = false;
			continue;
		}
		if (!strcmp(line, ".TP")) {
			after_tp = true;
			continue;
		}
		if (after_tp && !strcmp(section, "rule") &&
		    man_key(line, key, sizeof(key))) {
			/* [rule NAME] keys: no default; accepted in a rule */
			static const char *const sample[][2] = {
				{"match_type", "dimm"},
				{"match_device", "virtio*"},
				{"match_node", "0"},
				{"zone", "auto"},
			};
			bool known = false;

			assert_true(nr_doc < 16);
			snprintf(documented[nr_doc++], sizeof(documented[0]),
				 "rule/%s", key);
			for (size_t i = 0; i < 4; i++) {
				if (strcmp(sample[i][0], key))
					continue;
				known = true;
				snprintf(text, sizeof(text),
					 "[rule t]\nzone = kernel\n%s = %s\n",
					 key, sample[i][1]);
				if (!strcmp(key, "zone"))
					snprintf(text, sizeof(text),
						 "[rule t]\nzone = %s\n",
						 sample[i][1]);
				mh_config_defaults(&c);
				if (mh_config_parse_string(text, path, &c, err,
							   sizeof(err))) {
					print_error("documented rule key "
						    "rejected: %s\n",
						    err);
					fail();
				}
			}
			if (!known) {
				print_error("documented rule key %s unknown\n",
					    key);
				fail();
			}
			after_tp = false;
			continue;
		}
		if (after_tp && man_key(line, key, sizeof(key))) {
			char want[96];
			const char *v;
			char value[64] = "";

			assert_true(section[0] != '\0');
			assert_true(nr_doc < 16);
			snprintf(documented[nr_doc++], sizeof(documented[0]),
				 "%s/%s", section, key);
			/* the value mh_config_print gives it */
			snprintf(want, sizeof(want), "\n%s =", key);
			v = strstr(printed, want);
			if (!v) {
				print_error("documented key %s missing from "
					    "mh_config_print\n",
					    key);
				fail();
			}
			/* the rest of that line only (it may be empty) */
			sscanf(v + strlen(want), "%*[ ]%63[^\n]", value);
			snprintf(text, sizeof(text), "[%s]\n%s = %s\n", section,
				 key, value);
			mh_config_defaults(&c);
			if (mh_config_parse_string(text, path, &c, err,
						   sizeof(err))) {
				print_error("documented key rejected: %s\n",
					    err);
				fail();
			}
			assert_memory_equal(&c, &d, sizeof(c));
		}
		after_tp = false;
	}
	assert_int_equal(nr_doc, 16);

	/* every printed key is documented */
	section[0] = '\0';
	save = NULL;
	for (line = strtok_r(printed, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char key[64], want[160];
		bool found = false;

		if (sscanf(line, "[%63[a-z]]", section) == 1)
			continue;
		if (sscanf(line, "%63[a-z_] =", key) != 1)
			continue;
		snprintf(want, sizeof(want), "%s/%s", section, key);
		for (size_t i = 0; i < nr_doc; i++)
			found |= !strcmp(documented[i], want);
		if (!found) {
			print_error("key %s not documented in the man page\n",
				    want);
			fail();
		}
	}
	free(printed);
	free(man);
}

/* ---------- beyond the kernel: [policy] kernel_reserve,
 * balloon_without_compaction, [guard], [rule NAME] ---------- */

static void test_beyond_defaults(void **state)
{
	struct mh_config c;

	(void)state;
	mh_config_defaults(&c);
	assert_int_equal(c.policy.kernel_reserve, 0);
	assert_int_equal(c.policy.kernel_free_min, 0);
	assert_int_equal(c.policy.balloon, MH_BALLOON_WARN);
	assert_int_equal(c.policy.rules.nr, 0);
	/* the empty sections are accepted and change nothing */
	expect_ok("[guard]\n", &c);
	assert_int_equal(c.policy.kernel_free_min, 0);
}

static void test_beyond_sizes(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} ok[] = {
		{"0", 0},
		{"4096", 4096},
		{"2k", 2048},
		{"2K", 2048},
		{"128M", 128ULL << 20},
		{"128m", 128ULL << 20},
		{"1G", 1ULL << 30},
		{"3T", 3ULL << 40},
		{"16777215T", 16777215ULL << 40},
		{"18446744073709551615", UINT64_MAX},
	};
	static const char *const bad[] = {
		"",	     "-1",   "12Q", "1MB",  "01",
		"1 M",	     "0x10", "M",   "1.5G", "18446744073709551616",
		"16777216T",
	};
	struct mh_config c;
	char text[128];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "[policy]\nkernel_reserve = %s\n",
			 ok[i].text);
		expect_ok(text, &c);
		assert_int_equal(c.policy.kernel_reserve, ok[i].bytes);
		snprintf(text, sizeof(text), "[guard]\nkernel_free_min = %s\n",
			 ok[i].text);
		expect_ok(text, &c);
		assert_int_equal(c.policy.kernel_free_min, ok[i].bytes);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[policy]\nkernel_reserve = %s\n",
			 bad[i]);
		expect_error(text, "t.conf:2: [policy] key 'kernel_reserve': ");
		snprintf(text, sizeof(text), "[guard]\nkernel_free_min = %s\n",
			 bad[i]);
		expect_error(text, "t.conf:2: [guard] key 'kernel_free_min': ");
	}
}

static void test_beyond_keys(void **state)
{
	struct mh_config c;

	(void)state;
	expect_ok("[policy]\nballoon_without_compaction = kernel\n", &c);
	assert_int_equal(c.policy.balloon, MH_BALLOON_KERNEL);
	expect_ok("[policy]\nballoon_without_compaction = warn\n", &c);
	assert_int_equal(c.policy.balloon, MH_BALLOON_WARN);
	expect_error("[policy]\nballoon_without_compaction = Kernel\n",
		     "t.conf:2: [policy] key 'balloon_without_compaction': "
		     "'Kernel': unknown mode");
	expect_error("[policy]\nkernel_free_min = 1M\n",
		     "t.conf:2: [policy] key 'kernel_free_min': unknown key in "
		     "this section; it belongs in [guard]");
	expect_error("[guard]\nkernel_reserve = 1M\n",
		     "t.conf:2: [guard] key 'kernel_reserve': unknown key; "
		     "allowed: kernel_free_min");
	expect_error("[guard]\nkernel_free_min = 1M\n\nkernel_free_min = 2M\n",
		     "t.conf:4: [guard] key 'kernel_free_min': duplicate key "
		     "(already set on line 2)");
	expect_error("[policy]\nkernel_reserve = 1M\nkernel_reserve = 1M\n",
		     "t.conf:3: [policy] key 'kernel_reserve': duplicate");
	expect_error("[policy]\nbogus = 1\n",
		     "t.conf:2: [policy] key 'bogus': unknown key; allowed: "
		     "online_policy, auto_movable_ratio, "
		     "auto_movable_numa_aware, mode, kernel_reserve, "
		     "balloon_without_compaction");
	expect_error("[guards]\n", "t.conf:1: unknown section [guards]; "
				   "allowed: [policy], [control], [kernel], "
				   "[metrics], [guard], [rule NAME]");
}

static void test_rules_parse(void **state)
{
	struct mh_config c;
	const struct mh_rule *r;

	(void)state;
	expect_ok("[rule dimms]\nmatch_type = dimm\nzone = movable\n"
		  "[policy]\nauto_movable_ratio = 200\n"
		  "[rule  pin.virtio-1_a ]\n"
		  "match_device = virtio[12]\nmatch_node = 1\nzone = kernel\n"
		  "[rule rest]\nzone = auto\n"
		  "[rule none]\nmatch_type = none\nzone = kernel\n",
		  &c);
	assert_int_equal(c.policy.ratio, 200);
	assert_int_equal(c.policy.rules.nr, 4);
	r = &c.policy.rules.rule[0];
	assert_string_equal(r->name, "dimms");
	assert_true(r->has_type && !r->has_device && !r->has_node);
	assert_int_equal(r->type, MH_DEV_DIMM);
	assert_int_equal(r->zone, MH_RULE_MOVABLE);
	r = &c.policy.rules.rule[1];
	assert_string_equal(r->name, "pin.virtio-1_a");
	assert_true(!r->has_type && r->has_device && r->has_node);
	assert_string_equal(r->device, "virtio[12]");
	assert_int_equal(r->node, 1);
	assert_int_equal(r->zone, MH_RULE_KERNEL);
	r = &c.policy.rules.rule[2];
	assert_true(!r->has_type && !r->has_device && !r->has_node);
	assert_true(r->has_zone);
	assert_int_equal(r->zone, MH_RULE_AUTO);
	assert_int_equal(c.policy.rules.rule[3].type, MH_DEV_NONE);
	assert_true(c.policy.rules.rule[3].has_type);

	expect_error("[rule x]\nmatch_type = dimm\n[policy]\n",
		     "t.conf:1: [rule x]: no 'zone' key");
	expect_error("[rule x]\n", "t.conf:1: [rule x]: no 'zone' key");
	expect_error("[rule x]\nzone = kernel\n[rule x]\nzone = kernel\n",
		     "t.conf:3: [rule x]: rule defined twice in this file "
		     "(first on line 1)");
	expect_error("[rule x]\nzone = kernel\nzone = auto\n",
		     "t.conf:3: [rule x] key 'zone': duplicate key");
	expect_error("[rule x]\nzone = Movable\n",
		     "t.conf:2: [rule x] key 'zone': 'Movable': unknown zone");
	expect_error("[rule x]\nmatch_type = virtio_mem\nzone = auto\n",
		     "t.conf:2: [rule x] key 'match_type': 'virtio_mem': "
		     "unknown device type; allowed: virtio-mem, dimm, dax, "
		     "none");
	expect_error("[rule x]\nmatch_node = 1024\nzone = auto\n",
		     "t.conf:2: [rule x] key 'match_node': '1024' is out of "
		     "range");
	expect_error("[rule x]\nmatch_node = -1\nzone = auto\n",
		     "t.conf:2: [rule x] key 'match_node': '-1' negative");
	expect_error("[rule x]\nmatch_device = \nzone = auto\n",
		     "t.conf:2: [rule x] key 'match_device': '' is empty");
	expect_error(
		"[rule x]\nmatch_device = "
		"0123456789012345678901234567890123456789012345678901234567"
		"890123\nzone = auto\n",
		"t.conf:2: [rule x] key 'match_device': ");
	expect_error("[rule x]\nmatch = dimm\nzone = auto\n",
		     "t.conf:2: [rule x] key 'match': unknown key; allowed: "
		     "match_type, match_device, match_node, zone");
	expect_error("[rule a/b]\nzone = auto\n",
		     "t.conf:1: [rule a/b]: invalid rule name");
	expect_error("[rule 0123456789012345678901234567890123]\nzone = auto\n",
		     "t.conf:1: [rule 01234");
	expect_error("[rule]\nzone = auto\n", "t.conf:1: unknown section "
					      "[rule]");
	expect_error("[rules x]\nzone = auto\n", "t.conf:1: unknown section "
						 "[rules x]");
}

static void test_rules_too_many(void **state)
{
	char text[8192] = "";
	size_t n = 0;
	struct mh_config c;

	(void)state;
	for (int i = 0; i < MH_RULES_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "[rule r%d]\nzone = auto\n", i);
	expect_ok(text, &c);
	assert_int_equal(c.policy.rules.nr, MH_RULES_MAX);
	snprintf(text + n, sizeof(text) - n, "[rule one-more]\nzone = auto\n");
	expect_error(text, "t.conf:65: [rule one-more]: too many rules (at "
			   "most 32)");
}

/* Drop-ins: new rules after the main file's, in file order; a rule of
 * the same name changes the earlier rule key by key and keeps its place. */
static void test_rules_dropins(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], d[PATH_MAX], f[PATH_MAX + 32], err[512] = "";
	struct mh_config c;
	const struct mh_rule_table *t = &c.policy.rules;

	snprintf(path, sizeof(path), "%s/memhotd.conf", dir);
	snprintf(d, sizeof(d), "%s/memhotd.conf.d", dir);
	write_file(path, "[rule a]\nmatch_type = dimm\nzone = movable\n"
			 "[rule b]\nmatch_device = virtio0\nzone = kernel\n");
	assert_int_equal(mkdir(d, 0755), 0);
	snprintf(f, sizeof(f), "%s/20-late.conf", d);
	write_file(f, "[rule d]\nmatch_type = dax\nzone = movable\n");
	snprintf(f, sizeof(f), "%s/10-early.conf", d);
	write_file(f, "[rule c]\nmatch_node = 1\nzone = kernel\n"
		      "[rule a]\nzone = auto\n"
		      "[rule b]\nmatch_device = virtio*\n");
	assert_int_equal(mh_config_load(path, false, &c, err, sizeof(err)), 0);
	assert_int_equal(t->nr, 4);
	assert_string_equal(t->rule[0].name, "a");
	assert_string_equal(t->rule[1].name, "b");
	assert_string_equal(t->rule[2].name, "c");
	assert_string_equal(t->rule[3].name, "d");
	/* a: type kept, zone overridden */
	assert_true(t->rule[0].has_type);
	assert_int_equal(t->rule[0].type, MH_DEV_DIMM);
	assert_int_equal(t->rule[0].zone, MH_RULE_AUTO);
	/* b: device overridden (no bytes of the longer old value left) */
	assert_string_equal(t->rule[1].device, "virtio*");
	assert_int_equal(t->rule[1].zone, MH_RULE_KERNEL);

	/* a new rule in a drop-in still needs its zone */
	snprintf(f, sizeof(f), "%s/30-bad.conf", d);
	write_file(f, "[rule e]\nmatch_type = dax\n");
	assert_int_equal(mh_config_load(path, false, &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "30-bad.conf:1: [rule e]: no 'zone' key"));
}

static void test_beyond_print_roundtrip(void **state)
{
	struct mh_config c, d;
	char err[512], *text;

	(void)state;
	expect_ok("[policy]\nkernel_reserve = 1536M\n"
		  "balloon_without_compaction = kernel\n"
		  "[guard]\nkernel_free_min = 4097\n"
		  "[rule dimms]\nmatch_type = dimm\nmatch_node = 3\n"
		  "zone = movable\n"
		  "[rule v]\nmatch_device = virtio?\nzone = auto\n",
		  &c);
	text = print_config(&c);
	assert_non_null(strstr(text, "\nkernel_reserve = 1536M\n"
				     "balloon_without_compaction = kernel\n"));
	assert_non_null(strstr(text, "\n[guard]\nkernel_free_min = 4097\n"
				     "\n[rule dimms]\nmatch_type = dimm\n"
				     "match_node = 3\nzone = movable\n"
				     "\n[rule v]\nmatch_device = virtio?\n"
				     "zone = auto\n"));
	mh_config_defaults(&d);
	assert_int_equal(
		mh_config_parse_string(text, "printed", &d, err, sizeof(err)),
		0);
	assert_memory_equal(&c, &d, sizeof(c));
	free(text);
}

/* Every key is one row of config.c's table: a key of one of the kernel's
 * sections given in another is named as misplaced, whichever section it
 * belongs in; every bad value names what is allowed. */
static void test_key_table_messages(void **state)
{
	(void)state;
	expect_error("[kernel]\nkernel_reserve = 1G\n",
		     "t.conf:2: [kernel] key 'kernel_reserve': unknown key in "
		     "this section; it belongs in [policy]");
	expect_error("[control]\nkernel_free_min = 1G\n",
		     "t.conf:2: [control] key 'kernel_free_min': unknown key "
		     "in this section; it belongs in [guard]");
	expect_error("[policy]\nmatch_type = dimm\n",
		     "t.conf:2: [policy] key 'match_type': unknown key in "
		     "this section; it belongs in [rule NAME]");
	expect_error("[rule a]\nmode = online\n",
		     "t.conf:2: [rule a] key 'mode': unknown key; allowed: "
		     "match_type, match_device, match_node, zone");
	expect_error("[kernel]\nauto_online_blocks = online\n",
		     "t.conf:2: [kernel] key 'auto_online_blocks': 'online': "
		     "unknown setting; allowed: offline (default), leave");
	expect_error("[kernel]\ncross_check = 2\n",
		     "t.conf:2: [kernel] key 'cross_check': '2' is not a "
		     "boolean; allowed: true/false");
	expect_error("[rule a]\nmatch_node = 1024\nzone = auto\n",
		     "t.conf:2: [rule a] key 'match_node': '1024' is out of "
		     "range; allowed: a node number 0..1023");
	expect_error("[rule a]\nmatch_device = a b\nzone = auto\n",
		     "t.conf:2: [rule a] key 'match_device': 'a b' contains a "
		     "blank or control character; allowed: a device name as "
		     "memhotctl status shows it, shell-style globs allowed, at "
		     "most 63 characters");
	expect_error("[metrics]\ntextfile = /var/lib/\n",
		     "t.conf:2: [metrics] key 'textfile': '/var/lib/' names a "
		     "directory, not a file; allowed: an absolute file path");
	expect_error("[policy]\nkernel_reserve = 1X\n",
		     "t.conf:2: [policy] key 'kernel_reserve': '1X' has junk "
		     "after the number; allowed: a size in bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_and_comments),
		cmocka_unit_test(test_inline_comments),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_ratio),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_group_errors),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_line_numbers_count_everything),
		cmocka_unit_test_setup_teardown(test_load_missing, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_load_file_and_dropins,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_load_error_in_main,
						tree_setup, tree_teardown),
		cmocka_unit_test(test_print_roundtrip),
		cmocka_unit_test(test_repo_conf_is_defaults),
		cmocka_unit_test(test_man_page_keys),
		cmocka_unit_test(test_beyond_defaults),
		cmocka_unit_test(test_beyond_sizes),
		cmocka_unit_test(test_beyond_keys),
		cmocka_unit_test(test_rules_parse),
		cmocka_unit_test(test_rules_too_many),
		cmocka_unit_test_setup_teardown(test_rules_dropins, tree_setup,
						tree_teardown),
		cmocka_unit_test(test_beyond_print_roundtrip),
		cmocka_unit_test(test_key_table_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
