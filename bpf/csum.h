/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Internet checksum arithmetic (RFC 1071) on values already in registers.
 * Words are summed exactly as loaded from memory (network byte order bytes in
 * a native-endian integer): the one's complement sum is byte-order neutral,
 * so the folded result can be stored back natively.
 */
#ifndef NTPD_CSUM_H
#define NTPD_CSUM_H

#include "ntp_proto.h"

NTPD_INLINE __u16 csum_fold64(__u64 sum)
{
	sum = (sum & 0xffffffffULL) + (sum >> 32);
	sum = (sum & 0xffffffffULL) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Sum of the 48-byte NTP header as twelve 32-bit words (no loop: the
 * compiler unrolls a constant-count sum into straight-line loads). */
NTPD_INLINE __u64 csum_ntp_packet(const struct ntp_packet *pkt)
{
	const __u32 *w = (const __u32 *)pkt;

	return (__u64)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] +
	       w[6] + w[7] + w[8] + w[9] + w[10] + w[11];
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one changed 16-bit word. */
NTPD_INLINE __u16 csum_replace16(__u16 check, __u16 old_word, __u16 new_word)
{
	return (__u16)~csum_fold64((__u64)(__u16)~check + (__u16)~old_word + new_word);
}

#endif /* NTPD_CSUM_H */
