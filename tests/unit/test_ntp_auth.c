// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Digests from keys prepared once at load (userspace/ntp_auth.c): known
 * vectors, the same from a prepared key as from one built by hand, and the
 * prepared context left as it was by every use (it is copied, never
 * consumed), so the hundredth packet gets the first one's digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ntp_auth.h"

/* RFC 4493 example 2: AES-CMAC of one block */
static const __u8 cmac_key[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
				   0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
static const __u8 cmac_msg[16] = { 0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
				   0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a };
static const __u8 cmac_tag[16] = { 0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44,
				   0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a, 0x28, 0x7c };
/* MD5("abc") (RFC 1321): key "a", data "bc", as digest(key || data) */
static const __u8 md5_abc[16] = { 0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0,
				  0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72 };
/* SHA1("abc") (FIPS 180-1) */
static const __u8 sha1_abc[20] = { 0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
				   0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d };

static struct ntp_keyring load(void)
{
	char path[] = "/tmp/test_ntp_auth.XXXXXX";
	struct ntp_keyring ring = { 0 };
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "1 MD5 ASCII:a\n2 SHA1 ASCII:a\n3 AES128 HEX:");
	for (size_t i = 0; i < sizeof(cmac_key); i++)
		fprintf(f, "%02x", cmac_key[i]);
	fprintf(f, "\n");
	fclose(f);
	assert_int_equal(ntp_keys_load(path, &ring), 0);
	unlink(path);
	assert_int_equal(ring.n, 3);
	return ring;
}

static void check_key(const struct ntp_key *k, const void *data, size_t len, const __u8 *want)
{
	__u8 d[NTP_MAC_MAX_DIGEST];
	int i;

	for (i = 0; i < 100; i++) {
		memset(d, 0, sizeof(d));
		assert_int_equal(ntp_auth_digest(k, data, len, d), 0);
		assert_memory_equal(d, want, ntp_auth_digest_len(k->type));
	}
}

static void test_prepared_keys_vectors(void **state)
{
	struct ntp_keyring ring = load();

	(void)state;
	assert_non_null(ring.keys[0].prepared);
	check_key(ntp_keys_find(&ring, 1), "bc", 2, md5_abc);
	check_key(ntp_keys_find(&ring, 2), "bc", 2, sha1_abc);
	check_key(ntp_keys_find(&ring, 3), cmac_msg, sizeof(cmac_msg), cmac_tag);
	ntp_keys_free(&ring);
}

/* A key built by hand has nothing prepared: the same digests all the same. */
static void test_unprepared_keys_vectors(void **state)
{
	struct ntp_key md5 = { .id = 1, .type = NTP_KEY_MD5, .key = "a", .key_len = 1 };
	struct ntp_key sha1 = { .id = 2, .type = NTP_KEY_SHA1, .key = "a", .key_len = 1 };
	struct ntp_key aes = { .id = 3, .type = NTP_KEY_AES128_CMAC, .key_len = 16 };

	(void)state;
	memcpy(aes.key, cmac_key, sizeof(cmac_key));
	check_key(&md5, "bc", 2, md5_abc);
	check_key(&sha1, "bc", 2, sha1_abc);
	check_key(&aes, cmac_msg, sizeof(cmac_msg), cmac_tag);
}

/* Sign, then check in two steps as the socket server does. */
static void test_lookup_then_verify(void **state)
{
	struct ntp_keyring ring = load();
	const struct ntp_key *k;
	__u8 pkt[NTP_PACKET_LEN + 4 + NTP_MAC_MAX_DIGEST] = { 0x23 };
	size_t len;

	(void)state;
	for (int id = 1; id <= 3; id++) {
		len = ntp_auth_sign(ntp_keys_find(&ring, (__u32)id), pkt);
		assert_int_not_equal(len, 0);
		assert_int_equal(ntp_auth_lookup(&ring, pkt, len, &k), NTP_AUTH_OK);
		assert_int_equal(k->id, id);
		assert_int_equal(ntp_auth_verify(k, pkt, len), NTP_AUTH_OK);
		pkt[len - 1] ^= 1;
		/* the lookup does no cryptography: it cannot see the bad digest */
		assert_int_equal(ntp_auth_lookup(&ring, pkt, len, &k), NTP_AUTH_OK);
		assert_int_equal(ntp_auth_verify(k, pkt, len), NTP_AUTH_BAD_MAC);
		assert_int_equal(ntp_auth_check(&ring, pkt, len, &k), NTP_AUTH_BAD_MAC);
	}
	ntp_keys_free(&ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prepared_keys_vectors),
		cmocka_unit_test(test_unprepared_keys_vectors),
		cmocka_unit_test(test_lookup_then_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
