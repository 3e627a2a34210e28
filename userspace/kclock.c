// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "kclock.h"
#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

static const char *const call_names[KCLOCK_N_CALLS] = {
	[KCLOCK_ADJTIMEX] = "adjtimex",
	[KCLOCK_CLOCK_GETTIME] = "clock_gettime",
};

/* per call: failures so far, and the errno last logged (0: working) */
static __u64 errors[KCLOCK_N_CALLS];
static int logged_errno[KCLOCK_N_CALLS];

const char *kclock_call_name(enum kclock_call c)
{
	return call_names[c];
}

__u64 kclock_errors(enum kclock_call c)
{
	return __atomic_load_n(&errors[c], __ATOMIC_RELAXED);
}

/*
 * Count a failure (err > 0) or a success (0) of call c; log only a change
 * of cause, so a filter that refuses every call is one line, not one a
 * second, and its end is a line too.
 */
static void note(enum kclock_call c, int err)
{
	int was;

	/* the common case, per packet in the socket server: one plain load */
	if (!err && !__atomic_load_n(&logged_errno[c], __ATOMIC_RELAXED))
		return;
	if (err)
		__atomic_fetch_add(&errors[c], 1, __ATOMIC_RELAXED);
	was = __atomic_exchange_n(&logged_errno[c], err, __ATOMIC_RELAXED);
	if (was == err)
		return;
	if (!err) {
		pr_info("kernel clock: %s works again\n", call_names[c]);
		return;
	}
	pr_warn("kernel clock: cannot read the clock state: %s: %s (%s)%s; serving unsynchronised "
		"(LI=3) until it can be read\n", call_names[c], strerrorname_np(err) ?: "?",
		strerror(err),
		err == EPERM ? " - a system call filter such as systemd's ProtectClock=yes "
			       "refuses even read-only adjtimex" : "");
}

int kclock_read(struct kclock *out)
{
	struct timex tx = { 0 };	/* modes 0: read only */
	int state;

	memset(out, 0, sizeof(*out));
	state = adjtimex(&tx);
	if (state < 0) {
		int err = errno;

		note(KCLOCK_ADJTIMEX, err);
		return -err;
	}
	note(KCLOCK_ADJTIMEX, 0);
	out->tai_offset_ns = (__s64)tx.tai * (__s64)NSEC_PER_SEC_U64;
	out->synchronised = state != TIME_ERROR;
	out->leap = (tx.status & STA_INS) ? NTP_LEAP_INSERT :
		    (tx.status & STA_DEL) ? NTP_LEAP_DELETE : NTP_LEAP_NONE;
	out->maxerror_us = tx.maxerror;
	out->esterror_us = tx.esterror;
	return 0;
}

int kclock_tai_offset_ns(__s64 *out)
{
	struct kclock kc;
	int err = kclock_read(&kc);

	*out = kc.tai_offset_ns;
	return err;
}

int kclock_now_ns(clockid_t id, __u64 *out)
{
	struct timespec ts;

	*out = 0;
	if (clock_gettime(id, &ts)) {
		int err = errno;

		note(KCLOCK_CLOCK_GETTIME, err);
		return -err;
	}
	*out = (__u64)ts.tv_sec * NSEC_PER_SEC_U64 + (__u64)ts.tv_nsec;
	return 0;
}

/* A pair of CLOCK_REALTIME readings this close bracket the CLOCK_TAI one
 * well enough to round; a clock set between them shows as a wider gap. */
#define BRACKET_NS	(1000 * 1000ULL)

int kclock_tai_offset_estimate_ns(__s64 *out)
{
	__u64 r1, tai, r2;
	int tries, err;

	*out = 0;
	for (tries = 0; tries < 3; tries++) {
		err = kclock_now_ns(CLOCK_REALTIME, &r1);
		err = err ?: kclock_now_ns(CLOCK_TAI, &tai);
		err = err ?: kclock_now_ns(CLOCK_REALTIME, &r2);
		if (err)
			return err;
		if (r2 >= r1 && r2 - r1 < BRACKET_NS) {
			__s64 d = (__s64)(tai - (r1 + (r2 - r1) / 2));

			*out = (d + (__s64)NSEC_PER_SEC_U64 / 2) / (__s64)NSEC_PER_SEC_U64 *
			       (__s64)NSEC_PER_SEC_U64;
			return 0;
		}
	}
	return -EAGAIN;
}
