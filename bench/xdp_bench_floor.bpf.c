// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The in-situ floor of an XDP answer (bench/xdp_bench_insitu): what the
 * handler cannot avoid on the live path, measured the way the handler is
 * (the kernel's BPF statistics), each program dropping every frame.
 * bench/xdp_drop.bpf.c is the entry and the statistics' own cost; these add
 * the one clock read every answer needs (the served time is TAI-based:
 * bpf_ktime_get_tai_ns(), docs/time.md), and a second one for comparison.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* the readings go somewhere, so the compiler keeps the calls */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} floor_sum SEC(".maps");

static __always_inline void keep(__u64 v)
{
	__u32 zero = 0;
	__u64 *sum = bpf_map_lookup_elem(&floor_sum, &zero);

	if (sum)
		*sum += v;
}

SEC("xdp")
int floor_clock(struct xdp_md *ctx)
{
	keep(bpf_ktime_get_tai_ns());
	return XDP_DROP;
}

SEC("xdp")
int floor_clock2(struct xdp_md *ctx)
{
	__u64 first = bpf_ktime_get_tai_ns();

	keep(first + bpf_ktime_get_tai_ns());
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
