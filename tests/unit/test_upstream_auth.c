// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Keys as ntpd and chrony use them (userspace/ntp_auth.c, ntp_client.c):
 * trustedkey lists and ranges parsed, a listed ID the file lacks refused,
 * a key outside the list answered as unknown (crypto-NAK) and never used
 * to sign; an upstream's "key ID" checked against the loaded keys; our
 * signed request verifying as a server would check it; and the table of
 * replies to a signed request: signed right, unsigned, crypto-NAK, another
 * key ID, a flipped digest bit, a kiss-o'-death unsigned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <errno.h>
#include <cmocka.h>

#include "ntp_auth.h"
#include "ntp_client.h"

/* IDs 1 (MD5), 2 (SHA1), 3 (AES128CMAC), 10 (SHA1) */
static void load(struct ntp_keyring *ring, const char *trust)
{
	char path[] = "/tmp/test_upstream_auth.XXXXXX";
	struct ntp_trust t = { 0 };
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "1 MD5 ASCII:one\n2 SHA1 HEX:0102030405060708090a0b0c0d0e0f1011121314\n"
		   "3 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n10 SHA1 ASCII:ten\n");
	fclose(f);
	if (trust)
		assert_int_equal(ntp_trust_parse(trust, &t), 0);
	assert_int_equal(ntp_keys_load_trusted(path, &t, ring), 0);
	unlink(path);
}

static void trust_parse(void **state)
{
	static const struct {
		const char *text;
		int rc, n;
		__u32 lo, hi;	/* of the last entry */
	} rows[] = {
		{ "7", 0, 1, 7, 7 },
		{ "1,3-5", 0, 2, 3, 5 },
		{ "4294967295", 0, 1, 4294967295U, 4294967295U },
		{ "0", -EINVAL, 0, 0, 0 },
		{ "4294967296", -EINVAL, 0, 0, 0 },
		{ "5-3", -EINVAL, 0, 0, 0 },
		{ "3-", -EINVAL, 0, 0, 0 },
		{ "1,", -EINVAL, 0, 0, 0 },
		{ "x", -EINVAL, 0, 0, 0 },
		{ "-1", -EINVAL, 0, 0, 0 },
		{ "1 2", -EINVAL, 0, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ntp_trust t = { 0 };
		int rc = ntp_trust_parse(rows[i].text, &t);

		printf("# '%s' -> %d\n", rows[i].text, rc);
		assert_int_equal(rc, rows[i].rc);
		if (rc)
			continue;
		assert_int_equal(t.n, rows[i].n);
		assert_int_equal(t.lo[t.n - 1], rows[i].lo);
		assert_int_equal(t.hi[t.n - 1], rows[i].hi);
	}
}

static void trust_list_full(void **state)
{
	struct ntp_trust t = { 0 };
	int i;

	(void)state;
	for (i = 0; i < NTP_TRUST_MAX; i++)
		assert_int_equal(ntp_trust_parse("5", &t), 0);
	assert_int_equal(ntp_trust_parse("5", &t), -ENOSPC);
}

/* A client request signed with key `id`, as ntpdate -a or chronyd would send it. */
static size_t signed_request(const struct ntp_keyring *ring, __u32 id, __u8 *pkt)
{
	const struct ntp_key *k = ntp_keys_find(ring, id);

	memset(pkt, 0, NTP_PACKET_LEN);
	pkt[0] = NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT);
	assert_non_null(k);
	return ntp_auth_sign(k, pkt);
}

