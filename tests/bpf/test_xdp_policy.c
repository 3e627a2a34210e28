// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Rate limiting and access lists of the loaded XDP program, through
 * BPF_PROG_TEST_RUN: bursts, leaks, kiss-o'-death, client prefixes, the
 * most specific list entry, and what LRU churn does to an abuser's bucket.
 * Each test loads a program of its own, so limits never leak between tests.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fixture.h"
#include "ntp_proto.h"
#include "refstate.h"

#define XMT_TS 0xdeadbeef12345678ULL

/* A client request: source `src` (IPv4 or IPv6 text) to our 192.0.2.10 or
 * 2001:db8::10, v4 client mode, valid checksums. */
struct request {
	const char *src;
	int family;
};

static struct request client4(const char *src) { return (struct request){ src, AF_INET }; }
static struct request client6(const char *src) { return (struct request){ src, AF_INET6 }; }

static int build(const struct request *r, uint8_t *buf, struct frame_layout *lay)
{
	static uint8_t payload[NTP_PACKET_LEN];
	struct frame_spec s = {
		.dst_mac = { 2, 0, 0, 0, 0, 1 }, .src_mac = { 2, 0, 0, 0, 0, 2 },
		.family = r->family, .ttl = 64, .l4_proto = IPPROTO_UDP,
		.sport = 40123, .dport = 123, .csum = FRAME_CSUM_VALID,
		.payload = payload, .payload_len = sizeof(payload),
	};

	frame_ntp_request(payload, sizeof(payload), NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT), 6,
			  XMT_TS);
	inet_pton(r->family, r->src, s.saddr);
	inet_pton(r->family, r->family == AF_INET ? FIXTURE_SERVER4 : FIXTURE_SERVER6, s.daddr);
	return frame_build(&s, buf, FRAME_MAX, lay);
}

static int load_full(struct xdp_fixture *f, __u32 rate_table_size, __u8 stale_action)
{
	struct ntpd_ref_state st = { .stratum = 2, .precision = -20 };
	int err = fixture_open(f);

	if (err)
		return err;
	bpf_map__set_max_entries(f->skel->maps.ntpd_rate, rate_table_size);
	f->skel->rodata->ntpd_cfg.stale_action = stale_action;
	return fixture_load_serving(f, &st);
}

static int load_sized(struct xdp_fixture *f, __u32 rate_table_size)
{
	return load_full(f, rate_table_size, NTPD_STALE_UNSYNC);
}

static int load(struct xdp_fixture *f)
{
	return load_sized(f, NTPD_RATE_TABLE_DEFAULT);
}

/* One run of `in`: the verdict (asserting the run itself worked). */
static int run(const struct xdp_fixture *f, const uint8_t *in, size_t len, uint8_t *out,
	       __u32 *out_len)
{
	struct fixture_run r;

	assert_int_equal(fixture_run(f, in, len, &r), 0);
	memcpy(out, r.out, r.out_len);
	*out_len = (__u32)r.out_len;
	return r.verdict;
}

static int verdict_of(const struct xdp_fixture *f, const struct request *r, uint8_t *out)
{
	uint8_t in[FRAME_MAX];
	struct frame_layout lay;
	int len = build(r, in, &lay);
	__u32 out_len;

	assert_true(len > 0);
	return run(f, in, (size_t)len, out, &out_len);
}

static __u64 fx_counter(const struct xdp_fixture *f, int idx)
{
	struct ntpd_counters c;

	assert_int_equal(fixture_read_counters(f, &c), 0);
	return c.packets[idx];
}

static void set_rate(const struct xdp_fixture *f, const struct ntpd_rate_config *cfg)
{
	assert_int_equal(fixture_set_rate(f, cfg), 0);
}

/* 1 request/s, burst 4, leak 1 in 4, clients named by /24: a tight loop of
 * requests is far faster than 1/s, so the bucket only drains. */
static const struct ntpd_rate_config tight = {
	.enabled = 1, .cost_ns = 1000000000ULL, .burst_ns = 4000000000ULL,
	.leak_shift = 2, .prefix4 = 24, .prefix6 = 64,
};

static void rate_limit_burst_then_leak(void **state)
{
	struct request s = client4("198.51.100.7");
	struct xdp_fixture f;
	uint8_t out[FRAME_MAX];
	int i;

	(void)state;
	assert_int_equal(load(&f), 0);
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
	s = client6("2001:db8:1::7");
	for (i = 1; i <= 4; i++)
		assert_int_equal(verdict_of(&f, &s, out), XDP_TX);
	s.src = "2001:db8:1::ffff";	/* same /64 */
	assert_int_equal(verdict_of(&f, &s, out), XDP_DROP);
	fixture_close(&f);
}

