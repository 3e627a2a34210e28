// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "clockstep.h"
#include "kclock.h"

#include <errno.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static __s64 ns_of(clockid_t id)
{
	__u64 ns;

	kclock_now_ns(id, &ns);	/* a failure is logged and counted there */
	return (__s64)ns;
}

static __s64 tai_minus_mono_ns(void)
{
	return ns_of(CLOCK_TAI) - ns_of(CLOCK_MONOTONIC);
}

/* An expiry that never comes: the timer exists only to be cancelled. */
static int arm(int fd)
{
	struct itimerspec never = { .it_value = { .tv_sec = INT32_MAX } };

	return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &never, NULL)
		       ? -errno : 0;
}

int clockstep_open(struct clock_step_watch *w)
{
	int err;

	if (!w->read_offset_ns)
		w->read_offset_ns = tai_minus_mono_ns;
	w->fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->fd < 0)
		return -errno;
	err = arm(w->fd);
	if (err) {
		clockstep_close(w);
		return err;
	}
	w->tai_minus_mono_ns = w->read_offset_ns();
	return 0;
}

void clockstep_close(struct clock_step_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

int clockstep_check(struct clock_step_watch *w, __s64 *step_ns)
{
	__u64 expirations;
	__s64 now;

	if (w->fd < 0)
		return 0;
	now = w->read_offset_ns();
	/* sample first, then look: a step landing in between is still measured
	 * against the old baseline, because the baseline moves only when no
	 * cancellation is pending */
	if (read(w->fd, &expirations, sizeof(expirations)) >= 0 || errno != ECANCELED) {
		w->tai_minus_mono_ns = now;
		return 0;
	}
	now = w->read_offset_ns();
	*step_ns = now - w->tai_minus_mono_ns;
	w->tai_minus_mono_ns = now;
	arm(w->fd);
	return 1;
}
