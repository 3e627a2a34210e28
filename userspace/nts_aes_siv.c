// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * AES-SIV (RFC 5297) from plain AES-128 in OpenSSL contexts keyed once:
 * S2V is AES-CMAC (RFC 4493) under K1 as one AES-128-CBC call per string
 * (cmac() says how no IV is set per call); the text is CTR under K2, its
 * counter blocks written here and encrypted in one AES-128-ECB call.
 * OpenSSL 3's own "AES-128-SIV" and its EVP_MAC CMAC give the same bytes
 * but look parameters up by name and set contexts up on every call (perf:
 * most of an NTS answer's cost went there, not to AES), and its SIV cannot
 * seal an empty text in 3.0 (its final step fails), which every NTS client
 * request needs.  Re-keying passes no cipher to EVP_EncryptInit_ex2: with one it
 * resets the context, frees and re-allocates the provider's, and sets the
 * padding anew by name; without, it only runs the AES key expansion.
 */
#include "nts_aes_siv.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
/* last: maps the OpenSSL names above to the lazily loaded library */
#include "openssl_lazy.h"

#define BLOCK 16

static EVP_CIPHER *ecb, *cbc;
static pthread_once_t siv_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_exit_key;

#define NONCE_BATCH	16	/* nonces made per AES call */

/* Per thread, made on first use and freed when the thread ends. */
struct siv_thread {
	bool ready;
	struct nts_siv_key scratch;	/* re-keyed per call: C2S/S2C */
	EVP_CIPHER_CTX *nonce_ctx;	/* AES-128-ECB under a random key */
	uint64_t nonce_ctr;
	int nonces_left;
	uint8_t nonces[NONCE_BATCH * BLOCK];
};

static __thread struct siv_thread tl;

static void nonce_forget(void)
{
	/* a forked child must not replay its parent's stream: new key */
	EVP_CIPHER_CTX_free(tl.nonce_ctx);
	tl.nonce_ctx = NULL;
	tl.nonces_left = 0;
}

static void siv_thread_exit(void *unused)
{
	(void)unused;
	nts_siv_key_free(&tl.scratch);
	nonce_forget();
	tl.ready = false;
}

static void siv_fetch(void)
{
	ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	cbc = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
	if (!cbc || pthread_key_create(&thread_exit_key, siv_thread_exit) ||
	    pthread_atfork(NULL, NULL, nonce_forget)) {
		EVP_CIPHER_free(ecb);
		EVP_CIPHER_free(cbc);
		ecb = cbc = NULL;
	}
}

static struct siv_thread *siv_thread(void)
{
	if (tl.ready)
		return &tl;
	pthread_once(&siv_once, siv_fetch);
	if (!ecb || nts_siv_key_init(&tl.scratch))
		return NULL;
	/* the value only makes the destructor run; it frees tl */
	if (pthread_setspecific(thread_exit_key, &tl)) {
		nts_siv_key_free(&tl.scratch);
		return NULL;
	}
	tl.ready = true;
	return &tl;
}

static EVP_CIPHER_CTX *aes_context(const EVP_CIPHER *cipher)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	/*
	 * Keyless first init with the fetched cipher.  Padding is left on: it
	 * only acts in EVP_EncryptFinal, never called here (every update is
	 * whole blocks), and turning it off costs 3.0 a parameter set by name
	 * on every later re-key.
	 */
	if (c && !EVP_EncryptInit_ex2(c, cipher, NULL, NULL, NULL)) {
		EVP_CIPHER_CTX_free(c);
		c = NULL;
	}
	return c;
}

int nts_siv_key_init(struct nts_siv_key *k)
{
	memset(k, 0, sizeof(*k));
	pthread_once(&siv_once, siv_fetch);
	if (!ecb)
		return -ENOSYS;
	k->mac = aes_context(cbc);
	k->ctr = aes_context(ecb);
	if (!k->mac || !k->ctr) {
		nts_siv_key_free(k);
		return -ENOMEM;
	}
	return 0;
}

void nts_siv_key_free(struct nts_siv_key *k)
{
	/* the provider clears its key schedule as it frees it */
	EVP_CIPHER_CTX_free(k->mac);
	EVP_CIPHER_CTX_free(k->ctr);
	OPENSSL_cleanse(k, sizeof(*k));
}

static inline int aes_blocks(EVP_CIPHER_CTX *c, const uint8_t *in, uint8_t *out, size_t n)
{
	int len;

	return EVP_EncryptUpdate(c, out, &len, in, (int)(n * BLOCK)) ? 0 : -EINVAL;
}

