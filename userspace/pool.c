// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "pool.h"

#include "kclock.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* proto with host `addr`, through the one endpoint parser; 0 or -EINVAL */
static int endpoint_at(const struct ntpd_endpoint *proto, const char *addr,
		       struct ntpd_endpoint *out)
{
	char text[ENDPOINT_TEXT_MAX];
	struct ntpd_endpoint ep = *proto;
	int n;

	n = snprintf(ep.host, sizeof(ep.host), "%s", addr);
	if (n < 0 || (size_t)n >= sizeof(ep.host) || endpoint_format(&ep, text, sizeof(text)) < 0 ||
	    endpoint_parse(text, proto->port, out))
		return -EINVAL;
	out->has_min_poll = proto->has_min_poll;
	out->has_max_poll = proto->has_max_poll;
	out->min_poll = proto->min_poll;
	out->max_poll = proto->max_poll;
	out->key_id = proto->key_id;
	return 0;
}

static int find(const struct ntpd_endpoint *list, int n, const char *host, __u16 port)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i].host, host) && list[i].port == port)
			return i;
	return -1;
}

/* The distinct addresses `host` has now, at most max; how many. */
static int resolve(const char *host, char (*addrs)[INET6_ADDRSTRLEN], int max)
{
	const struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL, *ai;
	char text[INET6_ADDRSTRLEN];
	int n = 0, i;

	if (getaddrinfo(host, NULL, &hints, &res))
		return 0;
	for (ai = res; ai && n < max; ai = ai->ai_next) {
		const void *a = ai->ai_family == AF_INET ?
			(const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr :
			(const void *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    !inet_ntop(ai->ai_family, a, text, sizeof(text)))
			continue;
		for (i = 0; i < n && strcmp(addrs[i], text); i++)
			;
		if (i == n)
			memcpy(addrs[n++], text, sizeof(text));
	}
	freeaddrinfo(res);
	return n;
}

/* Append pool's members to list; how many were appended, or -ENOSPC. */
static int append_members(const struct ntpd_pool *pool, struct ntpd_endpoint *list, int *n,
			  int max)
{
	struct ntpd_endpoint ep;
	int i, added = 0;

	for (i = 0; i < pool->n_members; i++) {
		if (endpoint_at(&pool->proto, pool->member[i], &ep) ||
		    find(list, *n, ep.host, ep.port) >= 0)
			continue;
		if (*n == max)
			return added ? added : -ENOSPC;
		list[(*n)++] = ep;
		added++;
	}
	return added;
}

int pool_expand(struct ntpd_pool *pool, struct ntpd_endpoint *list, int *n, int max)
{
	int ret;

	pool->n_members = pool->proto.resolved ? 0 :
			  resolve(pool->proto.host, pool->member, pool->maxsources);
	if (!pool->n_members) {
		/* a literal, or a name not resolving now: the agent resolves it */
		if (find(list, *n, pool->proto.host, pool->proto.port) >= 0)
			return 0;
		if (*n == max)
			return -ENOSPC;
		list[(*n)++] = pool->proto;
		return 0;
	}
	ret = append_members(pool, list, n, max);
	return ret < 0 ? ret : 0;
}

/* ---- the watch ---------------------------------------------------------- */

struct pool_watch {
	struct ntpd_pool pools[NTPD_MAX_POOLS];
	double last_lookup[NTPD_MAX_POOLS];	/* monotonic s; 0 never */
	int n_pools;
	struct agent *agent;
	struct pool_ops ops;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* with lock: stop */
	bool stopping;
};

/* Whether the agent calls the source named `name` reachable; a source it
 * no longer lists is not. */
static bool source_alive(struct agent *agent, const char *name)
{
	struct agent_source_status s;
	int i;

	for (i = 0; agent_source_status(agent, i, &s) == 0; i++)
		if (!strcmp(s.name, name))
			return s.state != SOURCE_UNREACHABLE;
	return false;
}

/* Members of pool in the running list: how many, and whether all are lost. */
static int members_running(struct pool_watch *w, const struct ntpd_pool *pool,
			   const struct ntpd_endpoint *eps, int n, bool *all_lost)
{
	char name[ENDPOINT_TEXT_MAX];
	int i, running = 0;

	*all_lost = true;
	for (i = 0; i < pool->n_members; i++) {
		int j = find(eps, n, pool->member[i], pool->proto.port);

		if (j < 0)
			continue;
		running++;
		endpoint_format(&eps[j], name, sizeof(name));
		if (source_alive(w->agent, name))
			*all_lost = false;
	}
	return running;
}

/* Every member lost: the running list without them, with the new ones. */
static void relookup(struct pool_watch *w, struct ntpd_pool *pool)
{
	struct ntpd_endpoint eps[NTPD_MAX_UPSTREAMS], next[NTPD_MAX_UPSTREAMS];
	struct ntpd_pool fresh = *pool;
	int n = 0, n_next = 0, i, err;

	fresh.n_members = resolve(pool->proto.host, fresh.member, pool->maxsources);
	if (!fresh.n_members) {
		pr_warn("pool %s: every source lost, and the name does not resolve now\n",
			pool->proto.host);
		return;
	}
	w->ops.get_upstreams(w->ops.ctx, eps, &n);
	for (i = 0; i < n; i++) {
		int m;

		for (m = 0; m < pool->n_members; m++)
			if (!strcmp(eps[i].host, pool->member[m]) && eps[i].port == pool->proto.port)
				break;
		if (m == pool->n_members)
			next[n_next++] = eps[i];
	}
	if (append_members(&fresh, next, &n_next, NTPD_MAX_UPSTREAMS) <= 0) {
		pr_warn("pool %s: looked up again, no new address\n", pool->proto.host);
		return;
	}
	err = w->ops.set_upstreams(w->ops.ctx, next, n_next);
	if (err) {
		pr_warn("pool %s: the new addresses were not applied: %s\n", pool->proto.host,
			strerror(-err));
		return;
	}
	pr_info("pool %s: every source lost; looked up again, %d addresses\n", pool->proto.host,
		fresh.n_members);
	*pool = fresh;
}

void pool_watch_check(struct pool_watch *w, double now)
{
	struct ntpd_endpoint eps[NTPD_MAX_UPSTREAMS];
	bool all_lost;
	int i, n = 0;

	for (i = 0; i < w->n_pools; i++) {
		struct ntpd_pool *pool = &w->pools[i];

		if (w->last_lookup[i] && now - w->last_lookup[i] < POOL_RELOOKUP_S)
			continue;
		w->ops.get_upstreams(w->ops.ctx, eps, &n);
		/* none running: the API replaced them, which is not a loss */
		if (!members_running(w, pool, eps, n, &all_lost) || !all_lost)
			continue;
		w->last_lookup[i] = now;
		relookup(w, pool);
	}
}

static double mono_s(void)
{
	__u64 ns = 0;

	kclock_now_ns(CLOCK_MONOTONIC, &ns);
	return (double)ns / 1e9;
}

static void *watch_thread(void *arg)
{
	struct pool_watch *w = arg;
	struct timespec deadline;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += 1;
		pthread_cond_timedwait(&w->cond, &w->lock, &deadline);
		if (w->stopping)
			break;
		/* lookups take seconds at worst: not under the lock stop waits on */
		pthread_mutex_unlock(&w->lock);
		pool_watch_check(w, mono_s());
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int pool_watch_start(struct pool_watch **out, const struct ntpd_pool *pools, int n_pools,
		     struct agent *agent, const struct pool_ops *ops)
{
	pthread_condattr_t attr;
	struct pool_watch *w;
	int err;

	*out = NULL;
	if (!n_pools)
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	memcpy(w->pools, pools, sizeof(pools[0]) * (size_t)n_pools);
	w->n_pools = n_pools;
	w->agent = agent;
	w->ops = *ops;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	err = -pthread_create(&w->thread, NULL, watch_thread, w);
	if (err) {
		pr_warn("pool watch: cannot start its thread: %s\n", strerror(-err));
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return err;
	}
	*out = w;
	return 0;
}

void pool_watch_stop(struct pool_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
