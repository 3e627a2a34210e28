// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "nts_ntp.h"
#include "nts_server.h"

#include <errno.h>
#include <openssl/crypto.h>

__u32 nts_ntp_screen(const __u8 *pkt, size_t len, struct nts_ef_reply *rep)
{
	int err;

	if (!nts_server_ring())
		return NTPD_CNT_PASS_LENGTH;
	err = nts_ef_parse(pkt, len, &rep->req);
	if (err == -ENOENT)
		return NTPD_CNT_PASS_LENGTH;
	rep->req_len = (__u16)len;
	return err ? NTPD_CNT_NTS_MALFORMED : NTP_REQ_ANSWER;
}

__u32 nts_ntp_answer(__u8 *pkt, size_t len, struct nts_ef_reply *rep,
		     const struct ntpd_ref_state *st, const struct ntpd_config *cfg, __u64 rx_tai,
		     bool *answer)
{
	struct nts_cookie_ring *ring = nts_server_ring();
	const struct nts_ef_request req = rep->req;
	int fresh;

	*answer = false;
	if (!ring || nts_ef_authenticate(ring, pkt, len, &req, rep))
		return NTPD_CNT_DROP_NTS_AUTH;
	*answer = true;
	if (rep->nak) {
		ntp_fill_kod((struct ntp_packet *)pkt, st, cfg, rx_tai, NTP_KISS_NTSN);
		return NTPD_CNT_NTS_NAK;
	}
	fresh = ntp_state_fresh(st, rx_tai, cfg->max_state_age_ns);
	ntp_fill_response((struct ntp_packet *)pkt, st, cfg, rx_tai, fresh);
	return fresh ? NTPD_CNT_ANSWERED_NTS : NTPD_CNT_ANSWERED_UNSYNC;
}

size_t nts_ntp_finish(__u8 *pkt, const struct nts_ef_reply *rep)
{
	struct nts_cookie_ring *ring = nts_server_ring();
	struct ntp_packet *hdr = (struct ntp_packet *)pkt;
	size_t len = ring ? nts_ef_finish(ring, pkt, rep) : 0;

	if (!len) {
		/* no authenticated answer to give (the ring went with a stop, a
		 * failed seal): the NAK, the UID alone, which no client trusts */
		struct nts_ef_reply nak = *rep;

		nak.nak = true;
		hdr->stratum = 0;
		hdr->refid = NTP_KISS_NTSN;
		len = NTP_PACKET_LEN + rep->req.uid_len;
		if (ring)
			len = nts_ef_finish(ring, pkt, &nak);
		else
			__builtin_memmove(pkt + NTP_PACKET_LEN, pkt + rep->req.uid_off,
					  rep->req.uid_len);
		OPENSSL_cleanse(&nak.keys, sizeof(nak.keys));
	}
	return len;
}