/* doubling in GF(2^128), RFC 5297 2.3 */
static void dbl(uint8_t d[BLOCK])
{
	uint8_t carry = d[0] >> 7;
	int i;

	for (i = 0; i < BLOCK - 1; i++)
		d[i] = (uint8_t)(d[i] << 1 | d[i + 1] >> 7);
	d[BLOCK - 1] = (uint8_t)(d[BLOCK - 1] << 1 ^ (carry ? 0x87 : 0));
}

static void xor_block(uint8_t *d, const uint8_t *s)
{
	for (int i = 0; i < BLOCK; i++)
		d[i] ^= s[i];
}

/* n bytes of data at off into m, the bytes from tail on xored with xe */
static void load(uint8_t *m, const uint8_t *data, size_t off, size_t n, size_t tail,
		 const uint8_t *xe)
{
	size_t j = off < tail ? tail - off : 0;

	if (n)
		memcpy(m, data + off, n);
	for (; j < n; j++)
		m[j] ^= xe[off + j - tail];
}

/* CMAC's last block (RFC 4493 2.4 steps 3-4): r of its bytes are data */
static void last_block(const struct nts_siv_key *k, uint8_t *m, size_t r)
{
	if (r == BLOCK) {
		xor_block(m, k->sub1);
		return;
	}
	m[r] = 0x80;
	memset(m + r + 1, 0, BLOCK - r - 1);
	xor_block(m, k->sub2);
}

/* After a failed call the chaining value is unknown: start again from 0. */
static int chain_reset(struct nts_siv_key *k)
{
	static const uint8_t zero[BLOCK];

	memset(k->chain, 0, BLOCK);
	return EVP_EncryptInit_ex2(k->mac, NULL, NULL, zero, NULL) ? -EINVAL : -EIO;
}

/*
 * AES-CMAC (RFC 4493 2.4) under K1 of data whose last BLOCK bytes are
 * first xored with xe when xe is given (S2V's xorend, RFC 5297 2.4, for a
 * text of a block or more), through CBC: CMAC is CBC-MAC from a zero IV
 * with the last block tweaked.  The context keeps CBC's chaining value
 * from one call to the next, the last block it wrote, which k->chain
 * keeps too: xored into the first block it cancels, so each MAC starts
 * from zero without an IV set per call, and a string costs one
 * EVP_EncryptUpdate per CMAC_CHUNK bytes instead of one per block.
 */
#define CMAC_CHUNK	512
static int cmac(struct nts_siv_key *k, const uint8_t *data, size_t len, const uint8_t *xe,
		uint8_t out[BLOCK])
{
	uint8_t buf[CMAC_CHUNK];
	size_t nb = len ? (len + BLOCK - 1) / BLOCK : 1, tail = xe ? len - BLOCK : len;
	size_t off = 0, n = 0;
	int err = 0;

	while (!err && off < nb * BLOCK) {
		n = nb * BLOCK - off < sizeof(buf) ? nb * BLOCK - off : sizeof(buf);
		load(buf, data, off, len - off < n ? len - off : n, tail, xe);
		if (off + n == nb * BLOCK)
			last_block(k, buf + n - BLOCK, len - (nb - 1) * BLOCK);
		if (!off)
			xor_block(buf, k->chain);
		err = aes_blocks(k->mac, buf, buf, n / BLOCK);
		off += n;
	}
	if (err)
		return chain_reset(k);
	memcpy(k->chain, buf + n - BLOCK, BLOCK);
	memcpy(out, k->chain, BLOCK);
	return 0;
}

int nts_siv_key_set(struct nts_siv_key *k, const uint8_t key[NTS_SIV_KEY_LEN])
{
	static const uint8_t zero[BLOCK];
	uint8_t l[BLOCK] = { 0 };

	/* the IV given too: the chaining value restarts from zero, so L is
	 * the first block's plain encryption */
	if (!EVP_EncryptInit_ex2(k->mac, NULL, key, zero, NULL) ||
	    !EVP_EncryptInit_ex2(k->ctr, NULL, key + BLOCK, NULL, NULL) ||
	    aes_blocks(k->mac, l, l, 1))
		return chain_reset(k);
	memcpy(k->chain, l, BLOCK);
	memcpy(k->sub1, l, BLOCK);	/* L = AES_K1(0), RFC 4493 2.3 */
	dbl(k->sub1);
	memcpy(k->sub2, k->sub1, BLOCK);
	dbl(k->sub2);
	OPENSSL_cleanse(l, sizeof(l));
	return cmac(k, zero, BLOCK, NULL, k->d0);
}

