// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The loaded XDP program (bpf/xdp_ntpd.h) on crafted frames through
 * BPF_PROG_TEST_RUN.  A table of {description, frame, verdict, counter}:
 * every case asserts the verdict and that exactly one per-CPU counter, the
 * expected one, moved by one.  Passed frames must come back untouched;
 * answers are checked byte for byte against a response built here
 * independently (tests/bpf/frames.h for the checksums), the receive and
 * transmit timestamps against CLOCK_TAI read around the run.
 *
 * No sleeps and no timing thresholds: time enters only as the bracket
 * [CLOCK_TAI before the run, CLOCK_TAI after it], which holds however slow
 * the machine is.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ntp_proto.h"
#include "refstate.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NS		1000000000ULL

#define TAI_OFFSET_NS	(37LL * (__s64)NS)
#define CORRECTION_NS	1500000LL		/* +1.5 ms: the conversion must add it */
#define ROOT_DELAY	0x00000a3dU		/* 40 ms, 16.16 */
#define ROOT_DISP	0x00000290U		/* 10 ms, 16.16 */
#define REFERENCE_TS	0xec5b1e3412345678ULL
#define REQ_XMT_TS	0xe9a1b2c3d4e5f607ULL	/* the client's transmit timestamp */
#define REQ_TTL		57
#define POLL_MIN	NTP_POLL_MIN_DEFAULT
#define POLL_MAX	NTP_POLL_MAX_DEFAULT

/*
 * The program's fast timestamp path (ntp_proto.h ntp_served_ts) is within
 * one 2^-32 s unit of the exact conversion, and the base it starts from is
 * truncated: allow 2 units (0.47 ns) either side of the exact bracket.
 */
#define TS_SLACK	2

