// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The loaded XDP program on crafted frames, through BPF_PROG_TEST_RUN: the
 * verdict, the counter it bumps, and for answers every byte of the frame,
 * checked against an independently built expectation and an independent
 * checksum routine (tests/bpf/frame_builder.h).
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "frame_builder.h"
#include "loader.h"
#include "refstate.h"
#include "xdp_ntpd.skel.h"

#define TAI_OFFSET_NS	(37LL * 1000000000LL)
#define CORRECTION_NS	1500000LL	/* +1.5 ms: the conversion must add it */
#define REFID_BYTES	"\xc0\x00\x02\x01"	/* 192.0.2.1 */

struct fixture {
	struct xdp_ntpd_bpf *skel;
	struct ntpd_ref_buffer *ref;
	int prog_fd;
};

static struct fixture fx;

static struct ntpd_ref_state known_state(__u64 update_tai)
{
	struct ntpd_ref_state st = {
		.update_tai_ns = update_tai,
		.reference_ts = 0xEEAE000012345678ULL,
		.tai_offset_ns = TAI_OFFSET_NS,
		.correction_ns = CORRECTION_NS,
		.root_delay = 0x00001234,
		.root_dispersion = 0x00000567,
		.leap = NTP_LEAP_INSERT,
		.stratum = 2,
		.precision = -20,
	};

	memcpy(&st.refid, REFID_BYTES, 4);
	return st;
}

static int load_sized(struct fixture *f, __u8 stale_action, __u32 rate_table_size);

static int load(struct fixture *f, __u8 stale_action)
{
	return load_sized(f, stale_action, NTPD_RATE_TABLE_DEFAULT);
}

static int load_sized(struct fixture *f, __u8 stale_action, __u32 rate_table_size)
{
	struct ntpd_local_addr a4 = { .addr = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 10 } };
	struct ntpd_local_addr a6 = { 0 };
	__u8 one = 1;

	f->skel = xdp_ntpd_bpf__open();
	if (!f->skel)
		return -1;
	f->skel->rodata->ntpd_cfg.stale_action = stale_action;
	bpf_map__set_max_entries(f->skel->maps.ntpd_rate, rate_table_size);
	if (xdp_ntpd_bpf__load(f->skel))
		return -1;
	f->prog_fd = bpf_program__fd(f->skel->progs.xdp_ntpd);
	f->ref = refstate_mmap(bpf_map__fd(f->skel->maps.ntpd_ref));
	inet_pton(AF_INET6, "2001:db8::10", a6.addr);
	if (!f->ref ||
	    bpf_map_update_elem(bpf_map__fd(f->skel->maps.ntpd_local), &a4, &one, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(f->skel->maps.ntpd_local), &a6, &one, BPF_ANY))
		return -1;
	struct ntpd_ref_state st = known_state(refstate_tai_now_ns());

	refstate_publish(f->ref, &st);
	return 0;
}

static void unload(struct fixture *f)
{
	refstate_munmap(f->ref);
	xdp_ntpd_bpf__destroy(f->skel);
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

static __u64 counter(int idx)
{
	struct ntpd_counters c;

	assert_int_equal(loader_read_counters(bpf_map__fd(fx.skel->maps.ntpd_counters), &c), 0);
	return c.packets[idx];
}

/* Run one frame; returns the verdict, the output in out/out_len. */
static int run(int prog_fd, const uint8_t *in, size_t len, uint8_t *out, __u32 *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = 256, .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &opts), 0);
	*out_len = opts.data_size_out;
	return (int)opts.retval;
}

/* Independent NTP conversion: what the server should say at CLOCK_TAI t. */
static uint64_t served_ntp(uint64_t tai_ns)
{
	unsigned __int128 ns = (unsigned __int128)(tai_ns - TAI_OFFSET_NS + CORRECTION_NS);
	uint64_t sec = (uint64_t)(ns / 1000000000u), frac_ns = (uint64_t)(ns % 1000000000u);

	return ((sec + 2208988800ULL) << 32) | (uint64_t)(((unsigned __int128)frac_ns << 32) / 1000000000u);
}

static uint64_t be64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static uint32_t be32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

