/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Kernel receive timestamps (SO_TIMESTAMPNS), written once for the socket
 * server (requests) and the agent (upstream replies): the option, the room
 * its control message needs, the loop that finds it, and its conversion to
 * CLOCK_TAI, the clock our states and XDP speak.
 */
#ifndef NTPD_RXTIME_H
#define NTPD_RXTIME_H

#include <sys/socket.h>
#include <time.h>

#include "ntpd_shared.h"

/* Control-message room for the stamp alone; add other messages' room. */
#define RXTIME_CMSG_SPACE	CMSG_SPACE(sizeof(struct timespec))

/* Ask for a stamp on every datagram fd receives.  0 or -errno (qemu-user,
 * for one, has none: the caller decides how loudly to say so). */
int rxtime_enable(int fd);

/*
 * The kernel's stamp of a datagram received with recvmsg/recvmmsg on a
 * socket rxtime_enable()d: CLOCK_REALTIME ns in *realtime_ns.  0, or
 * -ENOENT when its control messages carry none.
 */
int rxtime_realtime_ns(struct msghdr *msg, __u64 *realtime_ns);

/*
 * The receive time as CLOCK_TAI under the published state st, exact
 * across the state's kernel leap (leap_realtime_to_tai); without a stamp,
 * CLOCK_TAI read now (later by however long the datagram waited).
 */
__u64 rxtime_tai_ns(struct msghdr *msg, const struct ntpd_ref_state *st);
/* The same for a stamp already taken out (the socket server's packet ring
 * reads its own from the ring); 0: none, CLOCK_TAI read now. */
__u64 rxtime_realtime_to_tai(__u64 realtime_ns, const struct ntpd_ref_state *st);

/*
 * The same with the kernel's TAI offset as it is now, for the agent, which
 * has no state of its own yet.  Without a stamp or without the offset (a
 * REALTIME stamp is TAI only with the offset added: never mix the clocks),
 * CLOCK_TAI read now.
 */
__u64 rxtime_tai_ns_kernel(struct msghdr *msg);

#endif /* NTPD_RXTIME_H */
