/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The upstream side of NTP, without sockets: building a client request and
 * judging a server's response (RFC 5905 8, RFC 9109 data minimisation).
 */
#ifndef NTPD_NTP_CLIENT_H
#define NTPD_NTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "endpoint.h"
#include "ntp_auth.h"
#include "ntpd_shared.h"

/* One measurement of an upstream, all times in seconds (doubles: the
 * arithmetic of offsets and delays, not a wire format). */
struct ntp_sample {
	double offset;		/* upstream clock minus ours */
	double delay;		/* round trip, less the server's turnaround */
	double dispersion;	/* error bound from precisions and PHI */
	double root_delay;	/* the upstream's own */
	double root_dispersion;
	double local_rx;	/* our CLOCK_TAI reading at t4, seconds */
	__u8 stratum;
	__u8 leap;
	__s8 precision;
	__be32 refid;
};

enum ntp_response_verdict {
	NTP_RESP_OK = 0,
	NTP_RESP_KOD_RATE,	/* slow down */
	NTP_RESP_KOD_DENY,	/* stop using this server */
	NTP_RESP_KOD_RSTR,	/* same as DENY (RFC 5905 7.4) */
	NTP_RESP_KOD_OTHER,	/* unknown kiss code: ignore the packet */
	NTP_RESP_BAD_LENGTH,
	NTP_RESP_BAD_ORIGIN,	/* not an answer to our request: spoofed or stale */
	NTP_RESP_BAD_MODE,
	NTP_RESP_BAD_STRATUM,
	NTP_RESP_UNSYNC,	/* LI=3 */
	NTP_RESP_BAD_TIMES,	/* zero or inconsistent timestamps */
	NTP_RESP_BAD_VERSION,	/* a version we do not speak: its fields may mean anything */
	/* a server line with "key ID" (ntp_client_check_auth) */
	NTP_RESP_UNSIGNED,	/* no MAC at all */
	NTP_RESP_CRYPTO_NAK,	/* the server does not know our key (RFC 5905 7.4) */
	NTP_RESP_WRONG_KEY,	/* signed with another key ID */
	NTP_RESP_BAD_MAC,	/* our key ID, a digest that does not verify */
	NTP_RESP_NO_KEY,	/* our key is gone from the file or not trusted */
};

const char *ntp_response_verdict_name(enum ntp_response_verdict v);
/* Why a reply was rejected, in words for the log (a name when no more to say). */
const char *ntp_response_verdict_why(enum ntp_response_verdict v);
/* One of the verdicts of ntp_client_check_auth below. */
static inline bool ntp_response_auth_failed(enum ntp_response_verdict v)
{
	return v >= NTP_RESP_UNSIGNED && v <= NTP_RESP_NO_KEY;
}

/*
 * Fill a 48-byte request.  Only the transmit timestamp is set, to a random
 * nonce (`nonce`) that the server echoes as origin; version 4, mode 3.
 */
void ntp_client_build_request(struct ntp_packet *req, __u64 nonce);

/*
 * Judge `len` bytes received for a request whose transmit field was `nonce`,
 * sent at our CLOCK_TAI t1_tai (ns) and received at t4_tai (ns); tai_offset_ns
 * converts our TAI readings to the server's UTC.  On NTP_RESP_OK, *out holds
 * the sample.  `local_precision` is ours (log2 s).
 */
enum ntp_response_verdict ntp_client_parse_response(const void *buf, size_t len, __u64 nonce,
						    __u64 t1_tai, __u64 t4_tai,
						    __s64 tai_offset_ns, __s8 local_precision,
						    struct ntp_sample *out);

/*
 * Sign a request built above (its 48 bytes at `pkt`, room for the MAC
 * after them) with the trusted key `key_id` of `keys`: the length to send,
 * or 0 when the key is not there (or not trusted) or the digest failed.
 */
size_t ntp_client_sign_request(const struct ntp_keyring *keys, __u32 key_id, __u8 *pkt);

/*
 * The reply to a signed request, `len` bytes, judged already as `v` by
 * ntp_client_parse_response: v itself when it carries a MAC by `key_id`
 * that verifies, else why not.  Everything is held to this, kiss-o'-death
 * included: an unauthenticated DENY must not silence an authenticated
 * upstream.
 */
enum ntp_response_verdict ntp_client_check_auth(const struct ntp_keyring *keys, __u32 key_id,
						const __u8 *buf, size_t len,
						enum ntp_response_verdict v);

/*
 * Every "key ID" of `eps` names a trusted key of `keys`: checked once the
 * key file is loaded, and for each reload.  0, or -EINVAL after printing
 * "server HOST key ID: ...".
 */
int ntp_client_check_keys(const struct ntp_keyring *keys, const struct ntpd_endpoint *eps, int n);

#endif /* NTPD_NTP_CLIENT_H */