/*
 * Send `spec` and expect an answer: build the expected frame by hand and
 * compare every byte; timestamps are checked against the clock around the
 * run, and the UDP checksum (which covers them) with the independent routine.
 */
static void expect_answer(const struct frame_spec *spec, int expect_fresh, __u8 want_stratum,
			  __s8 want_poll)
{
	uint8_t in[256], out[256], want[256];
	struct frame_layout lay;
	size_t len = fb_build(spec, in, &lay);
	int reason = !expect_fresh ? NTPD_CNT_ANSWERED_UNSYNC :
		     spec->family == AF_INET ? NTPD_CNT_ANSWERED_V4 : NTPD_CNT_ANSWERED_V6;
	__u64 before_count = counter(reason), t0, t1;
	__u32 out_len;
	uint8_t *ip = want + lay.l3, *udp = want + lay.l4, *ntp = want + lay.payload;
	size_t alen = spec->family == AF_INET ? 4 : 16, a_off = spec->family == AF_INET ? 12 : 8;
	uint8_t tmp[16];

	t0 = refstate_tai_now_ns();
	assert_int_equal(run(fx.prog_fd, in, len, out, &out_len), XDP_TX);
	t1 = refstate_tai_now_ns();
	assert_int_equal(out_len, len);		/* never larger, never smaller */
	assert_int_equal(counter(reason), before_count + 1);

	/* the expected frame, field by field */
	memcpy(want, in, len);
	memcpy(want, FB_CLIENT_MAC, 6);
	memcpy(want + 6, FB_SERVER_MAC, 6);
	memcpy(tmp, ip + a_off, alen);
	memcpy(ip + a_off, ip + a_off + alen, alen);
	memcpy(ip + a_off + alen, tmp, alen);
	if (spec->family == AF_INET) {
		ip[8] = 64;
		ip[10] = ip[11] = 0;
		fb_put16(ip + 10, (uint16_t)~fb_fold(fb_sum(ip, 20, 0)));
	} else {
		ip[7] = 64;
	}
	fb_put16(udp, spec->dport);
	fb_put16(udp + 2, spec->sport);
	ntp[0] = NTP_LI_VN_MODE(expect_fresh ? NTP_LEAP_INSERT : NTP_LEAP_UNSYNC,
				NTP_VN(spec->li_vn_mode), NTP_MODE_SERVER);
	ntp[1] = want_stratum;
	ntp[2] = (uint8_t)want_poll;
	ntp[3] = (uint8_t)-20;
	memcpy(ntp + 4, "\x00\x00\x12\x34", 4);
	memcpy(ntp + 12, REFID_BYTES, 4);
	memcpy(ntp + 16, "\xEE\xAE\x00\x00\x12\x34\x56\x78", 8);
	memcpy(ntp + 24, &spec->transmit_ts, 8);	/* origin = their transmit */

	/* root dispersion: published 0x567 plus 15 ppm of the state's age,
	 * rounded up; the age lies somewhere in the run */
	uint32_t disp = be32_at(out + lay.payload + 8);

	assert_true(disp > 0x567 || !expect_fresh);
	assert_true(disp <= 0x567 + (uint32_t)ceil((double)(t1 - fx.ref->slot[fx.ref->active].state.update_tai_ns) * 15e-6 * 65536 / 1e9) + 1);
	memcpy(ntp + 8, out + lay.payload + 8, 4);

	/* receive and transmit: inside the run, in order */
	uint64_t rx = be64_at(out + lay.payload + 32), tx = be64_at(out + lay.payload + 40);

	assert_true(rx >= served_ntp(t0) && rx <= served_ntp(t1));
	assert_true(tx >= rx && tx <= served_ntp(t1));
	memcpy(ntp + 32, out + lay.payload + 32, 16);

	/* the checksum covers the timestamps: checked independently, then copied */
	assert_int_equal(fb_udp_sum(spec->family, out + lay.l3, out + lay.l4,
				    8 + (size_t)spec->payload_len), 0xffff);
	memcpy(udp + 6, out + lay.l4 + 6, 2);
	if (memcmp(out, want, len)) {
		size_t i;

		for (i = 0; i < len; i++)
			if (out[i] != want[i])
				print_message("# byte %zu: got %02x want %02x\n", i, out[i], want[i]);
	}
	assert_memory_equal(out, want, len);
}

