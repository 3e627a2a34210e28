// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * NTS-protected NTP (userspace/nts_ef.c): requests built here as a client
 * builds them (RFC 8915 5: UID, cookie, placeholders, authenticator over
 * all before it under C2S), parsed as a table of malformations, then
 * authenticated, and the answer opened under S2C as the client would:
 * the UID echoed, the cookies asked for, never longer than the request.
 * A changed byte anywhere the authenticator covers is refused; a cookie
 * from a key rotated out gets the NAK.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nts_ef.h"
#include "nts_wire.h"
#include "ntpd_shared.h"

static struct nts_cookie_ring ring;
static const struct nts_client_keys keys = { .c2s = { 0xc2 }, .s2c = { 0x52 } };

static size_t placeholder_len = NTS_COOKIE_LEN;

/* A client's request with `placeholders`; its length. */
static size_t client_request(uint8_t *pkt, int placeholders, const uint8_t *cookie)
{
	uint8_t uid[32], nonce[16], auth[4 + 16 + 16];
	size_t off = NTP_PACKET_LEN;
	int i;

	memset(pkt, 0, NTP_PACKET_LEN);
	pkt[0] = 0x23;
	memset(uid, 0x11, sizeof(uid));
	memset(nonce, 0x77, sizeof(nonce));
	off += nts_ef_put(pkt + off, NTS_EF_UNIQUE_ID, uid, sizeof(uid));
	off += nts_ef_put(pkt + off, NTS_EF_COOKIE, cookie, NTS_COOKIE_LEN);
	for (i = 0; i < placeholders; i++)
		off += nts_ef_put(pkt + off, NTS_EF_COOKIE_PLACEHOLDER, NULL, placeholder_len);
	auth[0] = 0;
	auth[1] = 16;
	auth[2] = 0;
	auth[3] = 16;
	memcpy(auth + 4, nonce, 16);
	assert_int_equal(nts_siv_seal(keys.c2s, pkt, off, nonce, 16, NULL, 0, auth + 20), 0);
	off += nts_ef_put(pkt + off, NTS_EF_AUTHENTICATOR, auth, sizeof(auth));
	return off;
}

static int setup(void **state)
{
	(void)state;
	return nts_cookie_ring_init(&ring, NULL) || nts_cookie_ring_rotate(&ring, 1000);
}

static int teardown(void **state)
{
	(void)state;
	nts_cookie_ring_free(&ring);
	return 0;
}

/* The answer as the client checks it: n cookies that open, under S2C. */
static int client_cookies(const uint8_t *pkt, size_t len, const uint8_t *uid_ef)
{
	uint8_t plain[1024];
	size_t auth = NTP_PACKET_LEN + 36, ct_len;
	struct nts_client_keys got;
	int n = 0;
	size_t off;

	assert_memory_equal(pkt + NTP_PACKET_LEN, uid_ef, 36);
	assert_int_equal(pkt[auth] << 8 | pkt[auth + 1], NTS_EF_AUTHENTICATOR);
	assert_int_equal((size_t)(pkt[auth + 2] << 8 | pkt[auth + 3]), len - auth);
	ct_len = (size_t)(pkt[auth + 6] << 8 | pkt[auth + 7]);
	assert_int_equal(nts_siv_open(keys.s2c, pkt, auth, pkt + auth + 8, 16, pkt + auth + 24,
				      ct_len, plain), 0);
	for (off = 0; off < ct_len - 16; off += 4 + NTS_COOKIE_LEN, n++) {
		assert_int_equal(plain[off] << 8 | plain[off + 1], NTS_EF_COOKIE);
		assert_int_equal(nts_cookie_open(&ring, plain + off + 4, NTS_COOKIE_LEN, &got), 0);
		assert_memory_equal(&got, &keys, sizeof(keys));
	}
	return n;
}

