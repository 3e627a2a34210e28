/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What ntp-load -X shares with its XDP answer counter (bench/ntp_load_rx.bpf.c):
 * sequence ring sizes and the per-CPU tallies.  Bench tooling only.
 */
#ifndef NTP_LOAD_RX_H
#define NTP_LOAD_RX_H

#define LOAD_SEQ_RING	(1u << 22)	/* send times kept, by sequence number */
#define LOAD_LAT_BUCKETS 40		/* log2 microsecond buckets ... */
#define LOAD_LAT_SUB	8		/* ... with 8 linear sub-buckets each */

struct load_rx_stats {
	__u64 answered;		/* first answer to a request of the current step */
	__u64 late;		/* first answer to a request of an earlier step */
	__u64 invalid;		/* not mode 4 */
	__u64 duplicate;	/* a second answer to one request */
	__u64 hist[LOAD_LAT_BUCKETS * LOAD_LAT_SUB];
};

#ifndef __bpf__
#include <stdbool.h>
#include <stdint.h>

/*
 * Load the counter, hand it our nonce's magic and the server's address and
 * port (network order), attach it in driver mode to ifindex in place of
 * what is there (put back by load_rx_close), and map its send-time ring and
 * seen bitmap for the senders.  0 or -errno.
 */
int load_rx_open(int ifindex, uint32_t magic, bool ipv6, const uint8_t *server,
		 uint16_t port_be, uint64_t **sent_ns, uint8_t **seen);
void load_rx_set_step(uint64_t first_seq);
/* the tallies summed over CPUs */
int load_rx_read(struct load_rx_stats *sum);
void load_rx_close(void);
#endif

#endif
