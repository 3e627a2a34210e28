// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "policy.h"
#include "log.h"
#include "testhook.h"

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

/* The keys of one trie, collected before any change: deleting while walking
 * a trie restarts the walk.  With each key its value (the rule's action). */
struct trie_keys {
	union acl_key { struct ntpd_acl4_key k4; struct ntpd_acl6_key k6; } *keys;
	__u8 *actions;
	int n;
};

static int trie_collect(int fd, struct trie_keys *t)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	void *prev = NULL;

	memset(t, 0, sizeof(*t));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	t->keys = calloc(info.max_entries + 1, sizeof(t->keys[0]));
	t->actions = calloc(info.max_entries + 1, 1);
	if (!t->keys || !t->actions)
		return -ENOMEM;
	while (t->n < (int)info.max_entries && !bpf_map_get_next_key(fd, prev, &t->keys[t->n])) {
		prev = &t->keys[t->n];
		if (bpf_map_lookup_elem(fd, prev, &t->actions[t->n]))
			return -errno;
		t->n++;
	}
	return 0;
}

static void trie_free(struct trie_keys *t)
{
	free(t->keys);
	free(t->actions);
}

static bool trie_has(const struct trie_keys *t, int family, const union acl_key *k)
{
	size_t size = family == AF_INET ? sizeof(k->k4) : sizeof(k->k6);
	int i;

	for (i = 0; i < t->n; i++)
		if (!memcmp(&t->keys[i], k, size))
			return true;
	return false;
}

/* Delete the trie's keys that `p` does not have (after the new ones are in). */
static int remove_stale(int fd, int family, const struct ntpd_policy *p)
{
	struct trie_keys now;
	int i, err;

	err = trie_collect(fd, &now);
	for (i = 0; !err && i < now.n; i++) {
		const __u8 *addr = family == AF_INET ? now.keys[i].k4.addr : now.keys[i].k6.addr;

		if (!has_rule(p, family, now.keys[i].k4.prefixlen, addr) &&
		    bpf_map_delete_elem(fd, &now.keys[i]) && errno != ENOENT)
			err = -errno;
	}
	trie_free(&now);
	return err;
}

/* Put a trie back to what `before` holds: keys added since removed, the
 * rest rewritten with their old actions.  Room is never short: deleting
 * comes first, and what is rewritten fitted before. */
static int trie_restore(int fd, int family, const struct trie_keys *before)
{
	struct trie_keys now;
	int i, err;

	err = trie_collect(fd, &now);
	for (i = 0; !err && i < now.n; i++)
		if (!trie_has(before, family, &now.keys[i]) &&
		    bpf_map_delete_elem(fd, &now.keys[i]) && errno != ENOENT)
			err = -errno;
	for (i = 0; !err && i < before->n; i++)
		if (bpf_map_update_elem(fd, &before->keys[i], &before->actions[i], BPF_ANY))
			err = -errno;
	trie_free(&now);
	return err;
}

static int write_rules(const struct ntpd_policy *p, int acl4_fd, int acl6_fd)
{
	int i, err;

	for (i = 0; i < p->n_acl; i++) {
		const struct acl_rule *r = &p->acl[i];
		struct ntpd_acl4_key k4 = { .prefixlen = r->prefixlen };
		struct ntpd_acl6_key k6 = { .prefixlen = r->prefixlen };

		/* the end-to-end test's way to fail a change half way */
		if (i == p->n_acl / 2 && p->n_acl >= 2 && testhook_due(TESTHOOK_ACL_WRITE_FAIL))
			return -EIO;
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
	return 0;
}

int policy_apply(const struct ntpd_policy *p, int rate_cfg_fd, int acl4_fd, int acl6_fd)
{
	struct trie_keys before4, before6;
	__u32 zero = 0;
	int err;

	/* what to go back to if any write fails: never a mix of two lists */
	err = trie_collect(acl4_fd, &before4);
	if (!err)
		err = trie_collect(acl6_fd, &before6);
	else
		memset(&before6, 0, sizeof(before6));
	if (err)
		goto cleanup;
	/* new entries first, stale ones after: no instant where a rule in both
	 * the old and the new list is missing */
	err = write_rules(p, acl4_fd, acl6_fd) ?:
	      remove_stale(acl4_fd, AF_INET, p) ?: remove_stale(acl6_fd, AF_INET6, p);
	/* the switches last: lists are complete before they are consulted */
	if (!err && bpf_map_update_elem(rate_cfg_fd, &zero, &p->rate, BPF_ANY))
		err = -errno;
	if (err && (trie_restore(acl4_fd, AF_INET, &before4) ||
		    trie_restore(acl6_fd, AF_INET6, &before6))) {
		pr_warn("access lists: a change failed (%s) and so did putting the previous "
			"lists back: the maps hold a mix\n", strerror(-err));
		err = -ENOTRECOVERABLE;
	}
cleanup:
	trie_free(&before4);
	trie_free(&before6);
	return err;
}