static void expect_verdict(const struct frame_spec *spec, int verdict, int reason)
{
	uint8_t in[256], out[256];
	struct frame_layout lay;
	size_t len = fb_build(spec, in, &lay);
	__u64 before = counter(reason);
	__u32 out_len;

	assert_int_equal(run(fx.prog_fd, in, len, out, &out_len), verdict);
	assert_int_equal(counter(reason), before + 1);
	if (verdict == XDP_PASS)	/* passed frames go up untouched */
		assert_memory_equal(out, in, len);
}

static void answers_ipv4(void **state)
{
	struct frame_spec s = fb_default(AF_INET);

	(void)state;
	expect_answer(&s, 1, 2, 6);
}

static void answers_ipv6(void **state)
{
	struct frame_spec s = fb_default(AF_INET6);

	(void)state;
	expect_answer(&s, 1, 2, 6);
}

static void answers_vlan_and_qinq(void **state)
{
	int fam;

	(void)state;
	for (fam = 0; fam < 2; fam++) {
		struct frame_spec s = fb_default(fam ? AF_INET6 : AF_INET);

		s.n_tags = 1;
		s.tpid[0] = 0x8100;
		s.vid[0] = 100;
		expect_answer(&s, 1, 2, 6);
		s.n_tags = 2;
		s.tpid[0] = 0x88a8;
		s.vid[0] = 200;
		s.tpid[1] = 0x8100;
		s.vid[1] = 300;
		expect_answer(&s, 1, 2, 6);
		s.n_tags = 3;	/* three tags: more than we parse */
		s.tpid[2] = 0x8100;
		s.vid[2] = 400;
		expect_verdict(&s, XDP_PASS, NTPD_CNT_PASS_VLAN_DEPTH);
	}
}

static void ipv4_zero_checksum_answered_with_valid_one(void **state)
{
	struct frame_spec s = fb_default(AF_INET);

	(void)state;
	s.csum = CSUM_ZERO;
	expect_answer(&s, 1, 2, 6);
}

static void poll_is_clamped(void **state)
{
	struct frame_spec s = fb_default(AF_INET);

	(void)state;
	s.poll = 0;
	expect_answer(&s, 1, 2, NTP_POLL_MIN_DEFAULT);
	s.poll = -3;
	expect_answer(&s, 1, 2, NTP_POLL_MIN_DEFAULT);
	s.poll = 20;
	expect_answer(&s, 1, 2, NTP_POLL_MAX_DEFAULT);
}

static void every_version_and_mode(void **state)
{
	int vn, mode;

	(void)state;
	for (vn = 0; vn < 8; vn++) {
		for (mode = 0; mode < 8; mode++) {
			struct frame_spec s = fb_default(AF_INET);

			s.li_vn_mode = NTP_LI_VN_MODE(0, vn, mode);
			if (vn >= 1 && vn <= 4 && (mode == 3 || (vn == 1 && mode == 0)))
				expect_answer(&s, 1, 2, 6);
			else if (mode == 4)
				expect_verdict(&s, XDP_DROP, NTPD_CNT_DROP_MODE_SERVER);
			else if (mode >= 6)
				expect_verdict(&s, XDP_DROP, NTPD_CNT_DROP_MODE_CONTROL);
			else if (vn < 1 || vn > 4)
				expect_verdict(&s, XDP_PASS, NTPD_CNT_PASS_VERSION);
			else
				expect_verdict(&s, XDP_PASS, NTPD_CNT_PASS_MODE);
		}
	}
}

struct pass_case {
	const char *what;
	void (*mutate)(struct frame_spec *s);
	int family;
	int verdict;
	int reason;
};

