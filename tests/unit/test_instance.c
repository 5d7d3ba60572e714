// SPDX-License-Identifier: MIT
/* The single-instance guard (instance.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "memhotd/instance.h"

static char *make_root(void)
{
	char *t = strdup("/tmp/memhotd-instance-XXXXXX");

	assert_non_null(t);
	assert_non_null(mkdtemp(t));
	return t;
}

static void remove_root(char *root)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/run/memhotd/lock", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/run/memhotd", root);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/run", root);
	rmdir(p);
	assert_int_equal(rmdir(root), 0);
	free(root);
}

static void test_second_is_refused(void **state)
{
	char *root = make_root();
	char path[PATH_MAX], path2[PATH_MAX], want[PATH_MAX + 16];
	int fd, fd2;
	pid_t holder;
	struct stat st;

	(void)state;
	assert_int_equal(
		mh_instance_lock(root, &fd, &holder, path, sizeof(path)), 0);
	assert_true(fd >= 0);
	snprintf(want, sizeof(want), "%s/run/memhotd/lock", root);
	assert_string_equal(path, want);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	/* Another open file description, as another process would have. */
	assert_int_equal(
		mh_instance_lock(root, &fd2, &holder, path2, sizeof(path2)),
		-EBUSY);
	assert_int_equal(fd2, -1);
	assert_int_equal(holder, getpid());

	/* Released on close (and so on exit or crash): no stale lock. */
	close(fd);
	assert_int_equal(
		mh_instance_lock(root, &fd2, &holder, path2, sizeof(path2)), 0);
	close(fd2);
	remove_root(root);
}

static void test_held_by_child(void **state)
{
	char *root = make_root();
	char path[PATH_MAX];
	int fd, p[2];
	pid_t holder, child;
	char c;

	(void)state;
	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(p[0]);
		if (mh_instance_lock(root, &fd, &holder, path, sizeof(path)))
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(
		mh_instance_lock(root, &fd, &holder, path, sizeof(path)),
		-EBUSY);
	assert_int_equal(holder, child);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	close(p[0]);
	/* The killed holder's lock is gone with it. */
	assert_int_equal(
		mh_instance_lock(root, &fd, &holder, path, sizeof(path)), 0);
	close(fd);
	remove_root(root);
}

static void test_root_slashes_and_errors(void **state)
{
	char *root = make_root();
	char with_slash[PATH_MAX], path[PATH_MAX], want[PATH_MAX + 16];
	char longroot[PATH_MAX + 8];
	int fd;
	pid_t holder;

	(void)state;
	snprintf(with_slash, sizeof(with_slash), "%s//", root);
	assert_int_equal(
		mh_instance_lock(with_slash, &fd, &holder, path, sizeof(path)),
		0);
	snprintf(want, sizeof(want), "%s/run/memhotd/lock", root);
	assert_string_equal(path, want);
	close(fd);

	memset(longroot, 'a', sizeof(longroot) - 1);
	longroot[0] = '/';
	longroot[sizeof(longroot) - 1] = '\0';
	assert_int_equal(
		mh_instance_lock(longroot, &fd, &holder, path, sizeof(path)),
		-ENAMETOOLONG);
	assert_int_equal(fd, -1);
	assert_int_equal(mh_instance_lock("/nonexistent-memhotd-root", &fd,
					  &holder, path, sizeof(path)),
			 -ENOENT);
	remove_root(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_second_is_refused),
		cmocka_unit_test(test_held_by_child),
		cmocka_unit_test(test_root_slashes_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
