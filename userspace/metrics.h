/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Prometheus text endpoint (GET /metrics) served by libmicrohttpd, the
 * embeddable HTTP server Debian keeps current: we write no HTTP parser.
 * Counters are summed from the per-CPU maps at scrape time.
 */
#ifndef NTPD_METRICS_H
#define NTPD_METRICS_H

#include "agent.h"
#include "loader.h"
#include "mgmt_api.h"
#include "options.h"
#include "socket_server.h"
#include "watchdog.h"

struct metrics_server;

struct metrics_sources {
	const struct ntpd_attachment *att;
	int n_att;
	const struct socket_server *sockets;
	struct agent *agent;
	const struct ntpd_ref_buffer *served;	/* the state being served */
	struct mgmt_api *mgmt;			/* /upstreams /ratelimit /acl */
	const struct watchdog *watchdog;	/* thread health; may be NULL */
};

int metrics_start(struct metrics_server **out, const struct ntpd_endpoint *listen,
		  const struct metrics_sources *src);
/* The two halves of metrics_start: bind the endpoint (the port may be
 * privileged) before the privilege drop, start the HTTP thread after it. */
int metrics_open(struct metrics_server **out, const struct ntpd_endpoint *listen);
int metrics_run(struct metrics_server *m, const struct metrics_sources *src);
void metrics_stop(struct metrics_server *m);

#endif /* NTPD_METRICS_H */
