// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "nts_stats.h"

#include <stdbool.h>

/* More shards than threads that count (socket workers, key-exchange
 * threads): two threads sharing one still count right, only slower. */
#define SHARDS	32

struct shard {
	_Alignas(64) uint64_t n[NTS_STAT_MAX];
};

static struct shard shards[SHARDS];
static int next_shard;
static __thread int my_shard = -1;
static int ke_serving, ke_queued;
static bool nts_seen;		/* NTS on at some point: the families are shown */

enum nts_stat_family { FAM_KE, FAM_REQ, FAM_COOKIES };

static const struct {
	enum nts_stat_family family;
	const char *outcome, *reason;
} rows[NTS_STAT_MAX] = {
#define NTS_STAT_ROW(name, fam, o, r) [NTS_STAT_##name] = { FAM_##fam, o, r },
	NTS_STATS(NTS_STAT_ROW)
#undef NTS_STAT_ROW
};

void nts_stats_add(enum nts_stat s, uint64_t n)
{
	if (my_shard < 0)
		my_shard = __atomic_fetch_add(&next_shard, 1, __ATOMIC_RELAXED) % SHARDS;
	__atomic_add_fetch(&shards[my_shard].n[s], n, __ATOMIC_RELAXED);
}

uint64_t nts_stats_get(enum nts_stat s)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < SHARDS; i++)
		sum += __atomic_load_n(&shards[i].n[s], __ATOMIC_RELAXED);
	return sum;
}

void nts_stats_set_ke_load(int serving, int queued)
{
	__atomic_store_n(&ke_serving, serving, __ATOMIC_RELAXED);
	__atomic_store_n(&ke_queued, queued, __ATOMIC_RELAXED);
	__atomic_store_n(&nts_seen, true, __ATOMIC_RELAXED);
}

static void write_family(FILE *out, enum nts_stat_family fam, const char *name,
			 const char *help)
{
	int i;

	fprintf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (i = 0; i < NTS_STAT_MAX; i++) {
		if (rows[i].family != fam)
			continue;
		if (fam == FAM_COOKIES)
			fprintf(out, "%s{via=\"%s\"} %llu\n", name, rows[i].reason,
				(unsigned long long)nts_stats_get((enum nts_stat)i));
		else
			fprintf(out, "%s{outcome=\"%s\",reason=\"%s\"} %llu\n", name, rows[i].outcome,
				rows[i].reason, (unsigned long long)nts_stats_get((enum nts_stat)i));
	}
}

void nts_stats_write(FILE *out)
{
	if (!__atomic_load_n(&nts_seen, __ATOMIC_RELAXED))
		return;
	write_family(out, FAM_KE, "xdp_ntpd_nts_key_exchanges_total",
		     "NTS-KE connections, by how each ended.");
	fprintf(out, "# HELP xdp_ntpd_nts_key_exchange_connections NTS-KE connections now "
		     "served by a thread, or waiting for one.\n"
		     "# TYPE xdp_ntpd_nts_key_exchange_connections gauge\n"
		     "xdp_ntpd_nts_key_exchange_connections{state=\"serving\"} %d\n"
		     "xdp_ntpd_nts_key_exchange_connections{state=\"queued\"} %d\n",
		__atomic_load_n(&ke_serving, __ATOMIC_RELAXED),
		__atomic_load_n(&ke_queued, __ATOMIC_RELAXED));
	write_family(out, FAM_REQ, "xdp_ntpd_nts_requests_total",
		     "NTS-protected NTP requests that reached the NTS step, by outcome and reason.");
	write_family(out, FAM_COOKIES, "xdp_ntpd_nts_cookies_issued_total",
		     "Cookies sealed and handed out, by the key exchange or in NTS answers.");
}
