// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "nts_ntp.h"
#include "nts_server.h"
#include "nts_stats.h"

#include <errno.h>
#include <openssl/crypto.h>
/* last: maps the OpenSSL names above to the lazily loaded library */
#include "openssl_lazy.h"

static const enum nts_stat malformed_stat[] = {
	[NTS_EF_OK] = NTS_STAT_REQ_MISSING,	/* not reached: a reason is always set */
	[NTS_EF_TRUNCATED] = NTS_STAT_REQ_TRUNCATED,
	[NTS_EF_BAD_LENGTH] = NTS_STAT_REQ_BAD_FIELD_LEN,
	[NTS_EF_DUPLICATE] = NTS_STAT_REQ_DUPLICATE,
	[NTS_EF_AFTER_AUTH] = NTS_STAT_REQ_AFTER_AUTH,
	[NTS_EF_SHORT] = NTS_STAT_REQ_SHORT_FIELD,
	[NTS_EF_MISSING] = NTS_STAT_REQ_MISSING,
};

__u32 nts_ntp_screen(const __u8 *pkt, size_t len, struct nts_ef_reply *rep)
{
	int err;

	if (!nts_server_ring())
		return NTPD_CNT_PASS_LENGTH;
	err = nts_ef_parse(pkt, len, &rep->req);
	if (err == -ENOENT)
		return NTPD_CNT_PASS_LENGTH;
	rep->req_len = (__u16)len;
	if (err) {
		nts_stats_add(malformed_stat[rep->req.malformed <= NTS_EF_MISSING ?
					     rep->req.malformed : NTS_EF_MISSING], 1);
		return NTPD_CNT_NTS_MALFORMED;
	}
	return NTP_REQ_ANSWER;
}

__u32 nts_ntp_answer(__u8 *pkt, size_t len, struct nts_ef_reply *rep,
		     const struct ntpd_ref_state *st, const struct ntpd_config *cfg, __u64 rx_tai,
		     bool *answer)
{
	struct nts_cookie_ring *ring = nts_server_ring();
	const struct nts_ef_request req = rep->req;
	int fresh;

	*answer = false;
	if (!ring || nts_ef_authenticate(ring, pkt, len, &req, rep)) {
		nts_stats_add(NTS_STAT_REQ_BAD_AUTH, 1);
		return NTPD_CNT_DROP_NTS_AUTH;
	}
	*answer = true;
	if (rep->nak) {
		/* a key rotated out (or another fleet's): the client needs a new
		 * key exchange; anything else is a cookie not ours or altered */
		nts_stats_add(rep->nak_err == -ENOKEY ? NTS_STAT_REQ_NAK_UNKNOWN_KEY :
							NTS_STAT_REQ_NAK_BAD_COOKIE, 1);
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

	if (len && !rep->nak) {
		nts_stats_add(NTS_STAT_REQ_ANSWERED, 1);
		nts_stats_add(NTS_STAT_COOKIES_NTP, (uint64_t)nts_ef_answer_cookies(rep, len));
	} else if (!len) {
		nts_stats_add(NTS_STAT_REQ_NAK_SEAL_FAILED, 1);
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
