/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Keeps each attachment's local-address map equal to the addresses its
 * interface has, from an RTM_GETADDR dump and then RTM_NEWADDR/RTM_DELADDR
 * notifications (libmnl).  The XDP program answers only traffic addressed to
 * those, so a host that also routes never answers for another machine.
 */
#ifndef NTPD_ADDRWATCH_H
#define NTPD_ADDRWATCH_H

#include "loader.h"

struct addrwatch;

/* Fill the maps of att[0..n) and keep them current from a thread.
 * Returns 0 or -errno; *out is freed by addrwatch_stop. */
int addrwatch_start(struct addrwatch **out, struct ntpd_attachment *att, int n);
void addrwatch_stop(struct addrwatch *aw);

#endif /* NTPD_ADDRWATCH_H */