static void only_trusted_keys_answer(void **state)
{
	__u8 pkt[NTP_PACKET_LEN + 4 + NTP_MAC_MAX_DIGEST];
	const struct ntp_key *k;
	struct ntp_keyring ring;
	size_t len;

	(void)state;
	load(&ring, "2,3-5");
	/* 2 and 3 listed: verified and used to sign the answer */
	len = signed_request(&ring, 2, pkt);
	assert_int_equal(ntp_auth_check(&ring, pkt, len, &k), NTP_AUTH_OK);
	assert_int_equal(k->id, 2);
	len = signed_request(&ring, 3, pkt);
	assert_int_equal(ntp_auth_check(&ring, pkt, len, &k), NTP_AUTH_OK);
	/* 1 and 10 in the file, not listed: as unknown keys, a crypto-NAK */
	len = signed_request(&ring, 1, pkt);
	assert_int_equal(ntp_auth_check(&ring, pkt, len, &k), NTP_AUTH_UNKNOWN_KEY);
	assert_null(k);
	len = signed_request(&ring, 10, pkt);
	assert_int_equal(ntp_auth_check(&ring, pkt, len, &k), NTP_AUTH_UNKNOWN_KEY);
	assert_null(ntp_keys_trusted(&ring, 10));
	assert_non_null(ntp_keys_find(&ring, 10));
	ntp_keys_free(&ring);

	/* no list: every key of the file */
	load(&ring, NULL);
	len = signed_request(&ring, 10, pkt);
	assert_int_equal(ntp_auth_check(&ring, pkt, len, &k), NTP_AUTH_OK);
	ntp_keys_free(&ring);
}

static void trusted_id_missing_from_file(void **state)
{
	struct ntp_keyring ring = { 0 };
	struct ntp_trust t = { 0 };

	(void)state;
	load(&ring, NULL);
	assert_int_equal(ntp_trust_parse("2,7", &t), 0);
	assert_int_equal(ntp_keys_trust(&ring, &t, "keys"), -EINVAL);
	t.n = 0;
	assert_int_equal(ntp_trust_parse("4-9", &t), 0);	/* no key in it */
	assert_int_equal(ntp_keys_trust(&ring, &t, "keys"), -EINVAL);
	t.n = 0;
	assert_int_equal(ntp_trust_parse("4-11", &t), 0);	/* 10 is */
	assert_int_equal(ntp_keys_trust(&ring, &t, "keys"), 0);
	ntp_keys_free(&ring);
	/* a list without a key file */
	assert_int_equal(ntp_keys_load_trusted(NULL, &t, &ring), -EINVAL);
	t.n = 0;
	assert_int_equal(ntp_keys_load_trusted(NULL, &t, &ring), 0);
	assert_int_equal(ring.n, 0);
}

static void upstream_key_must_be_loaded_and_trusted(void **state)
{
	struct ntpd_endpoint eps[2];
	struct ntp_keyring ring, none = { 0 };

	(void)state;
	assert_int_equal(endpoint_parse("192.0.2.1", 123, &eps[0]), 0);
	assert_int_equal(endpoint_parse("192.0.2.2", 123, &eps[1]), 0);
	load(&ring, "2-3");
	assert_int_equal(ntp_client_check_keys(&ring, eps, 2), 0);	/* no keys asked */
	eps[1].key_id = 3;
	assert_int_equal(ntp_client_check_keys(&ring, eps, 2), 0);
	eps[1].key_id = 10;		/* in the file, not trusted */
	assert_int_equal(ntp_client_check_keys(&ring, eps, 2), -EINVAL);
	eps[1].key_id = 99;		/* not in the file */
	assert_int_equal(ntp_client_check_keys(&ring, eps, 2), -EINVAL);
	eps[1].key_id = 2;
	assert_int_equal(ntp_client_check_keys(&none, eps, 2), -EINVAL);
	ntp_keys_free(&ring);
}

/* A server's reply to `req`, signed with key `id` of `ring` (0: unsigned). */
static size_t reply(const struct ntp_keyring *ring, __u32 id, const __u8 *req, __u8 *out)
{
	struct ntp_packet *r = (struct ntp_packet *)out;

	memset(out, 0, NTP_PACKET_LEN);
	r->li_vn_mode = NTP_LI_VN_MODE(0, 4, NTP_MODE_SERVER);
	r->stratum = 2;
	memcpy(&r->origin_ts, req + 40, 8);
	r->receive_ts = r->transmit_ts = 1;
	return id ? ntp_auth_sign(ntp_keys_find(ring, id), out) : NTP_PACKET_LEN;
}

