// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The NTS-KE record parser (userspace/nts_records.c): any bytes a TLS
 * client sends, fed as they would arrive, in pieces (every prefix is
 * parsed as the server parses a growing buffer); a complete request's
 * answer is then written, and must be well-formed records ending in End
 * of Message, within its buffer.
 */
#include "fuzz_util.h"
#include <errno.h>

#include "nts_records.h"

static void check_answer(const uint8_t *out, int len)
{
	int off = 0, body, type = -1;

	FUZZ_CHECK(len > 0);
	while (off < len) {
		FUZZ_CHECK(off + 4 <= len);
		type = (out[off] << 8 | out[off + 1]) & 0x7fff;
		body = out[off + 2] << 8 | out[off + 3];
		FUZZ_CHECK(off + 4 + body <= len);
		off += 4 + body;
	}
	FUZZ_CHECK(type == NTS_KE_END_OF_MESSAGE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t cookies[NTS_KE_COOKIES][128];
	struct nts_ke_request req;
	struct nts_ke_answer a = { .req = &req, .cookies = cookies, .cookie_len = 104,
				   .server = "ntp.example", .port = 123 };
	uint8_t out[2048];
	size_t n;
	int ret = NTS_KE_INCOMPLETE;

	if (size > 2 * NTS_KE_MAX_REQUEST)
		return 0;
	for (n = 1; n <= size && ret == NTS_KE_INCOMPLETE; n++)
		ret = nts_ke_parse_request(data, n, &req);
	FUZZ_CHECK(ret == NTS_KE_INCOMPLETE || ret == NTS_KE_COMPLETE || ret == -EMSGSIZE);
	if (ret != NTS_KE_COMPLETE)
		return 0;
	FUZZ_CHECK(req.error >= -1 && req.error <= NTS_KE_ERR_INTERNAL);
	check_answer(out, nts_ke_write_answer(&a, out, sizeof(out)));
	return 0;
}