static const uint8_t SERVER_MAC[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t CLIENT_MAC[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 };
static const uint8_t REFID[4] = { 192, 0, 2, 1 };

#define CLIENT4	"198.51.100.7"
#define SERVER4	"192.0.2.10"
#define CLIENT6	"2001:db8:1::7"
#define SERVER6	"2001:db8::10"

struct fixture {
	struct xdp_fixture x;	/* tests/bpf/fixture.h */
	__u8 dscp;		/* what the answers must carry */
};

/* The VLANs the fixture's host has on the interface: eth0.100 and the QinQ
 * device eth0.100.200 (the VIDs build_case tags with), and eth0.101 without
 * our addresses. */
#define VLAN_ONE	100
#define VLAN_QINQ	NTPD_VLAN_PATH(100, 200)
#define VLAN_EMPTY	101

#define OTHER_MAC	{ 0x02, 0x00, 0x5e, 0x00, 0x00, 0x09 }
#define MCAST4_MAC	{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }
#define MCAST6_MAC	{ 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 }
#define BCAST_MAC	{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }

#define SERVER4_BCAST	"192.0.2.255"	/* SERVER4 is in 192.0.2.0/24 */
#define SERVER4_OTHER	"192.0.2.20"	/* ours too, but not the -a address */
#define SERVER6_OTHER	"2001:db8::20"
#define SERVER6_TENT	"2001:db8::12"	/* still in DAD */

static struct fixture fx;
static struct ntpd_ref_state published;	/* what fx.x.ref holds now */

/* ---- the reference state ------------------------------------------------ */

static struct ntpd_ref_state known_state(__u64 update_tai_ns)
{
	struct ntpd_ref_state st = {
		.update_tai_ns = update_tai_ns,
		.reference_ts = REFERENCE_TS,
		.tai_offset_ns = TAI_OFFSET_NS,
		.correction_ns = CORRECTION_NS,
		.root_delay = ROOT_DELAY,
		.root_dispersion = ROOT_DISP,
		.leap = NTP_LEAP_INSERT,
		.stratum = 2,
		.precision = -20,
	};

	memcpy(&st.refid, REFID, 4);
	return st;
}

static void publish(struct fixture *f, const struct ntpd_ref_state *st)
{
	refstate_publish(f->x.ref, st);
	if (f == &fx)
		published = *st;
}

/* Per-test setup: a state published just now, so every test starts fresh
 * whatever the one before it published. */
static int publish_fresh(void **state)
{
	struct ntpd_ref_state st = known_state(refstate_tai_now_ns());

	(void)state;
	publish(&fx, &st);
	return 0;
}

/* ---- loading ---------------------------------------------------------------- */

static void unload(struct fixture *f)
{
	fixture_close(&f->x);
	f->dscp = 0;
}

static int add_local(struct fixture *f, int family, const char *text, __u32 vlan, __u8 flags)
{
	return fixture_add_local(&f->x, family, text, vlan, flags);
}

/* The interface's MAC and VLAN devices, and our addresses on each. */
static int add_links(struct fixture *f)
{
	static const __u32 vlans[] = { VLAN_ONE, VLAN_QINQ, VLAN_EMPTY };
	struct ntpd_link link = { .mac_known = 1 };
	__u32 zero = 0;
	size_t i;
	int err = 0;

	memcpy(link.mac, SERVER_MAC, ETH_ALEN);
	if (bpf_map_update_elem(bpf_map__fd(f->x.skel->maps.ntpd_link), &zero, &link, BPF_ANY))
		return -errno;
	for (i = 0; i < ARRAY_SIZE(vlans); i++) {
		link.ifindex = (__u32)(10 + i);
		if (bpf_map_update_elem(bpf_map__fd(f->x.skel->maps.ntpd_vlans), &vlans[i], &link,
					BPF_ANY))
			return -errno;
		if (vlans[i] == VLAN_EMPTY)
			continue;
		err = err ?: add_local(f, AF_INET, SERVER4, vlans[i], NTPD_LOCAL_SERVE);
		err = err ?: add_local(f, AF_INET6, SERVER6, vlans[i], NTPD_LOCAL_SERVE);
	}
	err = err ?: add_local(f, AF_INET, SERVER4, 0, NTPD_LOCAL_SERVE);
	err = err ?: add_local(f, AF_INET6, SERVER6, 0, NTPD_LOCAL_SERVE);
	err = err ?: add_local(f, AF_INET, SERVER4_OTHER, 0, NTPD_LOCAL_SERVE);
	err = err ?: add_local(f, AF_INET6, SERVER6_OTHER, 0, NTPD_LOCAL_SERVE);
	err = err ?: add_local(f, AF_INET, SERVER4_BCAST, 0, NTPD_LOCAL_BROADCAST);
	err = err ?: add_local(f, AF_INET6, SERVER6_TENT, 0, NTPD_LOCAL_TENTATIVE);
	return err;
}

/* Open, configure (then `tweak`, when given), load, map the state, add our
 * links and addresses.  0 or -errno. */
static int load_tweaked(struct fixture *f, __u8 stale_action, void (*tweak)(struct ntpd_config *))
{
	int err;

	memset(f, 0, sizeof(*f));
	err = fixture_open(&f->x);
	if (err)
		return err;
	/* every knob explicit: the test must not depend on the defaults */
	f->x.skel->rodata->ntpd_cfg.max_state_age_ns = NTPD_MAX_STATE_AGE_NS_DEFAULT;
	f->x.skel->rodata->ntpd_cfg.ntp_port = htons(NTP_PORT_DEFAULT);
	f->x.skel->rodata->ntpd_cfg.ntp_port6 = htons(NTP_PORT_DEFAULT);
	f->x.skel->rodata->ntpd_cfg.poll_min = POLL_MIN;
	f->x.skel->rodata->ntpd_cfg.poll_max = POLL_MAX;
	f->x.skel->rodata->ntpd_cfg.stale_action = stale_action;
	f->x.skel->rodata->ntpd_cfg.verify_udp_csum = 1;
	f->x.skel->rodata->ntpd_cfg.allow_loopback_src = 0;
	f->x.skel->rodata->ntpd_cfg.dscp = 0;
	f->x.skel->rodata->ntpd_cfg.off4 = 0;
	f->x.skel->rodata->ntpd_cfg.off6 = 0;
	f->x.skel->rodata->ntpd_cfg.listen4 = 0;
	memset(f->x.skel->rodata->ntpd_cfg.listen6, 0, 16);
	if (tweak) {
		struct ntpd_config cfg;

		memcpy(&cfg, (const void *)&f->x.skel->rodata->ntpd_cfg, sizeof(cfg));
		tweak(&cfg);
		memcpy((void *)&f->x.skel->rodata->ntpd_cfg, &cfg, sizeof(cfg));
	}
	f->dscp = f->x.skel->rodata->ntpd_cfg.dscp;
	err = fixture_load(&f->x);
	if (err)
		goto cleanup;
	err = add_links(f);
	if (err)
		goto cleanup;
	return 0;
cleanup:
	fprintf(stderr, "test_xdp: loading xdp_ntpd: %s\n", strerror(-err));
	unload(f);
	return err;
}

static int load(struct fixture *f, __u8 stale_action)
{
	return load_tweaked(f, stale_action, NULL);
}

static int group_setup(void **state)
{
	(void)state;
	return load(&fx, NTPD_STALE_UNSYNC);
}

static int group_teardown(void **state)
{
	(void)state;
	unload(&fx);
	return 0;
}

/* ---- running the program ---------------------------------------------------- */

/* ---- the expected answer ------------------------------------------------------ */

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void put32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* Whether a state's leap has been taken at tai_ns (never without a sign). */
static bool leap_taken(const struct ntpd_ref_state *st, __u64 tai_ns)
{
	return st->leap_sign != 0 && tai_ns >= st->leap_tai_ns;
}

/* RFC 5905: served time = CLOCK_TAI - TAI offset + correction, as NTP, and
 * from the state's leap on sign seconds less (insertion repeats a second). */
static uint64_t served_ntp(const struct ntpd_ref_state *st, __u64 tai_ns)
{
	__s64 leap = leap_taken(st, tai_ns) ? st->leap_sign * (__s64)NS : 0;

	return ntp_ts_from_unix_ns(tai_ns - (__u64)st->tai_offset_ns + (__u64)st->correction_ns -
				   (__u64)leap);
}

/*
 * RFC 5905 dispersion growth, written independently: PHI = 15 ppm of the
 * age, in 2^-16 s, rounded up, saturating.  Ages past 2^40 ns (18 min) are
 * clamped, as ntp_proto.h documents: only a never-published state (update
 * time 0, answered unsynchronised anyway) is that old.
 */
static uint32_t disp_grown(uint32_t disp, __u64 age_ns)
{
	unsigned __int128 units;
	__u64 age = age_ns < (1ULL << 40) ? age_ns : (1ULL << 40);

	units = ((unsigned __int128)age * 15 * 65536 + 999999999999999ULL) / 1000000000000000ULL;
	units += disp;
	return units > 0xffffffffU ? 0xffffffffU : (uint32_t)units;
}

static __u64 age_at(const struct ntpd_ref_state *st, __u64 tai_ns)
{
	return tai_ns > st->update_tai_ns ? tai_ns - st->update_tai_ns : 0;
}

/* The request's headers as the answer must have them, in `want` (a copy
 * of the request laid out as `lay`). */
static void expect_headers(uint8_t *want, const uint8_t *req, const struct frame_layout *lay,
			   __u8 dscp)
{
	uint8_t *ip = want + lay->l3, *udp = want + lay->l4, tmp[16];
	size_t alen = lay->family == AF_INET ? 4 : 16, a_off = lay->family == AF_INET ? 12 : 8;

	/* Ethernet: back to the sender; VLAN tags stay as they were */
	memcpy(want, req + ETH_ALEN, ETH_ALEN);
	memcpy(want + ETH_ALEN, req, ETH_ALEN);
	/* IP: addresses swapped, fresh TTL / hop limit */
	memcpy(tmp, ip + a_off, alen);
	memcpy(ip + a_off, ip + a_off + alen, alen);
	memcpy(ip + a_off + alen, tmp, alen);
	ip[lay->family == AF_INET ? 8 : 7] = NTPD_TTL_RESPONSE;
	/* our DSCP, ECN 0 whatever the request said (RFC 3168 6.1.1) */
	if (lay->family == AF_INET) {
		ip[1] = (uint8_t)(dscp << 2);
	} else {
		ip[0] = (uint8_t)(0x60 | dscp >> 2);
		ip[1] = (uint8_t)((dscp << 6 & 0xc0) | (ip[1] & 0x0f));
	}
	/* UDP: ports swapped */
	memcpy(tmp, udp, 2);
	memcpy(udp, udp + 2, 2);
	memcpy(udp + 2, tmp, 2);
}

/*
 * The answer's NTP fields that do not depend on when it was made, in
 * `ntp` (a copy of the request's `req_ntp`): all but root dispersion,
 * receive and transmit.
 */
static void expect_ntp_fixed(uint8_t *ntp, const uint8_t *req_ntp, const struct ntpd_ref_state *st,
			     int fresh, __u64 rx_tai_before)
{
	uint8_t vn;
	int poll, synced;

	/* NTP, RFC 5905 figure 8 */
	vn = (req_ntp[0] >> 3) & 7;
	/* the leap announcement ends at the instant (callers keep the run on
	 * one side of it) */
	synced = fresh && st->stratum <= 15;
	ntp[0] = (uint8_t)((synced ? (leap_taken(st, rx_tai_before) ? 0 : st->leap) : 3) << 6 |
			   vn << 3 | ((req_ntp[0] & 7) == 1 ? 2 : 4));	/* symmetric active: passive */
	ntp[1] = synced ? st->stratum : 0;
	poll = (int8_t)req_ntp[2];
	poll = poll < POLL_MIN ? POLL_MIN : poll > POLL_MAX ? POLL_MAX : poll;
	ntp[2] = (uint8_t)poll;
	ntp[3] = (uint8_t)st->precision;
	put32(ntp + 4, st->root_delay);
	/* a stratum-0 answer names no server: a stale state's refid is "LOST" */
	memcpy(ntp + 12, synced || st->stratum > 15 ? (const void *)&st->refid : "LOST", 4);
	put64(ntp + 16, st->reference_ts);
	memcpy(ntp + 24, req_ntp + 40, 8);	/* origin = their transmit */
}

/*
 * Compare an answer with the one expected for request `req` under state
 * `st`.  Returns NULL when every byte is right, else what is wrong (in
 * msg).  Does not assert, so the torn-read test can call it with a writer
 * thread running.
 */
static const char *answer_diff(const uint8_t *req, size_t len, const struct fixture_run *r,
			       const struct ntpd_ref_state *st, int fresh, __u8 dscp, char *msg,
			       size_t msg_len)
{
	uint8_t want[FRAME_MAX];
	struct frame_layout lay;
	uint8_t *ntp;
	const uint8_t *got;
	size_t i;
	uint32_t disp, disp_lo, disp_hi;
	uint64_t rx, tx, ts_lo, ts_hi;
	int err;

	if (r->out_len != len) {
		snprintf(msg, msg_len, "answer is %zu bytes, request %zu", r->out_len, len);
		return msg;
	}
	memcpy(want, req, len);
	err = frame_parse(want, len, &lay);
	if (err || lay.payload_len != NTP_PACKET_LEN) {
		snprintf(msg, msg_len, "request does not parse (%d)", err);
		return msg;
	}
	ntp = want + lay.payload;
	got = r->out + lay.payload;

	expect_headers(want, req, &lay, dscp);
	expect_ntp_fixed(ntp, req + lay.payload, st, fresh, r->tai_before);

	/* Root dispersion grows with the age at the receive time, which lies
	 * in the bracket; the program's multiply-shift may round up one more
	 * unit than the exact ceiling. */
	disp = get32(got + 8);
	disp_lo = disp_grown(st->root_dispersion, age_at(st, r->tai_before));
	disp_hi = disp_grown(st->root_dispersion, age_at(st, r->tai_after));
	disp_hi += disp_hi != 0xffffffffU;
	if (disp < disp_lo || disp > disp_hi) {
		snprintf(msg, msg_len, "root dispersion %#x outside [%#x, %#x]", disp, disp_lo,
			 disp_hi);
		return msg;
	}
	put32(ntp + 8, disp);

	/* Receive and transmit: served time within the run, in that order */
	rx = get64(got + 32);
	tx = get64(got + 40);
	ts_lo = served_ntp(st, r->tai_before) - TS_SLACK;
	ts_hi = served_ntp(st, r->tai_after) + TS_SLACK;
	if (rx < ts_lo || rx > ts_hi || tx < ts_lo || tx > ts_hi || rx > tx) {
		snprintf(msg, msg_len,
			 "timestamps rx %#llx tx %#llx not ordered within [%#llx, %#llx]",
			 (unsigned long long)rx, (unsigned long long)tx,
			 (unsigned long long)ts_lo, (unsigned long long)ts_hi);
		return msg;
	}
	/* one clock reading serves as both (bpf/xdp_ntpd.h): one served stamp */
	if (rx != tx) {
		snprintf(msg, msg_len, "receive %#llx and transmit %#llx differ",
			 (unsigned long long)rx, (unsigned long long)tx);
		return msg;
	}
	put64(ntp + 32, rx);
	put64(ntp + 40, tx);

	/* both checksums by the independent routine, then every byte */
	if (frame_fix_csums(want, len)) {
		snprintf(msg, msg_len, "expected frame does not parse");
		return msg;
	}
	err = frame_verify_csums(r->out, len);
	if (err) {
		snprintf(msg, msg_len, "answer's checksums do not verify (%d)", err);
		return msg;
	}
	for (i = 0; i < len; i++) {
		if (r->out[i] != want[i]) {
			snprintf(msg, msg_len, "byte %zu: got %02x, want %02x", i, r->out[i],
				 want[i]);
			return msg;
		}
	}
	return NULL;
}

/* ---- the table ---------------------------------------------------------- */

enum { V4 = 4, V6 = 6 };

/* A request frame as a difference from the default one: zero fields mean
 * "as a normal client sends it" (IPv4 or IPv6 client -> our address, port
 * 123, 48 bytes, version 4 client mode, poll 6, valid checksum). */
struct case_frame {
	int ip;			/* V4 or V6 */
	int tags;		/* VLAN tags, 802.1Q unless outer_tpid */
	uint16_t outer_tpid;
	uint16_t ethertype;	/* overrides the IP EtherType */
	const char *src, *dst;
	bool set_src_mac, set_dst_mac;
	uint8_t src_mac[ETH_ALEN], dst_mac[ETH_ALEN];
	uint16_t vid[FRAME_VLAN_MAX];	/* VLAN IDs; 0: 100, 200, 300 */
	bool vid_zero;			/* a priority tag: VID 0 */
	uint8_t tos;			/* IPv4 TOS / IPv6 traffic class */
	bool ip_csum_bad;		/* IPv4 header checksum off by one bit */
	uint16_t sport;			/* 40123 when 0 */
	bool sport_zero;
	uint16_t dport;
	uint8_t proto;		/* after IP; UDP when 0 */
	uint8_t ipv4_opts;	/* option bytes */
	uint16_t frag;		/* IPv4 flags + offset */
	bool hbh;		/* IPv6 hop-by-hop header */
	int payload_len;	/* 48 when 0 */
	bool set_lvm;
	uint8_t lvm;		/* first NTP byte, when set_lvm */
	bool set_poll;
	int8_t poll;
	enum frame_udp_csum csum;
	size_t trailer;		/* Ethernet padding after the IP packet */
	int ip_len_delta;	/* IP length field minus the true one */
	size_t cut;		/* keep only the first `cut` bytes */
};

struct xdp_case {
	const char *desc;
	struct case_frame f;
	int verdict;
	int counter;		/* NTPD_CNT_* that must move by exactly one */
};

/* Build the request a case describes.  Returns its length (asserting). */
static size_t build_case(const struct case_frame *cf, uint8_t *buf)
{
	uint8_t payload[128];
	struct frame_spec s = {
		.family = cf->ip == V6 ? AF_INET6 : AF_INET,
		.n_vlan = cf->tags,
		.ttl = REQ_TTL,
		.l4_proto = cf->proto ? cf->proto : IPPROTO_UDP,
		.ipv4_opt_len = cf->ipv4_opts,
		.ipv4_frag = cf->frag,
		.ipv6_hbh = cf->hbh,
		.tos = cf->tos,
		.sport = cf->sport_zero ? 0 : cf->sport ? cf->sport : 40123,
		.dport = cf->dport ? cf->dport : NTP_PORT_DEFAULT,
		.csum = cf->csum,
		.payload = payload,
		.payload_len = cf->payload_len ? (size_t)cf->payload_len : NTP_PACKET_LEN,
		/* an IP length claiming more needs the bytes to be there */
		.trailer = cf->trailer + (cf->ip_len_delta > 0 ? (size_t)cf->ip_len_delta : 0),
	};
	const char *src = cf->src ? cf->src : s.family == AF_INET ? CLIENT4 : CLIENT6;
	const char *dst = cf->dst ? cf->dst : s.family == AF_INET ? SERVER4 : SERVER6;
	struct frame_layout lay;
	int i, len;

	assert_true(s.payload_len <= sizeof(payload));
	memcpy(s.dst_mac, cf->set_dst_mac ? cf->dst_mac : SERVER_MAC, ETH_ALEN);
	memcpy(s.src_mac, cf->set_src_mac ? cf->src_mac : CLIENT_MAC, ETH_ALEN);
	for (i = 0; i < cf->tags; i++) {
		uint16_t vid = cf->vid_zero ? 0 : cf->vid[i] ? cf->vid[i] : (uint16_t)(100 * (i + 1));

		s.vlan_tpid[i] = i == 0 && cf->outer_tpid ? cf->outer_tpid : ETH_P_8021Q;
		s.vlan_tci[i] = (uint16_t)(0x2000 | vid);	/* PCP 1 */
	}
	assert_int_equal(inet_pton(s.family, src, s.saddr), 1);
	assert_int_equal(inet_pton(s.family, dst, s.daddr), 1);
	frame_ntp_request(payload, s.payload_len,
			  cf->set_lvm ? cf->lvm : NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT),
			  cf->set_poll ? cf->poll : 6, REQ_XMT_TS);
	len = frame_build(&s, buf, FRAME_MAX, &lay);
	assert_true(len > 0);
	if (cf->ethertype)
		frame_put16(buf + lay.l3 - 2, cf->ethertype);
	if (cf->ip_len_delta && s.family == AF_INET) {
		frame_put16(buf + lay.l3 + 2,
			    (uint16_t)(frame_get16(buf + lay.l3 + 2) + cf->ip_len_delta));
		frame_put16(buf + lay.l3 + 10, frame_ipv4_csum(buf + lay.l3, lay.l3_len));
	} else if (cf->ip_len_delta) {
		frame_put16(buf + lay.l3 + 4,
			    (uint16_t)(frame_get16(buf + lay.l3 + 4) + cf->ip_len_delta));
	}
	if (cf->ip_csum_bad)
		buf[lay.l3 + 11] ^= 0x01;
	if (cf->cut) {
		assert_true(cf->cut < (size_t)len);
		len = (int)cf->cut;
	}
	return (size_t)len;
}

