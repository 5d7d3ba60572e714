/* SPDX-License-Identifier: MIT */
/*
 * The control socket's client side (memhotctl): one blocking request with
 * a timeout, to the daemon's socket or to a one-shot memhotd.  Wire format:
 * doc/control-protocol.md.
 */
#ifndef MEMHOTD_CLIENT_H
#define MEMHOTD_CLIENT_H

#include <json-c/json.h>
#include <stddef.h>

#include "memhotd/protocol.h"

/*
 * Client: one request, blocking, timeout_ms for connect/send/receive.
 * Returns 0 and *out = the reply's parameters; 1 and *out = the error's
 * parameters with the error name in error[]; or -errno (-ENOENT or
 * -ECONNREFUSED: nobody listens, -ETIMEDOUT, -EBADMSG: a malformed reply).
 * params may be NULL ({}); it is not consumed.
 */
int mh_control_call(const char *path, const char *method, json_object *params,
		    int timeout_ms, json_object **out, char *error,
		    size_t error_len);

/*
 * The same reply from a program instead of the socket: runs argv (argv[0]
 * a path, or a name looked up in PATH), whose standard output is one
 * reply as the socket would send it (`memhotd --list-blocks`); its
 * standard error is ours.  Returns as mh_control_call; besides -ENOENT
 * (no such program) or another -errno of starting it, MH_CONTROL_EXEC_FAILED
 * when it ran but did not exit with 0 (it said why on standard error).
 * Killed when timeout_ms passes first (-ETIMEDOUT).
 */
#define MH_CONTROL_EXEC_FAILED 2
int mh_control_exec(char *const argv[], int timeout_ms, json_object **out,
		    char *error, size_t error_len);

#endif