static void m_len47(struct frame_spec *s) { s->payload_len = 47; }
static void m_len49(struct frame_spec *s) { s->payload_len = 49; }
static void m_len68(struct frame_spec *s) { s->payload_len = 68; }	/* 48 + MAC */
static void m_len96(struct frame_spec *s) { s->payload_len = 96; }	/* extension field */
static void m_options(struct frame_spec *s) { s->ipv4_options = 4; }
static void m_mf(struct frame_spec *s) { s->frag = 0x2000; }
static void m_offset(struct frame_spec *s) { s->frag = 0x0010; }
static void m_tcp(struct frame_spec *s) { s->ip_proto = 6; }
static void m_icmp(struct frame_spec *s) { s->ip_proto = 1; }
static void m_port(struct frame_spec *s) { s->dport = 124; }
static void m_hbh(struct frame_spec *s) { s->ipv6_hop_by_hop = true; }
static void m_not_local4(struct frame_spec *s) { s->dst = "192.0.2.11"; }
static void m_not_local6(struct frame_spec *s) { s->dst = "2001:db8::11"; }
static void m_src_zero(struct frame_spec *s) { s->src = "0.0.0.0"; }
static void m_src_loop(struct frame_spec *s) { s->src = "127.0.0.1"; }
static void m_src_mcast(struct frame_spec *s) { s->src = "224.0.0.1"; }
static void m_src_bcast(struct frame_spec *s) { s->src = "255.255.255.255"; }
static void m_src6_mcast(struct frame_spec *s) { s->src = "ff02::1"; }
static void m_src6_unspec(struct frame_spec *s) { s->src = "::"; }
static void m_src6_loop(struct frame_spec *s) { s->src = "::1"; }
static void m_src6_mapped(struct frame_spec *s) { s->src = "::ffff:1.2.3.4"; }
static void m_sport0(struct frame_spec *s) { s->sport = 0; }
static void m_badsum(struct frame_spec *s) { s->csum = CSUM_BAD; }
static void m_zerosum6(struct frame_spec *s) { s->csum = CSUM_ZERO; }

static const struct pass_case pass_cases[] = {
	{ "47-byte payload", m_len47, AF_INET, XDP_PASS, NTPD_CNT_PASS_LENGTH },
	{ "49-byte payload", m_len49, AF_INET, XDP_PASS, NTPD_CNT_PASS_LENGTH },
	{ "header + MAC", m_len68, AF_INET, XDP_PASS, NTPD_CNT_PASS_LENGTH },
	{ "extension field", m_len96, AF_INET6, XDP_PASS, NTPD_CNT_PASS_LENGTH },
	{ "IPv4 options", m_options, AF_INET, XDP_PASS, NTPD_CNT_PASS_IP_OPTIONS },
	{ "first fragment", m_mf, AF_INET, XDP_PASS, NTPD_CNT_PASS_FRAGMENT },
	{ "later fragment", m_offset, AF_INET, XDP_PASS, NTPD_CNT_PASS_FRAGMENT },
	{ "TCP", m_tcp, AF_INET, XDP_PASS, NTPD_CNT_PASS_NOT_UDP },
	{ "ICMP", m_icmp, AF_INET, XDP_PASS, NTPD_CNT_PASS_NOT_UDP },
	{ "TCP over IPv6", m_tcp, AF_INET6, XDP_PASS, NTPD_CNT_PASS_NOT_UDP },
	{ "other port", m_port, AF_INET, XDP_PASS, NTPD_CNT_PASS_OTHER_PORT },
	{ "other port, IPv6", m_port, AF_INET6, XDP_PASS, NTPD_CNT_PASS_OTHER_PORT },
	{ "hop-by-hop header", m_hbh, AF_INET6, XDP_PASS, NTPD_CNT_PASS_IPV6_EXTHDR },
	{ "not our address", m_not_local4, AF_INET, XDP_PASS, NTPD_CNT_PASS_NOT_LOCAL },
	{ "not our address, IPv6", m_not_local6, AF_INET6, XDP_PASS, NTPD_CNT_PASS_NOT_LOCAL },
	{ "source 0.0.0.0", m_src_zero, AF_INET, XDP_DROP, NTPD_CNT_DROP_BAD_SOURCE },
	{ "source 127.0.0.1 off the wire", m_src_loop, AF_INET, XDP_DROP, NTPD_CNT_DROP_BAD_SOURCE },
	{ "source 224.0.0.1", m_src_mcast, AF_INET, XDP_DROP, NTPD_CNT_DROP_BAD_SOURCE },
	{ "source 255.255.255.255", m_src_bcast, AF_INET, XDP_DROP, NTPD_CNT_DROP_BAD_SOURCE },
	{ "source ff02::1", m_src6_mcast, AF_INET6, XDP_DROP, NTPD_CNT_DROP_BAD_SOURCE },
	{ "source ::", m_src6_unspec, AF_INET6, XDP_DROP, NTPD_CNT_DROP_BAD_SOURCE },
	{ "source ::1 off the wire", m_src6_loop, AF_INET6, XDP_DROP, NTPD_CNT_DROP_BAD_SOURCE },
	{ "source ::ffff:1.2.3.4", m_src6_mapped, AF_INET6, XDP_DROP, NTPD_CNT_DROP_BAD_SOURCE },
	{ "source port 0", m_sport0, AF_INET, XDP_DROP, NTPD_CNT_DROP_BAD_SOURCE },
	{ "bad UDP checksum", m_badsum, AF_INET, XDP_PASS, NTPD_CNT_PASS_BAD_CSUM },
	{ "bad UDP checksum, IPv6", m_badsum, AF_INET6, XDP_PASS, NTPD_CNT_PASS_BAD_CSUM },
	{ "IPv6 without checksum", m_zerosum6, AF_INET6, XDP_PASS, NTPD_CNT_PASS_BAD_CSUM },
};

