// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The NTS-KE record codec (userspace/nts_records.c) as a table: a request's
 * bytes, written as RFC 8915 4 spells them (critical bit, type, length,
 * body), and what the parser makes of them; then the answer's exact bytes
 * for a good request, the refusals, and the Server and Port records.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nts_records.h"

/* the records chronyd 4.3 sends: NTPv4, AES-SIV-CMAC-256, End of Message */
#define NEXT_NTPV4	0x80, 0x01, 0x00, 0x02, 0x00, 0x00
#define AEAD_SIV	0x00, 0x04, 0x00, 0x02, 0x00, 0x0f
#define EOM		0x80, 0x00, 0x00, 0x00

struct parse_row {
	const char *desc;
	uint8_t bytes[64];
	size_t len;
	int ret;		/* NTS_KE_COMPLETE / INCOMPLETE */
	int ntpv4, aes_siv;
	int error;		/* -1: none */
};

#define ROW(d, r, n4, siv, e, ...) \
	{ d, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), r, n4, siv, e }

static const struct parse_row parse_rows[] = {
	ROW("chronyd's request", NTS_KE_COMPLETE, 1, 1, -1, NEXT_NTPV4, AEAD_SIV, EOM),
	ROW("AEAD list with 15 second", NTS_KE_COMPLETE, 1, 1, -1, NEXT_NTPV4,
	    0x00, 0x04, 0x00, 0x04, 0x00, 0x1e, 0x00, 0x0f, EOM),
	ROW("AEAD record marked critical", NTS_KE_COMPLETE, 1, 1, -1, NEXT_NTPV4,
	    0x80, 0x04, 0x00, 0x02, 0x00, 0x0f, EOM),
	ROW("no End of Message yet", NTS_KE_INCOMPLETE, 1, 1, -1, NEXT_NTPV4, AEAD_SIV),
	ROW("cut inside a record", NTS_KE_INCOMPLETE, 1, 0, -1, NEXT_NTPV4, 0x00, 0x04, 0x00,
	    0x02, 0x00),
	ROW("only AES-SIV-CMAC-512 (17)", NTS_KE_COMPLETE, 1, 0, -1, NEXT_NTPV4,
	    0x00, 0x04, 0x00, 0x02, 0x00, 0x11, EOM),
	ROW("protocol 0x8001 only", NTS_KE_COMPLETE, 0, 1, -1,
	    0x80, 0x01, 0x00, 0x02, 0x80, 0x01, AEAD_SIV, EOM),
	ROW("no Next Protocol record", NTS_KE_COMPLETE, 0, 1, NTS_KE_ERR_BAD_REQUEST,
	    AEAD_SIV, EOM),
	ROW("NTPv4 without an AEAD record", NTS_KE_COMPLETE, 1, 0, NTS_KE_ERR_BAD_REQUEST,
	    NEXT_NTPV4, EOM),
	ROW("two Next Protocol records", NTS_KE_COMPLETE, 1, 1, NTS_KE_ERR_BAD_REQUEST,
	    NEXT_NTPV4, NEXT_NTPV4, AEAD_SIV, EOM),
	ROW("Next Protocol not critical", NTS_KE_COMPLETE, 1, 1, NTS_KE_ERR_BAD_REQUEST,
	    0x00, 0x01, 0x00, 0x02, 0x00, 0x00, AEAD_SIV, EOM),
	ROW("odd-length AEAD list", NTS_KE_COMPLETE, 1, 1, NTS_KE_ERR_BAD_REQUEST, NEXT_NTPV4,
	    0x00, 0x04, 0x00, 0x03, 0x00, 0x0f, 0x00, EOM),
	ROW("End of Message not critical", NTS_KE_COMPLETE, 1, 1, NTS_KE_ERR_BAD_REQUEST,
	    NEXT_NTPV4, AEAD_SIV, 0x00, 0x00, 0x00, 0x00),
	ROW("End of Message with a body", NTS_KE_COMPLETE, 1, 1, NTS_KE_ERR_BAD_REQUEST,
	    NEXT_NTPV4, AEAD_SIV, 0x80, 0x00, 0x00, 0x02, 0x00, 0x00),
	ROW("unknown critical record 0x4000", NTS_KE_COMPLETE, 1, 1,
	    NTS_KE_ERR_UNRECOGNIZED_CRITICAL, NEXT_NTPV4, 0xc0, 0x00, 0x00, 0x00, AEAD_SIV, EOM),
	ROW("unknown record, not critical: ignored", NTS_KE_COMPLETE, 1, 1, -1, NEXT_NTPV4,
	    0x40, 0x00, 0x00, 0x02, 0xaa, 0xbb, AEAD_SIV, EOM),
	ROW("a client sending New Cookie", NTS_KE_COMPLETE, 1, 1, NTS_KE_ERR_BAD_REQUEST,
	    NEXT_NTPV4, AEAD_SIV, 0x00, 0x05, 0x00, 0x02, 0x12, 0x34, EOM),
	ROW("a client sending Error", NTS_KE_COMPLETE, 1, 1, NTS_KE_ERR_BAD_REQUEST, NEXT_NTPV4,
	    AEAD_SIV, 0x80, 0x02, 0x00, 0x02, 0x00, 0x01, EOM),
	/* RFC 8915 4.1.4: clients must not send Warning records, critical or not */
	ROW("a client sending Warning", NTS_KE_COMPLETE, 1, 1, NTS_KE_ERR_BAD_REQUEST, NEXT_NTPV4,
	    AEAD_SIV, 0x80, 0x03, 0x00, 0x02, 0x00, 0x00, EOM),
	ROW("a client sending Warning, critical bit clear", NTS_KE_COMPLETE, 1, 1,
	    NTS_KE_ERR_BAD_REQUEST, NEXT_NTPV4, AEAD_SIV, 0x00, 0x03, 0x00, 0x02, 0x12, 0x34, EOM),
	ROW("a Warning before any protocol", NTS_KE_COMPLETE, 1, 1, NTS_KE_ERR_BAD_REQUEST,
	    0x80, 0x03, 0x00, 0x00, NEXT_NTPV4, AEAD_SIV, EOM),
	ROW("unknown critical record and a Warning: bad request", NTS_KE_COMPLETE, 1, 1,
	    NTS_KE_ERR_BAD_REQUEST, NEXT_NTPV4, 0xc0, 0x00, 0x00, 0x00, 0x80, 0x03, 0x00, 0x02,
	    0x00, 0x00, AEAD_SIV, EOM),
	ROW("Server and Port from the client: ignored", NTS_KE_COMPLETE, 1, 1, -1, NEXT_NTPV4,
	    AEAD_SIV, 0x00, 0x06, 0x00, 0x01, 'x', 0x00, 0x07, 0x00, 0x02, 0x00, 0x7b, EOM),
};

