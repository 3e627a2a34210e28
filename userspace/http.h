/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The HTTP side: libmicrohttpd listeners, their limits, and the router that
 * sends each request to the module that answers it (metrics.c renders
 * /metrics, status.c the JSON views, mgmt_api.c the management resources,
 * webntp.c the time on / and /.well-known/time, websocket.c the same over
 * WebSocket, dashboard.c /dashboard).
 * We write no HTTP parser.
 *
 * Hardening (docs/security.md, "HTTP endpoint"): epoll and a thread pool
 * sized to the cores (no select(), so fds above 1024 are fine); a per-IP and
 * a global connection limit sized to the fd table; an inactivity timeout and
 * a whole-request deadline, enforced by a sweeper thread, so trickling
 * clients cannot hold the slots; the Host header checked against the
 * listen address and --http-host names (DNS rebinding); with --api-listen
 * the write API on its own listener and the metrics listener read-only.
 */
#ifndef NTPD_HTTP_H
#define NTPD_HTTP_H

#include <stdbool.h>
#include <sys/socket.h>

#include "metrics.h"
#include "options.h"

/* Connections from one address at a time: a scraper needs one, an operator
 * with curl a few; more is someone holding slots. */
#define HTTP_PER_IP_LIMIT	8
/* Upper bound on connections per listener; fewer when the fd table is small. */
#define HTTP_MAX_CONNECTIONS	1024
/* No byte for this long: MHD closes the connection. */
#define HTTP_IDLE_TIMEOUT_S	10
/*
 * A request (headers, body and answer) must be done this long after the
 * connection opened or its previous request ended.  A trickler sending a
 * byte every few seconds never trips the idle timeout; this cuts it.  Our
 * largest exchange (a 64 KiB PUT, a /metrics answer) takes milliseconds.
 */
#define HTTP_REQUEST_DEADLINE_S	20

struct http_server;

struct http_params {
	const struct ntpd_endpoint *metrics_listen;
	/* host "" = off: the metrics listener serves the write API too */
	const struct ntpd_endpoint *api_listen;
	const char *extra_hosts;	/* --http-host: comma-separated, may be NULL */
	bool allow_cross_origin;	/* --allow-cross-origin: CORS on the time answers */
	__u64 max_state_age_ns;		/* --max-state-age: stale for webntp too; 0 default */
	struct metrics_sources src;
};

/* Start in two steps: bind the listeners (before the privilege drop: the
 * ports may be privileged), then start the census, the sweeper and
 * libmicrohttpd's threads, which read the network (after it).  Each 0 or
 * -errno after a message; http_stop undoes either. */
int http_open(struct http_server **out, const struct http_params *params);
int http_run(struct http_server *h, const struct metrics_sources *src);
void http_stop(struct http_server *h);

/*
 * Whether a request's Host header names this listener: the local address it
 * arrived on (IPv6 in brackets), "localhost" when that address is loopback,
 * or one of the comma-separated extra_names; any of them with or without
 * ":port", which for addresses and localhost must be the listen port.
 */
bool http_host_allowed(const char *host, const struct sockaddr_storage *local, __u16 port,
		       const char *extra_names);

#endif /* NTPD_HTTP_H */