static void passed_and_dropped(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pass_cases) / sizeof(pass_cases[0]); i++) {
		struct frame_spec s = fb_default(pass_cases[i].family);

		print_message("# %s\n", pass_cases[i].what);
		pass_cases[i].mutate(&s);
		expect_verdict(&s, pass_cases[i].verdict, pass_cases[i].reason);
	}
}

static void truncated_and_foreign_frames(void **state)
{
	struct frame_spec s = fb_default(AF_INET);
	uint8_t in[256], out[256];
	struct frame_layout lay;
	size_t len = fb_build(&s, in, &lay), cut;
	__u32 out_len;

	(void)state;
	/* every prefix of a valid request: passed, never answered, never read past */
	for (cut = 0; cut < len; cut++) {
		__u64 before = counter(NTPD_CNT_PASS_TRUNCATED) + counter(NTPD_CNT_PASS_LENGTH) +
			       counter(NTPD_CNT_PASS_NOT_IP);

		if (cut < 14)
			continue;	/* the kernel refuses test frames shorter than Ethernet */
		assert_int_equal(run(fx.prog_fd, in, cut, out, &out_len), XDP_PASS);
		assert_int_equal(counter(NTPD_CNT_PASS_TRUNCATED) + counter(NTPD_CNT_PASS_LENGTH) +
				 counter(NTPD_CNT_PASS_NOT_IP), before + 1);
	}
	/* not IP at all: ARP */
	__u64 before = counter(NTPD_CNT_PASS_NOT_IP);

	in[12] = 0x08;
	in[13] = 0x06;
	assert_int_equal(run(fx.prog_fd, in, len, out, &out_len), XDP_PASS);
	assert_int_equal(counter(NTPD_CNT_PASS_NOT_IP), before + 1);
}

static void stale_state_is_unsynchronised(void **state)
{
	struct frame_spec s = fb_default(AF_INET);
	struct ntpd_ref_state st;

	(void)state;
	st = known_state(refstate_tai_now_ns() - 20ULL * NSEC_PER_SEC_U64);
	refstate_publish(fx.ref, &st);
	expect_answer(&s, 0, 0, 6);
	st = known_state(0);	/* never published */
	refstate_publish(fx.ref, &st);
	expect_answer(&s, 0, 0, 6);
	st = known_state(refstate_tai_now_ns());
	refstate_publish(fx.ref, &st);
	expect_answer(&s, 1, 2, 6);
}