static void answer_carries_cookies_never_longer(void **state)
{
	uint8_t cookie[NTS_COOKIE_LEN], pkt[1400], uid_ef[36];
	struct nts_ef_request r;
	struct nts_ef_reply rep;
	size_t len, out;
	int ph;

	(void)state;
	assert_int_equal(nts_cookie_seal(&ring, &keys, cookie), 0);
	for (ph = 0; ph <= 9; ph++) {
		len = client_request(pkt, ph, cookie);
		memcpy(uid_ef, pkt + NTP_PACKET_LEN, sizeof(uid_ef));
		assert_int_equal(nts_ef_parse(pkt, len, &r), 0);
		assert_int_equal(r.placeholders, ph);
		assert_int_equal(nts_ef_authenticate(&ring, pkt, len, &r, &rep), 0);
		assert_false(rep.nak);
		out = nts_ef_finish(&ring, pkt, &rep);
		assert_true(out > 0 && out <= len);
		/* one per cookie and placeholder, at most eight */
		assert_int_equal(client_cookies(pkt, out, uid_ef), ph + 1 > 8 ? 8 : ph + 1);
		/* what the cookies-issued counter adds: the cookies the client got */
		assert_int_equal(nts_ef_answer_cookies(&rep, out), ph + 1 > 8 ? 8 : ph + 1);
	}
}

/* Placeholders shorter than our cookies (another server's size): the
 * answer leaves out what does not fit rather than grow past the request. */
static void short_placeholders_never_longer(void **state)
{
	uint8_t cookie[NTS_COOKIE_LEN], pkt[1400], uid_ef[36];
	struct nts_ef_request r;
	struct nts_ef_reply rep;
	size_t len, out;
	int ph, n;

	(void)state;
	assert_int_equal(nts_cookie_seal(&ring, &keys, cookie), 0);
	placeholder_len = NTS_COOKIE_LEN - 8;
	for (ph = 1; ph <= 7; ph++) {
		len = client_request(pkt, ph, cookie);
		memcpy(uid_ef, pkt + NTP_PACKET_LEN, sizeof(uid_ef));
		assert_int_equal(nts_ef_parse(pkt, len, &r), 0);
		assert_int_equal(nts_ef_authenticate(&ring, pkt, len, &r, &rep), 0);
		out = nts_ef_finish(&ring, pkt, &rep);
		if (out > len)
			fail_msg("%d short placeholders: answer %zu bytes, request %zu", ph, out, len);
		n = client_cookies(pkt, out, uid_ef);
		/* 8 bytes short each: every 13th placeholder costs a cookie */
		assert_int_equal(n, ph + 1 - (8 * ph + 107) / 108);
		assert_int_equal(nts_ef_answer_cookies(&rep, out), n);
	}
	placeholder_len = NTS_COOKIE_LEN;
}

static void tampered_request_refused(void **state)
{
	uint8_t cookie[NTS_COOKIE_LEN], pkt[600];
	struct nts_ef_request r;
	struct nts_ef_reply rep;
	size_t len, i;
	int err;

	(void)state;
	assert_int_equal(nts_cookie_seal(&ring, &keys, cookie), 0);
	len = client_request(pkt, 1, cookie);
	for (i = 0; i < len; i++) {
		if (i >= NTP_PACKET_LEN && i < NTP_PACKET_LEN + 4)
			continue;	/* the UID's type and length: another parse */
		pkt[i] ^= 0x01;
		if (nts_ef_parse(pkt, len, &r) == 0) {
			err = nts_ef_authenticate(&ring, pkt, len, &r, &rep);
			/* a cookie byte: the cookie does not open (NAK); any other: refused */
			if (!(err == -EBADMSG || (err == 0 && rep.nak)))
				fail_msg("byte %zu changed: answered", i);
		}
		pkt[i] ^= 0x01;
	}
	assert_int_equal(nts_ef_parse(pkt, len, &r), 0);
	assert_int_equal(nts_ef_authenticate(&ring, pkt, len, &r, &rep), 0);
	assert_false(rep.nak);
}

static void rotated_out_cookie_naks(void **state)
{
	uint8_t cookie[NTS_COOKIE_LEN], pkt[600];
	struct nts_cookie_ring r2;
	struct nts_ef_request r;
	struct nts_ef_reply rep;
	size_t len, out;
	int i;

	(void)state;
	assert_int_equal(nts_cookie_ring_init(&r2, NULL), 0);
	assert_int_equal(nts_cookie_ring_rotate(&r2, 1), 0);
	assert_int_equal(nts_cookie_seal(&r2, &keys, cookie), 0);
	for (i = 0; i < NTS_COOKIE_KEYS; i++)
		assert_int_equal(nts_cookie_ring_rotate(&r2, 2 + i), 0);
	len = client_request(pkt, 2, cookie);
	assert_int_equal(nts_ef_parse(pkt, len, &r), 0);
	assert_int_equal(nts_ef_authenticate(&r2, pkt, len, &r, &rep), 0);
	assert_true(rep.nak);
	/* counted nak/unknown_key, not as an altered cookie */
	assert_int_equal(rep.nak_err, -ENOKEY);
	/* the NAK: the header and the UID, nothing else */
	out = nts_ef_finish(&r2, pkt, &rep);
	assert_int_equal(out, NTP_PACKET_LEN + 36);
	assert_int_equal(nts_ef_answer_cookies(&rep, out), 0);
	nts_cookie_ring_free(&r2);
}

