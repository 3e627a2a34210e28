// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "leap.h"

#include <math.h>

void leap_observe(struct leap_tracker *t, __u8 li, double now)
{
	/* Before the instant the upstreams decide, and may cancel.  From the
	 * instant on the leap has happened: upstreams drop LI at midnight, and
	 * that must not undo the step or cut the smear short. */
	if (t->instant && now >= t->instant && now < t->instant + LEAP_SMEAR_WINDOW_S / 2)
		return;
	t->instant = 0;
	t->sign = 0;
	t->stepped = false;
	if (li == NTP_LEAP_INSERT || li == NTP_LEAP_DELETE) {
		t->instant = (floor(now / 86400.0) + 1) * 86400.0;
		t->sign = li == NTP_LEAP_INSERT ? 1 : -1;
	}
}

double leap_smear_offset(const struct leap_tracker *t, double now)
{
	double start = t->instant - LEAP_SMEAR_WINDOW_S / 2;
	double elapsed = now - start;

	if (!t->instant || elapsed < 0 || elapsed >= LEAP_SMEAR_WINDOW_S)
		return 0;
	if (now < t->instant)
		return -t->sign * elapsed / LEAP_SMEAR_WINDOW_S;
	/* after the leap the unsmeared clock itself moved by -sign s */
	return t->sign * (1 - elapsed / LEAP_SMEAR_WINDOW_S);
}

__u8 leap_served_li(const struct leap_tracker *t, double now, bool smear)
{
	if (smear || !t->instant || now >= t->instant)
		return NTP_LEAP_NONE;
	return t->sign > 0 ? NTP_LEAP_INSERT : NTP_LEAP_DELETE;
}

int leap_take_step(struct leap_tracker *t, double now)
{
	if (!t->instant || t->stepped || now < t->instant)
		return 0;
	t->stepped = true;
	return t->sign;
}