/* Run the case against fixture f, whose state is `st`. */
static void check_case(struct fixture *f, const struct ntpd_ref_state *st, const struct xdp_case *c)
{
	uint8_t in[FRAME_MAX];
	size_t len = build_case(&c->f, in);
	struct ntpd_counters before, after;
	struct fixture_run r;
	char msg[160];
	const char *diff;
	int i;

	assert_int_equal(fixture_read_counters(&f->x, &before), 0);
	assert_int_equal(fixture_run(&f->x, in, len, &r), 0);
	assert_int_equal(fixture_read_counters(&f->x, &after), 0);

	if (r.verdict != c->verdict)
		print_message("# %s: verdict %d, want %d\n", c->desc, r.verdict, c->verdict);
	assert_int_equal(r.verdict, c->verdict);
	for (i = 0; i < NTPD_CNT_MAX; i++) {
		__u64 delta = after.packets[i] - before.packets[i];

		if (delta != (i == c->counter))
			print_message("# counter %d moved by %llu\n", i, (unsigned long long)delta);
		assert_int_equal(delta, i == c->counter);
	}
	assert_int_equal(r.out_len, len);
	if (r.verdict == XDP_PASS) {
		/* the stack gets the frame exactly as it arrived */
		assert_memory_equal(r.out, in, len);
	} else if (r.verdict == XDP_TX) {
		diff = answer_diff(in, len, &r, st, c->counter != NTPD_CNT_ANSWERED_UNSYNC, f->dscp,
				   msg, sizeof(msg));
		if (diff)
			print_message("# %s: %s\n", c->desc, diff);
		assert_null(diff);
	}
}

