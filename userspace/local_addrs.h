/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The host's unicast IPv4 addresses, for the one path that sees frames
 * before the kernel has decided they are addressed to us: the socket
 * server's packet ring (packet_ring.h).  A UDP socket is given only what
 * the kernel delivers locally; a ring is given every frame of the
 * interface, so without this set it would answer requests routed through
 * this host for another.  Every address the host has on any interface
 * counts, as for the kernel's own delivery (the weak host model), which is
 * what a UDP socket bound to the wildcard would have answered.
 *
 * addrwatch.c publishes the set after each netlink dump; readers on the
 * answer path look up without a lock (a sequence count: a reader that
 * overlapped a publish looks again).
 */
#ifndef NTPD_LOCAL_ADDRS_H
#define NTPD_LOCAL_ADDRS_H
#include <stdbool.h>
#include <linux/types.h>

/* enough for a host with hundreds of service addresses; beyond it the
 * rest are not answered from the ring (said once, at publish) */
#define LOCAL_ADDRS_MAX	1024

/* Replace the set with addrs[0..n) (network order; any order, repeats
 * allowed).  Returns the number kept (n capped at LOCAL_ADDRS_MAX). */
int local_addrs_publish4(const __be32 *addrs, int n);
/* Is addr one of the host's addresses as last published?  False before
 * the first publish. */
bool local_addrs_has4(__be32 addr);
/* Has anything been published yet (the ring answers nothing before)? */
bool local_addrs_ready(void);
/* The set as last published, up to max addresses (network order, sorted):
 * how many were copied. */
int local_addrs_snapshot4(__be32 *out, int max);
/*
 * fn(arg) after each publish, on the publishing thread, once the new set
 * is readable (the socket server re-attaches its sockets' mirror filters).
 * One subscriber; fn NULL removes it, and once that returns fn is not
 * running and will not run again.
 */
void local_addrs_on_publish(void (*fn)(void *arg), void *arg);
#endif /* NTPD_LOCAL_ADDRS_H */
