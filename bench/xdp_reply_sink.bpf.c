// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Counts and drops NTP answers (IPv4, UDP from port 123) arriving at the
 * client end: bench/run's CPU-per-answer phase attaches it there so that
 * what is measured is the server's work, not the cost of building sk_buffs
 * for answers and handing them to the load generator, which every server
 * would pay alike and which dwarfs an XDP answer on veth.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} reply_count SEC(".maps");

SEC("xdp")
int xdp_reply_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct udphdr *udp = (void *)(ip + 1);
	__u32 zero = 0;
	__u64 *n;

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(0x0800) ||
	    ip->ihl != 5 || ip->protocol != 17 || udp->source != bpf_htons(123))
		return XDP_PASS;
	n = bpf_map_lookup_elem(&reply_count, &zero);
	if (n)
		(*n)++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
