// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "servo.h"
#include "ntp_proto.h"

#include <math.h>

__s64 servo_correction_at(const struct servo *sv, __u64 now_tai_ns)
{
	struct ntpd_ref_state st = { .freq_scaled = sv->freq_scaled };

	/* the readers' own function, so the line continues to the nanosecond;
	 * before the anchor (a host clock stepped back) the same line */
	if (now_tai_ns < sv->anchor_tai_ns)
		return sv->corr_ns - ntp_freq_drift_ns(&st, sv->anchor_tai_ns - now_tai_ns);
	return sv->corr_ns + ntp_freq_drift_ns(&st, now_tai_ns - sv->anchor_tai_ns);
}

static __s32 scaled(double freq)
{
	/* the readers clamp to NTPD_FREQ_SCALED_LIMIT; stay inside it */
	double lim = (double)NTPD_FREQ_SCALED_LIMIT - 1;
	double f = freq * 4294967296.0;

	return (__s32)llround(f > lim ? lim : f < -lim ? -lim : f);
}

static double clamp(double v, double lim)
{
	return v > lim ? lim : v < -lim ? -lim : v;
}

double servo_update(struct servo *sv, __u64 now_tai_ns, double offset, double freq)
{
	double step = 0, slew;
	__s64 cur;

	freq = clamp(freq, SERVO_MAX_FREQ);
	cur = sv->valid ? servo_correction_at(sv, now_tai_ns) : 0;
	sv->phase_error = offset - (double)cur / 1e9;
	if (!sv->valid || fabs(sv->phase_error) > SERVO_STEP_THRESHOLD_S) {
		step = sv->valid ? sv->phase_error : 0;
		cur = (__s64)llround(offset * 1e9);
		sv->phase_error = 0;
	}
	slew = clamp(sv->phase_error / SERVO_SLEW_TIME_S, SERVO_MAX_SLEW);
	sv->valid = true;
	sv->anchor_tai_ns = now_tai_ns;
	sv->corr_ns = cur;
	sv->freq = freq;
	sv->freq_scaled = scaled(freq + slew);
	return step;
}

void servo_move(struct servo *sv, double d_offset, double d_time)
{
	if (!sv->valid)
		return;
	sv->corr_ns += (__s64)llround(d_offset * 1e9);
	sv->anchor_tai_ns = (__u64)((__s64)sv->anchor_tai_ns + llround(d_time * 1e9));
}