#define ANSWER4	XDP_TX, NTPD_CNT_ANSWERED_V4
#define ANSWER6	XDP_TX, NTPD_CNT_ANSWERED_V6
#define PASS(reason)	XDP_PASS, NTPD_CNT_PASS_##reason
#define DROP(reason)	XDP_DROP, NTPD_CNT_DROP_##reason

/* Ethernet 14 + IPv4 20 / IPv6 40 + UDP 8 + NTP 48 */
#define LEN4	90
#define LEN6	110

static const struct xdp_case cases[] = {
	{ "IPv4 request", { .ip = V4 }, ANSWER4 },
	{ "IPv6 request", { .ip = V6 }, ANSWER6 },
	{ "IPv4, one 802.1Q tag", { .ip = V4, .tags = 1 }, ANSWER4 },
	{ "IPv6, one 802.1Q tag", { .ip = V6, .tags = 1 }, ANSWER6 },
	{ "IPv4, QinQ 802.1ad + 802.1Q", { .ip = V4, .tags = 2, .outer_tpid = ETH_P_8021AD },
	  ANSWER4 },
	{ "IPv6, QinQ 802.1ad + 802.1Q", { .ip = V6, .tags = 2, .outer_tpid = ETH_P_8021AD },
	  ANSWER6 },
	{ "IPv4, three tags", { .ip = V4, .tags = 3, .outer_tpid = ETH_P_8021AD },
	  PASS(VLAN_DEPTH) },
	{ "IPv6, three tags", { .ip = V6, .tags = 3 }, PASS(VLAN_DEPTH) },
	{ "poll 0 -> poll_min", { .ip = V4, .set_poll = true, .poll = 0 }, ANSWER4 },
	{ "poll 6 kept", { .ip = V6, .set_poll = true, .poll = 6 }, ANSWER6 },
	{ "poll 20 -> poll_max", { .ip = V4, .set_poll = true, .poll = 20 }, ANSWER4 },
	{ "poll -3 -> poll_min", { .ip = V6, .set_poll = true, .poll = -3 }, ANSWER6 },
	{ "request with LI=3 (SNTP 0xe3)", { .ip = V4, .set_lvm = true, .lvm = 0xe3 }, ANSWER4 },
	{ "IPv4 DF set", { .ip = V4, .frag = 0x4000 }, ANSWER4 },
	{ "IPv4 UDP checksum 0: answered with one", { .ip = V4, .csum = FRAME_CSUM_ZERO },
	  ANSWER4 },
	{ "IPv4, Ethernet padding after the packet", { .ip = V4, .trailer = 6 }, ANSWER4 },
	{ "IPv4 47-byte payload", { .ip = V4, .payload_len = 47 }, PASS(LENGTH) },
	{ "IPv4 49-byte payload", { .ip = V4, .payload_len = 49 }, PASS(LENGTH) },
	{ "IPv4 68-byte payload (MAC)", { .ip = V4, .payload_len = 68 }, PASS(LENGTH) },
	{ "IPv4 96-byte payload (extension field)", { .ip = V4, .payload_len = 96 },
	  PASS(LENGTH) },
	{ "IPv6 47-byte payload", { .ip = V6, .payload_len = 47 }, PASS(LENGTH) },
	{ "IPv6 49-byte payload", { .ip = V6, .payload_len = 49 }, PASS(LENGTH) },
	{ "IPv6 68-byte payload (MAC)", { .ip = V6, .payload_len = 68 }, PASS(LENGTH) },
	{ "IPv6 96-byte payload (extension field)", { .ip = V6, .payload_len = 96 },
	  PASS(LENGTH) },
	/* UDP says 56 bytes, IP disagrees: not a plain 48-byte request */
	{ "IPv4 total length 4 over the datagram", { .ip = V4, .ip_len_delta = 4 },
	  PASS(LENGTH) },
	{ "IPv4 total length 4 under the datagram", { .ip = V4, .ip_len_delta = -4 },
	  PASS(LENGTH) },
	{ "IPv6 payload length 4 over the datagram", { .ip = V6, .ip_len_delta = 4 },
	  PASS(LENGTH) },
	{ "IPv6 payload length 4 under the datagram", { .ip = V6, .ip_len_delta = -4 },
	  PASS(LENGTH) },
	{ "IPv4 options (IHL 6)", { .ip = V4, .ipv4_opts = 4 }, PASS(IP_OPTIONS) },
	{ "IPv4 first fragment (MF)", { .ip = V4, .frag = 0x2000 }, PASS(FRAGMENT) },
	{ "IPv4 later fragment (offset 185)", { .ip = V4, .frag = 185 }, PASS(FRAGMENT) },
	{ "IPv4 middle fragment (MF, offset 1)", { .ip = V4, .frag = 0x2001 }, PASS(FRAGMENT) },
	{ "IPv4 TCP", { .ip = V4, .proto = IPPROTO_TCP }, PASS(NOT_UDP) },
	{ "IPv4 ICMP", { .ip = V4, .proto = IPPROTO_ICMP }, PASS(NOT_UDP) },
	{ "IPv6 TCP", { .ip = V6, .proto = IPPROTO_TCP }, PASS(NOT_UDP) },
	{ "IPv6 ICMPv6", { .ip = V6, .proto = IPPROTO_ICMPV6 }, PASS(NOT_UDP) },
	{ "IPv4 UDP port 124", { .ip = V4, .dport = 124 }, PASS(OTHER_PORT) },
	{ "IPv6 UDP port 53", { .ip = V6, .dport = 53 }, PASS(OTHER_PORT) },
	{ "IPv6 hop-by-hop header", { .ip = V6, .hbh = true }, PASS(IPV6_EXTHDR) },
	{ "IPv4 to 192.0.2.11 (not ours)", { .ip = V4, .dst = "192.0.2.11" }, PASS(NOT_LOCAL) },
	{ "IPv6 to 2001:db8::11 (not ours)", { .ip = V6, .dst = "2001:db8::11" },
	  PASS(NOT_LOCAL) },
	{ "source 0.0.0.0", { .ip = V4, .src = "0.0.0.0" }, DROP(BAD_SOURCE) },
	{ "source 127.0.0.1", { .ip = V4, .src = "127.0.0.1" }, DROP(BAD_SOURCE) },
	{ "source 224.0.0.1", { .ip = V4, .src = "224.0.0.1" }, DROP(BAD_SOURCE) },
	{ "source 255.255.255.255", { .ip = V4, .src = "255.255.255.255" }, DROP(BAD_SOURCE) },
	{ "source ff02::1", { .ip = V6, .src = "ff02::1" }, DROP(BAD_SOURCE) },
	{ "source ::", { .ip = V6, .src = "::" }, DROP(BAD_SOURCE) },
	{ "source ::1", { .ip = V6, .src = "::1" }, DROP(BAD_SOURCE) },
	{ "source ::ffff:1.2.3.4", { .ip = V6, .src = "::ffff:1.2.3.4" }, DROP(BAD_SOURCE) },
	{ "IPv4 source port 0", { .ip = V4, .sport_zero = true }, DROP(BAD_SOURCE) },
	{ "IPv6 source port 0", { .ip = V6, .sport_zero = true }, DROP(BAD_SOURCE) },
	{ "IPv4 bad UDP checksum", { .ip = V4, .csum = FRAME_CSUM_BAD }, PASS(BAD_CSUM) },
	{ "IPv6 bad UDP checksum", { .ip = V6, .csum = FRAME_CSUM_BAD }, PASS(BAD_CSUM) },
	/* RFC 8200 8.1: dropped, not handed to a stack that would drop it */
	{ "IPv6 UDP checksum 0 (RFC 8200: invalid)", { .ip = V6, .csum = FRAME_CSUM_ZERO },
	  DROP(ZERO_CSUM6) },
	{ "ARP", { .ip = V4, .ethertype = ETH_P_ARP }, PASS(NOT_IP) },
	{ "truncated: Ethernet only", { .ip = V4, .cut = ETH_HLEN }, PASS(TRUNCATED) },
	{ "truncated: inside the VLAN tag", { .ip = V4, .tags = 1, .cut = ETH_HLEN + 2 },
	  PASS(TRUNCATED) },
	{ "truncated: inside the IPv4 header", { .ip = V4, .cut = ETH_HLEN + 19 },
	  PASS(TRUNCATED) },
	{ "truncated: inside the IPv6 header", { .ip = V6, .cut = ETH_HLEN + 39 },
	  PASS(TRUNCATED) },
	{ "truncated: inside the UDP header", { .ip = V4, .cut = ETH_HLEN + 20 + 7 },
	  PASS(TRUNCATED) },
	{ "truncated: IPv4 NTP payload short by 1", { .ip = V4, .cut = LEN4 - 1 },
	  PASS(TRUNCATED) },
	{ "truncated: IPv6 NTP payload short by 1", { .ip = V6, .cut = LEN6 - 1 },
	  PASS(TRUNCATED) },
	{ "truncated: QinQ, NTP payload short by 1",
	  { .ip = V6, .tags = 2, .outer_tpid = ETH_P_8021AD, .cut = LEN6 + 8 - 1 },
	  PASS(TRUNCATED) },
	/* ---- link layer ---- */
	{ "source MAC multicast", { .ip = V4, .set_src_mac = true, .src_mac = MCAST4_MAC },
	  DROP(LINK_SOURCE) },
	{ "source MAC broadcast, IPv6", { .ip = V6, .set_src_mac = true, .src_mac = BCAST_MAC },
	  DROP(LINK_SOURCE) },
	{ "destination MAC broadcast", { .ip = V4, .set_dst_mac = true, .dst_mac = BCAST_MAC },
	  PASS(LINK_DEST) },
	{ "destination MAC multicast, IPv6",
	  { .ip = V6, .set_dst_mac = true, .dst_mac = MCAST6_MAC }, PASS(LINK_DEST) },
	{ "destination MAC another host's (promiscuous)",
	  { .ip = V4, .set_dst_mac = true, .dst_mac = OTHER_MAC }, PASS(LINK_DEST) },
	{ "destination MAC another host's, IPv6 on VLAN 100",
	  { .ip = V6, .tags = 1, .set_dst_mac = true, .dst_mac = OTHER_MAC }, PASS(LINK_DEST) },
	/* ---- VLANs ---- */
	{ "IPv4, VLAN 300: no such VLAN device", { .ip = V4, .tags = 1, .vid = { 300 } },
	  PASS(VLAN_UNKNOWN) },
	{ "IPv6, VLAN 300: no such VLAN device", { .ip = V6, .tags = 1, .vid = { 300 } },
	  PASS(VLAN_UNKNOWN) },
	{ "IPv4, QinQ 100 + 300: no such device",
	  { .ip = V4, .tags = 2, .outer_tpid = ETH_P_8021AD, .vid = { 100, 300 } },
	  PASS(VLAN_UNKNOWN) },
	{ "IPv4, QinQ 200 + 100: the order counts",
	  { .ip = V4, .tags = 2, .outer_tpid = ETH_P_8021AD, .vid = { 200, 100 } },
	  PASS(VLAN_UNKNOWN) },
	{ "IPv4, VLAN 101: a device without our address", { .ip = V4, .tags = 1, .vid = { 101 } },
	  PASS(NOT_LOCAL) },
	{ "IPv6, VLAN 101: a device without our address", { .ip = V6, .tags = 1, .vid = { 101 } },
	  PASS(NOT_LOCAL) },
	{ "IPv4, priority tag (VID 0) is untagged", { .ip = V4, .tags = 1, .vid_zero = true },
	  ANSWER4 },
	{ "IPv6, priority tag (VID 0) is untagged", { .ip = V6, .tags = 1, .vid_zero = true },
	  ANSWER6 },
	/* ---- sources as the kernel sees them ---- */
	{ "IPv4 from our own address", { .ip = V4, .src = SERVER4 }, DROP(SOURCE_LOCAL) },
	{ "IPv4 from another of our addresses", { .ip = V4, .src = SERVER4_OTHER },
	  DROP(SOURCE_LOCAL) },
	{ "IPv4 from our subnet broadcast", { .ip = V4, .src = SERVER4_BCAST },
	  DROP(SOURCE_LOCAL) },
	{ "IPv6 from our own address", { .ip = V6, .src = SERVER6 }, DROP(SOURCE_LOCAL) },
	{ "IPv4 to our subnet broadcast: not a unicast address of ours",
	  { .ip = V4, .dst = SERVER4_BCAST }, PASS(NOT_LOCAL) },
	{ "IPv6 to a tentative address (DAD not done)", { .ip = V6, .dst = SERVER6_TENT },
	  PASS(NOT_LOCAL) },
	{ "IPv4 bad header checksum", { .ip = V4, .ip_csum_bad = true }, PASS(BAD_IP_CSUM) },
	{ "IPv4 bad header checksum, UDP checksum 0",
	  { .ip = V4, .ip_csum_bad = true, .csum = FRAME_CSUM_ZERO }, PASS(BAD_IP_CSUM) },
	{ "IPv4 version 1 mode 0 from port 123",
	  { .ip = V4, .set_lvm = true, .lvm = NTP_LI_VN_MODE(0, 1, 0), .sport = 123 },
	  DROP(V1_PORT123) },
	{ "IPv6 version 1 mode 0 from port 123",
	  { .ip = V6, .set_lvm = true, .lvm = NTP_LI_VN_MODE(0, 1, 0), .sport = 123 },
	  DROP(V1_PORT123) },
	{ "IPv4 version 1 mode 0 from port 1023",
	  { .ip = V4, .set_lvm = true, .lvm = NTP_LI_VN_MODE(0, 1, 0), .sport = 1023 },
	  ANSWER4 },
	{ "IPv4 version 4 client from port 123", { .ip = V4, .sport = 123 }, ANSWER4 },
	/* ---- what the answer carries in IP ---- */
	{ "IPv4 request CE-marked (ECN 3): answer ECN 0", { .ip = V4, .tos = 0x03 }, ANSWER4 },
	{ "IPv4 request DSCP 46 ECT(0): answer TOS 0", { .ip = V4, .tos = 0xba }, ANSWER4 },
	{ "IPv6 request CE-marked: traffic class 0", { .ip = V6, .tos = 0x03 }, ANSWER6 },
	{ "IPv6 request DSCP 46 + CE: traffic class 0", { .ip = V6, .tos = 0xbb }, ANSWER6 },
};

