// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp_bench: nanoseconds per answered packet in the XDP handler, timed by
 * the kernel (BPF_PROG_TEST_RUN's duration over `repeat` runs), for IPv4
 * and IPv6.  bench/xdp_bench.bpf.c restores the request before every run;
 * that restore is measured alone too and subtracted.
 *
 *   xdp_bench [REPEAT [ROUNDS]]   default 10,000,000 runs per measurement, 5 rounds
 *
 * The server has four addresses per family, the one asked last in the
 * lists (the scan's longest way to a hit; the source check scans them
 * all).  XDP_BENCH_HASH_ONLY=1 leaves the scanned lists unwritten, so the
 * handler asks the hash instead: the two local-address checks compared.
 *
 * Prints a Markdown table.  Fails (exit 1) unless every run of the handler
 * returned XDP_TX, was counted as answered and nothing else, and the last
 * answer's checksums verify.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "frames.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "localscan.h"
#include "refstate.h"
#include "xdp_bench.skel.h"

#define REPEAT_DEFAULT	10000000U
#define REPEAT_MAX	100000000U
#define ROUNDS_DEFAULT	5
#define ROUNDS_MAX	50
#define BENCH_FRAME_MAX	256	/* struct bench_request in xdp_bench.bpf.c */

/*
 * The handler's division-free timestamp path covers 2^32 ns (4.29 s) after
 * the state's publication, which the agent renews every second.  The state
 * is republished before each measurement; a measurement lasting longer
 * would time the slow path for its tail, so it is reported.
 */
#define FAST_PATH_NS	(1ULL << 32)

struct bench_request {
	__u32 len;
	__u8 data[BENCH_FRAME_MAX];
};

struct measurement {
	double restore[ROUNDS_MAX];	/* ns per run, bench_restore_only */
	double answer[ROUNDS_MAX];	/* ns per run, bench_answer */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void publish_fresh(struct ntpd_ref_buffer *ref)
{
	struct ntpd_ref_state st = {
		.update_tai_ns = refstate_tai_now_ns(),
		.tai_offset_ns = 37LL * 1000000000LL,
		.correction_ns = 1500000,
		.root_delay = 0x00000a3d,
		.root_dispersion = 0x00000290,
		.refid = htonl(0xc0000201),
		.leap = NTP_LEAP_NONE,
		.stratum = 2,
		.precision = -20,
	};

	refstate_publish(ref, &st);
}

/* `repeat` runs of prog over req; ns per run in *ns.  0 or -errno. */
static int time_prog(struct bpf_program *prog, const struct bench_request *req, __u32 repeat,
		     __u8 *out, __u32 *out_len, double *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = req->data, .data_size_in = req->len,
		    .data_out = out, .data_size_out = BENCH_FRAME_MAX, .repeat = repeat);
	int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	if (err) {
		fprintf(stderr, "xdp_bench: running %s: %s\n", bpf_program__name(prog),
			strerror(-err));
		return err;
	}
	if (opts.retval != XDP_TX) {
		fprintf(stderr, "xdp_bench: %s returned %u, want XDP_TX\n",
			bpf_program__name(prog), opts.retval);
		return -EPROTO;
	}
	if ((__u64)opts.duration * repeat >= FAST_PATH_NS)
		fprintf(stderr, "xdp_bench: %s took %.1f s: part timed the slow timestamp path\n",
			bpf_program__name(prog), (double)opts.duration * repeat / 1e9);
	*out_len = opts.data_size_out;
	*ns = opts.duration;	/* the kernel's total / repeat, in ns */
	return 0;
}

/*
 * Every run of bench_answer must have been answered (fresh, so not the
 * unsynchronised counter), and no other outcome counted.
 */
static int check_counters(const struct ntpd_counters *before, const struct ntpd_counters *after,
			  int answered, __u64 want)
{
	int i;

	for (i = 0; i < NTPD_CNT_MAX; i++) {
		__u64 delta = after->packets[i] - before->packets[i];

		if (delta != (i == answered ? want : 0)) {
			fprintf(stderr, "xdp_bench: counter %d moved by %llu, want %llu\n", i,
				(unsigned long long)delta,
				(unsigned long long)(i == answered ? want : 0));
			return -EPROTO;
		}
	}
	return 0;
}

/*
 * The limiter on, as for a client inside its allowance: every packet looks
 * its bucket up and moves it with a compare-and-swap (a 1 ns cost and an
 * endless burst, so no run is limited and every one is still answered).
 */
static int set_limiter(struct xdp_bench_bpf *skel, bool on)
{
	struct ntpd_rate_config rc = {
		.cost_ns = 1, .burst_ns = 1ULL << 62, .enabled = on, .leak_shift = 2,
		.prefix4 = NTPD_RATE_PREFIX4_DEFAULT, .prefix6 = NTPD_RATE_PREFIX6_DEFAULT,
	};
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.ntpd_rate_cfg), &zero, &rc, BPF_ANY) ?
		-errno : 0;
}

