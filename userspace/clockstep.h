/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Noticing that the host clock was stepped (settimeofday, clock_settime, an
 * NTP client stepping it, an operator's `date -s`).  The kernel cancels a
 * CLOCK_REALTIME timerfd armed with TFD_TIMER_CANCEL_ON_SET whenever the
 * clock is set; how far CLOCK_TAI moved against CLOCK_MONOTONIC is the step.
 */
#ifndef NTPD_CLOCKSTEP_H
#define NTPD_CLOCKSTEP_H

#include <linux/types.h>

struct clock_step_watch {
	int fd;				/* the timerfd; poll it for POLLIN */
	__s64 tai_minus_mono_ns;	/* as last seen with no step pending */
	/* CLOCK_TAI minus CLOCK_MONOTONIC in ns; tests put their own here */
	__s64 (*read_offset_ns)(void);
};

/* 0 or -errno.  w->read_offset_ns may be set before the call. */
int clockstep_open(struct clock_step_watch *w);
void clockstep_close(struct clock_step_watch *w);

/*
 * Call at least once a second (a slewing clock moves up to 500 us/s
 * against CLOCK_MONOTONIC; that must not add up to a step).  Returns 1 and
 * the step in *step_ns (positive: the clock now reads later) when the clock
 * was set since the last call, else 0.
 */
int clockstep_check(struct clock_step_watch *w, __s64 *step_ns);

#endif
