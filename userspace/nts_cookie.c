// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "nts_cookie.h"
#include "hazard.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
/* last: maps the OpenSSL names above to the lazily loaded library */
#include "openssl_lazy.h"

#define COOKIE_PLAIN_LEN	(2 + 2 * NTS_SIV_KEY_LEN)
#define COOKIE_SEALED_LEN	(4 + NTS_COOKIE_NONCE_LEN + NTS_SIV_TAG_LEN + COOKIE_PLAIN_LEN)
_Static_assert(COOKIE_SEALED_LEN <= NTS_COOKIE_LEN && NTS_COOKIE_LEN % 4 == 0,
	       "a cookie fits its padded length");
#define FILE_MAGIC		"xdp-ntpd-nts-keys 1"

#define KEY_CACHE	8	/* per thread: a ring's four, and room for a
				 * rotation's newcomer or a second ring's */

/* Each thread's master keys, scheduled once (nts_aes_siv.h), by serial. */
struct cached_key {
	uint64_t serial;		/* 0: empty */
	struct nts_siv_key k;
};

static struct {
	pthread_once_t once;
	pthread_key_t exit_key;
	int err;
	uint64_t next_serial;
} cookie_global = { .once = PTHREAD_ONCE_INIT };

static __thread struct {
	bool exit_set;
	int next;			/* the slot a miss takes, round robin */
	struct cached_key slot[KEY_CACHE];
} cache;

static void cache_thread_exit(void *unused)
{
	int i;

	(void)unused;
	for (i = 0; i < KEY_CACHE; i++) {
		if (cache.slot[i].k.mac)
			nts_siv_key_free(&cache.slot[i].k);
		cache.slot[i].serial = 0;
	}
	cache.exit_set = false;
}

static void cookie_setup(void)
{
	cookie_global.err = pthread_key_create(&cookie_global.exit_key, cache_thread_exit);
}

static uint64_t new_serial(void)
{
	return __atomic_add_fetch(&cookie_global.next_serial, 1, __ATOMIC_RELAXED);
}

/*
 * mk's schedule in this thread: found by serial (an id can come back with
 * other bytes from a fleet's file; a serial never does), else keyed into
 * the next slot.  Keys a set no longer holds age out as slots are reused.
 */
static struct nts_siv_key *scheduled(const struct nts_master_key *mk)
{
	struct cached_key *c;
	int i;

	for (i = 0; i < KEY_CACHE; i++)
		if (cache.slot[i].serial == mk->serial)
			return &cache.slot[i].k;
	if (!cache.exit_set) {
		pthread_once(&cookie_global.once, cookie_setup);
		if (cookie_global.err ||
		    pthread_setspecific(cookie_global.exit_key, &cache))
			return NULL;
		cache.exit_set = true;
	}
	c = &cache.slot[cache.next];
	cache.next = (cache.next + 1) % KEY_CACHE;
	c->serial = 0;
	if (!c->k.mac && nts_siv_key_init(&c->k))
		return NULL;
	if (nts_siv_key_set(&c->k, mk->key))
		return NULL;
	c->serial = mk->serial;
	return &c->k;
}

int nts_cookie_ring_init(struct nts_cookie_ring *r, const char *dir)
{
	memset(r, 0, sizeof(*r));
	if (dir) {
		size_t len = strlen(dir) + sizeof("/" NTS_KEYS_FILE);

		r->path = malloc(len);
		if (!r->path)
			return -ENOMEM;
		snprintf(r->path, len, "%s/%s", dir, NTS_KEYS_FILE);
	}
	return -pthread_mutex_init(&r->write_lock, NULL);
}

