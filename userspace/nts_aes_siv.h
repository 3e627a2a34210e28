/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * AEAD_AES_SIV_CMAC_256 (RFC 5297, the NTS AEAD algorithm 15) through
 * OpenSSL 3's "AES-128-SIV": a 256-bit key, two AES-128 halves (CMAC for
 * the synthetic IV, CTR for the text).  One associated-data string and a
 * nonce, the shape NTS uses (RFC 8915 5.6): the nonce is the last AD
 * component, as RFC 5297 3 has it.  Each thread keeps its own cipher
 * context, so the socket workers and the key-exchange threads never share.
 */
#ifndef NTPD_NTS_AES_SIV_H
#define NTPD_NTS_AES_SIV_H

#include <stddef.h>
#include <stdint.h>

#define NTS_SIV_KEY_LEN		32	/* AEAD_AES_SIV_CMAC_256 */
#define NTS_SIV_TAG_LEN		16	/* the synthetic IV heading the ciphertext */
#define NTS_AEAD_AES_SIV_CMAC_256	15	/* IANA AEAD registry */

/* One associated-data component of RFC 5297's vector S1..Sn. */
struct nts_siv_ad {
	const uint8_t *data;
	size_t len;
};

/* The general form: any number of AD components (the nonce, if any, last). */
int nts_siv_seal_v(const uint8_t key[NTS_SIV_KEY_LEN], const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *pt, size_t pt_len, uint8_t *out);
int nts_siv_open_v(const uint8_t key[NTS_SIV_KEY_LEN], const struct nts_siv_ad *ad, int n_ad,
		   const uint8_t *in, size_t in_len, uint8_t *pt);

/*
 * out = SIV || ciphertext, NTS_SIV_TAG_LEN + pt_len bytes (out may not
 * overlap the inputs).  nonce NULL: no nonce component (RFC 5297's
 * deterministic mode).  0 or -errno.
 */
int nts_siv_seal(const uint8_t key[NTS_SIV_KEY_LEN], const uint8_t *ad, size_t ad_len,
		 const uint8_t *nonce, size_t nonce_len, const uint8_t *pt, size_t pt_len,
		 uint8_t *out);
/* in = SIV || ciphertext (in_len >= NTS_SIV_TAG_LEN); pt gets in_len - 16
 * bytes.  0, -EBADMSG when it does not authenticate, or -errno. */
int nts_siv_open(const uint8_t key[NTS_SIV_KEY_LEN], const uint8_t *ad, size_t ad_len,
		 const uint8_t *nonce, size_t nonce_len, const uint8_t *in, size_t in_len,
		 uint8_t *pt);

#endif /* NTPD_NTS_AES_SIV_H */