static void parse_table(void **state)
{
	struct nts_ke_request req;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		const struct parse_row *r = &parse_rows[i];

		ret = nts_ke_parse_request(r->bytes, r->len, &req);
		if (ret != r->ret)
			fail_msg("%s: returned %d, want %d", r->desc, ret, r->ret);
		if (ret != NTS_KE_COMPLETE)
			continue;
		if (req.ntpv4 != r->ntpv4 || req.aes_siv != r->aes_siv || req.error != r->error)
			fail_msg("%s: ntpv4 %d aes_siv %d error %d, want %d %d %d", r->desc,
				 req.ntpv4, req.aes_siv, req.error, r->ntpv4, r->aes_siv, r->error);
	}
}

static void oversized_request(void **state)
{
	uint8_t big[NTS_KE_MAX_REQUEST] = { 0x00, 0x01, 0x03, 0xfc };	/* one long record */
	struct nts_ke_request req;

	(void)state;
	/* NEXT_NTPV4 with a 1020-byte body: whole, and still no End of Message */
	assert_int_equal(nts_ke_parse_request(big, sizeof(big), &req), -EMSGSIZE);
	assert_int_equal(nts_ke_parse_request(big, 100, &req), NTS_KE_INCOMPLETE);
}

static void answer_bytes(void **state)
{
	static const uint8_t cookies[NTS_KE_COOKIES][128] = {
		{ 1, 2, 3, 4 }, { 5 }, { 6 }, { 7 }, { 8 }, { 9 }, { 10 }, { 11 },
	};
	struct nts_ke_request req = { .ntpv4 = 1, .aes_siv = 1, .error = -1 };
	struct nts_ke_answer a = { .req = &req, .cookies = cookies, .cookie_len = 4 };
	static const uint8_t head[] = { NEXT_NTPV4, 0x80, 0x04, 0x00, 0x02, 0x00, 0x0f,
					0x00, 0x05, 0x00, 0x04, 1, 2, 3, 4 };
	static const uint8_t tail_plain[] = { 0x00, 0x05, 0x00, 0x04, 11, 0, 0, 0, EOM };
	static const uint8_t tail_neg[] = { 0x00, 0x05, 0x00, 0x04, 11, 0, 0, 0,
					    0x80, 0x06, 0x00, 0x08, 'n', 't', 'p', '.', 't',
					    'e', 's', 't', 0x80, 0x07, 0x00, 0x02, 0x04, 0x63,
					    EOM };
	uint8_t out[512];
	int len;

	(void)state;
	len = nts_ke_write_answer(&a, out, sizeof(out));
	assert_int_equal(len, 12 + 8 * 8 + 4);
	assert_memory_equal(out, head, sizeof(head));
	assert_memory_equal(out + len - sizeof(tail_plain), tail_plain, sizeof(tail_plain));
	a.server = "ntp.test";
	a.port = 1123;
	len = nts_ke_write_answer(&a, out, sizeof(out));
	assert_int_equal(len, 12 + 8 * 8 + 12 + 6 + 4);
	assert_memory_equal(out + len - sizeof(tail_neg), tail_neg, sizeof(tail_neg));
	assert_int_equal(nts_ke_write_answer(&a, out, 40), -ENOSPC);
}

