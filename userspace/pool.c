// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "pool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

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
	return 0;
}

static int append(const struct ntpd_endpoint *ep, struct ntpd_endpoint *list, int *n, int max)
{
	int i;

	for (i = 0; i < *n; i++)
		if (!strcmp(list[i].host, ep->host) && list[i].port == ep->port)
			return 0;	/* a pool listing an address twice, or a server line too */
	if (*n == max)
		return -ENOSPC;
	list[(*n)++] = *ep;
	return 1;
}

int pool_expand(const struct ntpd_endpoint *proto, int maxsources, struct ntpd_endpoint *list,
		int *n, int max)
{
	const struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL, *ai;
	struct ntpd_endpoint ep;
	char addr[INET6_ADDRSTRLEN];
	int added = 0, ret = 0;

	if (proto->resolved || getaddrinfo(proto->host, NULL, &hints, &res) || !res) {
		ret = append(proto, list, n, max);
		return ret < 0 ? ret : 0;
	}
	for (ai = res; ai && added < maxsources; ai = ai->ai_next) {
		const void *a = ai->ai_family == AF_INET ?
			(const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr :
			(const void *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    !inet_ntop(ai->ai_family, a, addr, sizeof(addr)) || endpoint_at(proto, addr, &ep))
			continue;
		ret = append(&ep, list, n, max);
		if (ret < 0)
			break;
		added += ret;
	}
	freeaddrinfo(res);
	return added || ret >= 0 ? 0 : -ENOSPC;
}
