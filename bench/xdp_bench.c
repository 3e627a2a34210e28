// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp_bench: nanoseconds per answered packet in the XDP handler, measured
 * by the kernel (BPF_PROG_TEST_RUN's duration over many repeats), IPv4 and
 * IPv6, with the cost of restoring the request subtracted.
 *
 *   xdp_bench [REPEAT]     (default 2,000,000 per measurement, 5 rounds)
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_builder.h"
#include "loader.h"
#include "refstate.h"
#include "xdp_bench.skel.h"

#define ROUNDS 5

struct bench_frame {
	__u32 len;
	__u8 data[128];
};

static int cmp_u32(const void *a, const void *b)
{
	return (int)(*(const __u32 *)a > *(const __u32 *)b) - (int)(*(const __u32 *)a < *(const __u32 *)b);
}

/* Median ns per run of `prog` over ROUNDS measurements; -1 on failure. */
static double measure(struct bpf_program *prog, const struct bench_frame *f, __u32 repeat,
		      int want_verdict, struct ntpd_ref_buffer *ref)
{
	__u32 dur[ROUNDS];
	__u8 out[256];
	int i;

	for (i = 0; i < ROUNDS; i++) {
		/* republished per round, as the agent does every second: the
		 * handler's division-free path is for states under 4 s old */
		struct ntpd_ref_state st = { .stratum = 2, .precision = -20,
					     .update_tai_ns = refstate_tai_now_ns() };

		refstate_publish(ref, &st);
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->data, .data_size_in = f->len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

		if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) ||
		    (int)opts.retval != want_verdict) {
			fprintf(stderr, "xdp_bench: %s returned %u, want %d\n",
				bpf_program__name(prog), opts.retval, want_verdict);
			return -1;
		}
		dur[i] = opts.duration;
	}
	qsort(dur, ROUNDS, sizeof(dur[0]), cmp_u32);
	return dur[ROUNDS / 2];
}

int main(int argc, char **argv)
{
	/* 2M repeats take well under the 4 s the fast path covers */
	__u32 repeat = argc > 1 ? (__u32)strtoul(argv[1], NULL, 10) : 2000000;
	struct ntpd_local_addr a4 = { .addr = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 10 } };
	struct ntpd_local_addr a6 = { 0 };
	struct xdp_bench_bpf *skel;
	struct ntpd_ref_buffer *ref;
	struct ntpd_counters before, after;
	__u8 one = 1;
	__u32 zero = 0;
	int fam, err = 1;

	skel = xdp_bench_bpf__open_and_load();
	if (!skel) {
		perror("xdp_bench: loading the benchmark object");
		return 1;
	}
	ref = refstate_mmap(bpf_map__fd(skel->maps.ntpd_ref));
	inet_pton(AF_INET6, "2001:db8::10", a6.addr);
	if (!ref || bpf_map_update_elem(bpf_map__fd(skel->maps.ntpd_local), &a4, &one, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.ntpd_local), &a6, &one, BPF_ANY))
		goto cleanup;

	/* a state fresh for the whole run: --max-age is 10 s, rounds take less */
	printf("| path | restore only (ns) | restore + handler (ns) | handler (ns/answered packet) |\n");
	printf("|---|---:|---:|---:|\n");
	for (fam = 0; fam < 2; fam++) {
		struct frame_spec spec = fb_default(fam ? AF_INET6 : AF_INET);
		struct bench_frame f = { 0 };
		struct frame_layout lay;
		struct ntpd_ref_state st = { .stratum = 2, .precision = -20 };
		double base, full;

		st.update_tai_ns = refstate_tai_now_ns();
		refstate_publish(ref, &st);
		f.len = (__u32)fb_build(&spec, f.data, &lay);
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.bench_frame), &zero, &f, BPF_ANY) ||
		    loader_read_counters(bpf_map__fd(skel->maps.ntpd_counters), &before))
			goto cleanup;
		base = measure(fam ? skel->progs.bench_restore_v6 : skel->progs.bench_restore_v4,
			       &f, repeat, XDP_TX, ref);
		full = measure(fam ? skel->progs.bench_answer_v6 : skel->progs.bench_answer_v4,
			       &f, repeat, XDP_TX, ref);
		if (base < 0 || full < 0 ||
		    loader_read_counters(bpf_map__fd(skel->maps.ntpd_counters), &after))
			goto cleanup;
		/* every repeat must have been a real answer, not a pass */
		int idx = fam ? NTPD_CNT_ANSWERED_V6 : NTPD_CNT_ANSWERED_V4;

		if (after.packets[idx] - before.packets[idx] != (__u64)repeat * ROUNDS) {
			fprintf(stderr, "xdp_bench: only %llu of %llu runs answered\n",
				(unsigned long long)(after.packets[idx] - before.packets[idx]),
				(unsigned long long)repeat * ROUNDS);
			goto cleanup;
		}
		printf("| %s | %.0f | %.0f | %.0f |\n", fam ? "IPv6" : "IPv4", base, full, full - base);
	}
	printf("\n%u repeats per measurement, median of %d\n", repeat, ROUNDS);
	err = 0;
cleanup:
	refstate_munmap(ref);
	xdp_bench_bpf__destroy(skel);
	return err;
}
