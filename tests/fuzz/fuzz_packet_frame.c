// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The packet ring's frame functions (userspace/packet_ring.h) on any
 * frame.  Input: byte 0 the answer's TOS, byte 1 and 2 the answer's
 * payload length less one (big endian, taken modulo 1024: a mode-6 answer
 * is longer than the request), byte 3 bit 0 sum_trusted, then the frame.
 *
 * packet_frame_parse must take exactly the frames the ring's filter does
 * whose lengths agree and whose checksums are right, all written out again
 * here (untagged IPv4, IHL 5, UDP, not a fragment, 28 <= IP total length
 * <= the frame's, 8 <= UDP length <= the IP payload, the IP header sum,
 * the UDP sum unless trusted or 0), and report their bytes; the answer
 * built from whatever parses must verify as a frame (both checksums by this
 * file's own summation, ends swapped, TTL 64, DF, the payload copied),
 * write nothing past its length, and come out the same when built in place
 * over its own payload.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>

#include "fuzz_util.h"
#include "packet_ring.h"

#define HDRS	42
#define FRAME_MAX 2048
#define PAYLOAD_MAX 1024
#define CANARY 0xa5

static unsigned int be16(const uint8_t *p) { return (unsigned int)p[0] << 8 | p[1]; }

static unsigned int ones_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i < len; i++)
		sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* 0, or the error packet_frame_parse must give */
static int ring_verdict(const uint8_t *f, size_t len, bool sum_trusted)
{
	unsigned int tot, ulen;
	uint8_t pseudo[12];

	if (len < HDRS)
		return -EINVAL;
	tot = be16(f + 16);
	ulen = be16(f + 38);
	if (be16(f + 12) != 0x0800 || f[14] != 0x45 || f[23] != 17 || (be16(f + 20) & 0x3fff) ||
	    tot > len - 14 || tot < 28 || ulen < 8 || ulen > tot - 20)
		return -EINVAL;
	if (ones_sum(f + 14, 20, 0) != 0xffff)
		return -EPROTO;
	memcpy(pseudo, f + 26, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = (uint8_t)(ulen >> 8);
	pseudo[11] = (uint8_t)ulen;
	if (!sum_trusted && be16(f + 40) &&
	    ones_sum(f + 34, ulen, ones_sum(pseudo, 12, 0)) != 0xffff)
		return -EBADMSG;
	return 0;
}

static void check_answer(const uint8_t *out, unsigned int len, const uint8_t *req,
			 const uint8_t *payload, unsigned int payload_len, uint8_t tos)
{
	uint8_t pseudo[12];
	unsigned int i;

	FUZZ_CHECK(len == HDRS + payload_len);
	FUZZ_CHECK(!memcmp(out, req + 6, 6) && !memcmp(out + 6, req, 6));
	FUZZ_CHECK(be16(out + 12) == 0x0800);
	FUZZ_CHECK(out[14] == 0x45 && out[15] == tos && be16(out + 16) == 28 + payload_len);
	FUZZ_CHECK(be16(out + 18) == 0 && be16(out + 20) == 0x4000 && out[22] == 64 && out[23] == 17);
	FUZZ_CHECK(!memcmp(out + 26, req + 30, 4) && !memcmp(out + 30, req + 26, 4));
	FUZZ_CHECK(ones_sum(out + 14, 20, 0) == 0xffff);
	FUZZ_CHECK(!memcmp(out + 34, req + 36, 2) && !memcmp(out + 36, req + 34, 2));
	FUZZ_CHECK(be16(out + 38) == 8 + payload_len && be16(out + 40) != 0);
	memcpy(pseudo, out + 26, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = (uint8_t)((8 + payload_len) >> 8);
	pseudo[11] = (uint8_t)(8 + payload_len);
	FUZZ_CHECK(ones_sum(out + 34, 8 + payload_len, ones_sum(pseudo, 12, 0)) == 0xffff);
	FUZZ_CHECK(!memcmp(out + HDRS, payload, payload_len));
	for (i = len; i < HDRS + PAYLOAD_MAX + 16; i++)
		FUZZ_CHECK(out[i] == CANARY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[FRAME_MAX], payload[PAYLOAD_MAX];
	static uint8_t out[HDRS + PAYLOAD_MAX + 16], in_place[HDRS + PAYLOAD_MAX + 16];
	struct fuzz_cursor c = { .data = data, .len = size };
	struct packet_request req;
	unsigned int plen, len, i;
	uint8_t tos = fuzz_u8(&c);
	bool sum_trusted;
	size_t flen;
	int rc;

	plen = (unsigned int)fuzz_u8(&c) << 8;
	plen = (plen | fuzz_u8(&c)) % PAYLOAD_MAX + 1;
	sum_trusted = fuzz_u8(&c) & 1;
	flen = c.pos < size ? size - c.pos : 0;
	if (flen > FRAME_MAX)
		flen = FRAME_MAX;
	memcpy(frame, data + c.pos, flen);

	rc = packet_frame_parse(frame, (unsigned int)flen, sum_trusted, &req);
	FUZZ_CHECK(rc == ring_verdict(frame, flen, sum_trusted));
	if (rc)
		return 0;
	FUZZ_CHECK(req.peer.sin_family == AF_INET);
	FUZZ_CHECK(!memcmp(&req.peer.sin_addr, frame + 26, 4) && !memcmp(&req.dst, frame + 30, 4));
	FUZZ_CHECK(!memcmp(&req.peer.sin_port, frame + 34, 2));
	FUZZ_CHECK(req.payload == frame + HDRS && req.payload_len == be16(frame + 38) - 8u);

	/* the answer's payload: the request's bytes, then more of the frame */
	for (i = 0; i < plen; i++)
		payload[i] = i < req.payload_len ? req.payload[i] : frame[(HDRS + i) % flen];
	memset(out, CANARY, sizeof(out));
	len = packet_frame_answer(out, frame, payload, plen, tos);
	check_answer(out, len, frame, payload, plen, tos);

	/* in place, as the server builds it: the payload already at out + 42 */
	memset(in_place, CANARY, sizeof(in_place));
	memcpy(in_place + HDRS, payload, plen);
	FUZZ_CHECK(packet_frame_answer(in_place, frame, in_place + HDRS, plen, tos) == len);
	FUZZ_CHECK(!memcmp(in_place, out, sizeof(out)));
	return 0;
}
