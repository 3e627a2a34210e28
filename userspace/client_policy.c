// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "client_policy.h"
#include "ntp_proto.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define LOCK_STRIPES 64

struct mem_slot {
	struct ntpd_rate_key key;
	struct ntpd_rate_entry entry;
	bool used;
};

struct client_policy {
	/* lists, and the rate config in socket mode; replaced by client_policy_update */
	struct ntpd_policy cfg;
	pthread_rwlock_t cfg_lock;
	int rate_cfg_fd, rate_fd, acl4_fd, acl6_fd;	/* -1 without BPF */
	struct mem_slot *table;		/* socket mode only */
	size_t size;
	pthread_mutex_t stripe[LOCK_STRIPES];
};

int client_policy_open(struct client_policy **out, const struct ntpd_policy *p,
		       const struct ntpd_attachment *att)
{
	struct client_policy *cp = calloc(1, sizeof(*cp));
	int i;

	if (!cp)
		return -ENOMEM;
	cp->cfg = *p;
	cp->rate_cfg_fd = cp->rate_fd = cp->acl4_fd = cp->acl6_fd = -1;
	if (att && att->attached) {
		cp->rate_cfg_fd = att->rate_cfg_fd;
		cp->rate_fd = att->rate_fd;
		cp->acl4_fd = att->acl4_fd;
		cp->acl6_fd = att->acl6_fd;
	} else {
		cp->size = p->table_size;
		cp->table = calloc(cp->size, sizeof(*cp->table));
		if (!cp->table) {
			free(cp);
			return -ENOMEM;
		}
	}
	for (i = 0; i < LOCK_STRIPES; i++)
		pthread_mutex_init(&cp->stripe[i], NULL);
	pthread_rwlock_init(&cp->cfg_lock, NULL);
	*out = cp;
	return 0;
}

void client_policy_update(struct client_policy *cp, const struct ntpd_policy *p)
{
	pthread_rwlock_wrlock(&cp->cfg_lock);
	cp->cfg.rate = p->rate;
	memcpy(cp->cfg.acl, p->acl, sizeof(p->acl[0]) * (size_t)p->n_acl);
	cp->cfg.n_acl = p->n_acl;
	pthread_rwlock_unlock(&cp->cfg_lock);
}

void client_policy_close(struct client_policy *cp)
{
	if (!cp)
		return;
	free(cp->table);
	free(cp);
}

static bool prefix_match(const __u8 *a, const __u8 *b, int bits)
{
	int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)bytes))
		return false;
	return !rest || ((a[bytes] ^ b[bytes]) & (__u8)(0xff << (8 - rest))) == 0;
}

/* Most specific matching entry, as the LPM trie answers. */
static __u8 acl_action(const struct client_policy *cp, int family, const void *saddr)
{
	int i, best = -1;
	__u8 action = 0, buf[20];

	if (family == AF_INET && cp->acl4_fd >= 0) {
		struct ntpd_acl4_key k = { .prefixlen = 32 };

		memcpy(k.addr, saddr, 4);
		return bpf_map_lookup_elem(cp->acl4_fd, &k, buf) ? 0 : buf[0];
	}
	if (family == AF_INET6 && cp->acl6_fd >= 0) {
		struct ntpd_acl6_key k = { .prefixlen = 128 };

		memcpy(k.addr, saddr, 16);
		return bpf_map_lookup_elem(cp->acl6_fd, &k, buf) ? 0 : buf[0];
	}
	for (i = 0; i < cp->cfg.n_acl; i++) {
		const struct acl_rule *r = &cp->cfg.acl[i];

		if (r->family == family && r->prefixlen > best &&
		    prefix_match(r->addr, saddr, r->prefixlen)) {
			best = r->prefixlen;
			action = r->action;
		}
	}
	return action;
}