static void refusals(void **state)
{
	struct nts_ke_request bad = { .ntpv4 = 1, .aes_siv = 1, .error = NTS_KE_ERR_BAD_REQUEST };
	struct nts_ke_request no_proto = { .error = -1 };
	struct nts_ke_request no_aead = { .ntpv4 = 1, .error = -1 };
	struct nts_ke_answer a = { .req = &bad };
	static const uint8_t err_rec[] = { 0x80, 0x02, 0x00, 0x02, 0x00, 0x01, EOM };
	static const uint8_t empty_proto[] = { 0x80, 0x01, 0x00, 0x00, EOM };
	static const uint8_t empty_aead[] = { NEXT_NTPV4, 0x80, 0x04, 0x00, 0x00, EOM };
	uint8_t out[64];

	(void)state;
	assert_int_equal(nts_ke_write_answer(&a, out, sizeof(out)), sizeof(err_rec));
	assert_memory_equal(out, err_rec, sizeof(err_rec));
	a.req = &no_proto;
	assert_int_equal(nts_ke_write_answer(&a, out, sizeof(out)), sizeof(empty_proto));
	assert_memory_equal(out, empty_proto, sizeof(empty_proto));
	a.req = &no_aead;
	assert_int_equal(nts_ke_write_answer(&a, out, sizeof(out)), sizeof(empty_aead));
	assert_memory_equal(out, empty_aead, sizeof(empty_aead));
}

/* Each error code where RFC 8915 4.1.3 sends it, from the request's bytes
 * to the answer's: the Error record alone, then End of Message, no cookie. */
struct error_row {
	const char *desc;
	uint8_t bytes[32];
	size_t len;
	int seal_fails;
	uint16_t code;
};

#define EROW(d, fails, code, ...) \
	{ d, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), fails, code }

