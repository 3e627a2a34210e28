// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "ntp_client.h"
#include "ntp_proto.h"
#include "log.h"

#include <errno.h>

#include <math.h>
#include <string.h>
#include <time.h>

static const char *const verdict_names[] = {
	[NTP_RESP_OK] = "ok",
	[NTP_RESP_KOD_RATE] = "kod_rate",
	[NTP_RESP_KOD_DENY] = "kod_deny",
	[NTP_RESP_KOD_RSTR] = "kod_rstr",
	[NTP_RESP_KOD_OTHER] = "kod_other",
	[NTP_RESP_BAD_LENGTH] = "bad_length",
	[NTP_RESP_BAD_ORIGIN] = "bad_origin",
	[NTP_RESP_BAD_MODE] = "bad_mode",
	[NTP_RESP_BAD_STRATUM] = "bad_stratum",
	[NTP_RESP_UNSYNC] = "unsynchronised",
	[NTP_RESP_BAD_TIMES] = "bad_timestamps",
	[NTP_RESP_BAD_VERSION] = "bad_version",
	[NTP_RESP_UNSIGNED] = "unsigned",
	[NTP_RESP_CRYPTO_NAK] = "crypto_nak",
	[NTP_RESP_WRONG_KEY] = "wrong_key",
	[NTP_RESP_BAD_MAC] = "bad_mac",
	[NTP_RESP_NO_KEY] = "no_key",
};

static const char *const verdict_why[] = {
	[NTP_RESP_UNSIGNED] = "the reply is not signed, and its server line has a key",
	[NTP_RESP_CRYPTO_NAK] = "the server does not know our key (crypto-NAK)",
	[NTP_RESP_WRONG_KEY] = "the reply is signed with another key ID than ours",
	[NTP_RESP_BAD_MAC] = "the reply's MAC does not verify with our key "
			     "(the server's key differs)",
	[NTP_RESP_NO_KEY] = "our key is not in the key file or not trusted",
};

const char *ntp_response_verdict_name(enum ntp_response_verdict v)
{
	return (unsigned int)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ?
		       verdict_names[v] : "unknown";
}

const char *ntp_response_verdict_why(enum ntp_response_verdict v)
{
	if ((unsigned int)v < sizeof(verdict_why) / sizeof(verdict_why[0]) && verdict_why[v])
		return verdict_why[v];
	return ntp_response_verdict_name(v);
}

size_t ntp_client_sign_request(const struct ntp_keyring *keys, __u32 key_id, __u8 *pkt)
{
	const struct ntp_key *key = ntp_keys_trusted(keys, key_id);

	return key ? ntp_auth_sign(key, pkt) : 0;
}

enum ntp_response_verdict ntp_client_check_auth(const struct ntp_keyring *keys, __u32 key_id,
						const __u8 *buf, size_t len,
						enum ntp_response_verdict v)
{
	const struct ntp_key *key = ntp_keys_trusted(keys, key_id);
	__be32 keyid;

	if (!key)
		return NTP_RESP_NO_KEY;
	if (len == NTP_PACKET_LEN)
		return NTP_RESP_UNSIGNED;
	/* RFC 5905 7.4: a crypto-NAK is a MAC of key ID 0 and no digest */
	if (len < NTP_PACKET_LEN + 4)
		return NTP_RESP_BAD_LENGTH;
	memcpy(&keyid, buf + NTP_PACKET_LEN, 4);
	if (len == NTP_PACKET_LEN + 4)
		return keyid ? NTP_RESP_BAD_LENGTH : NTP_RESP_CRYPTO_NAK;
	if (bpf_ntohl(keyid) != key_id)
		return NTP_RESP_WRONG_KEY;
	if (ntp_auth_verify(key, buf, len) != NTP_AUTH_OK)
		return NTP_RESP_BAD_MAC;
	return v;
}

