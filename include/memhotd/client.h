/* SPDX-License-Identifier: MIT */
/*
 * The control socket's client side (memhotctl): one blocking request with
 * a timeout.  Wire format: doc/control-protocol.md.
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

#endif
