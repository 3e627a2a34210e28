/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * POST /control: stop, start and restart answering NTP while the daemon
 * (its HTTP, its agent, its maps) keeps running.
 *
 *  - stop: XDP detached from every interface (one netlink request each;
 *    the program and its maps stay loaded), and every NTP socket given a
 *    filter that drops whatever arrives: the ports stay bound, since after
 *    the privilege drop port 123 could not be bound again.  Nothing is
 *    answered on any path; requests already queued when it took effect
 *    are.
 *  - start: the drop filters removed, the prepared program (the relink's,
 *    loader.h: plain XDP on the same maps, so limits, lists and counters
 *    carry on) attached again.
 *  - restart: while serving, the program replaced in place by one netlink
 *    request (the kernel swaps it between packets: none lost) and the
 *    filters checked off; while stopped, start.
 *
 * The HTTP threads call these one at a time (a lock of its own).
 */
#ifndef NTPD_SERVING_H
#define NTPD_SERVING_H

#include <stdbool.h>

#include "loader.h"
#include "socket_server.h"

struct serving;

int serving_open(struct serving **out, struct ntpd_attachment *att, int n_att,
		 struct socket_server *sockets);
void serving_close(struct serving *sv);

/* action: "stop", "start" or "restart".  0, -EINVAL for another word, or
 * -errno when a path could not be changed (logged, naming it). */
int serving_control(struct serving *sv, const char *action);

/* "serving" or "stopped"; the CLOCK_REALTIME s of the last change (0 none),
 * and how many actions were done. */
const char *serving_state(struct serving *sv, double *since, unsigned long *actions);

/* POST /control stopped it (XDP detached on purpose); false for NULL. */
bool serving_stopped(struct serving *sv);

#endif /* NTPD_SERVING_H */
