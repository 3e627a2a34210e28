/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What ntp-load -X shares with its XDP answer counter (bench/ntp_load_rx.bpf.c):
 * sequence ring sizes and the per-CPU tallies.  Bench tooling only.
 */
#ifndef NTP_LOAD_RX_H
#define NTP_LOAD_RX_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define LOAD_SEQ_RING	(1u << 22)	/* send times kept, by sequence number */
#define LOAD_LAT_BUCKETS 40		/* log2 microsecond buckets ... */
#define LOAD_LAT_SUB	8		/* ... with 8 linear sub-buckets each */

#define LOAD_LAT_SLOTS	(LOAD_LAT_BUCKETS * LOAD_LAT_SUB)

/*
 * Histogram slot of a response time, the same in the XDP counter and in
 * userspace: log2 of the microseconds, then 8 linear steps within that
 * (below 8 us, the microseconds themselves).  Written without a
 * count-leading-zeros instruction, which BPF has not.
 */
static inline __attribute__((always_inline)) __u32 load_lat_slot(__u64 ns)
{
	__u64 us = ns / 1000, v = us;
	__u32 b = 0, sub, slot;

	if (v >> 32) { v >>= 32; b += 32; }
	if (v >> 16) { v >>= 16; b += 16; }
	if (v >> 8) { v >>= 8; b += 8; }
	if (v >> 4) { v >>= 4; b += 4; }
	if (v >> 2) { v >>= 2; b += 2; }
	if (v >> 1) b += 1;
	sub = b >= 3 ? (__u32)(us >> (b - 3)) & 7 : (__u32)us & 7;
	slot = b * LOAD_LAT_SUB + sub;
	return slot < LOAD_LAT_SLOTS ? slot : LOAD_LAT_SLOTS - 1;
}

struct load_rx_stats {
	__u64 answered;		/* first answer to a request of the current step */
	__u64 late;		/* first answer to a request of an earlier step */
	__u64 invalid;		/* not mode 4 */
	__u64 duplicate;	/* a second answer to one request */
	__u64 kiss;		/* stratum 0, a kiss-o'-death (NTS: NTSN, a NAK) */
	__u64 hist[LOAD_LAT_SLOTS];
};

#ifndef __bpf__
#include <stdbool.h>
#include <stdint.h>

/*
 * Load the counter, hand it our nonce's magic and the server's address and
 * port (network order), whether a kiss-o'-death counts invalid (pre-sealed
 * NTS: a NAK is no answer, and nothing else tells it apart), attach it in driver mode to ifindex in place of
 * what is there (put back by load_rx_close), and map its send-time ring and
 * seen bitmap for the senders.  0 or -errno.
 */
int load_rx_open(int ifindex, uint32_t magic, bool ipv6, const uint8_t *server,
		 uint16_t port_be, bool kiss_invalid, uint64_t **sent_ns, uint8_t **seen);
void load_rx_set_step(uint64_t first_seq);
/* the tallies summed over CPUs */
int load_rx_read(struct load_rx_stats *sum);
void load_rx_close(void);
#endif

#endif
