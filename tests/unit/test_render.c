/* SPDX-License-Identifier: MIT */
/*
 * memhotctl's text renderers (src/ctl/render.c) against golden files: each
 * case renders a reply fixture tests/golden/<input>.json (written by
 * test_report.c from the daemon's own builders) with some options and
 * compares the whole output with tests/golden/<output>.txt, the way
 * util-linux's lsmem tests compare whole outputs over sysfs dumps.
 * UPDATE_GOLDEN=1 rewrites the .txt files.  Links only the renderers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memhotd/render.h"

#include "golden.h"

enum kind { STATUS, BLOCKS, EXPLAIN, PLAN };

struct golden_case {
	const char *input; /* tests/golden/<input> */
	enum kind kind;
	struct mh_render_opts opts;
	const char *output; /* tests/golden/<output> */
	int ret;	    /* the renderer's return value */
};

static const struct golden_case cases[] = {
	{"status-daemon.json", STATUS, {0}, "status-daemon.txt", 0},
	{"status-daemon.json",
	 STATUS,
	 {.bytes = true},
	 "status-daemon-bytes.txt",
	 0},
	{"status-beyond.json", STATUS, {0}, "status-beyond.txt", 0},
	{"status-rule.json", STATUS, {0}, "status-rule.txt", 0},
	{"blocks-daemon.json", BLOCKS, {0}, "blocks-daemon.txt", 0},
	{"blocks-daemon.json",
	 BLOCKS,
	 {.all = true},
	 "blocks-daemon-all.txt",
	 0},
	{"blocks-daemon.json",
	 BLOCKS,
	 {.raw = true,
	  .noheadings = true,
	  .bytes = true,
	  .columns = "BLOCK,SIZE,STATE,REASON,BY",
	  .all = true},
	 "blocks-daemon-raw.txt",
	 0},
	{"blocks-daemon.json",
	 BLOCKS,
	 {.columns = "+REASON,BY"},
	 "blocks-daemon-plus.txt",
	 0},
	{"blocks-local.json", BLOCKS, {0}, "blocks-local.txt", 0},
	{"blocks-local.json",
	 BLOCKS,
	 {.columns = "RANGE,NOPE"},
	 "blocks-bad-column.txt",
	 -22},
	{"explain-computed.json", EXPLAIN, {0}, "explain-computed.txt", 0},
	{"explain-beyond.json", EXPLAIN, {0}, "explain-beyond.txt", 0},
	{"explain-rule.json", EXPLAIN, {0}, "explain-rule.txt", 0},
	{"plan-small.json", PLAN, {0}, "plan-small.txt", 0},
	{"plan-ratio.json", PLAN, {0}, "plan-ratio.txt", 0},
	{"plan-add.json", PLAN, {0}, "plan-add.txt", 0},
};

/* Renders c's fixture into one text: stdout, then "-- stderr --" and
 * stderr if anything went there. */
static char *render_case(const struct golden_case *c)
{
	char *in = golden_read(c->input), *out = NULL, *err = NULL, *all;
	size_t olen = 0, elen = 0;
	FILE *fo, *fe;
	json_object *o;
	int r = -1;

	if (!in)
		fail_msg("%s/%s missing (run test_report with UPDATE_GOLDEN=1)",
			 golden_dir(), c->input);
	o = json_tokener_parse(in);
	free(in);
	assert_non_null(o);
	fo = open_memstream(&out, &olen);
	fe = open_memstream(&err, &elen);
	assert_non_null(fo);
	assert_non_null(fe);
	switch (c->kind) {
	case STATUS:
		r = mh_render_status(fo, o, &c->opts);
		break;
	case BLOCKS:
		r = mh_render_blocks(fo, fe, o, &c->opts);
		break;
	case EXPLAIN:
		r = mh_render_explain(fo, o, &c->opts);
		break;
	case PLAN:
		r = mh_render_plan(fo, o, &c->opts);
		break;
	}
	fclose(fo);
	fclose(fe);
	json_object_put(o);
	assert_int_equal(r, c->ret);
	all = malloc(olen + elen + 16);
	assert_non_null(all);
	snprintf(all, olen + elen + 16, "%s%s%s", out,
		 elen ? "-- stderr --\n" : "", err);
	free(out);
	free(err);
	return all;
}

static void test_golden(void **state)
{
	unsigned int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = render_case(&cases[i]);

		if (!golden_text(cases[i].output, text))
			bad++;
		free(text);
	}
	assert_int_equal(bad, 0);
}

/* explain counts in the daemon's pages: a block's bytes over its pages,
 * whatever this system's page size (64 KiB pages here). */
static void test_explain_page_size(void **state)
{
	char *in = golden_read("explain-computed.json"), *out = NULL;
	json_object *o, *dec;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_non_null(in);
	assert_non_null(f);
	o = json_tokener_parse(in);
	free(in);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "decision", &dec));
	assert_true(json_object_object_get_ex(dec, "global", &dec));
	json_object_object_add(dec, "nr_pages", json_object_new_int(2048));
	assert_int_equal(mh_render_explain(f, o, &(struct mh_render_opts){0}),
			 0);
	fclose(f);
	assert_non_null(strstr(out, "all numbers in pages of 65536 bytes"));
	free(out);
	json_object_put(o);
}

static void test_columns_help(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	mh_render_blocks_columns_help(f);
	fclose(f);
	assert_true(golden_text("blocks-columns-help.txt", text));
	free(text);
}

/*
 * Allocation failures: this program's vasprintf takes the place of libc's
 * for render.c's cells, counts its calls and fails the oom_fail_at'th
 * (0: never).
 */
static unsigned int oom_fail_at, oom_calls;

int vasprintf(char **strp, const char *fmt, va_list ap)
{
	va_list aq;
	char *s;
	int n;

	*strp = NULL;
	if (++oom_calls == oom_fail_at)
		return -1;
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		return -1;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	*strp = s;
	return n;
}

/* Each cell of each golden case failing in turn: -ENOMEM (memhotctl then
 * says "Cannot allocate memory" and exits 1), no crash, no leak. */
static void test_out_of_memory(void **state)
{
	unsigned int tried = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct golden_case c = cases[i];
		unsigned int total;

		if (c.ret != 0)
			continue;
		oom_calls = 0;
		oom_fail_at = 0;
		free(render_case(&c));
		total = oom_calls;
		c.ret = -ENOMEM;
		for (unsigned int k = 1; k <= total; k++) {
			oom_calls = 0;
			oom_fail_at = k;
			free(render_case(&c));
			tried++;
		}
		oom_fail_at = 0;
	}
	assert_true(tried > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_explain_page_size),
		cmocka_unit_test(test_columns_help),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
