// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "client_policy.h"
#include "log.h"
#include "ntp_verdict.h"	/* and ntp_proto.h under it */
#include "siphash.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#define LOCK_STRIPES 64
/*
 * Ways per set of the socket-mode rate table.  A client is evicted only by
 * RATE_WAYS others in its set, the least recently seen first; with the keyed
 * hash nobody can aim that many at one set, and a set is searched in one or
 * two cache lines' worth of keys.
 */
#define RATE_WAYS 8

struct mem_slot {
	struct ntpd_rate_key key;
	struct ntpd_rate_entry entry;
	__u64 last_use;		/* the set's clock at the latest request; 0: free */
};

struct mem_set {
	__u64 clock;		/* counts the set's requests: exact LRU order, no clock read */
	struct mem_slot way[RATE_WAYS];
};

struct client_policy {
	/* the lists and the rate config, what XDP has in its maps too (every
	 * change goes to both); replaced by client_policy_update */
	struct ntpd_policy cfg;
	pthread_rwlock_t cfg_lock;
	int rate_fd;	/* XDP's bucket map, one bucket per client on both paths; -1 without BPF */
	__u32 over_limit;	/* requests found over the limit in rate_fd: the leak's count */
	struct mem_set *sets;		/* socket mode only */
	size_t n_sets;
	/* SipHash key, random per start: the set a client lands in cannot be
	 * predicted, so colliding sources cannot be chosen to evict a client */
	__u8 hash_key[16];
	pthread_mutex_t stripe[LOCK_STRIPES];
};

int client_policy_open(struct client_policy **out, const struct ntpd_policy *p,
		       const struct ntpd_attachment *att)
{
	struct client_policy *cp = calloc(1, sizeof(*cp));
	int i, err;

	if (!cp)
		return -ENOMEM;
	cp->cfg = *p;
	cp->rate_fd = -1;
	if (att && att->attached) {
		cp->rate_fd = att->rate_fd;
	} else {
		/* at least table_size clients, in whole sets */
		cp->n_sets = ((size_t)p->table_size + RATE_WAYS - 1) / RATE_WAYS;
		if (!cp->n_sets)
			cp->n_sets = 1;
		cp->sets = calloc(cp->n_sets, sizeof(*cp->sets));
		if (!cp->sets) {
			err = -ENOMEM;
			goto cleanup;
		}
		if (getrandom(cp->hash_key, sizeof(cp->hash_key), 0) != sizeof(cp->hash_key)) {
			err = -errno;
			pr_warn("rate table: no random hash key: %s\n", strerror(errno));
			goto cleanup;
		}
	}
	for (i = 0; i < LOCK_STRIPES; i++)
		pthread_mutex_init(&cp->stripe[i], NULL);
	pthread_rwlock_init(&cp->cfg_lock, NULL);
	*out = cp;
	return 0;

cleanup:
	free(cp->sets);
	free(cp);
	return err;
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
	free(cp->sets);
	free(cp);
}

static bool prefix_match(const __u8 *a, const __u8 *b, int bits)
{
	int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)bytes))
		return false;
	return !rest || ((a[bytes] ^ b[bytes]) & (__u8)(0xff << (8 - rest))) == 0;
}

/*
 * Most specific matching entry, as the LPM trie answers.  Always from our
 * copy of the rules, also when XDP has the same ones in its tries: every
 * change goes through policy_apply and client_policy_update together, and a
 * trie lookup here would be a system call per request.
 */
