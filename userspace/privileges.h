/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef NTPD_PRIVILEGES_H
#define NTPD_PRIVILEGES_H

#include <stdbool.h>

#include <sys/types.h>

/* uid and gid of `user`; -ENOENT with a message when there is none. */
int privileges_lookup(const char *user, uid_t *uid, gid_t *gid);

/*
 * After sockets are bound, XDP attached and maps open: optionally chroot,
 * then become uid/gid.  Map reads and writes go through descriptors we
 * already hold and need no capability; detaching XDP at exit needs
 * CAP_NET_ADMIN, which is all we keep, and only when XDP is attached.
 * Returns 0 or -errno with a message.
 */
int privileges_drop(const char *user, uid_t uid, gid_t gid, const char *chroot_dir,
		    bool keep_net_admin);

#endif /* NTPD_PRIVILEGES_H */
