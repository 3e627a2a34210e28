/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * chronyc tracking's numbers that are ours rather than the served state's:
 * what the last clock update left to correct, its running RMS and the time
 * between updates.
 */
#ifndef NTPD_TRACKING_H
#define NTPD_TRACKING_H

#include <stdbool.h>
#include <linux/types.h>

struct agent_tracking {
	bool synced;
	double last_offset;	/* upstream minus served at the last clock update, s */
	double rms_offset;	/* running RMS of last_offset, s */
	double update_interval;	/* between the samples of the last two clock updates, s; 0: one so far */
	double freq;		/* our clock against the upstreams (s/s) */
	double residual_freq;	/* system peer's own estimate minus freq (s/s) */
	double skew;		/* freq's standard error (s/s) */
	__u64 updates;		/* clock updates so far */
	double sample_rx;	/* our TAI reading (s) at the sample the last update
				 * used, moved with our clock; 0: none yet */
};

/*
 * A clock update from the system peer's sample received at rx (our TAI s),
 * which left `left` s to correct.  Only a sample newer than the last
 * update's is one: when the system peer changes to a source whose newest
 * reply came in before the old peer's, that sample is already in the last
 * update, and counting it would make the interval negative.  Returns
 * whether it counted.
 */
bool tracking_update(struct agent_tracking *t, double rx, double left);

/* The sample the next update follows, without counting an update (the
 * corrected clock's first publication steps rather than corrects). */
void tracking_note(struct agent_tracking *t, double rx);

/* Our clock's readings moved by d_time s (a host clock step): so does the
 * last update's sample time, or a step back would hold every update off
 * until the clock came past it again. */
void tracking_move(struct agent_tracking *t, double d_time);

#endif /* NTPD_TRACKING_H */
