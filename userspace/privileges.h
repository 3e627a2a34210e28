/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef NTPD_PRIVILEGES_H
#define NTPD_PRIVILEGES_H

#include <linux/types.h>
#include <stdbool.h>
#include <sys/types.h>

/* uid and gid of `user`; -ENOENT with a message when there is none. */
int privileges_lookup(const char *user, uid_t *uid, gid_t *gid);

/*
 * The capabilities (a bit mask, 1 << CAP_x) the daemon needs once start-up
 * is over, and nothing more (docs/security.md, "Capabilities"):
 *  - with XDP attached, the address watch attaches the program again when
 *    the interface is re-created (loader_relink): the program was loaded
 *    before the drop (loader_prepare_relink), the netlink attach needs
 *    CAP_NET_ADMIN.  Loading it then would need CAP_BPF, CAP_NET_ADMIN and
 *    CAP_PERFMON (without which the verifier refuses our packet parsing:
 *    "pointer comparison prohibited"), none of which is kept for it;
 *  - detaching at stop (no --keep-attached) needs CAP_NET_ADMIN;
 *  - socket mode needs none.
 * Map reads and writes go through descriptors already held and need none.
 */
__u64 privileges_needed(int n_attached, bool detach_at_stop);

/*
 * Called once, before any thread exists (a capability set is per thread
 * and every later thread inherits the caller's): optionally chroot, take
 * every capability not in `keep` out of the bounding and ambient sets,
 * become uid/gid with `keep` as the effective and permitted sets and an
 * empty inheritable one.  Returns 0 or -errno with a message.
 */
int privileges_drop(const char *user, uid_t uid, gid_t gid, const char *chroot_dir, __u64 keep);

/* "CAP_BPF CAP_NET_ADMIN", or "no capabilities", for the log. */
const char *privileges_describe(__u64 caps, char *buf, size_t len);

#endif /* NTPD_PRIVILEGES_H */