static void test_case(void **state)
{
	check_case(&fx, &published, *state);
}

/* Every version x every mode, both families, generated: which requests are
 * answered is RFC 5905 (client, and symmetric active in mode 2) plus RFC
 * 1059's mode-less version 1. */
#define MATRIX_N (2 * 8 * 8)
static struct xdp_case matrix[MATRIX_N];
static char matrix_desc[MATRIX_N][40];

static void fill_matrix(void)
{
	int n = 0, ip, vn, mode;

	for (ip = V4; ip <= V6; ip += V6 - V4) {
		for (vn = 0; vn < 8; vn++) {
			for (mode = 0; mode < 8; mode++, n++) {
				struct xdp_case *c = &matrix[n];

				snprintf(matrix_desc[n], sizeof(matrix_desc[n]),
					 "IPv%d version %d mode %d", ip, vn, mode);
				c->desc = matrix_desc[n];
				c->f.ip = ip;
				c->f.set_lvm = true;
				c->f.lvm = (uint8_t)(vn << 3 | mode);
				if ((vn >= 1 && vn <= 4 && (mode == 3 || mode == 1)) ||
				    (vn == 1 && mode == 0)) {
					c->verdict = XDP_TX;
					c->counter = ip == V4 ? NTPD_CNT_ANSWERED_V4 :
								NTPD_CNT_ANSWERED_V6;
				} else if (mode == 4) {
					c->verdict = XDP_DROP;
					c->counter = NTPD_CNT_DROP_MODE_SERVER;
				} else if (mode == 7) {
					c->verdict = XDP_DROP;
					c->counter = NTPD_CNT_DROP_MODE_CONTROL;
				} else if (vn < 1 || vn > 4) {
					c->verdict = XDP_PASS;
					c->counter = NTPD_CNT_PASS_VERSION;
				} else {
					c->verdict = XDP_PASS;
					c->counter = NTPD_CNT_PASS_MODE;
				}
			}
		}
	}
}