static void rate_limit_kod(void **state)
{
	struct ntpd_rate_config cfg = tight;
	struct request s = client4("198.51.100.7");
	struct frame_layout lay;
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	struct xdp_fixture f;
	size_t len;
	int i;

	(void)state;
	assert_int_equal(load(&f), 0);
	cfg.kod = 1;
	set_rate(&f, &cfg);
	len = (size_t)build(&s, in, &lay);
	for (i = 1; i <= 4 + 3; i++)
		verdict_of(&f, &s, out);
	/* the 4th request over the limit leaks, as a kiss-o'-death */
	__u32 out_len;

	assert_int_equal(run(&f, in, len, out, &out_len), XDP_TX);
	assert_int_equal(out_len, len);
	assert_int_equal(fx_counter(&f, NTPD_CNT_RATE_KOD), 1);
	const uint8_t *ntp = out + lay.payload;

	assert_int_equal(ntp[0], NTP_LI_VN_MODE(NTP_LEAP_UNSYNC, 4, NTP_MODE_SERVER));
	assert_int_equal(ntp[1], 0);				/* stratum 0: a kiss */
	assert_memory_equal(ntp + 12, "RATE", 4);
	assert_int_equal(be64toh(*(const uint64_t *)(ntp + 24)), XMT_TS);	/* origin echoed */
	assert_int_equal(frame_verify_csums(out, out_len), 0);
	fixture_close(&f);
}

static void access_lists(void **state)
{
	struct ntpd_rate_config cfg = { .acl4_enabled = 1, .acl6_enabled = 1 };
	struct ntpd_acl4_key net = { .prefixlen = 24, .addr = { 198, 51, 100, 0 } };
	struct ntpd_acl4_key host = { .prefixlen = 32, .addr = { 198, 51, 100, 7 } };
	struct ntpd_acl6_key net6 = { .prefixlen = 48 };
	__u8 deny = NTPD_ACL_DENY, allow = NTPD_ACL_ALLOW;
	struct request s = client4("198.51.100.7");
	struct frame_layout lay;
	uint8_t out[FRAME_MAX];
	struct xdp_fixture f;

	(void)state;
	assert_int_equal(load(&f), 0);
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

	s = client6("2001:db8:1::7");				/* 2001:db8:1::7 in the /48 */
	assert_int_equal(verdict_of(&f, &s, out), XDP_DROP);
	assert_int_equal(fx_counter(&f, NTPD_CNT_DENIED_DROPPED), 2);

	cfg.kod_deny = 1;
	set_rate(&f, &cfg);
	build(&s, out, &lay);
	assert_int_equal(verdict_of(&f, &s, out), XDP_TX);
	assert_memory_equal(out + lay.payload + 12, "DENY", 4);
	assert_int_equal(out[lay.payload + 1], 0);
	assert_int_equal(fx_counter(&f, NTPD_CNT_DENIED_KOD), 1);
	fixture_close(&f);
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
	struct request heavy = client4("198.51.100.7"), other = client4("");
	char addr[32];
	uint8_t out[FRAME_MAX];
	struct xdp_fixture f;
	int i, answered = 0;

	(void)state;
	assert_int_equal(load_sized(&f, 64), 0);
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
	fixture_close(&f);
}

/* The client's bucket as the table holds it: 1, or 0 when it has none. */
static int bucket_of(const struct xdp_fixture *f, const char *src, int prefix,
		     struct ntpd_rate_entry *e)
{
	struct ntpd_rate_key key;
	__be32 a;

	inet_pton(AF_INET, src, &a);
	ntp_rate_key_v4(&key, a, (__u8)prefix);
	return bpf_map_lookup_elem(bpf_map__fd(f->skel->maps.ntpd_rate), &key, e) == 0;
}

/*
 * Police once: a request XDP passes up (stale with --stale-action pass, or
 * the state mid-publication) is the socket server's to police; XDP must not
 * charge the bucket as well, or the client's burst is halved.  The bucket's
 * theoretical arrival time is read from the map around each run: it moves
 * for an answer, and not at all for a pass.
 */
