// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "local_addrs.h"
#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * One writer (the address watch thread), many readers (socket workers).
 * The set is sorted (host order) for a binary search; seq is odd while a
 * publish is writing.  Readers copy nothing: they search in place and
 * check seq did not move, so a torn read is never trusted.
 */
static struct {
	unsigned int seq;
	int n;
	bool ready;
	__u32 addr[LOCAL_ADDRS_MAX];
} set;

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static pthread_mutex_t subscriber_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*subscriber)(void *arg);
static void *subscriber_arg;

void local_addrs_on_publish(void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&subscriber_lock);
	subscriber = fn;
	subscriber_arg = arg;
	pthread_mutex_unlock(&subscriber_lock);
}

int local_addrs_publish4(const __be32 *addrs, int n)
{
	static __u32 sorted[LOCAL_ADDRS_MAX];
	static bool warned;
	int i, kept = 0;

	if (n > LOCAL_ADDRS_MAX) {
		if (!warned)
			pr_warn("local addresses: the host has %d IPv4 addresses; requests to "
				"those beyond the first %d are not answered from the packet "
				"ring\n", n, LOCAL_ADDRS_MAX);
		warned = true;
		n = LOCAL_ADDRS_MAX;
	}
	for (i = 0; i < n; i++)
		sorted[i] = __builtin_bswap32(addrs[i]);
	qsort(sorted, (size_t)n, sizeof(sorted[0]), cmp_u32);
	for (i = 0; i < n; i++)
		if (!kept || sorted[kept - 1] != sorted[i])
			sorted[kept++] = sorted[i];

	__atomic_add_fetch(&set.seq, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (i = 0; i < kept; i++)
		__atomic_store_n(&set.addr[i], sorted[i], __ATOMIC_RELAXED);
	__atomic_store_n(&set.n, kept, __ATOMIC_RELAXED);
	__atomic_store_n(&set.ready, true, __ATOMIC_RELAXED);
	__atomic_add_fetch(&set.seq, 1, __ATOMIC_RELEASE);
	/* after the set: for an address added, the ring answers it a moment
	 * before the sockets stop (an answer twice), never the reverse (none) */
	pthread_mutex_lock(&subscriber_lock);
	if (subscriber)
		subscriber(subscriber_arg);
	pthread_mutex_unlock(&subscriber_lock);
	return kept;
}

int local_addrs_snapshot4(__be32 *out, int max)
{
	unsigned int seq;
	int i, n;

	do {
		seq = __atomic_load_n(&set.seq, __ATOMIC_ACQUIRE);
		n = __atomic_load_n(&set.n, __ATOMIC_RELAXED);
		if (n > max)
			n = max;
		if (n > LOCAL_ADDRS_MAX)
			n = LOCAL_ADDRS_MAX;	/* a torn count: the seq check retries */
		for (i = 0; i < n; i++)
			out[i] = __builtin_bswap32(__atomic_load_n(&set.addr[i], __ATOMIC_RELAXED));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((seq & 1) || seq != __atomic_load_n(&set.seq, __ATOMIC_RELAXED));
	return n;
}

bool local_addrs_has4(__be32 addr)
{
	__u32 want = __builtin_bswap32(addr);
	unsigned int seq;
	bool found;

	do {
		int lo = 0, hi;

		seq = __atomic_load_n(&set.seq, __ATOMIC_ACQUIRE);
		hi = __atomic_load_n(&set.n, __ATOMIC_RELAXED);
		if (hi > LOCAL_ADDRS_MAX)
			hi = LOCAL_ADDRS_MAX;	/* a torn count: the seq check retries */
		found = false;
		while (lo < hi) {
			int mid = lo + (hi - lo) / 2;
			__u32 v = __atomic_load_n(&set.addr[mid], __ATOMIC_RELAXED);

			if (v == want) {
				found = true;
				break;
			}
			if (v < want)
				lo = mid + 1;
			else
				hi = mid;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((seq & 1) || seq != __atomic_load_n(&set.seq, __ATOMIC_RELAXED));
	return found;
}

bool local_addrs_ready(void)
{
	return __atomic_load_n(&set.ready, __ATOMIC_ACQUIRE);
}
