/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * AEAD_AES_SIV_CMAC_256 (RFC 5297, the NTS AEAD algorithm 15): a 256-bit
 * key, two AES-128 halves (K1 for the CMAC-based S2V that makes the
 * synthetic IV, K2 for the CTR that encrypts the text).  One
 * associated-data string and a nonce, the shape NTS uses (RFC 8915 5.6):
 * the nonce is the last AD component, as RFC 5297 3 has it.
 *
 * Two ways to name a key.  A prepared key (struct nts_siv_key) holds both
 * halves already scheduled and S2V's per-key constants: for the cookie
 * master keys, used for every cookie, each thread keeps its own.  Raw key
 * bytes (nts_siv_seal and friends): for the per-request C2S/S2C keys,
 * which re-key one prepared key that each thread keeps for the purpose.
 * A prepared key belongs to one thread at a time.
 */
#ifndef NTPD_NTS_AES_SIV_H
#define NTPD_NTS_AES_SIV_H

#include <openssl/types.h>
#include <stddef.h>
#include <stdint.h>

#define NTS_SIV_KEY_LEN		32	/* AEAD_AES_SIV_CMAC_256 */
#define NTS_SIV_TAG_LEN		16	/* the synthetic IV heading the ciphertext */
#define NTS_SIV_MAX_TEXT	2048	/* NTS texts are under 1 KiB; longer is refused */
#define NTS_SIV_NONCE_LEN	16	/* what nts_siv_nonce makes */
#define NTS_AEAD_AES_SIV_CMAC_256	15	/* IANA AEAD registry */

/* One associated-data component of RFC 5297's vector S1..Sn. */
struct nts_siv_ad {
	const uint8_t *data;
	size_t len;
};

struct nts_siv_key {
	EVP_CIPHER_CTX *mac;		/* AES-128-CBC under K1: S2V's CMAC */
	EVP_CIPHER_CTX *ctr;		/* AES-128-ECB under K2: CTR's key stream */
	uint8_t sub1[16], sub2[16];	/* K1's CMAC subkeys (RFC 4493 2.3) */
	uint8_t d0[16];			/* CMAC_K1(<zero>), S2V's first D */
	uint8_t chain[16];		/* mac's CBC chaining value now */
};

/* Contexts made, no key yet.  0 or -errno. */
int nts_siv_key_init(struct nts_siv_key *k);
/* Schedule key (both halves) into k: no allocation, no look-up by name. */
int nts_siv_key_set(struct nts_siv_key *k, const uint8_t key[NTS_SIV_KEY_LEN]);
void nts_siv_key_free(struct nts_siv_key *k);

/* out = SIV || ciphertext, NTS_SIV_TAG_LEN + pt_len bytes (out may not
 * overlap the inputs).  Any number of AD components, the nonce (if any)
 * last.  0 or -errno. */
int nts_siv_seal_k(struct nts_siv_key *k, const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *pt, size_t pt_len, uint8_t *out);
/* in = SIV || ciphertext (in_len >= NTS_SIV_TAG_LEN); pt gets in_len - 16
 * bytes.  0, -EBADMSG when it does not authenticate, or -errno. */
int nts_siv_open_k(struct nts_siv_key *k, const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *in, size_t in_len, uint8_t *pt);

/* The same under raw key bytes, through the calling thread's scratch key. */
int nts_siv_seal_v(const uint8_t key[NTS_SIV_KEY_LEN], const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *pt, size_t pt_len, uint8_t *out);
int nts_siv_open_v(const uint8_t key[NTS_SIV_KEY_LEN], const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *in, size_t in_len, uint8_t *pt);
/* One AD string and a nonce (NULL: RFC 5297's deterministic mode). */
int nts_siv_seal(const uint8_t key[NTS_SIV_KEY_LEN], const uint8_t *ad, size_t ad_len,
		 const uint8_t *nonce, size_t nonce_len, const uint8_t *pt, size_t pt_len,
		 uint8_t *out);
int nts_siv_open(const uint8_t key[NTS_SIV_KEY_LEN], const uint8_t *ad, size_t ad_len,
		 const uint8_t *nonce, size_t nonce_len, const uint8_t *in, size_t in_len,
		 uint8_t *pt);

/*
 * A nonce that never repeats in this thread and is as unlikely to meet
 * another thread's or server's as a random one (how: nts_aes_siv.c), for
 * about a hundredth of a RAND_bytes call (5 ns against 530 here, make
 * bench-nts).  0 or -errno.
 */
int nts_siv_nonce(uint8_t nonce[NTS_SIV_NONCE_LEN]);

#endif /* NTPD_NTS_AES_SIV_H */
