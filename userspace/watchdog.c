// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "watchdog.h"
#include "kclock.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define CHECK_PERIOD_MS	1000
/* no bound below this: the agent and an idle socket worker beat about once
 * a second, and a pass may take a little longer than its wait */
#define BOUND_MIN_NS	(3 * NSEC_PER_SEC_U64)

struct watchdog {
	struct watchdog_params p;
	pthread_t thread;
	bool started;
	int stop_fd;
	pthread_mutex_t lock;		/* the check: both callers log the same transitions once */
	__u64 publisher_beat_ns;	/* atomic */
	bool healthy[WATCHDOG_N_THREADS];	/* atomic reads from the metrics thread */
	__u64 fired[WATCHDOG_N_THREADS];
};

static const char *const names[WATCHDOG_N_THREADS] = {
	[WATCHDOG_AGENT] = "agent",
	[WATCHDOG_PUBLISHER] = "publisher",
	[WATCHDOG_SOCKET] = "socket",
};

const char *watchdog_thread_name(enum watchdog_thread t)
{
	return t < WATCHDOG_N_THREADS ? names[t] : "none";
}

__u64 watchdog_bound_ns(__u64 max_state_age_ns)
{
	/* the publisher acts on the next period after the bound: one second */
	__u64 b = max_state_age_ns > 2 * NSEC_PER_SEC_U64 ? max_state_age_ns - 2 * NSEC_PER_SEC_U64 : 0;

	return b > BOUND_MIN_NS ? b : BOUND_MIN_NS;
}

static __u64 mono_ns(void)
{
	__u64 ns;

	kclock_now_ns(CLOCK_MONOTONIC, &ns);
	return ns;
}

void watchdog_publisher_beat(struct watchdog *w)
{
	if (w)
		__atomic_store_n(&w->publisher_beat_ns, mono_ns(), __ATOMIC_RELAXED);
}

/* Called with w->lock held. */
static void judge(struct watchdog *w, enum watchdog_thread t, __u64 now, __u64 beat,
		  const char *detail)
{
	bool ok = now < beat || now - beat <= w->p.bound_ns;
	bool was = __atomic_load_n(&w->healthy[t], __ATOMIC_RELAXED);

	if (ok == was)
		return;
	__atomic_store_n(&w->healthy[t], ok, __ATOMIC_RELAXED);
	if (ok) {
		pr_info("watchdog: the %s thread%s is alive again\n", names[t], detail);
		return;
	}
	__atomic_fetch_add(&w->fired[t], 1, __ATOMIC_RELAXED);
	pr_warn("watchdog: the %s thread%s has not run for %.1f s (dead or stuck): %s\n",
		names[t], detail, (double)(now - beat) / 1e9,
		t == WATCHDOG_PUBLISHER ?
			"nothing is published; answers turn unsynchronised (LI=3) at --max-age" :
			"publishing unsynchronised (LI=3)");
}

enum watchdog_thread watchdog_check(struct watchdog *w)
{
	enum watchdog_thread t, first = WATCHDOG_N_THREADS;
	char detail[32] = "";
	__u64 now, beat = 0;
	int worker;

	if (!w)
		return WATCHDOG_N_THREADS;
	now = mono_ns();
	pthread_mutex_lock(&w->lock);
	judge(w, WATCHDOG_AGENT, now, agent_heartbeat_ns(w->p.agent), "");
	judge(w, WATCHDOG_PUBLISHER, now, __atomic_load_n(&w->publisher_beat_ns, __ATOMIC_RELAXED),
	      " (main)");
	worker = socket_server_stalest(w->p.sockets, &beat);
	if (worker >= 0) {
		snprintf(detail, sizeof(detail), " (worker %d)", worker);
		judge(w, WATCHDOG_SOCKET, now, beat, detail);
	}
	for (t = 0; t < WATCHDOG_N_THREADS && first == WATCHDOG_N_THREADS; t++)
		if (t != WATCHDOG_PUBLISHER && !w->healthy[t])
			first = t;
	pthread_mutex_unlock(&w->lock);
	return first;
}

bool watchdog_healthy(const struct watchdog *w, enum watchdog_thread t)
{
	return !w || __atomic_load_n(&w->healthy[t], __ATOMIC_RELAXED);
}

__u64 watchdog_fired(const struct watchdog *w, enum watchdog_thread t)
{
	return w ? __atomic_load_n(&w->fired[t], __ATOMIC_RELAXED) : 0;
}

static void *watchdog_thread(void *arg)
{
	struct watchdog *w = arg;
	struct pollfd pfd = { .fd = w->stop_fd, .events = POLLIN };

	for (;;) {
		int n = poll(&pfd, 1, CHECK_PERIOD_MS);

		if (n > 0)
			break;
		if (n < 0 && errno != EINTR) {
			pr_warn("watchdog: poll: %s: the publisher alone checks the threads now\n",
				strerror(errno));
			break;
		}
		watchdog_check(w);
	}
	return NULL;
}

int watchdog_start(struct watchdog **out, const struct watchdog_params *p)
{
	struct watchdog *w;
	int t, err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->p = *p;
	pthread_mutex_init(&w->lock, NULL);
	for (t = 0; t < WATCHDOG_N_THREADS; t++)
		w->healthy[t] = true;
	w->publisher_beat_ns = mono_ns();
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop_fd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = -pthread_create(&w->thread, NULL, watchdog_thread, w);
	if (err)
		goto cleanup;
	w->started = true;
	*out = w;
	return 0;
cleanup:
	pr_warn("watchdog: cannot start: %s\n", strerror(-err));
	watchdog_stop(w);
	return err;
}

void watchdog_stop(struct watchdog *w)
{
	__u64 one = 1;

	if (!w)
		return;
	if (w->started) {
		if (write(w->stop_fd, &one, sizeof(one)) != sizeof(one))
			pr_warn("watchdog: cannot signal stop\n");
		else
			pthread_join(w->thread, NULL);
	}
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