static void stale_state_passed_when_configured(void **state)
{
	struct frame_spec s = fb_default(AF_INET);
	struct ntpd_ref_state st;
	struct fixture pass;
	uint8_t in[256], out[256];
	struct frame_layout lay;
	size_t len = fb_build(&s, in, &lay);
	struct ntpd_counters c;
	__u32 out_len;

	(void)state;
	assert_int_equal(load(&pass, NTPD_STALE_PASS), 0);
	st = known_state(refstate_tai_now_ns() - 20ULL * NSEC_PER_SEC_U64);
	refstate_publish(pass.ref, &st);
	assert_int_equal(run(pass.prog_fd, in, len, out, &out_len), XDP_PASS);
	assert_memory_equal(out, in, len);
	assert_int_equal(loader_read_counters(bpf_map__fd(pass.skel->maps.ntpd_counters), &c), 0);
	assert_int_equal(c.packets[NTPD_CNT_PASS_STALE], 1);
	unload(&pass);
}

/* A writer flipping between internally consistent states as fast as it can. */
static volatile int writer_done;

static struct ntpd_ref_state consistent_state(__u32 k)
{
	struct ntpd_ref_state st = known_state(refstate_tai_now_ns());

	st.stratum = (__u8)(1 + k % 15);
	st.refid = htonl(k);
	st.root_delay = k;
	st.reference_ts = k;
	return st;
}

static void *writer(void *arg)
{
	struct ntpd_ref_buffer *ref = arg;
	__u32 k;

	for (k = 1; k <= 2000000; k++) {
		struct ntpd_ref_state st = consistent_state(k);

		refstate_publish(ref, &st);
	}
	writer_done = 1;
	return NULL;
}

static void no_torn_reads(void **state)
{
	struct frame_spec s = fb_default(AF_INET);
	uint8_t in[256], out[256];
	struct frame_layout lay;
	size_t len = fb_build(&s, in, &lay);
	unsigned long answered = 0, busy = 0, runs = 0;
	pthread_t t;
	__u32 out_len;

	(void)state;
	struct ntpd_ref_state first = consistent_state(0);

	refstate_publish(fx.ref, &first);
	writer_done = 0;
	assert_int_equal(pthread_create(&t, NULL, writer, fx.ref), 0);
	while (!writer_done && runs < 400000) {
		int v = run(fx.prog_fd, in, len, out, &out_len);

		runs++;
		if (v != XDP_TX) {
			busy++;
			continue;
		}
		answered++;
		const uint8_t *ntp = out + lay.payload;
		__u32 k = be32_at(ntp + 4);	/* root delay carries k */

		/* every field must come from the same publication */
		assert_int_equal(be32_at(ntp + 12), k);
		assert_int_equal(be64_at(ntp + 16), (uint64_t)k);
		assert_int_equal(ntp[1], 1 + k % 15);
	}
	pthread_join(t, NULL);
	print_message("# %lu runs while publishing: %lu answered consistently, %lu passed as busy\n",
		      runs, answered, busy);
	assert_true(answered > 0);
	struct ntpd_ref_state st = known_state(refstate_tai_now_ns());

	refstate_publish(fx.ref, &st);
}

/* ---- rate limiting and access lists, each on a program of its own ---- */

static int verdict_of(const struct fixture *f, const struct frame_spec *s, uint8_t *out)
{
	uint8_t in[256];
	struct frame_layout lay;
	size_t len = fb_build(s, in, &lay);
	__u32 out_len;

	return run(f->prog_fd, in, len, out, &out_len);
}

static __u64 fx_counter(const struct fixture *f, int idx)
{
	struct ntpd_counters c;

	assert_int_equal(loader_read_counters(bpf_map__fd(f->skel->maps.ntpd_counters), &c), 0);
	return c.packets[idx];
}

static void set_rate(const struct fixture *f, const struct ntpd_rate_config *cfg)
{
	__u32 zero = 0;

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(f->skel->maps.ntpd_rate_cfg), &zero, cfg,
					     BPF_ANY), 0);
}

/* 1 request/s, burst 4, leak 1 in 4, clients named by /24: a tight loop of
 * requests is far faster than 1/s, so the bucket only drains. */