/* S2V (RFC 5297 2.4) over the AD components and the text */
static int s2v(struct nts_siv_key *k, const struct nts_siv_ad *ad, int n_ad, const uint8_t *pt,
	       size_t pt_len, uint8_t v[BLOCK])
{
	uint8_t d[BLOCK], m[BLOCK];
	size_t i;
	int c;

	memcpy(d, k->d0, BLOCK);
	for (c = 0; c < n_ad; c++) {
		if (cmac(k, ad[c].data, ad[c].len, NULL, m))
			return -EINVAL;
		dbl(d);
		xor_block(d, m);
	}
	if (pt_len >= BLOCK)
		return cmac(k, pt, pt_len, d, v);
	dbl(d);
	for (i = 0; i < pt_len; i++)
		d[i] ^= pt[i];
	d[pt_len] ^= 0x80;
	return cmac(k, d, BLOCK, NULL, v);
}

/*
 * CTR under K2 from V with bits 31 and 63 of its last 64 cleared (RFC 5297
 * 2.6, Q = V & 1^64 0 1^31 0 1^31): the counter then adds into the last
 * 32 bits without a carry out of them for 2^31 blocks, far more than
 * NTS_SIV_MAX_TEXT holds.  The counter blocks are encrypted in one call
 * into the key stream, which is cleared after (with the public ciphertext
 * it would give the text).
 */
static int siv_ctr(struct nts_siv_key *k, const uint8_t v[BLOCK], const uint8_t *in, size_t len,
		   uint8_t *out)
{
	uint8_t ks[NTS_SIV_MAX_TEXT];
	size_t nb = (len + BLOCK - 1) / BLOCK, b, i;
	uint32_t low;
	int err;

	if (!len)
		return 0;
	low = (uint32_t)(v[12] & 0x7f) << 24 | (uint32_t)v[13] << 16 | (uint32_t)v[14] << 8 | v[15];
	for (b = 0; b < nb; b++) {
		uint8_t *q = ks + b * BLOCK;
		uint32_t c = low + (uint32_t)b;

		memcpy(q, v, 12);
		q[8] &= 0x7f;
		q[12] = (uint8_t)(c >> 24);
		q[13] = (uint8_t)(c >> 16);
		q[14] = (uint8_t)(c >> 8);
		q[15] = (uint8_t)c;
	}
	err = aes_blocks(k->ctr, ks, ks, nb);
	for (i = 0; !err && i < len; i++)
		out[i] = in[i] ^ ks[i];
	OPENSSL_cleanse(ks, nb * BLOCK);
	return err;
}

int nts_siv_seal_k(struct nts_siv_key *k, const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	int err;

	if (pt_len > NTS_SIV_MAX_TEXT)
		return -EMSGSIZE;
	err = s2v(k, ad, n_ad, pt, pt_len, out);
	if (!err)
		err = siv_ctr(k, out, pt, pt_len, out + NTS_SIV_TAG_LEN);
	return err;
}

int nts_siv_open_k(struct nts_siv_key *k, const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *in, size_t in_len, uint8_t *pt)
{
	size_t len = in_len - NTS_SIV_TAG_LEN;
	uint8_t v[BLOCK];
	int err;

	if (in_len < NTS_SIV_TAG_LEN)
		return -EBADMSG;
	if (len > NTS_SIV_MAX_TEXT)
		return -EMSGSIZE;
	err = siv_ctr(k, in, in + NTS_SIV_TAG_LEN, len, pt);
	if (!err)
		err = s2v(k, ad, n_ad, pt, len, v);
	if (!err && CRYPTO_memcmp(v, in, BLOCK))
		err = -EBADMSG;
	if (err && len)
		OPENSSL_cleanse(pt, len);	/* no unauthenticated text out */
	return err;
}

/* This thread's scratch key, keyed with `key` (a per-request key: used once). */
static int scratch_key(const uint8_t key[NTS_SIV_KEY_LEN], struct nts_siv_key **out)
{
	struct siv_thread *t = siv_thread();

	if (!t)
		return -ENOMEM;
	if (nts_siv_key_set(&t->scratch, key))
		return -EINVAL;
	*out = &t->scratch;
	return 0;
}

