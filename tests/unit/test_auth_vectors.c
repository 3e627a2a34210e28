// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The MACs the daemon verifies and signs with (userspace/ntp_auth.c), against
 * values computed elsewhere and written here as literals:
 *  - AES-CMAC: the four examples of RFC 4493 section 4 (key 2b7e1516...);
 *  - MD5 and SHA1 NTP MACs, digest(key || data): ntpd's own vector
 *    (tests/libntp/a_md5encrypt.c in ntp and ntpsec: key "abcdefgh", data
 *    "ijklmnopqrstuvwx", MD5 0c0e84cf...; the SHA1 value by the same
 *    recipe, `printf abcdefghijklmnopqrstuvwx | openssl dgst -sha1`);
 *  - a fixed 48-byte NTP header signed with each key type, the digests from
 *    `openssl dgst -md5` / `-sha1` over key||header and `openssl mac -cipher
 *    AES-128-CBC -macopt hexkey:... CMAC` over the header (OpenSSL 3.0).
 * Keys come through ntp_keys_load from a real file, so the spellings of the
 * key types (AES128CMAC as ntpd writes it) are under test too.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ntp_auth.h"

static void unhex(const char *s, __u8 *out, size_t *len)
{
	size_t n = strlen(s) / 2, i;

	for (i = 0; i < n; i++)
		assert_int_equal(sscanf(s + 2 * i, "%2hhx", &out[i]), 1);
	*len = n;
}

/* a keyring from key file text */
static void ring_from(const char *text, struct ntp_keyring *ring)
{
	char path[] = "/tmp/xdp-ntpd-keys-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(ntp_keys_load(path, ring), 0);
	unlink(path);
}

static void assert_digest(const struct ntp_key *k, const char *data_hex, const char *want_hex)
{
	__u8 data[128], want[32], got[NTP_MAC_MAX_DIGEST];
	size_t dlen, wlen;

	unhex(data_hex, data, &dlen);
	unhex(want_hex, want, &wlen);
	assert_int_equal(ntp_auth_digest_len(k->type), wlen);
	assert_int_equal(ntp_auth_digest(k, data, dlen, got), 0);
	assert_memory_equal(got, want, wlen);
}

static const char rfc4493_msg[] =
	"6bc1bee22e409f96e93d7e117393172a"
	"ae2d8a571e03ac9c9eb76fac45af8e51"
	"30c81c46a35ce411e5fbc1191a0a52ef"
	"f69f2445df4f9b17ad2b417be66c3710";

/* RFC 4493 section 4: lengths 0, 16, 40 and 64 bytes of the one message */
static void rfc4493_examples(void **state)
{
	static const struct { size_t len; const char *mac; } ex[] = {
		{ 0, "bb1d6929e95937287fa37d129b756746" },
		{ 16, "070a16b46b4d4144f79bdd9dd04a287c" },
		{ 40, "dfa66747de9ae63030ca32611497c827" },
		{ 64, "51f0bebf7e3b9d92fc49741779363cfe" },
	};
	struct ntp_keyring ring;
	char data[sizeof(rfc4493_msg)];
	size_t i;

	(void)state;
	/* ntpd's spelling of the type */
	ring_from("1 AES128CMAC HEX:2b7e151628aed2a6abf7158809cf4f3c\n", &ring);
	assert_int_equal(ring.keys[0].type, NTP_KEY_AES128_CMAC);
	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		snprintf(data, sizeof(data), "%.*s", (int)(2 * ex[i].len), rfc4493_msg);
		assert_digest(&ring.keys[0], data, ex[i].mac);
	}
	ntp_keys_free(&ring);
}

/* the other spellings name the same algorithm */
static void aes_spellings(void **state)
{
	struct ntp_keyring ring;
	int i;

	(void)state;
	ring_from("1 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
		  "2 AES-128-CMAC HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
		  "3 aes128cmac HEX:2b7e151628aed2a6abf7158809cf4f3c\n", &ring);
	assert_int_equal(ring.n, 3);
	for (i = 0; i < 3; i++)
		assert_digest(&ring.keys[i], "6bc1bee22e409f96e93d7e117393172a",
			      "070a16b46b4d4144f79bdd9dd04a287c");
	ntp_keys_free(&ring);
}

