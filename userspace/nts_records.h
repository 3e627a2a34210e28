/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The NTS-KE record codec (RFC 8915 section 4): a client's request parsed
 * with a bounds-checked cursor into what we need to answer it, and the
 * server's answer written.  No I/O and no crypto here: the TLS side
 * (nts_ke.c) reads bytes, this decides.
 */
#ifndef NTPD_NTS_RECORDS_H
#define NTPD_NTS_RECORDS_H

#include <stddef.h>
#include <stdint.h>

enum nts_ke_record_type {
	NTS_KE_END_OF_MESSAGE = 0,
	NTS_KE_NEXT_PROTOCOL = 1,
	NTS_KE_ERROR = 2,
	NTS_KE_WARNING = 3,
	NTS_KE_AEAD = 4,
	NTS_KE_NEW_COOKIE = 5,
	NTS_KE_SERVER = 6,
	NTS_KE_PORT = 7,
};

#define NTS_KE_CRITICAL		0x8000
#define NTS_PROTOCOL_NTPV4	0
enum nts_ke_error {
	NTS_KE_ERR_UNRECOGNIZED_CRITICAL = 0,
	NTS_KE_ERR_BAD_REQUEST = 1,
	NTS_KE_ERR_INTERNAL = 2,
};

/* A client's whole request is a few records; more is not a client. */
#define NTS_KE_MAX_REQUEST	1024
#define NTS_KE_COOKIES		8	/* New Cookie records per answer (RFC 8915 4.1.6) */
#define NTS_KE_MAX_SERVER	255	/* a host name */

enum nts_ke_parse {
	NTS_KE_INCOMPLETE = 0,	/* no End of Message yet: read more */
	NTS_KE_COMPLETE = 1,	/* a request to answer (ntpv4/aead tell what) */
};

struct nts_ke_request {
	int ntpv4;		/* NTPv4 among the protocols offered */
	int aes_siv;		/* AEAD_AES_SIV_CMAC_256 among the algorithms offered */
	int error;		/* -1, or the error code to answer with */
};

/*
 * Parse buf[0..len) as a request.  NTS_KE_INCOMPLETE when it ends before
 * End of Message; NTS_KE_COMPLETE with *req filled (req->error >= 0 for a
 * request that gets an Error record); -EMSGSIZE past NTS_KE_MAX_REQUEST.
 */
int nts_ke_parse_request(const uint8_t *buf, size_t len, struct nts_ke_request *req);

struct nts_ke_answer {
	const struct nts_ke_request *req;
	const uint8_t (*cookies)[128];	/* NTS_KE_COOKIES of them, cookie_len each */
	size_t cookie_len;
	const char *server;		/* NTPv4 Server Negotiation, NULL: none */
	uint16_t port;			/* NTPv4 Port Negotiation, 0: none */
};

/* The answer's records into out; its length, or -ENOSPC. */
int nts_ke_write_answer(const struct nts_ke_answer *a, uint8_t *out, size_t size);

/* What an answer to req says, for the counters and for whether it needs cookies. */
enum nts_ke_reply {
	NTS_KE_REPLY_COOKIES,		/* NTPv4, AES-SIV and eight cookies */
	NTS_KE_REPLY_NO_PROTOCOL,	/* an empty Next Protocol record */
	NTS_KE_REPLY_NO_AEAD,		/* NTPv4 and an empty AEAD record */
	NTS_KE_REPLY_ERROR,		/* an Error record: req->error */
};
enum nts_ke_reply nts_ke_reply_kind(const struct nts_ke_request *req);

/* Seal one cookie (a->cookie_len bytes) into out; 0 or -errno. */
typedef int (*nts_ke_seal_fn)(void *arg, uint8_t *out);

/*
 * The whole answer to a->req: when it carries cookies, each sealed by seal
 * into a's cookie buffer; one that does not seal turns the answer into
 * Error 2, internal server error (RFC 8915 4.1.3), never half an answer.
 * *sent is the request as answered (its error code then 2).  The length,
 * or -ENOSPC.
 */
int nts_ke_build_answer(const struct nts_ke_answer *a, uint8_t (*cookies)[128], nts_ke_seal_fn seal,
			void *arg, uint8_t *out, size_t size, struct nts_ke_request *sent);

#endif /* NTPD_NTS_RECORDS_H */
