// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "nts_aes_siv.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

static EVP_CIPHER *siv_cipher;
static EVP_MAC *cmac;
static pthread_once_t siv_once = PTHREAD_ONCE_INIT;
/* one context per thread, made on first use and kept: no allocation per
 * packet (a thread's context is freed with the process) */
static __thread EVP_CIPHER_CTX *siv_ctx;
static __thread EVP_MAC_CTX *cmac_ctx;

static void siv_fetch(void)
{
	siv_cipher = EVP_CIPHER_fetch(NULL, "AES-128-SIV", NULL);
	cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
}

/* AES-CMAC under K1 (the key's first half, RFC 5297 2.6) */
static int s2v_cmac(const uint8_t *k1, const uint8_t *data, size_t len, uint8_t out[16])
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t n;

	if (!cmac_ctx)
		cmac_ctx = EVP_MAC_CTX_new(cmac);
	if (!cmac_ctx || !EVP_MAC_init(cmac_ctx, k1, 16, params) ||
	    !EVP_MAC_update(cmac_ctx, data, len) || !EVP_MAC_final(cmac_ctx, out, &n, 16))
		return -EINVAL;
	return 0;
}

/* doubling in GF(2^128), RFC 5297 2.3 */
static void s2v_dbl(uint8_t d[16])
{
	uint8_t carry = d[0] >> 7;
	int i;

	for (i = 0; i < 15; i++)
		d[i] = (uint8_t)(d[i] << 1 | d[i + 1] >> 7);
	d[15] = (uint8_t)(d[15] << 1 ^ (carry ? 0x87 : 0));
}

/*
 * The SIV of an empty plaintext, computed here: OpenSSL 3.0's SIV never
 * finishes without text to encrypt (its final step fails), yet an NTS
 * client's authenticator usually encrypts nothing.  S2V with the empty
 * string as the last component: T = dbl(D) xor pad("") (RFC 5297 2.4).
 */
static int s2v_empty(const uint8_t *key, const struct nts_siv_ad *ad, int n_ad, uint8_t v[16])
{
	static const uint8_t zero[16];
	uint8_t d[16], m[16];
	int i, k;

	if (!cmac || s2v_cmac(key, zero, sizeof(zero), d))
		return -EINVAL;
	for (i = 0; i < n_ad; i++) {
		if (s2v_cmac(key, ad[i].data, ad[i].len, m))
			return -EINVAL;
		s2v_dbl(d);
		for (k = 0; k < 16; k++)
			d[k] ^= m[k];
	}
	s2v_dbl(d);
	d[0] ^= 0x80;
	return s2v_cmac(key, d, sizeof(d), v);
}

static EVP_CIPHER_CTX *siv_context(int enc, const uint8_t *key)
{
	pthread_once(&siv_once, siv_fetch);
	if (!siv_cipher)
		return NULL;
	if (!siv_ctx)
		siv_ctx = EVP_CIPHER_CTX_new();
	if (!siv_ctx || !EVP_CipherInit_ex2(siv_ctx, siv_cipher, key, NULL, enc, NULL))
		return NULL;
	return siv_ctx;
}

/* OpenSSL's SIV takes each update with a NULL output as one component. */
static int siv_add_ad(EVP_CIPHER_CTX *ctx, const struct nts_siv_ad *ad, int n_ad)
{
	int i, n;

	for (i = 0; i < n_ad; i++)
		if (!EVP_CipherUpdate(ctx, NULL, &n, ad[i].data, (int)ad[i].len))
			return -EINVAL;
	return 0;
}

int nts_siv_seal_v(const uint8_t key[NTS_SIV_KEY_LEN], const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = siv_context(1, key);
	int n;

	if (!ctx)
		return -ENOMEM;
	if (!pt_len)
		return s2v_empty(key, ad, n_ad, out);
	if (siv_add_ad(ctx, ad, n_ad) ||
	    !EVP_CipherUpdate(ctx, out + NTS_SIV_TAG_LEN, &n, pt, (int)pt_len) ||
	    !EVP_CipherFinal_ex(ctx, out + NTS_SIV_TAG_LEN + n, &n) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, NTS_SIV_TAG_LEN, out))
		return -EINVAL;
	return 0;
}

int nts_siv_open_v(const uint8_t key[NTS_SIV_KEY_LEN], const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *in, size_t in_len, uint8_t *pt)
{
	EVP_CIPHER_CTX *ctx;
	int n;

	if (in_len < NTS_SIV_TAG_LEN)
		return -EBADMSG;
	ctx = siv_context(0, key);
	if (!ctx)
		return -ENOMEM;
	if (in_len == NTS_SIV_TAG_LEN) {
		uint8_t v[NTS_SIV_TAG_LEN];

		if (s2v_empty(key, ad, n_ad, v))
			return -EINVAL;
		return CRYPTO_memcmp(v, in, sizeof(v)) ? -EBADMSG : 0;
	}
	/* the tag first: SIV decrypts with it as the counter's IV */
	if (!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, NTS_SIV_TAG_LEN, (void *)in) ||
	    siv_add_ad(ctx, ad, n_ad))
		return -EINVAL;
	if (!EVP_CipherUpdate(ctx, pt, &n, in + NTS_SIV_TAG_LEN, (int)(in_len - NTS_SIV_TAG_LEN)) ||
	    !EVP_CipherFinal_ex(ctx, pt + n, &n))
		return -EBADMSG;
	return 0;
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
