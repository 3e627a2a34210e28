// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Differential: fuzzer-shaped frames through the real XDP program
 * (BPF_PROG_TEST_RUN) and through a model built from the userspace build of
 * the same shared code (ntp_classify_request, ntp_bad_source_*,
 * ntp_fill_response).  Both must reach the same verdict and count the same
 * reason, and an answer must be the model's answer byte for byte, apart
 * from the two clock readings.  Needs root and BPF, like the BPF tests.
 *
 * Each frame is a valid request with at most one defect chosen by the
 * fuzzer, so the expected outcome is never a question of check order.  The
 * request's TOS / traffic class is the fuzzer's too: the answer's must be 0
 * (the default DSCP, ECN never echoed).
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <endian.h>

#include "fixture.h"
#include "fuzz_util.h"
#include "ntp_proto.h"
#include "refstate.h"

static struct xdp_fixture fx;

static const struct ntpd_ref_state state_tmpl = {
	.tai_offset_ns = 37LL * 1000000000LL, .correction_ns = 1234567,
	.root_delay = 0x00000a3d, .root_dispersion = 0x00000290,
	.leap = NTP_LEAP_NONE, .stratum = 2, .precision = -20,
};

static int setup(void)
{
	struct ntpd_link link = { .mac = { 2, 0, 0, 0, 0, 1 }, .mac_known = 1 };
	/* the VLAN devices the frames' tags name: 100, and 100 then 101 */
	static const __u32 vlans[] = { 0, 100, NTPD_VLAN_PATH(100, 101) };
	__u32 zero = 0;
	size_t i;

	if (fixture_open(&fx))
		return -1;
	fx.skel->rodata->ntpd_cfg.verify_udp_csum = 1;	/* as on a real NIC */
	if (fixture_load(&fx) ||
	    bpf_map_update_elem(bpf_map__fd(fx.skel->maps.ntpd_link), &zero, &link, 0))
		return -1;
	for (i = 0; i < sizeof(vlans) / sizeof(vlans[0]); i++) {
		if ((vlans[i] &&
		     bpf_map_update_elem(bpf_map__fd(fx.skel->maps.ntpd_vlans), &vlans[i], &link, 0)) ||
		    fixture_add_local(&fx, AF_INET, FIXTURE_SERVER4, vlans[i], NTPD_LOCAL_SERVE) ||
		    fixture_add_local(&fx, AF_INET6, FIXTURE_SERVER6, vlans[i], NTPD_LOCAL_SERVE))
			return -1;
	}
	return 0;
}

enum defect {
	D_NONE, D_VLAN_DEPTH, D_NOT_UDP, D_OTHER_PORT, D_LENGTH, D_NOT_LOCAL, D_BAD_SOURCE,
	D_SPORT_ZERO, D_BAD_CSUM, D_IP_OPTIONS, D_FRAGMENT, D_IPV6_EXTHDR,
	D_SRC_MAC_GROUP, D_DST_MAC_GROUP, D_DST_MAC_OTHER, D_VLAN_UNKNOWN, D_SRC_LOCAL,
	D_ZERO_CSUM6, D_BAD_IP_CSUM, D_V1_PORT123, D_MAX
};