static int bench_family(struct xdp_bench_bpf *skel, struct ntpd_ref_buffer *ref, int family,
			__u32 repeat, int rounds, struct measurement *m)
{
	static const uint8_t server_mac[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t client_mac[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 };
	int answered = family == AF_INET ? NTPD_CNT_ANSWERED_V4 : NTPD_CNT_ANSWERED_V6;
	int counters_fd = bpf_map__fd(skel->maps.ntpd_counters);
	struct ntpd_counters before, after;
	struct bench_request req = { 0 };
	uint8_t payload[NTP_PACKET_LEN];
	__u8 out[BENCH_FRAME_MAX];
	struct frame_layout lay;
	struct frame_spec s = {
		.family = family,
		.ttl = 57,
		.l4_proto = IPPROTO_UDP,
		.sport = 40123,
		.dport = NTP_PORT_DEFAULT,
		.payload = payload,
		.payload_len = sizeof(payload),
	};
	__u32 zero = 0, out_len;
	int err, r, len;

	memcpy(s.dst_mac, server_mac, ETH_ALEN);
	memcpy(s.src_mac, client_mac, ETH_ALEN);
	inet_pton(family, family == AF_INET ? "198.51.100.7" : "2001:db8:1::7", s.saddr);
	inet_pton(family, family == AF_INET ? "192.0.2.10" : "2001:db8::10", s.daddr);
	frame_ntp_request(payload, sizeof(payload), NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT), 6,
			  0xe9a1b2c3d4e5f607ULL);
	len = frame_build(&s, req.data, sizeof(req.data), &lay);
	if (len < 0)
		return len;
	req.len = (__u32)len;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.bench_req), &zero, &req, BPF_ANY))
		return -errno;

	/* restore and answer alternate, so drift (frequency, other load)
	 * spreads over both instead of biasing their difference */
	for (r = 0; r < rounds; r++) {
		publish_fresh(ref);
		err = time_prog(skel->progs.bench_restore_only, &req, repeat, out, &out_len,
				&m->restore[r]);
		if (err)
			return err;
		if (out_len != req.len || memcmp(out, req.data, req.len)) {
			fprintf(stderr, "xdp_bench: bench_restore_only changed the request\n");
			return -EPROTO;
		}

		publish_fresh(ref);
		err = loader_read_counters(counters_fd, &before);
		if (err)
			return err;
		err = time_prog(skel->progs.bench_answer, &req, repeat, out, &out_len,
				&m->answer[r]);
		if (err)
			return err;
		err = loader_read_counters(counters_fd, &after);
		if (err)
			return err;
		err = check_counters(&before, &after, answered, repeat);
		if (err)
			return err;
		/* the buffer holds the last answer: a server-mode reply with
		 * both checksums right */
		if (out_len != req.len || NTP_MODE(out[lay.payload]) != NTP_MODE_SERVER ||
		    frame_verify_csums(out, out_len)) {
			fprintf(stderr, "xdp_bench: bench_answer's output is not a valid answer\n");
			return -EPROTO;
		}
	}
	return 0;
}

static int parse_arg(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || *end || *v == 0 || *v > max ? -EINVAL : 0;
}

/* Three other addresses per family, then the served one; into the hash,
 * and into the scanned lists if `scan`.  0 or -errno. */