static void passed_requests_not_charged(void **state)
{
	struct request s = client4("198.51.100.7");
	struct ntpd_ref_state st = { .stratum = 2, .precision = -20 };
	struct ntpd_rate_entry before, after;
	uint8_t out[FRAME_MAX];
	struct xdp_fixture f;
	__u32 seq;

	(void)state;
	assert_int_equal(load_full(&f, NTPD_RATE_TABLE_DEFAULT, NTPD_STALE_PASS), 0);
	set_rate(&f, &tight);

	/* stale, first request: passed, and no bucket made for it */
	st.update_tai_ns = refstate_tai_now_ns() - 20 * NSEC_PER_SEC_U64;
	refstate_publish(f.ref, &st);
	assert_int_equal(verdict_of(&f, &s, out), XDP_PASS);
	assert_int_equal(fx_counter(&f, NTPD_CNT_PASS_STALE), 1);
	assert_int_equal(bucket_of(&f, s.src, 24, &after), 0);

	/* fresh: answered, the bucket made and charged */
	st.update_tai_ns = refstate_tai_now_ns();
	refstate_publish(f.ref, &st);
	assert_int_equal(verdict_of(&f, &s, out), XDP_TX);
	assert_int_equal(bucket_of(&f, s.src, 24, &before), 1);

	/* stale again: passed, tat untouched */
	st.update_tai_ns = refstate_tai_now_ns() - 20 * NSEC_PER_SEC_U64;
	refstate_publish(f.ref, &st);
	assert_int_equal(verdict_of(&f, &s, out), XDP_PASS);
	assert_int_equal(bucket_of(&f, s.src, 24, &after), 1);
	assert_int_equal(after.tat_ns, before.tat_ns);
	assert_int_equal(after.limited, before.limited);

	/* fresh, but the writer is mid-publication (odd seq): state_busy,
	 * passed, tat untouched */
	st.update_tai_ns = refstate_tai_now_ns();
	refstate_publish(f.ref, &st);
	seq = f.ref->slot[f.ref->active & 1].seq;
	__atomic_store_n(&f.ref->slot[f.ref->active & 1].seq, seq | 1, __ATOMIC_RELEASE);
	assert_int_equal(verdict_of(&f, &s, out), XDP_PASS);
	assert_int_equal(fx_counter(&f, NTPD_CNT_PASS_STATE_BUSY), 1);
	assert_int_equal(bucket_of(&f, s.src, 24, &after), 1);
	assert_int_equal(after.tat_ns, before.tat_ns);
	__atomic_store_n(&f.ref->slot[f.ref->active & 1].seq, seq, __ATOMIC_RELEASE);

	/* the whole burst of 4 is still there for what XDP answers: 1 spent */
	assert_int_equal(verdict_of(&f, &s, out), XDP_TX);
	assert_int_equal(verdict_of(&f, &s, out), XDP_TX);
	assert_int_equal(verdict_of(&f, &s, out), XDP_TX);
	assert_int_equal(verdict_of(&f, &s, out), XDP_DROP);
	fixture_close(&f);
}

/*
 * Kiss-o'-death DENY is rate-limited like any answer: a denied client
 * (kod-deny) gets a DENY while its bucket conforms, then only the leak's
 * 1 in 4; the rest are dropped and counted as denied, kod_rate_limited.
 */
static void kod_deny_rate_limited(void **state)
{
	struct ntpd_rate_config cfg = tight;
	struct ntpd_acl4_key net = { .prefixlen = 24, .addr = { 198, 51, 100, 0 } };
	__u8 deny = NTPD_ACL_DENY;
	struct request s = client4("198.51.100.7"), ok = client4("203.0.113.9");
	struct frame_layout lay;
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	__u32 out_len;
	struct xdp_fixture f;
	size_t len;
	int i, kods = 0, allowed = 0;

	(void)state;
	assert_int_equal(load(&f), 0);
	cfg.acl4_enabled = 1;
	cfg.kod_deny = 1;
	set_rate(&f, &cfg);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(f.skel->maps.ntpd_acl4), &net, &deny, 0), 0);
	len = (size_t)build(&s, in, &lay);
	for (i = 1; i <= 4; i++) {		/* the burst: a DENY each */
		assert_int_equal(run(&f, in, len, out, &out_len), XDP_TX);
		assert_memory_equal(out + lay.payload + 12, "DENY", 4);
	}
	for (i = 1; i <= 8; i++) {		/* over: limited 1..8, leak at 4 and 8 */
		int v = run(&f, in, len, out, &out_len);

		assert_int_equal(v, i % 4 == 0 ? XDP_TX : XDP_DROP);
		if (v == XDP_TX)
			assert_memory_equal(out + lay.payload + 12, "DENY", 4);
	}
	assert_int_equal(fx_counter(&f, NTPD_CNT_DENIED_KOD), 6);
	assert_int_equal(fx_counter(&f, NTPD_CNT_DENIED_LIMITED), 6);
	/* the same flood from an allowed client draws exactly as many answers */
	for (i = 0; i < 12; i++) {
		int v = verdict_of(&f, &ok, out);

		allowed += v == XDP_TX;
	}
	kods = (int)fx_counter(&f, NTPD_CNT_DENIED_KOD);
	assert_int_equal(allowed, kods);
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rate_limit_burst_then_leak),
		cmocka_unit_test(rate_limit_kod),
		cmocka_unit_test(access_lists),
		cmocka_unit_test(lru_churn_does_not_refill_heavy_client),
		cmocka_unit_test(passed_requests_not_charged),
		cmocka_unit_test(kod_deny_rate_limited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
