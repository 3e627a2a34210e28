// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The NTS extension-field parser and answer (userspace/nts_ef.c): any
 * datagram.  A parse that succeeds names offsets inside the datagram;
 * authentication against a fixed ring never answers a forgery (the fuzzer
 * cannot make a valid SIV tag); and when the input is a valid request
 * (the first byte odd: the rest is rewritten into one, with the fuzz
 * bytes as UID, placeholders and extra fields), the answer is never
 * longer than the request.
 */
#include <errno.h>

#include "fuzz_util.h"
#include "nts_wire.h"
#include "nts_ef.h"
#include "ntpd_shared.h"

static struct nts_cookie_ring ring;
static const struct nts_client_keys keys = { .c2s = { 1 }, .s2c = { 2 } };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (nts_cookie_ring_init(&ring, NULL) || nts_cookie_ring_rotate(&ring, 1))
		abort();
	return 0;
}

/* A request that authenticates: UID of 32..80 bytes, 0..15 placeholders. */
static size_t valid_request(struct fuzz_cursor *c, uint8_t *pkt)
{
	uint8_t uid[80], cookie[NTS_COOKIE_LEN], auth[36] = { 0, 16, 0, 16 };
	size_t uid_len = 32 + 4 * (fuzz_u8(c) % 13), off = NTP_PACKET_LEN;
	int ph = fuzz_u8(c) % 16, i;

	fuzz_take(c, pkt, NTP_PACKET_LEN);
	fuzz_take(c, uid, uid_len);
	fuzz_take(c, auth + 4, 16);
	if (nts_cookie_seal(&ring, &keys, cookie))
		abort();
	off += nts_ef_put(pkt + off, NTS_EF_UNIQUE_ID, uid, uid_len);
	off += nts_ef_put(pkt + off, NTS_EF_COOKIE, cookie, sizeof(cookie));
	for (i = 0; i < ph; i++)
		off += nts_ef_put(pkt + off, NTS_EF_COOKIE_PLACEHOLDER, NULL,
			      NTS_COOKIE_LEN - 4 * (fuzz_u8(c) % 4));
	if (nts_siv_seal(keys.c2s, pkt, off, auth + 4, 16, NULL, 0, auth + 20))
		abort();
	off += nts_ef_put(pkt + off, NTS_EF_AUTHENTICATOR, auth, sizeof(auth));
	return off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c = { data, size, 1 };
	uint8_t pkt[4096];
	struct nts_ef_request r;
	struct nts_ef_reply rep;
	size_t len, out;
	int valid = size && (data[0] & 1), err;

	if (valid) {
		len = valid_request(&c, pkt);
	} else {
		len = size > sizeof(pkt) ? sizeof(pkt) : size;
		memcpy(pkt, data, len);
	}
	err = nts_ef_parse(pkt, len, &r);
	FUZZ_CHECK(err == 0 || err == -ENOENT || err == -EBADMSG);
	FUZZ_CHECK(!valid || err == 0);
	if (err)
		return 0;
	FUZZ_CHECK(r.uid_off >= NTP_PACKET_LEN && r.uid_off + r.uid_len <= len);
	FUZZ_CHECK(r.cookie_off + r.cookie_len <= len);
	FUZZ_CHECK(r.nonce_off + r.nonce_len <= len && r.ct_off + r.ct_len <= len);
	err = nts_ef_authenticate(&ring, pkt, len, &r, &rep);
	FUZZ_CHECK(!valid || (err == 0 && !rep.nak));
	if (err)
		return 0;
	/* a forged cookie never opens: only the NAK for non-built input */
	FUZZ_CHECK(valid || rep.nak);
	out = nts_ef_finish(&ring, pkt, &rep);
	FUZZ_CHECK(out >= NTP_PACKET_LEN && out <= len);
	return 0;
}
