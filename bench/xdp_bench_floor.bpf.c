// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The in-situ floor of an XDP answer (bench/xdp_bench_insitu): what the
 * handler cannot avoid on the live path, measured the way the handler is
 * (the kernel's BPF statistics), each program dropping every frame.
 * bench/xdp_drop.bpf.c is the entry and the statistics' own cost; these add
 * the one clock read every answer needs (the served time is TAI-based:
 * bpf_ktime_get_tai_ns(), docs/time.md), and a second one for comparison.
 * Two probes say what else live traffic makes dear (INSITU_PROBES=1):
 * floor_maps reads 18 cache lines of 6 array maps (data cache), floor_wide
 * runs about 4 KB of independent ALU work (instruction fetch).
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

/* 6 maps of 192-byte values: 3 cache lines read in each */
#define FLOOR_MAP(n)							\
	struct {							\
		__uint(type, BPF_MAP_TYPE_ARRAY);			\
		__uint(max_entries, 1);					\
		__type(key, __u32);					\
		__type(value, __u64[24]);				\
	} floor_map##n SEC(".maps")
FLOOR_MAP(0); FLOOR_MAP(1); FLOOR_MAP(2); FLOOR_MAP(3); FLOOR_MAP(4); FLOOR_MAP(5);
#define FLOOR_TOUCH(n)							\
	do {								\
		__u64 *v = bpf_map_lookup_elem(&floor_map##n, &zero);	\
		if (v)							\
			sum += v[0] + v[8] + v[16];			\
	} while (0)

SEC("xdp")
int floor_maps(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 sum = 0;

	FLOOR_TOUCH(0); FLOOR_TOUCH(1); FLOOR_TOUCH(2);
	FLOOR_TOUCH(3); FLOOR_TOUCH(4); FLOOR_TOUCH(5);
	keep(sum);
	return XDP_DROP;
}

/* eight independent chains, so the core could run them as fast as they
 * are fetched: 40 steps of an add and an xor with 32-bit immediates per
 * chain (alternating, so the compiler cannot fold them into one) */
#define FLOOR_STEP(k)	do { a = (a + (k) * 2654435761u) ^ ((k) + 1); \
			     b = (b + (k) * 40503u) ^ ((k) + 3); \
			     c = (c + (k) * 97u) ^ ((k) + 5); \
			     d = (d + (k) * 0x5bd1e995u) ^ ((k) + 7); \
			     e = (e + (k) * 0x27d4eb2du) ^ ((k) + 11); \
			     f = (f + (k) * 7919u) ^ ((k) + 13); \
			     g = (g + (k) * 104729u) ^ ((k) + 17); \
			     h = (h + (k) * 1299709u) ^ ((k) + 19); } while (0)
#define FLOOR_STEP4(k)	do { FLOOR_STEP((k) * 4); FLOOR_STEP((k) * 4 + 1); \
			     FLOOR_STEP((k) * 4 + 2); FLOOR_STEP((k) * 4 + 3); } while (0)
#define FLOOR_STEP16(k)	do { FLOOR_STEP4((k) * 4); FLOOR_STEP4((k) * 4 + 1); \
			     FLOOR_STEP4((k) * 4 + 2); FLOOR_STEP4((k) * 4 + 3); } while (0)

SEC("xdp")
int floor_wide(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 *w = data;
	__u64 a, b, c, d, e, f, g, h;

	if (data + 32 > end)
		return XDP_DROP;
	a = w[0]; b = w[1]; c = w[2]; d = w[3]; e = w[4]; f = w[5]; g = w[6]; h = w[7];
	FLOOR_STEP16(1); FLOOR_STEP16(2); FLOOR_STEP4(12); FLOOR_STEP4(13);
	keep(a + b + c + d + e + f + g + h);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
