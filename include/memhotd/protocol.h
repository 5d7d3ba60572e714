/* SPDX-License-Identifier: MIT */
/*
 * The control protocol's wire constants and the socket's place, shared by
 * the server (control.h) and the client (client.h).  Wire format:
 * doc/control-protocol.md.
 */
#ifndef MEMHOTD_PROTOCOL_H
#define MEMHOTD_PROTOCOL_H

#include <stddef.h>

#include "memhotd/sysfs.h"

/* The protocol version in every reply ("version"); bumped only when a key
 * changes meaning or disappears.  New keys do not bump it. */
#define MH_CONTROL_PROTOCOL_VERSION 1
#define MH_CONTROL_INTERFACE "io.memhotd"

#define MH_CONTROL_MAX_REQUEST (64u * 1024)	   /* bytes, incl. the NUL */
#define MH_CONTROL_MAX_REPLY (256u * 1024 * 1024)  /* client side cap */
#define MH_CONTROL_IDLE_USEC (30ULL * 1000 * 1000) /* per client */
/* Absolute, from accept: no trickle of bytes extends a connection. */
#define MH_CONTROL_DEADLINE_USEC (60ULL * 1000 * 1000)
#define MH_CONTROL_MAX_CLIENTS 64 /* root evicts a non-root one past it */
/* Unsent reply bytes over all clients (plus the reply just made). */
#define MH_CONTROL_MAX_OUTPUT (16u * 1024 * 1024)

/* Error names (the "error" member of a reply). */
#define MH_CONTROL_ERR_INVALID_REQUEST "io.memhotd.InvalidRequest"
#define MH_CONTROL_ERR_REQUEST_TOO_LARGE "io.memhotd.RequestTooLarge"
#define MH_CONTROL_ERR_METHOD_NOT_FOUND "io.memhotd.MethodNotFound"
#define MH_CONTROL_ERR_INVALID_PARAMETER "io.memhotd.InvalidParameter"
#define MH_CONTROL_ERR_UNSUPPORTED_VERSION "io.memhotd.UnsupportedVersion"
#define MH_CONTROL_ERR_PERMISSION_DENIED "io.memhotd.PermissionDenied"
#define MH_CONTROL_ERR_NO_SUCH_BLOCK "io.memhotd.NoSuchBlock"
#define MH_CONTROL_ERR_RELOAD_FAILED "io.memhotd.ReloadFailed"
#define MH_CONTROL_ERR_INTERNAL "io.memhotd.InternalError"

/* "<root>/run/memhotd/control" into buf; -ENAMETOOLONG if it does not fit
 * a sockaddr_un. */
int mh_control_socket_path(const struct mh_root *r, char *buf, size_t len);

#endif
