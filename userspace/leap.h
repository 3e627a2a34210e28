/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Leap seconds as the served clock sees them.  Upstreams announce a leap in
 * LI during its last day (RFC 5905); the leap happens at the following UTC
 * midnight.  Pure functions of an injectable "now", so tests sample them at
 * any instant without waiting for one.
 */
#ifndef NTPD_LEAP_H
#define NTPD_LEAP_H

#include <stdbool.h>

#include "ntpd_shared.h"

#define LEAP_SMEAR_WINDOW_S 86400.0	/* 24 h, noon to noon UTC, linear */

struct leap_tracker {
	double instant;		/* Unix s of the announced leap; 0: none */
	int sign;		/* +1 insertion, -1 deletion */
	bool stepped;		/* the corrected clock has taken the step */
};

/* Feed the majority LI of the selected upstreams at Unix time `now`. */
void leap_observe(struct leap_tracker *t, __u8 li, double now);

/* Seconds to add to served time for a linear smear across the leap: it
 * ramps to -sign s just before the leap and back to 0 after it, so the
 * served clock never steps.  0 outside the window. */
double leap_smear_offset(const struct leap_tracker *t, double now);

/* LI to serve: the announcement until the instant; LEAP_NONE when smearing
 * (a smeared clock has no leap to announce) or when there is none. */
__u8 leap_served_li(const struct leap_tracker *t, double now, bool smear);

/* Once, at or after the instant: the step (+1 or -1 s, as sign) that a clock
 * we correct ourselves must take; 0 otherwise. */
int leap_take_step(struct leap_tracker *t, double now);

#endif /* NTPD_LEAP_H */
