/* SPDX-License-Identifier: MIT */
/*
 * Golden files (tests/golden/): whole outputs compared with what a test
 * produces.  UPDATE_GOLDEN=1 in the environment rewrites them instead;
 * review the diff (git diff tests/golden) before committing.  The
 * directory is $MEMHOTD_GOLDEN, default tests/golden (tests run from the
 * top of the tree).  Static inline helpers only.
 */
#ifndef MEMHOTD_TESTS_GOLDEN_H
#define MEMHOTD_TESTS_GOLDEN_H

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *golden_dir(void)
{
	const char *d = getenv("MEMHOTD_GOLDEN");

	return d && *d ? d : "tests/golden";
}

static inline bool golden_update(void)
{
	const char *u = getenv("UPDATE_GOLDEN");

	return u && *u && strcmp(u, "0") != 0;
}

static inline void golden_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", golden_dir(), name);
}

/* The whole file, NUL-terminated (malloc'd), or NULL. */
static inline char *golden_read(const char *name)
{
	char path[PATH_MAX];
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f, *m;
	char chunk[4096];

	golden_path(name, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	if (!m) {
		fclose(f);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	return buf;
}

static inline int golden_write(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;
	int r = 0;

	golden_path(name, path, sizeof(path));
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fputs(text, f) == EOF)
		r = -EIO;
	if (fclose(f) != 0 && !r)
		r = -errno;
	return r;
}

/*
 * Compares text with golden file name (or rewrites it).  On a difference,
 * prints the first differing line of each and returns false.
 */
static inline bool golden_text(const char *name, const char *text)
{
	char *want;
	const char *a, *b;
	unsigned int line = 1;

	if (golden_update()) {
		if (golden_write(name, text) < 0) {
			fprintf(stderr, "golden: cannot write %s/%s\n",
				golden_dir(), name);
			return false;
		}
		return true;
	}
	want = golden_read(name);
	if (!want) {
		fprintf(stderr,
			"golden: %s/%s missing (UPDATE_GOLDEN=1 writes it)\n",
			golden_dir(), name);
		return false;
	}
	if (strcmp(want, text) == 0) {
		free(want);
		return true;
	}
	for (a = want, b = text; *a && *a == *b; a++, b++)
		if (*a == '\n')
			line++;
	while (a > want && a[-1] != '\n')
		a--, b--;
	fprintf(stderr,
		"golden: %s/%s differs at line %u\n  want: %.*s\n  got:  %.*s\n"
		"(UPDATE_GOLDEN=1 rewrites it; review with git diff)\n",
		golden_dir(), name, line, (int)strcspn(a, "\n"), a,
		(int)strcspn(b, "\n"), b);
	free(want);
	return false;
}

/* A reply object as its golden JSON text (pretty, stable key order as
 * built), with what differs between runs replaced: "pid", "version". */
static inline char *golden_json_text(json_object *o)
{
	json_object *d;

	if (json_object_object_get_ex(o, "daemon", &d) &&
	    json_object_is_type(d, json_type_object)) {
		json_object_object_add(d, "pid", json_object_new_int(0));
		json_object_object_add(d, "version",
				       json_object_new_string("VERSION"));
	}
	return strdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* The JSON of a reply against golden file name (or rewrites it). */
static inline bool golden_json(const char *name, json_object *o)
{
	char *text = golden_json_text(o);
	size_t n = text ? strlen(text) : 0;
	bool ok;

	char *t = text ? realloc(text, n + 2) : NULL;

	if (!t) {
		free(text);
		return false;
	}
	text = t;
	text[n] = '\n';
	text[n + 1] = '\0';
	ok = golden_text(name, text);
	free(text);
	return ok;
}

#endif