/* The model's verdict and reason, from the spec and the shared code. */
static __u32 model(const struct frame_spec *s, enum defect d, __u8 lvm, int *action)
{
	__u32 c;

	*action = XDP_PASS;
	switch (d) {
	case D_VLAN_DEPTH: return NTPD_CNT_PASS_VLAN_DEPTH;
	case D_NOT_UDP: return NTPD_CNT_PASS_NOT_UDP;
	case D_OTHER_PORT: return NTPD_CNT_PASS_OTHER_PORT;
	case D_LENGTH: return NTPD_CNT_PASS_LENGTH;
	case D_NOT_LOCAL: return NTPD_CNT_PASS_NOT_LOCAL;
	case D_IP_OPTIONS: return NTPD_CNT_PASS_IP_OPTIONS;
	case D_FRAGMENT: return NTPD_CNT_PASS_FRAGMENT;
	case D_IPV6_EXTHDR: return NTPD_CNT_PASS_IPV6_EXTHDR;
	case D_DST_MAC_GROUP: case D_DST_MAC_OTHER: return NTPD_CNT_PASS_LINK_DEST;
	case D_VLAN_UNKNOWN: return NTPD_CNT_PASS_VLAN_UNKNOWN;
	case D_BAD_IP_CSUM: return NTPD_CNT_PASS_BAD_IP_CSUM;
	case D_SRC_MAC_GROUP: *action = XDP_DROP; return NTPD_CNT_DROP_LINK_SOURCE;
	case D_ZERO_CSUM6: *action = XDP_DROP; return NTPD_CNT_DROP_ZERO_CSUM6;
	default: break;
	}
	if (d == D_SPORT_ZERO || (s->family == AF_INET ?
				  ntp_bad_source_v4(*(const __be32 *)s->saddr, 0) :
				  ntp_bad_source_v6(s->saddr, 0))) {
		*action = XDP_DROP;
		return NTPD_CNT_DROP_BAD_SOURCE;
	}
	if (!memcmp(s->saddr, s->daddr, s->family == AF_INET ? 4 : 16)) {
		*action = XDP_DROP;
		return NTPD_CNT_DROP_SOURCE_LOCAL;
	}
	c = ntp_classify_request_port(lvm, htons(s->sport));
	if (c != NTP_REQ_ANSWER) {
		if (c == NTPD_CNT_DROP_MODE_SERVER || c == NTPD_CNT_DROP_MODE_CONTROL ||
		    c == NTPD_CNT_DROP_V1_PORT123)
			*action = XDP_DROP;
		return c;
	}
	if (d == D_BAD_CSUM)
		return NTPD_CNT_PASS_BAD_CSUM;
	*action = XDP_TX;
	return s->family == AF_INET ? NTPD_CNT_ANSWERED_V4 : NTPD_CNT_ANSWERED_V6;
}

/* The one defect chosen, on a valid request (some fall back to another
 * where the family has no such field).  The defect the frame carries. */
static enum defect apply_defect(struct frame_spec *s, uint8_t *payload, enum defect d)
{
	int i;

	switch (d) {
	case D_VLAN_DEPTH:
		s->n_vlan = 3;
		for (i = 0; i < 3; i++) {
			s->vlan_tpid[i] = 0x8100;
			s->vlan_tci[i] = (uint16_t)(100 + i);
		}
		break;
	case D_NOT_UDP: s->l4_proto = IPPROTO_TCP; break;
	case D_OTHER_PORT: s->dport = 124; break;
	case D_LENGTH: s->payload_len = NTP_PACKET_LEN + 4 * (1 + payload[1] % 16); break;
	case D_NOT_LOCAL: s->daddr[s->family == AF_INET ? 3 : 15] ^= 0x40; break;
	case D_SPORT_ZERO: s->sport = 0; break;
	case D_BAD_CSUM: s->csum = FRAME_CSUM_BAD; break;
	case D_SRC_MAC_GROUP: s->src_mac[0] |= 1; break;
	case D_DST_MAC_GROUP: s->dst_mac[0] = payload[5] & 1 ? 0xff : 0x01; break;
	case D_DST_MAC_OTHER: s->dst_mac[5] ^= (uint8_t)(2 | payload[5]); break;
	case D_VLAN_UNKNOWN:
		s->n_vlan = 1 + payload[5] % 2;
		s->vlan_tci[s->n_vlan - 1] = (uint16_t)(200 + payload[6] % 100);
		s->vlan_tpid[0] = s->n_vlan == 2 ? 0x88a8 : 0x8100;
		s->vlan_tpid[s->n_vlan - 1] = 0x8100;
		if (s->n_vlan == 2)
			s->vlan_tci[0] = 100;
		break;
	case D_SRC_LOCAL: memcpy(s->saddr, s->daddr, 16); break;
	case D_BAD_IP_CSUM:	/* IPv6 has no header checksum: its zero UDP one instead */
	case D_ZERO_CSUM6:
		d = s->family == AF_INET6 ? D_ZERO_CSUM6 : D_BAD_IP_CSUM;
		if (d == D_ZERO_CSUM6)
			s->csum = FRAME_CSUM_ZERO;
		break;
	case D_V1_PORT123: payload[0] = NTP_LI_VN_MODE(payload[0] >> 6, 1, 0); s->sport = 123; break;
	case D_IP_OPTIONS: if (s->family == AF_INET) s->ipv4_opt_len = 4; else d = D_IPV6_EXTHDR; break;
	case D_FRAGMENT: if (s->family == AF_INET) s->ipv4_frag = 0x2000; else d = D_IPV6_EXTHDR; break;
	default: break;
	}
	if (d == D_IPV6_EXTHDR) {
		if (s->family == AF_INET6)
			s->ipv6_hbh = true;
		else
			d = D_NONE;
	}
	if (d == D_BAD_SOURCE) {
		/* one of the classes the program must refuse */
		static const char *const v4[] = { "0.1.2.3", "224.0.0.1", "255.255.255.255", "127.0.0.1" };
		static const char *const v6[] = { "ff02::1", "::", "::1", "::ffff:1.2.3.4" };

		inet_pton(s->family, s->family == AF_INET ? v4[payload[2] % 4] : v6[payload[2] % 4],
			  s->saddr);
	}
	return d;
}

