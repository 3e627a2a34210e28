/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The corrected clock model's served correction: a line (correction at an
 * anchor, and a slope) that XDP and the socket server extend per packet.
 * Each publication continues the line exactly where the last one had taken
 * it, in the same integer arithmetic the readers use, so the served time
 * never jumps; the difference from the estimate is slewed away at a bounded
 * rate, and stepped only past the step threshold.  Pure: times are passed in.
 */
#ifndef NTPD_SERVO_H
#define NTPD_SERVO_H

#include <stdbool.h>

#include "ntpd_shared.h"

#define SERVO_STEP_THRESHOLD_S	0.128	/* RFC 5905 STEPT */
#define SERVO_MAX_SLEW		500e-6	/* phase corrections never faster */
#define SERVO_MAX_FREQ		500e-6	/* beyond this a clock is broken, not slow */
/* Time in which the slew aims to remove the phase error: longer than the
 * publish period, so a late publication never overshoots. */
#define SERVO_SLEW_TIME_S	2.0

struct servo {
	bool valid;
	__u64 anchor_tai_ns;	/* the last publication */
	__s64 corr_ns;		/* correction at the anchor */
	__s32 freq_scaled;	/* slope from the anchor, 2^-32 ns per ns */
	double phase_error;	/* estimate minus served at the anchor, s */
	double freq;		/* the estimate's frequency, without the slew */
};

/* The correction the published line gives at `now`, exactly as readers compute it. */
__s64 servo_correction_at(const struct servo *sv, __u64 now_tai_ns);

/*
 * Move the line to `now` towards the estimate (offset and frequency, s and
 * s/s).  Returns the step taken (s; 0 when slewing): the first call, or a
 * phase error beyond SERVO_STEP_THRESHOLD_S, steps.
 */
double servo_update(struct servo *sv, __u64 now_tai_ns, double offset, double freq);


/* Upstream time moved by d_offset against ours, our readings by d_time. */
void servo_move(struct servo *sv, double d_offset, double d_time);

#endif /* NTPD_SERVO_H */
