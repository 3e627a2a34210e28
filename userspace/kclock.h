/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The kernel's clock state, read in one place so every caller checks it:
 * adjtimex() with no modes (TAI offset, synchronised or not, a pending
 * leap, the error estimates) and clock_gettime().  A read that fails is
 * counted and logged once per cause with the errno, never per packet or
 * per second; the callers then serve unsynchronised (docs/time.md).
 */
#ifndef NTPD_KCLOCK_H
#define NTPD_KCLOCK_H

#include <stdbool.h>
#include <time.h>

#include "ntpd_shared.h"

struct kclock {
	__s64 tai_offset_ns;	/* CLOCK_TAI - CLOCK_REALTIME, whole seconds */
	bool synchronised;	/* adjtimex's state is not TIME_ERROR */
	__u8 leap;		/* NTP_LEAP_NONE, _INSERT (STA_INS), _DELETE (STA_DEL) */
	long maxerror_us;	/* what the disciplining daemon says we may be off by */
	long esterror_us;
};

enum kclock_call {
	KCLOCK_ADJTIMEX,
	KCLOCK_CLOCK_GETTIME,
	KCLOCK_N_CALLS,
};

/* Zero *out, then fill it from adjtimex.  0 or -errno. */
int kclock_read(struct kclock *out);

/* The kernel's TAI - UTC offset (adjtimex).  0 or -errno. */
int kclock_tai_offset_ns(__s64 *out);

/*
 * Only for the timestamps of unsynchronised answers when adjtimex cannot be
 * read: CLOCK_TAI minus CLOCK_REALTIME read back to back, rounded to the
 * second.  Wrong by a second across a leap, which is why nothing
 * synchronised is ever served from it.  0 or -errno.
 */
int kclock_tai_offset_estimate_ns(__s64 *out);

/* clock_gettime(id) in ns.  0 or -errno (*out is then 0). */
int kclock_now_ns(clockid_t id, __u64 *out);

/* How often each call has failed since start (for metrics). */
__u64 kclock_errors(enum kclock_call c);
const char *kclock_call_name(enum kclock_call c);

#endif /* NTPD_KCLOCK_H */
