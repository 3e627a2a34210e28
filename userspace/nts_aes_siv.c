// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * AES-SIV (RFC 5297) from two OpenSSL primitives, each thread keeping its
 * own contexts made once: S2V is AES-CMAC (RFC 4493) under K1, written here
 * over AES-128-ECB block calls; the text is AES-128-CTR under K2 from the
 * synthetic IV.  OpenSSL 3's own "AES-128-SIV" and its EVP_MAC CMAC give
 * the same bytes but look parameters up by name and set contexts up on
 * every call (perf: most of an NTS answer's cost went there, not to AES),
 * and its SIV cannot seal an empty text in 3.0 (its final step fails),
 * which every NTS client request needs.
 */
#include "nts_aes_siv.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#define BLOCK 16

static EVP_CIPHER *ecb, *ctr;
static pthread_once_t siv_once = PTHREAD_ONCE_INIT;

/* per thread, made on first use and kept: nothing allocated per packet */
static __thread EVP_CIPHER_CTX *ecb_ctx, *ctr_ctx;

static void siv_fetch(void)
{
	ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
}

static int siv_contexts(void)
{
	pthread_once(&siv_once, siv_fetch);
	if (!ecb || !ctr)
		return -ENOSYS;
	if (!ecb_ctx)
		ecb_ctx = EVP_CIPHER_CTX_new();
	if (!ctr_ctx)
		ctr_ctx = EVP_CIPHER_CTX_new();
	return ecb_ctx && ctr_ctx ? 0 : -ENOMEM;
}

static void dbl(uint8_t d[BLOCK]);
static void xor_block(uint8_t *d, const uint8_t *s);

/* K1 and the CMAC subkeys (RFC 4493 2.3) for one S2V */
struct cmac_key {
	uint8_t k1[BLOCK], k2[BLOCK];
};

static int aes_block(const uint8_t in[BLOCK], uint8_t out[BLOCK])
{
	int n;

	return EVP_EncryptUpdate(ecb_ctx, out, &n, in, BLOCK) ? 0 : -EINVAL;
}

static int cmac_setup(const uint8_t *key, struct cmac_key *ck)
{
	static const uint8_t zero[BLOCK];

	if (!EVP_EncryptInit_ex2(ecb_ctx, ecb, key, NULL, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ecb_ctx, 0) || aes_block(zero, ck->k1))
		return -EINVAL;
	dbl(ck->k1);
	memcpy(ck->k2, ck->k1, BLOCK);
	dbl(ck->k2);
	return 0;
}

/* AES-CMAC (RFC 4493 2.4) of data under the key cmac_setup took */
static int s2v_cmac(const struct cmac_key *ck, const uint8_t *data, size_t len,
		    uint8_t out[BLOCK])
{
	uint8_t x[BLOCK] = { 0 };
	size_t off = 0, i;

	for (; len - off > BLOCK; off += BLOCK) {
		xor_block(x, data + off);
		if (aes_block(x, x))
			return -EINVAL;
	}
	if (len && len - off == BLOCK) {
		xor_block(x, data + off);
		xor_block(x, ck->k1);
	} else {
		for (i = 0; off + i < len; i++)
			x[i] ^= data[off + i];
		x[i] ^= 0x80;
		xor_block(x, ck->k2);
	}
	return aes_block(x, out);
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

/*
 * S2V (RFC 5297 2.4) over the AD components and the text.  The last
 * string, the text, is xorend'ed into D when a block or longer, else
 * padded and xored into dbl(D); it is CMACed in place in a bounded
 * buffer (NTS texts are under 2 KiB; longer is refused).
 */
static int s2v(const uint8_t *k1, const struct nts_siv_ad *ad, int n_ad, const uint8_t *pt,
	       size_t pt_len, uint8_t v[BLOCK])
{
	static const uint8_t zero[BLOCK];
	uint8_t d[BLOCK], m[BLOCK], last[2048];
	struct cmac_key ck;
	int i;

	if (pt_len > sizeof(last) || cmac_setup(k1, &ck) || s2v_cmac(&ck, zero, BLOCK, d))
		return -EINVAL;
	for (i = 0; i < n_ad; i++) {
		if (s2v_cmac(&ck, ad[i].data, ad[i].len, m))
			return -EINVAL;
		dbl(d);
		xor_block(d, m);
	}
	if (pt_len >= BLOCK) {
		memcpy(last, pt, pt_len);
		xor_block(last + pt_len - BLOCK, d);
		i = s2v_cmac(&ck, last, pt_len, v);
		OPENSSL_cleanse(last, pt_len);
		OPENSSL_cleanse(&ck, sizeof(ck));
		return i;
	}
	dbl(d);
	for (i = 0; i < (int)pt_len; i++)
		d[i] ^= pt[i];
	d[pt_len] ^= 0x80;
	i = s2v_cmac(&ck, d, BLOCK, v);
	OPENSSL_cleanse(&ck, sizeof(ck));
	return i;
}

/* CTR under K2 from V with bits 31 and 63 cleared (RFC 5297 2.6) */
static int siv_ctr(const uint8_t *k2, const uint8_t v[BLOCK], const uint8_t *in, size_t len,
		   uint8_t *out)
{
	uint8_t q[BLOCK];
	int n;

	if (!len)
		return 0;
	memcpy(q, v, BLOCK);
	q[8] &= 0x7f;
	q[12] &= 0x7f;
	if (!EVP_EncryptInit_ex2(ctr_ctx, ctr, k2, q, NULL) ||
	    !EVP_EncryptUpdate(ctr_ctx, out, &n, in, (int)len))
		return -EINVAL;
	return 0;
}

int nts_siv_seal_v(const uint8_t key[NTS_SIV_KEY_LEN], const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	int err = siv_contexts();

	if (!err)
		err = s2v(key, ad, n_ad, pt, pt_len, out);
	if (!err)
		err = siv_ctr(key + BLOCK, out, pt, pt_len, out + NTS_SIV_TAG_LEN);
	return err;
}

int nts_siv_open_v(const uint8_t key[NTS_SIV_KEY_LEN], const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *in, size_t in_len, uint8_t *pt)
{
	size_t len = in_len - NTS_SIV_TAG_LEN;
	uint8_t v[BLOCK];
	int err;

	if (in_len < NTS_SIV_TAG_LEN)
		return -EBADMSG;
	err = siv_contexts();
	if (!err)
		err = siv_ctr(key + BLOCK, in, in + NTS_SIV_TAG_LEN, len, pt);
	if (!err)
		err = s2v(key, ad, n_ad, pt, len, v);
	if (!err && CRYPTO_memcmp(v, in, BLOCK))
		err = -EBADMSG;
	if (err && len)
		OPENSSL_cleanse(pt, len);	/* no unauthenticated text out */
	return err;
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
