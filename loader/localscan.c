// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "localscan.h"

static int is_v4_mapped(const __u8 *a)
{
	static const __u8 prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

void localscan_add(struct ntpd_local_scan *s, const struct ntpd_local_addr *key, __u8 flags)
{
	if (is_v4_mapped(key->addr)) {
		if (s->n4 < NTPD_LOCAL_SCAN_MAX) {
			memcpy(&s->addr4[s->n4], &key->addr[12], 4);
			s->vlan4[s->n4] = key->vlan;
			s->flags4[s->n4] = flags;
		}
		if (s->n4 <= NTPD_LOCAL_SCAN_MAX)
			s->n4++;
	} else {
		if (s->n6 < NTPD_LOCAL_SCAN_MAX) {
			memcpy(s->v6[s->n6].addr, key->addr, 16);
			s->v6[s->n6].vlan = key->vlan;
			s->v6[s->n6].flags = flags;
		}
		if (s->n6 <= NTPD_LOCAL_SCAN_MAX)
			s->n6++;
	}
}

/*
 * Each update copies the whole value, in no promised order; the steps are
 * arranged so that no reader can take a mix for a valid set.  Step 1
 * changes only seq (to odd): bytes rewritten with what they held are never
 * torn.  Step 2 changes the lists while seq stays odd.  Step 3 changes only
 * seq (to even).  A reader that saw the old even seq before step 1 sees a
 * different one after, so it also falls back to the hash.
 */
int localscan_publish(int fd, const struct ntpd_local_scan *next)
{
	struct ntpd_local_scan cur, v = *next;
	__u32 zero = 0, odd;

	if (bpf_map_lookup_elem(fd, &zero, &cur))
		return -errno;
	odd = cur.seq + 1 + (cur.seq & 1);	/* the next odd one */
	cur.seq = odd;
	if (bpf_map_update_elem(fd, &zero, &cur, BPF_ANY))
		return -errno;
	v.seq = odd;
	if (bpf_map_update_elem(fd, &zero, &v, BPF_ANY))
		return -errno;
	v.seq = odd + 1;	/* 0 after 2^31 updates: "never written", the hash */
	if (bpf_map_update_elem(fd, &zero, &v, BPF_ANY))
		return -errno;
	return 0;
}
