// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The response builder shared with XDP (bpf/ntp_proto.h) on arbitrary
 * requests and reference states.  Input: 48 bytes of request (zero padded),
 * then the state, config, clock readings and rate-limit inputs.
 */
#include <arpa/inet.h>
#include <stdbool.h>

#include "fuzz_util.h"
#include "ntp_proto.h"

#define CANARY_LEN 16
#define CANARY 0xa5

struct framed_packet {
	__u8 before[CANARY_LEN];
	struct ntp_packet pkt;
	__u8 after[CANARY_LEN];
};

static void check_canaries(const struct framed_packet *f)
{
	int i;

	for (i = 0; i < CANARY_LEN; i++) {
		FUZZ_CHECK(f->before[i] == CANARY);
		FUZZ_CHECK(f->after[i] == CANARY);
	}
}

/* RFC 5905 and the comment on ntp_classify_request, written out again. */
static bool should_answer(__u8 b)
{
	__u8 vn = (b >> 3) & 7, mode = b & 7;

	return (vn >= 1 && vn <= 4 && mode == 3) || (vn == 1 && mode == 0);
}

static void check_response(const struct ntp_packet *req, const struct ntp_packet *rsp,
			   const struct ntpd_ref_state *st, const struct ntpd_config *cfg,
			   __u64 rx, int fresh)
{
	bool unsync = !fresh || st->stratum > NTP_STRATUM_MAX;

	FUZZ_CHECK(NTP_MODE(rsp->li_vn_mode) == NTP_MODE_SERVER);
	FUZZ_CHECK(NTP_VN(rsp->li_vn_mode) == NTP_VN(req->li_vn_mode));
	/* a leap taken by the receive time ends its announcement */
	FUZZ_CHECK(NTP_LI(rsp->li_vn_mode) ==
		   (unsync ? NTP_LEAP_UNSYNC :
		    st->leap_sign && rx >= st->leap_tai_ns && st->leap != NTP_LEAP_UNSYNC ?
				     NTP_LEAP_NONE : (st->leap & 3)));
	/* RFC 5905 8: the client's transmit, verbatim */
	FUZZ_CHECK(rsp->origin_ts == req->transmit_ts);
	FUZZ_CHECK(rsp->transmit_ts == req->transmit_ts);	/* not yet set */
	/* stratum 0 on the wire iff unsynchronised (a state never carries 0:
	 * the agent publishes 1..16, so that input proves nothing) */
	if (st->stratum != 0)
		FUZZ_CHECK((rsp->stratum == NTP_STRATUM_UNSYNC_WIRE) == unsync);
	FUZZ_CHECK(rsp->stratum <= NTP_STRATUM_MAX);
	if (cfg->poll_min <= cfg->poll_max)
		FUZZ_CHECK(rsp->poll >= cfg->poll_min && rsp->poll <= cfg->poll_max);
	FUZZ_CHECK(rsp->precision == st->precision);
	FUZZ_CHECK(ntohl(rsp->root_delay) == st->root_delay);
	FUZZ_CHECK(ntohl(rsp->root_dispersion) >= st->root_dispersion);
	/* an unsynchronised answer never names a server (stale: "LOST") */
	FUZZ_CHECK(rsp->refid == (unsync && st->stratum <= NTP_STRATUM_MAX ?
				  htonl(0x4c4f5354) : st->refid));
	FUZZ_CHECK(bpf_be64_to_cpu(rsp->reference_ts) == st->reference_ts);
	FUZZ_CHECK(bpf_be64_to_cpu(rsp->receive_ts) == ntp_served_ts(st, rx));
}

static void check_dispersion(__u32 disp, __u64 a, __u64 b)
{
	__u64 lo = a < b ? a : b, hi = a < b ? b : a;
	__u32 glo = ntp_dispersion_grow(disp, lo), ghi = ntp_dispersion_grow(disp, hi);

	FUZZ_CHECK(ntp_dispersion_grow(disp, 0) == disp);
	FUZZ_CHECK(glo >= disp && ghi >= glo);
	/* 15 ppm of an hour is 54 ms: far below the 16.16 limit unless
	 * the starting dispersion is already near it */
	if (disp < 0x80000000U)
		FUZZ_CHECK(ntp_dispersion_grow(disp, 3600ULL * NSEC_PER_SEC_U64) <
			   disp + (1U << 16) / 10);
}

/* The division-free fast path must agree with the exact conversion. */
static void check_served_ts(struct ntpd_ref_state st, __u64 update, __u64 d)
{
	__u64 base_unix, tai;
	__s64 diff;

	st.update_tai_ns = update;
	st.leap_sign = (__s8)(st.leap_sign % 2);	/* what the agent writes: -1, 0, 1 */
	ntp_state_set_base(&st);
	if (!update)
		return;
	base_unix = ntp_linear_unix_ns(&st, update);
	d &= (1ULL << 32) - 1;			/* the fast path's window */
	tai = update + d;
	/* beyond year 2554 the Unix nanoseconds wrap, and a leap in 1970's
	 * first seconds would wrap them below zero: not states we publish */
	if (tai < update || base_unix > ~0ULL - (1ULL << 33) || base_unix < (1ULL << 33))
		return;
	/* the exact path, frequency drift included */
	diff = (__s64)(ntp_served_ts(&st, tai) - ntp_ts_from_unix_ns(ntp_served_unix_ns(&st, tai)));
	FUZZ_CHECK(diff >= -4 && diff <= 4);
}

