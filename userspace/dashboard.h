/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The live dashboard, read-only and without a token like /metrics:
 *
 *   /dashboard               the page (dashboard.html, built into the binary)
 *   /dashboard/chart.min.js  Chart.js as Debian's libjs-chart.js installs it,
 *                            read once at start (before a chroot), never a CDN
 *   /dashboard/data.json     what the page draws, from the same counters,
 *                            histograms and source states /metrics reads
 *
 * The page asks for data.json once a second, the next request only after
 * the last one answered, so an open dashboard costs one small JSON a second.
 */
#ifndef NTPD_DASHBOARD_H
#define NTPD_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics.h"

#define DASHBOARD_CHART_JS "/usr/share/javascript/chart.js/chart.min.js"

struct dashboard;

struct dashboard_reply {
	unsigned int status;
	const char *type;
	char *body;		/* malloc'd, or the dashboard's own when `borrowed` */
	size_t len;
	bool borrowed;		/* body lives as long as the dashboard: do not free */
	bool cacheable;		/* a static asset */
};

/* chart_js: the Chart.js file to serve.  A missing one is logged: the page
 * then says so instead of drawing.  0 or -ENOMEM. */
int dashboard_open(struct dashboard **out, const char *chart_js);
void dashboard_close(struct dashboard *d);

/* Whether url is one of the dashboard's. */
bool dashboard_owns(const char *url);

/* The answer to GET url (one dashboard_owns() accepts).  0 or -ENOMEM. */
int dashboard_serve(struct dashboard *d, const struct metrics_sources *src, const char *url,
		    struct dashboard_reply *r);

/* The data.json document, malloc'd; NULL on failure. */
char *dashboard_data_json(const struct metrics_sources *src);

#endif /* NTPD_DASHBOARD_H */