static const struct ntpd_rate_config tight = {
	.enabled = 1, .cost_ns = 1000000000ULL, .burst_ns = 4000000000ULL,
	.leak_shift = 2, .prefix4 = 24, .prefix6 = 64,
};

static void rate_limit_burst_then_leak(void **state)
{
	struct frame_spec s = fb_default(AF_INET);
	struct fixture f;
	uint8_t out[256];
	int i;

	(void)state;
	assert_int_equal(load(&f, NTPD_STALE_UNSYNC), 0);
	set_rate(&f, &tight);
	for (i = 1; i <= 4; i++)		/* the burst */
		assert_int_equal(verdict_of(&f, &s, out), XDP_TX);
	for (i = 1; i <= 8; i++)		/* over: limited 1..8, leak at 4 and 8 */
		assert_int_equal(verdict_of(&f, &s, out), i % 4 == 0 ? XDP_TX : XDP_DROP);
	assert_int_equal(fx_counter(&f, NTPD_CNT_ANSWERED_V4), 4);
	assert_int_equal(fx_counter(&f, NTPD_CNT_RATE_LEAKED), 2);
	assert_int_equal(fx_counter(&f, NTPD_CNT_RATE_DROPPED), 6);
	/* same /24: the same client */
	s.src = "198.51.100.99";
	assert_int_equal(verdict_of(&f, &s, out), XDP_DROP);
	/* another /24: a bucket of its own */
	s.src = "198.51.101.7";
	assert_int_equal(verdict_of(&f, &s, out), XDP_TX);
	/* IPv6 clients are named by /64 */
	s = fb_default(AF_INET6);
	for (i = 1; i <= 4; i++)
		assert_int_equal(verdict_of(&f, &s, out), XDP_TX);
	s.src = "2001:db8:1::ffff";	/* same /64 */
	assert_int_equal(verdict_of(&f, &s, out), XDP_DROP);
	unload(&f);
}

static void rate_limit_kod(void **state)
{
	struct ntpd_rate_config cfg = tight;
	struct frame_spec s = fb_default(AF_INET);
	struct frame_layout lay;
	uint8_t in[256], out[256];
	struct fixture f;
	size_t len;
	int i;

	(void)state;
	assert_int_equal(load(&f, NTPD_STALE_UNSYNC), 0);
	cfg.kod = 1;
	set_rate(&f, &cfg);
	len = fb_build(&s, in, &lay);
	for (i = 1; i <= 4 + 3; i++)
		verdict_of(&f, &s, out);
	/* the 4th request over the limit leaks, as a kiss-o'-death */
	__u32 out_len;

	assert_int_equal(run(f.prog_fd, in, len, out, &out_len), XDP_TX);
	assert_int_equal(out_len, len);
	assert_int_equal(fx_counter(&f, NTPD_CNT_RATE_KOD), 1);
	const uint8_t *ntp = out + lay.payload;

	assert_int_equal(ntp[0], NTP_LI_VN_MODE(NTP_LEAP_UNSYNC, 4, NTP_MODE_SERVER));
	assert_int_equal(ntp[1], 0);				/* stratum 0: a kiss */
	assert_memory_equal(ntp + 12, "RATE", 4);
	assert_memory_equal(ntp + 24, &s.transmit_ts, 8);	/* origin: accepted by the client */
	assert_int_equal(fb_udp_sum(AF_INET, out + lay.l3, out + lay.l4, 56), 0xffff);
	unload(&f);
}