int nts_siv_seal_v(const uint8_t key[NTS_SIV_KEY_LEN], const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	struct nts_siv_key *k;
	int err = scratch_key(key, &k);

	return err ? err : nts_siv_seal_k(k, ad, n_ad, pt, pt_len, out);
}

int nts_siv_open_v(const uint8_t key[NTS_SIV_KEY_LEN], const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *in, size_t in_len, uint8_t *pt)
{
	struct nts_siv_key *k;
	int err = scratch_key(key, &k);

	return err ? err : nts_siv_open_k(k, ad, n_ad, in, in_len, pt);
}

int nts_siv_seal(const uint8_t key[NTS_SIV_KEY_LEN], const uint8_t *ad, size_t ad_len,
		 const uint8_t *nonce, size_t nonce_len, const uint8_t *pt, size_t pt_len,
		 uint8_t *out)
{
	const struct nts_siv_ad c[2] = { { ad, ad_len }, { nonce, nonce_len } };

	return nts_siv_seal_v(key, c, nonce ? 2 : 1, pt, pt_len, out);
}

int nts_siv_open(const uint8_t key[NTS_SIV_KEY_LEN], const uint8_t *ad, size_t ad_len,
		 const uint8_t *nonce, size_t nonce_len, const uint8_t *in, size_t in_len,
		 uint8_t *pt)
{
	const struct nts_siv_ad c[2] = { { ad, ad_len }, { nonce, nonce_len } };

	return nts_siv_open_v(key, c, nonce ? 2 : 1, in, in_len, pt);
}

/*
 * The nonce stream: each thread encrypts a 128-bit counter under an
 * AES-128 key of its own drawn from RAND_priv_bytes, NONCE_BATCH blocks a
 * call.  Why a nonce never repeats under a master key:
 *  - within a thread, AES under one key is a permutation and the counter
 *    never repeats: it counts up from a random start in its low 64 bits,
 *    2^64 nonces before it could wrap (585,000 years at 10^6/s), and the
 *    key is never changed while the thread lives;
 *  - between threads, processes, restarts and a fleet's servers (which
 *    share master keys), each stream is AES under an independent random
 *    key, so two nonces meet with the probability two RAND_bytes values
 *    would: 2^-128 a pair;
 *  - a forked child gets a new key (pthread_atfork), never its parent's
 *    stream.
 * Nonces are public (they travel in the clear); they need to be unique,
 * not secret, so the batch kept ahead is not cleared.  RAND_bytes per
 * nonce cost a getpid() system call (OpenSSL 3.0's fork check) and a DRBG
 * generate each time.
 */
static int nonce_refill(struct siv_thread *t)
{
	uint8_t seed[2 * BLOCK];
	int b, i, err = 0;

	if (!t->nonce_ctx) {
		t->nonce_ctx = aes_context(ecb);
		if (!t->nonce_ctx)
			return -ENOMEM;
		if (RAND_priv_bytes(seed, sizeof(seed)) != 1 ||
		    !EVP_EncryptInit_ex2(t->nonce_ctx, NULL, seed, NULL, NULL))
			err = -EIO;
		memcpy(&t->nonce_ctr, seed + BLOCK, sizeof(t->nonce_ctr));
		t->nonce_ctr >>= 1;	/* a start with 2^63 counts before a wrap */
		OPENSSL_cleanse(seed, sizeof(seed));
		if (err) {
			nonce_forget();
			return err;
		}
	}
	for (b = 0; b < NONCE_BATCH; b++, t->nonce_ctr++) {
		uint8_t *q = t->nonces + b * BLOCK;

		memset(q, 0, BLOCK / 2);
		for (i = 0; i < 8; i++)
			q[BLOCK - 1 - i] = (uint8_t)(t->nonce_ctr >> (8 * i));
	}
	if (aes_blocks(t->nonce_ctx, t->nonces, t->nonces, NONCE_BATCH))
		return -EINVAL;
	t->nonces_left = NONCE_BATCH;
	return 0;
}

int nts_siv_nonce(uint8_t nonce[NTS_SIV_NONCE_LEN])
{
	struct siv_thread *t = siv_thread();
	int err;

	if (!t)
		return -ENOMEM;
	if (!t->nonces_left) {
		err = nonce_refill(t);
		if (err)
			return err;
	}
	t->nonces_left--;
	memcpy(nonce, t->nonces + t->nonces_left * BLOCK, NTS_SIV_NONCE_LEN);
	return 0;
}