/* The frame the fuzzer's bytes describe: a valid request of their
 * family, tags, port, TTL, TOS, payload and source, then the defect. */
static enum defect build_spec(struct fuzz_cursor *cur, struct frame_spec *s, uint8_t *payload,
			      size_t payload_room)
{
	uint8_t byte;
	enum defect d;
	int i;

	fuzz_take(cur, &byte, 1);
	d = (enum defect)(byte % D_MAX);
	s->family = byte & 0x80 ? AF_INET6 : AF_INET;
	fuzz_take(cur, &byte, 1);
	s->n_vlan = byte % 3;		/* 0..2: what the program parses */
	for (i = 0; i < s->n_vlan; i++) {
		s->vlan_tpid[i] = i == 0 && s->n_vlan == 2 ? 0x88a8 : 0x8100;
		s->vlan_tci[i] = (uint16_t)(100 + i);
	}
	fuzz_take(cur, &s->sport, 2);
	s->sport |= 1;			/* port 0 is a defect of its own */
	fuzz_take(cur, &s->ttl, 1);
	fuzz_take(cur, &s->tos, 1);
	fuzz_take(cur, payload, payload_room);
	if (s->family == AF_INET) {
		fuzz_take(cur, s->saddr, 4);
		inet_pton(AF_INET, FIXTURE_SERVER4, s->daddr);
	} else {
		fuzz_take(cur, s->saddr, 16);
		inet_pton(AF_INET6, FIXTURE_SERVER6, s->daddr);
	}
	return apply_defect(s, payload, d);
}

/* A state published now with a leap an hour behind or ahead (never during
 * the run, where model and program read the clock at different times),
 * or none; *st_read what the program reads, its derived base included. */
static void publish_state(const uint8_t *payload, struct ntpd_ref_state *st_read)
{
	struct ntpd_ref_state st = state_tmpl;

	st.update_tai_ns = refstate_tai_now_ns();
	st.leap_sign = (__s8)(payload[3] % 3) - 1;
	st.leap = st.leap_sign > 0 ? NTP_LEAP_INSERT : st.leap_sign < 0 ? NTP_LEAP_DELETE :
								 NTP_LEAP_NONE;
	st.leap_tai_ns = payload[4] & 1 ? st.update_tai_ns - 3600 * NSEC_PER_SEC_U64 :
					  st.update_tai_ns + 3600 * NSEC_PER_SEC_U64;
	refstate_publish(fx.ref, &st);
	FUZZ_CHECK(!refstate_read(fx.ref, st_read));
}

