/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * chrony's `pool NAME`: every address the name resolves to is an upstream
 * of its own (with the pool line's options), where `server NAME` is one
 * upstream at one address.  Names resolve through getaddrinfo, so
 * /etc/hosts and nsswitch apply as for any other program.
 */
#ifndef NTPD_POOL_H
#define NTPD_POOL_H

#include "endpoint.h"

/*
 * Append to list[*n] (room for max) an endpoint per distinct address
 * proto->host resolves to, at most maxsources, each with proto's port and
 * options.  A name that does not resolve now is appended as itself, once:
 * the agent looks names up again while it polls.  0, or -ENOSPC when the
 * list is full before the first address (nothing appended).
 */
int pool_expand(const struct ntpd_endpoint *proto, int maxsources, struct ntpd_endpoint *list,
		int *n, int max);

#endif /* NTPD_POOL_H */
