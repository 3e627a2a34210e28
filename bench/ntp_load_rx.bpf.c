// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ntp-load -X: answers are validated and counted here, in the client end's
 * driver, and dropped.  An AF_PACKET receiver costs an sk_buff, a copy and
 * a wake-up per answer on the generator's own cores; on a 2-vCPU machine
 * that, not the sending, was the ceiling.  Same checks as the userspace
 * path: from the server's address and port, our nonce in the origin
 * timestamp, mode 4, each request answered once.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "ntp_load_rx.h"

const volatile __u32 magic;		/* upper half of every nonce we sent */
const volatile __u16 server_port;	/* network order */
const volatile __u8 family6;		/* 0: IPv4 */
const volatile __u8 kiss_invalid;	/* a kiss-o'-death is not an answer */
const volatile __u8 server_addr[16];

__u64 step_first_seq;			/* written by ntp-load at each step */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, LOAD_SEQ_RING);
	__type(key, __u32);
	__type(value, __u64);
} sent_ns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, LOAD_SEQ_RING / 64);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct load_rx_stats);
} stats SEC(".maps");

static __always_inline bool from_server(const __u8 *src, int len)
{
	int i;

	for (i = 0; i < len; i++)
		if (src[i] != server_addr[i])
			return false;
	return true;
}

SEC("xdp")
int ntp_load_rx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u8 *ntp;
	__u32 zero = 0, key, bit;
	__u64 origin, seq, *word, *sent, old;
	struct load_rx_stats *s;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (!family6) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(0x0800) ||
		    ip->ihl != 5 || ip->protocol != 17)
			return XDP_PASS;
		if (!from_server((__u8 *)&ip->saddr, 4))
			return XDP_PASS;
		udp = (void *)(ip + 1);
	} else {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || eth->h_proto != bpf_htons(0x86dd) ||
		    ip6->nexthdr != 17)
			return XDP_PASS;
		if (!from_server((__u8 *)&ip6->saddr, 16))
			return XDP_PASS;
		udp = (void *)(ip6 + 1);
	}
	ntp = (__u8 *)(udp + 1);
	if ((void *)(ntp + 48) > end || udp->source != server_port)
		return XDP_PASS;
	origin = bpf_be64_to_cpu(*(__u64 *)(ntp + 24));
	/* another generator's answer, or other traffic: not ours to judge */
	if ((origin >> 32) != magic)
		return XDP_PASS;
	s = bpf_map_lookup_elem(&stats, &zero);
	if (!s)
		return XDP_DROP;
	if ((ntp[0] & 7) != 4) {
		s->invalid++;
		return XDP_DROP;
	}
	/* stratum 0: a kiss-o'-death; under NTS an NTSN NAK, which a client
	 * that does not open the answer would otherwise count as served */
	if (ntp[1] == 0) {
		s->kiss++;
		if (kiss_invalid) {
			s->invalid++;
			return XDP_DROP;
		}
	}
	seq = origin & 0xffffffffu;
	key = (__u32)((seq % LOAD_SEQ_RING) / 64);
	bit = (__u32)(seq % 64);
	word = bpf_map_lookup_elem(&seen, &key);
	if (!word)
		return XDP_DROP;
	old = __sync_fetch_and_or(word, 1ULL << bit);
	if (old & (1ULL << bit)) {
		s->duplicate++;
		s->invalid++;
		return XDP_DROP;
	}
	if (seq < step_first_seq) {
		s->late++;
		return XDP_DROP;
	}
	s->answered++;
	key = (__u32)(seq % LOAD_SEQ_RING);
	sent = bpf_map_lookup_elem(&sent_ns, &key);
	if (sent)
		s->hist[load_lat_slot(bpf_ktime_get_ns() - *sent)]++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
