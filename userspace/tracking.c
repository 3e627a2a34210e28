// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <math.h>

#include "tracking.h"

bool tracking_update(struct agent_tracking *t, double rx, double left)
{
	if (rx <= t->sample_rx)
		return false;
	t->last_offset = left;
	/* weight 1/8, as a loop filter would */
	t->rms_offset = t->updates ? sqrt((7 * t->rms_offset * t->rms_offset + left * left) / 8) :
				     fabs(left);
	t->update_interval = t->sample_rx > 0 ? rx - t->sample_rx : 0;
	t->updates++;
	t->sample_rx = rx;
	return true;
}

void tracking_note(struct agent_tracking *t, double rx)
{
	if (rx > t->sample_rx)
		t->sample_rx = rx;
}

void tracking_move(struct agent_tracking *t, double d_time)
{
	if (t->sample_rx > 0)
		t->sample_rx += d_time;
}
