/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The UDP socket server: the whole product where XDP is unavailable, and the
 * home of every request XDP passes up.  One thread per socket, each with its
 * own SO_REUSEPORT socket, reading in batches with recvmmsg and sending each
 * reply as soon as its transmit stamp is taken; responses come
 * from the same ntp_fill_response() as the XDP program's.
 */
#ifndef NTPD_SOCKET_SERVER_H
#define NTPD_SOCKET_SERVER_H

#include <stdbool.h>
#include <sys/socket.h>

#include "client_policy.h"
#include "mode6.h"
#include "ntp_auth.h"
#include "ntpd_shared.h"

struct socket_server;

/* Receive buffer per socket by default: about 2,000 queued requests (each
 * takes ~1 KiB of buffer), 10 ms at 200k/s, so a thread the scheduler
 * holds off for a few milliseconds loses nothing; the kernel's 208 KiB
 * overflowed at 15k/s on a loaded 2-core host.  Memory is taken only while
 * datagrams wait. */
#define SOCKET_RCVBUF_KIB_DEFAULT	2048

struct socket_server_params {
	struct sockaddr_storage listen4;	/* ss_family 0: no IPv4 */
	struct sockaddr_storage listen6;	/* ss_family 0: no IPv6 */
	int threads4;
	int threads6;
	struct ntpd_config cfg;			/* same knobs as the XDP program */
	const struct ntpd_ref_buffer *ref;	/* state to serve */
	const struct ntp_keyring *keys;		/* symmetric keys; may be empty */
	struct client_policy *policy;		/* rate limits and access lists */
	struct mode6 *mode6;			/* ntpq's control messages; NULL: none */
	/* adaptive batching: under traffic, let datagrams gather this long
	 * before each read (0: off; socket_server.c, gather()) */
	unsigned int batch_wait_us;
	unsigned int busy_poll_us;		/* SO_BUSY_POLL, with SO_PREFER_BUSY_POLL; 0 off */
	unsigned int rcvbuf_bytes;		/* each socket's receive buffer; 0: the kernel's */
	/* plain IPv4 requests on this interface from AF_PACKET rings
	 * (packet_ring.h), each waking its thread once per block of up to
	 * ring_block_ms; 0: off */
	unsigned int ring_block_ms;
	int ring_ifindex;
	bool ring_loopback;			/* the interface is lo */
};

/* Bind every socket, then start the threads.  0 or -errno (and a message
 * naming the address that could not be bound). */
int socket_server_start(struct socket_server **out, const struct socket_server_params *p);
/* The two halves of socket_server_start: bind (while privileged, port 123),
 * then, after the privilege drop, start the threads that read the sockets. */
int socket_server_open(struct socket_server **out, const struct socket_server_params *p);
int socket_server_run(struct socket_server *srv);
/* What an opened server serves from, when it is known only after the
 * sockets are bound (the daemon binds before it attaches XDP): before run. */
void socket_server_serve_from(struct socket_server *srv, const struct ntpd_ref_buffer *ref,
			      struct client_policy *policy);
void socket_server_stop(struct socket_server *srv);

/* fn on each bound socket, in order, until one fails: that error, or 0
 * (serving.c's stop attaches a drop-all filter there). */
int socket_server_each_fd(const struct socket_server *srv, int (*fn)(int fd, void *arg),
			  void *arg);

/* Counters summed over the threads (same reasons as the XDP counters). */
void socket_server_counters(const struct socket_server *srv, struct ntpd_counters *out);
/* The same for the requests the packet ring read (socket_server_counters
 * leaves them out), and the frames its kernel side dropped, every block
 * full.  Zeros without a ring. */
void socket_server_ring_counters(const struct socket_server *srv, struct ntpd_counters *out,
				 __u64 *drops);
bool socket_server_has_ring(const struct socket_server *srv);
/* Answers the kernel refused to send (sendmsg failed), summed over the threads. */
__u64 socket_server_send_errors(const struct socket_server *srv);

/*
 * The worker whose heartbeat (CLOCK_MONOTONIC ns of its latest pass; an
 * idle one wakes every second) is oldest, that beat in *heartbeat_ns; -1
 * when there are no workers.
 */
int socket_server_stalest(const struct socket_server *srv, __u64 *heartbeat_ns);

#endif /* NTPD_SOCKET_SERVER_H */
