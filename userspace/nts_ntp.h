/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The socket server's NTS step, in two halves around its policy: screen
 * (parse only, no crypto: before rate limits and access lists), then
 * answer (cookie, authenticator, the response) for a request the policy
 * lets through, and finish (the fields after the timestamped header).
 */
#ifndef NTPD_NTS_NTP_H
#define NTPD_NTS_NTP_H

#include "nts_ef.h"
#include "ntp_proto.h"

/* NTP_REQ_ANSWER for an NTS request (rep->req filled), else the counter:
 * passed/length (NTS off, or other extension fields), malformed/nts. */
__u32 nts_ntp_screen(const __u8 *pkt, size_t len, struct nts_ef_reply *rep);
/* Authenticate and build the header in place: the counter to bump; *answer
 * says whether anything is sent (a bad authenticator: nothing). */
__u32 nts_ntp_answer(__u8 *pkt, size_t len, struct nts_ef_reply *rep,
		     const struct ntpd_ref_state *st, const struct ntpd_config *cfg, __u64 rx_tai,
		     bool *answer);
/* After the transmit timestamp: the datagram's length. */
size_t nts_ntp_finish(__u8 *pkt, const struct nts_ef_reply *rep);

#define NTP_KISS_NTSN	bpf_htonl(0x4e54534e)	/* "NTSN": RFC 8915 5.7 */

#endif /* NTPD_NTS_NTP_H */
