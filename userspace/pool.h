/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * chrony's `pool NAME`: every address the name resolves to is an upstream
 * of its own (with the pool line's options), where `server NAME` is one
 * upstream at one address.  Names resolve through getaddrinfo, so
 * /etc/hosts and nsswitch apply as for any other program.
 *
 * The watch looks a pool's name up again when every upstream it gave is
 * lost (unreachable after --max-missed polls), at most once per
 * POOL_RELOOKUP_S, and puts the new addresses in place of the lost ones.
 */
#ifndef NTPD_POOL_H
#define NTPD_POOL_H

#include "agent.h"
#include "endpoint.h"
#include "options.h"

/* The fastest a lost pool's name is asked again: a DNS server not flooded
 * by a pool whose servers all died. */
#define POOL_RELOOKUP_S	8

/*
 * Resolve pool->proto.host into pool->member (at most pool->maxsources
 * distinct addresses) and append them, with the pool's port and options,
 * to list[*n] (room for max; an address already there is not added
 * twice).  A name that does not resolve now is appended as itself, once:
 * the agent looks names up while it polls.  0, or -ENOSPC when the list
 * is full before the first address (nothing appended).
 */
int pool_expand(struct ntpd_pool *pool, struct ntpd_endpoint *list, int *n, int max);

/* How the watch reads and replaces the running upstream set (the daemon's
 * locked accessors, the API's). */
struct pool_ops {
	void *ctx;
	void (*get_upstreams)(void *ctx, struct ntpd_endpoint *eps, int *n);
	int (*set_upstreams)(void *ctx, const struct ntpd_endpoint *eps, int n);
};

struct pool_watch;

/* No pools: *out NULL, no thread.  0 or -errno. */
int pool_watch_start(struct pool_watch **out, const struct ntpd_pool *pools, int n_pools,
		     struct agent *agent, const struct pool_ops *ops);
void pool_watch_stop(struct pool_watch *w);

/* One pass at monotonic `now` (s): the thread's body, for tests. */
void pool_watch_check(struct pool_watch *w, double now);

#endif /* NTPD_POOL_H */
