// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * AEAD_AES_SIV_CMAC_256 (userspace/nts_aes_siv.c) against RFC 5297's own
 * examples: A.1 (deterministic: one AD string, no nonce) and A.2
 * (nonce-based: two AD strings, then the nonce), written here as the RFC
 * prints them; then what NTS relies on: a flipped bit anywhere refuses,
 * the empty plaintext a client's authenticator carries, a wrong nonce.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nts_aes_siv.h"

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == ' ')
			continue;
		assert_int_equal(sscanf(s, "%2hhx", &out[n++]), 1);
		s++;
	}
	return n;
}

static void rfc5297_a1_deterministic(void **state)
{
	uint8_t key[32], ad[64], pt[64], want[80], out[80], back[64];
	size_t ad_len, pt_len, want_len;

	(void)state;
	unhex("fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff", key);
	ad_len = unhex("10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627", ad);
	pt_len = unhex("11223344 55667788 99aabbcc ddee", pt);
	want_len = unhex("85632d07 c6e8f37f 950acd32 0a2ecc93 40c02b96 90c4dc04 daef7f6a fe5c",
			 want);
	assert_int_equal(want_len, pt_len + NTS_SIV_TAG_LEN);
	assert_int_equal(nts_siv_seal(key, ad, ad_len, NULL, 0, pt, pt_len, out), 0);
	assert_memory_equal(out, want, want_len);
	assert_int_equal(nts_siv_open(key, ad, ad_len, NULL, 0, want, want_len, back), 0);
	assert_memory_equal(back, pt, pt_len);
}

static void rfc5297_a2_nonce_based(void **state)
{
	uint8_t key[32], ad1[64], ad2[16], nonce[16], pt[64], want[96], out[96], back[64];
	size_t ad1_len, ad2_len, nonce_len, pt_len, want_len;

	(void)state;
	unhex("7f7e7d7c 7b7a7978 77767574 73727170 40414243 44454647 48494a4b 4c4d4e4f", key);
	ad1_len = unhex("00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc "
			"bbaa9988 77665544 33221100", ad1);
	ad2_len = unhex("10203040 50607080 90a0", ad2);
	nonce_len = unhex("09f91102 9d74e35b d84156c5 635688c0", nonce);
	pt_len = unhex("74686973 20697320 736f6d65 20706c61 696e7465 78742074 6f20656e "
		       "63727970 74207573 696e6720 5349562d 414553", pt);
	want_len = unhex("7bdb6e3b 432667eb 06f4d14b ff2fbd0f cb900f2f ddbe4043 26601965 "
			 "c889bf17 dba77ceb 094fa663 b7a3f748 ba8af829 ea64ad54 4a272e9c "
			 "485b62a3 fd5c0d", want);
	const struct nts_siv_ad ad[3] = { { ad1, ad1_len }, { ad2, ad2_len }, { nonce, nonce_len } };

	assert_int_equal(want_len, pt_len + NTS_SIV_TAG_LEN);
	assert_int_equal(nts_siv_seal_v(key, ad, 3, pt, pt_len, out), 0);
	assert_memory_equal(out, want, want_len);
	assert_int_equal(nts_siv_open_v(key, ad, 3, want, want_len, back), 0);
	assert_memory_equal(back, pt, pt_len);
}

/* Every single-bit change of the sealed text, the AD or the nonce refuses. */
static void any_flipped_bit_refuses(void **state)
{
	uint8_t key[32] = { 1, 2, 3 }, ad[40], nonce[16] = { 9 }, pt[24], box[40], back[24];
	size_t i;

	(void)state;
	memset(ad, 0x5a, sizeof(ad));
	memset(pt, 0xa5, sizeof(pt));
	assert_int_equal(nts_siv_seal(key, ad, sizeof(ad), nonce, 16, pt, sizeof(pt), box), 0);
	for (i = 0; i < sizeof(box) * 8; i++) {
		box[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(nts_siv_open(key, ad, sizeof(ad), nonce, 16, box, sizeof(box), back),
				 -EBADMSG);
		box[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	for (i = 0; i < sizeof(ad) * 8; i += 7) {
		ad[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(nts_siv_open(key, ad, sizeof(ad), nonce, 16, box, sizeof(box), back),
				 -EBADMSG);
		ad[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	nonce[15] ^= 1;
	assert_int_equal(nts_siv_open(key, ad, sizeof(ad), nonce, 16, box, sizeof(box), back),
			 -EBADMSG);
	nonce[15] ^= 1;
	assert_int_equal(nts_siv_open(key, ad, sizeof(ad), nonce, 16, box, sizeof(box), back), 0);
	assert_memory_equal(back, pt, sizeof(pt));
	/* shorter than a tag is no box at all */
	assert_int_equal(nts_siv_open(key, ad, sizeof(ad), nonce, 16, box, 15, back), -EBADMSG);
}

/*
 * A client's authenticator usually encrypts nothing: the tag alone, which
 * OpenSSL 3.0 cannot make (we compute S2V ourselves).  The value is
 * pyca/cryptography 48's: AESSIV(key).encrypt(b"", [ad, nonce]).
 */
static void empty_plaintext(void **state)
{
	uint8_t key[32] = { 7 }, ad[48] = { 0x23 }, nonce[16] = { 1 }, box[16], back[1], want[16];

	(void)state;
	unhex("8647e312a0e281d6d6c17c324c6c98f4", want);
	assert_int_equal(nts_siv_seal(key, ad, sizeof(ad), nonce, 16, NULL, 0, box), 0);
	assert_memory_equal(box, want, 16);
	assert_int_equal(nts_siv_open(key, ad, sizeof(ad), nonce, 16, box, 16, back), 0);
	box[0] ^= 0x80;
	assert_int_equal(nts_siv_open(key, ad, sizeof(ad), nonce, 16, box, 16, back), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc5297_a1_deterministic),
		cmocka_unit_test(rfc5297_a2_nonce_based),
		cmocka_unit_test(any_flipped_bit_refuses),
		cmocka_unit_test(empty_plaintext),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
