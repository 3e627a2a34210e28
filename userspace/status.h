/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * JSON views for the HTTP endpoint, built with jansson (Debian's libjansson):
 * /status shaped like chronyc's tracking, sources and serverstats, /version,
 * and /time for clients that cannot speak NTP.
 */
#ifndef NTPD_STATUS_H
#define NTPD_STATUS_H

#include "metrics.h"

/* Each returns a malloc'ed, NUL-terminated JSON document, or NULL. */
char *status_json(const struct metrics_sources *src);
char *status_version_json(void);
char *status_time_json(const struct metrics_sources *src);

/* The served time now, as "unix seconds with microseconds" (X-HTTPSTIME).
 * Returns false when no state can be read. */
bool status_served_time(const struct metrics_sources *src, char *buf, size_t len);

#endif /* NTPD_STATUS_H */