static void replies_to_signed_requests(void **state)
{
	static const struct {
		const char *desc;
		__u32 our_key, their_key;	/* their_key 0: unsigned */
		int mangle;			/* 1: flip a digest bit, 2: crypto-NAK, 3: cut */
		enum ntp_response_verdict before, want;
	} rows[] = {
		{ "SHA1, the same key", 2, 2, 0, NTP_RESP_OK, NTP_RESP_OK },
		{ "AES128CMAC, the same key", 3, 3, 0, NTP_RESP_OK, NTP_RESP_OK },
		{ "MD5, the same key", 1, 1, 0, NTP_RESP_OK, NTP_RESP_OK },
		{ "unsigned reply", 2, 0, 0, NTP_RESP_OK, NTP_RESP_UNSIGNED },
		{ "unsigned kiss-o'-death DENY: not obeyed", 2, 0, 0, NTP_RESP_KOD_DENY,
		  NTP_RESP_UNSIGNED },
		{ "signed kiss-o'-death RATE: obeyed", 2, 2, 0, NTP_RESP_KOD_RATE,
		  NTP_RESP_KOD_RATE },
		{ "another key ID", 2, 10, 0, NTP_RESP_OK, NTP_RESP_WRONG_KEY },
		{ "SHA1 digest bit flipped", 2, 2, 1, NTP_RESP_OK, NTP_RESP_BAD_MAC },
		{ "CMAC digest bit flipped", 3, 3, 1, NTP_RESP_OK, NTP_RESP_BAD_MAC },
		{ "crypto-NAK", 2, 2, 2, NTP_RESP_OK, NTP_RESP_CRYPTO_NAK },
		{ "MAC cut short", 2, 2, 3, NTP_RESP_OK, NTP_RESP_BAD_MAC },
		{ "our key untrusted since", 10, 10, 0, NTP_RESP_OK, NTP_RESP_NO_KEY },
	};
	__u8 req[NTP_PACKET_LEN + 4 + NTP_MAC_MAX_DIGEST], rsp[sizeof(req)];
	struct ntp_keyring ring, all;
	size_t i, len;

	(void)state;
	load(&ring, "1-3");
	load(&all, NULL);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct ntp_keyring *signer = rows[i].our_key == 10 ? &all : &ring;

		printf("# %s\n", rows[i].desc);
		ntp_client_build_request((struct ntp_packet *)req, 0x1122334455667788ULL);
		len = ntp_client_sign_request(signer, rows[i].our_key, req);
		assert_int_equal(len, NTP_PACKET_LEN + 4 +
			ntp_auth_digest_len(ntp_keys_find(&all, rows[i].our_key)->type));
		/* what a server holding the key makes of our request */
		assert_int_equal(ntp_auth_verify(ntp_keys_find(&all, rows[i].our_key), req, len),
				 NTP_AUTH_OK);
		len = reply(&all, rows[i].their_key, req, rsp);
		if (rows[i].mangle == 1)
			rsp[len - 1] ^= 1;
		if (rows[i].mangle == 2) {
			memset(rsp + NTP_PACKET_LEN, 0, 4);
			len = NTP_PACKET_LEN + 4;
		}
		if (rows[i].mangle == 3)
			len -= 4;
		assert_int_equal(ntp_client_check_auth(&ring, rows[i].our_key, rsp, len,
						       rows[i].before), rows[i].want);
	}
	/* an untrusted key is never used to sign */
	assert_int_equal(ntp_client_sign_request(&ring, 10, req), 0);
	ntp_keys_free(&ring);
	ntp_keys_free(&all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trust_parse),
		cmocka_unit_test(trust_list_full),
		cmocka_unit_test(only_trusted_keys_answer),
		cmocka_unit_test(trusted_id_missing_from_file),
		cmocka_unit_test(upstream_key_must_be_loaded_and_trusted),
		cmocka_unit_test(replies_to_signed_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