int ntp_client_check_keys(const struct ntp_keyring *keys, const struct ntpd_endpoint *eps, int n)
{
	const struct ntp_key *k;
	int i;

	for (i = 0; i < n; i++) {
		if (!eps[i].key_id)
			continue;
		k = ntp_keys_find(keys, eps[i].key_id);
		if (k && !k->untrusted)
			continue;
		pr_err("server %s key %u: %s\n", eps[i].host, eps[i].key_id,
		       !keys || !keys->n ? "no key file (--keys, keyfile)" :
		       k ? "not a trusted key (trustedkey)" : "no such key in the key file");
		return -EINVAL;
	}
	return 0;
}

void ntp_client_build_request(struct ntp_packet *req, __u64 nonce)
{
	memset(req, 0, sizeof(*req));
	req->li_vn_mode = NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT);
	req->transmit_ts = nonce;
}

static double short_to_s(__be32 v)
{
	return (double)bpf_ntohl(v) / 65536.0;
}

/* NTP timestamp to seconds relative to `pivot` (an NTP timestamp near it):
 * differences of nearby timestamps survive era wraps this way. */
static double ts_minus(__u64 a, __u64 b)
{
	return (double)(__s64)(a - b) / 4294967296.0;
}

enum ntp_response_verdict ntp_client_parse_response(const void *buf, size_t len, __u64 nonce,
						    __u64 t1_tai, __u64 t4_tai,
						    __s64 tai_offset_ns, __s8 local_precision,
						    struct ntp_sample *out)
{
	const struct ntp_packet *r = buf;
	__u64 t1, t2, t3, t4;

	if (len < NTP_PACKET_LEN)
		return NTP_RESP_BAD_LENGTH;
	/* RFC 5905 8 "bogus" test first: anything else could be a spoof */
	if (r->origin_ts != nonce)
		return NTP_RESP_BAD_ORIGIN;
	if (NTP_MODE(r->li_vn_mode) != NTP_MODE_SERVER)
		return NTP_RESP_BAD_MODE;
	if (NTP_VN(r->li_vn_mode) < NTP_VERSION_MIN || NTP_VN(r->li_vn_mode) > NTP_VERSION_MAX)
		return NTP_RESP_BAD_VERSION;
	if (r->stratum == 0) {
		if (!memcmp(&r->refid, "RATE", 4))
			return NTP_RESP_KOD_RATE;
		if (!memcmp(&r->refid, "DENY", 4))
			return NTP_RESP_KOD_DENY;
		if (!memcmp(&r->refid, "RSTR", 4))
			return NTP_RESP_KOD_RSTR;
		return NTP_RESP_KOD_OTHER;
	}
	if (r->stratum > NTP_STRATUM_MAX)
		return NTP_RESP_BAD_STRATUM;
	if (NTP_LI(r->li_vn_mode) == NTP_LEAP_UNSYNC)
		return NTP_RESP_UNSYNC;
	if (!r->receive_ts || !r->transmit_ts)
		return NTP_RESP_BAD_TIMES;

	t1 = ntp_ts_from_unix_ns(t1_tai - (__u64)tai_offset_ns);
	t4 = ntp_ts_from_unix_ns(t4_tai - (__u64)tai_offset_ns);
	t2 = bpf_be64_to_cpu(r->receive_ts);
	t3 = bpf_be64_to_cpu(r->transmit_ts);
	if (ts_minus(t3, t2) < 0 || ts_minus(t4, t1) < 0)
		return NTP_RESP_BAD_TIMES;

	memset(out, 0, sizeof(*out));
	/* RFC 5905 8: on-wire offset and delay */
	out->offset = (ts_minus(t2, t1) + ts_minus(t3, t4)) / 2;
	out->delay = ts_minus(t4, t1) - ts_minus(t3, t2);
	if (out->delay < 0)
		out->delay = 0;
	out->dispersion = ldexp(1, r->precision) + ldexp(1, local_precision) +
			  NTP_PHI_PPM * 1e-6 * ts_minus(t4, t1);
	out->root_delay = short_to_s(r->root_delay);
	out->root_dispersion = short_to_s(r->root_dispersion);
	out->local_rx = (double)t4_tai / 1e9;
	out->stratum = r->stratum;
	out->leap = NTP_LI(r->li_vn_mode);
	out->precision = r->precision;
	out->refid = r->refid;
	return NTP_RESP_OK;
}