static void access_lists(void **state)
{
	struct ntpd_rate_config cfg = { .acl4_enabled = 1, .acl6_enabled = 1 };
	struct ntpd_acl4_key net = { .prefixlen = 24, .addr = { 198, 51, 100, 0 } };
	struct ntpd_acl4_key host = { .prefixlen = 32, .addr = { 198, 51, 100, 7 } };
	struct ntpd_acl6_key net6 = { .prefixlen = 48 };
	__u8 deny = NTPD_ACL_DENY, allow = NTPD_ACL_ALLOW;
	struct frame_spec s = fb_default(AF_INET);
	struct frame_layout lay;
	uint8_t out[256];
	struct fixture f;

	(void)state;
	assert_int_equal(load(&f, NTPD_STALE_UNSYNC), 0);
	inet_pton(AF_INET6, "2001:db8:1::", net6.addr);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(f.skel->maps.ntpd_acl4), &net, &deny, 0), 0);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(f.skel->maps.ntpd_acl4), &host, &allow, 0), 0);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(f.skel->maps.ntpd_acl6), &net6, &deny, 0), 0);
	set_rate(&f, &cfg);

	assert_int_equal(verdict_of(&f, &s, out), XDP_TX);	/* /32 allow beats /24 deny */
	s.src = "198.51.100.8";
	assert_int_equal(verdict_of(&f, &s, out), XDP_DROP);
	s.src = "203.0.113.1";					/* no entry: allowed */
	assert_int_equal(verdict_of(&f, &s, out), XDP_TX);
	assert_int_equal(fx_counter(&f, NTPD_CNT_DENIED_DROPPED), 1);

	s = fb_default(AF_INET6);				/* 2001:db8:1::7 in the /48 */
	assert_int_equal(verdict_of(&f, &s, out), XDP_DROP);
	assert_int_equal(fx_counter(&f, NTPD_CNT_DENIED_DROPPED), 2);

	cfg.kod_deny = 1;
	set_rate(&f, &cfg);
	fb_build(&s, out, &lay);
	assert_int_equal(verdict_of(&f, &s, out), XDP_TX);
	assert_memory_equal(out + lay.payload + 12, "DENY", 4);
	assert_int_equal(out[lay.payload + 1], 0);
	assert_int_equal(fx_counter(&f, NTPD_CNT_DENIED_KOD), 1);
	unload(&f);
}

/*
 * A flood from many spoofed one-shot sources churns the LRU table: does it
 * hand an exhausted heavy client a fresh bucket?  No: the kernel's LRU gives
 * entries that were looked up again a second chance, so the one-shot sources
 * evict each other and the heavy client keeps its (empty) bucket through a
 * churn of 16 times the table size.  It gets only its leaks.
 */
static void lru_churn_does_not_refill_heavy_client(void **state)
{
	struct frame_spec heavy = fb_default(AF_INET), other = fb_default(AF_INET);
	char addr[32];
	uint8_t out[256];
	struct fixture f;
	int i, answered = 0;

	(void)state;
	assert_int_equal(load_sized(&f, NTPD_STALE_UNSYNC, 64), 0);
	set_rate(&f, &tight);
	for (i = 0; i < 4; i++)
		assert_int_equal(verdict_of(&f, &heavy, out), XDP_TX);
	assert_int_equal(verdict_of(&f, &heavy, out), XDP_DROP);	/* limited: 1 */
	assert_int_equal(verdict_of(&f, &heavy, out), XDP_DROP);	/* limited: 2 */

	for (i = 0; i < 16 * 64; i++) {		/* each one new, each answered once */
		snprintf(addr, sizeof(addr), "203.%d.%d.1", i / 256, i % 256);
		other.src = addr;
		assert_int_equal(verdict_of(&f, &other, out), XDP_TX);
	}
	for (i = 0; i < 8; i++)			/* limited 3..10: leaks at 4 and 8 */
		answered += verdict_of(&f, &heavy, out) == XDP_TX;
	assert_int_equal(answered, 2);
	unload(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answers_ipv4),
		cmocka_unit_test(answers_ipv6),
		cmocka_unit_test(answers_vlan_and_qinq),
		cmocka_unit_test(ipv4_zero_checksum_answered_with_valid_one),
		cmocka_unit_test(poll_is_clamped),
		cmocka_unit_test(every_version_and_mode),
		cmocka_unit_test(passed_and_dropped),
		cmocka_unit_test(truncated_and_foreign_frames),
		cmocka_unit_test(stale_state_is_unsynchronised),
		cmocka_unit_test(stale_state_passed_when_configured),
		cmocka_unit_test(no_torn_reads),
		cmocka_unit_test(rate_limit_burst_then_leak),
		cmocka_unit_test(rate_limit_kod),
		cmocka_unit_test(access_lists),
		cmocka_unit_test(lru_churn_does_not_refill_heavy_client),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