/* ---- stale state ---------------------------------------------------------- */

/* Twice the default 10 s limit: stale, announced as unsynchronised. */
static void stale_state_answered_unsynchronised(void **state)
{
	const struct xdp_case c4 = { "stale, IPv4", { .ip = V4 }, XDP_TX, NTPD_CNT_ANSWERED_UNSYNC };
	const struct xdp_case c6 = { "stale, IPv6", { .ip = V6 }, XDP_TX, NTPD_CNT_ANSWERED_UNSYNC };
	struct ntpd_ref_state st = known_state(refstate_tai_now_ns() - 20 * NS);

	(void)state;
	publish(&fx, &st);
	check_case(&fx, &published, &c4);
	check_case(&fx, &published, &c6);
}

static void never_published_answered_unsynchronised(void **state)
{
	const struct xdp_case c = { "never published", { .ip = V4 }, XDP_TX,
				    NTPD_CNT_ANSWERED_UNSYNC };
	struct ntpd_ref_state st = known_state(0);

	(void)state;
	publish(&fx, &st);
	check_case(&fx, &published, &c);
}

/* With stale_action=pass the socket server answers instead: a second
 * object loaded with that setting hands stale requests up untouched. */
static void stale_state_passed_when_configured(void **state)
{
	const struct xdp_case stale = { "stale, passed", { .ip = V4 }, PASS(STALE) };
	const struct xdp_case stale6 = { "stale, passed, IPv6", { .ip = V6 }, PASS(STALE) };
	const struct xdp_case fresh = { "fresh, answered", { .ip = V4 }, ANSWER4 };
	struct fixture pass;
	struct ntpd_ref_state st;

	(void)state;
	assert_int_equal(load(&pass, NTPD_STALE_PASS), 0);
	st = known_state(refstate_tai_now_ns() - 20 * NS);
	refstate_publish(pass.x.ref, &st);
	check_case(&pass, &st, &stale);
	check_case(&pass, &st, &stale6);
	st = known_state(0);
	refstate_publish(pass.x.ref, &st);
	check_case(&pass, &st, &stale);
	st = known_state(refstate_tai_now_ns());
	refstate_publish(pass.x.ref, &st);
	check_case(&pass, &st, &fresh);
	unload(&pass);
}

/* ---- leap seconds ---------------------------------------------------------- */

/*
 * A state published a moment before a leap, and a request received just
 * before or just after its instant L (CLOCK_TAI, which the program reads, a
 * few ms ahead of the real clock).  The correction is chosen so the line
 * reaches a whole second S at L: 00:00:00 of the new day for an insertion,
 * 23:59:59 for a deletion.  Before L the answer reads S - 1 s and a
 * fraction with LI announcing the leap; after it S - sign s (23:59:59 again,
 * or 00:00:00) with LI 0; every byte as the independent model says.
 */
struct leap_case {
	const char *desc;
	int ip;
	int sign;
	bool after;
};

