// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Micro-benchmark programs around the production handler (bpf/xdp_ntpd.h,
 * included whole, so this is the very code xdp-ntpd attaches).
 *
 * BPF_PROG_TEST_RUN with `repeat` hands the program the same buffer on
 * every repetition, and after the first one that buffer holds our answer,
 * not a request (which the handler would drop as mode 4).  So both programs
 * first copy the request back in from a map; bench_restore_only stops there,
 * bench_answer goes on into the handler.  The difference of the two is what
 * the handler costs per answered packet.
 */
#include "xdp_ntpd.h"

#define BENCH_FRAME_MAX 256	/* bytes; a request with two VLAN tags is 118 */

struct bench_request {
	__u32 len;		/* bytes of data[] to restore: the test frame's size */
	__u8 data[BENCH_FRAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_request);
} bench_req SEC(".maps");

/*
 * bpf_xdp_store_bytes (5.18+): one helper call, and the verifier only needs
 * the length bounded by the map value, not a constant.  Returns 0 or the
 * helper's -errno.
 */
static __always_inline int restore(struct xdp_md *ctx)
{
	struct bench_request *req;
	__u32 zero = 0, len;

	req = bpf_map_lookup_elem(&bench_req, &zero);
	if (!req)
		return -2;	/* -ENOENT */
	len = req->len;
	if (len == 0 || len > BENCH_FRAME_MAX)
		return -22;	/* -EINVAL */
	return bpf_xdp_store_bytes(ctx, 0, req->data, len);
}

SEC("xdp")
int bench_restore_only(struct xdp_md *ctx)
{
	/* XDP_TX, like an answer, so both programs end the same way */
	return restore(ctx) ? XDP_ABORTED : XDP_TX;
}

SEC("xdp")
int bench_answer(struct xdp_md *ctx)
{
	if (restore(ctx))
		return XDP_ABORTED;
	return ntpd_handle(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
