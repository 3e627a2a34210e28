/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The upstream side of NTP, without sockets: building a client request and
 * judging a server's response (RFC 5905 8, RFC 9109 data minimisation).
 */
#ifndef NTPD_NTP_CLIENT_H
#define NTPD_NTP_CLIENT_H

#include <stdbool.h>

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
};

const char *ntp_response_verdict_name(enum ntp_response_verdict v);

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

#endif /* NTPD_NTP_CLIENT_H */