static const struct leap_case leap_cases[] = {
	{ "leap: IPv4 insertion, just before", V4, 1, false },
	{ "leap: IPv4 insertion, just after", V4, 1, true },
	{ "leap: IPv6 insertion, just before", V6, 1, false },
	{ "leap: IPv6 insertion, just after", V6, 1, true },
	{ "leap: IPv4 deletion, just before", V4, -1, false },
	{ "leap: IPv4 deletion, just after", V4, -1, true },
	{ "leap: IPv6 deletion, just before", V6, -1, false },
	{ "leap: IPv6 deletion, just after", V6, -1, true },
};

#define LEAP_AHEAD_BEFORE_NS	5000000ULL	/* room to answer before the instant */
#define LEAP_AHEAD_AFTER_NS	200000ULL	/* waited out, then answered */

static void leap_case(void **state)
{
	const struct leap_case *lc = *state;
	const struct xdp_case c = { lc->desc, { .ip = lc->ip }, XDP_TX,
				    lc->ip == V4 ? NTPD_CNT_ANSWERED_V4 : NTPD_CNT_ANSWERED_V6 };
	struct ntpd_counters before, after;
	struct ntpd_ref_state st;
	uint8_t in[FRAME_MAX];
	size_t len = build_case(&c.f, in);
	struct fixture_run r;
	__u64 now, L, line_at_L, s_ntp;
	uint64_t rx, tx;
	const char *diff;
	char msg[160];
	int tries, i;

	for (tries = 0; tries < 100; tries++) {
		now = refstate_tai_now_ns();
		L = now + (lc->after ? LEAP_AHEAD_AFTER_NS : LEAP_AHEAD_BEFORE_NS);
		st = known_state(now);
		st.leap = lc->sign > 0 ? NTP_LEAP_INSERT : NTP_LEAP_DELETE;
		st.leap_sign = (__s8)lc->sign;
		st.leap_tai_ns = L;
		line_at_L = L - (__u64)st.tai_offset_ns + (__u64)st.correction_ns;
		st.correction_ns += (__s64)(NS - line_at_L % NS);
		publish(&fx, &st);
		while (lc->after && refstate_tai_now_ns() < L)
			;
		assert_int_equal(fixture_read_counters(&fx.x, &before), 0);
		assert_int_equal(fixture_run(&fx.x, in, len, &r), 0);
		assert_int_equal(fixture_read_counters(&fx.x, &after), 0);
		/* a slow run that straddled the instant says nothing: again */
		if (lc->after ? r.tai_before >= L : r.tai_after < L)
			break;
	}
	assert_true(tries < 100);
	assert_int_equal(r.verdict, XDP_TX);
	for (i = 0; i < NTPD_CNT_MAX; i++)
		assert_int_equal(after.packets[i] - before.packets[i], i == c.counter);
	diff = answer_diff(in, len, &r, &published, 1, 0, msg, sizeof(msg));
	if (diff)
		print_message("# %s: %s\n", lc->desc, diff);
	assert_null(diff);

	/* and on the timescale: the second the leap makes it */
	s_ntp = (L - (__u64)st.tai_offset_ns + (__u64)st.correction_ns) / NS +
		NTP_UNIX_EPOCH_DELTA;
	rx = get64(r.out + len - NTP_PACKET_LEN + 32);
	tx = get64(r.out + len - NTP_PACKET_LEN + 40);
	assert_int_equal(rx >> 32, (uint32_t)(lc->after ? s_ntp - (__u64)(__s64)lc->sign : s_ntp - 1));
	assert_int_equal(tx >> 32, rx >> 32);
	assert_int_equal(NTP_LI(r.out[len - NTP_PACKET_LEN]),
			 lc->after ? NTP_LEAP_NONE : st.leap);
}

/* ---- torn reads ---------------------------------------------------------- */

#define TORN_PUBLISHES	2000000U
#define TORN_RUNS_MAX	200000U

static __u64 torn_t0;	/* CLOCK_TAI the writer's states were published at */

/*
 * State number k: every field a different function of k, so a response
 * mixing two publications cannot look like a third.  k increases, rather
 * than alternating between two states: each slot then gets a new state on
 * every visit, while with two states and two slots each slot would always
 * hold the same one and a torn read there could not be seen.  The
 * correction moves the served time by k ms, so the base_tai/base_ntp pair
 * that refstate_publish() derives is checked too.
 */
static struct ntpd_ref_state torn_state(__u32 k)
{
	struct ntpd_ref_state st = {
		.update_tai_ns = torn_t0,
		.reference_ts = (__u64)k << 32 | (k ^ 0x5a5a5a5aU),
		.tai_offset_ns = TAI_OFFSET_NS,
		.correction_ns = (__s64)k * 1000000,
		.root_delay = k,
		/* growth over the test stays far below 1024 units (1000 s) */
		.root_dispersion = k << 10,
		.refid = htonl(k),
		.leap = (__u8)(k % 3),
		.stratum = (__u8)(1 + k % 15),
		.precision = (__s8)-(int)(k % 32),
	};

	return st;
}

static int torn_writer_done;

