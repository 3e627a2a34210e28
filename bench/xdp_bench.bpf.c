// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Micro-benchmark programs around the production handler.  BPF_PROG_TEST_RUN
 * with `repeat` hands the program the same buffer each time, which after the
 * first run holds our answer, not a request; so every program first copies
 * the request back in.  bench_answer_* - bench_restore_* = the handler's cost.
 * The copy lengths are constants (the verifier wants a proven non-zero size):
 * the IPv4 and IPv6 request frames of tests/bpf/frame_builder.h.
 */
#include "xdp_ntpd.h"

#define FRAME_V4 90	/* 14 + 20 + 8 + 48 */
#define FRAME_V6 110	/* 14 + 40 + 8 + 48 */

struct bench_frame {
	__u32 len;
	__u8 data[128];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_frame);
} bench_frame SEC(".maps");

static __always_inline int restore(struct xdp_md *ctx, __u32 len)
{
	struct bench_frame *f;
	__u32 zero = 0;

	f = bpf_map_lookup_elem(&bench_frame, &zero);
	if (!f)
		return -1;
	return bpf_xdp_store_bytes(ctx, 0, f->data, len);
}

SEC("xdp")
int bench_restore_v4(struct xdp_md *ctx)
{
	return restore(ctx, FRAME_V4) ? XDP_ABORTED : XDP_TX;
}

SEC("xdp")
int bench_answer_v4(struct xdp_md *ctx)
{
	return restore(ctx, FRAME_V4) ? XDP_ABORTED : ntpd_handle(ctx);
}

SEC("xdp")
int bench_restore_v6(struct xdp_md *ctx)
{
	return restore(ctx, FRAME_V6) ? XDP_ABORTED : XDP_TX;
}

SEC("xdp")
int bench_answer_v6(struct xdp_md *ctx)
{
	return restore(ctx, FRAME_V6) ? XDP_ABORTED : ntpd_handle(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