static const struct error_row error_rows[] = {
	EROW("unrecognised critical record: 0", 0, NTS_KE_ERR_UNRECOGNIZED_CRITICAL,
	     NEXT_NTPV4, AEAD_SIV, 0xff, 0xff, 0x00, 0x00, EOM),
	EROW("a Warning from the client: 1", 0, NTS_KE_ERR_BAD_REQUEST,
	     NEXT_NTPV4, AEAD_SIV, 0x80, 0x03, 0x00, 0x02, 0x00, 0x00, EOM),
	EROW("no Next Protocol: 1", 0, NTS_KE_ERR_BAD_REQUEST, AEAD_SIV, EOM),
	EROW("a good request whose cookies do not seal: 2", 1, NTS_KE_ERR_INTERNAL,
	     NEXT_NTPV4, AEAD_SIV, EOM),
};

struct sealer {
	int calls, fail_at;
};

static int test_seal(void *arg, uint8_t *out)
{
	struct sealer *s = arg;

	memset(out, 0xc0 + s->calls, 4);
	return ++s->calls == s->fail_at ? -EIO : 0;
}

static void error_codes(void **state)
{
	uint8_t cookies[NTS_KE_COOKIES][128], out[512];
	struct nts_ke_request req, sent;
	struct nts_ke_answer a = { .req = &req, .cookie_len = 4, .server = "ntp.test" };
	size_t i;
	int len;

	(void)state;
	for (i = 0; i < sizeof(error_rows) / sizeof(error_rows[0]); i++) {
		const struct error_row *row = &error_rows[i];
		/* the third cookie fails: none of the first two may leak out */
		struct sealer sealer = { .fail_at = row->seal_fails ? 3 : 0 };
		const uint8_t want[] = { 0x80, 0x02, 0x00, 0x02, row->code >> 8, row->code & 0xff,
					 EOM };

		assert_int_equal(nts_ke_parse_request(row->bytes, row->len, &req), NTS_KE_COMPLETE);
		len = nts_ke_build_answer(&a, cookies, test_seal, &sealer, out, sizeof(out), &sent);
		if (len != (int)sizeof(want) || memcmp(out, want, sizeof(want)))
			fail_msg("%s: %d bytes, not the Error record %u alone", row->desc, len,
				 row->code);
		assert_int_equal(nts_ke_reply_kind(&sent), NTS_KE_REPLY_ERROR);
		assert_int_equal(sent.error, row->code);
		/* an Error answer seals nothing (keys exported for no use) */
		assert_int_equal(sealer.calls, row->seal_fails ? 3 : 0);
	}
}

/* A good request's answer through the same path: eight seals, eight cookies. */
static void build_answer_seals_eight(void **state)
{
	static const uint8_t chronyd[] = { NEXT_NTPV4, AEAD_SIV, EOM };
	uint8_t cookies[NTS_KE_COOKIES][128], out[512];
	struct nts_ke_request req, sent;
	struct nts_ke_answer a = { .req = &req, .cookie_len = 4 };
	struct sealer sealer = { 0 };
	int len, i;

	(void)state;
	assert_int_equal(nts_ke_parse_request(chronyd, sizeof(chronyd), &req), NTS_KE_COMPLETE);
	len = nts_ke_build_answer(&a, cookies, test_seal, &sealer, out, sizeof(out), &sent);
	assert_int_equal(len, 12 + 8 * 8 + 4);
	assert_int_equal(sealer.calls, NTS_KE_COOKIES);
	assert_int_equal(nts_ke_reply_kind(&sent), NTS_KE_REPLY_COOKIES);
	for (i = 0; i < NTS_KE_COOKIES; i++)
		assert_int_equal(out[12 + 8 * i + 4], 0xc0 + i);
	/* no record of the answer is a Warning: a server sends none */
	for (i = 0; i < len; i += 4 + (out[i + 2] << 8 | out[i + 3]))
		assert_int_not_equal(out[i + 1], NTS_KE_WARNING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_table),
		cmocka_unit_test(oversized_request),
		cmocka_unit_test(answer_bytes),
		cmocka_unit_test(refusals),
		cmocka_unit_test(error_codes),
		cmocka_unit_test(build_answer_seals_eight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