static size_t slot_of(const struct ntpd_rate_key *k, size_t size)
{
	__u64 h = 1469598103934665603ULL;	/* FNV-1a */
	size_t i;

	for (i = 0; i < sizeof(k->addr); i++)
		h = (h ^ k->addr[i]) * 1099511628211ULL;
	return (size_t)(h % size);
}

/*
 * One GCRA step on the client's entry.  With BPF maps: lookup, decide,
 * update (the XDP side uses compare-and-swap; this slow path may lose a race
 * and let one request too many through, never the other way).  Returns 1
 * if the request conforms, 0 if over the limit; *limited the count so far.
 */
static int take(struct client_policy *cp, const struct ntpd_rate_config *cfg,
		const struct ntpd_rate_key *key, __u64 now, __u32 *limited)
{
	struct ntpd_rate_entry e = { 0 };
	__u64 new_tat;
	int ok;

	if (cp->rate_fd >= 0) {
		if (bpf_map_lookup_elem(cp->rate_fd, key, &e)) {
			e.tat_ns = now + cfg->cost_ns;	/* new client: full bucket, less this */
			bpf_map_update_elem(cp->rate_fd, key, &e, BPF_NOEXIST);
			return 1;
		}
		ok = ntp_rate_conforms(e.tat_ns, now, cfg, &new_tat);
		if (ok)
			e.tat_ns = new_tat;
		else
			*limited = ++e.limited;
		bpf_map_update_elem(cp->rate_fd, key, &e, BPF_EXIST);
		return ok;
	}

	struct mem_slot *s = &cp->table[slot_of(key, cp->size)];
	pthread_mutex_t *lock = &cp->stripe[(size_t)(s - cp->table) % LOCK_STRIPES];

	pthread_mutex_lock(lock);
	if (!s->used || memcmp(&s->key, key, sizeof(*key))) {
		/* direct-mapped: a colliding newcomer takes the slot */
		s->used = true;
		s->key = *key;
		s->entry = (struct ntpd_rate_entry){ .tat_ns = now + cfg->cost_ns };
		pthread_mutex_unlock(lock);
		return 1;
	}
	ok = ntp_rate_conforms(s->entry.tat_ns, now, cfg, &new_tat);
	if (ok)
		s->entry.tat_ns = new_tat;
	else
		*limited = ++s->entry.limited;
	pthread_mutex_unlock(lock);
	return ok;
}

__u32 client_policy_check(struct client_policy *cp, int family, const void *saddr,
			  __u64 now_tai_ns, __be32 *kod)
{
	struct ntpd_rate_config cfg;
	struct ntpd_rate_key key;
	__u32 zero = 0, limited = 0;
	__u8 action;

	pthread_rwlock_rdlock(&cp->cfg_lock);
	cfg = cp->cfg.rate;
	action = acl_action(cp, family, saddr);
	pthread_rwlock_unlock(&cp->cfg_lock);
	/* with BPF the live config is the map's (it may have been changed) */
	if (cp->rate_cfg_fd >= 0)
		bpf_map_lookup_elem(cp->rate_cfg_fd, &zero, &cfg);
	*kod = 0;
	if (action == NTPD_ACL_DENY) {
		if (!cfg.kod_deny)
			return NTPD_CNT_DENIED_DROPPED;
		*kod = NTP_KISS_DENY;
		return NTPD_CNT_DENIED_KOD;
	}
	if (!cfg.enabled)
		return NTP_REQ_ANSWER;
	if (family == AF_INET)
		ntp_rate_key_v4(&key, *(const __be32 *)saddr, cfg.prefix4);
	else
		ntp_rate_key_v6(&key, saddr, cfg.prefix6);
	if (take(cp, &cfg, &key, now_tai_ns, &limited))
		return NTP_REQ_ANSWER;
	if (!ntp_rate_leaks(limited, &cfg))
		return NTPD_CNT_RATE_DROPPED;
	if (!cfg.kod)
		return NTPD_CNT_RATE_LEAKED;
	*kod = NTP_KISS_RATE;
	return NTPD_CNT_RATE_KOD;
}
