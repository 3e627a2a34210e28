// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "policy.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void policy_set_rate(struct ntpd_policy *p, double per_s, __u32 burst)
{
	p->rate.cost_ns = (__u64)(1e9 / per_s);
	p->rate.burst_ns = p->rate.cost_ns * burst;
}

void policy_defaults(struct ntpd_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->rate.enabled = 1;
	policy_set_rate(p, NTPD_RATE_DEFAULT_PER_S, NTPD_RATE_DEFAULT_BURST);
	p->rate.leak_shift = NTPD_RATE_DEFAULT_LEAK;
	p->rate.prefix4 = NTPD_RATE_PREFIX4_DEFAULT;
	p->rate.prefix6 = NTPD_RATE_PREFIX6_DEFAULT;
	p->table_size = NTPD_RATE_TABLE_DEFAULT;
}

int policy_parse_rate(struct ntpd_policy *p, const char *text)
{
	char *end;
	double per_s;
	unsigned long burst;

	if (!strcmp(text, "off")) {
		p->rate.enabled = 0;
		return 0;
	}
	per_s = strtod(text, &end);
	/* written so that NaN fails too (every comparison with it is false) */
	if (end == text || *end != '/' || !(per_s >= POLICY_RATE_MIN && per_s <= POLICY_RATE_MAX))
		return -EINVAL;
	burst = strtoul(end + 1, &end, 10);
	if (*end || burst < 1 || burst > POLICY_BURST_MAX)
		return -EINVAL;
	p->rate.enabled = 1;
	policy_set_rate(p, per_s, (__u32)burst);
	return 0;
}

int policy_add_acl(struct ntpd_policy *p, const char *cidr, __u8 action)
{
	struct acl_rule r = { .action = action };
	char buf[64], *slash;
	int max;

	if (p->n_acl == POLICY_MAX_ACL || strlen(cidr) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, r.addr) == 1)
		r.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, r.addr) == 1)
		r.family = AF_INET6;
	else
		return -EINVAL;
	max = r.family == AF_INET ? 32 : 128;
	r.prefixlen = (__u8)max;
	if (slash) {
		char *end;
		long len = strtol(slash + 1, &end, 10);

		if (end == slash + 1 || *end || len < 0 || len > max)
			return -EINVAL;
		r.prefixlen = (__u8)len;
	}
	p->acl[p->n_acl++] = r;
	if (r.family == AF_INET)
		p->rate.acl4_enabled = 1;
	else
		p->rate.acl6_enabled = 1;
	return 0;
}

static bool has_rule(const struct ntpd_policy *p, int family, __u32 prefixlen, const __u8 *addr)
{
	int i;

	for (i = 0; i < p->n_acl; i++) {
		const struct acl_rule *r = &p->acl[i];

		if (r->family == family && r->prefixlen == prefixlen &&
		    !memcmp(r->addr, addr, family == AF_INET ? 4 : 16))
			return true;
	}
	return false;
}

/* Delete the trie's keys that `p` does not have (after the new ones are in). */
static int remove_stale(int fd, int family, const struct ntpd_policy *p)
{
	static union { struct ntpd_acl4_key k4; struct ntpd_acl6_key k6; } keys[POLICY_MAX_ACL * 2];
	int n = 0, i;
	void *prev = NULL;

	/* collect first: deleting while walking a trie restarts the walk */
	while (n < (int)(sizeof(keys) / sizeof(keys[0])) &&
	       !bpf_map_get_next_key(fd, prev, &keys[n]))
		prev = &keys[n++];
	for (i = 0; i < n; i++) {
		const __u8 *addr = family == AF_INET ? keys[i].k4.addr : keys[i].k6.addr;

		if (!has_rule(p, family, keys[i].k4.prefixlen, addr) &&
		    bpf_map_delete_elem(fd, &keys[i]) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

int policy_apply(const struct ntpd_policy *p, int rate_cfg_fd, int acl4_fd, int acl6_fd)
{
	__u32 zero = 0;
	int i, err;

	/* new entries first, stale ones after: no instant where a rule in both
	 * the old and the new list is missing */
	for (i = 0; i < p->n_acl; i++) {
		const struct acl_rule *r = &p->acl[i];
		struct ntpd_acl4_key k4 = { .prefixlen = r->prefixlen };
		struct ntpd_acl6_key k6 = { .prefixlen = r->prefixlen };

		if (r->family == AF_INET) {
			memcpy(k4.addr, r->addr, 4);
			err = bpf_map_update_elem(acl4_fd, &k4, &r->action, BPF_ANY);
		} else {
			memcpy(k6.addr, r->addr, 16);
			err = bpf_map_update_elem(acl6_fd, &k6, &r->action, BPF_ANY);
		}
		if (err)
			return -errno;
	}
	err = remove_stale(acl4_fd, AF_INET, p) ?: remove_stale(acl6_fd, AF_INET6, p);
	if (err)
		return err;
	/* the switches last: lists are complete before they are consulted */
	return bpf_map_update_elem(rate_cfg_fd, &zero, &p->rate, BPF_ANY) ? -errno : 0;
}
