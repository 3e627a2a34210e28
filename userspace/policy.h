/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Who gets answered: per-client rate limits and allow/deny lists, parsed from
 * the command line and written into the XDP program's maps (the socket
 * server applies the same rules from the same maps, or from its own table
 * when there is no BPF).
 */
#ifndef NTPD_POLICY_H
#define NTPD_POLICY_H

#include <stdbool.h>

#include "ntpd_shared.h"

#define POLICY_MAX_ACL 256

struct acl_rule {
	int family;		/* AF_INET or AF_INET6 */
	__u8 addr[16];
	__u8 prefixlen;
	__u8 action;		/* enum ntpd_acl_action */
};

struct ntpd_policy {
	struct ntpd_rate_config rate;
	__u32 table_size;
	struct acl_rule acl[POLICY_MAX_ACL];
	int n_acl;
};

/* Defaults for a public server (docs/rate-limiting.md says why). */
void policy_defaults(struct ntpd_policy *p);

/* Average requests/s and bucket size; the caller has checked the ranges. */
void policy_set_rate(struct ntpd_policy *p, double per_s, __u32 burst);
#define POLICY_RATE_MIN	0.001
#define POLICY_RATE_MAX	1e6
#define POLICY_BURST_MAX 100000

/* "RATE/BURST" (requests per second, bucket size) or "off". 0 or -EINVAL. */
int policy_parse_rate(struct ntpd_policy *p, const char *text);

/* "ADDR/LEN" or a bare address, appended with `action`. 0 or -EINVAL. */
int policy_add_acl(struct ntpd_policy *p, const char *cidr, __u8 action);

/*
 * Make an attachment's maps say what `p` says: its rules added, rules it
 * does not have removed, then the rate config.  Safe while serving.  All or
 * nothing: when a write fails the lists are put back as they were and the
 * rate config is not touched; 0, the -errno of the failed write (previous
 * policy in force), or -ENOTRECOVERABLE when putting back failed too.
 */
int policy_apply(const struct ntpd_policy *p, int rate_cfg_fd, int acl4_fd, int acl6_fd);

#endif /* NTPD_POLICY_H */