static void *torn_writer(void *arg)
{
	struct ntpd_ref_buffer *ref = arg;
	__u32 k;

	for (k = 1; k <= TORN_PUBLISHES; k++) {
		struct ntpd_ref_state st = torn_state(k);

		refstate_publish(ref, &st);
	}
	__atomic_store_n(&torn_writer_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void no_torn_reads(void **state)
{
	const struct case_frame cf = { .ip = V4 };
	unsigned long runs = 0, answered = 0, busy = 0, torn = 0, backwards = 0, other = 0;
	__u32 k, last_k = 0;
	struct ntpd_counters before, after;
	struct ntpd_ref_state st;
	uint8_t in[FRAME_MAX];
	size_t len = build_case(&cf, in);
	struct fixture_run r;
	char msg[160];
	pthread_t writer;

	(void)state;
	torn_t0 = refstate_tai_now_ns();
	st = torn_state(0);
	publish(&fx, &st);
	assert_int_equal(fixture_read_counters(&fx.x, &before), 0);
	torn_writer_done = 0;
	assert_int_equal(pthread_create(&writer, NULL, torn_writer, fx.x.ref), 0);

	/* No asserts in here: a failure would leave the writer running. */
	while (runs < TORN_RUNS_MAX && !__atomic_load_n(&torn_writer_done, __ATOMIC_ACQUIRE)) {
		const char *diff;

		if (fixture_run(&fx.x, in, len, &r)) {
			other++;
			break;
		}
		runs++;
		if (r.verdict == XDP_PASS) {
			busy++;
			continue;
		}
		if (r.verdict != XDP_TX) {
			other++;
			continue;
		}
		answered++;
		/* the refid names the state; all else must be that state's */
		k = get32(r.out + LEN4 - NTP_PACKET_LEN + 12);
		st = torn_state(k);
		diff = answer_diff(in, len, &r, &st, 1, 0, msg, sizeof(msg));
		if (diff && torn++ < 5)
			print_message("# torn response (k=%u): %s\n", k, diff);
		/* nor may a later answer come from an older state: served time
		 * would go backwards (a slot read before it was published) */
		if (k < last_k && backwards++ < 5)
			print_message("# state %u served after state %u\n", k, last_k);
		last_k = k > last_k ? k : last_k;
	}
	pthread_join(writer, NULL);
	assert_int_equal(fixture_read_counters(&fx.x, &after), 0);

	print_message("# %lu runs during %u publications: %lu answered, %lu passed as "
		      "state_busy, %lu torn, %lu out of order\n", runs, TORN_PUBLISHES, answered,
		      busy, torn, backwards);
	assert_int_equal(torn, 0);
	assert_int_equal(backwards, 0);
	assert_int_equal(other, 0);
	assert_true(answered > 0);
	assert_int_equal(after.packets[NTPD_CNT_ANSWERED_V4] - before.packets[NTPD_CNT_ANSWERED_V4],
			 answered);
	assert_int_equal(after.packets[NTPD_CNT_PASS_STATE_BUSY] -
			 before.packets[NTPD_CNT_PASS_STATE_BUSY], busy);
}

/* ---- load-time settings: DSCP, listen address, families, ports ------------ */

static void tweak_dscp(struct ntpd_config *cfg)
{
	cfg->dscp = 46;		/* EF, RFC 3246 */
}

/* `dscp 46`: every answer says 46 and ECN 0, whatever the request said. */
static void dscp_set_in_answers(void **state)
{
	static const struct xdp_case cases_dscp[] = {
		{ "dscp 46: IPv4 plain", { .ip = V4 }, ANSWER4 },
		{ "dscp 46: IPv4 CE-marked", { .ip = V4, .tos = 0x03 }, ANSWER4 },
		{ "dscp 46: IPv4 DSCP 10 ECT(1)", { .ip = V4, .tos = 0x29 }, ANSWER4 },
		{ "dscp 46: IPv4 on VLAN 100", { .ip = V4, .tags = 1, .tos = 0xff }, ANSWER4 },
		{ "dscp 46: IPv6 plain", { .ip = V6 }, ANSWER6 },
		{ "dscp 46: IPv6 CE-marked", { .ip = V6, .tos = 0x03 }, ANSWER6 },
		{ "dscp 46: IPv6 traffic class 0xff", { .ip = V6, .tos = 0xff }, ANSWER6 },
	};
	struct ntpd_ref_state st = known_state(refstate_tai_now_ns());
	struct fixture f;
	size_t i;

	(void)state;
	assert_int_equal(load_tweaked(&f, NTPD_STALE_UNSYNC, tweak_dscp), 0);
	refstate_publish(f.x.ref, &st);
	for (i = 0; i < ARRAY_SIZE(cases_dscp); i++)
		check_case(&f, &st, &cases_dscp[i]);
	unload(&f);
}

static void tweak_listen(struct ntpd_config *cfg)
{
	inet_pton(AF_INET, SERVER4, &cfg->listen4);
	inet_pton(AF_INET6, SERVER6, cfg->listen6);
}

/* -a SERVER4:123 -b [SERVER6]:123: our other addresses are not answered. */
static void listen_address_binds_xdp(void **state)
{
	static const struct xdp_case cases_listen[] = {
		{ "-a: to the listen address", { .ip = V4 }, ANSWER4 },
		{ "-a: to another of ours", { .ip = V4, .dst = SERVER4_OTHER }, PASS(NOT_LISTENING) },
		{ "-b: to the listen address", { .ip = V6 }, ANSWER6 },
		{ "-b: to another of ours", { .ip = V6, .dst = SERVER6_OTHER }, PASS(NOT_LISTENING) },
	};
	struct ntpd_ref_state st = known_state(refstate_tai_now_ns());
	struct fixture f;
	size_t i;

	(void)state;
	assert_int_equal(load_tweaked(&f, NTPD_STALE_UNSYNC, tweak_listen), 0);
	refstate_publish(f.x.ref, &st);
	for (i = 0; i < ARRAY_SIZE(cases_listen); i++)
		check_case(&f, &st, &cases_listen[i]);
	unload(&f);
}

static void tweak_off4(struct ntpd_config *cfg)
{
	cfg->off4 = 1;
}

static void tweak_off6_port(struct ntpd_config *cfg)
{
	cfg->off6 = 1;
	cfg->ntp_port = htons(1123);
}

static void tweak_port6(struct ntpd_config *cfg)
{
	cfg->ntp_port6 = htons(1123);
}

/* -4 0 / -6 0 turn the family off in XDP; each family has its own port. */
static void families_and_ports(void **state)
{
	static const struct xdp_case off4[] = {
		{ "-4 0: IPv4 passed", { .ip = V4 }, PASS(NOT_LISTENING) },
		{ "-4 0: IPv6 answered", { .ip = V6 }, ANSWER6 },
	};
	static const struct xdp_case off6[] = {
		{ "-6 0 -a :1123: IPv6 passed", { .ip = V6 }, PASS(NOT_LISTENING) },
		{ "-6 0 -a :1123: IPv4 on 1123", { .ip = V4, .dport = 1123 }, ANSWER4 },
		{ "-6 0 -a :1123: IPv4 on 123", { .ip = V4 }, PASS(OTHER_PORT) },
	};
	static const struct xdp_case port6[] = {
		{ "-b :1123: IPv6 on 1123", { .ip = V6, .dport = 1123 }, ANSWER6 },
		{ "-b :1123: IPv6 on 123", { .ip = V6 }, PASS(OTHER_PORT) },
		{ "-b :1123: IPv4 on 123", { .ip = V4 }, ANSWER4 },
		{ "-b :1123: IPv4 on 1123", { .ip = V4, .dport = 1123 }, PASS(OTHER_PORT) },
	};
	static const struct {
		void (*tweak)(struct ntpd_config *);
		const struct xdp_case *cases;
		size_t n;
	} sets[] = {
		{ tweak_off4, off4, ARRAY_SIZE(off4) },
		{ tweak_off6_port, off6, ARRAY_SIZE(off6) },
		{ tweak_port6, port6, ARRAY_SIZE(port6) },
	};
	struct ntpd_ref_state st = known_state(refstate_tai_now_ns());
	struct fixture f;
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sets); i++) {
		assert_int_equal(load_tweaked(&f, NTPD_STALE_UNSYNC, sets[i].tweak), 0);
		refstate_publish(f.x.ref, &st);
		for (j = 0; j < sets[i].n; j++)
			check_case(&f, &st, &sets[i].cases[j]);
		unload(&f);
	}
}

/* ---- main -------------------------------------------------------------- */

#define N_FIXED 7

int main(void)
{
	static struct CMUnitTest tests[ARRAY_SIZE(cases) + MATRIX_N + ARRAY_SIZE(leap_cases) +
				       N_FIXED];
	size_t n = 0, i;

	fill_matrix();
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		tests[n++] = (struct CMUnitTest){ cases[i].desc, test_case, publish_fresh, NULL,
						  (void *)&cases[i] };
	for (i = 0; i < MATRIX_N; i++)
		tests[n++] = (struct CMUnitTest){ matrix[i].desc, test_case, publish_fresh, NULL,
						  &matrix[i] };
	for (i = 0; i < ARRAY_SIZE(leap_cases); i++)
		tests[n++] = (struct CMUnitTest){ leap_cases[i].desc, leap_case, publish_fresh, NULL,
						  (void *)&leap_cases[i] };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup(
		stale_state_answered_unsynchronised, publish_fresh);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup(
		never_published_answered_unsynchronised, publish_fresh);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup(
		stale_state_passed_when_configured, publish_fresh);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup(no_torn_reads, publish_fresh);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(dscp_set_in_answers);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(listen_address_binds_xdp);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(families_and_ports);
	if (n != ARRAY_SIZE(tests)) {
		fprintf(stderr, "test_xdp: %zu tests, table has room for %zu\n", n,
			ARRAY_SIZE(tests));
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
