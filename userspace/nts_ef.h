/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * NTS-protected NTP (RFC 8915 5): the extension fields of a request parsed
 * with bounds checks, the request authenticated with the client's C2S key
 * from its cookie, and the answer's fields written after the finished
 * header: the Unique Identifier, then an NTS Authenticator and Encrypted
 * Extension Fields holding fresh cookies under S2C.  The answer is never
 * longer than the request (RFC 8915 5.7, no amplification): it carries at
 * most as many cookies as the request held cookie plus placeholders, and
 * fewer if they would not fit.
 */
#ifndef NTPD_NTS_EF_H
#define NTPD_NTS_EF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nts_cookie.h"

enum nts_ef_type {
	NTS_EF_UNIQUE_ID = 0x0104,
	NTS_EF_COOKIE = 0x0204,
	NTS_EF_COOKIE_PLACEHOLDER = 0x0304,
	NTS_EF_AUTHENTICATOR = 0x0404,
};

#define NTS_EF_MIN_LEN		16	/* RFC 7822 7.5 */
#define NTS_UID_MIN_LEN		32	/* RFC 8915 5.3: the body */
#define NTS_NONCE_MIN_LEN	16	/* RFC 8915 5.6, for AES-SIV */
#define NTS_MAX_COOKIES		8	/* cookies per answer, at most */

/* Why nts_ef_parse found a request malformed (for the counters). */
enum nts_ef_malformed {
	NTS_EF_OK = 0,
	NTS_EF_TRUNCATED,		/* a field or its header past the datagram's end */
	NTS_EF_BAD_LENGTH,		/* under 16 or not a multiple of 4 */
	NTS_EF_DUPLICATE,		/* a second UID, cookie or authenticator */
	NTS_EF_AFTER_AUTH,		/* a field after the authenticator */
	NTS_EF_SHORT,			/* UID or nonce too short, lengths past the field */
	NTS_EF_MISSING,			/* no UID, cookie or authenticator */
};

/* Where the NTS fields of a request are (offsets into the datagram). */
struct nts_ef_request {
	uint16_t uid_off, uid_len;		/* the whole field, header included */
	uint16_t cookie_off, cookie_len;	/* the cookie: the field's body */
	uint16_t auth_off;			/* the authenticator field */
	uint16_t nonce_off, nonce_len;
	uint16_t ct_off, ct_len;		/* SIV tag and ciphertext */
	uint8_t placeholders;
	uint8_t malformed;			/* enum nts_ef_malformed, with -EBADMSG */
};

/*
 * Parse the fields after the 48-byte header.  0 for an NTS request (one
 * Unique Identifier, one cookie, placeholders, and the authenticator as
 * the last field); -ENOENT for fields that are not NTS at all (no UID,
 * cookie or authenticator: another extension); -EBADMSG for anything
 * malformed: a field past the end, a length not a multiple of 4 or under
 * 16, a second UID, cookie or authenticator, a field after the
 * authenticator, a short UID or nonce.
 */
int nts_ef_parse(const uint8_t *pkt, size_t len, struct nts_ef_request *r);

/* One request between its authentication and its answer. */
struct nts_ef_reply {
	struct nts_ef_request req;
	struct nts_client_keys keys;
	uint16_t req_len;
	bool nak;			/* the cookie did not open: NTS NAK */
	int nak_err;			/* why: nts_cookie_open's -ENOKEY, -EBADMSG... */
};

/*
 * Open the cookie and check the authenticator over everything before it.
 * 0 with rep->nak set when the cookie does not open (the answer is then a
 * NAK: kiss code NTSN and the UID, unauthenticated, RFC 8915 5.7); 0 with
 * rep->keys for a request that authenticates; -EBADMSG for one that does
 * not (dropped: an answer would help whoever tampered with it).
 */
int nts_ef_authenticate(struct nts_cookie_ring *ring, const uint8_t *pkt, size_t len,
			const struct nts_ef_request *r, struct nts_ef_reply *rep);

/*
 * Over the finished 48-byte header in pkt (transmit timestamp set), write
 * the answer's fields; the datagram's length, never above rep->req_len.
 * 0 when the answer could not be sealed (the caller sends the NAK).
 */
size_t nts_ef_finish(struct nts_cookie_ring *ring, uint8_t *pkt, const struct nts_ef_reply *rep);
/* The cookies in an answer nts_ef_finish wrote `len` bytes of. */
int nts_ef_answer_cookies(const struct nts_ef_reply *rep, size_t len);

#endif /* NTPD_NTS_EF_H */
