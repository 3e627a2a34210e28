// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "refstate.h"
#include "kclock.h"
#include "ntp_proto.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

void refstate_publish(struct ntpd_ref_buffer *buf, const struct ntpd_ref_state *st)
{
	__u32 next = (__atomic_load_n(&buf->active, __ATOMIC_RELAXED) ^ 1) & 1;
	struct ntpd_ref_slot *slot = &buf->slot[next];
	__u32 seq = __atomic_load_n(&slot->seq, __ATOMIC_RELAXED);

	/* seqlock write side: odd while the slot is inconsistent */
	__atomic_store_n(&slot->seq, seq | 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy((void *)&slot->state, st, sizeof(*st));
	ntp_state_set_base((struct ntpd_ref_state *)&slot->state);
	__atomic_store_n(&slot->seq, (seq | 1) + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&buf->active, next, __ATOMIC_RELEASE);
}

int refstate_read(const struct ntpd_ref_buffer *buf, struct ntpd_ref_state *out)
{
	int tries;

	for (tries = 0; tries < 1000; tries++)
		if (ntpd_ref_read(buf, out) == 0)
			return 0;
	return -EAGAIN;
}

struct ntpd_ref_buffer *refstate_mmap(int map_fd)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

void refstate_munmap(struct ntpd_ref_buffer *buf)
{
	if (buf)
		munmap(buf, (size_t)sysconf(_SC_PAGESIZE));
}

__u64 refstate_tai_now_ns(void)
{
	__u64 ns;

	/* 0 on failure (logged by kclock): a state stamped 0 is never fresh,
	 * and a receive time of 0 finds every state stale */
	kclock_now_ns(CLOCK_TAI, &ns);
	return ns;
}

/* log2 of the clock's resolution in seconds, rounded up (RFC 5905 precision) */
static __s8 system_clock_precision(void)
{
	struct timespec res;
	double step = 1.0;
	__s8 prec = 0;

	if (clock_getres(CLOCK_REALTIME, &res) || (res.tv_sec == 0 && res.tv_nsec == 0))
		return -20;
	while (prec > -30 && step / 2 >= (double)res.tv_sec + res.tv_nsec / 1e9) {
		step /= 2;
		prec--;
	}
	return prec;
}

int refstate_from_system_clock(struct ntpd_ref_state *st, __u8 stratum)
{
	struct kclock kc;
	__u64 tai_ns, unix_ns;
	int err;

	memset(st, 0, sizeof(*st));
	err = kclock_read(&kc);
	if (err)
		return err;
	err = kclock_now_ns(CLOCK_TAI, &tai_ns);
	if (err)
		return err;

	st->update_tai_ns = tai_ns;
	st->tai_offset_ns = kc.tai_offset_ns;
	unix_ns = tai_ns - (__u64)st->tai_offset_ns;
	st->reference_ts = ntp_ts_from_unix_ns(unix_ns);
	st->stratum = stratum;
	st->precision = system_clock_precision();
	st->leap = kc.leap;
	st->leap_tai_ns = NTPD_LEAP_NONE_TAI;
	/* The kernel leaps at its next UTC midnight (insertion) or 23:59:59
	 * (deletion); served as the kernel clock, the state leaps with it, to
	 * the nanosecond rather than at the next publication.  The kernel
	 * clears STA_INS/STA_DEL once the leap is done. */
	if (st->leap != NTP_LEAP_NONE) {
		__s64 midnight = ((__s64)(unix_ns / NSEC_PER_SEC_U64) / 86400 + 1) * 86400;

		st->leap_sign = st->leap == NTP_LEAP_INSERT ? 1 : -1;
		st->leap_kernel = st->leap_sign;
		st->leap_tai_ns = (__u64)((midnight - (st->leap_sign < 0)) * (__s64)NSEC_PER_SEC_U64 +
					  st->tai_offset_ns);
	}
	/* A disciplined clock: maxerror (us) is what the disciplining daemon says
	 * it may be off by.  An undisciplined one is its own local reference (as
	 * chrony's `local stratum`), whose error nobody measures: the kernel's
	 * 16 s "no idea" figure would only make every client reject it. */
	if (kc.synchronised)
		st->root_dispersion = ntp_short_from_ns((__u64)kc.maxerror_us * 1000ULL);
	memcpy(&st->refid, "LOCL", 4);
	return 0;
}

void refstate_unsynchronised(struct ntpd_ref_state *st, __u64 now_tai_ns, __s8 precision)
{
	__s64 offset;

	memset(st, 0, sizeof(*st));
	st->update_tai_ns = now_tai_ns;
	st->stratum = 16;
	st->leap = NTP_LEAP_UNSYNC;
	st->precision = precision ? precision : system_clock_precision();
	memcpy(&st->refid, "INIT", 4);
	/* the timestamps of an LI=3 answer are no time to set a clock by, but
	 * they should still be UTC, not CLOCK_TAI read as UTC */
	if (kclock_tai_offset_ns(&offset) && kclock_tai_offset_estimate_ns(&offset))
		offset = 0;
	st->tai_offset_ns = offset;
}
