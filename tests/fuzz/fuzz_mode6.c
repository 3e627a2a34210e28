// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The mode-6 responder on any datagram from loopback, written over itself
 * as the socket server does: never more than one 480-byte datagram,
 * always padded to 32 bits, a response (R bit) echoing the request's
 * sequence and association, and nothing at all to a source not allowed.
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "agent.h"
#include "fuzz_util.h"
#include "mode6.h"

static int two_sources(void *ctx, int i, struct agent_source_status *out)
{
	(void)ctx;
	if (i < 0 || i > 1)
		return -1;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), i ? "[2001:db8::7]:123" : "192.0.2.2:11123");
	out->state = i ? SOURCE_UNREACHABLE : SOURCE_SYSTEM_PEER;
	out->reach = i ? 0 : 0xff;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ntpd_ref_state st = { .stratum = 2, .update_tai_ns = 1 };
	static const __u8 lo[4] = { 127, 0, 0, 1 }, other[4] = { 192, 0, 2, 9 };
	static struct mode6 *m;
	__u8 buf[2048];
	size_t len = size < sizeof(buf) ? size : sizeof(buf), out_len;
	__u32 counter;

	if (!m) {
		FUZZ_CHECK(mode6_open(&m, NULL) == 0);
		mode6_set_sources(m, two_sources, NULL);
	}
	memcpy(buf, data, len);
	counter = mode6_answer(m, AF_INET, other, buf, len, &st, 1, 1, buf, &out_len);
	FUZZ_CHECK(counter == NTPD_CNT_DROP_MODE_CONTROL && out_len == 0);
	/* a later time each run: the bucket never runs dry */
	static __u64 now = 1;
	now += 1000000000ULL;
	counter = mode6_answer(m, AF_INET, lo, buf, len, &st, 1, now, buf, &out_len);
	FUZZ_CHECK(counter == NTPD_CNT_CONTROL_ANSWERED || counter == NTPD_CNT_CONTROL_MALFORMED);
	if (counter == NTPD_CNT_CONTROL_MALFORMED) {
		FUZZ_CHECK(out_len == 0);
		return 0;
	}
	FUZZ_CHECK(out_len >= MODE6_HEADER_LEN && out_len <= MODE6_REPLY_MAX && out_len % 4 == 0);
	FUZZ_CHECK((buf[0] & 7) == 6 && (buf[1] & 0x80) && !(buf[1] & 0x20));
	FUZZ_CHECK(!memcmp(buf + 2, data + 2, 2) && !memcmp(buf + 6, data + 6, 2));
	FUZZ_CHECK(MODE6_HEADER_LEN + ((size_t)buf[10] << 8 | buf[11]) <= out_len);
	return 0;
}
