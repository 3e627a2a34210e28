/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef NTPD_STATS_H
#define NTPD_STATS_H

#include <stdio.h>

#include "ntpd_shared.h"

/* "answered" -> "ipv4" etc.: the labels of counter `idx`. */
const char *stats_counter_outcome(int idx);
const char *stats_counter_reason(int idx);

/* sum += c: packets, processing-time buckets and their sum. */
void stats_add(struct ntpd_counters *sum, const struct ntpd_counters *c);

/* One line per non-zero counter: "<path> <outcome> <reason> <count>". */
void stats_print(FILE *out, const char *path, const struct ntpd_counters *c);

#endif /* NTPD_STATS_H */
