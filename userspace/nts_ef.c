// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "nts_ef.h"
#include "nts_wire.h"
#include "ntpd_shared.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>
/* last: maps the OpenSSL names above to the lazily loaded library */
#include "openssl_lazy.h"

#define COOKIE_EF_LEN	(NTS_EF_HDR_LEN + NTS_COOKIE_LEN)
/* the answer's authenticator: header, two lengths, our 16-byte nonce, the tag */
#define AUTH_FIXED_LEN	(NTS_EF_HDR_LEN + 4 + NTS_NONCE_MIN_LEN + NTS_SIV_TAG_LEN)
/* a client may encrypt fields of its own; none we act on, but they are opened */
#define MAX_PLAIN	1024

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* The authenticator's body: nonce and ciphertext lengths, each padded. */
static int parse_auth(const uint8_t *body, size_t len, uint16_t off, struct nts_ef_request *r)
{
	size_t nonce_len, ct_len;

	if (len < 4) {
		r->malformed = NTS_EF_SHORT;
		return -EBADMSG;
	}
	nonce_len = nts_get16(body);
	ct_len = nts_get16(body + 2);
	if (nonce_len < NTS_NONCE_MIN_LEN || ct_len < NTS_SIV_TAG_LEN ||
	    4 + pad4(nonce_len) + pad4(ct_len) > len) {
		r->malformed = NTS_EF_SHORT;
		return -EBADMSG;
	}
	r->auth_off = off;
	r->nonce_off = (uint16_t)(off + NTS_EF_HDR_LEN + 4);
	r->nonce_len = (uint16_t)nonce_len;
	r->ct_off = (uint16_t)(r->nonce_off + pad4(nonce_len));
	r->ct_len = (uint16_t)ct_len;
	return 0;
}

static int bad(struct nts_ef_request *r, enum nts_ef_malformed why)
{
	r->malformed = (uint8_t)why;
	return -EBADMSG;
}

int nts_ef_parse(const uint8_t *pkt, size_t len, struct nts_ef_request *r)
{
	size_t off = NTP_PACKET_LEN, ef_len;
	bool any_nts = false;
	uint16_t type;

	memset(r, 0, sizeof(*r));
	if (len <= NTP_PACKET_LEN || len > UINT16_MAX)
		return -ENOENT;
	while (off < len) {
		if (off + NTS_EF_HDR_LEN > len)
			return bad(r, NTS_EF_TRUNCATED);
		type = nts_get16(pkt + off);
		ef_len = nts_get16(pkt + off + 2);
		if (r->auth_off)
			return bad(r, NTS_EF_AFTER_AUTH);
		if (ef_len < NTS_EF_MIN_LEN || ef_len % 4)
			return bad(r, NTS_EF_BAD_LENGTH);
		if (off + ef_len > len)
			return bad(r, NTS_EF_TRUNCATED);
		switch (type) {
		case NTS_EF_UNIQUE_ID:
			if (r->uid_off)
				return bad(r, NTS_EF_DUPLICATE);
			if (ef_len - NTS_EF_HDR_LEN < NTS_UID_MIN_LEN)
				return bad(r, NTS_EF_SHORT);
			r->uid_off = (uint16_t)off;
			r->uid_len = (uint16_t)ef_len;
			any_nts = true;
			break;
		case NTS_EF_COOKIE:
			if (r->cookie_off)
				return bad(r, NTS_EF_DUPLICATE);
			r->cookie_off = (uint16_t)(off + NTS_EF_HDR_LEN);
			r->cookie_len = (uint16_t)(ef_len - NTS_EF_HDR_LEN);
			any_nts = true;
			break;
		case NTS_EF_COOKIE_PLACEHOLDER:
			if (r->placeholders < UINT8_MAX)
				r->placeholders++;
			any_nts = true;
			break;
		case NTS_EF_AUTHENTICATOR:
			if (parse_auth(pkt + off + NTS_EF_HDR_LEN, ef_len - NTS_EF_HDR_LEN, (uint16_t)off, r))
				return -EBADMSG;
			any_nts = true;
			break;
		default:
			break;	/* another extension: covered by the authenticator, ignored */
		}
		off += ef_len;
	}
	if (!any_nts)
		return -ENOENT;
	return r->uid_off && r->cookie_off && r->auth_off ? 0 : bad(r, NTS_EF_MISSING);
}

