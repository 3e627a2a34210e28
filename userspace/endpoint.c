// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "endpoint.h"
#include "number.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

bool endpoint_text_has_port(const char *text)
{
	const char *p;

	if (text[0] == '[')
		return (p = strchr(text, ']')) && p[1] == ':';
	return (p = strchr(text, ':')) && !strchr(p + 1, ':');
}

static void resolve_literal(struct ntpd_endpoint *ep)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&ep->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ep->addr;

	if (inet_pton(AF_INET, ep->host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(ep->port);
		ep->resolved = true;
	} else if (inet_pton(AF_INET6, ep->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(ep->port);
		ep->resolved = true;
	}
}

int endpoint_parse(const char *text, __u16 default_port, struct ntpd_endpoint *ep)
{
	char buf[sizeof(ep->host) + 8];
	const char *host = buf, *port = NULL;
	long v;
	char *p;

	memset(ep, 0, sizeof(*ep));
	if (strlen(text) >= sizeof(ep->host) || !*text)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", text);
	if (buf[0] == '[') {			/* [v6]:port or [v6] */
		p = strchr(buf, ']');
		if (!p || (p[1] && p[1] != ':'))
			return -EINVAL;
		*p = '\0';
		host = buf + 1;
		port = p[1] ? p + 2 : NULL;
	} else if ((p = strchr(buf, ':')) && !strchr(p + 1, ':')) {
		*p = '\0';			/* host:port; a bare v6 has several */
		port = p + 1;
	}
	ep->port = default_port;
	if (port) {
		if (number_parse_long(port, 1, 65535, &v))
			return -EINVAL;
		ep->port = (__u16)v;
	}
	if (!*host)
		return -EINVAL;
	memcpy(ep->host, host, strlen(host) + 1);
	resolve_literal(ep);
	return 0;
}

int endpoint_format(const struct ntpd_endpoint *ep, char *buf, size_t len)
{
	int n = snprintf(buf, len, strchr(ep->host, ':') ? "[%s]:%u" : "%s:%u", ep->host,
			 ep->port);

	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return n;
}
