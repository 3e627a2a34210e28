// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "packet_ring.h"
#include "local_addrs.h"
#include "log.h"
#include "csum.h"	/* and ntp_proto.h under it */

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* 64 KiB blocks of 2 KiB frames: 32 requests a block at most; 16 blocks
 * (1 MiB, mapped once, the same order as a UDP socket's 2 MiB buffer)
 * hold 512 requests while a thread is held off */
#define RING_BLOCK_SIZE	(1U << 16)
#define RING_BLOCKS	16
#define RING_FRAME_SIZE	2048
#define FRAME_HDR_LEN	(ETH_HLEN + 20 + 8)

/* The headers at any address: after a 14-byte Ethernet header the IP
 * header is 2 bytes off a 4-byte boundary in an ordinary buffer (the
 * worker's answer frame is one), and a strict-alignment CPU faults on a
 * struct iphdr access there.  A typedef may lower the alignment. */
typedef struct iphdr __attribute__((aligned(1))) iphdr_any;
typedef struct udphdr __attribute__((aligned(1))) udphdr_any;

/* classic BPF: accept the whole frame, or nothing */
#define TAKE		BPF_STMT(BPF_RET | BPF_K, 0xffffffff)
#define LEAVE		BPF_STMT(BPF_RET | BPF_K, 0)
#define LD_ANC(x)	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + (x))

static int attach(int fd, struct sock_filter *f, unsigned short n)
{
	struct sock_fprog prog = { .len = n, .filter = f };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

/*
 * The ring's filter, on frames from the Ethernet header.  Jumps count the
 * instructions skipped; every "no" lands on the final LEAVE.  A fragment
 * never reaches it: the fanout group reassembles first (FLAG_DEFRAG), as
 * the kernel does before its UDP socket.
 */
static int ring_filter(int fd, const struct packet_ring_params *p)
{
	struct sock_filter f[] = {
		/* 0 */ LD_ANC(SKF_AD_VLAN_TAG_PRESENT),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 13),
		/* 2 */ LD_ANC(SKF_AD_PKTTYPE),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_HOST, 0, 11),
		/* 4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 9),
		/* 6 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x45, 0, 7),
		/* 8 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN + 9),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 5),
		/* 10 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, ETH_HLEN + 20 + 2),	/* dest port */
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohs(p->port), 0, 3),
		/* 12 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ETH_HLEN + 16),	/* destination */
		/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(p->listen_addr), 0, 1),
		/* 14 */ TAKE,
		/* 15 */ LEAVE,
	};

	if (!p->listen_addr)	/* any of the host's: the address check is skipped */
		f[12] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0);
	return attach(fd, f, sizeof(f) / sizeof(f[0]));
}

/*
 * The mirror, on the UDP socket, where the filter sees the datagram from
 * its UDP header (SKF_NET_OFF reaches the IP header).  The listen address
 * needs no check (a socket bound to one gets only that one); the
 * destination does: the ring answers only for the addresses it was given
 * (local_addrs.h, and all of 127/8 on loopback), so the socket leaves it
 * exactly those, and anything else the kernel delivers (an address
 * reached by a local route, beyond the set's capacity, before the first
 * publish) is the socket's to answer.  Every branch is short (the 8-bit
 * jump offsets of classic BPF): a "no" returns TAKE at once, each address
 * is a compare and a LEAVE.
 */
#define PARTITION_HEAD	13
#define PARTITION_MAX	(PARTITION_HEAD + 5 + 2 * LOCAL_ADDRS_MAX + 1)
int packet_ring_partition(int udp_fd, const struct packet_ring_params *p, const __be32 *addrs,
			  int n_addrs)
{
	static const struct sock_filter head[PARTITION_HEAD] = {
		/* 0 */ LD_ANC(SKF_AD_IFINDEX),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0 /* ifindex */, 1, 0),
		/* 2 */ TAKE,
		/* 3 */ LD_ANC(SKF_AD_PKTTYPE),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_HOST, 1, 0),
		/* 5 */ TAKE,
		/* 6 */ LD_ANC(SKF_AD_VLAN_TAG_PRESENT),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
		/* 8 */ TAKE,
		/* 9 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF),
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x45, 1, 0),
		/* 11 */ TAKE,
		/* 12 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 16),	/* destination */
	};
	static __thread struct sock_filter f[PARTITION_MAX];
	unsigned short n = PARTITION_HEAD;
	int i;

	if (n_addrs > LOCAL_ADDRS_MAX)
		n_addrs = LOCAL_ADDRS_MAX;
	memcpy(f, head, sizeof(head));
	f[1].k = (__u32)p->ifindex;
	if (p->loopback) {	/* 127/8, then the destination again for the list */
		f[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff000000);
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x7f000000, 0, 1);
		f[n++] = (struct sock_filter)LEAVE;
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 16);
	}
	for (i = 0; i < n_addrs; i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(addrs[i]), 0, 1);
		f[n++] = (struct sock_filter)LEAVE;	/* the ring has it */
	}
	f[n++] = (struct sock_filter)TAKE;
	return attach(udp_fd, f, n);
}