int nts_ef_authenticate(struct nts_cookie_ring *ring, const uint8_t *pkt, size_t len,
			const struct nts_ef_request *r, struct nts_ef_reply *rep)
{
	uint8_t plain[MAX_PLAIN];
	int err;

	memset(rep, 0, sizeof(*rep));
	rep->req = *r;
	rep->req_len = (uint16_t)len;
	if (r->ct_len - NTS_SIV_TAG_LEN > MAX_PLAIN)
		return -EBADMSG;
	rep->nak_err = nts_cookie_open(ring, pkt + r->cookie_off, r->cookie_len, &rep->keys);
	if (rep->nak_err) {
		rep->nak = true;
		return 0;
	}
	/* RFC 8915 5.6: the associated data is the datagram up to the field */
	err = nts_siv_open(rep->keys.c2s, pkt, r->auth_off, pkt + r->nonce_off, r->nonce_len,
			   pkt + r->ct_off, r->ct_len, plain);
	OPENSSL_cleanse(plain, sizeof(plain));
	if (err) {
		OPENSSL_cleanse(&rep->keys, sizeof(rep->keys));
		return -EBADMSG;
	}
	return 0;
}

/* Cookies the answer carries: one per cookie and placeholder asked, as many
 * as fit in the request's length. */
static int cookies_to_send(const struct nts_ef_reply *rep)
{
	size_t fixed = NTP_PACKET_LEN + rep->req.uid_len + AUTH_FIXED_LEN;
	int want = 1 + rep->req.placeholders;

	if (want > NTS_MAX_COOKIES)
		want = NTS_MAX_COOKIES;
	if (fixed >= rep->req_len)
		return 0;
	if ((size_t)want > (rep->req_len - fixed) / COOKIE_EF_LEN)
		want = (int)((rep->req_len - fixed) / COOKIE_EF_LEN);
	return want;
}

size_t nts_ef_finish(struct nts_cookie_ring *ring, uint8_t *pkt, const struct nts_ef_reply *rep)
{
	uint8_t plain[NTS_MAX_COOKIES * COOKIE_EF_LEN];
	size_t off = NTP_PACKET_LEN + rep->req.uid_len, plain_len = 0;
	uint8_t *auth = pkt + off, *nonce = auth + NTS_EF_HDR_LEN + 4;
	int n, i;

	/* the UID first, where the request's fields were (never forward) */
	memmove(pkt + NTP_PACKET_LEN, pkt + rep->req.uid_off, rep->req.uid_len);
	if (rep->nak)
		return off;
	n = cookies_to_send(rep);
	for (i = 0; i < n; i++) {
		nts_put16(plain + plain_len, NTS_EF_COOKIE);
		nts_put16(plain + plain_len + 2, COOKIE_EF_LEN);
		if (nts_cookie_seal(ring, &rep->keys, plain + plain_len + NTS_EF_HDR_LEN))
			break;
		plain_len += COOKIE_EF_LEN;
	}
	nts_put16(auth, NTS_EF_AUTHENTICATOR);
	nts_put16(auth + 2, (uint16_t)(AUTH_FIXED_LEN + plain_len));
	nts_put16(auth + 4, NTS_NONCE_MIN_LEN);
	nts_put16(auth + 6, (uint16_t)(NTS_SIV_TAG_LEN + plain_len));
	_Static_assert(NTS_NONCE_MIN_LEN == NTS_SIV_NONCE_LEN, "the nonce stream's size");
	if (nts_siv_nonce(nonce) ||
	    nts_siv_seal(rep->keys.s2c, pkt, off, nonce, NTS_NONCE_MIN_LEN, plain, plain_len,
			 nonce + NTS_NONCE_MIN_LEN)) {
		/* no authenticated answer to give: the NAK says so honestly */
		OPENSSL_cleanse(plain, sizeof(plain));
		return 0;
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	return off + AUTH_FIXED_LEN + plain_len;
}

int nts_ef_answer_cookies(const struct nts_ef_reply *rep, size_t len)
{
	size_t fixed = NTP_PACKET_LEN + rep->req.uid_len + AUTH_FIXED_LEN;

	return rep->nak || len < fixed ? 0 : (int)((len - fixed) / COOKIE_EF_LEN);
}