static void set_free(struct nts_key_set *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

/* Free the replaced sets no reader holds any more.  Under write_lock. */
static void sweep(struct nts_cookie_ring *r)
{
	struct nts_key_set **p = &r->retired, *s;

	while ((s = *p)) {
		if (hazard_held(s)) {
			p = &s->retired_next;
			continue;
		}
		*p = s->retired_next;
		set_free(s);
	}
}

/* Make next the set readers see; the old one retired.  Under write_lock. */
static void publish(struct nts_cookie_ring *r, struct nts_key_set *next)
{
	struct nts_key_set *old = __atomic_exchange_n(&r->cur, next, __ATOMIC_SEQ_CST);

	if (old) {
		old->retired_next = r->retired;
		r->retired = old;
	}
	sweep(r);
}

void nts_cookie_ring_free(struct nts_cookie_ring *r)
{
	struct nts_key_set *s;

	set_free(r->cur);
	r->cur = NULL;
	while ((s = r->retired)) {
		r->retired = s->retired_next;
		set_free(s);
	}
	pthread_mutex_destroy(&r->write_lock);
	free(r->path);
	r->path = NULL;
}

static int parse_hex(const char *s, uint8_t *out, size_t len)
{
	size_t i;

	if (strlen(s) != 2 * len)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return -EINVAL;
	return 0;
}

/* "ID CREATED HEXKEY" lines, newest first, after the magic line */
static int read_keys(FILE *f, const char *path, struct nts_master_key *keys, int *n)
{
	char line[256], hex[2 * NTS_SIV_KEY_LEN + 2];
	unsigned int id;
	long long created;
	int lineno = 1;

	if (!fgets(line, sizeof(line), f) || strncmp(line, FILE_MAGIC "\n", sizeof(FILE_MAGIC))) {
		pr_err("nts: %s: not an NTS key file (first line not \"%s\")\n", path, FILE_MAGIC);
		return -EINVAL;
	}
	*n = 0;
	while (fgets(line, sizeof(line), f) && *n < NTS_COOKIE_KEYS) {
		lineno++;
		if (sscanf(line, "%x %lld %65s", &id, &created, hex) != 3 ||
		    parse_hex(hex, keys[*n].key, NTS_SIV_KEY_LEN)) {
			pr_err("nts: %s:%d: expected \"ID CREATED KEY\" (hex id, "
			       "Unix seconds, 64 hex digits)\n", path, lineno);
			return -EINVAL;
		}
		keys[*n].id = id;
		keys[*n].created = created;
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

int nts_cookie_ring_load(struct nts_cookie_ring *r)
{
	struct nts_key_set *set;
	struct stat sb;
	int i, err;
	FILE *f;

	if (!r->path)
		return -ENOENT;
	set = calloc(1, sizeof(*set));
	if (!set)
		return -ENOMEM;
	f = fopen(r->path, "re");
	err = f ? 0 : -errno;
	if (!err && fstat(fileno(f), &sb))
		err = -errno;
	if (!err && (sb.st_mode & 077)) {
		pr_err("nts: %s: readable or writable by group or others (mode %o): refused\n",
		       r->path, (unsigned int)(sb.st_mode & 0777));
		err = -EPERM;
	}
	if (!err)
		err = read_keys(f, r->path, set->keys, &set->n);
	if (f)
		fclose(f);
	if (err) {
		set_free(set);
		return err;
	}
	for (i = 0; i < set->n; i++)
		set->keys[i].serial = new_serial();
	pthread_mutex_lock(&r->write_lock);
	r->file_mtime = sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
	publish(r, set);
	pthread_mutex_unlock(&r->write_lock);
	return 0;
}

static int save_keys(struct nts_cookie_ring *r, const struct nts_key_set *set)
{
	char tmp[4096];
	struct stat sb;
	int fd, i, k, err = 0;
	FILE *f;

	if (!r->path)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", r->path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto cleanup;
	}
	fprintf(f, "%s\n", FILE_MAGIC);
	for (i = 0; i < set->n; i++) {
		fprintf(f, "%08x %lld ", set->keys[i].id, (long long)set->keys[i].created);
		for (k = 0; k < NTS_SIV_KEY_LEN; k++)
			fprintf(f, "%02x", set->keys[i].key[k]);
		fputc('\n', f);
	}
	if (fflush(f) || fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, r->path))
		err = -errno;
	if (!err && !stat(r->path, &sb))
		r->file_mtime = sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
cleanup:
	if (err) {
		unlink(tmp);
		pr_err("nts: writing %s: %s\n", r->path, strerror(-err));
	}
	return err;
}

static int set_has_id(const struct nts_key_set *s, uint32_t id)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->keys[i].id == id)
			return 1;
	return 0;
}

int nts_cookie_ring_rotate(struct nts_cookie_ring *r, int64_t now)
{
	struct nts_key_set *next = calloc(1, sizeof(*next)), *cur;
	struct nts_master_key *fresh;
	int err = 0;

	if (!next)
		return -ENOMEM;
	fresh = &next->keys[0];
	fresh->created = now;
	if (RAND_priv_bytes(fresh->key, sizeof(fresh->key)) != 1 ||
	    RAND_bytes((unsigned char *)&fresh->id, sizeof(fresh->id)) != 1) {
		set_free(next);
		return -EIO;
	}
	fresh->serial = new_serial();
	pthread_mutex_lock(&r->write_lock);
	cur = r->cur;
	if (cur) {
		/* the older keys keep their serials: their schedules stay valid */
		memcpy(&next->keys[1], &cur->keys[0], sizeof(cur->keys[0]) * (NTS_COOKIE_KEYS - 1));
		next->n = cur->n < NTS_COOKIE_KEYS ? cur->n + 1 : NTS_COOKIE_KEYS;
	} else {
		next->n = 1;
	}
	/* a new id never names an older key still in the ring */
	while (cur && set_has_id(cur, fresh->id))
		fresh->id++;
	err = save_keys(r, next);
	/* in use even when not saved: the cookies it seals open here */
	publish(r, next);
	pthread_mutex_unlock(&r->write_lock);
	return err;
}