/*
 * The answer: same size, checksums right, DSCP 0 (the default) and ECN 0
 * whatever the request carried, and the model's NTP bytes except the
 * receive and transmit clock readings.
 */
static void check_answer(const struct frame_spec *s, const uint8_t *in, int len,
			 const struct frame_layout *lay, const struct fixture_run *r,
			 const struct ntpd_ref_state *st_read)
{
	struct ntp_packet want, got;
	__u64 rx, tx;

	FUZZ_CHECK(r->out_len == (size_t)len);
	FUZZ_CHECK(frame_verify_csums(r->out, (size_t)len) == 0);
	FUZZ_CHECK(s->family == AF_INET ? r->out[lay->l3 + 1] == 0 :
		   (r->out[lay->l3] & 0x0f) == 0 && (r->out[lay->l3 + 1] & 0xf0) == 0);
	memcpy(&want, in + lay->payload, sizeof(want));
	ntp_fill_response(&want, st_read, (const struct ntpd_config *)&fx.skel->rodata->ntpd_cfg,
			  st_read->update_tai_ns, 1);
	memcpy(&got, r->out + lay->payload, sizeof(got));	/* frames are unaligned */
	rx = be64toh(got.receive_ts);
	tx = be64toh(got.transmit_ts);
	FUZZ_CHECK(got.li_vn_mode == want.li_vn_mode && got.stratum == want.stratum &&
		   got.poll == want.poll && got.precision == want.precision &&
		   got.root_delay == want.root_delay && got.refid == want.refid &&
		   got.reference_ts == want.reference_ts && got.origin_ts == want.origin_ts);
	/* dispersion grows 15 ppm of the age: a few units at most here */
	FUZZ_CHECK(ntohl(got.root_dispersion) - ntohl(want.root_dispersion) < 16);
	/* served times: after the publication, within a second, in order */
	FUZZ_CHECK(rx >= be64toh(want.receive_ts) && rx - be64toh(want.receive_ts) < (1ULL << 32));
	FUZZ_CHECK(tx >= rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct fuzz_cursor cur = { .data = data, .len = size };
	uint8_t payload[128], in[FRAME_MAX];
	struct frame_spec s = {
		.dst_mac = { 2, 0, 0, 0, 0, 1 }, .src_mac = { 2, 0, 0, 0, 0, 2 },
		.ttl = 64, .l4_proto = IPPROTO_UDP, .dport = 123, .csum = FRAME_CSUM_VALID,
		.payload = payload, .payload_len = NTP_PACKET_LEN,
	};
	struct ntpd_ref_state st_read;
	struct fixture_run r;
	struct frame_layout lay;
	enum defect d;
	int len, action, moved;
	__u32 expect;

	if (!ready) {
		FUZZ_CHECK(setup() == 0);	/* no root or no BPF: nothing to compare */
		ready = 1;
	}
	d = build_spec(&cur, &s, payload, sizeof(payload));
	len = frame_build(&s, in, sizeof(in), &lay);
	if (len <= 0)
		return 0;
	if (d == D_BAD_IP_CSUM)
		in[lay.l3 + 10] ^= (uint8_t)(1 + payload[7] % 255);

	publish_state(payload, &st_read);
	FUZZ_CHECK(fixture_run_counted(&fx, in, (size_t)len, &r, &moved) == 0);

	expect = model(&s, d, payload[0], &action);
	if (r.verdict != action || moved != (int)expect)
		fprintf(stderr, "defect %d: program returned %d and counted %d, model %d and %u "
			"(family %d)\n", d, r.verdict, moved, action, expect, s.family);
	FUZZ_CHECK(r.verdict == action);
	FUZZ_CHECK(moved == (int)expect);
	if (action != XDP_TX) {
		FUZZ_CHECK(r.out_len == (size_t)len && !memcmp(in, r.out, (size_t)len));
		return 0;
	}
	check_answer(&s, in, len, &lay, &r, &st_read);
	return 0;
}
