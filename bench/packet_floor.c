// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The floor of a server that reads and writes frames through AF_PACKET
 * rings instead of a UDP socket: no BPF, only CAP_NET_RAW, any kernel since
 * 3.2 (a board without XDP).  Like bench/udp_floor.c it answers every
 * IPv4 datagram to ADDR:PORT with its own bytes (mode set to server,
 * addresses and ports swapped) and does nothing else, so bench/run can put
 * its CPU per answer beside udp-floor's, socket mode's and chronyd's and
 * say whether such a path could halve the socket path's cost.  Never a
 * server: it answers anything.
 *
 *   packet-floor IFNAME ADDR PORT [-b MS] [-r]
 *     -b MS  the receive ring's block timeout (default 1): the kernel wakes
 *            the reader once per block, full or timed out, not per frame
 *     -r     send through a TX ring, one send() per block (default: one
 *            sendto() per reply, the reply stamped just before it)
 *
 * The datagrams still climb the kernel's UDP path to a socket bound to
 * ADDR:PORT that drops them by a filter (without it the kernel would answer
 * each with an ICMP port unreachable); that work runs in the sender's
 * softirq.  Runs until SIGTERM / SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define BLOCK_SIZE (1 << 16)
#define BLOCK_NR 16
#define FRAME_SIZE 2048
#define TX_FRAMES 256

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* a UDP socket on ADDR:PORT that takes nothing: the kernel's delivery ends here */
static int open_sink(struct in_addr addr, int port)
{
	struct sock_filter drop[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = drop };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	return fd;
}

/* IPv4, UDP, not a fragment, to ADDR:PORT (an IHL of 5 only: a floor) */
static int attach_filter(int fd, struct in_addr addr, int port)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 9),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x45, 0, 7),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 30),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(addr.s_addr), 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 36),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)port, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

/* the request made its answer in place: swap the ends, mode 4, no UDP sum */
static void answer(unsigned char *frame)
{
	unsigned char mac[ETH_ALEN];
	struct iphdr *ip = (struct iphdr *)(frame + ETH_HLEN);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	__u32 a = ip->saddr;
	__u16 p = udp->source;

	memcpy(mac, frame, ETH_ALEN);
	memcpy(frame, frame + ETH_ALEN, ETH_ALEN);
	memcpy(frame + ETH_ALEN, mac, ETH_ALEN);
	ip->saddr = ip->daddr;
	ip->daddr = a;
	udp->source = udp->dest;
	udp->dest = p;
	udp->check = 0;
	((unsigned char *)(udp + 1))[0] = (unsigned char)((((unsigned char *)(udp + 1))[0] & 0xf8) | 4);
}

int main(int argc, char **argv)
{
	struct tpacket_req3 req = {
		.tp_block_size = BLOCK_SIZE, .tp_block_nr = BLOCK_NR,
		.tp_frame_size = FRAME_SIZE, .tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * BLOCK_NR,
		.tp_retire_blk_tov = 1,
	};
	struct tpacket_req treq = {
		.tp_block_size = FRAME_SIZE * TX_FRAMES, .tp_block_nr = 1,
		.tp_frame_size = FRAME_SIZE, .tp_frame_nr = TX_FRAMES,
	};
	int opt, fd, txfd, sink, port, ifindex, one = 1, v3 = TPACKET_V3, v2 = TPACKET_V2, tx_ring = 0;
	unsigned int block = 0, tx_next = 0;
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	unsigned char *rx, *tx = NULL;
	struct in_addr addr;

	while ((opt = getopt(argc, argv, "b:r")) != -1) {
		if (opt == 'b')
			req.tp_retire_blk_tov = (unsigned int)atoi(optarg);
		else if (opt == 'r')
			tx_ring = 1;
		else
			return 2;
	}
	if (argc - optind != 3 || inet_pton(AF_INET, argv[optind + 1], &addr) != 1) {
		fprintf(stderr, "usage: packet-floor IFNAME IPV4ADDR PORT [-b MS] [-r]\n");
		return 2;
	}
	ifindex = (int)if_nametoindex(argv[optind]);
	port = atoi(argv[optind + 2]);
	if (!ifindex) {
		fprintf(stderr, "packet-floor: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	ll.sll_ifindex = ifindex;
	sink = open_sink(addr, port);
	fd = socket(AF_PACKET, SOCK_RAW, 0);	/* protocol 0: nothing queued before the filter */
	txfd = socket(AF_PACKET, SOCK_RAW, 0);
	if (sink < 0 || fd < 0 || txfd < 0 || attach_filter(fd, addr, port) ||
	    setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v3, sizeof(v3)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) ||
	    bind(fd, (struct sockaddr *)&ll, sizeof(ll)) ||
	    setsockopt(txfd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
	    (tx_ring && (setsockopt(txfd, SOL_PACKET, PACKET_VERSION, &v2, sizeof(v2)) ||
			 setsockopt(txfd, SOL_PACKET, PACKET_TX_RING, &treq, sizeof(treq)))) ||
	    bind(txfd, (struct sockaddr *)&(struct sockaddr_ll){ .sll_family = AF_PACKET,
				.sll_ifindex = ifindex }, sizeof(ll))) {
		fprintf(stderr, "packet-floor: %s %s:%d: %s\n", argv[optind], argv[optind + 1], port,
			strerror(errno));
		return 1;
	}
	rx = mmap(NULL, (size_t)BLOCK_SIZE * BLOCK_NR, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (tx_ring)
		tx = mmap(NULL, (size_t)FRAME_SIZE * TX_FRAMES, PROT_READ | PROT_WRITE, MAP_SHARED, txfd, 0);
	if (rx == MAP_FAILED || tx == MAP_FAILED) {
		fprintf(stderr, "packet-floor: mmap: %s\n", strerror(errno));
		return 1;
	}
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	sigaction(SIGINT, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	while (!stopping) {
		struct tpacket_block_desc *bd = (void *)(rx + (size_t)block * BLOCK_SIZE);
		struct tpacket3_hdr *h;
		unsigned int i, queued = 0;

		if (!(bd->hdr.bh1.block_status & TP_STATUS_USER)) {
			poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 1000);
			continue;
		}
		h = (void *)((unsigned char *)bd + bd->hdr.bh1.offset_to_first_pkt);
		for (i = 0; i < bd->hdr.bh1.num_pkts; i++) {
			unsigned char *frame = (unsigned char *)h + h->tp_mac;

			answer(frame);
			if (tx_ring) {
				struct tpacket2_hdr *t = (void *)(tx + (size_t)tx_next * FRAME_SIZE);

				if (t->tp_status == TP_STATUS_AVAILABLE) {
					memcpy((unsigned char *)t + TPACKET2_HDRLEN - sizeof(struct sockaddr_ll),
					       frame, h->tp_snaplen);
					t->tp_len = h->tp_snaplen;
					__atomic_store_n(&t->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
					tx_next = (tx_next + 1) % TX_FRAMES;
					queued++;
				}
			} else {
				send(txfd, frame, h->tp_snaplen, MSG_DONTWAIT);
			}
			h = (void *)((unsigned char *)h + h->tp_next_offset);
		}
		if (queued)
			send(txfd, NULL, 0, MSG_DONTWAIT);
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		block = (block + 1) % BLOCK_NR;
	}
	close(fd);
	close(txfd);
	close(sink);
	return 0;
}