int nts_cookie_ring_due(struct nts_cookie_ring *r, int64_t now, int64_t period)
{
	int due;

	pthread_mutex_lock(&r->write_lock);
	due = !r->cur || !r->cur->n || now - r->cur->keys[0].created >= period;
	pthread_mutex_unlock(&r->write_lock);
	return due;
}

int nts_cookie_ring_keys(struct nts_cookie_ring *r)
{
	int n;

	pthread_mutex_lock(&r->write_lock);
	n = r->cur ? r->cur->n : 0;
	pthread_mutex_unlock(&r->write_lock);
	return n;
}

int nts_cookie_seal(struct nts_cookie_ring *r, const struct nts_client_keys *k, uint8_t *out)
{
	uint8_t plain[COOKIE_PLAIN_LEN] = { 0, NTS_AEAD_AES_SIV_CMAC_256 };
	const struct nts_siv_ad ad[2] = { { out, 4 }, { out + 4, NTS_COOKIE_NONCE_LEN } };
	const struct nts_master_key *mk;
	struct nts_siv_key *sk;
	struct nts_key_set *set;
	int err;

	_Static_assert(NTS_COOKIE_NONCE_LEN == NTS_SIV_NONCE_LEN, "one nonce per cookie");
	err = nts_siv_nonce(out + 4);
	if (err)
		return err;
	err = hazard_acquire((void *const *)&r->cur, (void **)&set);
	if (err)
		return err;
	err = -ENOKEY;
	if (set && set->n) {
		mk = &set->keys[0];
		out[0] = mk->id >> 24;
		out[1] = (mk->id >> 16) & 0xff;
		out[2] = (mk->id >> 8) & 0xff;
		out[3] = mk->id & 0xff;
		memcpy(plain + 2, k->c2s, NTS_SIV_KEY_LEN);
		memcpy(plain + 2 + NTS_SIV_KEY_LEN, k->s2c, NTS_SIV_KEY_LEN);
		sk = scheduled(mk);
		err = sk ? nts_siv_seal_k(sk, ad, 2, plain, sizeof(plain),
					  out + 4 + NTS_COOKIE_NONCE_LEN) : -ENOMEM;
	}
	hazard_release();
	memset(out + COOKIE_SEALED_LEN, 0, NTS_COOKIE_LEN - COOKIE_SEALED_LEN);
	OPENSSL_cleanse(plain, sizeof(plain));
	return err;
}

int nts_cookie_open(struct nts_cookie_ring *r, const uint8_t *cookie, size_t len,
		    struct nts_client_keys *k)
{
	const struct nts_siv_ad ad[2] = { { cookie, 4 }, { cookie + 4, NTS_COOKIE_NONCE_LEN } };
	uint8_t plain[COOKIE_PLAIN_LEN];
	struct nts_siv_key *sk;
	struct nts_key_set *set;
	uint32_t id;
	int i, err;

	if (len != NTS_COOKIE_LEN)
		return -EINVAL;
	id = (uint32_t)cookie[0] << 24 | (uint32_t)cookie[1] << 16 | cookie[2] << 8 | cookie[3];
	err = hazard_acquire((void *const *)&r->cur, (void **)&set);
	if (err)
		return err;
	err = -ENOKEY;
	for (i = 0; set && i < set->n; i++) {
		if (set->keys[i].id != id)
			continue;
		sk = scheduled(&set->keys[i]);
		err = sk ? nts_siv_open_k(sk, ad, 2, cookie + 4 + NTS_COOKIE_NONCE_LEN,
					  COOKIE_SEALED_LEN - 4 - NTS_COOKIE_NONCE_LEN, plain)
			 : -ENOMEM;
		break;
	}
	hazard_release();
	if (!err && (plain[0] || plain[1] != NTS_AEAD_AES_SIV_CMAC_256))
		err = -EINVAL;
	if (!err) {
		memcpy(k->c2s, plain + 2, NTS_SIV_KEY_LEN);
		memcpy(k->s2c, plain + 2 + NTS_SIV_KEY_LEN, NTS_SIV_KEY_LEN);
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	return err;
}
