/* SPDX-License-Identifier: MIT */
/*
 * One memhotd per system (per --root tree): two daemons would race on
 * every block.  The guard is an flock(2) on <root>/run/memhotd/lock, held
 * for the daemon's lifetime and released by the kernel when it exits, so
 * a crashed daemon never leaves a stale lock behind.
 */
#ifndef MEMHOTD_INSTANCE_H
#define MEMHOTD_INSTANCE_H

#include <sys/types.h>

#define MH_INSTANCE_LOCK "run/memhotd/lock"
/* Exit status when another memhotd holds the lock (EX_TEMPFAIL). */
#define MH_EXIT_RUNNING 75

/*
 * Takes the lock under root ("/" or a --root DIR), creating run/memhotd
 * if needed, and writes our pid into it.  0 and *fd (keep it open, it is
 * O_CLOEXEC); -EBUSY when another process holds it, *holder then its pid
 * (0 if unknown); or another -errno.  path gets the lock's full path.
 */
int mh_instance_lock(const char *root, int *fd, pid_t *holder, char *path,
		     size_t path_len);

#endif
