// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * An upstream server's answer, as the agent judges it: arbitrary bytes
 * with fuzz-chosen nonce, send and receive times.  Input: a 33-byte header
 * (flags, nonce, t1, t4, TAI offset) then the datagram.
 */
#include <math.h>

#include "fuzz_util.h"
#include "ntp_client.h"
#include "ntp_proto.h"

static bool finite_sample(const struct ntp_sample *s)
{
	return isfinite(s->offset) && isfinite(s->delay) && isfinite(s->dispersion) &&
	       isfinite(s->root_delay) && isfinite(s->root_dispersion) && isfinite(s->local_rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c = { data, size, 0 };
	const struct ntp_packet *r;
	enum ntp_response_verdict v;
	struct ntp_sample s;
	__u64 nonce, t1, t4;
	__s64 tai_offset;
	__s8 precision;
	__u8 flags, *buf;
	size_t len;

	flags = fuzz_u8(&c);
	nonce = fuzz_u64(&c);
	t1 = fuzz_u64(&c);
	t4 = fuzz_u64(&c);
	fuzz_take(&c, &tai_offset, sizeof(tai_offset));
	precision = (__s8)fuzz_u8(&c);
	len = fuzz_remaining(&c);
	/* an exact-size heap copy: ASan sees any read past the datagram */
	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	if (len)
		memcpy(buf, data + c.pos, len);
	r = (const struct ntp_packet *)buf;

	/* make the origin match often enough to reach the arithmetic */
	if ((flags & 1) && len >= NTP_PACKET_LEN)
		nonce = r->origin_ts;
	if (flags & 2) {
		/* a plausible round trip: t4 within 2^34 ns after t1, offset 37 s */
		tai_offset = 37 * (__s64)NSEC_PER_SEC_U64;
		t1 = (t1 & ((1ULL << 62) - 1)) + (__u64)tai_offset;
		t4 = t1 + (t4 & ((1ULL << 34) - 1));
	}

	memset(&s, 0xcc, sizeof(s));
	v = ntp_client_parse_response(buf, len, nonce, t1, t4, tai_offset, precision, &s);
	FUZZ_CHECK(ntp_response_verdict_name(v) != NULL);
	if (len < NTP_PACKET_LEN)
		FUZZ_CHECK(v == NTP_RESP_BAD_LENGTH);
	if (v == NTP_RESP_OK || (v >= NTP_RESP_KOD_RATE && v <= NTP_RESP_KOD_OTHER)) {
		/* nothing from a packet that does not answer our request */
		FUZZ_CHECK(r->origin_ts == nonce);
		FUZZ_CHECK(NTP_MODE(r->li_vn_mode) == NTP_MODE_SERVER);
	}
	if (v >= NTP_RESP_KOD_RATE && v <= NTP_RESP_KOD_OTHER)
		FUZZ_CHECK(r->stratum == 0);
	if (v == NTP_RESP_OK) {
		FUZZ_CHECK(s.stratum >= 1 && s.stratum <= NTP_STRATUM_MAX);
		FUZZ_CHECK(s.stratum == r->stratum);
		FUZZ_CHECK(s.leap != NTP_LEAP_UNSYNC);
		FUZZ_CHECK(r->receive_ts && r->transmit_ts);
		FUZZ_CHECK(finite_sample(&s));
		FUZZ_CHECK(s.delay >= 0);
		FUZZ_CHECK(s.dispersion > 0);
		FUZZ_CHECK(s.root_delay >= 0 && s.root_dispersion >= 0);
		FUZZ_CHECK(s.refid == r->refid);
	}
	free(buf);
	return 0;
}
