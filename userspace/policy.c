// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "policy.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void set_rate(struct ntpd_policy *p, double per_s, __u32 burst)
{
	p->rate.cost_ns = (__u64)(1e9 / per_s);
	p->rate.burst_ns = p->rate.cost_ns * burst;
}

void policy_defaults(struct ntpd_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->rate.enabled = 1;
	set_rate(p, NTPD_RATE_DEFAULT_PER_S, NTPD_RATE_DEFAULT_BURST);
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
	if (end == text || *end != '/' || !(per_s >= 0.001 && per_s <= 1e6))
		return -EINVAL;
	burst = strtoul(end + 1, &end, 10);
	if (*end || burst < 1 || burst > 100000)
		return -EINVAL;
	p->rate.enabled = 1;
	set_rate(p, per_s, (__u32)burst);
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

int policy_apply(const struct ntpd_policy *p, int rate_cfg_fd, int acl4_fd, int acl6_fd)
{
	__u32 zero = 0;
	int i;

	for (i = 0; i < p->n_acl; i++) {
		const struct acl_rule *r = &p->acl[i];
		struct ntpd_acl4_key k4 = { .prefixlen = r->prefixlen };
		struct ntpd_acl6_key k6 = { .prefixlen = r->prefixlen };
		int err;

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
	/* the switches last: lists are complete before they are consulted */
	return bpf_map_update_elem(rate_cfg_fd, &zero, &p->rate, BPF_ANY) ? -errno : 0;
}

static void clear_trie(int fd, size_t key_size)
{
	__u8 key[sizeof(struct ntpd_acl6_key)], next[sizeof(struct ntpd_acl6_key)];

	if (key_size > sizeof(key))
		return;
	/* always delete the first key: iteration over a trie being emptied */
	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, key_size);
		if (bpf_map_delete_elem(fd, key))
			break;
	}
}

void policy_clear_lists(int acl4_fd, int acl6_fd)
{
	clear_trie(acl4_fd, sizeof(struct ntpd_acl4_key));
	clear_trie(acl6_fd, sizeof(struct ntpd_acl6_key));
}