static void check_rate(__u64 tat, __u64 now, const struct ntpd_rate_config *rc, __u32 limited)
{
	__u64 new_tat = 0x5a5a5a5a5a5a5a5aULL;
	__u64 base = tat > now ? tat : now;
	int ok = ntp_rate_conforms(tat, now, rc, &new_tat);

	if (ok) {
		FUZZ_CHECK(new_tat == base + rc->cost_ns);
	} else {
		FUZZ_CHECK(new_tat == 0x5a5a5a5a5a5a5a5aULL);	/* untouched */
		FUZZ_CHECK(tat > now);	/* an idle client always conforms */
		FUZZ_CHECK(rc->burst_ns <= rc->cost_ns || tat - now > rc->burst_ns - rc->cost_ns);
	}
	if (!rc->leak_shift)
		FUZZ_CHECK(!ntp_rate_leaks(limited, rc));
	if (limited == 0)
		FUZZ_CHECK(ntp_rate_leaks(limited, rc) == (rc->leak_shift != 0));
	if (rc->leak_shift >= 1 && rc->leak_shift <= 16)	/* what options allow */
		FUZZ_CHECK(ntp_rate_leaks(limited, rc) ==
			   ((limited % (1U << rc->leak_shift)) == 0));
}

static bool bit(const __u8 *a, unsigned int i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

static void check_rate_keys(__be32 saddr4, const __u8 *saddr6, __u8 p4, __u8 p6)
{
	struct ntpd_rate_key k4, k6;
	__u8 v4[4];
	unsigned int i;

	memset(&k4, 0xee, sizeof(k4));
	memset(&k6, 0xee, sizeof(k6));
	ntp_rate_key_v4(&k4, saddr4, p4);
	ntp_rate_key_v6(&k6, saddr6, p6);
	memcpy(v4, &saddr4, 4);
	for (i = 0; i < 10; i++)
		FUZZ_CHECK(k4.addr[i] == 0);
	FUZZ_CHECK(k4.addr[10] == 0xff && k4.addr[11] == 0xff);
	for (i = 0; i < 32; i++)
		FUZZ_CHECK(bit(k4.addr + 12, i) == (i < p4 ? bit(v4, i) : 0));
	for (i = 0; i < 128; i++)
		FUZZ_CHECK(bit(k6.addr, i) == (i < p6 ? bit(saddr6, i) : 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c = { data, size, 0 };
	struct framed_packet f;
	struct ntp_packet req;
	struct ntpd_ref_state st;
	struct ntpd_config cfg;
	struct ntpd_rate_config rc;
	__u64 rx, tx, tat, now, d;
	__u32 limited, verdict;
	__u8 flags, p4, p6;
	__be32 saddr4;
	__u32 saddr6[4];	/* aligned, as ntp_bad_source_v6 reads words */
	int fresh;

	fuzz_take(&c, &req, sizeof(req));
	fuzz_take(&c, &st, sizeof(st));
	fuzz_take(&c, &cfg, sizeof(cfg));
	rx = fuzz_u64(&c);
	tx = fuzz_u64(&c);
	flags = fuzz_u8(&c);
	fuzz_take(&c, &rc, sizeof(rc));
	tat = fuzz_u64(&c);
	now = fuzz_u64(&c);
	d = fuzz_u64(&c);
	fuzz_take(&c, &limited, sizeof(limited));
	fuzz_take(&c, &saddr4, sizeof(saddr4));
	fuzz_take(&c, saddr6, sizeof(saddr6));
	p4 = fuzz_u8(&c);
	p6 = fuzz_u8(&c);

	/* realistic clocks half the time: the base derived as the publisher
	 * does, the reading a little after the update */
	if (flags & 1)
		ntp_state_set_base(&st);
	if (flags & 2)
		rx = st.update_tai_ns + (rx & ((1ULL << 34) - 1));
	fresh = flags & 4 ? ntp_state_fresh(&st, rx, cfg.max_state_age_ns) : (flags >> 3) & 1;

	verdict = ntp_classify_request(req.li_vn_mode);
	FUZZ_CHECK((verdict == NTP_REQ_ANSWER) == should_answer(req.li_vn_mode));
	FUZZ_CHECK(verdict <= NTP_REQ_ANSWER);

	memset(&f, CANARY, sizeof(f));
	f.pkt = req;
	ntp_fill_response(&f.pkt, &st, &cfg, rx, fresh);
	check_canaries(&f);
	check_response(&req, &f.pkt, &st, &cfg, rx, fresh);

	{
		struct ntp_packet before = f.pkt;

		ntp_set_transmit(&f.pkt, &st, tx);
		check_canaries(&f);
		FUZZ_CHECK(!memcmp(&before, &f.pkt, offsetof(struct ntp_packet, transmit_ts)));
		FUZZ_CHECK(bpf_be64_to_cpu(f.pkt.transmit_ts) == ntp_served_ts(&st, tx));
	}

	/* the kiss-o'-death: unsynchronised, stratum 0, the code as refid */
	memset(&f, CANARY, sizeof(f));
	f.pkt = req;
	ntp_fill_kod(&f.pkt, &st, &cfg, rx, NTP_KISS_RATE);
	check_canaries(&f);
	FUZZ_CHECK(f.pkt.stratum == 0 && NTP_LI(f.pkt.li_vn_mode) == NTP_LEAP_UNSYNC);
	FUZZ_CHECK(NTP_MODE(f.pkt.li_vn_mode) == NTP_MODE_SERVER);
	FUZZ_CHECK(f.pkt.refid == NTP_KISS_RATE && f.pkt.origin_ts == req.transmit_ts);

	check_dispersion(st.root_dispersion, rx, tx);
	check_served_ts(st, rx, d);
	check_rate(tat, now, &rc, limited);
	check_rate_keys(saddr4, (const __u8 *)saddr6, p4, p6);
	(void)ntp_bad_source_v4(saddr4, flags & 16);
	(void)ntp_bad_source_v6((const __u8 *)saddr6, flags & 16);
	return 0;
}
