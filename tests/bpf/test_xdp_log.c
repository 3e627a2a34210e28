// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The request log and the processing-time histogram of the loaded XDP
 * program, through BPF_PROG_TEST_RUN: with logging on, each request leaves
 * one ring-buffer event with the client's address, version, mode and
 * outcome; with it off (the default) none.  The processing-time histogram
 * is not XDP's (one stamp per answer); the kernel's run-time statistics
 * time the handler instead.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fixture.h"
#include "ntp_proto.h"
#include "xdp_runstats.h"

struct fixture {
	struct xdp_fixture x;
	struct ring_buffer *rb;
	struct ntpd_request_event ev[8];
	int n_ev;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct fixture *f = ctx;

	if (size == sizeof(f->ev[0]) && f->n_ev < 8)
		memcpy(&f->ev[f->n_ev++], data, size);
	return 0;
}

static void load(struct fixture *f, __u64 log_threshold)
{
	struct ntpd_ref_state st = { .stratum = 2, .precision = -20 };

	memset(f, 0, sizeof(*f));
	assert_int_equal(fixture_open(&f->x), 0);
	f->x.skel->rodata->ntpd_cfg.log_threshold = log_threshold;
	assert_int_equal(fixture_load_serving(&f->x, &st), 0);
	f->rb = ring_buffer__new(bpf_map__fd(f->x.skel->maps.ntpd_events), on_event, f, NULL);
	assert_non_null(f->rb);
}

static void unload(struct fixture *f)
{
	ring_buffer__free(f->rb);
	fixture_close(&f->x);
}

/* One request from `src` with `li_vn_mode`; the verdict. */
static int send_one(struct fixture *f, int family, const char *src, __u8 li_vn_mode)
{
	uint8_t payload[NTP_PACKET_LEN], in[FRAME_MAX];
	struct frame_spec s = {
		.dst_mac = { 2, 0, 0, 0, 0, 1 }, .src_mac = { 2, 0, 0, 0, 0, 2 },
		.family = family, .ttl = 64, .l4_proto = IPPROTO_UDP,
		.sport = 40123, .dport = 123, .csum = FRAME_CSUM_VALID,
		.payload = payload, .payload_len = sizeof(payload),
	};
	struct frame_layout lay;
	struct fixture_run r;
	int len;

	frame_ntp_request(payload, sizeof(payload), li_vn_mode, 6, 0x1122334455667788ULL);
	inet_pton(family, src, s.saddr);
	inet_pton(family, family == AF_INET ? FIXTURE_SERVER4 : FIXTURE_SERVER6, s.daddr);
	len = frame_build(&s, in, FRAME_MAX, &lay);
	assert_true(len > 0);
	assert_int_equal(fixture_run(&f->x, in, (size_t)len, &r), 0);
	return r.verdict;
}

static void events_carry_client_and_outcome(void **state)
{
	static const __u8 v4[16] = { [10] = 0xff, [11] = 0xff, 198, 51, 100, 7 };
	__u8 v6[16];
	struct fixture f;

	(void)state;
	load(&f, 1ULL << 32);		/* every request */
	assert_int_equal(send_one(&f, AF_INET, "198.51.100.7", NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT)),
			 XDP_TX);
	assert_int_equal(send_one(&f, AF_INET6, "2001:db8:1::7", NTP_LI_VN_MODE(0, 3, NTP_MODE_CLIENT)),
			 XDP_TX);
	/* mode 7 (private) from outside: dropped, and still logged */
	assert_int_equal(send_one(&f, AF_INET, "198.51.100.7", NTP_LI_VN_MODE(0, 2, 7)), XDP_DROP);
	assert_true(ring_buffer__consume(f.rb) >= 0);
	assert_int_equal(f.n_ev, 3);

	assert_memory_equal(f.ev[0].addr, v4, 16);
	assert_int_equal(f.ev[0].version, 4);
	assert_int_equal(f.ev[0].mode, NTP_MODE_CLIENT);
	assert_int_equal(f.ev[0].outcome, NTPD_CNT_ANSWERED_V4);
	assert_int_equal(f.ev[0].path, NTPD_PATH_XDP);
	/* the request's source port, not the answer's (which swapped them) */
	assert_int_equal(ntohs(f.ev[0].port), 40123);

	inet_pton(AF_INET6, "2001:db8:1::7", v6);
	assert_memory_equal(f.ev[1].addr, v6, 16);
	assert_int_equal(f.ev[1].version, 3);
	assert_int_equal(f.ev[1].outcome, NTPD_CNT_ANSWERED_V6);

	assert_int_equal(f.ev[2].mode, 7);
	assert_int_equal(f.ev[2].version, 2);
	assert_int_equal(f.ev[2].outcome, NTPD_CNT_DROP_MODE_CONTROL);
	assert_int_equal(ntohs(f.ev[2].port), 40123);
	unload(&f);
}

static void no_events_when_off(void **state)
{
	struct fixture f;

	(void)state;
	load(&f, 0);
	assert_int_equal(send_one(&f, AF_INET, "198.51.100.7", NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT)),
			 XDP_TX);
	assert_true(ring_buffer__consume(f.rb) >= 0);
	assert_int_equal(f.n_ev, 0);
	unload(&f);
}

/*
 * One clock read serves as receive and transmit time (T3 - T2 = 0 by
 * construction), so the XDP program writes nothing to the processing-time
 * histogram: the packets are counted, the histogram stays the socket
 * path's alone.
 */
static void histogram_left_to_socket_path(void **state)
{
	struct ntpd_counters c;
	struct fixture f;
	int k;

	(void)state;
	load(&f, 0);
	for (k = 0; k < 5; k++)
		assert_int_equal(send_one(&f, AF_INET, "198.51.100.7",
					  NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT)), XDP_TX);
	assert_int_equal(send_one(&f, AF_INET, "198.51.100.7", NTP_LI_VN_MODE(0, 4, 7)), XDP_DROP);
	assert_int_equal(fixture_read_counters(&f.x, &c), 0);
	assert_int_equal(c.packets[NTPD_CNT_ANSWERED_V4], 5);
	for (k = 0; k < NTPD_LAT_BUCKETS; k++)
		assert_int_equal(c.latency[k], 0);
	assert_int_equal(c.latency_sum_ns, 0);
	unload(&f);
}

/*
 * The handler's own time instead: the kernel's run-time statistics, on
 * while we hold a BPF_ENABLE_STATS fd, count every run of the program
 * (BPF_PROG_TEST_RUN's too) and what xdp_run_stats_of_fd() reads moves by
 * exactly those runs, with a time for them.
 */
static void run_stats_count_the_handler(void **state)
{
	struct xdp_run_stats before, after, idle;
	struct fixture f;
	int stats_fd, k;

	(void)state;
	load(&f, 0);
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	assert_true(stats_fd >= 0);
	assert_int_equal(xdp_run_stats_of_fd(f.x.prog_fd, &before), 0);
	for (k = 0; k < 7; k++)
		assert_int_equal(send_one(&f, AF_INET, "198.51.100.7",
					  NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT)), XDP_TX);
	assert_int_equal(xdp_run_stats_of_fd(f.x.prog_fd, &after), 0);
	close(stats_fd);
	assert_int_equal(after.run_cnt - before.run_cnt, 7);
	assert_true(after.run_time_ns > before.run_time_ns);
	assert_int_equal(xdp_run_stats_of_fd(-1, &idle), -EBADF);
	unload(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(events_carry_client_and_outcome),
		cmocka_unit_test(no_events_when_off),
		cmocka_unit_test(histogram_left_to_socket_path),
		cmocka_unit_test(run_stats_count_the_handler),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
