// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "refstate.h"
#include "ntp_proto.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/timex.h>
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
	struct timespec ts;

	clock_gettime(CLOCK_TAI, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC_U64 + (__u64)ts.tv_nsec;
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
	struct timex tx = { 0 };
	__u64 tai_ns, unix_ns;
	int state;

	state = adjtimex(&tx);
	if (state < 0)
		return -errno;
	tai_ns = refstate_tai_now_ns();

	memset(st, 0, sizeof(*st));
	st->update_tai_ns = tai_ns;
	st->tai_offset_ns = (__s64)tx.tai * (__s64)NSEC_PER_SEC_U64;
	unix_ns = tai_ns - (__u64)st->tai_offset_ns;
	st->reference_ts = ntp_ts_from_unix_ns(unix_ns);
	st->stratum = stratum;
	st->precision = system_clock_precision();
	st->leap = (tx.status & STA_INS) ? NTP_LEAP_INSERT :
		   (tx.status & STA_DEL) ? NTP_LEAP_DELETE : NTP_LEAP_NONE;
	st->leap_tai_ns = NTPD_LEAP_NONE_TAI;
	/* The kernel leaps at its next UTC midnight (insertion) or 23:59:59
	 * (deletion); served as the kernel clock, the state leaps with it, to
	 * the nanosecond rather than at the next publication.  Only while the
	 * kernel says it is still to come: TIME_OOP and TIME_WAIT are after. */
	if ((state == TIME_INS || state == TIME_DEL) && st->leap != NTP_LEAP_NONE) {
		__s64 midnight = ((__s64)tx.time.tv_sec / 86400 + 1) * 86400;

		st->leap_sign = state == TIME_INS ? 1 : -1;
		st->leap_kernel = st->leap_sign;
		st->leap_tai_ns = (__u64)((midnight - (st->leap_sign < 0)) * (__s64)NSEC_PER_SEC_U64 +
					  st->tai_offset_ns);
	}
	/* A disciplined clock: maxerror (us) is what the disciplining daemon says
	 * it may be off by.  An undisciplined one is its own local reference (as
	 * chrony's `local stratum`), whose error nobody measures: the kernel's
	 * 16 s "no idea" figure would only make every client reject it. */
	if (state != TIME_ERROR)
		st->root_dispersion = ntp_short_from_ns((__u64)tx.maxerror * 1000ULL);
	memcpy(&st->refid, "LOCL", 4);
	return 0;
}
