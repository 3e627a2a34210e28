/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Keeps each attachment's link, VLAN and local-address maps equal to what
 * the kernel has: its MAC, its VLAN devices (IFLA_LINK + IFLA_VLAN_ID) and
 * the addresses of the interface and of each VLAN device, with the subnet
 * broadcasts of the IPv4 ones.  The XDP program answers only traffic
 * addressed to those, so a host that also routes never answers for another
 * machine.  Every change, and a netlink overrun (ENOBUFS), is followed by a
 * full dump reconciled with the maps, so they never keep an address the
 * kernel no longer has.
 */
#ifndef NTPD_ADDRWATCH_H
#define NTPD_ADDRWATCH_H

#include <stddef.h>

#include "loader.h"

struct addrwatch;

/* Fill the maps of att[0..n) and keep them current from a thread.
 * Returns 0 or -errno; *out is freed by addrwatch_stop. */
int addrwatch_start(struct addrwatch **out, struct ntpd_attachment *att, int n);
void addrwatch_stop(struct addrwatch *aw);

/*
 * Addresses served on every attachment, untagged and on each of its VLAN
 * paths, while the host has them on any interface: the anycast service
 * addresses, which live on lo or a dummy device (anycast.h puts them there
 * only while healthy), never on the interface XDP is attached to.  While
 * an address is not on the host it is not served: XDP passes requests for
 * it, as for any address not ours.  Set before addrwatch_start.
 * 0, or -ENOSPC beyond ADDRWATCH_EXTRA_MAX.
 */
#define ADDRWATCH_EXTRA_MAX	16

int addrwatch_serve_anywhere(int family, const void *addr);

/*
 * One resynchronisation, in three steps (exposed for the unit tests, which
 * feed it crafted dumps): feed RTM_NEWLINK messages, then RTM_NEWADDR ones
 * (netlink buffers, as a dump returns them), then commit: each attached
 * attachment's maps are made exactly what was fed, entries missing from the
 * dump deleted.  IPv6 addresses still tentative or whose DAD failed are kept
 * as NTPD_LOCAL_TENTATIVE, not served.
 */
struct addrwatch_sync;

struct addrwatch_sync *addrwatch_sync_new(struct ntpd_attachment *att, int n);
void addrwatch_sync_feed(struct addrwatch_sync *s, const void *buf, size_t len);
/* One address of the kind addrwatch_serve_anywhere() names, for this sync. */
int addrwatch_sync_extra(struct addrwatch_sync *s, int family, const void *addr);
int addrwatch_sync_commit(struct addrwatch_sync *s);
void addrwatch_sync_free(struct addrwatch_sync *s);

#endif /* NTPD_ADDRWATCH_H */
