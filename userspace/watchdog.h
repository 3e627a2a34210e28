/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The watchdog: every thread that keeps the served time honest beats a
 * heartbeat each pass (the agent thread, each socket worker, the publisher
 * in the main thread).  One older than the bound is a thread dead or stuck:
 * the publisher then publishes LI=3 (agent, socket worker), or, when the
 * publisher itself is stuck, XDP's and the socket server's freshness check
 * serve LI=3 once the state is older than --max-age.  The watchdog's own
 * thread looks every second, so a stuck publisher is still logged and
 * counted; the publisher looks too, before each publication.
 */
#ifndef NTPD_WATCHDOG_H
#define NTPD_WATCHDOG_H

#include <stdbool.h>

#include "agent.h"
#include "socket_server.h"

enum watchdog_thread {
	WATCHDOG_AGENT,
	WATCHDOG_PUBLISHER,
	WATCHDOG_SOCKET,	/* any one socket worker */
	WATCHDOG_N_THREADS,
};

struct watchdog;

struct watchdog_params {
	struct agent *agent;
	const struct socket_server *sockets;	/* may be NULL */
	__u64 bound_ns;		/* a heartbeat older than this is a dead thread */
};

/* The bound for a --max-age: LI=3 is published with a second to spare. */
__u64 watchdog_bound_ns(__u64 max_state_age_ns);

int watchdog_start(struct watchdog **out, const struct watchdog_params *p);
void watchdog_stop(struct watchdog *w);

/* The publisher: about to publish (CLOCK_MONOTONIC now). */
void watchdog_publisher_beat(struct watchdog *w);

/*
 * Look at every heartbeat now; a thread going quiet or coming back is
 * logged and counted once.  Returns the first unhealthy thread other than
 * the publisher (which is asking), or WATCHDOG_N_THREADS when all are well.
 * NULL-safe: no watchdog, all well.
 */
enum watchdog_thread watchdog_check(struct watchdog *w);

const char *watchdog_thread_name(enum watchdog_thread t);
bool watchdog_healthy(const struct watchdog *w, enum watchdog_thread t);
/* times thread t was found dead or stuck since start */
__u64 watchdog_fired(const struct watchdog *w, enum watchdog_thread t);

#endif /* NTPD_WATCHDOG_H */
