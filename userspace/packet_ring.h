/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The socket server's packet ring (--socket-ring MS): IPv4 requests
 * arriving on one interface read from an AF_PACKET TPACKET_V3 ring and
 * answered as whole frames, for hosts without XDP (no BPF privileges, an
 * old kernel, a small board).  Needs CAP_NET_RAW at start-up only.
 *
 * Why: at tens of thousands of requests a second a UDP socket wakes its
 * thread for almost every datagram, and each reply takes the kernel's
 * whole UDP send path (route, IP output, qdisc); on a 2-vCPU VM that is
 * 97% of socket mode's CPU per answer.  The ring wakes its reader once per
 * block (full, or MS milliseconds after its first frame), and a reply
 * frame goes straight to the driver (PACKET_QDISC_BYPASS).  The served
 * time does not move: each request's receive time is the kernel's stamp
 * in the ring, each reply's transmit stamp is read just before its send.
 *
 * What the ring takes, exactly (its classic BPF filter): untagged frames
 * addressed to the interface's MAC, IPv4 without options, UDP to the
 * listening port (and address, if one is set), reassembled if they came in
 * fragments: plain requests, MACs, NTS and mode 6 alike.  The UDP socket
 * of each worker gets the mirror filter: it drops exactly those datagrams
 * when they arrive on that interface, so each request is answered once, by
 * one path; the rest (IPv6, IP options, other interfaces, VLAN devices) is
 * the UDP socket's as before.
 */
#ifndef NTPD_PACKET_RING_H
#define NTPD_PACKET_RING_H
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <netinet/in.h>

/* block timeout bounds (ms): the kernel's tp_retire_blk_tov is in ms */
#define PACKET_RING_MS_MAX	100

struct packet_ring_params {
	int ifindex;
	bool loopback;		/* lo: local sources are genuine, no MAC */
	__be32 listen_addr;	/* 0: any of the host's addresses */
	__be16 port;		/* network order */
	unsigned int block_ms;	/* 1..PACKET_RING_MS_MAX */
	int fanout_id;		/* one group per server: the kernel spreads flows over its rings */
};

struct packet_ring {
	int rx_fd;		/* the ring, in the server's fanout group */
	int tx_fd;		/* replies, bound to the interface */
	__u8 *map;
	size_t map_len;
	unsigned int block;	/* the next block to read */
	bool loopback;
	bool opened;		/* packet_ring_open began: the fds are ours */
	bool ready;		/* open and serving (a thread without a ring: false) */
};

/* 0 or -errno (the message names the interface and the step). */
int packet_ring_open(struct packet_ring *r, const struct packet_ring_params *p);
void packet_ring_close(struct packet_ring *r);
/* The mirror filter on a worker's UDP socket, for the ring's address set
 * addrs[0..n) (network order): attached again after each publish of the
 * set (socket_server.c).  0 or -errno. */
int packet_ring_partition(int udp_fd, const struct packet_ring_params *p, const __be32 *addrs,
			  int n_addrs);

/* The block ready to read, or NULL; packet_ring_release hands it back. */
struct tpacket_block_desc *packet_ring_block(struct packet_ring *r);
void packet_ring_release(struct packet_ring *r, struct tpacket_block_desc *bd);
/* Frames the kernel had to drop because every block was ours (since the
 * last call: PACKET_STATISTICS resets on read). */
__u64 packet_ring_drops(struct packet_ring *r);

/* One frame of a block, as the filter passed it. */
struct packet_frame {
	const __u8 *data;	/* from the Ethernet header */
	unsigned int len;
	__u64 realtime_ns;	/* the kernel's receive stamp; 0: none */
	/* the UDP checksum needs no check: the driver verified it, or a local
	 * sender left it to offload (veth, lo: CHECKSUM_PARTIAL) */
	bool sum_trusted;
};
/* Calls fn on each frame of bd, in order. */
void packet_ring_each(struct tpacket_block_desc *bd,
		      void (*fn)(const struct packet_frame *f, void *arg), void *arg);

/*
 * The request in a frame: its source, its destination and the NTP bytes
 * (the UDP payload, as long as the UDP length says).  0; -EINVAL for a
 * frame the filter should not have passed or whose lengths disagree
 * (checked again here: the filter is the kernel's, these bytes are the
 * wire's); -EPROTO for a wrong IP header checksum, -EBADMSG for a wrong
 * UDP checksum, unless sum_trusted: what the kernel would drop.
 */
struct packet_request {
	struct sockaddr_in peer;
	struct in_addr dst;
	const __u8 *payload;
	unsigned int payload_len;
};
int packet_frame_parse(const __u8 *frame, unsigned int len, bool sum_trusted,
		       struct packet_request *req);
/*
 * The answer to the request in `frame`: Ethernet, IPv4 and UDP headers
 * with the ends swapped, TTL 64 and the given TOS, then payload; lengths
 * and both checksums computed.  Writes into out (room for 42 + payload_len
 * bytes) and returns the frame's length.
 */
unsigned int packet_frame_answer(__u8 *out, const __u8 *frame, const __u8 *payload,
				 unsigned int payload_len, __u8 tos);
/* Send a finished frame.  0 or -errno. */
int packet_ring_send(struct packet_ring *r, const __u8 *frame, unsigned int len);

#endif /* NTPD_PACKET_RING_H */