static __u8 acl_action(const struct client_policy *cp, int family, const void *saddr)
{
	int i, best = -1;
	__u8 action = 0;

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

static size_t set_of(const struct client_policy *cp, const struct ntpd_rate_key *k)
{
	__u64 h = siphash24_16(cp->hash_key, k->addr);

	/* the hash scaled onto [0, n_sets): no division, no bias worth naming */
	return (size_t)(((unsigned __int128)h * cp->n_sets) >> 64);
}

/*
 * The client's way in its set, or the way it takes: a free one, else the
 * least recently used, which starts again with a full bucket.  Returns NULL
 * for a newcomer (after installing it), the way for a known client.
 */
static struct mem_slot *lookup_or_install(struct mem_set *set, const struct ntpd_rate_key *key,
					  __u64 now, const struct ntpd_rate_config *cfg)
{
	struct mem_slot *victim = &set->way[0];
	int i;

	set->clock++;
	for (i = 0; i < RATE_WAYS; i++) {
		struct mem_slot *s = &set->way[i];

		if (s->last_use && !memcmp(&s->key, key, sizeof(*key))) {
			s->last_use = set->clock;
			return s;
		}
		if (s->last_use < victim->last_use)
			victim = s;
	}
	victim->key = *key;
	victim->entry = (struct ntpd_rate_entry){ .tat_ns = now + cfg->cost_ns };
	victim->last_use = set->clock;
	return NULL;
}

/*
 * One GCRA step in XDP's map, shared with the XDP program: lookup, decide,
 * update (the XDP side uses compare-and-swap; this slow path may lose a race
 * and let one request too many through, never the other way).
 *
 * An over-limit request makes one call, not two: its bucket does not move
 * (ntp_rate_conforms), and the entry's own `limited` only feeds the leak,
 * so this path leaks by a count of its own, one in 2^leak_shift of its
 * over-limit requests (all clients together) as XDP leaks of its, and the
 * map is not written.
 * Both paths still charge the one bucket per client.
 */
static int take_shared(struct client_policy *cp, const struct ntpd_rate_config *cfg,
		       const struct ntpd_rate_key *key, __u64 now, __u32 *limited)
{
	struct ntpd_rate_entry e = { 0 };
	__u64 new_tat;
	int missing;

	missing = bpf_map_lookup_elem(cp->rate_fd, key, &e);
	if (missing) {
		e.tat_ns = now + cfg->cost_ns;	/* new client: full bucket, less this */
		bpf_map_update_elem(cp->rate_fd, key, &e, BPF_NOEXIST);
		return 1;
	}
	if (!ntp_rate_conforms(e.tat_ns, now, cfg, &new_tat)) {
		*limited = __atomic_add_fetch(&cp->over_limit, 1, __ATOMIC_RELAXED);
		return 0;
	}
	e.tat_ns = new_tat;
	bpf_map_update_elem(cp->rate_fd, key, &e, BPF_EXIST);
	return 1;
}

/* One GCRA step on the client's entry: 1 if the request conforms, 0 if
 * over the limit with *limited the count so far. */
static int take(struct client_policy *cp, const struct ntpd_rate_config *cfg,
		const struct ntpd_rate_key *key, __u64 now, __u32 *limited)
{
	__u64 new_tat;
	int ok;

	if (cp->rate_fd >= 0)
		return take_shared(cp, cfg, key, now, limited);

	size_t set = set_of(cp, key);
	pthread_mutex_t *lock = &cp->stripe[set % LOCK_STRIPES];
	struct mem_slot *s;

	pthread_mutex_lock(lock);
	s = lookup_or_install(&cp->sets[set], key, now, cfg);
	if (!s) {
		/* new client: full bucket, less this request */
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

struct ntp_verdict client_policy_check(struct client_policy *cp, int family, const void *saddr,
				      __u64 now_tai_ns)
{
	struct ntpd_rate_config cfg;
	struct ntpd_rate_key key;
	__u32 limited = 0;
	int over_limit = 0;
	__u8 acl;

	pthread_rwlock_rdlock(&cp->cfg_lock);
	cfg = cp->cfg.rate;
	acl = acl_action(cp, family, saddr);
	pthread_rwlock_unlock(&cp->cfg_lock);
	/* the XDP program's ladder (bpf/ntp_verdict.h): only the lookups differ */
	if (ntp_policy_charges(&cfg, acl)) {
		ntp_rate_key(&key, family == AF_INET6, saddr, &cfg);
		over_limit = !take(cp, &cfg, &key, now_tai_ns, &limited);
	}
	return ntp_policy_verdict(&cfg, acl, over_limit, limited);
}

void client_policy_set_hash_key(struct client_policy *cp, const __u8 key[16])
{
	memcpy(cp->hash_key, key, sizeof(cp->hash_key));
}


long client_policy_set_of(struct client_policy *cp, int family, const void *saddr)
{
	struct ntpd_rate_key key;

	if (!cp->sets)
		return -EOPNOTSUPP;
	ntp_rate_key(&key, family == AF_INET6, saddr, &cp->cfg.rate);
	return (long)set_of(cp, &key);
}