static int set_local_addrs(struct xdp_bench_bpf *skel, const struct ntpd_local_addr *a4,
			   const struct ntpd_local_addr *a6, int scan)
{
	int fd = bpf_map__fd(skel->maps.ntpd_local);
	struct ntpd_local_scan lists = { 0 };
	struct ntpd_local_addr k[8];
	__u8 one = NTPD_LOCAL_SERVE;
	int i;

	for (i = 0; i < 4; i++) {
		k[i] = *a4;
		k[4 + i] = *a6;
		if (i < 3) {
			k[i].addr[15] = (__u8)(i + 1);
			k[4 + i].addr[15] = (__u8)(i + 1);
		}
	}
	for (i = 0; i < 8; i++) {
		if (bpf_map_update_elem(fd, &k[i], &one, BPF_ANY))
			return -errno;
		localscan_add(&lists, &k[i], one);
	}
	return scan ? localscan_publish(bpf_map__fd(skel->maps.ntpd_local_scan), &lists) : 0;
}

int main(int argc, char **argv)
{
	struct ntpd_local_addr a4 = { .addr = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 10 } };
	struct ntpd_local_addr a6 = { 0 };
	static struct measurement m[4];	/* IPv4, IPv6; limiter off, on */
	struct ntpd_ref_buffer *ref = NULL;
	struct xdp_bench_bpf *skel;
	unsigned long repeat = REPEAT_DEFAULT, rounds = ROUNDS_DEFAULT;
	struct utsname uts;
	int err = 0, f;

	if ((argc > 1 && parse_arg(argv[1], REPEAT_MAX, &repeat)) ||
	    (argc > 2 && parse_arg(argv[2], ROUNDS_MAX, &rounds)) || argc > 3) {
		fprintf(stderr, "usage: %s [REPEAT (1..%u) [ROUNDS (1..%d)]]\n", argv[0],
			REPEAT_MAX, ROUNDS_MAX);
		return 2;
	}
	inet_pton(AF_INET6, "2001:db8::10", a6.addr);

	skel = xdp_bench_bpf__open();
	if (!skel) {
		fprintf(stderr, "xdp_bench: opening the benchmark object: %s\n", strerror(errno));
		return 1;
	}
	/* the daemon's defaults, verification on as on a real NIC */
	skel->rodata->ntpd_cfg.verify_udp_csum = 1;
	skel->rodata->ntpd_cfg.allow_loopback_src = 0;
	err = xdp_bench_bpf__load(skel);
	if (err) {
		fprintf(stderr, "xdp_bench: loading the benchmark object: %s\n", strerror(-err));
		goto cleanup;
	}
	ref = refstate_mmap(bpf_map__fd(skel->maps.ntpd_ref));
	err = ref ? set_local_addrs(skel, &a4, &a6, !getenv("XDP_BENCH_HASH_ONLY")) : -errno;
	if (err) {
		fprintf(stderr, "xdp_bench: setting up the maps: %s\n", strerror(-err));
		goto cleanup;
	}

	for (f = 0; f < 4 && !err; f++) {
		err = set_limiter(skel, f >= 2);
		if (!err)
			err = bench_family(skel, ref, f % 2 ? AF_INET6 : AF_INET, (__u32)repeat,
					   (int)rounds, &m[f]);
	}
	if (err)
		goto cleanup;

	uname(&uts);
	printf("%lu runs per measurement, %lu rounds, kernel %s; ns per packet, "
	       "median of rounds (min)\n\n", repeat, rounds, uts.release);
	printf("| path | restore only | restore + handler | handler (difference) |\n");
	printf("|---|---:|---:|---:|\n");
	for (f = 0; f < 4; f++) {
		/* median() sorts, so [0] is the minimum after it */
		double rmed = median(m[f].restore, (int)rounds);
		double amed = median(m[f].answer, (int)rounds);
		double rmin = m[f].restore[0], amin = m[f].answer[0];

		printf("| %s%s | %.0f (%.0f) | %.0f (%.0f) | %.0f (%.0f) |\n", f % 2 ? "IPv6" : "IPv4",
		       f >= 2 ? ", rate limiter on" : "", rmed, rmin, amed, amin, amed - rmed,
		       amin - rmin);
	}
cleanup:
	refstate_munmap(ref);
	xdp_bench_bpf__destroy(skel);
	return err ? 1 : 0;
}
