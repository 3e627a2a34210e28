// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "rxtime.h"
#include "kclock.h"
#include "leap.h"
#include "refstate.h"

#include <errno.h>
#include <string.h>

int rxtime_enable(int fd)
{
	int one = 1;

	return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ? -errno : 0;
}

int rxtime_realtime_ns(struct msghdr *msg, __u64 *realtime_ns)
{
	struct cmsghdr *cm;
	struct timespec ts;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS ||
		    cm->cmsg_len < CMSG_LEN(sizeof(ts)))
			continue;
		memcpy(&ts, CMSG_DATA(cm), sizeof(ts));	/* CMSG_DATA need not be aligned */
		*realtime_ns = (__u64)ts.tv_sec * NSEC_PER_SEC_U64 + (__u64)ts.tv_nsec;
		return 0;
	}
	return -ENOENT;
}

__u64 rxtime_tai_ns(struct msghdr *msg, const struct ntpd_ref_state *st)
{
	__u64 rt_ns;

	if (rxtime_realtime_ns(msg, &rt_ns))
		return refstate_tai_now_ns();
	return rxtime_realtime_to_tai(rt_ns, st);
}

__u64 rxtime_realtime_to_tai(__u64 rt_ns, const struct ntpd_ref_state *st)
{
	if (!rt_ns)
		return refstate_tai_now_ns();
	/* kernel stamps are CLOCK_REALTIME, which a kernel leap steps; our
	 * state and T3 speak TAI, which it does not: the conversion needs a
	 * TAI reading from after the receive only around such a leap */
	return leap_realtime_to_tai(st, rt_ns, st->leap_kernel ? refstate_tai_now_ns() : 0);
}

__u64 rxtime_tai_ns_kernel(struct msghdr *msg)
{
	__s64 offset;
	__u64 rt_ns;

	if (rxtime_realtime_ns(msg, &rt_ns) || kclock_tai_offset_ns(&offset))
		return refstate_tai_now_ns();
	return rt_ns + (__u64)offset;
}