struct parse_row {
	const char *desc;
	size_t at;		/* offset from the first field */
	uint8_t byte;		/* written there */
	size_t cut;		/* bytes off the end */
	int want;
	enum nts_ef_malformed why;	/* the reason counted */
};

/* a request with one placeholder: UID at 48 (36), cookie at 84 (108),
 * placeholder at 192 (108), authenticator at 300 (40); offsets from 48 */
static const struct parse_row parse_rows[] = {
	{ "as built", 0, 0, 0, 0, NTS_EF_OK },
	{ "authenticator cut by 4", 0, 0, 4, -EBADMSG, NTS_EF_TRUNCATED },
	{ "last field cut inside its header", 0, 0, 38, -EBADMSG, NTS_EF_TRUNCATED },
	{ "UID length 35 (not a multiple of 4)", 3, 35, 0, -EBADMSG, NTS_EF_BAD_LENGTH },
	{ "UID length 12 (under 16)", 3, 12, 0, -EBADMSG, NTS_EF_BAD_LENGTH },
	{ "UID length past the end", 2, 0xff, 0, -EBADMSG, NTS_EF_TRUNCATED },
	{ "UID body 28 bytes (under 32): cookie swallowed", 3, 32, 0, -EBADMSG, NTS_EF_SHORT },
	{ "cookie turned into a second UID", 36, 0x01, 0, -EBADMSG, NTS_EF_DUPLICATE },
	{ "placeholder turned into a second cookie", 144, 0x02, 0, -EBADMSG, NTS_EF_DUPLICATE },
	{ "cookie turned into an unknown field: no cookie", 37, 0x99, 0, -EBADMSG, NTS_EF_MISSING },
	{ "nonce length 12", 257, 12, 0, -EBADMSG, NTS_EF_SHORT },
	{ "ciphertext length 15", 259, 15, 0, -EBADMSG, NTS_EF_SHORT },
	{ "ciphertext length past the field", 259, 40, 0, -EBADMSG, NTS_EF_SHORT },
	{ "UID turned into an unknown field: no UID", 1, 0x99, 0, -EBADMSG, NTS_EF_MISSING },
	{ "authenticator turned into an unknown field", 253, 0x99, 0, -EBADMSG, NTS_EF_MISSING },
};

static void parse_table(void **state)
{
	uint8_t cookie[NTS_COOKIE_LEN] = { 0 }, pkt[600];
	struct nts_ef_request r;
	size_t i, len;
	int got;

	(void)state;
	for (i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		const struct parse_row *row = &parse_rows[i];

		len = client_request(pkt, 1, cookie);
		assert_int_equal(len, 48 + 36 + 108 + 108 + 40);
		if (row->byte)
			pkt[NTP_PACKET_LEN + row->at] = row->byte;
		got = nts_ef_parse(pkt, len - row->cut, &r);
		if (got != row->want)
			fail_msg("%s: %d, want %d", row->desc, got, row->want);
		if (r.malformed != row->why)
			fail_msg("%s: reason %d, want %d", row->desc, r.malformed, row->why);
	}
	/* a field after the authenticator, which must be the last */
	len = client_request(pkt, 1, cookie);
	len += nts_ef_put(pkt + len, 0x2005, NULL, 12);
	assert_int_equal(nts_ef_parse(pkt, len, &r), -EBADMSG);
	assert_int_equal(r.malformed, NTS_EF_AFTER_AUTH);
	/* fields that are not NTS: the symmetric-key path's, not ours */
	memset(pkt, 0, sizeof(pkt));
	nts_ef_put(pkt + NTP_PACKET_LEN, 0x2005, NULL, 28);
	assert_int_equal(nts_ef_parse(pkt, NTP_PACKET_LEN + 32, &r), -ENOENT);
	assert_int_equal(nts_ef_parse(pkt, NTP_PACKET_LEN, &r), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answer_carries_cookies_never_longer),
		cmocka_unit_test(short_placeholders_never_longer),
		cmocka_unit_test(tampered_request_refused),
		cmocka_unit_test(rotated_out_cookie_naks),
		cmocka_unit_test(parse_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
