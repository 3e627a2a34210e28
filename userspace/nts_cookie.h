/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * NTS cookies (RFC 8915 6): the client's two keys sealed under a server
 * master key, so the server keeps no per-client state.  A cookie is
 *
 *	key id (4) | nonce (16) | AES-SIV(master, ad = key id, nonce,
 *				          AEAD id (2) | C2S (32) | S2C (32))
 *
 * 4 + 16 + 16 + 66 = 102 bytes, padded to 104 for the 4-byte alignment of
 * NTP extension fields.  The ring holds the current key and the previous
 * NTS_COOKIE_KEYS - 1: a cookie sealed before a rotation still opens until
 * that many rotations have passed.  The keys live in a file (0600) that a
 * fleet behind one address shares and a restart reads back.
 */
#ifndef NTPD_NTS_COOKIE_H
#define NTPD_NTS_COOKIE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "nts_aes_siv.h"

#define NTS_COOKIE_KEYS		4
#define NTS_COOKIE_LEN		104
#define NTS_COOKIE_NONCE_LEN	16
#define NTS_KEYS_FILE		"ntskeys"	/* under ntsdumpdir, as chrony names it */

struct nts_master_key {
	uint32_t id;
	int64_t created;		/* Unix seconds */
	uint8_t key[NTS_SIV_KEY_LEN];
	uint64_t serial;		/* unique in the process: names its schedule */
};

/* What readers see: never changed once published, replaced whole. */
struct nts_key_set {
	int n;				/* keys[0] is the current one */
	struct nts_master_key keys[NTS_COOKIE_KEYS];
	struct nts_key_set *retired_next;	/* the writer's list of old sets */
};

/*
 * Seal and open take no lock: they read the published set under a hazard
 * pointer (hazard.h), and each thread keeps the set's keys scheduled
 * (nts_cookie.c).  Load and rotate, rare, serialise on write_lock, publish
 * a new set and free an old one when no reader holds it.
 */
struct nts_cookie_ring {
	struct nts_key_set *cur;	/* atomic; NULL before the first key */
	pthread_mutex_t write_lock;
	struct nts_key_set *retired;	/* replaced, still held by a reader */
	char *path;			/* NULL: keys only in memory */
	int64_t file_mtime;		/* of the file as last read or written */
};

/* The client's keys, what a cookie carries. */
struct nts_client_keys {
	uint8_t c2s[NTS_SIV_KEY_LEN];
	uint8_t s2c[NTS_SIV_KEY_LEN];
};

/* An empty ring; dir NULL keeps the keys in memory only.  0 or -errno. */
int nts_cookie_ring_init(struct nts_cookie_ring *r, const char *dir);
/* No seal or open may run on r any more (the socket workers have stopped). */
void nts_cookie_ring_free(struct nts_cookie_ring *r);
/*
 * Read the key file; -ENOENT when there is none (then rotate to make one).
 * A file readable or writable by group or others is refused (-EPERM).
 */
int nts_cookie_ring_load(struct nts_cookie_ring *r);
/* A new current key at now (Unix s), the oldest dropped past the ring's
 * size, and the file rewritten (beside itself, renamed into place). */
int nts_cookie_ring_rotate(struct nts_cookie_ring *r, int64_t now);
/* 1 when the current key is at least period old (or there is none). */
int nts_cookie_ring_due(struct nts_cookie_ring *r, int64_t now, int64_t period);
/* How many keys the ring holds (0: none yet, seal says -ENOKEY). */
int nts_cookie_ring_keys(struct nts_cookie_ring *r);

/* out gets NTS_COOKIE_LEN bytes under the current key.  0 or -errno. */
int nts_cookie_seal(struct nts_cookie_ring *r, const struct nts_client_keys *k, uint8_t *out);
/* -ENOKEY for a key id not in the ring, -EBADMSG for one that does not
 * open, -EINVAL for a wrong length or AEAD. */
int nts_cookie_open(struct nts_cookie_ring *r, const uint8_t *cookie, size_t len,
		    struct nts_client_keys *k);

#endif /* NTPD_NTS_COOKIE_H */