int packet_ring_open(struct packet_ring *r, const struct packet_ring_params *p)
{
	struct tpacket_req3 req = {
		.tp_block_size = RING_BLOCK_SIZE,
		.tp_block_nr = RING_BLOCKS,
		.tp_frame_size = RING_FRAME_SIZE,
		.tp_frame_nr = RING_BLOCK_SIZE / RING_FRAME_SIZE * RING_BLOCKS,
		.tp_retire_blk_tov = p->block_ms,
	};
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = p->ifindex,
	};
	int v3 = TPACKET_V3, one = 1, err;
	int fanout = (p->fanout_id & 0xffff) |
		     ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16);
	const char *step;

	memset(r, 0, sizeof(*r));
	r->map = MAP_FAILED;
	r->loopback = p->loopback;
	r->opened = true;	/* from here on close() owns the fds, 0 included */
	/* protocol 0 until the filter is on: nothing is queued unfiltered */
	step = "AF_PACKET socket";
	r->rx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	r->tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (r->rx_fd < 0 || r->tx_fd < 0)
		goto fail;
	err = ring_filter(r->rx_fd, p);
	step = "its filter";
	if (err)
		goto fail_err;
	step = "TPACKET_V3 ring";
	if (setsockopt(r->rx_fd, SOL_PACKET, PACKET_VERSION, &v3, sizeof(v3)) ||
	    setsockopt(r->rx_fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
		goto fail;
	r->map_len = (size_t)RING_BLOCK_SIZE * RING_BLOCKS;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, r->rx_fd, 0);
	if (r->map == MAP_FAILED)	/* MAP_LOCKED: no page fault on the answer path, if allowed */
		r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->rx_fd, 0);
	step = "mapping the ring";
	if (r->map == MAP_FAILED)
		goto fail;
	step = "binding to the interface";
	if (bind(r->rx_fd, (struct sockaddr *)&ll, sizeof(ll)))
		goto fail;
	step = "fanout group";
	if (setsockopt(r->rx_fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof(fanout)))
		goto fail;
	/* replies go to the driver: no qdisc, no netfilter, no route */
	ll.sll_protocol = 0;
	step = "the reply socket";
	if (setsockopt(r->tx_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
	    bind(r->tx_fd, (struct sockaddr *)&ll, sizeof(ll)))
		goto fail;
	r->ready = true;
	return 0;
fail:
	err = -errno;
fail_err:
	pr_warn("socket server: packet ring on interface %d: %s: %s%s\n", p->ifindex, step,
		strerror(-err),
		/* the packaged unit's sandbox allows neither unless told to */
		err == -EPERM || err == -EACCES || err == -EAFNOSUPPORT ?
			" (--socket-ring needs CAP_NET_RAW and AF_PACKET sockets; under "
			"systemd, the drop-in in /usr/share/doc/xdp-ntpd/examples/socket-ring.conf)" : "");
	packet_ring_close(r);
	return err;
}

/* A zeroed ring (never opened) closes harmlessly. */
void packet_ring_close(struct packet_ring *r)
{
	if (r->opened) {
		if (r->map && r->map != MAP_FAILED)
			munmap(r->map, r->map_len);
		if (r->rx_fd >= 0)
			close(r->rx_fd);
		if (r->tx_fd >= 0)
			close(r->tx_fd);
	}
	memset(r, 0, sizeof(*r));
	r->rx_fd = r->tx_fd = -1;
}

struct tpacket_block_desc *packet_ring_block(struct packet_ring *r)
{
	struct tpacket_block_desc *bd = (void *)(r->map + (size_t)r->block * RING_BLOCK_SIZE);

	if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
		return NULL;
	return bd;
}

void packet_ring_release(struct packet_ring *r, struct tpacket_block_desc *bd)
{
	__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	r->block = (r->block + 1) % RING_BLOCKS;
}

