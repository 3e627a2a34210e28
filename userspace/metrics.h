/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The Prometheus text of GET /metrics (http.c routes the request here).
 * Counters are summed from the per-CPU maps at scrape time; the rate-table
 * occupancy, which only a walk of the table can tell, is counted by a
 * background census at a low duty cycle, so a scrape costs the same
 * whatever --rate-table-size is (docs/metrics.md says how fresh it is).
 */
#ifndef NTPD_METRICS_H
#define NTPD_METRICS_H

#include "agent.h"
#include "loader.h"
#include "mgmt_api.h"
#include "options.h"
#include "socket_server.h"
#include "watchdog.h"

/* The HTTP side's own counters (http.c adds, relaxed atomics). */
struct http_counters {
	__u64 deadline_cut;	/* connections shut at the whole-request deadline */
	__u64 host_refused;	/* 421: Host named neither us nor an --http-host */
	__u64 writes_refused;	/* 403: a change sent to the read-only listener */
};

struct metrics_sources {
	const struct ntpd_attachment *att;
	int n_att;
	const struct socket_server *sockets;
	struct agent *agent;
	const struct ntpd_ref_buffer *served;	/* the state being served */
	struct mgmt_api *mgmt;			/* /upstreams /ratelimit /acl */
	const struct watchdog *watchdog;	/* thread health; may be NULL */
	const struct http_counters *http;	/* set by http.c; may be NULL */
};

/* Entries per batch lookup, and the rest after each: a full 16M-entry table
 * is 16,384 batches, about 6 s of system time spread over some 90 s. */
#define METRICS_CENSUS_BATCH	1024
#define METRICS_CENSUS_PAUSE_MS	5
/* Rest between passes: the count a scrape shows is at most this much plus
 * one pass old (xdp_ntpd_rate_table_count_age_seconds says exactly). */
#define METRICS_CENSUS_INTERVAL_S 5

struct metrics;

/* Start the rate-table census.  0 or -errno. */
int metrics_open(struct metrics **out, const struct metrics_sources *src);
void metrics_close(struct metrics *m);

/* The exposition text, malloc'd, its length in *len; NULL on failure. */
char *metrics_render(struct metrics *m, size_t *len);

/*
 * Count the entries of a hash map (the rate table) in batches of
 * METRICS_CENSUS_BATCH, calling pause_fn(arg) between batches when it is
 * non-NULL; it returns true to abandon the count.  0, -ECANCELED or -errno.
 */
int metrics_count_map(int fd, __u32 *entries, __u32 *capacity,
		      bool (*pause_fn)(void *arg), void *arg);

#endif /* NTPD_METRICS_H */