/* ntpd's a_md5encrypt vector: MD5("abcdefgh" || "ijklmnopqrstuvwx") */
static void ntpd_md5_vector(void **state)
{
	struct ntp_keyring ring;

	(void)state;
	ring_from("42 MD5 abcdefgh\n", &ring);
	assert_digest(&ring.keys[0], "696a6b6c6d6e6f707172737475767778",
		      "0c0e84cf0bb7a8688e5238dbbc1c3953");
	ntp_keys_free(&ring);
}

static void ntpd_sha1_vector(void **state)
{
	struct ntp_keyring ring;

	(void)state;
	ring_from("42 SHA1 ASCII:abcdefgh\n", &ring);
	assert_digest(&ring.keys[0], "696a6b6c6d6e6f707172737475767778",
		      "d717e22e1659305fad6ef08864923db64aba9c08");
	ntp_keys_free(&ring);
}

/* A client request: LI 0 VN 4 mode 3, poll 6, precision -20, transmit
 * timestamp e9a1b2c3d4e5f607, everything else zero. */
static const char header_hex[] =
	"230006ec" "00000000" "00000000" "00000000"
	"0000000000000000" "0000000000000000" "0000000000000000"
	"e9a1b2c3d4e5f607";

/* sign the fixed header with key `id`; the trailer must be id + want */
static void assert_signed(const struct ntp_keyring *ring, __u32 id, const char *want_hex)
{
	const struct ntp_key *k = ntp_keys_find(ring, id), *used = NULL;
	__u8 pkt[NTP_PACKET_LEN + 4 + NTP_MAC_MAX_DIGEST], want[32];
	size_t len, wlen;

	assert_non_null(k);
	unhex(header_hex, pkt, &len);
	assert_int_equal(len, NTP_PACKET_LEN);
	unhex(want_hex, want, &wlen);
	len = ntp_auth_sign(k, pkt);
	assert_int_equal(len, NTP_PACKET_LEN + 4 + wlen);
	assert_int_equal(pkt[48] << 24 | pkt[49] << 16 | pkt[50] << 8 | pkt[51], id);
	assert_memory_equal(pkt + NTP_PACKET_LEN + 4, want, wlen);
	/* what we sign we also accept, and one flipped bit we do not */
	assert_int_equal(ntp_auth_check(ring, pkt, len, &used), NTP_AUTH_OK);
	assert_ptr_equal(used, k);
	pkt[len - 1] ^= 1;
	assert_int_equal(ntp_auth_check(ring, pkt, len, &used), NTP_AUTH_BAD_MAC);
	pkt[len - 1] ^= 1;
	pkt[40] ^= 0x80;	/* the header is covered, not only the trailer */
	assert_int_equal(ntp_auth_check(ring, pkt, len, &used), NTP_AUTH_BAD_MAC);
}

static void packet_macs(void **state)
{
	struct ntp_keyring ring;
	__u8 pkt[NTP_PACKET_LEN + 20] = { 0 };
	const struct ntp_key *used;
	size_t len;

	(void)state;
	ring_from("12 MD5 ASCII:crocus\n"
		  "10 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70\n"
		  "11 AES128CMAC HEX:7EA62AE64D190114D46D5A082F948EC1\n", &ring);
	assert_signed(&ring, 12, "d175612980742bd1ad26ddbd68234525");
	assert_signed(&ring, 10, "03cdc65f8a9bc7e75f23433dde4efdf7308345f3");
	assert_signed(&ring, 11, "528871856e7dbf6eb59fe0ad18add5fa");
	/* a key id we do not have: the crypto-NAK case */
	unhex(header_hex, pkt, &len);
	pkt[51] = 99;
	assert_int_equal(ntp_auth_check(&ring, pkt, sizeof(pkt), &used), NTP_AUTH_UNKNOWN_KEY);
	ntp_keys_free(&ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc4493_examples),
		cmocka_unit_test(aes_spellings),
		cmocka_unit_test(ntpd_md5_vector),
		cmocka_unit_test(ntpd_sha1_vector),
		cmocka_unit_test(packet_macs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
