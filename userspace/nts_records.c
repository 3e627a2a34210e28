// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "nts_records.h"
#include "nts_wire.h"
#include "nts_aes_siv.h"

#include <errno.h>
#include <string.h>

struct cursor {
	uint8_t *p;
	size_t left;
	int overflow;
};

static void put(struct cursor *c, const void *data, size_t len)
{
	if (len > c->left) {
		c->overflow = 1;
		return;
	}
	if (len)	/* an empty record's body may be NULL */
		memcpy(c->p, data, len);
	c->p += len;
	c->left -= len;
}

static void put_record(struct cursor *c, uint16_t type, const void *body, size_t len)
{
	uint8_t hdr[4] = { type >> 8, type & 0xff, (uint8_t)(len >> 8), len & 0xff };

	put(c, hdr, sizeof(hdr));
	put(c, body, len);
}

static void put_record16(struct cursor *c, uint16_t type, uint16_t value)
{
	uint8_t body[2] = { value >> 8, value & 0xff };

	put_record(c, type, body, sizeof(body));
}

/* does the list of 16-bit ids (a record's body) hold want? */
static int list_has(const uint8_t *body, size_t len, uint16_t want)
{
	size_t i;

	for (i = 0; i + 2 <= len; i += 2)
		if (nts_get16(body + i) == want)
			return 1;
	return 0;
}

/*
 * One record: what it tells us about the request.  RFC 8915 4: an unknown
 * record with the critical bit is answered with error 0, one without it is
 * ignored; a record the server sends (Error, Warning, New Cookie) coming
 * from a client is a bad request, as is a second Next Protocol or AEAD
 * record or a list of odd length.
 */
static void take_record(uint16_t type, const uint8_t *body, size_t len, int *seen_proto,
			int *seen_aead, struct nts_ke_request *req)
{
	int critical = type & NTS_KE_CRITICAL;

	switch (type & ~NTS_KE_CRITICAL) {
	case NTS_KE_NEXT_PROTOCOL:
		if ((*seen_proto)++ || len % 2 || !critical)
			req->error = NTS_KE_ERR_BAD_REQUEST;
		req->ntpv4 = list_has(body, len, NTS_PROTOCOL_NTPV4);
		break;
	case NTS_KE_AEAD:
		if ((*seen_aead)++ || len % 2)
			req->error = NTS_KE_ERR_BAD_REQUEST;
		req->aes_siv = list_has(body, len, NTS_AEAD_AES_SIV_CMAC_256);
		break;
	case NTS_KE_SERVER:
	case NTS_KE_PORT:
		break;	/* a client's preference: we say where to go */
	case NTS_KE_ERROR:
	case NTS_KE_WARNING:
	case NTS_KE_NEW_COOKIE:
		req->error = NTS_KE_ERR_BAD_REQUEST;
		break;
	default:
		if (critical && req->error < 0)
			req->error = NTS_KE_ERR_UNRECOGNIZED_CRITICAL;
	}
}

int nts_ke_parse_request(const uint8_t *buf, size_t len, struct nts_ke_request *req)
{
	int seen_proto = 0, seen_aead = 0;
	size_t off = 0, body;
	uint16_t type;

	*req = (struct nts_ke_request){ .error = -1 };
	for (;;) {
		if (off + 4 > len)
			break;
		type = nts_get16(buf + off);
		body = nts_get16(buf + off + 2);
		if (off + 4 + body > len)
			break;
		if ((type & ~NTS_KE_CRITICAL) == NTS_KE_END_OF_MESSAGE) {
			/* End of Message is critical and empty, and a request names
			 * its protocol (RFC 8915 4.1.1, 4.1.2) */
			if (!seen_proto || body || !(type & NTS_KE_CRITICAL))
				req->error = NTS_KE_ERR_BAD_REQUEST;
			/* NTPv4 asks for an AEAD record (4.1.5) */
			if (req->ntpv4 && !seen_aead)
				req->error = NTS_KE_ERR_BAD_REQUEST;
			return NTS_KE_COMPLETE;
		}
		take_record(type, buf + off + 4, body, &seen_proto, &seen_aead, req);
		off += 4 + body;
	}
	return len >= NTS_KE_MAX_REQUEST ? -EMSGSIZE : NTS_KE_INCOMPLETE;
}

