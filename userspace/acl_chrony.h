/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * chrony's way of writing allow/deny subnets, turned into the CIDR
 * policy_add_acl takes: "192.168" is 192.168.0.0/16, "10" is 10.0.0.0/8,
 * "1.2.3/20" keeps its prefix; full addresses and IPv6 pass unchanged.
 * And chrony's `all`: a rule that replaces the earlier ones inside it.
 */
#ifndef NTPD_ACL_CHRONY_H
#define NTPD_ACL_CHRONY_H

#include <stddef.h>

#include "policy.h"

/* 0, or -EINVAL for what is neither chrony's short form nor CIDR-shaped
 * (the address itself is policy_add_acl's to judge). */
int acl_chrony_subnet(const char *text, char *cidr, size_t len);

/* Remove every rule of p inside `cidr` (same family, at least as long a
 * prefix, same leading bits), then add cidr with `action`.  0 or -EINVAL;
 * p is unchanged when it fails. */
int acl_add_override(struct ntpd_policy *p, const char *cidr, __u8 action);

#endif /* NTPD_ACL_CHRONY_H */
