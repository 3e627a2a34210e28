// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "stats.h"

#define NTPD_COUNTER_OUTCOME(name, outcome, reason) outcome,
#define NTPD_COUNTER_REASON(name, outcome, reason) reason,
static const char *const counter_outcome[] = { NTPD_COUNTER_LIST(NTPD_COUNTER_OUTCOME) };
static const char *const counter_reason[] = { NTPD_COUNTER_LIST(NTPD_COUNTER_REASON) };

_Static_assert(sizeof(counter_reason) / sizeof(counter_reason[0]) == NTPD_CNT_MAX,
	       "one label per counter");

const char *stats_counter_outcome(int idx)
{
	return idx >= 0 && idx < NTPD_CNT_MAX ? counter_outcome[idx] : "unknown";
}

const char *stats_counter_reason(int idx)
{
	return idx >= 0 && idx < NTPD_CNT_MAX ? counter_reason[idx] : "unknown";
}

void stats_add(struct ntpd_counters *sum, const struct ntpd_counters *c)
{
	int i;

	for (i = 0; i < NTPD_CNT_MAX; i++)
		sum->packets[i] += c->packets[i];
	for (i = 0; i < NTPD_LAT_BUCKETS; i++)
		sum->latency[i] += c->latency[i];
	sum->latency_sum_ns += c->latency_sum_ns;
}

void stats_print(FILE *out, const char *path, const struct ntpd_counters *c)
{
	int i;

	for (i = 0; i < NTPD_CNT_MAX; i++)
		if (c->packets[i])
			fprintf(out, "%s %s %s %llu\n", path, counter_outcome[i],
				counter_reason[i], (unsigned long long)c->packets[i]);
}