enum nts_ke_reply nts_ke_reply_kind(const struct nts_ke_request *req)
{
	if (req->error >= 0)
		return NTS_KE_REPLY_ERROR;
	if (!req->ntpv4)
		return NTS_KE_REPLY_NO_PROTOCOL;
	return req->aes_siv ? NTS_KE_REPLY_COOKIES : NTS_KE_REPLY_NO_AEAD;
}

/*
 * A server sends no Warning record: RFC 8915 4.1.4 defines no warning
 * code, and a client must treat one it does not know as an error.  So the
 * only refusal written here is an Error record, alone before End of
 * Message, with no key material after it (4.1.3).
 */
int nts_ke_write_answer(const struct nts_ke_answer *a, uint8_t *out, size_t size)
{
	struct cursor c = { .p = out, .left = size };
	const struct nts_ke_request *req = a->req;
	int i;

	switch (nts_ke_reply_kind(req)) {
	case NTS_KE_REPLY_ERROR:
		put_record16(&c, NTS_KE_CRITICAL | NTS_KE_ERROR, (uint16_t)req->error);
		break;
	case NTS_KE_REPLY_NO_PROTOCOL:
		/* none of the protocols offered: an empty list says so (4.1.2) */
		put_record(&c, NTS_KE_CRITICAL | NTS_KE_NEXT_PROTOCOL, NULL, 0);
		break;
	case NTS_KE_REPLY_NO_AEAD:
		put_record16(&c, NTS_KE_CRITICAL | NTS_KE_NEXT_PROTOCOL, NTS_PROTOCOL_NTPV4);
		put_record(&c, NTS_KE_CRITICAL | NTS_KE_AEAD, NULL, 0);
		break;
	case NTS_KE_REPLY_COOKIES:
		put_record16(&c, NTS_KE_CRITICAL | NTS_KE_NEXT_PROTOCOL, NTS_PROTOCOL_NTPV4);
		put_record16(&c, NTS_KE_CRITICAL | NTS_KE_AEAD, NTS_AEAD_AES_SIV_CMAC_256);
		for (i = 0; i < NTS_KE_COOKIES; i++)
			put_record(&c, NTS_KE_NEW_COOKIE, a->cookies[i], a->cookie_len);
		if (a->server)
			put_record(&c, NTS_KE_CRITICAL | NTS_KE_SERVER, a->server,
				   strlen(a->server));
		if (a->port)
			put_record16(&c, NTS_KE_CRITICAL | NTS_KE_PORT, a->port);
		break;
	}
	put_record(&c, NTS_KE_CRITICAL | NTS_KE_END_OF_MESSAGE, NULL, 0);
	return c.overflow ? -ENOSPC : (int)(size - c.left);
}

int nts_ke_build_answer(const struct nts_ke_answer *a, uint8_t (*cookies)[128], nts_ke_seal_fn seal,
			void *arg, uint8_t *out, size_t size, struct nts_ke_request *sent)
{
	struct nts_ke_answer answer = *a;
	int i;

	*sent = *a->req;
	answer.req = sent;
	answer.cookies = (const uint8_t(*)[128])cookies;
	if (nts_ke_reply_kind(sent) == NTS_KE_REPLY_COOKIES)
		for (i = 0; i < NTS_KE_COOKIES; i++)
			if (seal(arg, cookies[i])) {
				*sent = (struct nts_ke_request){ .error = NTS_KE_ERR_INTERNAL };
				break;
			}
	return nts_ke_write_answer(&answer, out, size);
}
