// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * AEAD_AES_SIV_CMAC_256 (userspace/nts_aes_siv.c) against RFC 5297's own
 * examples: A.1 (deterministic: one AD string, no nonce) and A.2
 * (nonce-based: two AD strings, then the nonce), written here as the RFC
 * prints them; then what NTS relies on: a flipped bit anywhere refuses,
 * the empty plaintext a client's authenticator carries, a wrong nonce;
 * a prepared key (scheduled once, re-keyed in place) gives the bytes a
 * fresh one does; long strings (CMAC in several CBC calls) give OpenSSL's
 * own AES-SIV bytes; nonces never repeat, in a thread, across threads, or
 * in a forked child.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
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

/* deterministic filler: a test that fails, fails the same way again */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/*
 * The same bytes from a prepared key as from raw key bytes (the thread's
 * scratch key, re-keyed per call), with prepared contexts re-keyed from
 * one key to another and back, and from a context made anew per call.
 */
static void prepared_key_same_bytes_as_fresh(void **state)
{
	uint8_t keys[3][32], ad[100], nonce[16], pt[300], want[316], got[316], back[300];
	struct nts_siv_key reused, fresh;
	const struct nts_siv_ad c[2] = { { ad, sizeof(ad) }, { nonce, sizeof(nonce) } };
	int round, i;

	(void)state;
	fill(keys[0], sizeof(keys), 1);
	fill(ad, sizeof(ad), 2);
	fill(nonce, sizeof(nonce), 3);
	fill(pt, sizeof(pt), 4);
	assert_int_equal(nts_siv_key_init(&reused), 0);
	for (round = 0; round < 6; round++) {
		i = round % 3;
		assert_int_equal(nts_siv_seal(keys[i], ad, sizeof(ad), nonce, 16, pt, sizeof(pt),
					      want), 0);
		assert_int_equal(nts_siv_key_set(&reused, keys[i]), 0);
		assert_int_equal(nts_siv_seal_k(&reused, c, 2, pt, sizeof(pt), got), 0);
		assert_memory_equal(got, want, sizeof(want));
		/* a second string under the same schedule: CBC's chain carried */
		assert_int_equal(nts_siv_seal_k(&reused, c, 2, pt, sizeof(pt), got), 0);
		assert_memory_equal(got, want, sizeof(want));
		assert_int_equal(nts_siv_open_k(&reused, c, 2, want, sizeof(want), back), 0);
		assert_memory_equal(back, pt, sizeof(pt));
		assert_int_equal(nts_siv_key_init(&fresh), 0);
		assert_int_equal(nts_siv_key_set(&fresh, keys[i]), 0);
		assert_int_equal(nts_siv_seal_k(&fresh, c, 2, pt, sizeof(pt), got), 0);
		assert_memory_equal(got, want, sizeof(want));
		nts_siv_key_free(&fresh);
		pt[round] ^= 0x11;	/* and another text next round */
	}
	nts_siv_key_free(&reused);
}

/* OpenSSL 3's own AES-128-SIV as the reference (it needs a text of 1+). */
static void openssl_siv(const uint8_t *key, const uint8_t *ad, size_t ad_len,
			const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	EVP_CIPHER *siv = EVP_CIPHER_fetch(NULL, "AES-128-SIV", NULL);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;

	assert_non_null(siv);
	assert_non_null(c);
	assert_int_equal(EVP_EncryptInit_ex2(c, siv, key, NULL, NULL), 1);
	assert_int_equal(EVP_EncryptUpdate(c, NULL, &n, ad, (int)ad_len), 1);
	assert_int_equal(EVP_EncryptUpdate(c, out + 16, &n, pt, (int)pt_len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, out + 16 + n, &n), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out), 1);
	EVP_CIPHER_CTX_free(c);
	EVP_CIPHER_free(siv);
}

/* Lengths either side of a block, of a CMAC chunk (512), and past the
 * text limit for the AD (which has none): byte for byte OpenSSL's. */
static void long_strings_match_openssl(void **state)
{
	static const size_t pt_lens[] = { 1, 15, 16, 17, 32, 33, 511, 512, 513, 1040, 2048 };
	static const size_t ad_lens[] = { 0, 1, 16, 496, 512, 530, 1100, 5000 };
	static uint8_t key[32], ad[5000], pt[2048], want[2064], got[2064], back[2048];
	size_t a, p;

	(void)state;
	fill(key, sizeof(key), 5);
	fill(ad, sizeof(ad), 6);
	fill(pt, sizeof(pt), 7);
	for (a = 0; a < sizeof(ad_lens) / sizeof(ad_lens[0]); a++)
		for (p = 0; p < sizeof(pt_lens) / sizeof(pt_lens[0]); p++) {
			openssl_siv(key, ad, ad_lens[a], pt, pt_lens[p], want);
			assert_int_equal(nts_siv_seal(key, ad, ad_lens[a], NULL, 0, pt, pt_lens[p],
						      got), 0);
			assert_memory_equal(got, want, pt_lens[p] + 16);
			assert_int_equal(nts_siv_open(key, ad, ad_lens[a], NULL, 0, want,
						      pt_lens[p] + 16, back), 0);
			assert_memory_equal(back, pt, pt_lens[p]);
		}
	assert_int_equal(nts_siv_seal(key, ad, 16, NULL, 0, ad, NTS_SIV_MAX_TEXT + 1, got),
			 -EMSGSIZE);
}

#define NONCES	100000

static int cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static void *make_nonces(void *out)
{
	uint8_t *n = out;

	for (int i = 0; i < NONCES; i++)
		if (nts_siv_nonce(n + 16 * i))
			return NULL;
	return out;
}

static void assert_distinct(uint8_t *n, size_t count)
{
	qsort(n, count, 16, cmp16);
	for (size_t i = 1; i < count; i++)
		assert_true(memcmp(n + 16 * (i - 1), n + 16 * i, 16) != 0);
}

/* this thread's NONCES, and two other threads' as many: all distinct */
static void nonces_never_repeat(void **state)
{
	uint8_t *n = malloc(3 * NONCES * 16);
	pthread_t t[2];
	void *ret;

	(void)state;
	assert_non_null(n);
	assert_non_null(make_nonces(n));
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, make_nonces, n + (i + 1) * NONCES * 16),
				 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_non_null(ret);
	}
	assert_distinct(n, 3 * NONCES);
	free(n);
}

/* a forked child's nonces are not its parent's next ones */
static void forked_child_new_stream(void **state)
{
	uint8_t n[64 * 16];
	int fd[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(nts_siv_nonce(n), 0);	/* the parent's stream is under way */
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		for (int i = 0; i < 32; i++)
			if (nts_siv_nonce(n + 16 * i))
				_exit(1);
		_exit(write(fd[1], n, 32 * 16) == 32 * 16 ? 0 : 1);
	}
	close(fd[1]);
	assert_int_equal(read(fd[0], n + 32 * 16, 32 * 16), 32 * 16);
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(nts_siv_nonce(n + 16 * i), 0);
	assert_distinct(n, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc5297_a1_deterministic),
		cmocka_unit_test(rfc5297_a2_nonce_based),
		cmocka_unit_test(any_flipped_bit_refuses),
		cmocka_unit_test(empty_plaintext),
		cmocka_unit_test(prepared_key_same_bytes_as_fresh),
		cmocka_unit_test(long_strings_match_openssl),
		cmocka_unit_test(nonces_never_repeat),
		cmocka_unit_test(forked_child_new_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