__u64 packet_ring_drops(struct packet_ring *r)
{
	struct tpacket_stats_v3 st = { 0 };
	socklen_t len = sizeof(st);

	if (getsockopt(r->rx_fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
		return 0;
	return st.tp_drops;
}

void packet_ring_each(struct tpacket_block_desc *bd,
		      void (*fn)(const struct packet_frame *f, void *arg), void *arg)
{
	const __u8 *at = (const __u8 *)bd + bd->hdr.bh1.offset_to_first_pkt;
	__u32 i;

	for (i = 0; i < bd->hdr.bh1.num_pkts; i++) {
		const struct tpacket3_hdr *h = (const void *)at;
		struct packet_frame f = {
			.data = at + h->tp_mac,
			.len = h->tp_snaplen,
			/* the software stamp of the frame's arrival, CLOCK_REALTIME,
			 * the one SO_TIMESTAMPNS would have given the UDP socket */
			.realtime_ns = (h->tp_status & TP_STATUS_TS_SOFTWARE) ?
				(__u64)h->tp_sec * 1000000000ULL + h->tp_nsec : 0,
			.sum_trusted = !!(h->tp_status & (TP_STATUS_CSUM_VALID | TP_STATUS_CSUMNOTREADY)),
		};

		fn(&f, arg);
		at += h->tp_next_offset;
	}
}

/* RFC 1071 sum of 16-bit words (host order), a zero pad byte after an odd
 * length; bpf/csum.h folds it, as it does the XDP program's sums */
static __u32 sum16(const __u8 *p, unsigned int len, __u32 sum)
{
	unsigned int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

/* the checksum field's value for a sum: its complement, folded */
static __u16 fold(__u32 sum)
{
	return (__u16)~csum_fold64(sum);
}

int packet_frame_parse(const __u8 *frame, unsigned int len, bool sum_trusted,
		       struct packet_request *req)
{
	const iphdr_any *ip = (const void *)(frame + ETH_HLEN);
	const udphdr_any *udp = (const void *)(frame + ETH_HLEN + 20);
	unsigned int tot_len, udp_len;
	__u16 ethertype;

	if (len < FRAME_HDR_LEN)
		return -EINVAL;
	memcpy(&ethertype, frame + 12, 2);
	tot_len = ntohs(ip->tot_len);
	udp_len = ntohs(udp->len);
	/* the IP length bounds the datagram (a short frame is padded to 60
	 * bytes on the wire); the UDP length must agree with it, as the
	 * kernel's UDP receive checks before a socket sees it */
	if (ethertype != htons(ETH_P_IP) || frame[ETH_HLEN] != 0x45 || ip->protocol != IPPROTO_UDP ||
	    (ntohs(ip->frag_off) & 0x3fff) || tot_len > len - ETH_HLEN || tot_len < 20 + 8 ||
	    udp_len < 8 || udp_len > tot_len - 20)
		return -EINVAL;
	/* what ip_rcv and the UDP receive verify before any socket sees a
	 * datagram: a ring sees it first (the driver's or the sender's word
	 * that the sum is good, or not yet computed, stands in for ours) */
	if (fold(sum16((const __u8 *)ip, 20, 0)))
		return -EPROTO;
	if (!sum_trusted && udp->check &&
	    fold(sum16((const __u8 *)&ip->saddr, 8, IPPROTO_UDP + udp_len) +
		 sum16((const __u8 *)udp, udp_len, 0)) != 0)
		return -EBADMSG;
	memset(&req->peer, 0, sizeof(req->peer));
	req->peer.sin_family = AF_INET;
	req->peer.sin_addr.s_addr = ip->saddr;
	req->peer.sin_port = udp->source;
	req->dst.s_addr = ip->daddr;
	req->payload = frame + FRAME_HDR_LEN;
	req->payload_len = udp_len - 8;
	return 0;
}

unsigned int packet_frame_answer(__u8 *out, const __u8 *frame, const __u8 *payload,
				 unsigned int payload_len, __u8 tos)
{
	const iphdr_any *rip = (const void *)(frame + ETH_HLEN);
	const udphdr_any *rudp = (const void *)(frame + ETH_HLEN + 20);
	iphdr_any *ip = (void *)(out + ETH_HLEN);
	udphdr_any *udp = (void *)(out + ETH_HLEN + 20);
	__u16 udp_len = (__u16)(8 + payload_len), check;
	__u32 sum;

	memcpy(out, frame + ETH_ALEN, ETH_ALEN);	/* to the request's source */
	memcpy(out + ETH_ALEN, frame, ETH_ALEN);	/* from the MAC it was sent to */
	memcpy(out + 12, frame + 12, 2);
	*ip = (struct iphdr){
		.version = 4, .ihl = 5, .tos = tos,
		.tot_len = htons((__u16)(20 + udp_len)),
		.id = 0, .frag_off = htons(IP_DF), .ttl = NTPD_TTL_RESPONSE,
		.protocol = IPPROTO_UDP, .saddr = rip->daddr, .daddr = rip->saddr,
	};
	ip->check = htons(fold(sum16((const __u8 *)ip, 20, 0)));
	*udp = (struct udphdr){
		.source = rudp->dest, .dest = rudp->source, .len = htons(udp_len),
	};
	if (out + FRAME_HDR_LEN != payload)
		memmove(out + FRAME_HDR_LEN, payload, payload_len);
	/* pseudo-header (RFC 768), header, data */
	sum = sum16((const __u8 *)&ip->saddr, 8, IPPROTO_UDP + udp_len);
	sum = sum16((const __u8 *)udp, 8, sum);
	sum = sum16(out + FRAME_HDR_LEN, payload_len, sum);
	check = fold(sum);
	udp->check = htons(check ? check : 0xffff);	/* 0 would mean "none" */
	return FRAME_HDR_LEN + payload_len;
}

int packet_ring_send(struct packet_ring *r, const __u8 *frame, unsigned int len)
{
	return send(r->tx_fd, frame, len, MSG_DONTWAIT) < 0 ? -errno : 0;
}
